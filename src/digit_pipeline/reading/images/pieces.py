"""Pieces of ink: the connected marks (8-neighbours) of what stands above ``INK_LEVEL``.
Pieces far smaller than the largest are specks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from digit_pipeline.reading.images import components

# Ink above this level makes up the pieces (solid ink is 1).
INK_LEVEL = 0.5
# Pieces smaller than this fraction of the largest piece's area are specks.
MIN_PIECE_AREA = 0.02


@dataclass(frozen=True)
class Pieces:
    """The pieces of an ink image.

    Attributes:
        labels: Each pixel's piece, 1 to ``len(areas)``; 0 where there is no ink.
        slices: Each piece's rows and columns (``ndimage.find_objects``).
        areas: Each piece's pixels.
    """

    labels: np.ndarray
    slices: list[tuple[slice, slice]]
    areas: np.ndarray

    @property
    def significant(self) -> np.ndarray:
        """Which pieces are not specks."""
        return self.areas >= MIN_PIECE_AREA * self.areas.max(initial=0)


def find_pieces(ink: np.ndarray) -> Pieces:
    """The pieces of ink in ``ink`` (bright on black, in [0, 1])."""
    labels, _ = components.label(ink > INK_LEVEL)
    return Pieces(labels, ndimage.find_objects(labels), np.bincount(labels.ravel())[1:])
