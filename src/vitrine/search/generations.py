"""Saved generations of the search index in the data dir, shared by every process on it.

Each save writes a whole new folder (``gen-<time>-<random>``: unique, so two processes never
write the same file), then switches ``CURRENT`` to it with one atomic rename. Writers take a
file lock, so a change starts from the newest generation and none is lost; readers need no
lock: a folder is never changed once named in ``CURRENT``, and the previous ones are kept a
while for processes still loading them. A crash at any point leaves ``CURRENT`` naming a
complete generation.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

POINTER = "CURRENT"
PREFIX = "gen-"
BUILDING = ".building-"  # a generation being written; renamed to its name when published
# Older generations kept for processes that are still loading one of them.
KEEP_PREVIOUS = 2


class GenerationStore:
    """The folders of saved index generations and the pointer to the current one."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)

    def current(self) -> str:
        """The name of the current generation, or "" when none was saved yet."""
        try:
            name = (self.index_dir / POINTER).read_text().strip()
        except OSError:
            return ""
        return name if name.startswith(PREFIX) and "/" not in name else ""

    def folder(self, name: str) -> Path:
        return self.index_dir / name

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Exclusive among every process on this data dir (waits for the others)."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(self.index_dir / ".write.lock"):
            yield

    @contextmanager
    def leading(self) -> Iterator[bool]:
        """True for the one process that may catch the index up now; the others get False."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.index_dir / ".sync.lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    def new_folder(self) -> tuple[str, Path]:
        """A fresh, empty folder for a generation being written (call while ``writing``)."""
        name = f"{PREFIX}{time.time_ns():020d}-{secrets.token_hex(4)}"
        folder = self.index_dir / (BUILDING + name)
        folder.mkdir(parents=True)
        return name, folder

    def publish(self, name: str) -> None:
        """Make ``name`` the current generation (call while ``writing``)."""
        os.replace(self.index_dir / (BUILDING + name), self.index_dir / name)
        partial = self.index_dir / f".{POINTER}.{secrets.token_hex(6)}.tmp"
        with open(partial, "w") as handle:
            handle.write(name)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, self.index_dir / POINTER)
        self._prune(keep=name)

    def discard(self, name: str) -> None:
        shutil.rmtree(self.index_dir / (BUILDING + name), ignore_errors=True)
        shutil.rmtree(self.index_dir / name, ignore_errors=True)

    def _prune(self, keep: str) -> None:
        published, dead = [], []
        for path in self.index_dir.iterdir():
            if path.is_dir() and path.name.startswith(BUILDING):
                dead.append(path)  # its writer died: we hold the lock, nobody else writes
            elif path.is_dir() and path.name.startswith(PREFIX) and path.name != keep:
                published.append(path)
        published.sort(key=lambda path: path.name)
        for path in dead + published[: max(0, len(published) - KEEP_PREVIOUS)]:
            shutil.rmtree(path, ignore_errors=True)
