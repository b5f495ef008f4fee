"""From an image file, or a grayscale array, to the framed digits the CNN reads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from digit_pipeline.images.decode import decode_to_gray, open_image
from digit_pipeline.images.framing import frame_digit
from digit_pipeline.images.ink import extract_ink
from digit_pipeline.images.segmentation import Box, corners, segment_digits, union


@dataclass(frozen=True)
class PreparedImage:
    """An input brought into MNIST's framing: what the CNN reads for it.

    Attributes:
        whole: All its ink framed as one digit, (28, 28) float32 in [0, 1].
        crops: One framed (28, 28) crop per digit found, left to right.
        boxes: Each crop's box in the original input, ``(x, y, width, height)`` in pixels.
    """

    whole: np.ndarray
    crops: list[np.ndarray]
    boxes: list[Box]


def prepare_image(data: bytes) -> PreparedImage:
    """Read an image file (PNG, JPEG, BMP, GIF or WebP) and frame its digits like MNIST.

    Args:
        data: The file's bytes. Any size up to the limits, colour or grey, dark ink on
            light paper or light ink on dark.

    Returns:
        The whole ink as one digit, and one crop per digit found, left to right.

    Raises:
        ImageError: Empty, too large, not an image, corrupt, or no ink to be found.
    """
    return prepare_opened(*open_image(data))


def prepare_opened(image: Image.Image, upright_width: int) -> PreparedImage:
    """``prepare_image`` of a file that ``open_image`` has checked: decodes it now."""
    return prepare_grayscale(*decode_to_gray(image, upright_width))


def prepare_grayscale(gray: np.ndarray, scale: float = 1.0) -> PreparedImage:
    """Frame the digits of a decoded grayscale image like MNIST (``prepare_image`` after
    decoding).

    Args:
        gray: (H, W) values in [0, 1], dark ink on light paper or light ink on dark.
        scale: The factor from the original image to ``gray``, to give boxes in the
            original's pixels.

    Raises:
        ImageError: No ink to be found.
    """
    ink = extract_ink(gray)
    boxes = segment_digits(ink)
    return PreparedImage(
        whole=_frame_whole(ink, boxes),
        crops=[frame_digit(ink[y : y + h, x : x + w]) for x, y, w, h in boxes],
        boxes=[_to_original(box, scale) for box in boxes],
    )


def prepare_whole_digit(gray: np.ndarray) -> np.ndarray:
    """``prepare_grayscale(gray).whole`` without framing each crop.

    Raises:
        ImageError: No ink to be found.
    """
    ink = extract_ink(gray)
    return _frame_whole(ink, segment_digits(ink))


def _frame_whole(ink: np.ndarray, boxes: list[Box]) -> np.ndarray:
    # The whole digit spans the boxes, so specks outside them do not stretch its frame.
    left, top, right, bottom = union(map(corners, boxes))
    return frame_digit(ink[top:bottom, left:right])


def _to_original(box: Box, scale: float) -> Box:
    x, y, w, h = box
    return round(x / scale), round(y / scale), max(1, round(w / scale)), max(1, round(h / scale))
