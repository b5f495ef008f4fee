"""An image file to what the CNN reads: a photo of a sheet of paper lying on a desk is
read on the sheet alone, its perspective undone and every way up; any other image as it
is (``prepare.prepare_grayscale``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
from PIL import Image

from digit_pipeline.reading.images import components
from digit_pipeline.reading.images.clean import clean_page
from digit_pipeline.reading.images.decode import decode_photo, open_image, working_gray
from digit_pipeline.reading.images.errors import ImageError
from digit_pipeline.reading.images.geometry import Box, Extent, bounding_box, box_quad
from digit_pipeline.reading.images.ink import (
    MIN_INK_CONTRAST,
    extract_ink,
    noise,
    otsu_threshold,
)
from digit_pipeline.reading.images.network_input import Locate, PreparedImage
from digit_pipeline.reading.images.prepare import prepare_grayscale, prepare_sheet_ink
from digit_pipeline.reading.images.sheet import (
    MIN_PHOTO_SIDE,
    Sheet,
    find_sheet,
    given_corners,
    rectified,
    sheet_size,
)

# A sheet is rectified at its own resolution in the photo, at most this many pixels on its
# longest side.
SHEET_SIZE = 1600
# Digits are taller than wide: the marks of ink on a page read the right way round are,
# by this factor in the median, or more (MNIST's digits: 1.5).
DIGIT_ASPECT_MARGIN = 1.06
# ...a margin for the median of MANY_MARKS of them or more; of fewer, FEW_MARKS_MARGIN.
MANY_MARKS = 30
FEW_MARKS_MARGIN = 1.3


def prepare_image(data: bytes) -> PreparedImage:
    """Read an image file (PNG, JPEG, BMP, GIF or WebP) and prepare it for the networks.

    Args:
        data: The file's bytes. Any size up to the limits, colour or grey, dark ink on
            light paper or light ink on dark; a photo of a sheet on a desk.

    Returns:
        The whole ink framed as one digit, and each line of writing, top to bottom.

    Raises:
        ImageError: Empty, too large, not an image, corrupt, or no ink to be found.
    """
    return prepare_opened(*open_image(data))


def prepare_opened(
    image: Image.Image, upright_width: int, corners: np.ndarray | None = None
) -> PreparedImage:
    """``prepare_image`` of a file that ``open_image`` has checked: decodes it now. Given
    the sheet's ``corners`` (x, y in the image's pixels, as a person corrected them), the
    sheet is read there instead of where it would be found.

    Raises:
        ImageError: As ``prepare_image``; ValueError: ``corners`` that outline no sheet
            (``sheet.given_corners``).
    """
    photo, scale = decode_photo(image, upright_width)
    pixels = np.asarray(photo)
    if corners is not None:
        return prepare_sheet(pixels, given_corners(corners * scale, pixels.shape), scale)
    corners = find_sheet(pixels)
    if corners is not None:
        try:
            return prepare_sheet(pixels, corners, scale)
        except ImageError as error:
            if not error.blank:
                raise
            # No writing on it: not the sheet the digits are on. Read the whole photo.
    gray, scale = working_gray(photo, scale)
    if min(pixels.shape[:2]) < MIN_PHOTO_SIDE:
        return prepare_grayscale(gray, scale)
    return _prepare_photo_as_it_is(gray, scale)


def _prepare_photo_as_it_is(gray: np.ndarray, scale: float) -> PreparedImage:
    """A photo whose sheet was not found (``gray``: ``scale`` times the original), read as
    it is. A sheet brighter than the desk around it looks like one bold light stroke on a
    dark ground, and then like no ink: it is read as pen on paper. Where what is read is
    one digit's few marks that run across the photo (the sheet, the desk's edges, things
    on it: no digit does), it is read again without the marks that touch the frame, as it
    is, then as pen on paper, and answered so where that finds more than one digit's
    marks."""
    try:
        prepared = prepare_grayscale(gray, scale)
    except ImageError as error:
        if not error.blank:
            raise
        prepared = prepare_grayscale(gray, scale, pen_on_paper=True)
    if not (prepared.may_be_one_digit and _runs_across(prepared.whole_box, gray.shape, scale)):
        return prepared
    for pen_on_paper in (False, True):
        try:
            again = prepare_grayscale(gray, scale, pen_on_paper=pen_on_paper, edges_out=True)
        except ImageError:
            continue
        if not again.may_be_one_digit:
            return again
    return prepared


def _runs_across(box: Box, shape: tuple[int, int], scale: float) -> bool:
    """Whether a box in the original's pixels runs from one side of an image of ``shape``
    (``scale`` times the original) to the opposite side."""
    x, y, width, height = (value * scale for value in box)
    return (x < 1 and x + width > shape[1] - 1) or (y < 1 and y + height > shape[0] - 1)


def prepare_sheet(photo: np.ndarray, corners: np.ndarray, scale: float) -> PreparedImage:
    """The sheet within ``corners`` of a decoded photo (uint8, grey or RGB), rectified at
    its own resolution (``SHEET_SIZE`` at most) and read every way up; boxes in the
    original's pixels (the photo is ``scale`` times its size).

    Raises:
        ImageError: No ink on the sheet, or more digits than the limit.
    """
    width, height = sheet_size(corners)
    fit = min(1.0, SHEET_SIZE / max(width, height))
    sheet = Sheet(corners, (max(1, round(width * fit)), max(1, round(height * fit))))
    page = _clean_gray(rectified(photo, sheet))
    ink, page_noise = extract_ink(page), noise(page)
    views, errors = [], []
    for quarters in _ways_up(page):
        try:
            views.append(
                _read_sheet(
                    np.ascontiguousarray(np.rot90(ink, quarters)),
                    page_noise,
                    np.rot90(page, quarters),
                    sheet.turned(quarters),
                    scale,
                )
            )
        except ImageError as error:  # read another way up, it may be within the limits
            errors.append(error)
    if not views:
        raise errors[0]
    upright, *turns = views
    return replace(upright, turns=tuple(turns))


def _clean_gray(page: np.ndarray) -> np.ndarray:
    """A rectified sheet (uint8, grey or RGB) in grey, its light even and its printed lines
    out (``clean.clean_page``). Of a colour photo, the brightest channel: printed lines in
    colour (blue rules, a red margin) are nearly as bright as the paper there, the pen's
    black, blue or grey ink is not; by luminance if that leaves no ink (a red pen)."""
    if page.ndim == 2:
        return clean_page(page / np.float32(255))
    gray = clean_page(page.max(axis=2) / np.float32(255))
    if gray.min() > 1 - MIN_INK_CONTRAST:
        gray = clean_page(np.asarray(Image.fromarray(page).convert("L")) / np.float32(255))
    return gray


def _ways_up(page: np.ndarray) -> list[int]:
    """The quarter turns (anticlockwise) the page may be read at: digits stand taller than
    they are wide, so when its marks of ink are taller than wide, those that keep its rows
    rows (0 and 2); when wider, those that turn them (1 and 3); all four when neither."""
    level = (page * 255).astype(np.uint8) / 255.0
    _, stats = components.label_with_stats(level < otsu_threshold(level))
    stats = stats[1:]
    if len(stats) == 0:
        return [0, 1, 2, 3]
    larger = stats[stats[:, cv2.CC_STAT_AREA] >= np.median(stats[:, cv2.CC_STAT_AREA])]
    aspect = float(np.median(larger[:, cv2.CC_STAT_WIDTH] / larger[:, cv2.CC_STAT_HEIGHT]))
    # The median of many marks is surer than that of a few.
    margin = DIGIT_ASPECT_MARGIN if len(larger) >= MANY_MARKS else FEW_MARKS_MARGIN
    if aspect < 1 / margin:
        return [0, 2]
    if aspect > margin:
        return [1, 3]
    return [0, 1, 2, 3]


def _read_sheet(
    ink: np.ndarray, page_noise: float, page: np.ndarray, sheet: Sheet, scale: float
) -> PreparedImage:
    """A rectified, clean page (``page``, its ``ink`` and noise) prepared, its boxes in the
    original's pixels (``sheet``: how it lies in the photo, which is ``scale`` times the
    original)."""
    prepared = prepare_sheet_ink(ink, page_noise)
    on_photo = OnPhoto(sheet, scale, None)
    lines = [replace(line, locate=replace(on_photo, locate=line.locate)) for line in prepared.lines]
    return PreparedImage(
        whole=prepared.whole,
        whole_box=bounding_box(on_photo.quad(prepared.whole_box)),
        lines=lines,
        sheet=sheet.in_original(scale, (page * 255).astype(np.uint8)),
    )


@dataclass(frozen=True)
class OnPhoto:
    """Where a part of a rectified page lies in the original photo, which is ``1 / scale``
    times the photo the ``sheet`` was found in: the quad and its box (``Locate``) of what
    ``locate`` places on the page."""

    sheet: Sheet
    scale: float
    locate: Locate | None

    def quad(self, box: Box) -> np.ndarray:
        """A box of the rectified page, as its corners in the original photo."""
        return self.sheet.to_photo(box_quad(box)) / self.scale

    def __call__(self, extent: Extent) -> tuple[Box, np.ndarray]:
        quad = self.quad(self.locate(extent)[0])
        return bounding_box(quad), quad
