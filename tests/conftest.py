"""Shared fixtures: real MNIST bytes from the project's data/01_raw, real MLflow stores in
temporary directories, and copies of the project to run Kedro sessions in."""

import os
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow.entities import Run

from digit_pipeline.testing.browser import CHROMIUM, CHROMIUM_ARGS
from digit_pipeline.testing.project import (
    CHAMPION,
    EXPERIMENT,
    copy_project,
    kedro_run,
    read_mnist,
    tracking_uri,
)
from digit_pipeline.testing.servers import mlflow_models_serve

# No telemetry from Kedro or MLflow, whatever the caller's environment says.
os.environ.update(KEDRO_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1", MLFLOW_DISABLE_TELEMETRY="true")


# Fixtures that run `kedro run -e smoke`: the tests that use them are marked slow.
SMOKE_RUNS = {"smoke_project", "project_with_a_champion"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SMOKE_RUNS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def mnist_train() -> tuple[np.ndarray, np.ndarray]:
    """The real MNIST training images (60000, 28, 28) and labels (60000,), uint8."""
    return read_mnist("train-images-idx3-ubyte.gz"), read_mnist("train-labels-idx1-ubyte.gz")


@pytest.fixture(scope="session")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """The real MNIST test images (10000, 28, 28) and labels (10000,), uint8."""
    return read_mnist("t10k-images-idx3-ubyte.gz"), read_mnist("t10k-labels-idx1-ubyte.gz")


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
