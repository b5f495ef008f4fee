"""Where the digits of a line of writing are: the line cut into pieces finer than digits
(over-segmentation), and every way of grouping neighbouring pieces into digits that its
geometry allows, each with a prior. The reader chooses the grouping whose digits the CNN
reads with most confidence (``grouping.best_grouping``); without the CNN, geometry alone
chooses.

Pieces and candidates lie in ``geometry.Extent``s of the line's image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digit_pipeline.reading.images.errors import ImageError
from digit_pipeline.reading.images.geometry import Extent, union
from digit_pipeline.reading.images.pieces import INK_LEVEL, find_pieces
from digit_pipeline.reading.limits import MAX_DIGITS_PER_IMAGE, MAX_PIECES_PER_IMAGE

# Where a mark was cut, row by row: its first row, and the first column right of the cut in
# each row from there.
Seam = tuple[int, tuple[int, ...]]
# A piece of a line: its extent, and the seams to its left and right (None: no cut).
Part = tuple[Extent, Seam | None, Seam | None]

# Pieces whose columns overlap by this fraction of the narrower one are one mark (a
# stroke broken across).
SAME_DIGIT_OVERLAP = 0.5
# A mark wider than this many times the line's height may be several digits touching: it
# is cut into parts about DIGIT_ASPECT times the height wide, at the columns of least ink.
MAY_BE_TOUCHING = 0.9
DIGIT_ASPECT = 0.8
# It is cut at the valleys of its ink too, into parts no narrower than this many heights,
# at most MAX_CUTS parts a digit (so a digit is never more than MAX_PIECES_PER_DIGIT).
MIN_PART = 0.3
MAX_CUTS = 2
# A cut is a path through least ink within this many heights of its column; a step aside
# costs as much as this much ink.
SEAM_REACH = 0.2
SEAM_TURN = 0.05
# A digit is at most this many pieces, and pieces further apart than this fraction of
# the line's height are different digits.
MAX_PIECES_PER_DIGIT = 4
FRAGMENT_REACH = 0.25
# A piece lower than this fraction of the line's height, beyond reach of any other and not
# wider than MAY_BE_TOUCHING times it (a dash, which the search judges), is a speck: dropped.
MIN_LONE_HEIGHT = 0.3

# Priors (log scale) of a group of pieces being one digit. Each digit costs PER_DIGIT, so
# pieces close together are one digit unless reading them apart is clearly better...
PER_DIGIT = -0.2
# ...pieces apart are less likely one digit the further apart they are: this much per
# line height of gap...
APART = -8.0
# ...one lower than FRAGMENT_HEIGHT times the line's height (the bar of a 5) is unlikely
# alone...
FRAGMENT_HEIGHT = 0.5
LONE_FRAGMENT = -3.0
# ...and one wider than TOUCHING_ASPECT times the height is likely several digits: this
# much per unit of aspect beyond it.
TOUCHING_ASPECT = 1.25
TOO_WIDE = -1.0
# Reading a mark cut through its ink as two digits costs this much per cut: digits touch
# less often than a wide digit is written.
CUT = -1.0
# A mark (not a part cut from one) lower than FLAT times the line's height and at least
# twice as wide as it is high (a dash, a rule's remnant) may be no digit: left out of the
# reading at this cost.
FLAT = 0.3
DROPPED = -1.0


@dataclass(frozen=True)
class Candidate:
    """A group of a line's pieces that may be one digit.

    Attributes:
        start, stop: The pieces it groups, ``pieces[start:stop]`` of its line.
        extent: Where its ink lies.
        prior: How likely its geometry makes it a digit (log scale, 0 at best).
        dropped: How likely it is no digit at all, left out of the reading (log scale):
            a dash, or what is left of a printed rule.
        after, before: Where it was cut from the ink to its left and right (its ink lies
            from ``after`` to just before ``before``), or None.
    """

    start: int
    stop: int
    extent: Extent
    prior: float
    dropped: float = -np.inf
    after: Seam | None = None
    before: Seam | None = None

    def own_ink(self, ink: np.ndarray) -> np.ndarray:
        """Its ink: ``ink`` within its extent, without what lies beyond its seams."""
        left, top, right, bottom = self.extent
        crop = ink[top:bottom, left:right]
        if self.after is None and self.before is None:
            return crop
        crop = crop.copy()
        columns = np.arange(left, right)
        for seam, beyond in ((self.after, np.less), (self.before, np.greater_equal)):
            if seam is not None:
                first, cut = seam
                start, stop = max(top, first), min(bottom, first + len(cut))
                at = np.asarray(cut[start - first : stop - first])[:, None]
                rows = crop[start - top : stop - top]
                rows[beyond(columns, at)] = 0.0
        return crop


def line_candidates(ink: np.ndarray, top: int, bottom: int) -> list[Candidate]:
    """Every grouping of the pieces of the line in rows ``top:bottom`` that may be a
    digit, in ``ink``'s coordinates. Empty when the line holds no ink.

    Raises:
        ImageError: More than ``MAX_PIECES_PER_IMAGE`` pieces.
    """
    band = ink[top:bottom]
    found = find_pieces(band)
    if not found.areas.size:
        return []
    significant = found.significant  # specks of the line dropped
    if np.count_nonzero(significant) > 2 * MAX_DIGITS_PER_IMAGE:
        raise too_many_digits()  # checked before the work: a digit is at most a few marks
    marks = merge_overlapping_columns(
        sorted(
            (columns.start, rows.start, columns.stop, rows.stop)
            for (rows, columns), kept in zip(found.slices, significant, strict=True)
            if kept
        )
    )
    height = max(bottom - top for _, top, _, bottom in marks)
    # Left to right by mark, and within a mark in the order of its cuts: a part beyond a
    # slanted cut may begin left of the part before it.
    parts = [piece for mark in marks for piece in _cut_touching(mark, band, height)]
    parts = _drop_lone_specks(parts, height)
    pieces = [extent for extent, _, _ in parts]
    if len(pieces) > MAX_PIECES_PER_IMAGE:
        raise too_many_digits()

    def in_line(seam: Seam | None) -> Seam | None:
        return None if seam is None else (seam[0] + top, seam[1])

    candidates = []
    for start in range(len(pieces)):
        for stop in range(start + 1, min(start + MAX_PIECES_PER_DIGIT, len(pieces)) + 1):
            if stop > start + 1 and _gap(union(pieces[start : stop - 1]), pieces[stop - 1]) > (
                FRAGMENT_REACH * height
            ):
                break
            left, piece_top, right, piece_bottom = union(pieces[start:stop])
            after, before = parts[start][1], parts[stop - 1][2]
            low = piece_bottom - piece_top
            whole_mark = stop == start + 1 and after is None and before is None
            flat = whole_mark and low < FLAT * height and right - left >= 2 * low
            candidates.append(
                Candidate(
                    start,
                    stop,
                    (left, piece_top + top, right, piece_bottom + top),
                    _prior(pieces[start:stop], height) + (CUT if after is not None else 0.0),
                    DROPPED if flat else -np.inf,
                    in_line(after),
                    in_line(before),
                )
            )
    return candidates


def too_many_digits() -> ImageError:
    return ImageError(f"more than {MAX_DIGITS_PER_IMAGE} digits in one image")


def _prior(pieces: Sequence[Extent], line_height: int) -> float:
    left, top, right, bottom = union(pieces)
    gaps = sum(_gap(union(pieces[:k]), pieces[k]) for k in range(1, len(pieces)))
    prior = PER_DIGIT + APART * gaps / line_height
    if bottom - top < FRAGMENT_HEIGHT * line_height:
        prior += LONE_FRAGMENT
    aspect = (right - left) / line_height
    if aspect > TOUCHING_ASPECT:
        prior += TOO_WIDE * (aspect - TOUCHING_ASPECT)
    return prior


def _gap(a: Extent, b: Extent) -> int:
    return max(0, b[0] - a[2], a[0] - b[2])


def _drop_lone_specks(parts: list[Part], line_height: int) -> list[Part]:
    pieces = [extent for extent, _, _ in parts]

    def alone(index: int) -> bool:
        return all(
            _gap(pieces[index], other) > FRAGMENT_REACH * line_height
            for k, other in enumerate(pieces)
            if k != index
        )

    return [
        part
        for index, (part, piece) in enumerate(zip(parts, pieces, strict=True))
        if piece[3] - piece[1] >= MIN_LONE_HEIGHT * line_height
        or piece[2] - piece[0] > MAY_BE_TOUCHING * line_height  # a dash: the search judges it
        or not alone(index)
    ]


def merge_overlapping_columns(pieces: list[Extent]) -> list[Extent]:
    merged: list[Extent] = []
    for piece in pieces:
        if merged:
            last = merged[-1]
            overlap = min(last[2], piece[2]) - max(last[0], piece[0])
            narrower = min(last[2] - last[0], piece[2] - piece[0])
            if overlap >= SAME_DIGIT_OVERLAP * narrower:
                merged[-1] = union([last, piece])
                continue
        merged.append(piece)
    return merged


def _cut_touching(mark: Extent, ink: np.ndarray, line_height: int) -> list[Part]:
    """Cut a mark wider than a digit (and not as low as a dash) where digits may meet, for
    the search to group back:
    near the columns of least ink about every ``DIGIT_ASPECT`` line heights, and near each
    valley of the ink's column profile (a thin stroke joining two digits), the deepest
    first, no two closer than ``MIN_PART`` line heights: about two parts a digit. Each cut
    is the path from top to bottom through least ink (``_seam``), so that it can pass
    between digits that overlap. Returns the parts, left to right: their extents and the
    seams to their left and right (None: the mark's edge)."""
    x0, y0, x1, y1 = mark
    width = x1 - x0
    if width <= MAY_BE_TOUCHING * line_height or y1 - y0 < FLAT * line_height:
        return [(mark, None, None)]  # one digit, or a dash
    region = ink[y0:y1, x0:x1]
    profile = region.sum(axis=0)
    parts = min(max(2, round(width / (DIGIT_ASPECT * line_height))), width // 2)
    cuts = []
    for k in range(1, parts):
        centre, window = k * width // parts, max(1, width // (4 * parts))
        low, high = max(1, centre - window), min(width - 1, centre + window)
        if low < high:
            cuts.append(low + int(np.argmin(profile[low:high])))
    apart = max(1, round(MIN_PART * line_height))
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    valleys = [
        x
        for x in range(apart, width - apart)
        if smooth[x] <= smooth[x - 1] and smooth[x] < smooth[x + 1]
    ]
    for x in sorted(valleys, key=lambda x: smooth[x]):
        if len(cuts) < MAX_CUTS * parts - 1 and all(abs(x - cut) >= apart for cut in cuts):
            cuts.append(x)
    reach = max(1, round(SEAM_REACH * line_height))
    seams = [_seam(region, cut, reach) for cut in sorted(cuts)]
    bounds = [np.zeros(y1 - y0, dtype=int), *seams, np.full(y1 - y0, width)]
    found = []
    columns = np.arange(width)
    for k, (left, right) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        between = (columns >= left[:, None]) & (columns < right[:, None])
        rows, cols = np.nonzero(between & (region > INK_LEVEL))
        if not rows.size:
            continue
        part = (x0 + int(cols.min()), y0 + int(rows.min()), x0 + int(cols.max()) + 1,
                y0 + int(rows.max()) + 1)  # fmt: skip
        after, before = (
            None if k + side in (0, len(bounds) - 1) else (y0, tuple(int(x0 + c) for c in seam))
            for side, seam in ((0, left), (1, right))
        )
        found.append((part, after, before))
    return found


def _seam(region: np.ndarray, column: int, reach: int) -> np.ndarray:
    """The path from the top of ``region`` to its bottom, one column per row, that
    crosses least ink, within ``reach`` columns of ``column`` and moving at most one column
    a row (a straight path costs a little less). Returns its column in each row."""
    low, high = max(1, column - reach), min(region.shape[1] - 1, column + reach + 1)
    if low >= high:
        return np.full(region.shape[0], column)
    cost = region[:, low:high].astype(np.float64)
    total = cost[0].copy()
    moves = np.zeros(cost.shape, dtype=np.int8)
    for row in range(1, len(cost)):
        left = np.concatenate([[np.inf], total[:-1]]) + SEAM_TURN
        right = np.concatenate([total[1:], [np.inf]]) + SEAM_TURN
        choices = np.stack([left, total, right])
        moves[row] = choices.argmin(axis=0) - 1
        total = choices.min(axis=0) + cost[row]
    path = np.empty(len(cost), dtype=int)
    path[-1] = int(total.argmin())
    for row in range(len(cost) - 1, 0, -1):
        path[row - 1] = path[row] + moves[row, path[row]]
    return path + low
