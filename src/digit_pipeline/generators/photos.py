"""Photographs of handwriting made from MNIST digits, to tune and measure reading in the
user's world: a digit photographed on grey, unevenly lit paper; a row of digits on white
paper; sheets of several lines on plain, ruled and squared paper, tilted a few degrees.

Each image has one writer, whose pen is thin, normal or bold and whose ink is sometimes
faint; each digit is an MNIST digit in that hand, sometimes written wide or broken. Tune on
images made from the training file's digits only; MNIST's test digits are for final
measurement.

    pool = DigitPool(images, labels)            # (N, 28, 28) uint8, (N,)
    sample = make_image("sheet ruled", pool, np.random.default_rng(0))
    sample.data    # JPEG bytes;  sample.lines: the digits of each line, e.g. ["0417", "93"]
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image
from scipy import ndimage

# MNIST digits fill a 20-pixel box of the 28x28 field.
_DIGIT_BOX = 20.0
PENS = ("thin", "normal", "bold")
# A pen's stroke width against MNIST's typical stroke, _MNIST_STROKE pixels of the 20-pixel
# box (the median over training digits).
_PEN_WIDTH = {"thin": (0.35, 0.55), "normal": (0.8, 1.25), "bold": (1.4, 1.9)}
_MNIST_STROKE = 2.6
# Half the width (pixels) of the finest stroke a pen draws.
_FINEST_HALF_WIDTH = 0.75
# Ink this many MNIST strokes wide is a solid patch, not a stroke.
_SOLID_INK = 3.0
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
    # The pen's stroke against MNIST's; None: drawn from the pen's range for each digit.
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
            width=rng.uniform(*_PEN_WIDTH[pen]),
        )

    def next_digit(self, rng: np.random.Generator) -> Style:
        """The same writer's next digit: the same pen and ink, its own shape."""
        if self.careful:
            return self
        quirks = Style.random(rng)
        return replace(self, wide=quirks.wide, broken=quirks.broken)


@dataclass(frozen=True)
class Sample:
    """A generated image file and the digits written on it, line by line; ``sources``: the
    pool's indexes of the digits, in reading order."""

    data: bytes
    lines: list[str]
    sources: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def write_digit(
    digit: np.ndarray, height: float, style: Style, rng: np.random.Generator
) -> np.ndarray:
    """The ink (alpha in [0, 1]) of an MNIST digit written ``height`` pixels tall.

    The pen is drawn along the middle line of the digit's strokes at its own width, as a
    real pen is: a fine pen keeps every part of the digit, a marker fills small loops. A
    broken digit loses a band of ink across it; a faint one is lighter.
    """
    scale = height / _DIGIT_BOX
    width_scale = scale * (rng.uniform(1.35, 1.7) if style.wide else rng.uniform(0.9, 1.1))
    size = (max(2, round(28 * width_scale)), max(2, round(28 * scale)))
    pen = style.width if style.width is not None else rng.uniform(*_PEN_WIDTH[style.pen])
    half = max(_FINEST_HALF_WIDTH, pen * _MNIST_STROKE * scale / 2)
    # The middle line is found at a reduced size; distances to it are scaled back.
    work = min(1.0, _MIDDLE_LINE_SIZE / max(size))
    small = (max(2, round(size[0] * work)), max(2, round(size[1] * work)))
    alpha = Image.fromarray(digit.astype(np.float32) / 255.0, mode="F").resize(
        small, Image.Resampling.BILINEAR
    )
    inside = np.asarray(alpha) > 0.5
    inside = np.pad(inside, int(np.ceil((half + 2) * work)) + 1)
    # Ink far wider than a stroke (loops written solid) stays as it is: the parts of the
    # digit a disc of SOLID_INK strokes' width fits in.
    solid = _SOLID_INK * _MNIST_STROKE * scale / 2
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


