"""One language's gettext catalog (Babel .mo files shipped in the package) and its formatters.

Source strings are English; `N_` marks a string for extraction where it is only translated later
(state labels, error details). Placeholders are `%(name)s`, filled from keyword arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency
from babel.support import NullTranslations, Translations

from vitrine.catalog.money import exponent_of

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
# The Babel locale of each language we offer: decides number, currency and date conventions.
LOCALES = {"en": "en_IE", "fr": "fr_FR", "zh": "zh_Hans_CN"}


def N_(message: str) -> str:
    """Marks `message` for extraction without translating it (it is translated where shown)."""
    return message


def available_languages() -> list[str]:
    """English plus every language with a compiled catalog."""
    compiled = {path.parts[-3] for path in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    return sorted({SOURCE_LANGUAGE} | (compiled & set(LOCALES)))


@cache
def _catalog(language: str) -> NullTranslations:
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [language], domain=DOMAIN)


@dataclass(frozen=True)
class Translator:
    """Text, plural forms, prices and dates for one language."""

    language: str

    @property
    def locale(self) -> Locale:
        return Locale.parse(LOCALES.get(self.language, LOCALES[SOURCE_LANGUAGE]))

    def t(self, message: str, **values: object) -> str:
        text = _catalog(self.language).gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, count: int, **values: object) -> str:
        text = _catalog(self.language).ngettext(singular, plural, count)
        return text % {"num": count, **values}

    def price(self, price_minor: int, currency: str) -> str:
        """1299 EUR -> '€12.99' (en), '12,99 €' (fr); 1450 CNY -> '¥14.50' (zh)."""
        amount = Decimal(price_minor).scaleb(-exponent_of(currency))
        return format_currency(amount, currency, locale=self.locale)

    def datetime(self, moment: datetime) -> str:
        """A UTC moment the way this language writes it, to the minute, said to be UTC."""
        locale = self.locale
        pattern = str(locale.datetime_formats["medium"])  # "{1}, {0}": date, then time
        when = pattern.replace("{1}", format_date(moment, "medium", locale=locale)).replace(
            "{0}", format_time(moment, "short", locale=locale)
        )
        return f"{when} UTC"


def translator(language: str) -> Translator:
    return Translator(language if language in LOCALES else SOURCE_LANGUAGE)
