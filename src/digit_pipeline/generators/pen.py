"""A pen that writes MNIST digits: a digit's middle line drawn at the pen's own width, as a
real pen is, sometimes wide, broken or faint; the digits to write with (``DigitPool``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image
from scipy import ndimage

from digit_pipeline.reading.images.mnist import DIGIT_BOX

PENS = ("thin", "normal", "bold")
# A pen's stroke width, in pixels of MNIST's 20-pixel digit box (MNIST's own is
# ``mnist.STROKE_WIDTH``).
PEN_WIDTH = {"thin": (0.91, 1.43), "normal": (2.08, 3.25), "bold": (3.64, 4.94)}
# Half the width (pixels) of the finest stroke a pen draws.
_FINEST_HALF_WIDTH = 0.75
# Ink this wide (pixels of the 20-pixel box) is a solid patch, not a stroke.
_SOLID_INK_WIDTH = 7.8
# The middle line of a digit's strokes is found at no more than this many pixels a side.
_MIDDLE_LINE_SIZE = 112


@dataclass(frozen=True)
class DigitPool:
    """MNIST-convention digits to write with: images (N, 28, 28) 0-255 and labels (N,)."""

    images: np.ndarray
    labels: np.ndarray

    def draw(self, rng: np.random.Generator, label: int | None = None) -> int:
        """The index of a digit picked at random (of ``label``, if given)."""
        if label is None:
            return int(rng.integers(len(self.labels)))
        return int(rng.choice(np.flatnonzero(self.labels == label)))

    def text(self, indexes: list[int]) -> str:
        return "".join(str(self.labels[index]) for index in indexes)


@dataclass(frozen=True)
class Style:
    """How one digit is written."""

    pen: str = "normal"
    wide: bool = False
    broken: bool = False
    faint: bool = False
    # The pen's stroke width (pixels of the 20-pixel box); None: drawn from the pen's range.
    width: float | None = None
    # A careful writer: no digit written wide or broken.
    careful: bool = False

    @classmethod
    def random(cls, rng: np.random.Generator) -> Style:
        pen = str(rng.choice(PENS, p=[0.25, 0.5, 0.25]))
        return cls(
            pen=pen,
            wide=bool(rng.random() < 0.15),
            broken=bool(rng.random() < 0.1),
            faint=bool(rng.random() < 0.1),
            width=rng.uniform(*PEN_WIDTH[pen]),
        )

    def next_digit(self, rng: np.random.Generator) -> Style:
        """The same writer's next digit: the same pen and ink, its own shape."""
        if self.careful:
            return self
        quirks = Style.random(rng)
        return replace(self, wide=quirks.wide, broken=quirks.broken)


def write_digit(
    digit: np.ndarray, height: float, style: Style, rng: np.random.Generator
) -> np.ndarray:
    """The ink (alpha in [0, 1]) of an MNIST digit written ``height`` pixels tall.

    The pen is drawn along the middle line of the digit's strokes at its own width, as a
    real pen is: a fine pen keeps every part of the digit, a marker fills small loops. A
    broken digit loses a band of ink across it; a faint one is lighter.
    """
    scale = height / DIGIT_BOX
    width_scale = scale * (rng.uniform(1.35, 1.7) if style.wide else rng.uniform(0.9, 1.1))
    size = (max(2, round(28 * width_scale)), max(2, round(28 * scale)))
    pen = style.width if style.width is not None else rng.uniform(*PEN_WIDTH[style.pen])
    half = max(_FINEST_HALF_WIDTH, pen * scale / 2)
    # The middle line is found at a reduced size; distances to it are scaled back.
    work = min(1.0, _MIDDLE_LINE_SIZE / max(size))
    small = (max(2, round(size[0] * work)), max(2, round(size[1] * work)))
    alpha = Image.fromarray(digit.astype(np.float32) / 255.0, mode="F").resize(
        small, Image.Resampling.BILINEAR
    )
    inside = np.asarray(alpha) > 0.5
    inside = np.pad(inside, int(np.ceil((half + 2) * work)) + 1)
    # Ink far wider than a stroke (loops written solid) stays as it is: the parts of the
    # digit a disc of _SOLID_INK_WIDTH fits in.
    solid = _SOLID_INK_WIDTH * scale / 2
    core = ndimage.distance_transform_edt(inside) / work > solid
    shape = (round(inside.shape[1] / work), round(inside.shape[0] / work))
    to_middle, to_core = (_distance_to(mask, work, shape) for mask in (_middle(inside), core))
    alpha = np.clip(np.maximum(half - to_middle, solid - to_core) + 0.5, 0.0, 1.0)
    if style.broken:
        alpha = _break_stroke(alpha, height, rng)
    return alpha * (rng.uniform(0.35, 0.55) if style.faint else 1.0)


def _distance_to(mask: np.ndarray, scale: float, size: tuple[int, int]) -> np.ndarray:
    """The distance from each pixel to ``mask`` (infinite without one), in the pixels of
    the mask enlarged by 1 / ``scale`` to ``size`` (width, height)."""
    if not mask.any():
        return np.full(size[::-1], np.inf, dtype=np.float32)
    distance = (ndimage.distance_transform_edt(~mask) / scale).astype(np.float32)
    return np.asarray(Image.fromarray(distance, mode="F").resize(size, Image.Resampling.BILINEAR))


def _middle(inside: np.ndarray) -> np.ndarray:
    """The middle line of a mask's strokes, one pixel wide and as connected as the strokes:
    Zhang and Suen's thinning (1984), each pass peeling border pixels that no connection
    needs, first from the south-east, then from the north-west."""
    middle = np.pad(inside, 1)
    while True:
        changed = False
        for first in (True, False):
            p = np.pad(middle, 1).astype(np.int8)
            # Neighbours clockwise from north: P2 (N), P3 (NE), ..., P9 (NW).
            n = [p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:], p[2:, 2:],
                 p[2:, 1:-1], p[2:, :-2], p[1:-1, :-2], p[:-2, :-2]]  # fmt: skip
            count = sum(n)
            crossings = sum((n[k] == 0) & (n[(k + 1) % 8] == 1) for k in range(8))
            if first:
                open_side = (n[0] * n[2] * n[4] == 0) & (n[2] * n[4] * n[6] == 0)
            else:
                open_side = (n[0] * n[2] * n[6] == 0) & (n[0] * n[4] * n[6] == 0)
            peel = middle & (count >= 2) & (count <= 6) & (crossings == 1) & open_side
            if peel.any():
                middle = middle & ~peel
                changed = True
        if not changed:
            return middle[1:-1, 1:-1]


def _break_stroke(alpha: np.ndarray, height: float, rng: np.random.Generator) -> np.ndarray:
    """Erase a band of ink across the digit, through one of its stroke pixels: a pen that
    skipped, the gap 2-6% of the digit's height."""
    rows, columns = np.nonzero(alpha > 0.5)
    if rows.size == 0:
        return alpha
    pick = int(rng.integers(rows.size))
    angle = rng.uniform(0, np.pi)
    y, x = np.mgrid[: alpha.shape[0], : alpha.shape[1]]
    distance = np.abs((y - rows[pick]) * np.cos(angle) - (x - columns[pick]) * np.sin(angle))
    return np.where(distance < max(1.0, height * rng.uniform(0.01, 0.03)), 0.0, alpha)