class Page:
    """A sheet of paper being written on: ink is laid on it, then it is lit and photographed."""

    def __init__(self, height: int, width: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.ink = np.zeros((height, width), dtype=np.float32)
        self.rules = np.zeros((height, width), dtype=np.float32)

    def write(self, alpha: np.ndarray, top: int, left: int) -> None:
        """Lay a digit's ink with its top-left corner at (top, left), clipped to the page."""
        h, w = alpha.shape
        y0, x0 = max(top, 0), max(left, 0)
        y1, x1 = min(top + h, self.ink.shape[0]), min(left + w, self.ink.shape[1])
        if y0 < y1 and x0 < x1:
            region = self.ink[y0:y1, x0:x1]
            np.maximum(region, alpha[y0 - top : y1 - top, x0 - left : x1 - left], out=region)

    def rule(self, spacing: float, vertical: bool = False, offset: float = 0.0) -> None:
        """Printed lines every ``spacing`` pixels, thin and lighter than the pen."""
        thickness = self.rng.choice([1, 1, 2])
        strength = self.rng.uniform(0.35, 0.6)
        length = self.ink.shape[0] if vertical else self.ink.shape[1]
        across = self.ink.shape[1] if vertical else self.ink.shape[0]
        for position in np.arange(offset % spacing, across, spacing):
            start = int(position)
            if vertical:
                self.rules[:length, start : start + thickness] = strength
            else:
                self.rules[start : start + thickness, :length] = strength

    def photograph(
        self, paper: float, uneven: float, tilt: float, noise: float, quality: int
    ) -> bytes:
        """The page as a JPEG photograph, the paper filling the frame: coloured ink and
        paper, the writing tilted by ``tilt`` degrees, light falling off by up to ``uneven``, sensor noise, JPEG compression."""
        rng = self.rng
        height, width = self.ink.shape
        ink, rules = (_tilt(layer, tilt) for layer in (self.ink, self.rules))
        ink_colour = np.array(rng.choice([[0.08, 0.08, 0.1], [0.1, 0.15, 0.45], [0.2, 0.2, 0.22]]))
        paper_colour = paper * np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 1.0)])
        rule_colour = np.array([0.45, 0.6, 0.85]) * paper
        image = paper_colour * np.ones((height, width, 3))
        image += rules[..., None] * (rule_colour - image)
        image += ink[..., None] * (ink_colour - image)
        y, x = np.mgrid[:height, :width] / max(height, width)
        angle, cy, cx = rng.uniform(0, 2 * np.pi), rng.uniform(0, 1), rng.uniform(0, 1)
        gradient = (np.cos(angle) * x + np.sin(angle) * y) - (
            np.cos(angle) * cx + np.sin(angle) * cy
        )
        spot = np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 0.3)
        light = 1.0 - uneven * (0.5 + 0.5 * np.clip(gradient, -1, 1)) * (1.0 - 0.5 * spot)
        image = image * light[..., None] + rng.normal(0.0, noise, image.shape)
        photo = Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8), mode="RGB")
        buffer = io.BytesIO()
        photo.save(buffer, format="JPEG", quality=quality)
        return buffer.getvalue()


def _tilt(layer: np.ndarray, degrees: float) -> np.ndarray:
    """A layer of the page turned by ``degrees`` anticlockwise about its centre."""
    turned = Image.fromarray(layer, mode="F").rotate(degrees, Image.Resampling.BILINEAR)
    return np.asarray(turned)


def _write_line(
    page: Page,
    pool: DigitPool,
    *,
    count: int,
    height: float,
    baseline: float,
    left: float,
    style: Style,
    rng: np.random.Generator,
    text: str | None = None,
) -> list[int]:
    """Write ``count`` digits left to right (these, if ``text`` is given), their feet on
    ``baseline``, in the writer's ``style``; returns the pool's indexes of the digits
    written."""
    written = []
    x = left
    for position in range(count):
        index = pool.draw(rng, None if text is None else int(text[position]))
        alpha = write_digit(
            pool.images[index], height * rng.uniform(0.9, 1.1), style.next_digit(rng), rng
        )
        columns = np.flatnonzero(alpha.max(axis=0) > 0.5)
        if columns.size == 0:
            continue
        rows = np.flatnonzero(alpha.max(axis=1) > 0.5)
        top = round(baseline - rows[-1] + rng.normal(0, 0.04 * height))
        page.write(alpha, top, round(x - columns[0]))
        x += columns[-1] - columns[0] + height * rng.uniform(0.15, 0.6)
        written.append(index)
    return written


def photographed_digit(
    pool: DigitPool, rng: np.random.Generator, style: Style | None = None
) -> Sample:
    """One digit photographed on grey, unevenly lit paper."""
    size = int(rng.integers(200, 900))
    page = Page(size, int(size * rng.uniform(0.8, 1.25)), rng)
    height = size * rng.uniform(0.35, 0.7)
    index = pool.draw(rng)
    alpha = write_digit(pool.images[index], height, style or Style.random(rng), rng)
    top = round((page.ink.shape[0] - alpha.shape[0]) * rng.uniform(0.2, 0.8))
    left = round((page.ink.shape[1] - alpha.shape[1]) * rng.uniform(0.2, 0.8))
    page.write(alpha, top, left)
    data = page.photograph(
        paper=rng.uniform(0.6, 0.85), uneven=rng.uniform(0.1, 0.4), tilt=rng.uniform(-5, 5),
        noise=rng.uniform(0.01, 0.03), quality=int(rng.integers(60, 92)),
    )  # fmt: skip
    return Sample(data, [pool.text([index])], (index,))


