"""Nodes of the ingest pipeline."""

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from digit_pipeline.parameters import IngestParameters
from digit_pipeline.reading.images import IMAGE_SIZE, NUM_CLASSES
from digit_pipeline.training.plots import digit_grid


def validate_split(
    images: np.ndarray, labels: np.ndarray, split: str
) -> tuple[np.ndarray, np.ndarray]:
    """Check that one split of MNIST is usable before anything trains on it.

    Args:
        images: Array (N, 28, 28) of uint8.
        labels: Array (N,) of uint8 digits.
        split: Name of the split, used in error messages.

    Returns:
        The images and labels, unchanged.

    Raises:
        ValueError: Wrong dtype or shape, counts that disagree, or labels outside 0-9.
    """
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise ValueError(
            f"{split}: expected uint8 images and labels, got {images.dtype} and {labels.dtype}"
        )
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"{split}: expected images of shape (N, 28, 28), got {images.shape}")
    if labels.ndim != 1:
        raise ValueError(f"{split}: expected labels of shape (N,), got {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{split}: {len(images)} images but {len(labels)} labels")
    if len(labels) == 0:
        raise ValueError(f"{split}: no records")
    invalid = np.flatnonzero(labels >= NUM_CLASSES)
    if invalid.size:
        raise ValueError(
            f"{split}: {invalid.size} labels outside 0-9, first at index {invalid[0]} "
            f"(value {labels[invalid[0]]})"
        )
    return images, labels


def validate_train_split(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``validate_split`` for the training split."""
    return validate_split(images, labels, "train")


def validate_test_split(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``validate_split`` for the test split."""
    return validate_split(images, labels, "test")


def count_classes(train_labels: np.ndarray, test_labels: np.ndarray) -> pd.DataFrame:
    """Count the images of each digit in both splits.

    Returns:
        One row per digit: ``digit``, ``train``, ``test``, ``train_share``, ``test_share``.
    """
    counts = pd.DataFrame(
        {
            "digit": np.arange(NUM_CLASSES),
            "train": np.bincount(train_labels, minlength=NUM_CLASSES),
            "test": np.bincount(test_labels, minlength=NUM_CLASSES),
        }
    )
    counts["train_share"] = (counts["train"] / counts["train"].sum()).round(4)
    counts["test_share"] = (counts["test"] / counts["test"].sum()).round(4)
    return counts


def plot_sample_digits(images: np.ndarray, labels: np.ndarray, params: IngestParameters) -> Figure:
    """The first ``samples_per_class`` training images of each digit, one row per digit."""
    per_class = params.samples_per_class
    picks = np.concatenate(
        [np.flatnonzero(labels == digit)[:per_class] for digit in range(NUM_CLASSES)]
    )
    return digit_grid(
        images[picks],
        [str(label) for label in labels[picks]],
        columns=per_class,
        title="MNIST training samples",
    )
