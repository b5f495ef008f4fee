"""What the CNN reads for an input: its lines of writing, every candidate digit framed
like MNIST, and where each lies in the original input."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from digit_pipeline.reading.images.geometry import Box, Extent, extent
from digit_pipeline.reading.images.grouping import best_grouping
from digit_pipeline.reading.images.pieces import INK_LEVEL
from digit_pipeline.reading.images.segmentation import Candidate
from digit_pipeline.reading.images.sheet import Sheet
from digit_pipeline.reading.images.strip import Strip

# A line read as this many digits more or fewer than it is known to hold is read again as
# that many: a digit cut in two, two touching read as one.
COUNT_SLACK = 2
# ...unless that reading is this much less likely (log scale) than the free one: the
# line does not hold that many.
COUNT_COST = 3.0

# An image of one line holding at most this many marks (a digit's strokes broken apart,
# a speck) may be one digit; more is writing, read as lines.
ONE_DIGIT_PIECES = 6

# Where a part of a line lies in the original input: its box, and its corners where a
# sheet's perspective was undone (None: the box's), from its extent in the line's ink.
Locate = Callable[[Extent], tuple[Box, "np.ndarray | None"]]


@dataclass(frozen=True)
class PreparedLine:
    """One line of writing: every group of its pieces that may be a digit, framed.

    Attributes:
        candidates: The groups (``segmentation.Candidate``), for ``grouping.best_grouping``.
        crops: Each candidate framed like MNIST, (28, 28) float32 in [0, 1].
        boxes: Each candidate's box in the original input, ``(x, y, width, height)``.
        quads: Each candidate's corners in the original input, (4, 2) ``(x, y)``
            clockwise from the top-left: where a sheet's perspective was undone, a
            quadrilateral (``boxes`` holds it); None: the boxes' corners.
        strip: The line's ink as the line model reads it (``strip.line_strip``); None: a
            lone digit (a pixels item, a clean drawing of one digit), for the CNN only.
        ink: The line's band of ink, which ``strip`` was made from.
        locate: Where a part of ``ink`` lies in the original input.
    """

    candidates: list[Candidate]
    crops: Sequence[np.ndarray]
    boxes: list[Box]
    quads: list[np.ndarray] | None = None
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

    def grouping(
        self, scores: Sequence[float] | None = None, digits: int | None = None
    ) -> list[int]:
        """The candidates that make up the line's digits, left to right: the best by
        prior plus ``scores`` (log-probabilities of the CNN's readings), or by geometry
        alone. Given how many ``digits`` the line holds, the best of that many when the
        free reading is within ``COUNT_SLACK`` of it and not ``COUNT_COST`` likelier
        (else the line is not one of that many: two lines run together, a digit left
        out)."""
        scores = scores or [0.0] * len(self.candidates)
        free, _ = best_grouping(self.candidates, scores)
        if digits is None or len(free) == digits or abs(len(free) - digits) > COUNT_SLACK:
            return free
        counted, as_free = (best_grouping(self.candidates, scores, n) for n in (digits, len(free)))
        if counted is None or as_free is None or as_free[1] - counted[1] > COUNT_COST:
            return free
        return counted[0]


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
    def crops(self) -> list[np.ndarray]:
        """One framed crop per digit, as geometry alone cuts them, in reading order."""
        return [line.crops[i] for line in self.lines for i in line.grouping()]

    @property
    def boxes(self) -> list[Box]:
        """The box of each of ``crops`` in the original input."""
        return [line.boxes[i] for line in self.lines for i in line.grouping()]

    @property
    def may_be_one_digit(self) -> bool:
        """Whether its ink is no more than one digit's: one line of at most
        ``ONE_DIGIT_PIECES`` marks, not on a sheet found in a photo."""
        if self.sheet is not None or len(self.lines) > 1:
            return False
        return max(c.stop for c in self.lines[0].candidates) <= ONE_DIGIT_PIECES

    @property
    def crop_count(self) -> int:
        """How many crops the CNN reads for this input, every way up."""
        return sum(len(line.crops) for line in self.lines) + sum(t.crop_count for t in self.turns)

    @classmethod
    def single(cls, digit: np.ndarray, box: Box) -> PreparedImage:
        """An input that is one framed digit and nothing else."""
        line = PreparedLine([Candidate(0, 1, extent(box), 0.0)], [digit], [box])
        return cls(whole=digit, whole_box=box, lines=[line])
