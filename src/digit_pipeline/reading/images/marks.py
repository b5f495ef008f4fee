"""The marks of a line of writing: its pieces of ink (``pieces``), those whose columns
overlap merged into one (a stroke broken across), lone specks dropped. They bound the work
of reading an image (``limits``), frame all its ink as one digit, and tell an image of a
few marks (maybe one digit) from writing. The line model reads the line itself, not them.

Marks lie in ``geometry.Extent``s of the line's band of ink.
"""

from __future__ import annotations

import numpy as np

from digit_pipeline.reading.images.errors import ImageError
from digit_pipeline.reading.images.geometry import Extent, union
from digit_pipeline.reading.images.pieces import Pieces, find_pieces
from digit_pipeline.reading.limits import MAX_DIGITS_PER_IMAGE, MAX_PIECES_PER_IMAGE

# Pieces whose columns overlap by this fraction of the narrower one are one mark (a
# stroke broken across).
SAME_DIGIT_OVERLAP = 0.5
# A mark lower than MIN_LONE_HEIGHT times the line's height, further than LONE_REACH
# times it from any other mark and no wider than DASH_WIDTH times it, is a speck: dropped.
MIN_LONE_HEIGHT = 0.3
LONE_REACH = 0.25
DASH_WIDTH = 0.9


def line_marks(band: np.ndarray) -> list[Extent]:
    """The marks of a line's ``band`` of ink, left to right. Empty when it holds no ink.

    Raises:
        ImageError: More than ``MAX_PIECES_PER_IMAGE`` marks, or pieces for more than
            twice ``MAX_DIGITS_PER_IMAGE`` digits.
    """
    found = find_pieces(band)
    if not found.areas.size:
        return []
    if found.significant.sum() > 2 * MAX_DIGITS_PER_IMAGE:
        raise too_many_digits()  # checked before the work: a digit is at most a few marks
    marks = column_marks(found)
    marks = _without_lone_specks(marks, max(bottom - top for _, top, _, bottom in marks))
    if len(marks) > MAX_PIECES_PER_IMAGE:
        raise too_many_digits()
    return marks


def too_many_digits() -> ImageError:
    return ImageError(f"more than {MAX_DIGITS_PER_IMAGE} digits in one image")


def column_marks(found: Pieces) -> list[Extent]:
    """The boxes of ``found``'s pieces that are not specks, left to right, those whose
    columns overlap merged (``merge_overlapping_columns``); lone specks kept."""
    return merge_overlapping_columns(
        sorted(
            (columns.start, rows.start, columns.stop, rows.stop)
            for (rows, columns), kept in zip(found.slices, found.significant, strict=True)
            if kept
        )
    )


def merge_overlapping_columns(pieces: list[Extent]) -> list[Extent]:
    """Pieces sorted by their left edge, those whose columns overlap by
    ``SAME_DIGIT_OVERLAP`` of the narrower one merged."""
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


def _gap(a: Extent, b: Extent) -> int:
    return max(0, b[0] - a[2], a[0] - b[2])


def _without_lone_specks(marks: list[Extent], line_height: int) -> list[Extent]:
    def alone(index: int) -> bool:
        return all(
            _gap(marks[index], other) > LONE_REACH * line_height
            for k, other in enumerate(marks)
            if k != index
        )

    return [
        mark
        for index, mark in enumerate(marks)
        if mark[3] - mark[1] >= MIN_LONE_HEIGHT * line_height
        or mark[2] - mark[0] > DASH_WIDTH * line_height
        or not alone(index)
    ]
