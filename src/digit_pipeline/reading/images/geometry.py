"""Where things lie in an image, in one vocabulary:

- a ``Box``: ``(x, y, width, height)`` in whole pixels, as the answer gives it;
- an ``Extent``: ``(left, top, right, bottom)``, right and bottom exclusive, as cutting
  a line into pieces works with it;
- a quad: (4, 2) points ``(x, y)``, clockwise from the top-left as seen: a digit on a
  sheet photographed at an angle, or the sheet itself (its *corners*).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

Box = tuple[int, int, int, int]
Extent = tuple[int, int, int, int]


def extent(box: Box) -> Extent:
    """A box as its extent."""
    x, y, width, height = box
    return x, y, x + width, y + height


def union(extents: Iterable[Extent]) -> Extent:
    """The smallest extent that holds all of ``extents``."""
    lefts, tops, rights, bottoms = zip(*extents, strict=True)
    return min(lefts), min(tops), max(rights), max(bottoms)


def scaled_box(extent: tuple[float, float, float, float], scale: float) -> Box:
    """An extent in an image reduced by ``scale``, as a box of the original's whole pixels,
    at least one pixel each way."""
    left, top, right, bottom = extent
    x, y = max(0, round(left / scale)), max(0, round(top / scale))
    return x, y, max(1, round(right / scale) - x), max(1, round(bottom / scale) - y)


def box_quad(box: Box) -> np.ndarray:
    """A box as a quad: its four corners, clockwise from the top-left."""
    x, y, width, height = box
    return np.array(
        [[x, y], [x + width, y], [x + width, y + height], [x, y + height]], dtype=np.float64
    )


def bounding_box(quad: np.ndarray) -> Box:
    """The box in whole pixels that holds a quad."""
    left, top = np.floor(quad.min(axis=0)).astype(int)
    right, bottom = np.ceil(quad.max(axis=0)).astype(int)
    left, top = max(0, int(left)), max(0, int(top))
    return left, top, max(1, int(right) - left), max(1, int(bottom) - top)


def clockwise(quad: np.ndarray) -> np.ndarray:
    """The quad's points clockwise (as seen, y down), from the one nearest the top-left."""
    centre = quad.mean(axis=0)
    order = np.argsort(np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0]))
    quad = quad[order]
    start = int(np.argmin(quad.sum(axis=1)))
    return np.roll(quad, -start, axis=0).astype(np.float64)
