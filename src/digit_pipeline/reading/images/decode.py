"""Image files to grayscale arrays, within limits on bytes and pixels: checked before
the pixels are decoded, reduced to a working size right after."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PIL import Image, ImageOps

from digit_pipeline.reading.images.errors import ImageError
from digit_pipeline.reading.limits import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, WORKING_SIZE

IMAGE_FORMATS = {"PNG", "JPEG", "MPO", "BMP", "GIF", "WEBP"}
EXIF_ORIENTATION = 0x0112
# Opaque pixels of a transparent drawing: alpha above this.
OPAQUE_ALPHA = 127


def open_image(data: bytes) -> tuple[Image.Image, int]:
    """Check an image file against the limits, without decoding its pixels yet.

    JPEG files are set to decode at a reduced size (a power of two, down to
    ``WORKING_SIZE``): ``image.size`` is what decoding will produce, and the pixel limit
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
    image.draft("RGB", (WORKING_SIZE, WORKING_SIZE))  # JPEG: decode at reduced size
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise ImageError(
            f"the image has {width}x{height} pixels, more than the limit of {MAX_IMAGE_PIXELS}"
        )
    return image, upright_width


def decode_to_gray(image: Image.Image, upright_width: int) -> tuple[np.ndarray, float]:
    """Decode an opened image to grayscale in [0, 1], reduced to ``WORKING_SIZE`` at most.

    The image is reduced right after decoding, so that the rest of the work is small
    whatever the file's size. Transparent parts (a drawing on a transparent canvas) are laid
    on a background that contrasts with the opaque strokes. Phone photos are turned
    upright (EXIF).

    Returns:
        The grayscale image (H, W) float32, and the factor from original to working size.
    """
    with _image_errors("the image is corrupt or truncated ({error})"):
        gray = _flatten_to_gray(ImageOps.exif_transpose(_to_working_size(image)))
    return np.asarray(gray, dtype=np.float32) / 255.0, gray.size[0] / upright_width


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


def _to_working_size(image: Image.Image) -> Image.Image:
    """Decode and reduce to ``WORKING_SIZE`` at most, keeping transparency. An image is
    converted only when its mode is none of L, LA, RGB and RGBA: a converted copy of a
    40 MP image would double its memory."""
    if "A" in image.getbands() or "transparency" in image.info:
        mode = "LA" if image.mode in ("L", "LA") else "RGBA"
    else:
        mode = "RGB" if image.mode == "P" or len(image.getbands()) > 1 else "L"
    if image.mode != mode:
        image = image.convert(mode)
    if max(image.size) > WORKING_SIZE:
        image.thumbnail((WORKING_SIZE, WORKING_SIZE), Image.Resampling.BOX)
    return image


def _flatten_to_gray(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"))
        if alpha.min() < 255:
            luminance = np.asarray(rgba.convert("L"), dtype=np.float32)
            opaque = alpha > OPAQUE_ALPHA
            strokes_are_dark = not opaque.any() or luminance[opaque].mean() < 128
            background = Image.new("RGBA", rgba.size, "white" if strokes_are_dark else "black")
            return Image.alpha_composite(background, rgba).convert("L")
    return image.convert("L")
