"""UI strings in the shopper's language: negotiation from cookie or Accept-Language, and lookup."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGE_COOKIE = "vitrine_lang"
DEFAULT_LANGUAGE = "en"


@cache
def messages(language: str) -> dict[str, str]:
    path = LOCALES_DIR / f"{language}.json"
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def available_languages() -> list[str]:
    return sorted(path.stem for path in LOCALES_DIR.glob("*.json"))


def negotiate(cookie: str | None, accept_language: str | None, offered: list[str]) -> str:
    """The cookie's language if offered, else the best Accept-Language match, else English."""
    usable = [language for language in offered if language in available_languages()]
    if cookie in usable:
        return str(cookie)
    for language, _quality in _ranked(accept_language or ""):
        base = language.split("-")[0].lower()
        if base in usable:
            return base
    return DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in usable or not usable else usable[0]


def _ranked(header: str) -> list[tuple[str, float]]:
    ranked = []
    for part in header.split(","):
        pieces = part.strip().split(";q=")
        if not pieces[0]:
            continue
        try:
            quality = float(pieces[1]) if len(pieces) > 1 else 1.0
        except ValueError:
            quality = 0.0
        ranked.append((pieces[0], quality))
    return sorted(ranked, key=lambda item: -item[1])


def translate(language: str, key: str, **values: object) -> str:
    """The message for `key` in `language` (English if missing there), formatted with values."""
    text = messages(language).get(key) or messages(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**values) if values else text
