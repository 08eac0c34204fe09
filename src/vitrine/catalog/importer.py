"""Reading catalog files (CSV or JSON) into validated product drafts, with every problem named."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vitrine.catalog.money import PriceError, parse_price

REQUIRED_COLUMNS = ("sku", "name", "price")
OPTIONAL_COLUMNS = (
    "currency",
    "description",
    "category",
    "brand",
    "images",
    "variant_sku",
    "variant_label",
)
SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")
MAX_FILE_BYTES = 50 * 1024 * 1024


class CatalogFileError(ValueError):
    """The file as a whole cannot be read (wrong format, missing columns): nothing is imported."""


@dataclass(frozen=True)
class RowProblem:
    where: str  # "line 7" for CSV, "item 3" for JSON
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class VariantDraft:
    sku: str
    label: str
    price_minor: int
    currency: str


@dataclass
class ProductDraft:
    sku: str
    name: str
    where: str
    description: str = ""
    category: str = ""
    brand: str = ""
    image_paths: list[Path] = field(default_factory=list)
    variants: list[VariantDraft] = field(default_factory=list)
    texts: dict[str, tuple[str, str]] = field(default_factory=dict)  # language -> (name, desc.)
    categories: dict[str, str] = field(default_factory=dict)  # language -> category


@dataclass
class ParsedCatalog:
    products: list[ProductDraft]
    problems: list[RowProblem]


def read_catalog_file(path: Path, *, default_currency: str) -> ParsedCatalog:
    """Parse a .csv or .json catalog; image paths are resolved against the file's folder."""
    if not path.is_file():
        raise CatalogFileError(f"catalog file {path} does not exist")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise CatalogFileError(f"catalog file {path} is larger than {MAX_FILE_BYTES} bytes")
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records = _csv_records(text)
    elif suffix == ".json":
        records = _json_records(text)
    else:
        raise CatalogFileError(f"catalog file {path} must end in .csv or .json")
    return build_drafts(records, base_dir=path.parent, default_currency=default_currency)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CatalogFileError(f"catalog file {path} is not UTF-8 text") from error


