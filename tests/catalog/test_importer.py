"""Catalog files are read into drafts; every bad row is named with its line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import write_csv, write_json
from vitrine.catalog.importer import CatalogFileError, read_catalog_file

HEADER = "sku,name,price,variant_sku,variant_label,images"


def _read(path: Path) -> tuple[list[str], list[str]]:
    parsed = read_catalog_file(path, default_currency="EUR")
    return [p.sku for p in parsed.products], [str(problem) for problem in parsed.problems]


def test_rows_sharing_a_sku_become_variants_of_one_product(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        HEADER,
        "TEE,Linen tee,19.90,TEE-S,S,tee.jpg",
        "TEE,,21.90,TEE-M,M,",
        "CAP,Cap,9,,,",
    )
    parsed = read_catalog_file(path, default_currency="EUR")
    tee, cap = parsed.products
    assert [(v.sku, v.label, v.price_minor) for v in tee.variants] == [
        ("TEE-S", "S", 1990),
        ("TEE-M", "M", 2190),
    ]
    assert tee.image_paths == [tmp_path / "tee.jpg"]
    assert [(v.sku, v.currency) for v in cap.variants] == [("CAP", "EUR")]
    assert parsed.problems == []


def test_each_bad_row_is_named_and_good_rows_are_kept(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        HEADER,
        "A1,Good,5,,,",
        "A2,Negative,-3,,,",
        "A3,Word,cheap,,,",
        "A1,Again,5,,,",
        ",No sku,5,,,",
        "A4,,5,,,",
        "A5,Extra,5,,,,surplus",
    )
    skus, problems = _read(path)
    assert skus == ["A1"]
    assert problems == [
        "line 3: price '-3' is negative",
        "line 4: price 'cheap' is not a number",
        "line 5: duplicate SKU A1 (first seen on line 2)",
        "line 6: sku is empty",
        "line 7: name is empty",
        "line 8: the row has more fields than the header",
    ]


def test_missing_columns_refuse_the_whole_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", "sku,title", "A1,Shirt")
    with pytest.raises(CatalogFileError, match="no column name, price"):
        read_catalog_file(path, default_currency="EUR")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("c.txt", "sku,name,price\n", "must end in .csv or .json"),
        ("c.json", "{not json", "malformed"),
        ("c.json", '{"items": 3}', "list of products"),
        ("c.csv", b"\xff\xfe\x00bad", "not UTF-8"),
    ],
)
def test_unreadable_files_are_refused(
    tmp_path: Path, name: str, content: str | bytes, reason: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(CatalogFileError, match=reason):
        read_catalog_file(path, default_currency="EUR")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogFileError, match="does not exist"):
        read_catalog_file(tmp_path / "absent.csv", default_currency="EUR")


def test_json_products_nest_their_variants(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "c.json",
        {
            "products": [
                {
                    "sku": "MUG",
                    "name": "Mug",
                    "images": ["mug.jpg"],
                    "variants": [
                        {"sku": "MUG-W", "label": "white", "price": "8.50"},
                        {"sku": "MUG-B", "label": "black", "price": 9, "currency": "usd"},
                    ],
                },
                {"sku": "PEN", "name": "Pen", "price": "x"},
                "not an object",
            ]
        },
    )
    parsed = read_catalog_file(path, default_currency="EUR")
    (mug,) = parsed.products
    assert [(v.sku, v.price_minor, v.currency) for v in mug.variants] == [
        ("MUG-W", 850, "EUR"),
        ("MUG-B", 900, "USD"),
    ]
    assert [str(p) for p in parsed.problems] == [
        "item 2: price 'x' is not a number",
        "item 3: is not an object",
    ]


def test_translations_come_from_columns_or_nested_texts(tmp_path: Path) -> None:
    csv_path = write_csv(
        tmp_path / "c.csv", "sku,name,price,name_fr,description_fr", "A,Apple,1,Pomme,Croquante"
    )
    (product,) = read_catalog_file(csv_path, default_currency="EUR").products
    assert product.texts == {"fr": ("Pomme", "Croquante")}
    json_path = write_json(
        tmp_path / "c.json",
        [
            {
                "sku": "B",
                "name": "Banana",
                "price": "1",
                "texts": {"zh": {"name": "香蕉"}, "fr": "bad"},
            }
        ],
    )
    (product,) = read_catalog_file(json_path, default_currency="EUR").products
    assert product.texts == {"zh": ("香蕉", "")}


def test_categories_come_per_language_too(tmp_path: Path) -> None:
    csv_path = write_csv(
        tmp_path / "c.csv",
        "sku,name,price,category,name_fr,category_fr",
        "A,Apple,1,Fruit,Pomme,Fruits",
    )
    (product,) = read_catalog_file(csv_path, default_currency="EUR").products
    assert (product.category, product.categories) == ("Fruit", {"fr": "Fruits"})
    json_path = write_json(
        tmp_path / "c.json",
        [
            {
                "sku": "B",
                "name": "Banana",
                "price": "1",
                "category": "Fruit",
                "texts": {"zh": {"name": "香蕉", "category": "水果"}},
            }
        ],
    )
    (product,) = read_catalog_file(json_path, default_currency="EUR").products
    assert product.categories == {"zh": "水果"}
