"""Photographs of handwriting made from MNIST digits, to tune and measure reading in the
user's world: a digit photographed on grey, unevenly lit paper; a row of digits on white
paper, apart or touching; sheets of several lines on plain, ruled and squared paper, tilted
a few degrees.

Each image has one writer, whose pen is thin, normal or bold and whose ink is sometimes
faint; each digit is an MNIST digit in that hand, sometimes written wide or broken. Tune on
images made from the training file's digits only; MNIST's test digits are for final
measurement.

    pool = DigitPool(images, labels)            # (N, 28, 28) uint8, (N,)
    sample = make_image("sheet ruled", pool, np.random.default_rng(0))
    sample.data    # JPEG bytes;  sample.texts: the digits of each line, e.g. ["0417", "93"]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from digit_pipeline.generators.paper import Paper
from digit_pipeline.generators.pen import PEN_WIDTH, DigitPool, Style, write_digit

__all__ = ["KINDS", "DigitPool", "Sample", "Style", "make_image", "pattern_sheet", "write_digit"]


@dataclass(frozen=True)
class Sample:
    """A generated image file and the digits written on it, line by line; ``sources``: the
    pool's indexes of the digits, in reading order."""

    data: bytes
    texts: list[str]
    sources: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def write_line(
    paper_sheet: Paper,
    pool: DigitPool,
    *,
    count: int,
    height: float,
    baseline: float,
    left: float,
    style: Style,
    rng: np.random.Generator,
    text: str | None = None,
    overlap: tuple[float, float] | None = None,
) -> list[int]:
    """Write ``count`` digits left to right (these, if ``text`` is given), their feet on
    ``baseline``, in the writer's ``style``; returns the pool's indexes of the digits
    written. With ``overlap``, each digit touches the one before and reaches over it by
    that range of pixels (0: the inks just meet), as in fast writing."""
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
        at = round(x - columns[0])
        if overlap is not None and written:
            touching = _touching(paper_sheet.ink, alpha, top, rng.uniform(*overlap))
            x, at = (x, at) if touching is None else (x + touching - at, touching)
        paper_sheet.write(alpha, top, at)
        x += columns[-1] - columns[0] + height * rng.uniform(0.15, 0.6)
        written.append(index)
    return written


def _touching(ink: np.ndarray, alpha: np.ndarray, top: int, overlap: float) -> int | None:
    """Where to lay ``alpha``'s left edge so that its ink touches the ink already on the
    page, to its left, in some row, and reaches ``overlap`` pixels over it; None when no
    row holds both."""
    reach = None
    for row in range(alpha.shape[0]):
        if not 0 <= top + row < ink.shape[0]:
            continue
        before, after = (np.flatnonzero(r > 0.5) for r in (ink[top + row], alpha[row]))
        if before.size and after.size:
            needed = before[-1] - after[0] + 1
            reach = needed if reach is None else max(reach, needed)
    return None if reach is None else reach - round(overlap)


def photographed_digit(
    pool: DigitPool, rng: np.random.Generator, style: Style | None = None
) -> Sample:
    """One digit photographed on grey, unevenly lit paper."""
    size = int(rng.integers(200, 900))
    paper_sheet = Paper(size, int(size * rng.uniform(0.8, 1.25)), rng)
    height = size * rng.uniform(0.35, 0.7)
    index = pool.draw(rng)
    alpha = write_digit(pool.images[index], height, style or Style.random(rng), rng)
    top = round((paper_sheet.ink.shape[0] - alpha.shape[0]) * rng.uniform(0.2, 0.8))
    left = round((paper_sheet.ink.shape[1] - alpha.shape[1]) * rng.uniform(0.2, 0.8))
    paper_sheet.write(alpha, top, left)
    data = paper_sheet.photograph(
        paper=rng.uniform(0.6, 0.85), uneven=rng.uniform(0.1, 0.4), tilt=rng.uniform(-5, 5),
        noise=rng.uniform(0.01, 0.03), quality=int(rng.integers(60, 92)),
    )  # fmt: skip
    return Sample(data, [pool.text([index])], (index,))


def row(
    pool: DigitPool, rng: np.random.Generator, overlap: tuple[float, float] | None = None
) -> Sample:
    """A row of 3-6 digits on white paper, 40-90 pixels tall. With ``overlap``, each digit
    touches the one before and reaches that range of pixels over it, and the ink is never
    faint (``write_line``)."""
    height = rng.uniform(40, 90)
    count = int(rng.integers(3, 7))
    paper_sheet = Paper(int(height * 2), int(count * height * 1.3 + height), rng)
    style = Style.random(rng)
    written = write_line(
        paper_sheet, pool, count=count, height=height, baseline=height * 1.5, left=height * 0.4,
        style=style if overlap is None else replace(style, faint=False), rng=rng,
        overlap=overlap,
    )  # fmt: skip
    data = paper_sheet.photograph(
        paper=rng.uniform(0.9, 1.0), uneven=rng.uniform(0.0, 0.15), tilt=rng.uniform(-2, 2),
        noise=rng.uniform(0.0, 0.02), quality=int(rng.integers(75, 95)),
    )  # fmt: skip
    return Sample(data, [pool.text(written)], tuple(written))


def sheet(pool: DigitPool, rng: np.random.Generator, paper: str = "plain") -> Sample:
    """A photographed sheet with 2-6 lines of 3-8 digits, on plain, ruled or squared paper.

    Lines differ in height, length and indent; on ruled paper the digits stand on the
    rules and may touch them.
    """
    line_count = int(rng.integers(2, 7))
    height = rng.uniform(28, 48)
    pitch = height * rng.uniform(1.7, 2.2)
    width = int(height * rng.uniform(8, 11))
    paper_sheet = Paper(int(pitch * (line_count + 0.8)), width, rng)
    if paper == "ruled":
        paper_sheet.rule(pitch, offset=pitch * 0.9 + 1)
    elif paper == "squared":
        cell = pitch / 3
        paper_sheet.rule(cell, offset=pitch * 0.9 + 1)
        paper_sheet.rule(cell, vertical=True, offset=rng.uniform(0, cell))
    style, lines_written = Style.random(rng), []
    for line in range(line_count):
        line_height = height * rng.uniform(0.8, 1.15)
        count = int(rng.integers(3, 9))
        left = width * rng.uniform(0.03, 0.25)
        count = min(count, int((width - left) / (line_height * 1.15)))
        baseline = pitch * (line + 0.9) - rng.uniform(0, 0.1) * line_height
        lines_written.append(
            write_line(
                paper_sheet,
                pool,
                count=count,
                height=line_height,
                baseline=baseline,
                left=left,
                style=style,
                rng=rng,
            )
        )
    data = paper_sheet.photograph(
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
    paper_sheet = Paper(int(pitch * (len(texts) + 0.8)), width, rng)
    style = Style(width=rng.uniform(*PEN_WIDTH["normal"]), careful=True)
    written = [
        write_line(
            paper_sheet,
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
    data = paper_sheet.photograph(
        paper=0.85, uneven=0.1, tilt=rng.uniform(-2, 2), noise=0.01, quality=90
    )
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
    "row, touching": lambda p, r: row(p, r, overlap=(0, 6)),
}


def make_image(kind: str, pool: DigitPool, rng: np.random.Generator) -> Sample:
    """One generated image of ``kind`` (a key of ``KINDS``)."""
    return KINDS[kind](pool, rng)
