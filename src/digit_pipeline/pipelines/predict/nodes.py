"""Nodes of the predict pipeline."""

import logging
from collections.abc import Callable

import mlflow
import pandas as pd

from digit_pipeline.inference import read_image_files
from digit_pipeline.serving import reader_of

logger = logging.getLogger(__name__)


def predict_images(
    images: dict[str, Callable[[], bytes]], model: mlflow.pyfunc.PyFuncModel
) -> pd.DataFrame:
    """Read the digits of every image in the folder, in one model call.

    Args:
        images: The folder's files, as Kedro's PartitionedDataset lists them (name to loader).
        model: The registered champion (``champion_model`` in the catalog).

    Returns:
        ``file, digit, confidence, digits`` per readable image, sorted by file name.
        Files that are not readable images are logged and left out.
    """
    table, errors = read_image_files(images, reader_of(model))
    for name, error in errors.items():
        logger.warning("Skipped %s: %s", name, error)
    logger.info("Read the digits of %d images", len(table))
    return table
