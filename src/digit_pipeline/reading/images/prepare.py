"""From a grayscale image to the framed digits the CNN reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from digit_pipeline.reading.images import components
from digit_pipeline.reading.images.errors import BLANK, ImageError
from digit_pipeline.reading.images.framing import frame_digit
from digit_pipeline.reading.images.geometry import Box, Extent, scaled_box, union
from digit_pipeline.reading.images.ink import extract_ink, noise
from digit_pipeline.reading.images.lines import LevelledInk, find_lines, one_digit_page
from digit_pipeline.reading.images.mnist import IMAGE_SIZE
from digit_pipeline.reading.images.network_input import PreparedImage, PreparedLine
from digit_pipeline.reading.images.pieces import INK_LEVEL
from digit_pipeline.reading.images.segmentation import (
    Candidate,
    Seam,
    line_candidates,
    too_many_digits,
)
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
    sheet: bool = False,
    pen_on_paper: bool = False,
    edges_out: bool = False,
) -> PreparedImage:
    """Frame the digits of a decoded grayscale image like MNIST (``prepare_image`` after
    decoding).

    Args:
        gray: (H, W) values in [0, 1], dark ink on light paper or light ink on dark.
        scale: The factor from the original image to ``gray``, to give boxes in the
            original's pixels.
        sheet: A sheet of writing found in a photo, cleaned (``clean.clean_page``): never
            read small as one clean digit, its printed lines out already.
        pen_on_paper: Its ink is a pen's, dark on paper (``ink.extract_ink``).
        edges_out: Marks that touch its frame are not ink: a photo whose sheet was not
            found (``ink.without_marks_on_frame``).

    Raises:
        ImageError: No ink to be found.
    """
    image_noise = noise(gray)
    page, candidates, reduced = _find_candidates(
        gray, image_noise, sheet=sheet, pen_on_paper=pen_on_paper, edges_out=edges_out
    )
    scale *= reduced
    frame = Framer(page.ink)
    one_digit = reduced < 1  # a clean drawing of one digit: the CNN's alone
    lines = [
        PreparedLine(
            found,
            crops=FramedOnRead(found, frame),
            boxes=[scaled_box(page.to_original(*c.extent), scale) for c in found],
            strip=None if one_digit else line_strip(page.ink[top:bottom]),
            ink=page.ink[top:bottom],
            locate=OnImage(page, top, scale),
        )
        for (top, bottom), found in candidates
    ]
    whole_extent = _whole_extent(page.ink, [c for _, c in candidates], noisy=image_noise > NOISY)
    return PreparedImage(
        whole=frame(Candidate(0, 0, whole_extent, 0.0)),
        whole_box=scaled_box(page.to_original(*whole_extent), scale),
        lines=lines,
    )


class Framer:
    """Candidates of a page's ``ink`` framed like MNIST, each once: a crop framed once, if
    a candidate is the whole."""

    def __init__(self, ink: np.ndarray) -> None:
        self.ink = ink
        self.framed: dict[tuple[Extent, Seam | None, Seam | None], np.ndarray] = {}

    def __call__(self, candidate: Candidate) -> np.ndarray:
        key = (candidate.extent, candidate.after, candidate.before)
        if key not in self.framed:
            ink = candidate.own_ink(self.ink)
            # Two seams may leave a candidate no ink of its own (digits that overlap): a
            # blank, which the CNN reads unsure of any digit.
            self.framed[key] = (
                frame_digit(ink) if ink.any() else np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
            )
        return self.framed[key]


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


class FramedOnRead(Sequence):
    """A line's candidates framed like MNIST, each when it is first read: the line model
    reads a line without them; cutting a line into digits reads them all."""

    def __init__(self, candidates: list[Candidate], frame: Callable[[Candidate], np.ndarray]):
        self.candidates, self.frame = candidates, frame

    def __len__(self) -> int:
        return len(self.candidates)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.frame(c) for c in self.candidates[index]]
        return self.frame(self.candidates[index])


def prepare_whole_digit(gray: np.ndarray) -> np.ndarray:
    """``prepare_grayscale(gray).whole`` without framing each candidate.

    Raises:
        ImageError: No ink to be found.
    """
    image_noise = noise(gray)
    page, candidates, _ = _find_candidates(gray, image_noise)
    left, top, right, bottom = _whole_extent(
        page.ink, [c for _, c in candidates], noisy=image_noise > NOISY
    )
    return frame_digit(page.ink[top:bottom, left:right])


def _find_candidates(
    gray: np.ndarray,
    image_noise: float,
    *,
    sheet: bool = False,
    pen_on_paper: bool = False,
    edges_out: bool = False,
) -> tuple[LevelledInk, list[tuple[tuple[int, int], list[Candidate]]], float]:
    """The levelled page, each line's band and candidates (lines without ink left out), checked
    against the limit on digits before any is framed, and the factor from ``gray`` to the
    page (below 1 when a clean digit is read at ``DIGIT_SIZE``). A ``sheet`` (cleaned) is
    not read small, and its printed lines are out already.

    Raises:
        ImageError: No ink, or more than ``MAX_PIECES_PER_IMAGE`` pieces in all.
    """
    page, reduced = None if sheet else _one_clean_digit(gray, image_noise), 1.0
    if page is not None:
        reduced = page.ink.shape[1] / gray.shape[1]
    else:
        ink = extract_ink(gray, pen_on_paper=pen_on_paper, edges_out=edges_out)
        page = find_lines(ink, sheet=sheet)
    candidates = [(band, line_candidates(page.ink, *band)) for band in page.bands]
    candidates = [(band, found) for band, found in candidates if found]
    if not candidates:
        raise ImageError(BLANK)
    if sum(max(c.stop for c in found) for _, found in candidates) > MAX_PIECES_PER_IMAGE:
        raise too_many_digits()
    return page, candidates, reduced


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


def _whole_extent(ink: np.ndarray, candidates: list[list[Candidate]], noisy: bool) -> Extent:
    """The box of the candidates' ink and all the fainter ink it is connected to (the thin
    ends of a fine pen's strokes), so that specks apart do not stretch the frame."""
    left, top, right, bottom = union(c.extent for found in candidates for c in found)
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
