"""What the reader reads: image files and 28x28 pixel arrays, the served contract's
items (``{"image": base64 or bytes}``, with the sheet's ``"corners"`` where a person
corrected them; ``{"pixels": 28x28}``), and their preparation within a request's limits."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from digit_pipeline.reading.errors import InvalidInput
from digit_pipeline.reading.images import (
    IMAGE_SIZE,
    ImageError,
    PreparedImage,
    open_image,
    prepare_opened,
)
from digit_pipeline.reading.limits import (
    MAX_IMAGE_BYTES,
    MAX_ITEMS,
    MAX_REQUEST_DIGITS,
    MAX_REQUEST_IMAGES,
    MAX_REQUEST_PIXELS,
)

# base64 grows data by 4/3; longer strings are refused before they are decoded.
_MAX_BASE64_CHARS = (MAX_IMAGE_BYTES + 2) // 3 * 4


@dataclass(frozen=True)
class ImageFile:
    """An image file's bytes: PNG, JPEG, BMP, GIF or WebP; and where the sheet in it is,
    when a person says so: (4, 2) corners (x, y) in its pixels, as a reading's ``page``."""

    data: bytes
    corners: np.ndarray | None = None


@dataclass(frozen=True)
class Pixels:
    """A digit in MNIST's convention, read as it is: (28, 28) values in 0-255, bright ink
    on a dark background."""

    values: np.ndarray


Item = ImageFile | Pixels


def parse_request(model_input: Any) -> list[Item]:
    """The items of a served request: a list of ``{"image": base64 or bytes}`` and
    ``{"pixels": 28x28}`` objects.

    Raises:
        InvalidInput: Not a list of at most ``MAX_ITEMS`` items, of which at most
            ``MAX_REQUEST_IMAGES`` images, or an invalid item (named by its index).
    """
    if not isinstance(model_input, list):
        raise InvalidInput(f"inputs must be a list of items, got {type(model_input).__name__}")
    check_request_size(model_input)
    return [parse_item(item, index) for index, item in enumerate(model_input)]


def check_request_size(model_input: list) -> None:
    """At most ``MAX_ITEMS`` items, of which at most ``MAX_REQUEST_IMAGES`` images: checked
    before anything looks into the items.

    Raises:
        InvalidInput: More.
    """
    if len(model_input) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS} items per request, got {len(model_input)}")
    images = sum(isinstance(item, dict) and "image" in item for item in model_input)
    if images > MAX_REQUEST_IMAGES:
        raise InvalidInput(f"at most {MAX_REQUEST_IMAGES} images per request, got {images}")


def parse_item(item: Any, index: int = 0) -> Item:
    """One item of a served request.

    Raises:
        InvalidInput: Not ``{"image": base64 or bytes}`` or ``{"pixels": 28x28}``, or
            its content is invalid; ``item`` is ``index``.
    """
    if not isinstance(item, dict):
        raise InvalidInput(
            f'expected an object with "image" or "pixels", got {type(item).__name__}', index
        )
    fields = set(item)
    if fields - {"image", "pixels", "corners"}:
        unknown = sorted(fields - {"image", "pixels", "corners"})
        raise InvalidInput(f'unknown field(s) {unknown}; use "image" or "pixels"', index)
    if len(fields - {"corners"}) != 1:
        given = len(fields - {"corners"})
        raise InvalidInput(f'give exactly one of "image" or "pixels", got {given}', index)
    if "corners" in item and "image" not in item:
        raise InvalidInput('"corners" go with an "image": where the sheet in it is', index)
    try:
        if "image" in item:
            corners = item.get("corners")
            return ImageFile(
                image_bytes(item["image"]), None if corners is None else corners_array(corners)
            )
        return Pixels(pixels_array(item["pixels"]))
    except ValueError as error:
        raise InvalidInput(str(error), index) from error


