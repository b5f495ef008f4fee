"""Perturbations of MNIST-style digits, to see how reading holds up away from MNIST's
careful framing: shifted, rotated, scaled, thinner or thicker strokes, noise, blur,
inverted colours.

Each perturbation maps a stack of images (N, 28, 28), float in [0, 1] and bright ink on
black, to a stack of the same shape. They are deterministic (the noise is seeded).
"""

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from digit_pipeline.reading.images import IMAGE_SIZE, ImageError, prepare_whole_digit

Perturbation = Callable[[np.ndarray], np.ndarray]

# A plus-shaped neighbourhood: grows or shrinks a stroke by about a pixel on each side.
_CROSS = ndimage.generate_binary_structure(2, 1)[np.newaxis]
_CENTRE = (IMAGE_SIZE - 1) / 2


def shift(pixels: int) -> Perturbation:
    """Move each digit by ``pixels``: right, down, left, up for images 0, 1, 2, 3, 4, ..."""
    directions = [(0, pixels), (pixels, 0), (0, -pixels), (-pixels, 0)]

    def perturb(images: np.ndarray) -> np.ndarray:
        moved = np.empty_like(images)
        for start, (rows, columns) in enumerate(directions):
            moved[start::4] = ndimage.shift(images[start::4], (0, rows, columns), order=0)
        return moved

    return perturb


def rotate(degrees: float) -> Perturbation:
    """Rotate each digit about the image centre, anticlockwise for positive degrees."""

    def perturb(images: np.ndarray) -> np.ndarray:
        turned = ndimage.rotate(images, degrees, axes=(2, 1), reshape=False, order=1)
        return np.clip(turned, 0.0, 1.0)

    return perturb


def scale(factor: float) -> Perturbation:
    """Enlarge (factor > 1, edges may be cut) or shrink each digit about the image centre."""

    def perturb(images: np.ndarray) -> np.ndarray:
        # affine_transform maps each output pixel to the input pixel it samples.
        inverse = np.diag([1.0, 1 / factor, 1 / factor])
        offset = [0.0, _CENTRE - _CENTRE / factor, _CENTRE - _CENTRE / factor]
        scaled = ndimage.affine_transform(images, inverse, offset=offset, order=1)
        return np.clip(scaled, 0.0, 1.0)

    return perturb


def thinner(images: np.ndarray) -> np.ndarray:
    """Strokes about two pixels thinner (grey erosion)."""
    return ndimage.grey_erosion(images, footprint=_CROSS)


def thicker(images: np.ndarray) -> np.ndarray:
    """Strokes about two pixels thicker (grey dilation)."""
    return ndimage.grey_dilation(images, footprint=_CROSS)


def gaussian_noise(sigma: float, seed: int = 0) -> Perturbation:
    """Add Gaussian noise of standard deviation ``sigma`` to every pixel, then clip."""

    def perturb(images: np.ndarray) -> np.ndarray:
        noise = np.random.default_rng(seed).normal(0.0, sigma, images.shape)
        return np.clip(images + noise, 0.0, 1.0).astype(images.dtype)

    return perturb


def blur(sigma: float) -> Perturbation:
    """Gaussian blur of standard deviation ``sigma`` pixels."""

    def perturb(images: np.ndarray) -> np.ndarray:
        return ndimage.gaussian_filter(images, sigma=(0, sigma, sigma))

    return perturb


def invert(images: np.ndarray) -> np.ndarray:
    """Dark ink on white, as on paper."""
    return 1.0 - images


def perturbations(noise_seed: int = 0) -> dict[str, Perturbation]:
    """The robustness report's perturbations by name, the unperturbed images first."""
    return {
        "none": lambda images: images,
        "shift 2 px": shift(2),
        "shift 4 px": shift(4),
        "rotate +15°": rotate(15),
        "rotate -15°": rotate(-15),
        "scale 0.7x": scale(0.7),
        "scale 1.3x": scale(1.3),
        "thinner strokes": thinner,
        "thicker strokes": thicker,
        "Gaussian noise σ=0.3": gaussian_noise(0.3, noise_seed),
        "blur σ=1": blur(1.0),
        "inverted": invert,
    }


def frame_each(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pass each image through the project's image preparation, as the served model does
    with an uploaded image.

    Returns:
        The framed images (N, 28, 28), and whether each could be framed (an image whose
        ink cannot be found comes back black, marked False).
    """
    framed = np.zeros_like(images, dtype=np.float32)
    found = np.ones(len(images), dtype=bool)
    for index, image in enumerate(images):
        try:
            framed[index] = prepare_whole_digit(image)
        except ImageError:
            found[index] = False
    return framed, found
