"""Image files for the tests and benchmarks: arrays as files, and the files that cost a
careless reader dearly."""

from __future__ import annotations

import io
import math
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from digit_pipeline.reading.limits import MAX_DIGITS_PER_IMAGE, MAX_IMAGE_PIXELS

# What the reader answers each of ``hostile_images``.
HOSTILE = {
    "confetti": f"more than {MAX_DIGITS_PER_IMAGE} digits in one image",
    "decompression bomb": f"the image declares more pixels than the limit of {MAX_IMAGE_PIXELS}",
    "text bomb": "not an image",
    "truncated header": "not an image",
}


def encode(pixels: np.ndarray, format: str = "PNG", **options) -> bytes:
    """An array of 0-255 values as the bytes of an image file."""
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, format, **options)
    return buffer.getvalue()


def enlarge(digit: np.ndarray, size: int) -> np.ndarray:
    """A 28x28 MNIST digit resized to size x size (bilinear), as float values 0-255."""
    return np.asarray(
        Image.fromarray(digit).resize((size, size), Image.Resampling.BILINEAR), dtype=np.float64
    )


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width: int, height: int) -> bytes:
    """A PNG's signature and IHDR (8-bit grayscale): what Pillow reads when it opens one."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)


def hostile_images() -> dict[str, bytes]:
    """Small files that cost a careless reader dearly, as an attacker would send them."""
    confetti = np.full((40, 640), 255, dtype=np.uint8)
    confetti[1::5, 1::5] = confetti[2::5, 2::5] = 0  # a thousand marks, each a "digit"
    end = png_chunk(b"IEND", b"")
    return {
        "confetti": encode(confetti),
        "decompression bomb": png_header(20_000, 20_000)
        + png_chunk(b"IDAT", zlib.compress(b""))
        + end,
        "text bomb": png_header(10, 10)
        + png_chunk(b"zTXt", b"k\x00\x00" + zlib.compress(b"a" * 200_000_000))
        + end,
        "truncated header": png_header(10, 10)[:20],
    }


def stroke_canvas(side: int) -> Image.Image:
    """A transparent square canvas with one bold stroke across it."""
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ends = [(side // 6, side // 6), (side * 4 // 5, side * 4 // 5)]
    ImageDraw.Draw(image).line(ends, fill=(0, 0, 0, 255), width=side // 32)
    return image


def worst_image() -> bytes:
    """As many pixels as the limit allows (4096 x 4096 of RGBA) in a small PNG: one
    stroke."""
    buffer = io.BytesIO()
    stroke_canvas(math.isqrt(MAX_IMAGE_PIXELS)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


# The images ``write_image_folder`` writes, in their order.
FOLDER_IMAGES = ["a_seven.png", "b_two.jpg", "c_one.webp", "d_strip.png"]


def write_image_folder(folder: Path, digits: np.ndarray) -> Path:
    """A folder to predict, made of four MNIST ``digits`` (28x28, uint8): three drawn digits
    (PNG, JPEG, WebP), a strip of four, a text file and a .gitkeep (``FOLDER_IMAGES``)."""
    folder.mkdir()

    def drawn(i: int, size: int = 112) -> np.ndarray:
        return 255 - enlarge(digits[i], size)

    (folder / "a_seven.png").write_bytes(encode(drawn(0), "PNG"))
    (folder / "b_two.jpg").write_bytes(encode(drawn(1), "JPEG"))
    (folder / "c_one.webp").write_bytes(encode(drawn(2), "WEBP"))
    strip = np.pad(
        np.concatenate([drawn(i, 84) for i in range(4)], axis=1), 20, constant_values=255
    )
    (folder / "d_strip.png").write_bytes(encode(strip, "PNG"))
    (folder / "notes.txt").write_text("not an image")
    (folder / ".gitkeep").write_text("")
    return folder
