"""Image files to grayscale arrays, within limits on bytes and pixels: checked before
the pixels are decoded, reduced to a working size right after."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PIL import Image, ImageChops, ImageOps

from digit_pipeline.reading.images.errors import ImageError
from digit_pipeline.reading.limits import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    PHOTO_SIZE,
    WORKING_SIZE,
)

IMAGE_FORMATS = {"PNG", "JPEG", "MPO", "BMP", "GIF", "WEBP"}
EXIF_ORIENTATION = 0x0112
# Opaque pixels of a transparent drawing: alpha above this.
OPAQUE_ALPHA = 127


def open_image(data: bytes) -> tuple[Image.Image, int]:
    """Check an image file against the limits, without decoding its pixels yet.

    JPEG files are set to decode at a reduced size (a power of two, down to
    ``PHOTO_SIZE``): ``image.size`` is what decoding will produce, and the pixel limit
    applies to it.

    Returns:
        The opened image, and the width of the original image once upright (EXIF).

    Raises:
        ImageError: Empty, too large, not an image, or an unsupported format.
    """
    if not data:
        raise ImageError("the image is empty (0 bytes)")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(
            f"the image has {len(data)} bytes, more than the limit of {MAX_IMAGE_BYTES}"
        )
    with _image_errors("not an image: expected a PNG, JPEG, BMP, GIF or WebP file"):
        image = Image.open(io.BytesIO(data))
    if image.format not in IMAGE_FORMATS:
        raise ImageError(
            f"unsupported image format {image.format}: use PNG, JPEG, BMP, GIF or WebP"
        )
    width, height = image.size
    if width == 0 or height == 0:
        raise ImageError("the image has no pixels")
    with _image_errors("the image is corrupt or truncated ({error})"):
        orientation = image.getexif().get(EXIF_ORIENTATION, 1)
    upright_width = height if orientation in (5, 6, 7, 8) else width  # 5-8 swap the axes
    reduced = PHOTO_SIZE / max(width, height)
    if reduced < 1:  # JPEG: decode at a reduced size, no smaller than PHOTO_SIZE
        image.draft("RGB", (int(width * reduced) or 1, int(height * reduced) or 1))
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise ImageError(
            f"the image has {width}x{height} pixels, more than the limit of {MAX_IMAGE_PIXELS}"
        )
    return image, upright_width


def decode_to_gray(image: Image.Image, upright_width: int) -> tuple[np.ndarray, float]:
    """Decode an opened image to grayscale in [0, 1], reduced to ``WORKING_SIZE`` at most
    (``working_gray`` of ``decode_photo``).

    Returns:
        The grayscale image (H, W) float32, and the factor from original to working size.
    """
    return working_gray(*decode_photo(image, upright_width))


def decode_photo(image: Image.Image, upright_width: int) -> tuple[Image.Image, float]:
    """Decode an opened image, reduced to ``PHOTO_SIZE`` at most right after decoding, so
    that the rest of the work is small whatever the file's size: grayscale (L) or RGB.
    Transparent parts (a drawing on a transparent canvas) are laid on a background that
    contrasts with the opaque strokes, at ``WORKING_SIZE``. Phone photos are turned upright
    (EXIF).

    Returns:
        The image, and the factor from the original's size to its size.
    """
    with _image_errors("the image is corrupt or truncated ({error})"):
        decoded = ImageOps.exif_transpose(_to_photo_size(image))
    return decoded, decoded.size[0] / upright_width


def working_gray(image: Image.Image, scale: float) -> tuple[np.ndarray, float]:
    """A decoded image (``decode_photo``) reduced to ``WORKING_SIZE`` in grayscale [0, 1]:
    (H, W) float32, and ``scale`` times the factor of that reduction."""
    width = image.size[0]
    _reduce(image, WORKING_SIZE)
    gray = image.convert("L")
    return np.asarray(gray, dtype=np.float32) / 255.0, scale * gray.size[0] / width


@contextmanager
def _image_errors(message: str) -> Iterator[None]:
    """Turn whatever Pillow raises on bad data (its plugins raise many kinds: OSError,
    ValueError, SyntaxError, struct.error...) into an ImageError with ``message``."""
    try:
        yield
    except (ImageError, MemoryError):
        raise
    except Image.DecompressionBombError as error:
        raise ImageError(
            f"the image declares more pixels than the limit of {MAX_IMAGE_PIXELS}"
        ) from error
    except Exception as error:
        raise ImageError(message.format(error=error)) from error


def _to_photo_size(image: Image.Image) -> Image.Image:
    """Decode, then reduce to ``PHOTO_SIZE`` at most: L or RGB; where the image is
    transparent, grayscale (L) at ``WORKING_SIZE``. The decoded pixels are freed as soon
    as they are converted."""
    if "A" in image.getbands() or "transparency" in image.info:
        return _flattened(image)
    mode = "RGB" if image.mode == "P" or len(image.getbands()) > 1 else "L"
    if image.mode != mode:
        converted = image.convert(mode)
        image.close()
        image = converted
    _reduce(image, PHOTO_SIZE)
    return image


def _flattened(image: Image.Image) -> Image.Image:
    """A transparent drawing laid on a background that contrasts with its opaque strokes
    (white under dark strokes, black under light ones), at working size.

    Only two bytes a pixel are kept at full size, the light already weighted by its alpha
    and the alpha, which reduce exactly as the composite would: an image at the pixel limit
    in RGBA is 67 MB, and Pillow reduces it through a premultiplied copy of as much again."""
    if image.mode not in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        image.close()
        image = rgba
    alpha = image.getchannel("A")
    light = image.convert("L") if image.mode == "RGBA" else image.getchannel("L")
    image.close()
    covered = ImageChops.multiply(light, alpha)  # light x alpha / 255
    light.close()
    _reduce(covered, WORKING_SIZE)
    _reduce(alpha, WORKING_SIZE)
    cover = np.asarray(alpha)
    opaque = cover > OPAQUE_ALPHA
    if opaque.any() and (np.asarray(covered)[opaque] / cover[opaque]).mean() >= 0.5:
        return covered  # light strokes, on black
    return ImageChops.add(covered, ImageChops.invert(alpha))  # on white: + 255 - alpha


def _reduce(image: Image.Image, size: int) -> None:
    if max(image.size) > size:
        image.thumbnail((size, size), Image.Resampling.BOX)
