"""Shaping values for kedro-mlflow's metric datasets."""

from collections.abc import Mapping, Sequence

import numpy as np


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
