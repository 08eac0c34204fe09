"""The gettext catalogs: extraction over code and templates finds nothing untranslated in fr and
zh, placeholders survive translation, and the shipped .mo files are compiled from the .po files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from vitrine.i18n.translator import LOCALES_DIR, available_languages, translator

REPO = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "t": None,
    "N_": None,
    "_text": (2,),  # notifications/messages.py: _text(language, message_id, ...)
}
TRANSLATED = ("fr", "zh")


def extracted() -> Catalog:
    """What `pybabel extract -F babel.cfg -k t -k N_ -k _text:2` finds in the working tree."""
    with open(REPO / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(REPO), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_catalog(language: str) -> Catalog:
    with open(LOCALES_DIR / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


def _untranslated(message: Message | None) -> bool:
    if message is None or message.fuzzy:
        return True
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not all(strings)


@pytest.fixture(scope="module")
def source_messages() -> Catalog:
    return extracted()


def test_extraction_sees_code_and_templates(source_messages: Catalog) -> None:
    ids = {message.id for message in source_messages if message.id}
    assert "Add to cart" in ids  # a template
    assert "This showroom does not exist." in ids  # Python code (N_)
    assert ("%(num)d in stock", "%(num)d in stock") in ids  # a plural form
    assert len(ids) > 100


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_extracted_string_is_translated(source_messages: Catalog, language: str) -> None:
    catalog = po_catalog(language)
    untranslated = [
        message.id
        for message in source_messages
        if message.id and _untranslated(catalog.get(message.id))
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language: str) -> None:
    problems = [(message.id, errors) for message, errors in po_catalog(language).check()]
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_shipped_mo_is_compiled_from_the_po(language: str) -> None:
    with open(LOCALES_DIR / language / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        compiled = _pairs(read_mo(mo))
    assert compiled == _pairs(po_catalog(language))


def _pairs(catalog: Catalog) -> dict[object, object]:
    def plain(text: object) -> object:
        return tuple(text) if isinstance(text, list | tuple) else text

    return {plain(message.id): plain(message.string) for message in catalog if message.id}


def test_the_offered_languages_have_catalogs() -> None:
    assert available_languages() == ["en", "fr", "zh"]


def test_plural_forms_follow_the_language() -> None:
    assert translator("fr").ngettext("%(num)d free", "%(num)d free", 1) == "1 libre"
    assert translator("fr").ngettext("%(num)d free", "%(num)d free", 3) == "3 libres"
    assert translator("en").ngettext("%(num)d free", "%(num)d free", 1) == "1 free"
    assert translator("zh").ngettext("%(num)d free", "%(num)d free", 3) == "3 个空位"


def test_prices_and_dates_are_written_the_languages_way() -> None:
    assert translator("fr").price(199, "EUR") == "1,99\xa0€"
    assert translator("en").price(199, "EUR") == "€1.99"
    assert translator("zh").price(1450, "CNY") == "¥14.50"
    assert translator("en").price(500, "JPY") == "JP¥500"  # no minor unit
    moment = datetime(2026, 12, 1, 18, 5, tzinfo=UTC)
    assert translator("fr").datetime(moment) == "1 déc. 2026, 18:05 UTC"
    assert translator("zh").datetime(moment) == "2026年12月1日 18:05 UTC"


def test_an_unknown_language_falls_back_to_english() -> None:
    assert translator("xx").t("Add to cart") == "Add to cart"
    assert translator("fr").t("a string nobody marked") == "a string nobody marked"
