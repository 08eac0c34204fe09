"""The shopper's language: negotiated from the cookie or Accept-Language, served by gettext."""

from __future__ import annotations

from vitrine.i18n.translator import SOURCE_LANGUAGE, Translator, available_languages, translator

LANGUAGE_COOKIE = "vitrine_lang"
DEFAULT_LANGUAGE = SOURCE_LANGUAGE
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "zh": "中文"}

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGE_COOKIE",
    "LANGUAGE_NAMES",
    "Translator",
    "available_languages",
    "negotiate",
    "translator",
]


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
