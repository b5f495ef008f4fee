"""Figures shared by several pipelines. Figures are built without pyplot, so no GUI
backend is needed and nothing leaks between runs."""

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from digit_pipeline.reading.images import IMAGE_SIZE

CAPTION_ROWS = 9  # pixel rows above each digit, for its caption
GAP = 4  # pixel columns between digits


def digit_grid(images: np.ndarray, titles: list[str], columns: int, title: str) -> Figure:
    """A grid of 28x28 digits, each with a short caption.

    The digits are drawn as one image, a mosaic, with a text per caption: an Axes per
    digit takes seconds to draw for a hundred digits.

    Args:
        images: Array (N, 28, 28) or (N, 28, 28, 1), any numeric range.
        titles: One caption per image.
        columns: Number of columns of the grid.
        title: Title of the whole figure.
    """
    images = np.asarray(images, dtype=np.float32).reshape(len(images), IMAGE_SIZE, IMAGE_SIZE)
    rows = max(1, -(-len(images) // columns))
    cell_height, cell_width = IMAGE_SIZE + CAPTION_ROWS, IMAGE_SIZE + GAP
    # Each digit's top-left pixel in the mosaic, row by row.
    corners = [
        (index // columns * cell_height + CAPTION_ROWS, index % columns * cell_width)
        for index in range(len(images))
    ]
    mosaic = np.full((rows * cell_height, columns * cell_width - GAP), np.nan, np.float32)
    for image, (top, left) in zip(images, corners, strict=True):
        mosaic[top : top + IMAGE_SIZE, left : left + IMAGE_SIZE] = image

    figure = Figure(figsize=(columns * 1.1, rows * 1.3 + 0.5), layout="constrained")
    ax = figure.subplots()
    ax.axis("off")
    cmap = colormaps["gray_r"].with_extremes(bad="white")  # NaN: the space between digits
    if len(images):
        ax.imshow(mosaic, cmap=cmap, vmin=images.min(), vmax=images.max(), interpolation="nearest")
    for caption, (top, left) in zip(titles, corners, strict=False):
        ax.text(
            left + IMAGE_SIZE / 2 - 0.5, top - 1.5, caption, ha="center", va="bottom", fontsize=8
        )
    figure.suptitle(title)
    return figure
