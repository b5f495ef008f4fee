"""A rectified page made even and cleaned of all that is not writing: the paper's own
light divided out, printed lines (rules, a margin, a grid) subtracted, and dots, specks,
a binding's holes and what reaches in from the edge taken off, with OpenCV."""

from __future__ import annotations

import cv2
import numpy as np

from digit_pipeline.reading.images import components
from digit_pipeline.reading.images.rules import along, straight_lines

# The paper's brightness is taken from this fraction of the page's longest side around
# each pixel (at least MIN_PAPER_REACH pixels): wider than a stroke, narrower than a shadow's
# edge; and never more than STEP_MARGIN brighter than the page closed over by a square
# STEP_REACH times as wide (wider than a bold digit), which follows a shadow's sharp edge.
PAPER_REACH = 1 / 40
MIN_PAPER_REACH = 9
STEP_REACH = 3
STEP_MARGIN = 0.02
# A printed line runs straight along at least this fraction of the page's width or height,
# at least PRINTED_LINE dark; its darkness is its own along LOCAL_LINE_LENGTH of it.
PRINTED_LINE_LENGTH = 1 / 3
PRINTED_LINE = 0.05
LOCAL_LINE_LENGTH = 1 / 8
LINE_SLACK = 5
# Darker than this many times the printed line under it is a pen's stroke across it.
CROSSING = 2
# What is left of a printed line thinner than this (pixels, across it) is not a stroke.
STROKE_ACROSS = 3
# Darkness below this fraction of the ink's (the INK_PERCENTILE of the page's darkness) is
# paper: what is left of a printed line, noise.
RESIDUE_OF_INK = 0.25
INK_PERCENTILE = 99.5
# Marks smaller than this fraction of the page's longest side both ways are dots (dotted
# paper) or specks, not writing; up to twice that, those under DOT_OF_WRITING of the
# writing's marks (their WRITING_PERCENTILE, of the marks over twice DOT_SIZE).
DOT_SIZE = 0.009
DOT_OF_WRITING = 0.25
WRITING_PERCENTILE = 50
# This fraction of the page's longest side along its edges is paper, whatever is there.
EDGE = 0.012
# A binding's or a punch's holes: solid round or oblong marks (at least HOLE_FILL of their
# box and HOLE_SOLIDITY of their convex hull; at most HOLE_ASPECT times longer than wide),
# at most HOLE_SIZE of the page's longest side across, within HOLE_BAND of it from an
# edge, each with a twin as deep in and as large, within HOLE_ALIKE of the longest side.
HOLE_FILL = 0.6
HOLE_SOLIDITY = 0.85
HOLE_ALIKE = 0.002
HOLE_ASPECT = 2.5
HOLE_SIZE = 0.035
HOLE_BAND = 0.08


def clean_page(gray: np.ndarray) -> np.ndarray:
    """A rectified page (float32 in [0, 1], dark ink on paper) with its light made even and
    its printed lines taken out: the page divided by the paper's own brightness around each
    pixel (a shadow darkens ink and paper alike, up to its edge), then long straight lines
    along its rows and columns (rules, a margin, a grid, the sheet's edge) subtracted from
    its darkness. A stroke that crosses a rule keeps what is darker than the rule."""
    height, width = gray.shape
    reach = max(MIN_PAPER_REACH, round(max(height, width) * PAPER_REACH))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))
    # The brightest around, smoothed, held down to the page closed over: the shadowed paper
    # along a shadow's sharp edge is not read as a band of ink (which, reaching the
    # border, took the strokes that touch it away).
    paper = cv2.GaussianBlur(cv2.dilate(gray, disc), (0, 0), reach / 2)
    step = STEP_REACH * reach
    closed = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, np.ones((step, step), np.uint8))
    paper = np.minimum(paper, closed * (1 + STEP_MARGIN))
    darkness = 1.0 - np.clip(gray / np.maximum(paper, 1e-3), 0.0, 1.0)
    written = subtract_printed_lines(darkness)
    # Dots, specks and a binding's holes are not writing; nor is what reaches in from the
    # edge (a thumb, the desk past a torn edge). The sheet's very edge, a sliver of the
    # desk perhaps, is paper.
    side = max(height, width)
    border = max(1, round(side * EDGE))
    labels, stats = components.label_with_stats(written > 0)
    dots = _dots(stats, round(side * DOT_SIZE))
    not_writing = (
        dots
        | _holes(labels, stats, side, among=~dots)
        | components.reaching_the_border(stats, border, labels.shape)
    )
    not_writing[0] = False  # the paper
    written[not_writing[labels]] = 0.0
    cleaned = 1.0 - written
    cleaned[:border], cleaned[-border:], cleaned[:, :border], cleaned[:, -border:] = 1, 1, 1, 1
    return cleaned


