"""The ink of one digit framed like MNIST (``digit_pipeline.reading.images.mnist``)."""

import numpy as np
from PIL import Image
from scipy import ndimage

from digit_pipeline.reading.images import morphology
from digit_pipeline.reading.images.errors import BLANK, ImageError
from digit_pipeline.reading.images.mnist import CENTRE_OF_MASS, DIGIT_BOX, IMAGE_SIZE, STROKE_WIDTH
from digit_pipeline.reading.images.pieces import INK_LEVEL

# Strokes are measured at this many times the 20-pixel digit box. There, MNIST's training
# digits' strokes are 5-14 pixels wide (5th-95th percentile), 9 in the median: a digit
# outside THIN_STROKE-BOLD_STROKE is redrawn with MNIST's stroke...
STROKE_SCALE = 4
MNIST_STROKE = STROKE_SCALE * STROKE_WIDTH
THIN_STROKE = 5.0
BOLD_STROKE = 14.0
# ...grown or thinned by at most this many pixels a side (the boldest pens need 5): more
# ink than that is a blot, not a stroke, and the disc's cost grows with its area.
MAX_STROKE_CHANGE = 6
# Crops smaller than this (pixels) keep their strokes.
MIN_STROKE_CROP = 8


def frame_digit(ink: np.ndarray) -> np.ndarray:
    """Frame the ink of one digit like MNIST: crop to the ink, scale to fit 20x20 keeping
    the aspect ratio, pad to 28x28, move the centre of mass to the centre.

    Args:
        ink: Bright ink on black, any size, values in [0, 1].

    Returns:
        (28, 28) float32 in [0, 1].

    Raises:
        ImageError: No ink.
    """
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    columns = np.flatnonzero(ink.max(axis=0) > 0)
    if rows.size == 0:
        raise ImageError(BLANK)
    crop = ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    size = _fitted(crop.shape, DIGIT_BOX)
    crop = _with_mnist_stroke(crop)
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


def _fitted(shape: tuple[int, int], box: float) -> tuple[int, int]:
    """(width, height) of an image of ``shape`` (rows, columns) scaled to fit a square of
    ``box`` pixels, its aspect ratio kept."""
    height, width = shape
    factor = box / max(height, width)
    return max(1, round(width * factor)), max(1, round(height * factor))


def _with_mnist_stroke(crop: np.ndarray) -> np.ndarray:
    """The crop redrawn with a stroke as wide as MNIST's when its own is far thinner or
    bolder (a fine pen, a marker): at ``STROKE_SCALE`` times the 20-pixel box, strokes are
    grown or thinned by grey dilation or erosion with a disc. Otherwise unchanged."""
    if max(crop.shape) < MIN_STROKE_CROP:  # a speck, not a digit
        return crop
    size = _fitted(crop.shape, STROKE_SCALE * DIGIT_BOX)
    big = np.asarray(
        Image.fromarray(crop.astype(np.float32), mode="F").resize(size, Image.Resampling.BILINEAR)
    )
    stroke = _stroke_width(big)
    if stroke is None or THIN_STROKE <= stroke <= BOLD_STROKE:
        return crop
    radius = min(round(abs(MNIST_STROKE - stroke) / 2), MAX_STROKE_CHANGE)
    if radius == 0:
        return crop
    disc = np.hypot(*np.mgrid[-radius : radius + 1, -radius : radius + 1]) <= radius
    if stroke < THIN_STROKE:
        return morphology.grey_dilated(np.pad(big, radius), disc)
    return morphology.grey_eroded(big, disc)


def _stroke_width(ink: np.ndarray) -> float | None:
    """The typical width of the strokes (pixels): twice the median depth along their
    middle lines. None without ink. Beyond the crop there is no ink."""
    mask = np.pad(ink > INK_LEVEL, 1)
    if not mask.any():
        return None
    depth = morphology.depth(mask)
    middle = mask & (depth >= morphology.grey_dilated(depth, np.ones((3, 3))))
    return 2.0 * float(np.median(depth[middle])) - 1.0
