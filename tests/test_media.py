"""The media store keeps only complete, decodable images of a sane size, by content hash."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.factories import product_photo_bytes
from vitrine.media import ImageRefused, MediaStore, inspect_image


def _encoded(image: Image.Image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


def test_an_image_is_stored_once_by_content(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    first = store.put_bytes(product_photo_bytes())
    second = store.put_bytes(product_photo_bytes())
    assert first == second
    assert store.path_of(first.media_key).read_bytes() == product_photo_bytes()
    assert (first.width, first.height) == (64, 64)
    assert not list(tmp_path.rglob(".incoming-*"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"name,price\nshirt,12\n", "not an image"),
        (product_photo_bytes()[:300], "truncated"),
    ],
    ids=["zero-bytes", "csv-text", "truncated-jpeg"],
)
def test_bad_images_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ImageRefused, match=reason):
        inspect_image(data)


def test_a_decompression_bomb_is_refused() -> None:
    bomb = _encoded(Image.new("1", (20000, 20000)), "PNG")  # ~50 kB on disk, 400 MP decoded
    with pytest.raises(ImageRefused, match="too large"):
        inspect_image(bomb)


@pytest.mark.parametrize(
    ("mode", "image_format"), [("RGBA", "PNG"), ("CMYK", "JPEG"), ("P", "GIF")]
)
def test_common_formats_are_accepted(mode: str, image_format: str) -> None:
    data = _encoded(Image.new(mode, (32, 24)), image_format)
    assert inspect_image(data) == (image_format, 32, 24)


def test_media_keys_cannot_escape_the_store(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        MediaStore(tmp_path / "media").path_of("../vitrine.db")
