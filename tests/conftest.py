"""Shared fixtures: real MNIST bytes from the project's data/01_raw, real MLflow stores in
temporary directories, and copies of the project to run Kedro sessions in."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mlflow
import numpy as np
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from mlflow import MlflowClient
from mlflow.entities import Run

from digit_pipeline.datasets.idx import parse_idx
from digit_pipeline.project import champion_uri, experiment_name, registered_model

from .support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MNIST_DIR,
    PROJECT_ROOT,
    copy_project,
    mlflow_models_serve,
)

MODEL_NAME, CHAMPION_ALIAS = registered_model(PROJECT_ROOT)
CHAMPION = champion_uri(PROJECT_ROOT)  # models:/<registered model>@<champion alias>
EXPERIMENT = experiment_name(PROJECT_ROOT)

# No telemetry from Kedro or MLflow, whatever the caller's environment says.
os.environ.update(KEDRO_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1", MLFLOW_DISABLE_TELEMETRY="true")


def _read(name: str) -> np.ndarray:
    return parse_idx((MNIST_DIR / name).read_bytes(), name)


# Fixtures that run `kedro run -e smoke`: the tests that use them are marked slow.
SMOKE_RUNS = {"smoke_project", "project_with_a_champion"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SMOKE_RUNS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def mnist_train() -> tuple[np.ndarray, np.ndarray]:
    """The real MNIST training images (60000, 28, 28) and labels (60000,), uint8."""
    return _read("train-images-idx3-ubyte.gz"), _read("train-labels-idx1-ubyte.gz")


@pytest.fixture(scope="session")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """The real MNIST test images (10000, 28, 28) and labels (10000,), uint8."""
    return _read("t10k-images-idx3-ubyte.gz"), _read("t10k-labels-idx1-ubyte.gz")


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch) -> str:
    """A fresh sqlite MLflow store in a temporary directory, with artifacts beside it."""
    uri = tracking_uri(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)  # MLflow puts artifacts in ./mlruns
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(EXPERIMENT)  # forget the experiment of an earlier test's store
    yield uri
    if mlflow.active_run():
        mlflow.end_run()


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


@pytest.fixture(scope="session")
def smoke_project(tmp_path_factory) -> tuple[Path, Run]:
    """A project copy in which one smoke run has finished: its path and its MLflow run."""
    project = copy_project(tmp_path_factory.mktemp("digit-pipeline"))
    return project, kedro_run(project)


@pytest.fixture
def project_with_a_champion(tmp_path) -> Path:
    """A project copy of the test's own, with one smoke run done (its champion), for tests
    that run more in a project: the shared ``smoke_project`` stays as it was made."""
    project = copy_project(tmp_path)
    kedro_run(project)
    return project


@pytest.fixture(scope="session")
def model_server(smoke_project) -> Iterator[str]:
    """`mlflow models serve -m models:/<model>@<champion alias> --env-manager local` of the
    smoke run's champion, as the README says: its base URL."""
    env = {"MLFLOW_TRACKING_URI": tracking_uri(smoke_project[0])}
    with mlflow_models_serve(CHAMPION, env) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"no browser at {CHROMIUM}: .ci/run installs Debian's chromium")
        pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
