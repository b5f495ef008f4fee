"""The registered model: the CNN and the line model behind the reader, as an MLflow pyfunc.

Request (``POST /invocations`` on ``mlflow models serve``)::

    {"inputs": [{"image": "<base64 of an image file>"}, {"pixels": [[...28...], ...28 rows]}]}

Answer: ``{"predictions": [{"digit", "confidence", "probabilities", "digits", "boxes",
"quads", "lines", "page"}, ...]}``, one per item, in order (``Reading.export``). Both are
typed (``contract.DigitRequest``, ``contract.DigitReading``): MLflow shows the schema and
refuses what does not match it. An invalid item fails the request with HTTP 400 and a
short message naming the item; a busy reader answers 503.
"""

from __future__ import annotations

import functools
import gc
import sys
from pathlib import Path
from typing import Any

import keras
import mlflow
from mlflow.exceptions import MlflowException

import digit_pipeline
from digit_pipeline.reading.contract import DigitReading, DigitRequest
from digit_pipeline.reading.errors import InvalidInput, ReadingError
from digit_pipeline.reading.items import check_request_size, parse_item, parse_request
from digit_pipeline.reading.predictor import Reader
from digit_pipeline.reading.recognizer import Recognizer
from digit_pipeline.reading.results import failed


class DigitClassifier(mlflow.pyfunc.PythonModel):
    """The served, registered model: the Keras CNN (artifact ``keras_model``) and the line
    model (``line_model``) read by a ``Reader``, the CNN's probabilities scaled with the
    ``temperature`` of the model's config."""

    def load_context(self, context) -> None:
        if "line_model" not in context.artifacts:
            raise MlflowException(
                "this version has no line model (it was registered before lines were read "
                "as lines): serve it with the code it was registered with, or run `kedro "
                "run` to register one"
            )
        keras_model = Path(context.artifacts["keras_model"]).resolve()
        line_model = Path(context.artifacts["line_model"]).resolve()
        temperature = float((context.model_config or {}).get("temperature", 1.0))
        self.reader = _reader_of_files(
            keras_model, keras_model.stat().st_mtime_ns, temperature, line_model
        )
        _forget_other_copies()

    def __getstate__(self) -> dict[str, Any]:
        # MLflow loads the model to read the input example before it pickles the class:
        # the reader loaded stays out of the pickle.
        return {key: value for key, value in self.__dict__.items() if key != "reader"}

    def predict(
        self, context, model_input: list[DigitRequest], params: dict[str, Any] | None = None
    ) -> list[DigitReading]:
        """One reading per item, as ``DigitReading``'s fields in a dict (what JSON and the
        GUI take). An invalid item fails the request, unless ``params`` has
        ``{"errors": "item"}`` (batch reading: ``spark_udf``): then each item is read on its
        own, and one that cannot be read gets its ``error`` instead of a reading (the others
        an empty one)."""
        if (params or {}).get("errors") == "item":
            return self._read_each(model_input)
        items = [item.as_item() for item in model_input]
        return [reading.export() for reading in self.reader.read_request(items)]

    def _read_each(self, model_input: list[DigitRequest]) -> list[dict[str, Any]]:
        keys = [str(index) for index in range(len(model_input))]
        images, pixels, errors = {}, {}, {}
        for index, (key, item) in enumerate(zip(keys, model_input)):
            try:
                parsed = parse_item(item.as_item(), index)
            except InvalidInput as error:
                errors[key] = error.reason
                continue
            (images if item.image is not None else pixels)[key] = parsed
        readings, unread = self.reader.read_each(images)
        errors.update(unread)
        readings.update(zip(pixels, self.reader.read(list(pixels.values())), strict=True))
        return [
            {**readings[key].export(), "error": ""} if key in readings else failed(errors[key])
            for key in keys
        ]


def _answered_by_the_reader(predict):
    """``predict`` with the request's size checked first, and MLflow's refusals of a
    request that does not match its type hints answered by the reader's own short message
    naming the item (``parse_request``).

    MLflow checks every item against the type hints before ``predict`` sees them (200,000
    empty items would take it seconds), and its error carries the whole request, which the
    scoring server adds once more: a 10 MB image would come back in the answer.
    """

    @functools.wraps(predict)
    def answered(self, context, model_input, params=None):
        if isinstance(model_input, list):
            check_request_size(model_input)
        try:
            return predict(self, context, model_input, params)
        except ReadingError:
            raise
        except MlflowException as error:
            if error.get_http_status_code() != 400:
                raise
            parse_request(model_input)  # raises InvalidInput for the item at fault
            raise InvalidInput("the request does not match the model's input schema") from None

    return answered


# After the class is made: MLflow wraps ``predict`` with its checks when it is defined.
DigitClassifier.predict = _answered_by_the_reader(DigitClassifier.predict)


@functools.lru_cache(maxsize=1)
def _reader_of_files(
    keras_model: Path, modified_ns: int, temperature: float, line_model: Path
) -> Reader:
    """The reader of saved networks, kept for the next load of the same files in this process:
    a local Spark job's ``spark_udf`` loads the model again for every partition (MLflow
    keeps loaded models per worker only on a cluster). A new reader each time would hold
    a new CNN that the frozen collector (below) never frees."""
    model = keras.saving.load_model(keras_model, compile=False)
    lines = keras.saving.load_model(line_model, compile=False)
    recognizer = Recognizer(model, temperature, lines)
    recognizer.warm_up()
    # TensorFlow's and MLflow's objects live as long as the server: kept out of the
    # collector's full passes, which would otherwise slow large requests.
    gc.freeze()
    return Reader(recognizer)


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
