"""MNIST's convention, which the CNN reads: bright ink on a black background, 28x28
pixels, the digit's bounding box scaled to fit 20x20 (aspect ratio kept) and its centre
of mass at the centre of the field; ten classes, the digits 0-9."""

import numpy as np

IMAGE_SIZE = 28
NUM_CLASSES = 10
DIGITS = "0123456789"
DIGIT_BOX = 20
# The width of MNIST's strokes in that box (pixels), the median over its training digits.
STROKE_WIDTH = 2.25
# Where MNIST puts a digit's centre of mass (row, column): the mean over its test set.
CENTRE_OF_MASS = (14.0, 14.0)
# An image at most this many pixels a side is one digit, as drawn or cropped.
SMALL_IMAGE = 2 * IMAGE_SIZE
# Probabilities are floored at this (or have it added) where their log is taken.
PROBABILITY_FLOOR = 1e-12


def to_model_input(images: np.ndarray) -> np.ndarray:
    """Scale MNIST-convention images (values 0-255) to the CNN's input.

    Args:
        images: Array of shape (N, 28, 28), values 0-255.

    Returns:
        Array of shape (N, 28, 28, 1), float32, values in [0, 1].

    Raises:
        ValueError: The images are not (N, 28, 28) or hold values outside 0-255.
    """
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"expected images of shape (N, 28, 28), got {images.shape}")
    if images.size and (images.min() < 0 or images.max() > 255):
        raise ValueError("pixel values must lie in 0-255")
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


def digit_label(value: object) -> int:
    """A digit's label, 0-9, from an integer or a one-character string.

    Raises:
        ValueError: Anything else (booleans, other numbers, other strings).
    """
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        if 0 <= value < NUM_CLASSES:
            return int(value)
    elif isinstance(value, str) and len(value) == 1 and value in DIGITS:
        return int(value)
    raise ValueError(f"the label must be a digit 0-9, not {value!r}")
