"""The project checkout the tests and benchmarks run: its conf, a runnable copy of it,
MLflow stores in it, `kedro run -e smoke` in it, small untrained networks, and the
trained line model the smoke run starts from."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import keras
import numpy as np
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from mlflow import MlflowClient
from mlflow.entities import Run

from digit_pipeline.datasets.idx import parse_idx
from digit_pipeline.parameters import Parameters, TrainParameters
from digit_pipeline.project import (
    CHECKOUT,
    champion_uri,
    experiment_name,
    load_conf,
    registered_model,
)
from digit_pipeline.training.cnn import build_cnn

PROJECT_ROOT = CHECKOUT
MNIST_DIR = PROJECT_ROOT / "data" / "01_raw" / "mnist"
# The line model every run starts from (train_lines.initial_model), from the project's root.
LINE_MODEL_START = Path("data/06_models/line_model_start.keras")
MODEL_NAME, CHAMPION_ALIAS = registered_model(PROJECT_ROOT)
CHAMPION = champion_uri(PROJECT_ROOT)  # models:/<registered model>@<champion alias>
EXPERIMENT = experiment_name(PROJECT_ROOT)
P = TypeVar("P", bound=Parameters)


def read_mnist(name: str) -> np.ndarray:
    """One of the project's MNIST files (``data/01_raw/mnist``), e.g. ``t10k-labels-idx1-ubyte.gz``."""
    return parse_idx((MNIST_DIR / name).read_bytes(), name)


@cache
def _smoke_conf() -> dict[str, Any]:
    return load_conf("parameters", env="smoke", root=PROJECT_ROOT)


def smoke_conf() -> dict[str, Any]:
    """Every pipeline's raw parameter block, as `kedro run -e smoke` reads them from conf/."""
    return deepcopy(_smoke_conf())


def smoke_parameters(kind: type[P], **overrides: Any) -> P:
    """A pipeline's parameters as `kedro run -e smoke` reads them from conf/, validated,
    with ``overrides`` of whole keys."""
    return kind.from_conf({**smoke_conf()[kind.section], **overrides})


def tiny_cnn() -> keras.Model:
    """An untrained, small CNN of the project's design, as the train node returns one
    (Keras's own layers, float32): for nodes that need a model, in milliseconds."""
    params = smoke_parameters(
        TrainParameters, conv_blocks=[[4], [4]], dense_units=8, precision="float32"
    )
    return build_cnn(params, for_training=False)


@cache
def trained_line_model() -> keras.Model:
    """The line model every `kedro run` starts from
    (``LINE_MODEL_START``): a reader that reads lines, in a second."""
    return keras.saving.load_model(PROJECT_ROOT / LINE_MODEL_START, compile=False)


def tiny_line_model() -> keras.Model:
    """An untrained, small line model of the project's design (Keras's own layers,
    float32): for the reader's mechanics, in milliseconds."""
    from digit_pipeline.parameters import TrainLinesParameters  # noqa: PLC0415
    from digit_pipeline.training.line_model import build_line_model  # noqa: PLC0415

    params = smoke_parameters(TrainLinesParameters, recurrent_units=4, precision="float32", seed=1)
    return build_line_model(params, tiny_cnn())


def copy_project(destination: Path) -> Path:
    """A runnable copy of the project: its configuration, notebooks, raw data and the line
    model every run starts from.

    The code is the installed package (``src/`` stays empty); outputs land in the copy.
    """
    (destination / "src").mkdir()
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy2(PROJECT_ROOT / name, destination / name)
    shutil.copytree(
        PROJECT_ROOT / "conf", destination / "conf", ignore=shutil.ignore_patterns("local")
    )
    (destination / "conf" / "local").mkdir()
    shutil.copytree(PROJECT_ROOT / "notebooks", destination / "notebooks")
    shutil.copytree(MNIST_DIR, destination / "data" / "01_raw" / "mnist")
    for layer in (PROJECT_ROOT / "data").glob("0[2-8]_*"):
        (destination / "data" / layer.name).mkdir()
    shutil.copy2(PROJECT_ROOT / LINE_MODEL_START, destination / LINE_MODEL_START)
    (destination / "mlruns").mkdir()
    return destination


def tracking_uri(project: Path) -> str:
    """The sqlite MLflow store of a project copy, at its root."""
    return f"sqlite:///{project / 'mlflow.db'}"


@contextmanager
def in_project(project: Path) -> Iterator[None]:
    """Inside a project copy, as a user in its root: MLflow logs to the copy's own store
    (through MLFLOW_TRACKING_URI, as a user would point it elsewhere)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)  # before the store opens: MLflow puts artifacts in ./mlruns
        patch.setenv("MLFLOW_TRACKING_URI", tracking_uri(project))
        bootstrap_project(project)
        yield


def kedro_run(project: Path, runtime_params: dict | None = None) -> Run:
    """`kedro run -e smoke` in a project copy.

    Returns:
        The MLflow run it made, also kept as ``kedro_run.last`` when the run fails.
    """
    with in_project(project):
        client = MlflowClient(tracking_uri(project))
        before = {run.info.run_id for run in _runs(client)}
        try:
            with KedroSession.create(
                project_path=project, env="smoke", runtime_params=runtime_params
            ) as session:
                session.run()
        finally:
            new = [run for run in _runs(client) if run.info.run_id not in before]
            assert len(new) == 1, "each kedro run makes exactly one MLflow run"
            kedro_run.last = new[0]
    return new[0]


def _runs(client: MlflowClient) -> list[Run]:
    experiment = client.get_experiment_by_name(EXPERIMENT)
    return client.search_runs([experiment.experiment_id]) if experiment else []
