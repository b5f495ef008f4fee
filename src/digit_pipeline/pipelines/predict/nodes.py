"""Nodes of the predict pipeline."""

import logging
from collections.abc import Callable, Mapping

import mlflow
import pandas as pd

from digit_pipeline.reading.cores import every_core
from digit_pipeline.reading.pyfunc import reader_of
from digit_pipeline.reading.results import Reading

logger = logging.getLogger(__name__)

PREDICTION_COLUMNS = ["file", "digit", "confidence", "digits"]


def predict_images(
    images: dict[str, Callable[[], bytes]], model: mlflow.pyfunc.PyFuncModel
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the digits of every image in the folder, in as few model calls as the reader's
    limits allow, the images prepared on every core.

    Args:
        images: The folder's files, as Kedro's PartitionedDataset lists them (name to loader).
        model: The registered champion (``champion_model`` in the catalog).

    Returns:
        ``file, digit, confidence, digits`` per readable image, sorted by file name
        (``readings_table``), and the numbers of each line (``lines_table``). Files that
        are not readable images are logged and left out.
    """
    readings, errors = reader_of(model).read_each(images, workers=every_core())
    for name, error in errors.items():
        logger.warning("Skipped %s: %s", name, error)
    logger.info("Read the digits of %d images", len(readings))
    return readings_table(readings), lines_table(readings)


def readings_table(readings: Mapping[str, Reading]) -> pd.DataFrame:
    """One row per file, sorted by name: ``file``; ``digit`` and ``confidence`` (4 places)
    of the whole image read as one digit; ``digits``, every digit in reading order."""
    rows = [
        {
            "file": name,
            "digit": reading.whole.value,
            "confidence": round(reading.whole.confidence, 4),
            "digits": reading.digit_string,
        }
        for name, reading in sorted(readings.items())
    ]
    return pd.DataFrame(rows, columns=PREDICTION_COLUMNS)


def lines_table(readings: Mapping[str, Reading]) -> pd.DataFrame:
    """One row per line of writing, files sorted by name and lines top to bottom: ``file``,
    ``line`` (from 1), then one cell per number read on it (``number_1``, ...): a sheet of
    handwritten numbers as a spreadsheet takes it."""
    rows = [
        {"file": name, "line": index, **{f"number_{i}": n for i, n in enumerate(line.numbers, 1)}}
        for name, reading in sorted(readings.items())
        for index, line in enumerate(reading.lines, 1)
    ]
    widest = max((len(row) - 2 for row in rows), default=0)
    columns = ["file", "line", *(f"number_{i}" for i in range(1, widest + 1))]
    return pd.DataFrame(rows, columns=columns).astype({c: "Int64" for c in columns[2:]})
