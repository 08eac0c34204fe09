"""Turn uploaded bytes into a safe RGB picture, or refuse them with a clear reason.

Used for shoppers' query photos and for catalog / enrollment images alike, so a
bad file never reaches the embedder or the index.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 50_000_000
# Formats that cannot be decoded at reduced scale are decoded whole: at 4 bytes a pixel, 16 MP
# is 64 MB, which keeps one search well under 250 MB. JPEG photos (what phones send) are
# decoded at 1/2 to 1/8 scale by libjpeg, so they may go up to DEFAULT_MAX_PIXELS.
DEFAULT_MAX_DECODED_PIXELS = 16_000_000
SCALABLE_FORMATS = frozenset({"JPEG", "MPO"})
ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF"})


class ImageRejected(ValueError):
    """The bytes are not a usable picture; ``reason`` is a stable code, str() a human message."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class ImageLimits:
    """Size limits applied before any pixel is decoded."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_decoded_pixels: int = DEFAULT_MAX_DECODED_PIXELS


def _check_size(data: bytes, max_bytes: int) -> None:
    if not data:
        raise ImageRejected("empty", "The file is empty (0 bytes).")
    if len(data) > max_bytes:
        raise ImageRejected(
            "too_large",
            f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB.",
        )


def _open(data: bytes, max_pixels: int, max_decoded_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise ImageRejected("not_an_image", "The file is not a picture we can read.") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRejected("truncated", "The picture is damaged or incomplete.") from error
    if image.format not in ACCEPTED_FORMATS:
        raise ImageRejected("unsupported_format", f"Pictures in {image.format} are not accepted.")
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected(
            "too_many_pixels",
            f"The picture is {width}x{height} pixels; "
            f"the limit is {max_pixels / 1e6:.0f} megapixels.",
        )
    if image.format not in SCALABLE_FORMATS and width * height > max_decoded_pixels:
        raise ImageRejected(
            "too_many_pixels",
            f"The {image.format} picture is {width}x{height} pixels; pictures other than JPEG "
            f"photos are limited to {max_decoded_pixels / 1e6:.0f} megapixels.",
        )
    return image


def _flatten_alpha(image: Image.Image) -> Image.Image:
    """Put transparent pictures on white, the usual catalog background."""
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _to_rgb(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        return _flatten_alpha(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda value: value / 256).convert("L")
    return image.convert("RGB") if image.mode != "RGB" else image


def _decode(image: Image.Image, draft_side: int | None) -> Image.Image:
    if draft_side and image.format in ("JPEG", "MPO"):
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: a 12 MP photo costs a few ms.
        image.draft("RGB", (draft_side, draft_side))
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(
            "truncated", "The picture is damaged or incomplete; please take it again."
        ) from error
    return image


def _shrink(image: Image.Image, max_side: int | None) -> Image.Image:
    """Downscale as soon as decoded, before any full-size copy (rotation, conversion)."""
    if not max_side or max(image.size) <= max_side:
        return image
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return image


def load_image(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_side: int | None = None,
    max_decoded_pixels: int = DEFAULT_MAX_DECODED_PIXELS,
) -> Image.Image:
    """Decode ``data`` to an upright RGB picture, at most ``max_side`` pixels on its long side.

    Raises ``ImageRejected`` for empty, oversized, unreadable, damaged or
    decompression-bomb files, and pictures other than JPEG above ``max_decoded_pixels``
    (they cannot be decoded at reduced scale). Transparent pictures are flattened on white,
    CMYK and palette pictures converted, animated GIFs give their first frame,
    and the EXIF orientation of phone photos is applied.
    """
    _check_size(data, max_bytes)
    image = _decode(_open(data, max_pixels, max_decoded_pixels), max_side)
    exif = image.getexif()
    image = _shrink(image, max_side)
    if exif and "exif" not in image.info:
        image.info["exif"] = exif.tobytes()
    try:
        upright = ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, SyntaxError) as error:
        raise ImageRejected("truncated", "The picture's metadata is damaged.") from error
    rgb = _to_rgb(upright)
    if max_side and max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return rgb


def load_query_image(
    data: bytes, *, limits: ImageLimits | None = None, max_side: int | None = 1024
) -> Image.Image:
    """A shopper's photo, ready for the search pipeline (see ``load_image``)."""
    chosen = limits or ImageLimits()
    return load_image(
        data,
        max_bytes=chosen.max_bytes,
        max_pixels=chosen.max_pixels,
        max_side=max_side,
        max_decoded_pixels=chosen.max_decoded_pixels,
    )
