"""The registered model: the CNN wrapped with the project's image preparation, as an
MLflow pyfunc, so that every client (REST, batch, GUI, CLI) reads digits the same way.

Request (``POST /invocations`` on ``mlflow models serve``)::

    {"inputs": [{"image": "<base64 of an image file>"}, {"pixels": [[...28...], ...28 rows]}]}

Answer: ``{"predictions": [{"digit", "confidence", "probabilities", "digits", "boxes",
"lines"}, ...]}``, one per item, in order: the whole image read as one digit; every digit in
reading order (lines separated by ``\n``) and its box; each line's ``digits``, ``boxes`` and
per-digit ``confidences``. An invalid item fails the request with HTTP 400 and a short
message naming the item.

Every request's work is bounded before the CNN runs: at most ``MAX_ITEMS`` items, of
which ``MAX_REQUEST_IMAGES`` image files; ``MAX_REQUEST_PIXELS`` decoded image pixels
and ``MAX_REQUEST_DIGITS`` candidate digits (crops) in all; and ``images``' limits per
image. ``MAX_CONCURRENT_REQUESTS`` are read at once; a request that waits longer than
``MAX_WAIT_SECONDS`` for its turn gets HTTP 503.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from typing import Any

import keras
import mlflow
import numpy as np
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
    TEMPORARILY_UNAVAILABLE,
)

from digit_pipeline.images import (
    IMAGE_SIZE,
    MAX_IMAGE_BYTES,
    ImageError,
    PreparedImage,
    open_image,
    prepare_opened,
)
from digit_pipeline.inference import DigitReader

logger = logging.getLogger(__name__)

MAX_ITEMS = 10_000
MAX_REQUEST_IMAGES = 1_000  # image files: ~1-2 ms each to decode and frame when small
MAX_REQUEST_PIXELS = 100_000_000  # decoded image pixels: ~2.5 s of decoding in all
MAX_REQUEST_DIGITS = 10_000  # crops read by the CNN: ~3 s on 2 cores
# Requests read at once, each on its own worker thread: each may hold a 40 MP image
# decoded (~0.5 GB), and memory that a thread freed stays with it (glibc's arenas), so
# reading on a few threads of our own, not on the server's many, bounds the memory.
MAX_CONCURRENT_REQUESTS = 2
MAX_WAIT_SECONDS = 20
# base64 grows data by 4/3; refuse larger strings before decoding them.
_MAX_BASE64_CHARS = (MAX_IMAGE_BYTES + 2) // 3 * 4


class ShortError(MlflowException):
    """An error answered with this short message and nothing else.

    MLflow's scoring server prefixes an error's message with the whole request
    ("Failed to predict data '<inputs>'"); a 10 MB image would come back in the error.
    This exception keeps its own message.
    """

    error_code = INTERNAL_ERROR  # HTTP 500

    def __init__(self, message: str) -> None:
        self._short_message = message
        super().__init__(message, error_code=self.error_code)

    @property
    def message(self) -> str:
        return self._short_message

    @message.setter
    def message(self, _: str) -> None:
        pass


class InvalidInput(ShortError):
    """A bad request: HTTP 400."""

    error_code = INVALID_PARAMETER_VALUE


class Busy(ShortError):
    """Too many requests at once: HTTP 503, to be tried again later."""

    error_code = TEMPORARILY_UNAVAILABLE


class Allowance:
    """What is left of a request's limits on decoded pixels and digits."""

    def __init__(self) -> None:
        self.pixels = MAX_REQUEST_PIXELS
        self.digits = MAX_REQUEST_DIGITS

    def take(self, pixels: int = 0, digits: int = 0) -> None:
        self.pixels -= pixels
        self.digits -= digits
        if self.pixels < 0:
            raise ValueError(
                f"the request's images hold more than {MAX_REQUEST_PIXELS} pixels in all"
            )
        if self.digits < 0:
            raise ValueError(f"the request holds more than {MAX_REQUEST_DIGITS} digits in all")


def parse_request(model_input: Any) -> list[PreparedImage]:
    """Validate a request's items within the request's limits; bring each into MNIST's
    framing.

    Raises:
        InvalidInput: Not a list of at most ``MAX_ITEMS`` items and ``MAX_REQUEST_IMAGES``
            images, an invalid item, or more pixels or digits than the request's limits.
    """
    if not isinstance(model_input, list):
        raise InvalidInput(f"inputs must be a list of items, got {type(model_input).__name__}")
    if len(model_input) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS} items per request, got {len(model_input)}")
    images = sum(isinstance(item, dict) and "image" in item for item in model_input)
    if images > MAX_REQUEST_IMAGES:
        raise InvalidInput(f"at most {MAX_REQUEST_IMAGES} images per request, got {images}")
    allowance = Allowance()
    return [parse_item(item, index, allowance) for index, item in enumerate(model_input)]


