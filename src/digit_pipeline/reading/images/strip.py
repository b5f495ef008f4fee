"""A line of ink brought to the line model's form: its ink rows scaled to a fixed height,
its width with them, blank margins around. The reader and the line generator both call
``line_strip``, so what the line model is trained on is what it reads."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digit_pipeline.reading.images.pieces import INK_LEVEL

# The line's ink rows, top of its tallest mark to foot of its lowest, fill INK_HEIGHT of
# STRIP_HEIGHT rows, as MNIST frames a digit (the line model's front is the CNN's)...
STRIP_HEIGHT = 28
INK_HEIGHT = 20
# ...with blank columns this wide either side, and the strip's width a multiple of
# WIDTH_STEP (the line model's columns per output step, and fewer shapes to compile).
MARGIN = 8
WIDTH_STEP = 16
# Strips are read padded to widths that grow by this factor (``padded_width``).
PADDED_GROWTH = 1.25
# Longer strips are squeezed to this width: a line of 40 wide digits fits.
MAX_STRIP_WIDTH = 2048
# Ink parted from a line's writing, above or below it, by blank rows more than SPECK_REACH
# of the writing's height is not the line's (a grid's remnant or a hole's edge far above it
# would shrink it), where the writing's rows hold MIN_WRITING_SHARE of its ink or more.
SPECK_REACH = 0.5
MIN_WRITING_SHARE = 0.5
# The writing's rows are found in its ink above this level: a faint pencil's or an outline
# font's strokes lie below INK_LEVEL in places.
FAINT_INK = 0.35


@dataclass(frozen=True)
class Strip:
    """A line's ink in the line model's form, and where it came from.

    Attributes:
        pixels: (STRIP_HEIGHT, width) float32 in [0, 1], bright ink on black.
        scale: Strip pixels per ink pixel, across (``x_scale``) and down.
        left, top: The ink column and row that the strip's first ink column and row show.
    """

    pixels: np.ndarray
    x_scale: float
    scale: float
    left: int
    top: int

    def to_ink_columns(self, start: float, stop: float) -> tuple[float, float]:
        """Strip columns ``start``-``stop`` as columns of the ink it was made from."""
        return (
            self.left + (start - MARGIN) / self.x_scale,
            self.left + (stop - MARGIN) / self.x_scale,
        )


def line_strip(ink: np.ndarray) -> Strip | None:
    """The ink of one line (bright on black, values in [0, 1]) as a strip; None when it
    holds no ink above ``INK_LEVEL``. The strip spans the line's writing
    (``writing_extent``)."""
    extent = writing_extent(ink)
    if extent is None:
        return None
    left, top, right, bottom = extent
    scale = INK_HEIGHT / (bottom - top)
    width = max(1, round((right - left) * scale))
    x_scale = scale if width <= MAX_STRIP_WIDTH - 2 * MARGIN else None
    if x_scale is None:
        width = MAX_STRIP_WIDTH - 2 * MARGIN
        x_scale = width / (right - left)
    crop = np.ascontiguousarray(ink[top:bottom, left:right], dtype=np.float32)
    shrinking = scale < 1
    resized = cv2.resize(
        crop, (width, INK_HEIGHT), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    )
    full_width = -(-(width + 2 * MARGIN) // WIDTH_STEP) * WIDTH_STEP
    pixels = np.zeros((STRIP_HEIGHT, full_width), dtype=np.float32)
    margin_top = (STRIP_HEIGHT - INK_HEIGHT) // 2
    pixels[margin_top : margin_top + INK_HEIGHT, MARGIN : MARGIN + width] = np.clip(resized, 0, 1)
    return Strip(pixels, float(x_scale), float(scale), int(left), int(top))


def writing_extent(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """The box (left, top, right, bottom) of a line's ink above ``INK_LEVEL`` within the
    rows of its writing (``writing_rows`` of its ink above ``FAINT_INK``) where they hold
    ``MIN_WRITING_SHARE`` of that ink, else within every row (a faint line's few dark
    pixels are scattered); None without such ink."""
    strong = ink > INK_LEVEL
    top, bottom = writing_rows(ink > FAINT_INK)
    if np.count_nonzero(strong[top:bottom]) < MIN_WRITING_SHARE * np.count_nonzero(strong):
        top, bottom = 0, len(ink)
    rows = np.flatnonzero(strong[top:bottom].any(axis=1)) + top
    columns = np.flatnonzero(strong[top:bottom].any(axis=0))
    if rows.size == 0:
        return None
    return int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1


def writing_rows(mask: np.ndarray) -> tuple[int, int]:
    """The rows of a line's writing in a ``mask`` of its ink: the tallest run of inked
    rows (a printed rule under a short line may hold more ink, never more rows), with the
    runs above and below it that a blank gap of less than ``SPECK_REACH`` of its height
    parts from it, in turn."""
    inked = mask.any(axis=1)
    if not inked.any():
        return 0, len(mask)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], inked.astype(np.int8), [0]])))
    starts, stops = edges[::2], edges[1::2]
    first = last = int(np.argmax(stops - starts))
    while True:
        reach = SPECK_REACH * (stops[last] - starts[first])
        if first > 0 and starts[first] - stops[first - 1] < reach:
            first -= 1
        elif last < len(starts) - 1 and starts[last + 1] - stops[last] < reach:
            last += 1
        else:
            return int(starts[first]), int(stops[last])


def padded_width(width: int) -> int:
    """The width a strip is read at: the least of ``WIDTH_STEP`` times a power of
    ``PADDED_GROWTH`` (rounded to ``WIDTH_STEP``) that holds it. A strip is read with
    strips of its padded width only, so its reading never depends on what else is read
    with it, and the model meets few shapes."""
    padded = WIDTH_STEP
    while padded < width:
        padded = max(padded + WIDTH_STEP, round(padded * PADDED_GROWTH / WIDTH_STEP) * WIDTH_STEP)
    return min(padded, max(width, MAX_STRIP_WIDTH))


def batch_of(strips: list[np.ndarray], width: int | None = None) -> np.ndarray:
    """Strips of one batch padded with blank columns to ``width`` (the widest's, when
    None): (N, STRIP_HEIGHT, W, 1)."""
    width = width or max(strip.shape[1] for strip in strips)
    batch = np.zeros((len(strips), STRIP_HEIGHT, width, 1), dtype=np.float32)
    for index, strip in enumerate(strips):
        batch[index, :, : strip.shape[1], 0] = strip
    return batch
