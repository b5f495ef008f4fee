"""Figures shared by several pipelines. Figures are built without pyplot, so no GUI
backend is needed and nothing leaks between runs."""

import numpy as np
from matplotlib.figure import Figure


def digit_grid(images: np.ndarray, titles: list[str], columns: int, title: str) -> Figure:
    """A grid of 28x28 digits, each with a short caption.

    Args:
        images: Array (N, 28, 28) or (N, 28, 28, 1), any numeric range.
        titles: One caption per image.
        columns: Number of columns of the grid.
        title: Title of the whole figure.
    """
    rows = max(1, -(-len(images) // columns))
    figure = Figure(figsize=(columns * 1.1, rows * 1.3 + 0.5), layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, columns)).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, image, caption in zip(axes, images, titles, strict=False):
        ax.imshow(np.squeeze(image), cmap="gray_r")
        ax.set_title(caption, fontsize=8)
    figure.suptitle(title)
    return figure
