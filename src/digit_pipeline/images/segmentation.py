"""Where the digits are in an ink image written left to right: one box per digit.

Boxes are ``(x, y, width, height)`` outside this module; inside it, ``Corners``
``(left, top, right, bottom)``, right and bottom exclusive.
"""

from collections.abc import Iterable

import numpy as np
from scipy import ndimage

from digit_pipeline.images.errors import ImageError

Box = tuple[int, int, int, int]
Corners = tuple[int, int, int, int]

# More would be a page of text or a pattern, not a line of digits; it bounds the work.
MAX_DIGITS_PER_IMAGE = 100
# Ink above this level makes up the connected pieces.
INK_LEVEL = 0.5
# Pieces smaller than this fraction of the largest piece's area are specks, dropped.
MIN_PIECE_AREA = 0.02
# Pieces whose columns overlap by this fraction of the narrower one are one digit.
SAME_DIGIT_OVERLAP = 0.5
# Pieces shorter than this fraction of the tallest digit are fragments (the bar of a 5)...
FRAGMENT_HEIGHT = 0.5
# ...joined to a digit within this fraction of the tallest digit's height...
FRAGMENT_REACH = 0.25
# ...or, when far from any, kept as a digit of their own only if at least this tall.
MIN_LONE_HEIGHT = 0.3
# A piece wider than this many times its height is several digits touching...
TOUCHING_ASPECT = 1.25
# ...cut into parts about this many times its height wide.
DIGIT_ASPECT = 0.8


def segment_digits(ink: np.ndarray) -> list[Box]:
    """Boxes of the digits written left to right in an ink image.

    Connected components of the thresholded ink; pieces that overlap horizontally (a
    broken stroke) are merged into one digit; pieces much shorter than the tallest digit
    (the bar of a 5, a speck) join the digit beside them, or are dropped when far from any;
    a component much wider than tall (digits that touch) is cut at the columns of least ink.

    Raises:
        ImageError: No ink, or more than ``MAX_DIGITS_PER_IMAGE`` digits.
    """
    labels, count = ndimage.label(ink > INK_LEVEL, structure=np.ones((3, 3)))
    if count == 0:
        raise ImageError("no digit found: the image is blank")
    areas = np.bincount(labels.ravel())[1:]
    slices = ndimage.find_objects(labels)
    pieces = [
        (columns.start, rows.start, columns.stop, rows.stop)
        for (rows, columns), area in zip(slices, areas, strict=True)
        if area >= MIN_PIECE_AREA * areas.max()
    ]
    too_many = ImageError(f"more than {MAX_DIGITS_PER_IMAGE} digits in one image")
    if len(pieces) > 2 * MAX_DIGITS_PER_IMAGE:  # a digit is at most a few marks
        raise too_many
    digits = _attach_fragments(_merge_overlapping_columns(sorted(pieces)))
    split = [part for digit in digits for part in _split_touching(digit, ink)]
    if len(split) > MAX_DIGITS_PER_IMAGE:
        raise too_many
    return [(left, top, right - left, bottom - top) for left, top, right, bottom in split]


def union(boxes: Iterable[Corners]) -> Corners:
    """The smallest ``Corners`` that hold all of ``boxes``."""
    lefts, tops, rights, bottoms = zip(*boxes, strict=True)
    return min(lefts), min(tops), max(rights), max(bottoms)


def corners(box: Box) -> Corners:
    x, y, width, height = box
    return x, y, x + width, y + height


def _merge_overlapping_columns(pieces: list[Corners]) -> list[Corners]:
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


def _attach_fragments(pieces: list[Corners]) -> list[Corners]:
    tallest = max(bottom - top for _, top, _, bottom in pieces)
    digits = [p for p in pieces if p[3] - p[1] >= FRAGMENT_HEIGHT * tallest]
    for fragment in (p for p in pieces if p[3] - p[1] < FRAGMENT_HEIGHT * tallest):
        gaps = [max(0, d[0] - fragment[2], fragment[0] - d[2]) for d in digits]
        nearest = int(np.argmin(gaps))
        if gaps[nearest] <= FRAGMENT_REACH * tallest:
            digits[nearest] = union([digits[nearest], fragment])
        elif fragment[3] - fragment[1] >= MIN_LONE_HEIGHT * tallest:
            digits.append(fragment)
    return sorted(digits)


def _split_touching(piece: Corners, ink: np.ndarray) -> list[Corners]:
    """Cut a piece wider than a digit into ``round(width / (DIGIT_ASPECT * height))``
    parts, at the columns of least ink."""
    x0, y0, x1, y1 = piece
    width, height = x1 - x0, y1 - y0
    if width <= TOUCHING_ASPECT * height:
        return [piece]
    parts = min(max(2, round(width / (DIGIT_ASPECT * height))), width // 2)  # 2+ columns each
    profile = ink[y0:y1, x0:x1].sum(axis=0)
    cuts = [x0]
    for k in range(1, parts):
        centre, window = k * width // parts, max(1, width // (4 * parts))
        low, high = max(1, centre - window), min(width - 1, centre + window)
        if low < high:
            cuts.append(x0 + low + int(np.argmin(profile[low:high])))
    cuts.append(x1)
    parts_found = []
    for left, right in zip(cuts[:-1], cuts[1:], strict=True):
        rows = np.flatnonzero(ink[y0:y1, left:right].max(axis=1) > INK_LEVEL)
        if rows.size:
            parts_found.append((left, y0 + int(rows[0]), right, y0 + int(rows[-1]) + 1))
    return parts_found
