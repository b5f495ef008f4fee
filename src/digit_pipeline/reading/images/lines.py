"""The lines of writing on a page of ink: the page turned level, the printed rules of ruled
and squared paper taken out, and the rows where each line of digits lies."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage

from digit_pipeline.reading.images import components, morphology
from digit_pipeline.reading.images.clean import subtract_printed_lines
from digit_pipeline.reading.images.marks import column_marks
from digit_pipeline.reading.images.mnist import SMALL_IMAGE
from digit_pipeline.reading.images.pieces import INK_LEVEL, find_pieces
from digit_pipeline.reading.images.rules import straight_lines

# One mark wider than this many times its height is digits touching in a row, not one.
MAX_ONE_DIGIT_ASPECT = 1.5
# Tilts tried, in degrees: a photo held by hand is within a few degrees of level.
TILTS = np.arange(-6.0, 6.01, 0.5)
TILT_RESOLUTION = 120  # pixels on the longest side to find the tilt at
# A printed rule runs straight across at least this fraction of the page, and comes with
# others (one long stroke alone is ink: the stem of a big 1).
RULE_LENGTH = 0.7
MIN_RULES = 3
RULE_SLACK = 5
# Squared paper: long lines along its rows and its columns, found however faint they are
# (a grid is often fainter than INK_LEVEL, and broken where the light leaves it).
GRID_LEVEL = 0.05
# Pieces of ink count for the rows of a line, but specks and those lower than this fraction
# of the tallest (a bar written apart): they belong to the line they are in once each line
# reaches halfway to its neighbours.
DIGIT_HEIGHT = 0.4
# Bands of rows closer than this fraction of their heights added are one line (a digit
# broken across: the sum is about its height; two lines: twice a line's height)...
LINE_GAP = 0.12
# ...and a band of rows lower than this fraction of the tallest line is part of the nearest
# line (the bar of a 5 written apart).
MIN_LINE_HEIGHT = 0.5
# On a sheet found in a photo, bands are one line only up to this many digits tall (the
# median height of the pieces: lines written close, on every rule of ruled paper); a band
# taller than that is lines that touch, cut about LINE_PITCH digits apart.
MAX_LINE_HEIGHT = 1.6
LINE_PITCH = 1.15


@dataclass(frozen=True)
class LevelledInk:
    """Ink turned level, rules out.

    Attributes:
        ink: The levelled ink, bright on black, in [0, 1].
        tilt: Degrees the ink was turned (anticlockwise) to level it.
        bands: Each line's band of rows in ``ink``, ``(top, bottom)`` with bottom
            exclusive, top to bottom; together they cover the page.
        shape: The shape of the ink before it was turned.
    """

    ink: np.ndarray
    tilt: float
    bands: list[tuple[int, int]]
    shape: tuple[int, int]

    def to_original(self, left: float, top: float, right: float, bottom: float):
        """The box, in the unturned ink's pixels, that holds a box of the levelled ink."""
        if self.tilt == 0:
            return left, top, right, bottom
        xs, ys = np.array([left, right, right, left]), np.array([top, top, bottom, bottom])
        angle = np.deg2rad(self.tilt)
        cy, cx = (self.ink.shape[0] - 1) / 2, (self.ink.shape[1] - 1) / 2
        oy, ox = (self.shape[0] - 1) / 2, (self.shape[1] - 1) / 2
        # PIL turns anticlockwise as seen: undo it with the opposite turn.
        x = np.cos(angle) * (xs - cx) - np.sin(angle) * (ys - cy) + ox
        y = np.sin(angle) * (xs - cx) + np.cos(angle) * (ys - cy) + oy
        return x.min(), y.min(), x.max(), y.max()


def find_lines(ink: np.ndarray, *, sheet: bool = False) -> LevelledInk:
    """The lines of writing in an ink image: levelled when it holds several lines, printed
    rules removed. A small image (at most ``SMALL_IMAGE`` pixels a side: a digit) is one
    line of all its rows. On a ``sheet`` found in a photo, the printed lines are out
    already, and lines written close or touching are told apart (``_line_bands``)."""
    if max(ink.shape) <= SMALL_IMAGE:
        return LevelledInk(ink=ink, tilt=0.0, bands=[(0, ink.shape[0])], shape=ink.shape)

    def without_rules(page: np.ndarray) -> np.ndarray:
        return page if sheet else _remove_rules(page)

    tilt = _tilt(ink)
    levelled = without_rules(_turn(ink, tilt) if tilt else ink)
    bands = _line_bands(levelled, sheet=sheet)
    if tilt and len(bands) < 2:  # one line: read it as it is written, tilt and all
        tilt, levelled = 0.0, without_rules(ink)
        bands = _line_bands(levelled)
    return LevelledInk(ink=levelled, tilt=tilt, bands=bands, shape=ink.shape)


