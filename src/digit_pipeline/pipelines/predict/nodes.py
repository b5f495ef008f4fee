"""Nodes of the predict pipeline."""

import logging
from collections.abc import Callable

import mlflow
import pandas as pd

from digit_pipeline.reading.cores import every_core
from digit_pipeline.reading.pyfunc import reader_of
from digit_pipeline.reading.results import answers_of
from digit_pipeline.reading.tables import lines_table, readings_table

logger = logging.getLogger(__name__)


def predict_images(
    images: dict[str, Callable[[], bytes]], model: mlflow.pyfunc.PyFuncModel
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the digits of every image in the folder, in as few model calls as the reader's
    limits allow, the images prepared on every core.

    Args:
        images: The folder's files, as Kedro's PartitionedDataset lists them (name to loader).
        model: The registered champion (``champion_model`` in the catalog).

    Returns:
        ``file, digit, confidence, digits, error`` per file, sorted by name
        (``tables.readings_table``): a file that is not a readable image has its error
        (and is logged); and the numbers of each line read (``tables.lines_table``).
    """
    readings, errors = reader_of(model).read_each(images, workers=every_core())
    for name, error in errors.items():
        logger.warning("Could not read %s: %s", name, error)
    logger.info("Read the digits of %d images", len(readings))
    answers = answers_of(readings, errors)
    return readings_table(answers), lines_table(answers)