def parse_item(item: Any, index: int, allowance: Allowance | None = None) -> PreparedImage:
    """Validate one request item and bring it into MNIST's framing, counting its pixels
    and digits against the request's ``allowance``.

    Raises:
        InvalidInput: The item is not ``{"image": base64}`` or ``{"pixels": 28x28}``, its
            content is invalid, or it exceeds the allowance; the message starts with
            ``inputs[index]``.
    """
    allowance = allowance or Allowance()
    where = f"inputs[{index}]"
    if not isinstance(item, dict):
        raise InvalidInput(
            f'{where}: expected an object with "image" or "pixels", got {type(item).__name__}'
        )
    fields = set(item)
    if fields - {"image", "pixels"}:
        raise InvalidInput(
            f'{where}: unknown field(s) {sorted(fields - {"image", "pixels"})}; use "image" or "pixels"'
        )
    if len(fields) != 1:
        raise InvalidInput(f'{where}: give exactly one of "image" or "pixels", got {len(fields)}')
    try:
        if "image" in item:
            image, upright_width = open_image(_decode_base64(item["image"]))
            allowance.take(pixels=image.width * image.height)
            prepared = prepare_opened(image, upright_width)
        else:
            prepared = pixels_input(item["pixels"])
        allowance.take(digits=prepared.candidates)
        return prepared
    except (ImageError, ValueError) as error:
        raise InvalidInput(f"{where}: {error}") from error


def pixels_input(pixels: Any) -> PreparedImage:
    """A 28x28 array of 0-255 values in MNIST's convention, read as it is."""
    shape_error = ValueError("pixels must be 28 rows of 28 numbers")
    if not isinstance(pixels, list) or not all(isinstance(row, list) for row in pixels):
        raise shape_error
    # JSON's true and false would pass as 1 and 0 in NumPy: only numbers are pixels.
    kinds = set(map(type, chain.from_iterable(pixels)))
    if not kinds <= {int, float}:
        names = sorted(kind.__name__ for kind in kinds - {int, float})
        raise ValueError(f"pixels must be numbers, got {', '.join(names)}")
    try:
        array = np.array(pixels, dtype=np.float64)
    except OverflowError as error:  # an integer beyond float64
        raise ValueError("pixels must lie in 0-255") from error
    except ValueError as error:  # rows of different lengths
        raise shape_error from error
    if array.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"pixels must be 28 rows of 28 numbers, got shape {array.shape}")
    low, high = array.min(), array.max()
    if not 0 <= low <= high <= 255:  # False for NaN too
        if not np.all(np.isfinite(array)):
            raise ValueError("pixels must be finite numbers (no NaN or infinity)")
        raise ValueError(f"pixels must lie in 0-255, got {low:g} to {high:g}")
    digit = (array / 255.0).astype(np.float32)
    return PreparedImage.single(digit, (0, 0, IMAGE_SIZE, IMAGE_SIZE))


def _decode_base64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError(f"image must be a base64 string, got {type(text).__name__}")
    if text.startswith("data:") and "," in text:  # a data URL, as browsers make them
        text = text.split(",", 1)[1]
    if len(text) > _MAX_BASE64_CHARS:
        raise ValueError(f"the image is larger than the limit of {MAX_IMAGE_BYTES} bytes")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("image is not valid base64") from error


class DigitClassifier(mlflow.pyfunc.PythonModel):
    """The served, registered model: the Keras CNN (artifact ``keras_model``) behind the
    contract in this module's docstring, its probabilities scaled with the ``temperature``
    of the model's config (see ``digit_pipeline.calibration``)."""

    def load_context(self, context) -> None:
        model = keras.saving.load_model(context.artifacts["keras_model"], compile=False)
        config = context.model_config or {}
        self.reader = DigitReader(model, temperature=float(config.get("temperature", 1.0)))
        self.reader.probabilities([np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)])  # warm up
        self.turns = threading.BoundedSemaphore(MAX_CONCURRENT_REQUESTS)
        self.workers = ThreadPoolExecutor(MAX_CONCURRENT_REQUESTS, "read")

    def predict(
        self, context, model_input: list[Any], params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        if not self.turns.acquire(timeout=MAX_WAIT_SECONDS):
            raise Busy("the server is busy with other requests: try again in a few seconds")
        try:
            return self.workers.submit(self._read, model_input).result()
        except ShortError:
            raise
        except Exception as error:  # a fault of ours: logged here, not shown to the client
            logger.exception("reading a request failed")
            raise ShortError("the model failed to read this request") from error
        finally:
            self.turns.release()

    def _read(self, model_input: Any) -> list[dict[str, Any]]:
        return self.reader.read(parse_request(model_input))


def reader_of(model: mlflow.pyfunc.PyFuncModel) -> DigitReader:
    """The digit reader inside a loaded registered model."""
    python_model = model.unwrap_python_model() if hasattr(model, "unwrap_python_model") else None
    if not isinstance(python_model, DigitClassifier):
        raise TypeError(
            "this model is not a digit-pipeline DigitClassifier (an older registered version?): "
            "run `kedro run` to register one"
        )
    return python_model.reader


def load_reader(model_uri: str) -> DigitReader:
    """Load a registered model from MLflow (``MLFLOW_TRACKING_URI``, else ./mlflow.db)."""
    return reader_of(mlflow.pyfunc.load_model(model_uri))
