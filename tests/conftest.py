"""Shared fixtures: real MNIST bytes from the project's data/01_raw, real MLflow stores in
temporary directories, and copies of the project to run Kedro sessions in."""

import os
import shutil
from pathlib import Path

import mlflow
import numpy as np
import pytest

from digit_pipeline.idx import parse_idx

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = PROJECT_ROOT / "data" / "01_raw" / "mnist"

# No telemetry from Kedro or MLflow, whatever the caller's environment says.
os.environ.update(KEDRO_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1", MLFLOW_DISABLE_TELEMETRY="true")


def _read(name: str) -> np.ndarray:
    return parse_idx((MNIST_DIR / name).read_bytes(), name)


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
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)  # MLflow puts artifacts in ./mlruns
    mlflow.set_tracking_uri(uri)
    yield uri
    if mlflow.active_run():
        mlflow.end_run()


def copy_project(destination: Path) -> Path:
    """A runnable copy of the project: its configuration, notebooks and raw data.

    The code is the installed package (``src/`` stays empty); outputs land in the copy.
    """
    (destination / "src").mkdir()
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy2(PROJECT_ROOT / name, destination / name)
    shutil.copytree(PROJECT_ROOT / "conf", destination / "conf", ignore=shutil.ignore_patterns("local"))
    (destination / "conf" / "local").mkdir()
    shutil.copytree(PROJECT_ROOT / "notebooks", destination / "notebooks")
    shutil.copytree(MNIST_DIR, destination / "data" / "01_raw" / "mnist")
    for layer in (PROJECT_ROOT / "data").glob("0[2-8]_*"):
        (destination / "data" / layer.name).mkdir()
    (destination / "mlruns").mkdir()
    return destination