def corners_array(corners: Any) -> np.ndarray:
    """Four points ``[x, y]`` (a sheet's corners, as a reading's ``page`` gives them) as a
    (4, 2) array; whether they outline a sheet is checked when the image is opened.

    Raises:
        ValueError: Not four pairs of finite numbers.
    """
    error = ValueError("corners must be 4 points [x, y]: the sheet's corners in the image")
    if not isinstance(corners, list | tuple | np.ndarray):
        raise error
    try:
        array = np.array(corners, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as cause:
        raise error from cause
    if array.shape != (4, 2) or not np.all(np.isfinite(array)):
        raise error
    return array


def pixels_array(pixels: Any) -> np.ndarray:
    """28 rows of 28 numbers in 0-255 (nested lists, as JSON gives them) as an array.

    Raises:
        ValueError: Another shape, values that are not numbers (booleans included), not
            finite, or outside 0-255.
    """
    shape_error = ValueError("pixels must be 28 rows of 28 numbers")
    if not isinstance(pixels, list) or not all(isinstance(row, list) for row in pixels):
        raise shape_error
    # JSON's true and false would pass as 1 and 0 in NumPy: only numbers are pixels.
    kinds = set(map(type, chain.from_iterable(pixels)))
    if not kinds <= {int, float}:
        names = sorted(kind.__name__ for kind in kinds - {int, float})
        raise ValueError(f"pixels must be numbers, got {', '.join(names)}")
    try:
        array = np.array(pixels, dtype=np.float64)
    except OverflowError as error:  # an integer beyond float64
        raise ValueError("pixels must lie in 0-255") from error
    except ValueError as error:  # rows of different lengths
        raise shape_error from error
    if array.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"pixels must be 28 rows of 28 numbers, got shape {array.shape}")
    low, high = array.min(), array.max()
    if not 0 <= low <= high <= 255:  # False for NaN too
        if not np.all(np.isfinite(array)):
            raise ValueError("pixels must be finite numbers (no NaN or infinity)")
        raise ValueError(f"pixels must lie in 0-255, got {low:g} to {high:g}")
    return array


def prepare_items(items: Sequence[Item]) -> list[PreparedImage]:
    """Each item brought into MNIST's framing, within the request's limits on decoded
    pixels and digits (marks, ``PreparedImage.mark_count``) in all.

    Raises:
        InvalidInput: An image that cannot be read, or more pixels or digits than the
            request's limits; ``item`` names the item.
    """
    pixels_left, digits_left = MAX_REQUEST_PIXELS, MAX_REQUEST_DIGITS
    prepared = []
    for index, item in enumerate(items):
        try:
            if isinstance(item, Pixels):
                digit = (item.values / 255.0).astype(np.float32)
                prepared_item = PreparedImage.single(digit, (0, 0, IMAGE_SIZE, IMAGE_SIZE))
            else:
                image, upright_width = open_image(item.data)
                pixels_left -= image.width * image.height
                if pixels_left < 0:
                    raise ValueError(
                        f"the request's images hold more than {MAX_REQUEST_PIXELS} pixels in all"
                    )
                prepared_item = prepare_opened(image, upright_width, item.corners)
        except (ImageError, ValueError) as error:
            raise InvalidInput(str(error), index) from error
        digits_left -= prepared_item.mark_count
        if digits_left < 0:
            raise InvalidInput(
                f"the request holds more than {MAX_REQUEST_DIGITS} digits in all", index
            )
        prepared.append(prepared_item)
    return prepared


def prepare_file(file: ImageFile) -> PreparedImage | str:
    """One image file prepared on its own (``prepare_items``), or why it cannot be read."""
    try:
        (prepared,) = prepare_items([file])
    except InvalidInput as error:
        return error.reason
    return prepared


def image_bytes(image: Any) -> bytes:
    """An item's image: its bytes as they are, or decoded from base64 (``_decode_base64``).

    Raises:
        ValueError: Neither, or larger than ``MAX_IMAGE_BYTES``.
    """
    if isinstance(image, bytes | bytearray | memoryview):
        if len(image) > MAX_IMAGE_BYTES:
            raise ValueError(f"the image is larger than the limit of {MAX_IMAGE_BYTES} bytes")
        return bytes(image)
    return _decode_base64(image)


def _decode_base64(text: Any) -> bytes:
    """An image's bytes from base64: plain, in lines of 76 (as MLflow writes binary
    values), or a data URL as browsers make them.

    Raises:
        ValueError: Not a string of base64, or larger than ``MAX_IMAGE_BYTES`` once decoded.
    """
    if not isinstance(text, str):
        raise ValueError(f"image must be a base64 string, got {type(text).__name__}")
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    too_large = ValueError(f"the image is larger than the limit of {MAX_IMAGE_BYTES} bytes")
    if len(text) > _MAX_BASE64_CHARS * 77 // 76:  # with a line break per 76 characters
        raise too_large
    text = text.replace("\n", "")
    if len(text) > _MAX_BASE64_CHARS:
        raise too_large
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("image is not valid base64") from error
    if len(data) > MAX_IMAGE_BYTES:
        raise too_large
    return data
