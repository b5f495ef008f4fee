"""Turning images of handwritten digits into what the CNN reads, the way MNIST was made.

The one preprocessing module of the project: the training pipeline, the served model, the
GUI and batch prediction all call it, so what is trained on is what is served.

MNIST convention: bright ink on a black background, 28x28 pixels; the digit's bounding box
scaled to fit 20x20 (aspect ratio kept), then moved so that its centre of mass sits at the
centre of the 28x28 field. The CNN reads that as float32 in [0, 1], shape (N, 28, 28, 1).

From an image file (``prepare_image``): decode, grayscale, detect the polarity, remove
uneven lighting and paper colour, threshold (Otsu), then frame the whole ink as one digit,
and cut it into one crop per digit, left to right (``segment_digits``), framed the same way.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

IMAGE_SIZE = 28
NUM_CLASSES = 10  # the digits 0-9
DIGIT_BOX = 20
# Where MNIST puts a digit's centre of mass (row, column): the mean over its test set.
CENTRE_OF_MASS = (14.0, 14.0)

# Limits on image files; the README documents them.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_FORMATS = {"PNG", "JPEG", "MPO", "BMP", "GIF", "WEBP"}
# Larger images are reduced to this longest side right after decoding: plenty for digits.
WORKING_SIZE = 640
# More would be a page of text or a pattern, not a line of digits; it bounds the work.
MAX_DIGITS_PER_IMAGE = 100
EXIF_ORIENTATION = 0x0112


class ImageError(ValueError):
    """The input is not an image we can read digits from; the message says why."""


@dataclass(frozen=True)
class PreparedImage:
    """An input brought into MNIST's framing: what the CNN reads for it.

    Attributes:
        digit: The whole ink framed as one digit, (28, 28) float32 in [0, 1].
        crops: One framed (28, 28) crop per digit found, left to right.
        boxes: Each crop's box in the original input, ``(x, y, width, height)`` in pixels.
    """

    digit: np.ndarray
    crops: list[np.ndarray]
    boxes: list[tuple[int, int, int, int]]


def to_model_input(images: np.ndarray) -> np.ndarray:
    """Scale MNIST-convention images (values 0-255) to the CNN's input.

    Args:
        images: Array of shape (N, 28, 28), values 0-255.

    Returns:
        Array of shape (N, 28, 28, 1), float32, values in [0, 1].

    Raises:
        ValueError: The images are not (N, 28, 28) or hold values outside 0-255.
    """
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"expected images of shape (N, 28, 28), got {images.shape}")
    if images.size and (images.min() < 0 or images.max() > 255):
        raise ValueError("pixel values must lie in 0-255")
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


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
    return prepare_grayscale(*_decode(image, upright_width))


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
        digit=_frame_whole(ink, boxes),
        crops=[frame_digit(ink[y : y + h, x : x + w]) for x, y, w, h in boxes],
        boxes=[_to_original(box, scale) for box in boxes],
    )


def prepare_whole_digit(gray: np.ndarray) -> np.ndarray:
    """``prepare_grayscale(gray).digit`` without framing each crop: the whole ink framed
    as one digit, (28, 28) float32 in [0, 1].

    Raises:
        ImageError: No ink to be found.
    """
    ink = extract_ink(gray)
    return _frame_whole(ink, segment_digits(ink))


def _frame_whole(ink: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    # The whole digit spans the boxes, so specks outside them do not stretch its frame.
    left, top = min(x for x, _, _, _ in boxes), min(y for _, y, _, _ in boxes)
    right, bottom = max(x + w for x, _, w, _ in boxes), max(y + h for _, y, _, h in boxes)
    return frame_digit(ink[top:bottom, left:right])


def _decode(image: Image.Image, upright_width: int) -> tuple[np.ndarray, float]:
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
    """Decode and reduce to ``WORKING_SIZE`` at most, keeping transparency."""
    if "A" in image.getbands() or "transparency" in image.info:
        image = image.convert("LA" if image.mode in ("L", "LA") else "RGBA")
    elif image.mode not in ("L", "RGB"):
        image = image.convert("RGB" if image.mode == "P" or len(image.getbands()) > 1 else "L")
    if max(image.size) > WORKING_SIZE:
        image.thumbnail((WORKING_SIZE, WORKING_SIZE), Image.Resampling.BOX)
    return image


def _flatten_to_gray(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"))
        if alpha.min() < 255:
            luminance = np.asarray(rgba.convert("L"), dtype=np.float32)
            opaque = alpha > 127
            strokes_are_dark = not opaque.any() or luminance[opaque].mean() < 128
            background = Image.new("RGBA", rgba.size, "white" if strokes_are_dark else "black")
            return Image.alpha_composite(background, rgba).convert("L")
    return image.convert("L")


def _to_original(box: tuple[int, int, int, int], scale: float) -> tuple[int, int, int, int]:
    x, y, w, h = box
    return round(x / scale), round(y / scale), max(1, round(w / scale)), max(1, round(h / scale))


def extract_ink(gray: np.ndarray) -> np.ndarray:
    """Bright ink on a clean black background, from a grayscale image in [0, 1].

    Dark ink on light paper is inverted (the paper is the majority of pixels). Uneven
    lighting and paper colour are removed by subtracting a background estimated with a
    grey opening much wider than a stroke. Pixels below half of Otsu's threshold are
    background; the rest is stretched so that solid ink is 1, keeping soft edges.

    Raises:
        ImageError: No ink: the image is blank.
    """
    ink = 1.0 - gray if np.median(gray) > 0.5 else gray
    if max(ink.shape) > 2 * IMAGE_SIZE:
        ink = np.clip(ink - _background(ink), 0.0, None)
    else:
        ink = np.clip(ink - np.median(ink), 0.0, None)
    if ink.max() < 0.1:
        raise ImageError("no digit found: the image is blank")
    threshold = otsu_threshold(ink)
    floor = threshold / 2
    solid = np.percentile(ink[ink > threshold], 90) if np.any(ink > threshold) else ink.max()
    return np.clip((ink - floor) / max(solid - floor, 1e-6), 0.0, 1.0).astype(np.float32)


def _background(ink: np.ndarray) -> np.ndarray:
    """Slowly varying background of an image of bright strokes: a grey opening with a
    window of a quarter of the image, computed at a quarter of the resolution."""
    step = max(1, min(ink.shape) // 64)
    small = ink[::step, ::step]
    size = max(3, max(small.shape) // 4)
    background = ndimage.grey_opening(small, size=(size, size), mode="nearest")
    background = ndimage.uniform_filter(background, size=max(3, size // 2), mode="nearest")
    return resize_bilinear(background, ink.shape)


def resize_bilinear(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize a float image to ``shape`` (rows, columns) bilinearly, pixel centres aligned and
    edges held: scipy's ``ndimage.zoom(order=1, grid_mode=True, mode="nearest")`` to within
    float rounding, 5-10 times faster (Pillow)."""
    resized = Image.fromarray(image.astype(np.float32), mode="F").resize(
        (shape[1], shape[0]), Image.Resampling.BILINEAR
    )
    return np.asarray(resized)


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold: the level that best separates two classes of values in [0, 1]."""
    histogram, edges = np.histogram(values, bins=bins, range=(0.0, 1.0))
    weights = histogram.astype(np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    below = np.cumsum(weights)
    above = below[-1] - below
    mean_below = np.cumsum(weights * centres) / np.maximum(below, 1)
    mean_above = (np.sum(weights * centres) - np.cumsum(weights * centres)) / np.maximum(above, 1)
    between = below * above * (mean_below - mean_above) ** 2
    return float(edges[np.argmax(between) + 1])


def frame_digit(ink: np.ndarray) -> np.ndarray:
    """Frame the ink of one digit like MNIST: crop to the ink, scale to fit 20x20 keeping
    the aspect ratio, pad to 28x28, move the centre of mass to the centre.

    Args:
        ink: Bright ink on black, any size, values in [0, 1].

    Returns:
        (28, 28) float32 in [0, 1].
    """
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    columns = np.flatnonzero(ink.max(axis=0) > 0)
    if rows.size == 0:
        raise ImageError("no digit found: the image is blank")
    crop = ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    height, width = crop.shape
    factor = DIGIT_BOX / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    resized = Image.fromarray(crop.astype(np.float32), mode="F").resize(
        size, Image.Resampling.LANCZOS
    )
    digit = np.clip(np.asarray(resized), 0.0, 1.0)

    field = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    top, left = (IMAGE_SIZE - size[1]) // 2, (IMAGE_SIZE - size[0]) // 2
    field[top : top + size[1], left : left + size[0]] = digit
    centre = ndimage.center_of_mass(field)
    shift = (CENTRE_OF_MASS[0] - centre[0], CENTRE_OF_MASS[1] - centre[1])
    return np.clip(ndimage.shift(field, shift, order=1, mode="constant"), 0.0, 1.0)


def segment_digits(ink: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes ``(x, y, width, height)`` of the digits written left to right in an ink image.

    Connected components of the thresholded ink; pieces that overlap horizontally (a
    broken stroke) are merged into one digit; pieces much shorter than the tallest digit
    (the bar of a 5, a speck) join the digit beside them, or are dropped when far from any;
    a component much wider than tall (digits that touch) is cut at the columns of least ink.

    Raises:
        ImageError: No ink, or more than ``MAX_DIGITS_PER_IMAGE`` digits.
    """
    mask = ink > 0.5
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    if count == 0:
        raise ImageError("no digit found: the image is blank")
    areas = np.bincount(labels.ravel())[1:]
    slices = ndimage.find_objects(labels)
    boxes = [
        [s[1].start, s[0].start, s[1].stop, s[0].stop]
        for s, area in zip(slices, areas, strict=True)
        if area >= 0.02 * areas.max()
    ]
    too_many = ImageError(f"more than {MAX_DIGITS_PER_IMAGE} digits in one image")
    if len(boxes) > 2 * MAX_DIGITS_PER_IMAGE:  # a digit is at most a few marks
        raise too_many
    boxes = _attach_fragments(_merge_overlapping_columns(sorted(boxes)))
    split = [part for box in boxes for part in _split_touching(box, ink)]
    if len(split) > MAX_DIGITS_PER_IMAGE:
        raise too_many
    return [(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in split]


def _merge_overlapping_columns(boxes: list[list[int]]) -> list[list[int]]:
    merged: list[list[int]] = []
    for box in boxes:
        if merged:
            last = merged[-1]
            overlap = min(last[2], box[2]) - max(last[0], box[0])
            narrower = min(last[2] - last[0], box[2] - box[0])
            if overlap >= 0.5 * narrower:
                merged[-1] = [
                    min(last[0], box[0]),
                    min(last[1], box[1]),
                    max(last[2], box[2]),
                    max(last[3], box[3]),
                ]
                continue
        merged.append(box)
    return merged


def _attach_fragments(boxes: list[list[int]]) -> list[list[int]]:
    tallest = max(y1 - y0 for _, y0, _, y1 in boxes)
    digits = [box for box in boxes if box[3] - box[1] >= 0.5 * tallest]
    for fragment in (box for box in boxes if box[3] - box[1] < 0.5 * tallest):
        gaps = [max(0, d[0] - fragment[2], fragment[0] - d[2]) for d in digits]
        nearest = int(np.argmin(gaps))
        if gaps[nearest] <= 0.25 * tallest:
            d = digits[nearest]
            digits[nearest] = [
                min(d[0], fragment[0]),
                min(d[1], fragment[1]),
                max(d[2], fragment[2]),
                max(d[3], fragment[3]),
            ]
        elif fragment[3] - fragment[1] >= 0.3 * tallest:
            digits.append(fragment)
    return sorted(digits)


def _split_touching(box: list[int], ink: np.ndarray) -> list[list[int]]:
    """Cut a component wider than a digit into ``round(width / (0.8 * height))`` parts."""
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    if width <= 1.25 * height:
        return [box]
    parts = min(max(2, round(width / (0.8 * height))), width // 2)  # parts of 2+ columns
    profile = ink[y0:y1, x0:x1].sum(axis=0)
    cuts = [x0]
    for k in range(1, parts):
        centre, window = k * width // parts, max(1, width // (4 * parts))
        low, high = max(1, centre - window), min(width - 1, centre + window)
        if low < high:
            cuts.append(x0 + low + int(np.argmin(profile[low:high])))
    cuts.append(x1)
    pieces = []
    for left, right in zip(cuts[:-1], cuts[1:], strict=True):
        rows = np.flatnonzero(ink[y0:y1, left:right].max(axis=1) > 0.5)
        if rows.size:
            pieces.append([left, y0 + rows[0], right, y0 + rows[-1] + 1])
    return pieces
