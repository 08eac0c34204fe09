"""Run a coroutine to completion on a fresh event loop in its own thread.

The browser tests' Playwright (sync API) keeps an event loop running in the test thread for the
whole session, and `asyncio.run` refuses to start inside it; a thread of its own avoids that.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    return run_in_own_thread(lambda: asyncio.run(coroutine))


def run_in_own_thread(function: Callable[[], T]) -> T:
    """``function()`` on a thread of its own, with no event loop (it may call ``asyncio.run``)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:  # re-raised in the test thread
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]
