"""A digit rewritten in a hand: a slant, a width and a pen, and the marks MNIST's writers
hardly used (a bar across a 7, a flag and a foot on a 1); and training digits given those
everyday forms (``with_everyday_forms``). ``generators.writer`` writes whole test hands
with it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from digit_pipeline.reading.images.framing import frame_digit

# Drawn at this many times MNIST's 28 pixels, then framed back to 28x28 like any digit.
_SCALE = 4


@dataclass(frozen=True)
class Hand:
    """How a writer writes, at MNIST's 28-pixel scale.

    Attributes:
        slant: Horizontal shift of a digit's top against its bottom, per height (positive:
            the tops lean left, a backhand).
        width: The digit's width against MNIST's (above 1: broad).
        stroke: The pen of the added marks, in pixels; ``thicken``: pixels added to every
            stroke's half-width (a blunt pen).
        bar: The bar across a 7, in digit heights (0: none); ``flag``, ``foot``: a 1's.
    """

    slant: float
    width: float = 1.0
    stroke: float = 2.2
    thicken: float = 0.0
    bar: float = 0.55
    flag: float = 0.35
    foot: float = 0.45


def with_everyday_forms(
    images: np.ndarray, labels: np.ndarray, share: float, rng: np.random.Generator
) -> np.ndarray:
    """Training digits (N, 28, 28, 1) in [0, 1] with ``share`` of the 7s crossed and of the
    1s given a flag and (every other one) a foot, each mark of its own length and pen: the
    everyday forms that MNIST's writers hardly used. A copy, the rest unchanged (with a
    share of 0, the images themselves)."""
    if share == 0:
        return images
    changed = images.copy()
    chosen = np.flatnonzero(np.isin(labels, (1, 7)) & (rng.random(len(labels)) < share))
    for index in chosen:
        hand = Hand(
            slant=0.0,
            stroke=rng.uniform(1.6, 3.0),
            bar=rng.uniform(0.35, 0.7),
            flag=rng.uniform(0.2, 0.5),
            foot=rng.uniform(0.3, 0.5) if rng.random() < 0.5 else 0.0,
        )
        digit = (images[index, ..., 0] * 255).round()
        changed[index, ..., 0] = in_hand(digit, int(labels[index]), rng, hand)
    return changed


def in_hand(image: np.ndarray, label: int, rng: np.random.Generator, hand: Hand) -> np.ndarray:
    size = 28 * _SCALE
    canvas = Image.fromarray(image.astype(np.uint8)).resize((size, size), Image.Resampling.BILINEAR)
    if hand.thicken:
        radius = hand.thicken * _SCALE
        disc = np.hypot(*np.mgrid[-radius : radius + 1, -radius : radius + 1]) <= radius
        canvas = Image.fromarray(ndimage.grey_dilation(np.asarray(canvas), footprint=disc))
    ink = np.asarray(canvas) > 127
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    top, bottom = rows[0], rows[-1]
    height = bottom - top + 1
    pen = round(hand.stroke * _SCALE * rng.uniform(0.9, 1.1))
    draw = ImageDraw.Draw(canvas)

    def middle_of_row(row: int) -> float:
        found = np.flatnonzero(ink[row])
        return float(found.mean()) if found.size else float(columns.mean())

    if label == 7 and hand.bar:  # a bar across the stem, a little below half height
        y = round(top + height * rng.uniform(0.5, 0.6))
        x = middle_of_row(y)
        half = height * hand.bar * rng.uniform(0.9, 1.1) / 2
        draw.line([(x - half, y), (x + half, y)], fill=255, width=pen)
    elif label == 1:  # a flag down to the left from the top, a foot along the bottom
        x_top, x_bottom = middle_of_row(top + pen // 2), middle_of_row(bottom - pen // 2)
        flag = height * hand.flag * rng.uniform(0.9, 1.1)
        draw.line([(x_top, top), (x_top - flag * 0.8, top + flag * 0.6)], fill=255, width=pen)
        if hand.foot:
            half = height * hand.foot * rng.uniform(0.9, 1.1) / 2
            draw.line([(x_bottom - half, bottom), (x_bottom + half, bottom)], fill=255, width=pen)

    # Slant: an output pixel (x, y) takes the input at (x - slant * (y - middle), y), so
    # for a backhand the top moves left and the bottom right; the width scales x about the
    # middle. Room on both sides keeps the ink whole.
    slant = hand.slant * rng.uniform(0.85, 1.15)
    wide = Image.new("L", (size * 2, size))
    wide.paste(canvas, (size // 2, 0))
    middle, centre = (top + bottom) / 2, size
    scale = 1 / (hand.width * rng.uniform(0.93, 1.07)) if hand.width != 1.0 else 1.0
    leaning = wide.transform(
        wide.size, Image.Transform.AFFINE,
        (scale, -slant, slant * middle + centre * (1 - scale), 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
    )  # fmt: skip
    return frame_digit(np.asarray(leaning, dtype=np.float32) / 255.0)
