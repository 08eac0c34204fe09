"""Content-addressed store of validated images (catalog and enrollment photos) in the data dir."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

MAX_IMAGE_PIXELS = 50_000_000  # a 12 MP phone photo is far below; 20000x20000 bombs are refused
ACCEPTED_FORMATS = {
    "JPEG": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "GIF": "gif",
    "BMP": "bmp",
    "TIFF": "tif",
    "MPO": "jpg",
}


class ImageRefused(ValueError):
    """The bytes are not an image we can store (the message says why, for a person)."""


@dataclass(frozen=True)
class StoredImage:
    media_key: str
    sha256: str
    width: int
    height: int


def inspect_image(data: bytes, *, max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[str, int, int]:
    """Return (format, width, height) of a complete, decodable image, or raise ImageRefused."""
    if not data:
        raise ImageRefused("the file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format, (width, height) = image.format or "", image.size
                if width * height > max_pixels:
                    raise ImageRefused(f"the image is too large ({width}x{height} pixels)")
                image.load()  # decodes fully: truncated files fail here
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRefused("the image is too large (decompression bomb)") from error
    except UnidentifiedImageError as error:
        raise ImageRefused("the file is not an image") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRefused(f"the image is damaged or truncated ({error})") from error
    if image_format not in ACCEPTED_FORMATS:
        raise ImageRefused(f"image format {image_format or 'unknown'} is not accepted")
    return image_format, width, height


class MediaStore:
    """Images stored once by content hash under <root>/<2 hex>/<sha256>.<ext>."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, media_key: str) -> Path:
        path = (self.root / media_key).resolve()
        if self.root.resolve() not in path.parents:
            raise KeyError(media_key)
        return path

    def put_bytes(self, data: bytes) -> StoredImage:
        image_format, width, height = inspect_image(data)
        sha256 = hashlib.sha256(data).hexdigest()
        media_key = f"{sha256[:2]}/{sha256}.{ACCEPTED_FORMATS[image_format]}"
        target = self.root / media_key
        if not target.exists():
            _write_atomically(target, data)
        return StoredImage(media_key=media_key, sha256=sha256, width=width, height=height)

    def put_file(self, path: Path) -> StoredImage:
        if not path.is_file():
            raise ImageRefused(f"image file {path} does not exist")
        return self.put_bytes(path.read_bytes())


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
