"""The line model behind the reader: strips of lines in, their characters out, each with
its probabilities, its confidence and its span along the strip.

The model gives, for each step of 4 strip columns, logits over ``LABELS``: blank (CTC's
``mask_index`` 0), the digits 0-9 and the space between numbers. Reading takes each step's
likeliest label, merges repeats and drops blanks (greedy CTC decoding); given how many
digits a line holds, the likeliest path with exactly that many (``decode_counted``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digit_pipeline.reading.images.mnist import PROBABILITY_FLOOR
from digit_pipeline.reading.images.strip import batch_of, padded_width

BLANK = 0
SPACE = 11
LABELS = "_0123456789 "
NUM_LABELS = len(LABELS)
STEP = 4  # strip columns per output step
# Strip columns read per model call (64 strips of 512, 16 of the longest): bounded memory.
COLUMNS_PER_CALL = 32_768


@dataclass(frozen=True)
class Char:
    """A character read on a strip.

    Attributes:
        label: Its index in ``LABELS`` (1-10 a digit, ``SPACE`` a space).
        probabilities: (10,) of each digit at its surest step, given that it is a digit.
        confidence: The probability of ``label`` at that step.
        span: Strip columns ``(start, stop)``: from halfway to the character before to
            halfway to the next (the line's ends for the first and last).
    """

    label: int
    probabilities: np.ndarray
    confidence: float
    span: tuple[float, float]

    @property
    def is_space(self) -> bool:
        return self.label == SPACE


def encode(text: str) -> list[int]:
    """Labels of a line's text (digits and spaces)."""
    return [LABELS.index(char) for char in text]


def decode(labels: Sequence[int]) -> str:
    return "".join(LABELS[label] for label in labels)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def read_steps(model, strips: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Each strip's step probabilities, (steps, NUM_LABELS): strips of one padded width
    (``strip.padded_width``) together, at most ``COLUMNS_PER_CALL`` columns per model call,
    so that a strip reads the same whatever it is read with."""
    widths = [padded_width(strip.shape[1]) for strip in strips]
    steps: list[np.ndarray | None] = [None] * len(strips)
    for width in sorted(set(widths)):
        same = [index for index, w in enumerate(widths) if w == width]
        per_call = max(1, COLUMNS_PER_CALL // width)
        for start in range(0, len(same), per_call):
            chunk = same[start : start + per_call]
            batch = batch_of([strips[i] for i in chunk], width)
            logits = np.asarray(model.predict_on_batch(batch))
            for index, row in zip(chunk, logits, strict=True):
                steps[index] = softmax(row[: strips[index].shape[1] // STEP].astype(np.float64))
    return steps


def greedy_path(steps: np.ndarray) -> np.ndarray:
    """The likeliest label at each step."""
    return steps.argmax(axis=1)


def counted_path(steps: np.ndarray, digits: int) -> np.ndarray | None:
    """The likeliest path of labels that reads as exactly ``digits`` digits and no space
    (a Viterbi over the steps, counting the digits emitted); None when the line has too
    few steps to hold them."""
    count, labels = len(steps), steps.shape[1]
    log = np.log(np.maximum(steps, PROBABILITY_FLOOR))
    log[:, SPACE] = -np.inf
    # best[k, l]: the best score of a path through the current step that has emitted k
    # digits and is at label l (l = BLANK: between digits).
    best = np.full((digits + 1, labels), -np.inf)
    best[0, BLANK] = log[0, BLANK]
    if digits:
        best[1, 1:SPACE] = log[0, 1:SPACE]
    back = np.zeros((count, digits + 1, labels, 2), dtype=np.int16)
    for t in range(1, count):
        new = np.full_like(best, -np.inf)
        # Stay on the same label (a repeat, or blank after blank or after a digit).
        stay_blank = np.maximum(best[:, BLANK], best[:, 1:SPACE].max(axis=1))
        came_from = np.where(best[:, BLANK] >= best[:, 1:SPACE].max(axis=1), BLANK,
                             1 + best[:, 1:SPACE].argmax(axis=1))  # fmt: skip
        new[:, BLANK] = stay_blank + log[t, BLANK]
        back[t, :, BLANK, 0] = np.arange(digits + 1)
        back[t, :, BLANK, 1] = came_from
        for label in range(1, SPACE):
            repeat = best[:, label]
            # A new digit: from blank, or from another digit.
            others = best[:-1, 1:SPACE].copy()
            others[:, label - 1] = -np.inf
            from_blank, from_other = best[:-1, BLANK], others.max(axis=1)
            fresh = np.maximum(from_blank, from_other)
            new[:, label] = repeat + log[t, label]
            back[t, :, label, 0] = np.arange(digits + 1)
            back[t, :, label, 1] = label
            better = np.concatenate([[False], fresh + log[t, label] > new[1:, label]])
            new[better, label] = fresh[better[1:]] + log[t, label]
            back[t, better, label, 0] = np.flatnonzero(better) - 1
            back[t, better, label, 1] = np.where(
                from_blank >= from_other, BLANK, 1 + others.argmax(axis=1)
            )[better[1:]]
        best = new
    if not np.isfinite(best[digits]).any():
        return None
    path = np.zeros(count, dtype=np.int64)
    k, label = digits, int(best[digits].argmax())
    for t in range(count - 1, -1, -1):
        path[t] = label
        k, label = (int(v) for v in back[t, k, label]) if t else (k, label)
    return path


def chars_of(steps: np.ndarray, path: np.ndarray) -> list[Char]:
    """The characters a path reads (repeats merged, blanks dropped), each with its
    probabilities and confidence at its surest step and its span along the strip."""
    runs = []  # (label, first step, last step)
    for t, label in enumerate(path):
        if label == BLANK:
            continue
        if runs and runs[-1][0] == label and runs[-1][2] == t - 1:
            runs[-1][2] = t
        else:
            runs.append([int(label), t, t])
    chars = []
    for index, (label, first, last) in enumerate(runs):
        surest = first + int(steps[first : last + 1, label].argmax())
        digits = steps[surest, 1:SPACE]
        start = 0 if index == 0 else (runs[index - 1][2] + 1 + first) / 2
        stop = len(steps) if index == len(runs) - 1 else (last + 1 + runs[index + 1][1]) / 2
        chars.append(
            Char(
                label=label,
                probabilities=(digits / max(digits.sum(), PROBABILITY_FLOOR)).astype(np.float32),
                confidence=float(steps[surest, label]),
                span=(start * STEP, stop * STEP),
            )
        )
    return chars


def read_line(steps: np.ndarray, digits: int | None = None) -> list[Char]:
    """A line's characters: greedy decoding, or the best path of exactly ``digits``
    digits where it is given (and the line has room for them)."""
    path = counted_path(steps, digits) if digits is not None else None
    return chars_of(steps, greedy_path(steps) if path is None else path)


def tidy(chars: list[Char]) -> list[Char]:
    """No space before the first digit, after the last, or next to another space."""
    kept: list[Char] = []
    for char in chars:
        if char.is_space and (not kept or kept[-1].is_space):
            continue
        kept.append(char)
    while kept and kept[-1].is_space:
        kept.pop()
    return kept
