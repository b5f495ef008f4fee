"""Grayscale images to bright ink on a clean black background."""

import numpy as np
from PIL import Image
from scipy import ndimage

from digit_pipeline.reading.images import components, morphology
from digit_pipeline.reading.images.errors import BLANK, ImageError
from digit_pipeline.reading.images.mnist import SMALL_IMAGE

# The median absolute deviation times this is the standard deviation of normal noise.
MAD_TO_SIGMA = 1.4826

# Ink is the side on which the image departs furthest from the paper (its median), at
# this percentile from either end (ink may cover a fraction of a percent of a photo).
INK_TAIL_PERCENTILE = 0.2
# Less contrast than this between ink and background is a blank image.
MIN_INK_CONTRAST = 0.1
# The background is estimated with a window of a quarter of the image's longest side...
BACKGROUND_WINDOW_OF_IMAGE = 4
# When this many times the ink's widest part (loops filled) exceeds that window (a bold
# pen), the background is taken from the paper around the ink instead, its light smoothed
# over 1/PAPER_LIGHT_SCALE of the image.
BACKGROUND_WINDOW_OF_INK = 2.5
PAPER_LIGHT_SCALE = 6
# Pixels below this fraction of the marks' threshold are background; above it, soft edges.
INK_FLOOR_OF_THRESHOLD = 0.5
# Marks of ink stand above this fraction of Otsu's threshold (faint strokes beside dark
# ones), and this many times the paper's noise.
FAINT_OF_THRESHOLD = 0.35
NOISE_SIGMAS = 6
# A mark's solid level is at least this many times that threshold.
MIN_MARK_LEVEL = 2
# In a small image (a digit alone), ink down to this fraction of Otsu's threshold is kept
# where it is connected to ink above it, or down to this many times the noise if higher.
FAINT_FLOOR_OF_THRESHOLD = 0.1
SMALL_NOISE_SIGMAS = 2
# A mark that touches the image's frame, where it is not ink, is left out above this level.
FRAME_MARK_LEVEL = 0.1
# Solid ink: this percentile of the pixels above Otsu's threshold becomes 1.
SOLID_INK_PERCENTILE = 90


def extract_ink(
    gray: np.ndarray, *, pen_on_paper: bool = False, edges_out: bool = False
) -> np.ndarray:
    """Bright ink on a clean black background, from a grayscale image in [0, 1].

    Dark ink on light or grey paper is inverted. Uneven lighting and paper colour are
    removed by subtracting a background estimated with a grey opening much wider than a
    stroke; for a bold pen, whose strokes are as wide as that, from the paper around the
    ink. Then each mark of ink is stretched by its own level so that solid ink is 1, faint
    marks too, keeping soft edges. A small image (a digit alone, 56 pixels a side at most)
    is stretched as a whole, and its faint ink kept where it continues a stroke.
    ``pen_on_paper``: the ink is dark and its strokes a pen's, whatever the image's tones
    say (a photo whose sheet was not found, the sheet brighter than the desk around it).
    ``edges_out``: marks that touch the image's frame are not ink (``without_marks_on_frame``).

    Raises:
        ImageError: No ink: the image is blank.
    """
    ink = 1.0 - gray if pen_on_paper or _dark_ink(gray) else gray
    if max(ink.shape) > SMALL_IMAGE:
        window = max(ink.shape) / BACKGROUND_WINDOW_OF_IMAGE
        flat = np.clip(ink - _background(ink, window), 0.0, None)
        strokes = morphology.holes_filled(
            morphology.opened(flat > otsu_threshold(flat))  # specks of noise out
        )
        widest = _widest(strokes)
        if BACKGROUND_WINDOW_OF_INK * widest > window and not pen_on_paper:  # a bold pen
            # The opening took the inside of the widest strokes for background: what
            # stands out from the whole image near them is ink too.
            near = morphology.depth(~strokes) < widest / 2
            strokes |= near & (ink > otsu_threshold(ink))
            flat = np.clip(ink - _paper_background(ink, strokes), 0.0, None)
        if flat.max() < MIN_INK_CONTRAST:
            raise ImageError(BLANK)
        stretched = _stretch_each_mark(flat)
        return without_marks_on_frame(stretched) if edges_out else stretched
    ink = np.clip(ink - np.median(ink), 0.0, None)
    if ink.max() < MIN_INK_CONTRAST:
        raise ImageError(BLANK)
    threshold = otsu_threshold(ink)
    # As low as a faint stroke on a clean image; above the noise on a noisy one.
    floor = threshold * np.clip(
        SMALL_NOISE_SIGMAS * noise(ink) / threshold,
        FAINT_FLOOR_OF_THRESHOLD,
        INK_FLOOR_OF_THRESHOLD,
    )
    # Faint ink is kept where it continues a stroke (a fine pen's thin parts), not alone.
    faint, _ = components.label(ink > floor)
    strokes = np.isin(faint, np.unique(faint[ink > threshold]))
    above = ink[ink > threshold]
    solid = np.percentile(above, SOLID_INK_PERCENTILE) if above.size else ink.max()
    stretched = np.clip((ink - floor) / max(solid - floor, 1e-6), 0.0, 1.0)
    return (stretched * strokes).astype(np.float32)


