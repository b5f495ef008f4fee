"""The reader's one error type: a short message, answered as it is by every entry point
(the served model's HTTP status, the GUI's, the command line's message)."""

from __future__ import annotations

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
    TEMPORARILY_UNAVAILABLE,
)


class ReadingError(MlflowException):
    """The reader could not read a request; HTTP 500 unless a subclass says otherwise.

    MLflow's scoring server prefixes an error's message with the whole request ("Failed to
    predict data '<inputs>'"): a 10 MB image would come back in the error. This exception
    keeps its own short message.
    """

    error_code = INTERNAL_ERROR

    def __init__(self, message: str) -> None:
        self._short_message = message
        super().__init__(message, error_code=self.error_code)

    @property
    def message(self) -> str:
        return self._short_message

    @message.setter
    def message(self, _: str) -> None:
        pass


class InvalidInput(ReadingError):
    """A bad request, HTTP 400: ``item`` is the index of the item at fault (None for the
    request as a whole), ``reason`` what is wrong with it."""

    error_code = INVALID_PARAMETER_VALUE

    def __init__(self, reason: str, item: int | None = None) -> None:
        self.item, self.reason = item, reason
        super().__init__(reason if item is None else f"inputs[{item}]: {reason}")


class Busy(ReadingError):
    """Too many requests at once, HTTP 503: to be tried again in a few seconds."""

    error_code = TEMPORARILY_UNAVAILABLE
