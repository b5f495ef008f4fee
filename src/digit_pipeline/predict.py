"""Reading digits from image files with the registered model: shared by the batch
pipeline (`kedro run --pipeline predict`) and the command line (`digit-pipeline predict`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePosixPath

import mlflow
import pandas as pd

from digit_pipeline.preprocessing import ImageError, prepare_image
from digit_pipeline.serving import DigitClassifier, DigitReader

CHAMPION_URI = "models:/digit-classifier@champion"
COLUMNS = ["file", "digit", "confidence", "digits"]


def reader_of(model: mlflow.pyfunc.PyFuncModel) -> DigitReader:
    """The digit reader inside a registered ``digit-classifier`` pyfunc."""
    python_model = model.unwrap_python_model() if hasattr(model, "unwrap_python_model") else None
    if not isinstance(python_model, DigitClassifier):
        raise TypeError(
            "this model is not a digit-pipeline DigitClassifier (an older registered version?): "
            "run `kedro run` to register one"
        )
    return python_model.reader


def load_reader(model_uri: str = CHAMPION_URI) -> DigitReader:
    """Load a registered model from MLflow (``MLFLOW_TRACKING_URI``, else ./mlflow.db)."""
    return reader_of(mlflow.pyfunc.load_model(model_uri))


def read_image_files(
    files: Mapping[str, bytes | Callable[[], bytes]], reader: DigitReader
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read every image file with one model call.

    Args:
        files: File name to its bytes, or to a function returning them (as Kedro's
            PartitionedDataset gives them).
        reader: The registered model's reader.

    Returns:
        One row per readable file, sorted by name: ``file, digit, confidence, digits``;
        and, for each file that is not a readable image, what is wrong with it. Hidden
        files (``.gitkeep``) are ignored.
    """
    names, inputs, errors = [], [], {}
    for name in sorted(files):
        if PurePosixPath(name).name.startswith("."):  # .gitkeep and friends
            continue
        content = files[name]
        try:
            inputs.append(prepare_image(content() if callable(content) else content))
            names.append(name)
        except ImageError as error:
            errors[name] = str(error)
    predictions = reader.read(inputs)
    table = pd.DataFrame(
        [
            {
                "file": name,
                "digit": p["digit"],
                "confidence": round(p["confidence"], 4),
                "digits": p["digits"],
            }
            for name, p in zip(names, predictions, strict=True)
        ],
        columns=COLUMNS,
    )
    return table, errors