def one_digit_page(ink: np.ndarray) -> LevelledInk | None:
    """The page as it is when it holds one digit: its pieces of ink make one mark (their
    columns overlap) no wider than ``MAX_ONE_DIGIT_ASPECT`` times its height, in one band
    of rows, and no printed rules run across it; then there is nothing to level. None
    otherwise."""
    merged = column_marks(find_pieces(ink))
    if len(merged) != 1 or len(_line_bands(ink)) != 1:
        return None
    ((left, top, right, bottom),) = merged
    if right - left > MAX_ONE_DIGIT_ASPECT * (bottom - top):  # digits touching in a row
        return None
    if any(_has_rules(_halved(ink), axis) for axis in (0, 1)):
        return None
    return LevelledInk(ink=ink, tilt=0.0, bands=[(0, ink.shape[0])], shape=ink.shape)


def _tilt(ink: np.ndarray) -> float:
    """The turn (degrees) that makes rows of ink sharpest: the lines level."""
    step = max(1, max(ink.shape) // TILT_RESOLUTION)
    small = np.ascontiguousarray(ink[::step, ::step], dtype=np.float32)
    sharpness = [
        np.sum(_turned(small, angle).sum(axis=1, dtype=np.float64) ** 2) for angle in TILTS
    ]
    return float(TILTS[int(np.argmax(sharpness))])


def _turned(image: np.ndarray, degrees: float) -> np.ndarray:
    """``image`` turned about its centre (anticlockwise as seen), bilinear, within its own
    frame: Pillow's ``rotate`` (the same turn at a third of its cost on small images:
    ``_tilt`` turns the page 25 times), OpenCV's ``warpAffine`` given Pillow's matrix, which
    maps output pixels' centres to the input's. At 0 degrees, the image itself."""
    if degrees == 0:
        return image
    height, width = image.shape
    cos, sin = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    # Pillow: input = rotation(output + 0.5 - centre) + centre, pixel edges at integers;
    # OpenCV's pixel centres are at integers, hence the half pixel on either side.
    centre_x, centre_y = width / 2, height / 2
    matrix = np.array(
        [
            [cos, -sin, centre_x - cos * (centre_x - 0.5) + sin * (centre_y - 0.5) - 0.5],
            [sin, cos, centre_y - sin * (centre_x - 0.5) - cos * (centre_y - 0.5) - 0.5],
        ]
    )
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(image, matrix, (width, height), flags=flags, borderValue=0)


def _turn(ink: np.ndarray, degrees: float) -> np.ndarray:
    turned = Image.fromarray(ink.astype(np.float32), mode="F").rotate(
        degrees, Image.Resampling.BILINEAR, expand=True
    )
    return np.clip(np.asarray(turned), 0.0, 1.0)


def _remove_rules(ink: np.ndarray) -> np.ndarray:
    """Take out long straight lines across the page: the rules of ruled paper, bridging the
    strokes that crossed them; a grid subtracted as on a sheet found in a photo
    (``clean.subtract_printed_lines``: each line at its own darkness along a stretch of
    it, so that its faint and broken stretches go too)."""
    halved = _halved(ink)
    straight = functools.cache(functools.partial(_straight, halved))  # each axis once
    if all(_has_rules(halved, axis, GRID_LEVEL, straight) for axis in (0, 1)):
        return subtract_printed_lines(ink)
    cleaned = ink
    for axis in (0, 1):  # rows, then columns
        if not _has_rules(halved, axis, straight=straight):
            continue
        rules = morphology.dilated(_long_lines(cleaned, axis))
        kept = np.where(rules, 0.0, cleaned)
        # A stroke crossing a rule: ink on both sides of it bridges the gap.
        across = (3 * RULE_SLACK, 1) if axis == 0 else (1, 3 * RULE_SLACK)
        bridged = ndimage.grey_closing(kept, size=across)
        cleaned = np.where(rules, bridged, kept)
    return cleaned


def _halved(ink: np.ndarray) -> np.ndarray:
    """Half the size, each pixel the brightest of four: a line one pixel thin stays."""
    height, width = ink.shape[0] // 2 * 2, ink.shape[1] // 2 * 2
    # Four strided views, not a reshape's max over two axes: 25 times faster.
    rows = np.maximum(ink[0:height:2, :width], ink[1:height:2, :width])
    return np.maximum(rows[:, 0::2], rows[:, 1::2])


def _has_rules(
    ink: np.ndarray,
    axis: int,
    level: float = INK_LEVEL / 2,
    straight: Callable[[int], np.ndarray] | None = None,
) -> bool:
    """Whether ``MIN_RULES`` or more long straight lines above ``level`` run along
    ``axis`` (0: rows). ``straight``: ``_straight`` of ``ink`` by axis, where the caller
    keeps it for another level."""
    if np.count_nonzero((ink > level).any(axis=axis)) < RULE_LENGTH * ink.shape[1 - axis]:
        return False  # the ink does not reach that far along the axis: no line can
    lines = (straight or functools.partial(_straight, ink))(axis) > level
    return components.label(lines.any(axis=1 - axis))[1] >= MIN_RULES


def _long_lines(ink: np.ndarray, axis: int, level: float = INK_LEVEL / 2) -> np.ndarray:
    """Where straight lines above ``level`` run along ``axis`` (0: rows)."""
    return _straight(ink, axis) > level


def _straight(ink: np.ndarray, axis: int) -> np.ndarray:
    """How dark a straight line runs through each pixel along ``axis`` (0: rows) for
    ``RULE_LENGTH`` of the page, straight to within ``RULE_SLACK`` pixels (what is left of
    a tilt)."""
    length = int(RULE_LENGTH * ink.shape[1 - axis])
    return straight_lines(ink.astype(np.float32), axis, length, RULE_SLACK)


def _line_bands(ink: np.ndarray, sheet: bool = False) -> list[tuple[int, int]]:
    """Bands of rows holding ink, split at empty rows: one per line of writing. On a
    ``sheet`` (level, several lines, no digit broken across its height more than a few
    pixels), bands are merged only up to ``MAX_LINE_HEIGHT`` digits, and a band taller than
    that is lines that touch, cut apart at its rows of least ink."""
    found = find_pieces(ink)
    if not found.areas.size:
        return [(0, ink.shape[0])]
    heights = np.array([rows.stop - rows.start for rows, _ in found.slices])
    pieces = found.significant
    keep = np.flatnonzero(pieces & (heights >= DIGIT_HEIGHT * heights[pieces].max())) + 1
    rows = np.isin(found.labels, keep).any(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], rows.astype(np.int8), [0]])))
    bands = [[int(top), int(bottom)] for top, bottom in zip(edges[::2], edges[1::2], strict=True)]
    digit_height = float(np.median(heights[keep - 1])) if sheet else np.inf
    merged = [bands[0]]
    for top, bottom in bands[1:]:
        last = merged[-1]
        close = top - last[1] < LINE_GAP * (last[1] - last[0] + bottom - top)
        if close and bottom - last[0] <= MAX_LINE_HEIGHT * digit_height:
            last[1] = bottom
        else:
            merged.append([top, bottom])
    if sheet:
        profile = ink.sum(axis=1)
        merged = [part for band in merged for part in _cut_lines(band, profile, digit_height)]
    tallest = max(bottom - top for top, bottom in merged)
    lines = [band for band in merged if band[1] - band[0] >= MIN_LINE_HEIGHT * tallest]
    for top, bottom in (b for b in merged if b[1] - b[0] < MIN_LINE_HEIGHT * tallest):
        nearest = min(lines, key=lambda line: max(line[0] - bottom, top - line[1]))
        nearest[0], nearest[1] = min(nearest[0], top), max(nearest[1], bottom)
    edges = [0] + [(a[1] + b[0]) // 2 for a, b in zip(lines[:-1], lines[1:])] + [ink.shape[0]]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _cut_lines(band: list[int], profile: np.ndarray, digit_height: float) -> list[list[int]]:
    """A band of rows taller than ``MAX_LINE_HEIGHT`` digits cut into lines about
    ``LINE_PITCH`` digits tall, each cut at the row of least ink (``profile``) near where
    it would fall."""
    top, bottom = band
    height = bottom - top
    if height <= MAX_LINE_HEIGHT * digit_height:
        return [band]
    count = max(2, round(height / (LINE_PITCH * digit_height)))
    window = max(1, height // (4 * count))
    cuts = [top]
    for k in range(1, count):
        low = top + k * height // count - window
        cuts.append(low + int(np.argmin(profile[low : low + 2 * window])))
    return [[a, b] for a, b in zip([*cuts], [*cuts[1:], bottom], strict=True)]
