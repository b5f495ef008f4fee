"""The registered model: the CNN behind the reader, as an MLflow pyfunc.

Request (``POST /invocations`` on ``mlflow models serve``)::

    {"inputs": [{"image": "<base64 of an image file>"}, {"pixels": [[...28...], ...28 rows]}]}

Answer: ``{"predictions": [{"digit", "confidence", "probabilities", "digits", "boxes",
"lines"}, ...]}``, one per item, in order (``Reading.export``). An invalid item fails the
request with HTTP 400 and a short message naming the item; a busy reader answers 503.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import keras
import mlflow
import numpy as np

import digit_pipeline
from digit_pipeline.reading.images import IMAGE_SIZE
from digit_pipeline.reading.predictor import Reader
from digit_pipeline.reading.recognizer import Recognizer


class DigitClassifier(mlflow.pyfunc.PythonModel):
    """The served, registered model: the Keras CNN (artifact ``keras_model``) read by a
    ``Reader``, its probabilities scaled with the ``temperature`` of the model's config."""

    def load_context(self, context) -> None:
        model = keras.saving.load_model(context.artifacts["keras_model"], compile=False)
        config = context.model_config or {}
        recognizer = Recognizer(model, temperature=float(config.get("temperature", 1.0)))
        recognizer.probabilities([np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)])  # warm up
        self.reader = Reader(recognizer)
        _forget_other_copies()
        # TensorFlow's and MLflow's ~700,000 objects live as long as the server: out of the
        # collector's full passes, which took ~0.5 s of every other request of 1,000 items.
        gc.freeze()

    def predict(
        self, context, model_input: list[Any], params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        return [reading.export() for reading in self.reader.read_request(model_input)]


def _forget_other_copies() -> None:
    """Drop the entries of ``sys.path`` that hold another copy of the package than the one
    imported. Loading the model puts its code (the reader alone) first on ``sys.path``; in
    a process that imported the package from elsewhere (the project, a notebook), that copy
    would shadow the rest of the package for processes spawned from this one."""
    home = Path(digit_pipeline.__file__).resolve().parents[1]

    def other_copy(entry: str) -> bool:
        folder = Path(entry or ".")
        return (folder / "digit_pipeline").is_dir() and folder.resolve() != home

    sys.path[:] = [entry for entry in sys.path if not other_copy(entry)]


def reader_of(model: mlflow.pyfunc.PyFuncModel) -> Reader:
    """The reader inside a loaded registered model."""
    python_model = model.unwrap_python_model() if hasattr(model, "unwrap_python_model") else None
    if not isinstance(python_model, DigitClassifier):
        raise TypeError(
            "this model is not a digit-pipeline DigitClassifier (an older registered version?): "
            "run `kedro run` to register one"
        )
    return python_model.reader


def load_reader(model_uri: str) -> Reader:
    """The reader of a registered model (``MLFLOW_TRACKING_URI``, else ./mlflow.db)."""
    return reader_of(mlflow.pyfunc.load_model(model_uri))
