"""Nodes of the preprocess pipeline. The test set passes through unchanged but for
scaling: nothing here looks at it to choose anything."""

import logging

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from digit_pipeline.datasets.own_digits import split_own_digits
from digit_pipeline.parameters import PreprocessParameters
from digit_pipeline.reading.images import to_model_input

logger = logging.getLogger(__name__)


def select_training_subset(
    images: np.ndarray, labels: np.ndarray, params: PreprocessParameters
) -> tuple[np.ndarray, np.ndarray]:
    """Keep a seeded, stratified subset of the training data (all of it when
    ``train_subset`` is null). The smoke environment uses this to train in seconds.

    Args:
        images: Training images (N, 28, 28).
        labels: Training labels (N,).
        params: ``train_subset`` (null for all) and ``seed``.

    Returns:
        The selected images and labels.
    """
    size = params.train_subset
    if size is None or size >= len(labels):
        return images, labels
    subset_images, _, subset_labels, _ = train_test_split(
        images, labels, train_size=size, stratify=labels, random_state=params.seed
    )
    return subset_images, subset_labels


def split_validation(
    images: np.ndarray, labels: np.ndarray, params: PreprocessParameters
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scale the training images and split a stratified validation set off them.

    Args:
        images: Training images (N, 28, 28), uint8.
        labels: Training labels (N,).
        params: ``validation_size`` and ``seed``.

    Returns:
        X_train, y_train, X_val, y_val: images (n, 28, 28, 1) float32 in [0, 1], labels int64.
    """
    X_train, X_val, y_train, y_val = train_test_split(
        to_model_input(images),
        labels.astype(np.int64),
        test_size=params.validation_size,
        stratify=labels,
        random_state=params.seed,
    )
    return X_train, y_train, X_val, y_val


def prepare_test_set(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale the test images the same way as the training images.

    Returns:
        X_test (N, 28, 28, 1) float32 in [0, 1], y_test (N,) int64.
    """
    return to_model_input(images), labels.astype(np.int64)


def split_own_digits_node(
    samples: pd.DataFrame, params: PreprocessParameters
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split the person's own digits into a training part and a held-out part
    (``own_digits_test_share`` of them, fixed per sample by ``seed``).

    Returns:
        X_own_train, y_own_train, X_own_test, y_own_test, shaped like the MNIST splits;
        empty when no own digits are kept.
    """
    split = split_own_digits(samples, params.own_digits_test_share, params.seed)
    logger.info(
        "Own digits: %d to train on, %d held out%s",
        len(split[1]), len(split[3]),
        f"; {len(samples.attrs['skipped'])} unreadable, skipped" if samples.attrs.get("skipped") else "",
    )  # fmt: skip
    return split