def _csv_records(text: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise CatalogFileError(f"the CSV has no column {', '.join(missing)} (found: {columns})")
    records = []
    try:
        for row in reader:
            surplus = row.pop(None, None)
            cleaned = {key.strip(): (value or "").strip() for key, value in row.items()}
            if surplus:
                cleaned["__extra__"] = "yes"
            records.append((f"line {reader.line_num}", cleaned))
    except csv.Error as error:
        raise CatalogFileError(
            f"the CSV is malformed near line {reader.line_num}: {error}"
        ) from error
    return records


def _json_records(text: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogFileError(f"the JSON is malformed: {error}") from error
    items = document.get("products") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise CatalogFileError('the JSON must be a list of products or {"products": [...]}')
    return list(_flatten_json_items(items))


def _flatten_json_items(items: list[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Turn nested JSON products into the same flat records as CSV rows (one per variant)."""
    for number, item in enumerate(items, start=1):
        where = f"item {number}"
        if not isinstance(item, dict):
            yield where, {"__invalid__": "is not an object"}
            continue
        base = {key: value for key, value in item.items() if key not in ("variants", "texts")}
        base.update(_flat_texts(item.get("texts")))
        images = base.get("images", [])
        base["images"] = "|".join(images) if isinstance(images, list) else images
        variants = item.get("variants") or []
        if not isinstance(variants, list):
            yield where, {"__invalid__": "variants is not a list"}
            continue
        if not variants:
            yield where, base
        for variant in variants:
            if not isinstance(variant, dict):
                yield where, {"__invalid__": "a variant is not an object"}
                continue
            yield (
                where,
                {
                    **base,
                    "variant_sku": variant.get("sku", ""),
                    "variant_label": variant.get("label", ""),
                    "price": variant.get("price", base.get("price", "")),
                    "currency": variant.get("currency", base.get("currency", "")),
                },
            )


def _flat_texts(texts: Any) -> dict[str, Any]:
    """{"fr": {"name": .., "description": ..}} -> {"name_fr": .., "description_fr": ..}."""
    if not isinstance(texts, dict):
        return {}
    flat = {}
    for language, fields in texts.items():
        if isinstance(fields, dict):
            for key in ("name", "description", "category"):
                if key in fields:
                    flat[f"{key}_{language}"] = fields[key]
    return flat


def build_drafts(
    records: Iterable[tuple[str, dict[str, Any]]], *, base_dir: Path, default_currency: str
) -> ParsedCatalog:
    """Validate flat records; rows sharing a product `sku` become variants of one product."""
    builder = _DraftBuilder(base_dir=base_dir, default_currency=default_currency)
    for where, record in records:
        builder.add(where, {key: _as_text(value) for key, value in record.items()})
    return builder.result()


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


class _DraftBuilder:
    def __init__(self, *, base_dir: Path, default_currency: str) -> None:
        self.base_dir = base_dir
        self.default_currency = default_currency
        self.products: dict[str, ProductDraft] = {}
        self.seen_variant_skus: dict[str, str] = {}
        self.problems: list[RowProblem] = []

    def add(self, where: str, record: dict[str, str]) -> None:
        try:
            self._add(where, record)
        except _RowInvalid as invalid:
            self.problems.append(RowProblem(where, str(invalid)))

    def _add(self, where: str, record: dict[str, str]) -> None:
        if "__invalid__" in record:
            raise _RowInvalid(record["__invalid__"])
        if "__extra__" in record:
            raise _RowInvalid("the row has more fields than the header")
        sku = _valid_sku(record.get("sku", ""), "sku")
        variant = self._variant(record, sku)
        product = self.products.get(sku)
        if product is None:
            product = self._new_product(where, sku, record)
        product.variants.append(variant)
        self.products[sku] = product
        self.seen_variant_skus[variant.sku] = where

    def _new_product(self, where: str, sku: str, record: dict[str, str]) -> ProductDraft:
        name = record.get("name", "")
        if not name:
            raise _RowInvalid("name is empty")
        if len(name) > 200:
            raise _RowInvalid("name is longer than 200 characters")
        return ProductDraft(
            sku=sku,
            name=name,
            where=where,
            description=record.get("description", ""),
            category=record.get("category", "")[:100],
            brand=record.get("brand", "")[:100],
            image_paths=self._image_paths(record.get("images", "")),
            texts=_translations(record),
            categories=_translated_categories(record),
        )

    def _variant(self, record: dict[str, str], sku: str) -> VariantDraft:
        variant_sku = _valid_sku(record.get("variant_sku") or sku, "variant_sku")
        if variant_sku in self.seen_variant_skus:
            first = self.seen_variant_skus[variant_sku]
            raise _RowInvalid(f"duplicate SKU {variant_sku} (first seen on {first})")
        currency = (record.get("currency") or self.default_currency).upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise _RowInvalid(f"currency {currency!r} is not a 3-letter ISO code")
        try:
            price_minor = parse_price(record.get("price", ""), currency)
        except PriceError as error:
            raise _RowInvalid(str(error)) from error
        label = record.get("variant_label", "")[:100]
        return VariantDraft(
            sku=variant_sku, label=label, price_minor=price_minor, currency=currency
        )

    def _image_paths(self, images: str) -> list[Path]:
        paths = []
        for part in images.split("|"):
            if part.strip():
                path = Path(part.strip())
                paths.append(path if path.is_absolute() else self.base_dir / path)
        return paths

    def result(self) -> ParsedCatalog:
        return ParsedCatalog(products=list(self.products.values()), problems=self.problems)


class _RowInvalid(ValueError):
    pass


TRANSLATED = re.compile(r"^(name|description|category)_([a-z]{2})$")


def _translations(record: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Per-language texts from columns name_fr, description_fr, name_zh..."""
    languages = {match.group(2) for key in record if (match := TRANSLATED.fullmatch(key))}
    texts = {}
    for language in sorted(languages):
        name = record.get(f"name_{language}", "")[:200]
        if name:
            texts[language] = (name, record.get(f"description_{language}", ""))
    return texts


def _translated_categories(record: dict[str, str]) -> dict[str, str]:
    """Per-language categories from columns category_fr, category_zh..."""
    found = (TRANSLATED.fullmatch(key) for key in record)
    return {
        match.group(2): str(record[match.group(0)])[:100]
        for match in found
        if match and match.group(1) == "category" and record[match.group(0)]
    }


def _valid_sku(value: str, column: str) -> str:
    if not value:
        raise _RowInvalid(f"{column} is empty")
    if not SKU_PATTERN.fullmatch(value):
        raise _RowInvalid(f"{column} {value!r} has characters other than letters, digits, . _ - /")
    return value
