"""Bad and unusual uploads: each gives a typed error or is handled correctly."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tests.search.pictures import draw_product, encode
from vitrine.search.images import ImageLimits, ImageRejected, load_image, load_query_image


def _png_with_declared_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb)."""
    data = bytearray(encode(Image.new("L", (8, 8)), "PNG"))
    header = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header) & 0xFFFFFFFF)
    return bytes(data)


def _reason(data: bytes, **options: int) -> str:
    with pytest.raises(ImageRejected) as caught:
        load_image(data, **options)
    assert str(caught.value)  # a human message, not an empty error
    return caught.value.reason


def test_a_jpeg_photo_is_decoded_to_rgb(product_jpeg: bytes) -> None:
    image = load_image(product_jpeg)
    assert image.mode == "RGB"
    assert image.size == (320, 240)


def test_zero_bytes_are_refused() -> None:
    assert _reason(b"") == "empty"


def test_text_is_not_an_image() -> None:
    assert _reason(b"hello, this is not a picture at all") == "not_an_image"


def test_truncated_jpeg_is_refused(product_jpeg: bytes) -> None:
    assert _reason(product_jpeg[: len(product_jpeg) // 2]) == "truncated"


def test_decompression_bomb_is_refused_before_decoding() -> None:
    assert _reason(_png_with_declared_size(20000, 20000)) in {"too_many_pixels", "not_an_image"}


def test_bomb_within_pillow_limit_is_refused_by_our_limit() -> None:
    bomb = _png_with_declared_size(20000, 20000)
    assert _reason(bomb, max_pixels=10**12) in {"too_many_pixels", "not_an_image", "truncated"}
    assert _reason(_png_with_declared_size(9000, 9000)) == "too_many_pixels"


def test_upload_over_the_byte_limit_is_refused() -> None:
    fifty_megabytes = b"\xff\xd8" + bytes(50 * 1024 * 1024)
    assert _reason(fifty_megabytes) == "too_large"


def test_query_limits_are_configurable(product_jpeg: bytes) -> None:
    with pytest.raises(ImageRejected) as caught:
        load_query_image(product_jpeg, limits=ImageLimits(max_bytes=100))
    assert caught.value.reason == "too_large"


def test_png_with_alpha_is_flattened_on_white() -> None:
    image = Image.new("RGBA", (40, 30), (255, 0, 0, 0))
    image.putpixel((0, 0), (0, 0, 255, 255))
    loaded = load_image(encode(image, "PNG"))
    assert loaded.mode == "RGB"
    assert loaded.getpixel((5, 5)) == (255, 255, 255)
    assert loaded.getpixel((0, 0)) == (0, 0, 255)


def test_cmyk_jpeg_is_converted_to_rgb() -> None:
    cmyk = draw_product(2).convert("CMYK")
    loaded = load_image(encode(cmyk, "JPEG"))
    assert loaded.mode == "RGB"
    original = draw_product(2).getpixel((160, 120))
    got = loaded.getpixel((160, 120))
    assert isinstance(original, tuple) and isinstance(got, tuple)
    assert max(abs(a - b) for a, b in zip(original, got, strict=True)) < 40


def test_gif_gives_its_first_frame_in_rgb() -> None:
    frames = [Image.new("P", (30, 20), colour) for colour in (1, 2)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    loaded = load_image(data)
    assert loaded.mode == "RGB"
    assert loaded.size == (30, 20)


def test_exif_rotation_is_applied() -> None:
    image = draw_product(3, size=(300, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # camera held upright: rotate 90 degrees clockwise
    loaded = load_image(encode(image, "JPEG", exif=exif.tobytes()))
    assert loaded.size == (200, 300)


def test_large_photo_is_shrunk_to_max_side() -> None:
    data = encode(draw_product(4, size=(4000, 3000)), "JPEG", quality=80)
    loaded = load_query_image(data, max_side=512)
    assert max(loaded.size) == 512
    assert loaded.size[0] > loaded.size[1]


def test_unsupported_format_is_refused() -> None:
    data = encode(draw_product(5), "PDF")
    assert _reason(data) in {"not_an_image", "unsupported_format"}


def test_a_large_png_is_refused_from_its_header_before_decoding() -> None:
    # 7000 x 7000 (49 MP): within the 50 MP cap, but PNG cannot be decoded at reduced scale.
    assert _reason(_png_with_declared_size(7000, 7000)) == "too_many_pixels"


def test_a_png_within_the_decoding_budget_is_shrunk_with_its_transparency() -> None:
    picture = Image.new("RGBA", (3000, 2000), (255, 0, 0, 0))
    image = load_image(encode(picture, "PNG"), max_side=512)
    assert image.mode == "RGB" and image.size == (512, 341)
    assert image.getpixel((10, 10)) == (255, 255, 255)  # transparent -> white


def test_exif_rotation_survives_the_early_shrink() -> None:
    picture = Image.new("RGB", (1600, 800), (200, 30, 30))
    exif = picture.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    image = load_image(encode(picture, "JPEG", exif=exif.tobytes()), max_side=400)
    assert image.size[0] < image.size[1]  # upright: portrait


MEMORY_PROBE = """
import io, resource, sys
from PIL import Image
from vitrine.search.images import load_query_image
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load_query_image(data, max_side=512)
except Exception as error:
    print("refused", type(error).__name__)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("size", "format_"), [((7000, 7000), "JPEG"), ((7000, 7000), "PNG"), ((4000, 3990), "PNG")]
)
def test_decoding_a_huge_upload_stays_within_its_memory_budget(
    tmp_path: Path, size: tuple[int, int], format_: str
) -> None:
    """A 49 MP JPEG decodes at reduced scale; big PNGs are refused or decoded within ~250 MB."""
    picture = Image.linear_gradient("L").resize(size).convert("RGBA" if format_ == "PNG" else "RGB")
    path = tmp_path / f"huge.{format_.lower()}"
    picture.save(path, format=format_)
    del picture
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    grown_mb = int(probe.stdout.split()[-1])
    assert grown_mb < 250, probe.stdout
