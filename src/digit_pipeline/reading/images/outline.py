"""A sheet's outline completed from its sides where a thumb hides a corner, the photo's
frame cuts one off or things on the desk break a side: its longest sides that do not run
along the frame, extended to meet."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A completed side shows at least this fraction of itself; one that the frame cuts, at
# least CUT_SIDE (its rest lies outside the photo, where nothing on the desk hides it).
VISIBLE_SIDE = 0.4
CUT_SIDE = 0.2
# Edges within SAME_LINE_ANGLE degrees of one line, their ends within SAME_LINE_OFFSET of
# the photo's diagonal of it, are one side of the sheet.
SAME_LINE_ANGLE = 3.0
SAME_LINE_OFFSET = 0.01
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
    """The quadrilateral of an outline's four longest sides that do not run along the
    photo's border, each extended to meet the next: a sheet whose corner a thumb hides, or
    the frame cuts off, or whose sides things on the desk break (``sides``). None when a
    side would show less than ``VISIBLE_SIDE`` of itself (``CUT_SIDE`` where the frame
    cuts it)."""
    found = sides(polygon, shape)
    if len(found) < 4:
        return None
    longest = sorted(found, key=lambda side: -side.shown)[:4]
    centre = polygon.mean(axis=0)
    around = sorted(longest, key=lambda side: _angle((side.start + side.end) / 2 - centre))
    corners = [meeting(around[k - 1].line, around[k].line) for k in range(4)]
    if any(corner is None for corner in corners):
        return None
    quad = np.array(corners, dtype=np.float32)
    for k, side in enumerate(around):
        full = np.linalg.norm(quad[(k + 1) % 4] - quad[k])
        if side.shown < (CUT_SIDE if side.cut else VISIBLE_SIDE) * full:
            return None
    return quad


@dataclass(frozen=True)
class Side:
    """Edges of an outline along one line: ``start`` and ``end`` their outermost ends on
    it, ``shown`` their length in all (an edge the outline runs along both ways counts
    twice), ``cut`` whether one ends on the photo's border."""

    start: np.ndarray
    end: np.ndarray
    shown: float
    cut: bool

    @property
    def line(self) -> tuple[np.ndarray, np.ndarray]:
        return self.start, self.end


def sides(polygon: np.ndarray, shape: tuple[int, int]) -> list[Side]:
    """The lines an outline's edges lie on, those along the photo's border left out: edges
    along a longer edge's line (``SAME_LINE_ANGLE``, ``SAME_LINE_OFFSET``) are one side
    with it, broken where something touches it (a note, a mug, a printed page on the
    sheet's edge)."""
    ends = [
        (a, b)
        for a, b in zip(polygon, np.roll(polygon, -1, axis=0), strict=True)
        if not _along_border(a, b, shape)
    ]
    return lines_of(ends, shape)


def lines_of(edges: list[tuple[np.ndarray, np.ndarray]], shape: tuple[int, int]) -> list[Side]:
    """Straight edges (their ends, x and y) of a photo of ``shape`` grouped into the lines
    they lie along: each edge with the longest edge whose line it runs along. Each edge is
    checked against every group's line at once: a noisy photo's Hough segments number a
    thousand and more."""
    edges = sorted(edges, key=lambda edge: -np.linalg.norm(edge[1] - edge[0]))
    reach = SAME_LINE_OFFSET * np.hypot(*shape)
    groups: list[list[tuple[np.ndarray, np.ndarray]]] = []
    lines = np.empty((len(edges), 3))
    for a, b in edges:
        along = np.flatnonzero(runs_along_which(lines[: len(groups)], a, b, reach))
        if along.size:
            groups[along[0]].append((a, b))
        else:
            lines[len(groups)] = line_through(a, b)
            groups.append([(a, b)])
    found = []
    for group in groups:
        a, b = group[0]
        along = (b - a) / max(np.linalg.norm(b - a), 1e-9)
        spans = sorted(sorted(((p - a) @ along, (q - a) @ along)) for p, q in group)
        found.append(
            Side(
                start=a + spans[0][0] * along,
                end=a + max(stop for _, stop in spans) * along,
                shown=float(sum(stop - start for start, stop in spans)),
                cut=any(bool(_frame_sides(p, shape)) for edge in group for p in edge),
            )
        )
    return found


def line_through(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The line through ``a`` and ``b`` as its unit normal and its offset along it: the
    points p with normal @ p == offset."""
    direction = (b - a) / max(np.linalg.norm(b - a), 1e-9)
    normal = np.array([-direction[1], direction[0]])
    return np.array([*normal, normal @ a])


def runs_along_which(lines: np.ndarray, a: np.ndarray, b: np.ndarray, reach: float) -> np.ndarray:
    """For each of ``lines`` (k, 3: ``line_through``'s), whether the edge from ``a`` to
    ``b`` runs along it: within ``SAME_LINE_ANGLE`` of it, both ends within ``reach``."""
    direction = (b - a) / max(np.linalg.norm(b - a), 1e-9)
    normals, offsets = lines[:, :2], lines[:, 2]
    sine = np.abs(normals @ direction)
    away = np.maximum(np.abs(normals @ a - offsets), np.abs(normals @ b - offsets))
    return (sine <= np.sin(np.radians(SAME_LINE_ANGLE))) & (away <= reach)


def _angle(vector: np.ndarray) -> float:
    return float(np.arctan2(vector[1], vector[0]))


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
