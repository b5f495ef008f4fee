"""A line's strip (``strip.line_strip``) spans its writing: marks far above or below it, a
grid's remnant or a hole's edge, do not shrink it; the pieces of its digits all count."""

import numpy as np
import pytest

from digit_pipeline.reading.images.strip import line_strip, writing_extent


@pytest.fixture(scope="module")
def row(mnist_train) -> np.ndarray:
    """Six MNIST digits written apart on a band of 200 rows, their ink in the middle."""
    images, _ = mnist_train
    band = np.zeros((200, 6 * 30 + 40), np.float32)
    for index, digit in enumerate(images[:6]):
        band[86:114, 20 + 30 * index : 48 + 30 * index] = digit / 255
    return band


@pytest.mark.parametrize("rows", [slice(2, 6), slice(190, 196)], ids=["above", "below"])
def test_a_speck_far_from_the_writing_is_not_the_line_s(row, rows):
    specked = row.copy()
    specked[rows, 150:160] = 1.0  # a dash of the grid, 80 rows off
    assert writing_extent(specked) == writing_extent(row)
    np.testing.assert_array_equal(line_strip(specked).pixels, line_strip(row).pixels)


def test_a_piece_near_the_writing_is_the_line_s(row):
    flagged = row.copy()
    top = writing_extent(row)[1]
    flagged[top - 6 : top - 3, 60:70] = 1.0  # a stroke's detached end, just above
    assert writing_extent(flagged)[1] == top - 6
    assert line_strip(flagged).scale < line_strip(row).scale


def test_no_ink_no_strip():
    assert writing_extent(np.zeros((30, 40), np.float32)) is None
    assert line_strip(np.full((30, 40), 0.3, np.float32)) is None