def without_marks_on_frame(ink: np.ndarray) -> np.ndarray:
    """``ink`` without the marks that touch the image's frame: in a photo whose sheet was
    not found, the sheet's edges, the desk's and things on it, not writing.

    Raises:
        ImageError: Nothing else is left: the image is blank.
    """
    labels, stats = components.label_with_stats(ink > FRAME_MARK_LEVEL)
    on_frame = components.reaching_the_border(stats, 1, ink.shape)
    on_frame[0] = False  # the background
    if not on_frame.any():
        return ink
    kept = np.where(on_frame[labels], 0.0, ink).astype(np.float32)
    if kept.max() < MIN_INK_CONTRAST:
        raise ImageError(BLANK)
    return kept


def _dark_ink(gray: np.ndarray) -> bool:
    """Whether the ink is darker than the paper: the image's darkest pixels stand further
    below its median (the paper, light or grey) than its brightest stand above it."""
    low, median, high = np.percentile(gray, [INK_TAIL_PERCENTILE, 50, 100 - INK_TAIL_PERCENTILE])
    return median - low > high - median


def _stretch_each_mark(flat: np.ndarray) -> np.ndarray:
    """Stretch each mark of ink by its own solid level, so that a faint digit beside a
    dark one is read as well. Marks are what stands above a fraction of Otsu's threshold,
    and well above the paper's noise; each pixel takes the level of the nearest mark."""
    # The paper's grain: JPEG smooths a photo's noise into blotches that differences between
    # neighbouring pixels miss, so the spread of the whole (mostly paper) counts too.
    paper = float(np.median(flat))
    grain = max(noise(flat), MAD_TO_SIGMA * float(np.median(np.abs(flat - paper))))
    threshold = max(FAINT_OF_THRESHOLD * otsu_threshold(flat), paper + NOISE_SIGMAS * grain)
    labels, count = components.label(flat > threshold)
    if count == 0:
        raise ImageError(BLANK)
    solid = _percentile_per_label(flat, labels, count, SOLID_INK_PERCENTILE)
    # A mark barely above the threshold is noise, not faint ink: not stretched to solid.
    solid = np.maximum(solid, MIN_MARK_LEVEL * threshold)
    if count == 1:  # one mark: the nearest to every pixel
        level = solid[0]
    else:
        level = np.concatenate([[1.0], solid])[morphology.nearest_label(labels)]
    floor = threshold * INK_FLOOR_OF_THRESHOLD
    return np.clip((flat - floor) / np.maximum(level - floor, 1e-6), 0.0, 1.0).astype(np.float32)


def noise(image: np.ndarray) -> float:
    """The standard deviation of the image's noise: from the spread of differences between
    neighbouring pixels (robust to the few at the edges of strokes)."""
    steps = np.diff(image, axis=1)
    return MAD_TO_SIGMA * float(np.median(np.abs(steps - np.median(steps)))) / np.sqrt(2)


def _percentile_per_label(
    values: np.ndarray, labels: np.ndarray, count: int, percentile: float
) -> np.ndarray:
    """The ``percentile`` of ``values`` within each of labels 1..count (nearest rank)."""
    inside = labels > 0
    label, value = labels[inside], values[inside]
    order = np.lexsort((value, label))
    sizes = np.bincount(label, minlength=count + 1)[1:]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    ranks = starts + np.floor(percentile / 100 * (sizes - 1)).astype(int)
    return value[order][ranks]


def _background(ink: np.ndarray, window: float) -> np.ndarray:
    """Slowly varying background of an image of bright strokes: a grey opening with a
    ``window`` (pixels) wider than any stroke, computed at a reduced resolution."""
    step = max(1, min(ink.shape) // 64)
    small = ink[::step, ::step]
    size = int(min(max(3, window / step), 2 * max(small.shape)))
    background = ndimage.grey_opening(small, size=(size, size), mode="nearest")
    background = ndimage.uniform_filter(background, size=max(3, size // 2), mode="nearest")
    return resize_bilinear(background, ink.shape)


def _widest(mask: np.ndarray) -> float:
    """The width (pixels) of the thickest part of a mask."""
    step = max(1, min(mask.shape) // 128)
    return 2.0 * float(morphology.depth(mask[::step, ::step]).max()) * step


def _paper_background(ink: np.ndarray, strokes: np.ndarray) -> np.ndarray:
    """The background seen on the paper only, around ``strokes`` (ink, loops filled),
    interpolated under them: a Gaussian average of the paper's pixels."""
    step = max(1, min(ink.shape) // 64)
    paper = ~morphology.dilated(strokes[::step, ::step], iterations=2)
    if not paper.any():
        return np.full(ink.shape, np.median(ink), dtype=np.float32)
    small = ink[::step, ::step] * paper
    sigma = max(paper.shape) / PAPER_LIGHT_SCALE
    weight = ndimage.gaussian_filter(paper.astype(np.float32), sigma, mode="nearest")
    background = ndimage.gaussian_filter(small, sigma, mode="nearest") / np.maximum(weight, 1e-3)
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