def subtract_printed_lines(darkness: np.ndarray) -> np.ndarray:
    """``darkness`` (0: paper) less its long straight lines along its rows and columns
    (rules, a margin, a grid), and less what is left of them: a stroke that crosses a line
    keeps what is darker than the line."""
    darkness = darkness.astype(np.float32, copy=False)
    along_rows, along_columns = _straight_lines(darkness, 0), _straight_lines(darkness, 1)
    printed = np.maximum(along_rows, along_columns)
    # A stroke across a line is far darker than the line: it keeps all its darkness...
    crossing = darkness > CROSSING * printed
    written = np.where(crossing, darkness, darkness - printed)
    # ...and is thicker than the line: a line's dark stretches (a thin line slanting over
    # rows of pixels is darker where it falls on one than where two share it) are not.
    for lines, axis in ((along_rows, 0), (along_columns, 1)):
        across = cv2.morphologyEx(written, cv2.MORPH_OPEN, along(STROKE_ACROSS, 1 - axis))
        written = np.where(crossing & (lines > PRINTED_LINE), np.minimum(written, across), written)
    # What is left of a line (its noise, JPEG's smear of its colour) is far fainter than ink.
    floor = RESIDUE_OF_INK * float(np.percentile(written, INK_PERCENTILE))
    return np.clip(written - floor, 0.0, 1.0)


def _holes(labels: np.ndarray, stats: np.ndarray, side: int, among: np.ndarray) -> np.ndarray:
    """Of the marks ``among`` those on a page (``components.label_with_stats``'s
    ``labels`` and ``stats``) whose longest side is ``side`` pixels, the holes of a spiral
    binding or a punch along its edges: solid, convex marks near an edge, each with a twin
    along the same edge (as deep in, as large). A bold digit near the edge has no twin so
    alike."""
    height, width = labels.shape
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    widths, heights = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    insets = np.stack([left, top, width - left - widths, height - top - heights], axis=1)
    edge, inset = insets.argmin(axis=1), insets.min(axis=1)
    longer, shorter = np.maximum(widths, heights), np.minimum(widths, heights)
    solid = stats[:, cv2.CC_STAT_AREA] >= HOLE_FILL * widths * heights
    candidates = among & (inset <= HOLE_BAND * side) & solid & (longer <= HOLE_SIZE * side)
    candidates &= longer <= HOLE_ASPECT * shorter
    candidates[0] = False  # the paper
    for label in np.flatnonzero(candidates):
        x, y, w, h = left[label], top[label], widths[label], heights[label]
        candidates[label] = _solidity(labels[y : y + h, x : x + w] == label) >= HOLE_SOLIDITY
    found = np.flatnonzero(candidates)
    holes = np.zeros(len(stats), bool)
    for label in found:
        twins = found[
            (found != label)
            & (edge[found] == edge[label])
            & (np.abs(inset[found] - inset[label]) <= HOLE_ALIKE * side)
            & (np.abs(widths[found] - widths[label]) <= HOLE_ALIKE * side)
            & (np.abs(heights[found] - heights[label]) <= HOLE_ALIKE * side)
        ]
        holes[label] = twins.size > 0
    return holes


def _solidity(mark: np.ndarray) -> float:
    """How much of its convex hull a mark fills: nearly all for a disc or an ellipse, less
    for strokes however bold (the inside of a bend, the gap of a loop)."""
    points = cv2.findNonZero(mark.astype(np.uint8))
    hull = cv2.convexHull(points)
    # Pixel centres: the hull runs half a pixel inside the mark's edge all round.
    area = cv2.contourArea(hull) + cv2.arcLength(hull, True) / 2 + 1
    return float(np.count_nonzero(mark)) / area


def _dots(stats: np.ndarray, size: int) -> np.ndarray:
    """Of the marks on a page (``components.label_with_stats``'s ``stats``), those
    smaller than ``size`` pixels both ways, or than a quarter of the writing's marks (up
    to twice ``size``): the dots of dotted paper, specks."""
    widths, heights = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    sides = np.maximum(widths, heights)[1:]
    writing = sides[sides >= 2 * size]  # marks twice a dot's size at the page's scale
    if writing.size:
        typical = float(np.percentile(writing, WRITING_PERCENTILE))
        size = min(max(size, round(DOT_OF_WRITING * typical)), 2 * size)
    small = (widths < size) & (heights < size)
    small[0] = False  # the paper
    return small


def _straight_lines(darkness: np.ndarray, axis: int) -> np.ndarray:
    """The darkness of straight lines along ``axis`` (0: rows) for ``PRINTED_LINE_LENGTH``
    of the page, within ``LINE_SLACK`` pixels across (what perspective left of a tilt),
    each at its own darkness along ``LOCAL_LINE_LENGTH`` of it (light falls unevenly on a
    line: its darkest stretch would leave the rest of it behind)."""
    size = darkness.shape[1 - axis]
    length, local = (
        max(3, round(size * share)) for share in (PRINTED_LINE_LENGTH, LOCAL_LINE_LENGTH)
    )
    lines = straight_lines(darkness, axis, length, LINE_SLACK)
    nearby = straight_lines(darkness, axis, local, LINE_SLACK)
    return np.where(lines > PRINTED_LINE, np.maximum(lines, nearby), lines)
