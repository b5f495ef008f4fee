"""Connected marks of a mask (8-connected), with OpenCV: the one components library of the
image stages."""

from __future__ import annotations

import cv2
import numpy as np


def label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Each 8-connected component of a boolean mask (1-D or 2-D) numbered from 1 in the
    order it is first met row by row (0 where the mask is False), and how many there are."""
    count, labels = cv2.connectedComponents(np.atleast_2d(mask).astype(np.uint8), connectivity=8)
    return labels.reshape(mask.shape), count - 1


def label_with_stats(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``label``'s numbering, and each label's box and area (OpenCV's ``CC_STAT_*`` columns;
    row 0 is the background)."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return labels, stats


def reaching_the_border(stats: np.ndarray, border: int, shape: tuple[int, int]) -> np.ndarray:
    """Of the marks of an image of ``shape`` (``label_with_stats``'s ``stats``), those that
    reach its ``border`` pixels along its edges."""
    height, width = shape
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    right = left + stats[:, cv2.CC_STAT_WIDTH]
    bottom = top + stats[:, cv2.CC_STAT_HEIGHT]
    reaching = (left < border) | (top < border) | (right > width - border)
    return reaching | (bottom > height - border)
