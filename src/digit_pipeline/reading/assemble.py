"""A reading assembled from what the networks read: the lines the line model read on
the strips of an image, and the one rule that reads an image as one digit, the CNN's."""

from __future__ import annotations

import functools

import numpy as np

from digit_pipeline.reading.images import PreparedImage
from digit_pipeline.reading.images.framing import frame_digit
from digit_pipeline.reading.images.geometry import Box, box_quad
from digit_pipeline.reading.images.network_input import COUNT_SLACK, PreparedLine
from digit_pipeline.reading.line_reader import Char, read_line, tidy
from digit_pipeline.reading.results import Digit, Line, Reading


def lines_read(
    view: PreparedImage, steps: dict[int, np.ndarray], digits_per_line: int | None
) -> list[Line] | None:
    """The lines the line model read in a view (``steps``: each line's step probabilities,
    by its id), lines without a digit left out; None where the view is one digit
    (``is_one_digit``). With ``digits_per_line``, lines read as that many where most lines
    are."""
    if view.lines[0].strip is None:
        return None
    chars = [tidy(read_line(steps[id(line)])) for line in view.lines]
    counts = [sum(not c.is_space for c in line) for line in chars]
    if pattern_holds(counts, digits_per_line):
        chars = [
            tidy(read_line(steps[id(line)], digits_per_line))
            if abs(count - digits_per_line) <= COUNT_SLACK
            else read
            for line, read, count in zip(view.lines, chars, counts, strict=True)
        ]
    lines = [line_of(line, read) for line, read in zip(view.lines, chars, strict=True)]
    lines = [line for line in lines if line.digits]
    if is_one_digit(view, sum(len(line.digits) for line in lines)):
        return None
    return lines


def is_one_digit(view: PreparedImage, digits_read: int) -> bool:
    """Whether a view is one digit, for the CNN to read whole: the line model read at
    most one digit in it, and its ink is no more than one digit's
    (``PreparedImage.may_be_one_digit``). A sheet, or ink that spans lines or many marks,
    is read as lines, even where none is read in it."""
    return digits_read <= 1 and view.may_be_one_digit


def line_of(line: PreparedLine, chars: list[Char]) -> Line:
    """A line's digits from the characters the line model read on its strip: each with
    the line model's probabilities, its ink framed like MNIST, its box and quad; a space
    before a digit starts a new number."""
    digits, spaces, after_space = [], set(), False
    for index, char in enumerate(chars):
        if char.is_space:
            after_space = True
            continue
        part = _part(line, chars, index)
        if part is None:
            continue
        ink, box, quad = part
        if after_space and digits:
            spaces.add(len(digits))
        after_space = False
        # Framed when asked: its own copy of the ink, not a view that keeps the page alive.
        digits.append(
            Digit(char.label - 1, char.confidence, char.probabilities, box,
                  functools.partial(frame_digit, ink.copy()),
                  box_quad(box) if quad is None else quad)
        )  # fmt: skip
    return Line(tuple(digits), frozenset(spaces))


def _part(
    line: PreparedLine, chars: list[Char], index: int
) -> tuple[np.ndarray, Box, np.ndarray | None] | None:
    """The ink, box and quad of ``chars[index]`` within its span (``PreparedLine.part``).
    The line model may read a line's first or last character a step or two off its ink,
    in the blank margin beside it: where such a span holds no ink, the ink up to the
    middle of its neighbour's span is the character's. Elsewhere, a character read where
    there is no ink is none (None)."""
    part = line.part(*chars[index].span)
    first, last = index == 0, index == len(chars) - 1
    if part is not None or not (first or last):
        return part
    start = 0.0 if first else sum(chars[index - 1].span) / 2
    stop = line.strip.pixels.shape[1] if last else sum(chars[index + 1].span) / 2
    return line.part(start, stop)


# Confidences are clipped to [SURENESS_CLIP, 1 - SURENESS_CLIP] for their log-odds.
SURENESS_CLIP = 1e-4


def reading_of_lines(
    view: PreparedImage, whole: Digit, lines: list[Line] | None
) -> tuple[Reading, float]:
    """A view's reading and how sure it is of its digits (``sureness``): one digit, the
    CNN's ``whole``, where ``lines`` is None (``is_one_digit``)."""
    if lines is None:
        return Reading.one_digit(whole, view.sheet), sureness([whole.confidence])
    confidences = [digit.confidence for line in lines for digit in line.digits]
    return Reading(whole, tuple(lines), view.sheet), sureness(confidences)


def sureness(confidences: list[float]) -> float:
    """How sure a reading is of its digits: the mean log-odds of their confidences. A page
    turned upside down still reads its 0s, 1s and 8s (and 6s as 9s) surely, and the log of
    a confidence hardly tells 0.99 from 0.9999 where the log-odds do (of 391 sheets found in
    tuning photos, by the mean log 4 were read the wrong way up, by the log-odds none:
    benchmarks/README.md). No digit read: -inf."""
    if not confidences:
        return -np.inf
    clipped = np.clip(np.asarray(confidences, dtype=np.float64), SURENESS_CLIP, 1 - SURENESS_CLIP)
    return float(np.mean(np.log(clipped) - np.log1p(-clipped)))


def pattern_holds(counts: list[int], digits_per_line: int | None) -> bool:
    """Whether lines read as ``counts`` digits were written in a pattern of
    ``digits_per_line``: most of them hold that many (a line or two off is a digit cut in
    two or two read as one; all off, the sheet was not written in that pattern)."""
    return digits_per_line is not None and 2 * counts.count(digits_per_line) >= len(counts)
