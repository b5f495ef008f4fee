"""From a grayscale image to the framed digits the CNN reads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from digit_pipeline.reading.images import components
from digit_pipeline.reading.images.errors import BLANK, ImageError
from digit_pipeline.reading.images.framing import frame_digit
from digit_pipeline.reading.images.geometry import Box, Extent, scaled_box, union
from digit_pipeline.reading.images.ink import extract_ink, noise
from digit_pipeline.reading.images.lines import LevelledInk, find_lines, one_digit_page
from digit_pipeline.reading.images.marks import line_marks, too_many_digits
from digit_pipeline.reading.images.network_input import PreparedImage, PreparedLine
from digit_pipeline.reading.images.pieces import INK_LEVEL
from digit_pipeline.reading.images.strip import line_strip
from digit_pipeline.reading.limits import MAX_PIECES_PER_IMAGE

# An image whose noise (standard deviation) is above this is noisy.
NOISY = 0.05
# The faint ink a digit keeps in its frame: connected to it and above this level.
FAINT_INK = 0.2
# A clean image (noise below CLEAN: a drawing, as the GUI's pad makes one) larger than
# DIGIT_SIZE is looked at this small first; when it holds one digit, it is read there:
# plenty of pixels for a digit framed in 20, a fraction of the work.
CLEAN = 0.005
DIGIT_SIZE = 112


def prepare_grayscale(
    gray: np.ndarray,
    scale: float = 1.0,
    *,
    pen_on_paper: bool = False,
    edges_out: bool = False,
) -> PreparedImage:
    """Frame the digits of a decoded grayscale image like MNIST (``prepare_image`` after
    decoding).

    Args:
        gray: (H, W) values in [0, 1], dark ink on light paper or light ink on dark.
        scale: The factor from the original image to ``gray``, to give boxes in the
            original's pixels.
        pen_on_paper: Its ink is a pen's, dark on paper (``ink.extract_ink``).
        edges_out: Marks that touch its frame are not ink: a photo whose sheet was not
            found (``ink.without_marks_on_frame``).

    Raises:
        ImageError: No ink to be found.
    """
    image_noise = noise(gray)
    page, reduced = _levelled(gray, image_noise, pen_on_paper=pen_on_paper, edges_out=edges_out)
    # A clean drawing of one digit, read small, is the CNN's alone: no strips.
    return _prepared(page, scale * reduced, image_noise, strips=reduced == 1.0)


def prepare_sheet_ink(ink: np.ndarray, sheet_noise: float) -> PreparedImage:
    """``prepare_grayscale`` of the ink of a sheet found in a photo (``ink.extract_ink`` of
    the sheet cleaned by ``clean.clean_page``: its printed lines out already), one way up:
    the ink is extracted once and turned, not extracted again each way up. Never read small
    as one clean digit; ``sheet_noise``: the cleaned sheet's ``ink.noise``.

    Raises:
        ImageError: No ink to be found.
    """
    return _prepared(find_lines(ink, sheet=True), 1.0, sheet_noise)


def _prepared(
    page: LevelledInk, scale: float, image_noise: float, *, strips: bool = True
) -> PreparedImage:
    """The levelled page's lines and their marks (lines without ink left out), each line's
    strip for the line model (none for a digit read small: ``strips`` False), and all its
    ink framed as one digit; boxes in the original's pixels, which ``scale`` times make the
    page.

    Raises:
        ImageError: No ink, or more than ``MAX_PIECES_PER_IMAGE`` marks in all.
    """
    marks = _marks(page)
    lines = [
        PreparedLine(
            found,
            strip=line_strip(page.ink[top:bottom]) if strips else None,
            ink=page.ink[top:bottom],
            locate=OnImage(page, top, scale),
        )
        for (top, bottom), found in marks
    ]
    whole_extent = _whole_extent(page.ink, marks, noisy=image_noise > NOISY)
    return PreparedImage(
        whole=_framed(page.ink, whole_extent),
        whole_box=scaled_box(page.to_original(*whole_extent), scale),
        lines=lines,
    )


@dataclass(frozen=True)
class OnImage:
    """Where a part of a line (its extent in the line's band, from row ``top`` of the
    levelled ``page``) lies in the original image, which is ``1 / scale`` times the page's
    ink: its box (``Locate``)."""

    page: LevelledInk
    top: int
    scale: float

    def __call__(self, extent: Extent) -> tuple[Box, None]:
        left, top, right, bottom = extent
        box = self.page.to_original(left, self.top + top, right, self.top + bottom)
        return scaled_box(box, self.scale), None


def prepare_whole_digit(gray: np.ndarray) -> np.ndarray:
    """``prepare_grayscale(gray).whole`` without the strips of its lines.

    Raises:
        ImageError: No ink to be found.
    """
    image_noise = noise(gray)
    page, _ = _levelled(gray, image_noise)
    return _framed(page.ink, _whole_extent(page.ink, _marks(page), noisy=image_noise > NOISY))


def _framed(ink: np.ndarray, extent: Extent) -> np.ndarray:
    """The ink within ``extent`` framed like MNIST."""
    left, top, right, bottom = extent
    return frame_digit(ink[top:bottom, left:right])


def _levelled(
    gray: np.ndarray, image_noise: float, *, pen_on_paper: bool = False, edges_out: bool = False
) -> tuple[LevelledInk, float]:
    """The image's ink levelled (``lines.find_lines``), and the factor from ``gray`` to it:
    below 1 for a clean drawing of one digit, read at ``DIGIT_SIZE`` (``_one_clean_digit``),
    1 for any other image (``pen_on_paper``, ``edges_out``: as ``ink.extract_ink``)."""
    page = _one_clean_digit(gray, image_noise)
    if page is not None:
        return page, page.ink.shape[1] / gray.shape[1]
    return find_lines(extract_ink(gray, pen_on_paper=pen_on_paper, edges_out=edges_out)), 1.0


def _marks(page: LevelledInk) -> list[tuple[tuple[int, int], list[Extent]]]:
    """Each line's band and marks (``marks.line_marks``), lines without ink left out.

    Raises:
        ImageError: No ink, or more than ``MAX_PIECES_PER_IMAGE`` marks in all.
    """
    marks = [((top, bottom), line_marks(page.ink[top:bottom])) for top, bottom in page.bands]
    marks = [(band, found) for band, found in marks if found]
    if not marks:
        raise ImageError(BLANK)
    if sum(len(found) for _, found in marks) > MAX_PIECES_PER_IMAGE:
        raise too_many_digits()
    return marks


def _one_clean_digit(gray: np.ndarray, image_noise: float) -> LevelledInk | None:
    """The page of a clean image larger than ``DIGIT_SIZE`` that holds one digit, reduced
    to ``DIGIT_SIZE``; None for any other image."""
    if max(gray.shape) <= DIGIT_SIZE or image_noise >= CLEAN:
        return None
    small = Image.fromarray(gray.astype(np.float32), mode="F")
    small.thumbnail((DIGIT_SIZE, DIGIT_SIZE), Image.Resampling.BOX)
    try:
        return one_digit_page(extract_ink(np.asarray(small)))
    except ImageError:  # no ink seen at this size: the full size says why
        return None


def _whole_extent(
    ink: np.ndarray, marks: list[tuple[tuple[int, int], list[Extent]]], noisy: bool
) -> Extent:
    """The box of the marks' ink and all the fainter ink it is connected to (the thin
    ends of a fine pen's strokes), so that specks apart do not stretch the frame."""
    on_page = [
        (mark_left, band + mark_top, mark_right, band + mark_bottom)
        for (band, _), found in marks
        for mark_left, mark_top, mark_right, mark_bottom in found
    ]
    left, top, right, bottom = union(on_page)
    if noisy:  # the faint ink would be noise too
        return left, top, right, bottom
    labels, _ = components.label(ink > FAINT_INK)
    inside = labels[top:bottom, left:right]
    kept = np.unique(inside[ink[top:bottom, left:right] > INK_LEVEL])
    connected = np.isin(labels, kept[kept > 0])
    rows, columns = np.flatnonzero(connected.any(axis=1)), np.flatnonzero(connected.any(axis=0))
    if rows.size == 0:
        return left, top, right, bottom
    return (
        min(left, int(columns[0])),
        min(top, int(rows[0])),
        max(right, int(columns[-1]) + 1),
        max(bottom, int(rows[-1]) + 1),
    )
