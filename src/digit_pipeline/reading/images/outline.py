"""A sheet's outline completed from its sides where a thumb hides a corner or the photo's
frame cuts one off: its longest edges that do not run along the frame, extended to meet."""

from __future__ import annotations

import numpy as np

# A completed side shows at least this fraction of itself; one that the frame cuts, at
# least CUT_SIDE (its rest lies outside the photo, where nothing on the desk hides it).
VISIBLE_SIDE = 0.4
CUT_SIDE = 0.2
# An edge within this many pixels of the photo's border runs along the frame.
ON_BORDER = 3


def on_frame(polygon: np.ndarray, shape: tuple[int, int]) -> bool:
    """Whether a corner of ``polygon`` lies on the photo's border (the frame cut it)."""
    return any(_frame_sides(point, shape) for point in polygon)


def _frame_sides(point: np.ndarray, shape: tuple[int, int]) -> set[str]:
    """The sides of the photo that ``point`` (x, y) lies on, within ``ON_BORDER`` pixels."""
    height, width = shape
    x, y = point
    near = {"left": x <= ON_BORDER, "right": x >= width - 1 - ON_BORDER,
            "top": y <= ON_BORDER, "bottom": y >= height - 1 - ON_BORDER}  # fmt: skip
    return {side for side, on in near.items() if on}


def completed(polygon: np.ndarray, shape: tuple[int, int]) -> np.ndarray | None:
    """The quadrilateral of an outline's four longest edges that do not run along the
    photo's border, each extended to meet the next: a sheet whose corner a thumb hides, or
    the frame cuts off. None when a side would show less than ``VISIBLE_SIDE`` of itself
    (``CUT_SIDE`` where the frame cuts it)."""
    ends = list(zip(polygon, np.roll(polygon, -1, axis=0), strict=True))
    inner = [k for k, (a, b) in enumerate(ends) if not _along_border(a, b, shape)]
    if len(inner) < 4:
        return None
    longest = sorted(inner, key=lambda k: -np.linalg.norm(ends[k][1] - ends[k][0]))[:4]
    sides = [ends[k] for k in sorted(longest)]
    corners = [meeting(sides[k - 1], sides[k]) for k in range(4)]
    if any(corner is None for corner in corners):
        return None
    quad = np.array(corners, dtype=np.float32)
    for k, (a, b) in enumerate(sides):
        full = np.linalg.norm(quad[(k + 1) % 4] - quad[k])
        cut = bool(_frame_sides(a, shape) or _frame_sides(b, shape))
        if np.linalg.norm(b - a) < (CUT_SIDE if cut else VISIBLE_SIDE) * full:
            return None
    return quad


def _along_border(a: np.ndarray, b: np.ndarray, shape: tuple[int, int]) -> bool:
    """Whether the edge from ``a`` to ``b`` (x, y) runs along one side of the photo."""
    return bool(_frame_sides(a, shape) & _frame_sides(b, shape))


def meeting(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]):
    """Where the lines through two edges meet; None when they are (nearly) parallel."""
    (a, b), (c, d) = first, second
    along, across = b - a, d - c
    cross = along[0] * across[1] - along[1] * across[0]
    if abs(cross) < 1e-6 * np.linalg.norm(along) * np.linalg.norm(across):
        return None
    t = ((c[0] - a[0]) * across[1] - (c[1] - a[1]) * across[0]) / cross
    return a + t * along
