"""Digits as the reader cuts them out of touching writing, and examples of what is not one
digit, for the CNN's eleventh output (``NOT_ONE_DIGIT``): the crops the reader's search
meets. Made from training digits only: rows of two to four of them, close, touching or
overlapping, are cut and grouped by the reader's own segmentation
(``segmentation.line_candidates``), and each candidate is framed like MNIST as the reader
frames it. One that is one of the row's digits (maybe with a bit of its neighbour, or
missing a bit) is labelled with that digit; one far from any (two digits framed as one, a
digit and part of its neighbour, part of a digit) is labelled ``NOT_ONE_DIGIT``.

    images, labels = cut_from_rows(X_train, y_train, 4000, np.random.default_rng(0))
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from digit_pipeline.reading.images.errors import ImageError
from digit_pipeline.reading.images.framing import frame_digit
from digit_pipeline.reading.images.mnist import IMAGE_SIZE, NOT_ONE_DIGIT
from digit_pipeline.reading.images.segmentation import line_candidates

# Digits are written this many pixels tall (twice MNIST's), two to four in a row...
HEIGHT = 56
DIGITS_PER_ROW = (2, 5)
# ...each reaching over the one before by this share of the narrower's width (negative:
# a gap), and standing a little higher or lower.
OVERLAP = (-0.15, 0.4)
DROP = 0.08
# A candidate is one of the row's digits when it holds at least ONE of that digit's ink
# and its ink is at least that much the digit's; it is not one digit when, for every
# digit, either share is below NOT_ONE; in between, it is left out.
ONE = 0.85
NOT_ONE = 0.7
INK = 0.1
# At most this many rows are written for each example wanted.
MAX_ROWS = 20


def cut_from_rows(
    images: np.ndarray, labels: np.ndarray, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` framed crops that are not one digit and ``count`` digits as the reader cuts
    them, made from ``images`` (N, 28, 28, 1) float32 in [0, 1] with their ``labels``:
    (2 * count, 28, 28, 1) float32 and their labels (``NOT_ONE_DIGIT`` or the digit); fewer
    when ``MAX_ROWS * count`` rows do not yield them (images without ink)."""
    found: dict[bool, list[tuple[np.ndarray, int]]] = {True: [], False: []}  # one digit?
    for _ in range(MAX_ROWS * count):  # blank images would give nothing, never ending
        if min(len(found[True]), len(found[False])) >= count:
            break
        picked = rng.integers(len(images), size=int(rng.integers(*DIGITS_PER_ROW)))
        row, owners = _row(images[picked, ..., 0], rng)
        try:
            candidates = line_candidates(row, 0, row.shape[0])
        except ImageError:
            continue
        for candidate in candidates:
            ink = candidate.own_ink(row)
            digit, closeness = _closest(ink, candidate.extent, owners)
            if NOT_ONE <= closeness < ONE or len(found[closeness >= ONE]) >= count:
                continue
            try:
                framed = frame_digit(ink)
            except ImageError:  # no ink left to frame
                continue
            found[closeness >= ONE].append(
                (framed, int(labels[picked[digit]]) if closeness >= ONE else NOT_ONE_DIGIT)
            )
    examples = found[False] + found[True]
    if not examples:
        return np.zeros((0, IMAGE_SIZE, IMAGE_SIZE, 1), np.float32), labels[:0]
    crops, classes = zip(*examples, strict=True)
    return (
        np.stack(crops)[..., np.newaxis].astype(np.float32),
        np.array(classes, dtype=labels.dtype),
    )


def _row(digits: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray]]:
    """The digits written left to right, close or touching: the row's ink, and each
    digit's own ink in it."""
    inks = [_written(digit) for digit in digits]
    lefts, x = [], 0
    for index, ink in enumerate(inks):
        if index:
            narrower = min(ink.shape[1], inks[index - 1].shape[1])
            x -= round(rng.uniform(*OVERLAP) * narrower)
        lefts.append(max(0, x))
        x = lefts[-1] + ink.shape[1]
    margin = round(DROP * HEIGHT) + 2
    tops = [margin + round(rng.uniform(-DROP, DROP) * HEIGHT) for _ in inks]
    shape = (HEIGHT + 2 * margin, max(left + ink.shape[1] for left, ink in zip(lefts, inks)) + 4)
    owners = []
    for left, top, ink in zip(lefts, tops, inks, strict=True):
        own = np.zeros(shape, np.float32)
        own[top : top + ink.shape[0], left + 2 : left + 2 + ink.shape[1]] = ink
        owners.append(own)
    return np.max(owners, axis=0), owners


def _written(digit: np.ndarray) -> np.ndarray:
    """A 28x28 digit's ink, ``HEIGHT`` pixels tall, cropped to its columns."""
    big = np.asarray(
        Image.fromarray(digit.astype(np.float32), mode="F").resize(
            (HEIGHT, HEIGHT), Image.Resampling.BILINEAR
        )
    )
    columns = np.flatnonzero(big.max(axis=0) > INK)
    return big[:, columns[0] : columns[-1] + 1] if columns.size else big


def _closest(ink: np.ndarray, extent, owners: list[np.ndarray]) -> tuple[int, float]:
    """The row's digit that a candidate's ink (within its ``extent`` of the row) is
    closest to, and how close: the less of the share of the digit's ink it holds and the
    share of its ink that is the digit's."""
    left, top, right, bottom = extent
    total = max(float(ink.sum()), 1e-6)
    closeness = []
    for owner in owners:
        shared = float(np.minimum(ink, owner[top:bottom, left:right]).sum())
        closeness.append(min(shared / max(float(owner.sum()), 1e-6), shared / total))
    best = int(np.argmax(closeness))
    return best, closeness[best]
