"""Lines of handwritten numbers made on the fly, to train and measure the line model: 1-12
MNIST digits (or glyphs of the permitted handwriting fonts, as other hands) written left to
right, apart, close, touching or overlapping, numbers separated by spaces; each line with
its writer's slant, width, bends and pen (ballpoint, pencil, felt), then blurred, noisy,
JPEG-compressed, a printed rule under or through it. Build training lines from MNIST's
training digits, validation lines from the validation split only; lines of MNIST's test
digits are for final figures.

    maker = LineMaker(images, labels)        # (N, 28, 28) uint8, (N,)
    line = maker.line(np.random.default_rng(0))
    line.strip.pixels, line.text             # (32, W) in [0, 1], "3 759 15"
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from digit_pipeline.reading.images.strip import Strip, line_strip
from digit_pipeline.training.fonts import cropped, font_digits, font_files
from digit_pipeline.training.line_ink import degraded, levelled, with_pen

# How neighbouring digits of a number lie: the gap between their inks, in digit heights
# (negative: overlapping, measured where their rows meet).
SPACINGS = {
    "apart": (0.12, 0.45),
    "close": (0.02, 0.12),
    "touching": (-0.04, 0.0),
    "overlapping": (-0.15, -0.03),
}
# The gap between two numbers, in digit heights: wider than any gap inside a number.
SPACE = (0.9, 2.2)
PENS = ("ballpoint", "pencil", "felt")
MAX_DIGITS = 12


@dataclass(frozen=True)
class WrittenLine:
    """A generated line: the strip the line model reads, its text (digits, numbers
    separated by one space), and the ink before it was made a strip."""

    strip: Strip
    text: str
    ink: np.ndarray

    def png(self) -> bytes:
        """The line as a scan gives it: dark ink on white, a margin around, a PNG file."""
        paper = (255 - np.clip(self.ink, 0, 1) * 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(np.pad(paper, 16, constant_values=255)).save(buffer, "PNG")
        return buffer.getvalue()


@dataclass(frozen=True)
class Writer:
    """How one line is written: digit height (pixels), slant (the top's shift against the
    foot, per height), width factor, bends (elastic, pixels), pen and stroke change."""

    height: float
    slant: float
    width: float
    bends: float
    pen: str
    stroke: int  # -1 thinner, 0, 1 or 2 bolder

    @classmethod
    def random(cls, rng: np.random.Generator) -> Writer:
        pen = str(rng.choice(PENS, p=[0.5, 0.25, 0.25]))
        stroke = int(rng.choice([-1, 0, 0, 1])) + (1 if pen == "felt" else 0)
        return cls(
            height=float(rng.uniform(18, 34)),
            slant=float(np.clip(rng.normal(0, 0.3), -0.8, 0.8)),
            width=float(rng.uniform(0.65, 1.45)),
            bends=float(rng.choice([0.0, rng.uniform(0.5, 2.0)])),
            pen=pen,
            stroke=stroke,
        )


class LineMaker:
    """Makes lines from a pool of digits (MNIST convention, 0-255 or 0-1, (N, 28, 28) or
    (N, 28, 28, 1)) and, for ``font_share`` of the lines, from the glyphs of one of
    ``fonts`` (the permitted ones installed, if None)."""

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        *,
        fonts: list[Path] | None = None,
        font_share: float = 0.15,
        own: tuple[np.ndarray, np.ndarray] | None = None,
        own_share: float = 0.0,
    ) -> None:
        self.images, self.labels = _pool(images, labels)
        self.by_label = [np.flatnonzero(self.labels == digit) for digit in range(10)]
        self.fonts = font_files() if fonts is None else fonts
        self.font_share = font_share if self.fonts else 0.0
        # A person's own digits write ``own_share`` of the lines (where they have written
        # a digit; MNIST's where they have not).
        self.own_images, own_labels = _pool(*own) if own is not None else (None, np.array([]))
        self.own_by_label = [np.flatnonzero(own_labels == digit) for digit in range(10)]
        self.own_share = own_share if len(own_labels) else 0.0

    def line(
        self,
        rng: np.random.Generator,
        *,
        text: str | None = None,
        spacing: str | None = None,
        writer: Writer | None = None,
        font: Path | None = None,
        clean: bool = False,
        digits: int | None = None,
    ) -> WrittenLine:
        """One line: ``text`` (digits and spaces) or a random one of 1-12 digits; its
        digits ``spacing`` apart (a ``SPACINGS`` key; random if None); by ``writer`` (random
        if None) in MNIST's digits or ``font``'s; ``clean``: no blur, noise, JPEG or rule;
        ``digits``: a random text of that many digits."""
        text = text or random_text(rng, digits)
        writer = writer or Writer.random(rng)
        own = font is None and rng.random() < self.own_share
        if font is None and not own and rng.random() < self.font_share:
            font = self.fonts[rng.integers(len(self.fonts))]
        glyphs = font_digits(font) if font is not None else None
        spacing = spacing or str(rng.choice(list(SPACINGS), p=[0.3, 0.2, 0.25, 0.25]))
        marks = [
            None if char == " " else self._digit(int(char), writer, glyphs, rng, own)
            for char in text
        ]
        ink = _laid_out(marks, writer.height, spacing, rng)
        ink = with_pen(ink, writer.pen, rng)
        if not clean:
            ink = degraded(ink, writer.height, rng)
        strip = line_strip(levelled(ink))
        if strip is None:  # every stroke lost (a faint pencil, heavy noise): write it again
            felt = replace(writer, pen="felt")
            return self.line(rng, text=text, spacing=spacing, writer=felt, font=font, clean=True)
        return WrittenLine(strip, text, ink)

    def _digit(
        self,
        digit: int,
        writer: Writer,
        glyphs: tuple[np.ndarray, ...] | None,
        rng: np.random.Generator,
        own: bool = False,
    ) -> np.ndarray:
        if glyphs is not None:
            source = glyphs[digit]
        elif own and len(self.own_by_label[digit]):
            source = cropped(self.own_images[rng.choice(self.own_by_label[digit])])
        else:
            source = cropped(self.images[rng.choice(self.by_label[digit])])
        return _written(source, writer, rng)


def _pool(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Digits as (N, 28, 28) float32 ink in [0, 1], from 0-255 or 0-1, with a channel or not."""
    images = np.asarray(images, dtype=np.float32).reshape(len(images), 28, 28)
    return (images / 255 if images.max(initial=0) > 1 else images), np.asarray(labels)


