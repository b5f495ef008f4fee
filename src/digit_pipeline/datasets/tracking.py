"""Shaping values for kedro-mlflow's metric datasets, and a dataset for run tags."""

from collections.abc import Mapping, Sequence

import mlflow
import numpy as np
from kedro.io import AbstractDataset, DatasetError


def as_metric_history(values: Mapping[str, float | Sequence[float]]) -> dict[str, list[dict]]:
    """Format metrics for ``MlflowMetricsHistoryDataset``: one step per value.

    Args:
        values: Metric name to a single value (logged at step 0) or to a sequence of
            values, e.g. one per epoch (logged at steps 0, 1, ...). A DataFrame works too.

    Returns:
        ``{name: [{"step": step, "value": value}, ...]}``.
    """
    return {
        name: [{"step": step, "value": float(v)} for step, v in enumerate(np.atleast_1d(series))]
        for name, series in values.items()
    }


class MlflowTagsDataset(AbstractDataset[dict[str, str], None]):
    """Sets a node's dict output as tags of the active MLflow run, ``<prefix><key>``:
    descriptions that are not parameters (the hardware a run trained on), to filter and
    compare runs by in the MLflow UI. Write-only."""

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix

    def save(self, data: dict[str, str]) -> None:
        if mlflow.active_run():
            mlflow.set_tags({f"{self._prefix}{key}": str(value) for key, value in data.items()})

    def load(self) -> None:
        raise DatasetError("MlflowTagsDataset is write-only: read the tags from the MLflow run")

    def _describe(self) -> dict[str, str]:
        return {"prefix": self._prefix}