def row(pool: DigitPool, rng: np.random.Generator) -> Sample:
    """A row of 3-6 digits on white paper."""
    height = rng.uniform(40, 90)
    count = int(rng.integers(3, 7))
    page = Page(int(height * 2), int(count * height * 1.3 + height), rng)
    written = _write_line(
        page, pool, count=count, height=height, baseline=height * 1.5, left=height * 0.4,
        style=Style.random(rng), rng=rng,
    )  # fmt: skip
    data = page.photograph(
        paper=rng.uniform(0.9, 1.0), uneven=rng.uniform(0.0, 0.15), tilt=rng.uniform(-2, 2),
        noise=rng.uniform(0.0, 0.02), quality=int(rng.integers(75, 95)),
    )  # fmt: skip
    return Sample(data, [pool.text(written)], tuple(written))


def sheet(pool: DigitPool, rng: np.random.Generator, paper: str = "plain") -> Sample:
    """A photographed sheet with 2-6 lines of 3-8 digits, on plain, ruled or squared paper.

    Lines differ in height, length and indent; on ruled paper the digits stand on the
    rules and may touch them.
    """
    lines = int(rng.integers(2, 7))
    height = rng.uniform(28, 48)
    pitch = height * rng.uniform(1.7, 2.2)
    width = int(height * rng.uniform(8, 11))
    page = Page(int(pitch * (lines + 0.8)), width, rng)
    if paper == "ruled":
        page.rule(pitch, offset=pitch * 0.9 + 1)
    elif paper == "squared":
        cell = pitch / 3
        page.rule(cell, offset=pitch * 0.9 + 1)
        page.rule(cell, vertical=True, offset=rng.uniform(0, cell))
    style, lines_written = Style.random(rng), []
    for line in range(lines):
        line_height = height * rng.uniform(0.8, 1.15)
        count = int(rng.integers(3, 9))
        left = width * rng.uniform(0.03, 0.25)
        count = min(count, int((width - left) / (line_height * 1.15)))
        baseline = pitch * (line + 0.9) - rng.uniform(0, 0.1) * line_height
        lines_written.append(
            _write_line(
                page,
                pool,
                count=count,
                height=line_height,
                baseline=baseline,
                left=left,
                style=style,
                rng=rng,
            )
        )
    data = page.photograph(
        paper=rng.uniform(0.65, 0.95), uneven=rng.uniform(0.05, 0.35), tilt=rng.uniform(-5, 5),
        noise=rng.uniform(0.005, 0.025), quality=int(rng.integers(60, 92)),
    )  # fmt: skip
    return Sample(
        data,
        [pool.text(written) for written in lines_written],
        tuple(index for written in lines_written for index in written),
    )


def pattern_sheet(pool: DigitPool, rng: np.random.Generator, texts: list[str]) -> Sample:
    """A photographed sheet of plain paper on which a person wrote the lines ``texts``
    (as asked by ``digit-pipeline collect``), in a normal pen, none wide or broken."""
    height = rng.uniform(36, 48)
    pitch = height * 2.0
    width = int(height * (1.4 * max(map(len, texts)) + 2))
    page = Page(int(pitch * (len(texts) + 0.8)), width, rng)
    style = Style(width=rng.uniform(*_PEN_WIDTH["normal"]), careful=True)
    written = [
        _write_line(
            page,
            pool,
            count=len(text),
            height=height,
            baseline=pitch * (line + 0.9),
            left=height,
            style=style,
            rng=rng,
            text=text,
        )
        for line, text in enumerate(texts)
    ]
    data = page.photograph(paper=0.85, uneven=0.1, tilt=rng.uniform(-2, 2), noise=0.01, quality=90)
    return Sample(data, [pool.text(indexes) for indexes in written], tuple(sum(written, [])))


KINDS: dict[str, Callable[[DigitPool, np.random.Generator], Sample]] = {
    "digit photo": photographed_digit,
    "digit photo, thin pen": lambda p, r: photographed_digit(p, r, Style(pen="thin")),
    "digit photo, bold pen": lambda p, r: photographed_digit(p, r, Style(pen="bold")),
    "digit photo, wide": lambda p, r: photographed_digit(p, r, Style(wide=True)),
    "digit photo, broken": lambda p, r: photographed_digit(p, r, Style(broken=True)),
    "row": row,
    "sheet plain": sheet,
    "sheet ruled": lambda p, r: sheet(p, r, "ruled"),
    "sheet squared": lambda p, r: sheet(p, r, "squared"),
}


def make_image(kind: str, pool: DigitPool, rng: np.random.Generator) -> Sample:
    """One generated image of ``kind`` (a key of ``KINDS``)."""
    return KINDS[kind](pool, rng)