def random_text(rng: np.random.Generator, count: int | None = None) -> str:
    """``count`` digits (1-``MAX_DIGITS`` if None); in a third of the lines of more than
    two, split into numbers by spaces."""
    count = count or int(rng.integers(1, MAX_DIGITS + 1))
    digits = "".join(str(d) for d in rng.integers(0, 10, count))
    if count < 3 or rng.random() > 0.35:
        return digits
    cuts = sorted(
        rng.choice(np.arange(1, count), size=int(rng.integers(1, min(4, count))), replace=False)
    )
    parts = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, count], strict=True)]
    return " ".join(parts)


def _written(source: np.ndarray, writer: Writer, rng: np.random.Generator) -> np.ndarray:
    """A digit's ink at the writer's height, width and slant (each varied a little per
    digit), bent and its strokes thickened or thinned."""
    height = writer.height * rng.uniform(0.9, 1.1)
    scale = height / source.shape[0]
    x_scale = scale * writer.width * rng.uniform(0.9, 1.1)
    slant = writer.slant + rng.normal(0, 0.05)
    angle = np.deg2rad(rng.normal(0, 3))
    # Scale, then turn a little, then slant (x moves with the height above the foot).
    cos, sin = np.cos(angle), np.sin(angle)
    matrix = np.array([[x_scale * cos, -scale * sin - slant * scale], [x_scale * sin, scale * cos]])
    h, w = source.shape
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], np.float64) @ matrix.T
    low = corners.min(axis=0)
    size = np.ceil(corners.max(axis=0) - low).astype(int) + 2
    affine = np.hstack([matrix, (1 - low)[:, None]]).astype(np.float32)
    ink = cv2.warpAffine(source, affine, (int(size[0]), int(size[1])), flags=cv2.INTER_LINEAR)
    if writer.bends > 0:
        ink = _bent(ink, writer.bends, rng)
    if writer.stroke:
        kernel = np.ones((2, 2) if abs(writer.stroke) == 1 else (3, 3), np.uint8)
        ink = cv2.dilate(ink, kernel) if writer.stroke > 0 else cv2.erode(ink, kernel)
    return cropped(ink)


def _bent(ink: np.ndarray, pixels: float, rng: np.random.Generator) -> np.ndarray:
    """Elastic bends: every point moves with a smooth random field of ``pixels`` deviation."""
    h, w = ink.shape
    field = [
        cv2.resize(
            rng.normal(0, pixels, (3, 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC
        )
        for _ in range(2)
    ]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return cv2.remap(ink, xs + field[0], ys + field[1], cv2.INTER_LINEAR)


def _laid_out(
    marks: list[np.ndarray | None], height: float, spacing: str, rng: np.random.Generator
) -> np.ndarray:
    """The digits written left to right on a line (None: a space between numbers), their
    feet on a baseline that wanders a little."""
    canvas_height = int(height * 2.2)
    widths = sum(m.shape[1] for m in marks if m is not None)
    canvas = np.zeros((canvas_height, int(widths + height * (3 + 2.5 * len(marks)))), np.float32)
    baseline = height * 1.6
    drift = rng.normal(0, 0.03)
    x, after_space = height * 0.5, True
    for mark in marks:
        if mark is None:
            x += height * rng.uniform(*SPACE)
            after_space = True
            continue
        top = int(round(baseline + drift * x + rng.normal(0, 0.04 * height) - mark.shape[0]))
        top = min(max(top, 0), canvas_height - mark.shape[0])
        low, high = SPACINGS[spacing]
        gap = height * rng.uniform(low, high)
        left = (
            int(round(x + gap))
            if after_space or gap >= 0
            else _overlapping(canvas, mark, top, x, gap)
        )
        if after_space:
            left = int(round(x))
        region = canvas[top : top + mark.shape[0], left : left + mark.shape[1]]
        np.maximum(region, mark[: region.shape[0], : region.shape[1]], out=region)
        x = max(x, left + mark.shape[1])
        after_space = False
    return canvas


def _overlapping(canvas: np.ndarray, mark: np.ndarray, top: int, x: float, gap: float) -> int:
    """The column to lay ``mark`` at so that, in the rows where both have ink, it reaches
    ``-gap`` pixels over the ink already laid (0: the inks just meet)."""
    rows = slice(top, top + mark.shape[0])
    laid = canvas[rows] > 0.3
    has = laid.any(axis=1)
    ours = mark > 0.3
    mine = ours.any(axis=1)
    both = has & mine
    if not both.any():
        return int(round(x + gap))
    right_edge = laid.shape[1] - 1 - np.argmax(laid[:, ::-1], axis=1)
    left_edge = np.argmax(ours, axis=1)
    needed = (right_edge - left_edge)[both].max() + 1
    return int(max(0, round(needed + gap)))
