"""Where the digits of a line of writing are: the line cut into pieces finer than digits
(over-segmentation), and every way of grouping neighbouring pieces into digits that its
geometry allows, each with a prior. The reader chooses the grouping whose digits the CNN
reads with most confidence (``best_reading``); without the CNN, geometry alone chooses.

Boxes are ``(x, y, width, height)`` outside this module; inside it, ``Corners``
``(left, top, right, bottom)``, right and bottom exclusive.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from digit_pipeline.reading.images.errors import ImageError
from digit_pipeline.reading.images.pieces import INK_LEVEL, find_pieces
from digit_pipeline.reading.limits import MAX_DIGITS_PER_IMAGE, MAX_PIECES_PER_IMAGE

Box = tuple[int, int, int, int]
Corners = tuple[int, int, int, int]

# Pieces whose columns overlap by this fraction of the narrower one are one mark (a
# stroke broken across).
SAME_DIGIT_OVERLAP = 0.5
# A mark wider than this many times the line's height may be several digits touching: it
# is cut into parts about DIGIT_ASPECT times the height wide, at the columns of least ink.
MAY_BE_TOUCHING = 0.9
DIGIT_ASPECT = 0.8
# A digit is at most this many pieces, and pieces further apart than this fraction of
# the line's height are different digits.
MAX_PIECES_PER_DIGIT = 3
FRAGMENT_REACH = 0.25
# A piece lower than this fraction of the line's height, beyond reach of any other, is a
# speck: dropped.
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
# A single piece lower than FLAT times the line's height and at least twice as wide as it
# is high (a dash, a rule's remnant) may be no digit: left out of the reading at this cost.
FLAT = 0.3
DROPPED = -1.0


@dataclass(frozen=True)
class Candidate:
    """A group of a line's pieces that may be one digit.

    Attributes:
        start, stop: The pieces it groups, ``pieces[start:stop]`` of its line.
        corners: Where its ink lies.
        prior: How likely its geometry makes it a digit (log scale, 0 at best).
        dropped: How likely it is no digit at all, left out of the reading (log scale):
            a dash, or what is left of a printed rule.
    """

    start: int
    stop: int
    corners: Corners
    prior: float
    dropped: float = -np.inf


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
    parts = [_cut_touching(mark, band, height) for mark in marks]
    # Columns where a mark was cut, not where its ink ends.
    cut_columns = {part[2] for cut in parts for part in cut[:-1]}
    pieces = _drop_lone_specks(sorted(part for cut in parts for part in cut), height)
    if len(pieces) > MAX_PIECES_PER_IMAGE:
        raise too_many_digits()
    candidates = []
    for start in range(len(pieces)):
        for stop in range(start + 1, min(start + MAX_PIECES_PER_DIGIT, len(pieces)) + 1):
            if stop > start + 1 and _gap(union(pieces[start : stop - 1]), pieces[stop - 1]) > (
                FRAGMENT_REACH * height
            ):
                break
            left, piece_top, right, piece_bottom = union(pieces[start:stop])
            after_cut = start > 0 and pieces[start - 1][2] == left in cut_columns
            low = piece_bottom - piece_top
            flat = stop == start + 1 and low < FLAT * height and right - left >= 2 * low
            candidates.append(
                Candidate(
                    start,
                    stop,
                    (left, piece_top + top, right, piece_bottom + top),
                    _prior(pieces[start:stop], height) + (CUT if after_cut else 0.0),
                    DROPPED if flat else -np.inf,
                )
            )
    return candidates


def best_reading(candidates: Sequence[Candidate], scores: Sequence[float]) -> list[int]:
    """The candidates that cover the line's pieces once each, left to right, with the
    highest sum of prior plus score (the log-probability of what the CNN reads; zeros
    for geometry alone); a piece that may be no digit is read or left out, whichever is
    likelier, unless that leaves nothing. Returns their indexes."""
    if not candidates:
        return []
    pieces = max(candidate.stop for candidate in candidates)
    best = np.full(pieces + 1, -np.inf)
    best[0] = 0.0
    # Where the best reading up to each piece came from, and the candidate read (None:
    # the piece left out).
    came_from: list[tuple[int, int | None]] = [(0, None)] * (pieces + 1)
    for index in sorted(range(len(candidates)), key=lambda i: candidates[i].stop):
        candidate = candidates[index]
        for total, read in (
            (best[candidate.start] + candidate.prior + scores[index], index),
            (best[candidate.start] + candidate.dropped, None),
        ):
            if total > best[candidate.stop]:
                best[candidate.stop], came_from[candidate.stop] = total, (candidate.start, read)
    path, end = [], pieces
    while end > 0:
        end, read = came_from[end]
        if read is not None:
            path.append(read)
    if not path and any(c.dropped > -np.inf for c in candidates):
        return best_reading([replace(c, dropped=-np.inf) for c in candidates], scores)
    return path[::-1]


def reading_of(
    candidates: Sequence[Candidate], scores: Sequence[float], digits: int
) -> tuple[list[int], float] | None:
    """``best_reading`` of exactly ``digits`` digits (a line whose count is known, as a
    pattern sheet's): the candidates that cover the pieces once each with the highest
    sum of prior plus score among the groupings of that many, and that sum. None when no
    grouping has that many."""
    if not candidates or digits < 1:
        return None
    pieces = max(candidate.stop for candidate in candidates)
    best = np.full((pieces + 1, digits + 1), -np.inf)
    best[0, 0] = 0.0
    # Where the best reading of each (pieces, digits) came from, and the candidate read.
    came_from: dict[tuple[int, int], tuple[int, int, int | None]] = {}
    for index in sorted(range(len(candidates)), key=lambda i: candidates[i].stop):
        candidate = candidates[index]
        for read in range(digits + 1):
            base = best[candidate.start, read]
            if base == -np.inf:
                continue
            steps = [(read, candidate.dropped, None)]
            if read < digits:
                steps.append((read + 1, candidate.prior + scores[index], index))
            for after, gain, chosen in steps:
                if base + gain > best[candidate.stop, after]:
                    best[candidate.stop, after] = base + gain
                    came_from[candidate.stop, after] = (candidate.start, read, chosen)
    if best[pieces, digits] == -np.inf:
        return None
    path, end, read = [], pieces, digits
    while end > 0:
        end, read, chosen = came_from[end, read]
        if chosen is not None:
            path.append(chosen)
    return path[::-1], float(best[pieces, digits])


def too_many_digits() -> ImageError:
    return ImageError(f"more than {MAX_DIGITS_PER_IMAGE} digits in one image")


def union(boxes: Iterable[Corners]) -> Corners:
    """The smallest ``Corners`` that hold all of ``boxes``."""
    lefts, tops, rights, bottoms = zip(*boxes, strict=True)
    return min(lefts), min(tops), max(rights), max(bottoms)


def corners(box: Box) -> Corners:
    x, y, width, height = box
    return x, y, x + width, y + height


def _prior(pieces: Sequence[Corners], line_height: int) -> float:
    left, top, right, bottom = union(pieces)
    gaps = sum(_gap(union(pieces[:k]), pieces[k]) for k in range(1, len(pieces)))
    prior = PER_DIGIT + APART * gaps / line_height
    if bottom - top < FRAGMENT_HEIGHT * line_height:
        prior += LONE_FRAGMENT
    aspect = (right - left) / line_height
    if aspect > TOUCHING_ASPECT:
        prior += TOO_WIDE * (aspect - TOUCHING_ASPECT)
    return prior


def _gap(a: Corners, b: Corners) -> int:
    return max(0, b[0] - a[2], a[0] - b[2])


def _drop_lone_specks(pieces: list[Corners], line_height: int) -> list[Corners]:
    def alone(index: int) -> bool:
        return all(
            _gap(pieces[index], other) > FRAGMENT_REACH * line_height
            for k, other in enumerate(pieces)
            if k != index
        )

    return [
        piece
        for index, piece in enumerate(pieces)
        if piece[3] - piece[1] >= MIN_LONE_HEIGHT * line_height or not alone(index)
    ]


def merge_overlapping_columns(pieces: list[Corners]) -> list[Corners]:
    merged: list[Corners] = []
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


def _cut_touching(mark: Corners, ink: np.ndarray, line_height: int) -> list[Corners]:
    """Cut a mark wider than a digit into ``round(width / (DIGIT_ASPECT * height))``
    parts (at least two), at the columns of least ink."""
    x0, y0, x1, y1 = mark
    width = x1 - x0
    if width <= MAY_BE_TOUCHING * line_height:
        return [mark]
    parts = min(max(2, round(width / (DIGIT_ASPECT * line_height))), width // 2)
    profile = ink[y0:y1, x0:x1].sum(axis=0)
    cuts = [x0]
    for k in range(1, parts):
        centre, window = k * width // parts, max(1, width // (4 * parts))
        low, high = max(1, centre - window), min(width - 1, centre + window)
        if low < high:
            cuts.append(x0 + low + int(np.argmin(profile[low:high])))
    cuts.append(x1)
    found = []
    for left, right in zip(cuts[:-1], cuts[1:], strict=True):
        rows = np.flatnonzero(ink[y0:y1, left:right].max(axis=1) > INK_LEVEL)
        if rows.size:
            found.append((left, y0 + int(rows[0]), right, y0 + int(rows[-1]) + 1))
    return found
