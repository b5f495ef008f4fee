"""What the networks read for an input: its lines of writing, each as a strip for the
line model, and all its ink framed like MNIST for the CNN; and where each part of a line
lies in the original input."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from digit_pipeline.reading.images.geometry import Box, Extent, extent
from digit_pipeline.reading.images.pieces import INK_LEVEL
from digit_pipeline.reading.images.sheet import Sheet
from digit_pipeline.reading.images.strip import Strip

# A line read as this many digits more or fewer than it is known to hold is read again as
# that many: a digit read as two, two touching read as one.
COUNT_SLACK = 2

# An image of one line holding at most this many marks (a digit's strokes broken apart,
# a speck) may be one digit; more is writing, read as lines.
ONE_DIGIT_MARKS = 6

# Where a part of a line lies in the original input: its box, and its corners where a
# sheet's perspective was undone (None: the box's), from its extent in the line's ink.
Locate = Callable[[Extent], tuple[Box, "np.ndarray | None"]]


@dataclass(frozen=True)
class PreparedLine:
    """One line of writing, as the line model reads it.

    Attributes:
        marks: Where its marks are in ``ink`` (``marks.line_marks``), left to right: what the
            one-digit rule counts (``PreparedImage.may_be_one_digit``) and the request's
            limit on digits bounds.
        strip: The line's ink as the line model reads it (``strip.line_strip``); None: a
            lone digit (a pixels item, a clean drawing of one digit), for the CNN only.
        ink: The line's band of ink, which ``strip`` was made from.
        locate: Where a part of ``ink`` lies in the original input.
    """

    marks: list[Extent]
    strip: Strip | None = None
    ink: np.ndarray | None = None
    locate: Locate | None = None

    def part(self, start: float, stop: float) -> tuple[np.ndarray, Box, np.ndarray | None] | None:
        """The ink of ``strip`` columns ``start``-``stop`` (a character the line model
        read): its ink cropped to itself, its box and its quad in the original input;
        None when it holds no ink."""
        left, right = self.strip.to_ink_columns(start, stop)
        left, right = max(0, int(np.floor(left))), min(self.ink.shape[1], int(np.ceil(right)))
        ink = self.ink[:, left:right]
        rows = np.flatnonzero(ink.max(axis=1, initial=0) > INK_LEVEL)
        columns = np.flatnonzero(ink.max(axis=0, initial=0) > INK_LEVEL)
        if rows.size == 0:
            return None
        top, bottom = int(rows[0]), int(rows[-1]) + 1
        left, right = left + int(columns[0]), left + int(columns[-1]) + 1
        box, quad = self.locate((left, top, right, bottom))
        return self.ink[top:bottom, left:right], box, quad


@dataclass(frozen=True)
class PreparedImage:
    """An input brought into MNIST's framing: what the CNN reads for it.

    Attributes:
        whole: All its ink framed as one digit, (28, 28) float32 in [0, 1].
        whole_box: Where that ink is in the original input.
        lines: Its lines of writing, top to bottom.
        sheet: The sheet of paper found in a photo, read rectified; None: the image was
            read as it is.
        turns: The same sheet read the other ways up (``sheet.turned``), for the CNN to
            choose the way it reads with most confidence.
    """

    whole: np.ndarray
    whole_box: Box
    lines: list[PreparedLine]
    sheet: Sheet | None = None
    turns: tuple[PreparedImage, ...] = ()

    @property
    def may_be_one_digit(self) -> bool:
        """Whether its ink is no more than one digit's: one line of at most
        ``ONE_DIGIT_MARKS`` marks, not on a sheet found in a photo."""
        if self.sheet is not None or len(self.lines) > 1:
            return False
        return len(self.lines[0].marks) <= ONE_DIGIT_MARKS

    @property
    def mark_count(self) -> int:
        """How many marks its lines hold, every way up: the work of reading it, which
        the request's limit on digits bounds."""
        return sum(len(line.marks) for line in self.lines) + sum(t.mark_count for t in self.turns)

    @classmethod
    def single(cls, digit: np.ndarray, box: Box) -> PreparedImage:
        """An input that is one framed digit and nothing else."""
        line = PreparedLine([extent(box)])
        return cls(whole=digit, whole_box=box, lines=[line])
