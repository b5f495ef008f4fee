"""Printed lines (rules, a margin, a grid, a sheet's edge): straight lines along the rows
or columns of an image, found by one grey opening, with OpenCV. ``clean.clean_page`` takes
them out of a photographed page's darkness, ``lines`` out of a scan's ink."""

from __future__ import annotations

import cv2
import numpy as np


def straight_lines(image: np.ndarray, axis: int, length: int, slack: int) -> np.ndarray:
    """How bright straight lines along ``axis`` (0: rows) at least ``length`` pixels long
    are at each pixel, straight to within ``slack`` pixels across (what is left of a
    tilt): the image widened across by ``slack``, opened along by ``length``."""
    widened = cv2.dilate(image, along(slack, 1 - axis), borderType=cv2.BORDER_REFLECT)
    # Eroded then dilated by the element reflected, as an opening is (SciPy's convention:
    # the same for a line of even length whichever way it is scanned).
    eroded = cv2.erode(widened, along(length, axis), anchor=_anchor(length // 2, axis),
                       borderType=cv2.BORDER_REFLECT)  # fmt: skip
    return cv2.dilate(eroded, along(length, axis), anchor=_anchor((length - 1) // 2, axis),
                      borderType=cv2.BORDER_REFLECT)  # fmt: skip


def along(length: int, axis: int) -> np.ndarray:
    """A straight structuring element ``length`` pixels along ``axis`` (0: a row)."""
    return np.ones((1, length) if axis == 0 else (length, 1), np.uint8)


def _anchor(offset: int, axis: int) -> tuple[int, int]:
    return (offset, 0) if axis == 0 else (0, offset)
