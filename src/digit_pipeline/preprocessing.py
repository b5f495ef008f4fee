"""Turning digit images into what the CNN reads: (N, 28, 28, 1) float32 in [0, 1].

MNIST convention: bright ink on a dark background, 28x28 pixels, values 0-255.
"""

import numpy as np

IMAGE_SIZE = 28


def to_model_input(images: np.ndarray) -> np.ndarray:
    """Scale MNIST-convention uint8 images to the CNN's input.

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
