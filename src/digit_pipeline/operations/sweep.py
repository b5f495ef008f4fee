"""Parameter sweeps: one `kedro run` per combination of values, each its own MLflow run,
to compare side by side in the MLflow UI (or with `notebooks/02_compare_runs.ipynb`).

    digit-pipeline sweep train.learning_rate=0.0005,0.001 train.dropout=0.3,0.4

runs the four combinations one after the other, then prints a table of the results.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import mlflow
import yaml
from mlflow import MlflowClient
from mlflow.entities import Run

from digit_pipeline.project import experiment_name


@dataclass(frozen=True)
class SweepResult:
    """One combination's run: its overrides, MLflow run, figures and wall time."""

    overrides: dict[str, object]
    run_id: str | None
    test_accuracy: float | None
    best_val_accuracy: float | None
    champion_decision: str | None
    seconds: float
    returncode: int


def parse_grid(specs: list[str]) -> list[dict[str, object]]:
    """Every combination of ``key=value1,value2,...`` specs, values read as YAML.

    >>> parse_grid(["train.seed=1,2", "train.dropout=0.3"])
    [{'train.seed': 1, 'train.dropout': 0.3}, {'train.seed': 2, 'train.dropout': 0.3}]
    """
    axes: dict[str, list[object]] = {}
    for spec in specs:
        key, separator, values = spec.partition("=")
        key = key.strip()
        if not separator or not key or not values.strip():
            raise ValueError(f"expected key=value1,value2,..., got {spec!r}")
        if key in axes:
            raise ValueError(f"{key} is given twice")
        axes[key] = [yaml.safe_load(value) for value in values.split(",")]
    return [dict(zip(axes, combination)) for combination in itertools.product(*axes.values())]


def kedro_command(overrides: dict[str, object], env: str | None = None) -> list[str]:
    """The `kedro run` command line for one combination, with the `kedro` installed
    beside this Python (so that it works from a virtual environment not activated)."""
    command = [str(Path(sys.executable).parent / "kedro"), "run"]
    if env:
        command += ["--env", env]
    if overrides:
        command += ["--params", ",".join(f"{key}={value}" for key, value in overrides.items())]
    return command


def run_sweep(grid: list[dict[str, object]], env: str | None = None) -> list[SweepResult]:
    """Run `kedro run` for each combination, in the current directory (the project root),
    and collect each run's figures from MLflow (MLFLOW_TRACKING_URI, else ./mlflow.db)."""
    results = []
    for overrides in grid:
        started = time.time()
        completed = subprocess.run(kedro_command(overrides, env), check=False)
        results.append(_collect(overrides, started, time.time() - started, completed.returncode))
    return results


def latest_run_since(client: MlflowClient, started: float) -> Run | None:
    """The newest run of the project's experiment that started at or after ``started``
    (seconds since the epoch), or None."""
    experiment = client.get_experiment_by_name(experiment_name())
    if experiment is None:
        return None
    runs = client.search_runs(
        [experiment.experiment_id],
        filter_string=f"attributes.start_time >= {int(started * 1000)}",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    return runs[0] if runs else None


def _collect(
    overrides: dict[str, object], started: float, seconds: float, returncode: int
) -> SweepResult:
    client = MlflowClient(mlflow.get_tracking_uri())
    run = latest_run_since(client, started)
    if run is None:
        return SweepResult(overrides, None, None, None, None, seconds, returncode)
    val_accuracy = client.get_metric_history(run.info.run_id, "val_accuracy")
    return SweepResult(
        overrides=overrides,
        run_id=run.info.run_id,
        test_accuracy=run.data.metrics.get("test_accuracy"),
        best_val_accuracy=max((m.value for m in val_accuracy), default=None),
        champion_decision=run.data.tags.get("champion.decision"),
        seconds=seconds,
        returncode=returncode,
    )


def results_table(results: list[SweepResult]) -> str:
    """The results as a Markdown table, one row per run."""
    keys = list(results[0].overrides) if results else []

    def number(value: float | None) -> str:
        return "—" if value is None else f"{value:.4f}"

    lines = [
        "| " + " | ".join([*keys, "run", "best val acc", "test acc", "champion", "minutes"]) + " |",
        "|" + "---|" * (len(keys) + 5),
    ]
    for result in results:
        run = result.run_id[:8] if result.run_id else f"failed ({result.returncode})"
        cells = [str(result.overrides[key]) for key in keys] + [
            run,
            number(result.best_val_accuracy),
            number(result.test_accuracy),
            result.champion_decision or "—",
            f"{result.seconds / 60:.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
