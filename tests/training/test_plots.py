"""The shared digit grid: every digit in its cell, under its own caption."""

import io

import numpy as np

from digit_pipeline.training.plots import CAPTION_ROWS, GAP, digit_grid


def test_each_digit_sits_in_its_cell_under_its_caption(mnist_test):
    images, labels = mnist_test
    figure = digit_grid(images[:12], [str(label) for label in labels[:12]], 5, "twelve")
    (ax,) = figure.axes
    mosaic = ax.images[0].get_array()
    assert mosaic.shape == (3 * (28 + CAPTION_ROWS), 5 * (28 + GAP) - GAP)
    for index in (0, 7, 11):  # first, middle of a row, last
        top = index // 5 * (28 + CAPTION_ROWS) + CAPTION_ROWS
        left = index % 5 * (28 + GAP)
        np.testing.assert_array_equal(mosaic[top : top + 28, left : left + 28], images[index])
        caption = ax.texts[index]
        assert caption.get_text() == str(labels[index])
        x, y = caption.get_position()
        assert left < x < left + 28 and top - CAPTION_ROWS < y < top  # centred, just above
    blank = np.ma.getmaskarray(mosaic)  # NaN, drawn as white
    assert blank[CAPTION_ROWS, 28] and blank[-1, -1] and not blank[CAPTION_ROWS + 14, 14]
    figure.savefig(io.BytesIO(), format="png")


def test_an_empty_grid_still_draws():
    figure = digit_grid(np.zeros((0, 28, 28)), [], 10, "No misclassified test digits")
    figure.savefig(io.BytesIO(), format="png")
    assert len(figure.axes[0].images) == 0
