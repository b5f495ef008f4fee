"""A new writer: MNIST digits rewritten in one consistent hand that MNIST rarely shows,
to measure what teaching the model a person's own digits gains (issue #16).

The hand: a strong backhand slant (the tops lean left), a bar across every 7, a flag and a
foot on every 1. Each digit keeps its own shape under the style, and varies a little in
slant and marks, as one person's digits do. Build it from MNIST's training digits only.

    digits = write_in_hand(images, labels, np.random.default_rng(0))  # (N, 28, 28) in [0, 1]
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digit_pipeline.reading.images.framing import frame_digit

# Drawn at this many times MNIST's 28 pixels, then framed back to 28x28 like any digit.
_SCALE = 4
# How far the writer leans back: horizontal shift of the top against the bottom, per height.
SLANT = 0.7
# The bar of a 7 and the flag and foot of a 1, in digit heights; the stroke in pixels at 28.
BAR_WIDTH = 0.55
FLAG_LENGTH = 0.35
FOOT_WIDTH = 0.45
STROKE = 2.2


def write_in_hand(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """MNIST-convention digits (N, 28, 28) 0-255 rewritten in the writer's hand, framed
    like MNIST: (N, 28, 28) float32 in [0, 1]."""
    return np.stack(
        [_in_hand(image, int(label), rng) for image, label in zip(images, labels, strict=True)]
    )


def _in_hand(image: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray:
    size = 28 * _SCALE
    canvas = Image.fromarray(image.astype(np.uint8)).resize((size, size), Image.Resampling.BILINEAR)
    ink = np.asarray(canvas) > 127
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    top, bottom = rows[0], rows[-1]
    height = bottom - top + 1
    pen = round(STROKE * _SCALE * rng.uniform(0.9, 1.1))
    draw = ImageDraw.Draw(canvas)

    def middle_of_row(row: int) -> float:
        found = np.flatnonzero(ink[row])
        return float(found.mean()) if found.size else float(columns.mean())

    if label == 7:  # a bar across the stem, a little below half height
        y = round(top + height * rng.uniform(0.5, 0.6))
        x = middle_of_row(y)
        half = height * BAR_WIDTH * rng.uniform(0.9, 1.1) / 2
        draw.line([(x - half, y), (x + half, y)], fill=255, width=pen)
    elif label == 1:  # a flag down to the left from the top, a foot along the bottom
        x_top, x_bottom = middle_of_row(top + pen // 2), middle_of_row(bottom - pen // 2)
        flag = height * FLAG_LENGTH * rng.uniform(0.9, 1.1)
        draw.line([(x_top, top), (x_top - flag * 0.8, top + flag * 0.6)], fill=255, width=pen)
        half = height * FOOT_WIDTH * rng.uniform(0.9, 1.1) / 2
        draw.line([(x_bottom - half, bottom), (x_bottom + half, bottom)], fill=255, width=pen)

    # Backhand: an output pixel (x, y) takes the input at (x - slant * (y - middle), y), so
    # the top moves left and the bottom right. Room on both sides keeps the ink whole.
    slant = SLANT * rng.uniform(0.85, 1.15)
    wide = Image.new("L", (size * 2, size))
    wide.paste(canvas, (size // 2, 0))
    middle = (top + bottom) / 2
    leaning = wide.transform(
        wide.size, Image.Transform.AFFINE, (1, -slant, slant * middle, 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
    )  # fmt: skip
    return frame_digit(np.asarray(leaning, dtype=np.float32) / 255.0)
