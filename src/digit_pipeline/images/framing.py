"""The ink of one digit framed like MNIST (``digit_pipeline.images.mnist``)."""

import numpy as np
from PIL import Image
from scipy import ndimage

from digit_pipeline.images.errors import ImageError
from digit_pipeline.images.mnist import CENTRE_OF_MASS, DIGIT_BOX, IMAGE_SIZE


def frame_digit(ink: np.ndarray) -> np.ndarray:
    """Frame the ink of one digit like MNIST: crop to the ink, scale to fit 20x20 keeping
    the aspect ratio, pad to 28x28, move the centre of mass to the centre.

    Args:
        ink: Bright ink on black, any size, values in [0, 1].

    Returns:
        (28, 28) float32 in [0, 1].

    Raises:
        ImageError: No ink.
    """
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    columns = np.flatnonzero(ink.max(axis=0) > 0)
    if rows.size == 0:
        raise ImageError("no digit found: the image is blank")
    crop = ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    height, width = crop.shape
    factor = DIGIT_BOX / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    resized = Image.fromarray(crop.astype(np.float32), mode="F").resize(
        size, Image.Resampling.LANCZOS
    )
    digit = np.clip(np.asarray(resized), 0.0, 1.0)

    field = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    top, left = (IMAGE_SIZE - size[1]) // 2, (IMAGE_SIZE - size[0]) // 2
    field[top : top + size[1], left : left + size[0]] = digit
    centre = ndimage.center_of_mass(field)
    shift = (CENTRE_OF_MASS[0] - centre[0], CENTRE_OF_MASS[1] - centre[1])
    return np.clip(ndimage.shift(field, shift, order=1, mode="constant"), 0.0, 1.0)
