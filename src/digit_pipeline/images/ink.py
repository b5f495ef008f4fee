"""Grayscale images to bright ink on a clean black background."""

import numpy as np
from PIL import Image
from scipy import ndimage

from digit_pipeline.images.errors import ImageError
from digit_pipeline.images.mnist import IMAGE_SIZE

# An image whose median brightness is above this is dark ink on light paper.
LIGHT_PAPER_MEDIAN = 0.5
# Less contrast than this between ink and background is a blank image.
MIN_INK_CONTRAST = 0.1
# Pixels below this fraction of Otsu's threshold are background; above it, soft edges.
INK_FLOOR_OF_THRESHOLD = 0.5
# Solid ink: this percentile of the pixels above Otsu's threshold becomes 1.
SOLID_INK_PERCENTILE = 90


def extract_ink(gray: np.ndarray) -> np.ndarray:
    """Bright ink on a clean black background, from a grayscale image in [0, 1].

    Dark ink on light paper is inverted (the paper is the majority of pixels). Uneven
    lighting and paper colour are removed by subtracting a background estimated with a
    grey opening much wider than a stroke. Pixels below half of Otsu's threshold are
    background; the rest is stretched so that solid ink is 1, keeping soft edges.

    Raises:
        ImageError: No ink: the image is blank.
    """
    ink = 1.0 - gray if np.median(gray) > LIGHT_PAPER_MEDIAN else gray
    if max(ink.shape) > 2 * IMAGE_SIZE:
        ink = np.clip(ink - _background(ink), 0.0, None)
    else:
        ink = np.clip(ink - np.median(ink), 0.0, None)
    if ink.max() < MIN_INK_CONTRAST:
        raise ImageError("no digit found: the image is blank")
    threshold = otsu_threshold(ink)
    floor = threshold * INK_FLOOR_OF_THRESHOLD
    above = ink[ink > threshold]
    solid = np.percentile(above, SOLID_INK_PERCENTILE) if above.size else ink.max()
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
