"""The notebooks execute top to bottom against a project in which a smoke run finished."""

import nbformat
import pytest
from nbclient import NotebookClient

from digit_pipeline.testing.project import tracking_uri


def _execute(path, monkeypatch) -> str:
    """Run a notebook in a fresh kernel; return all the text it printed or displayed."""
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    return "\n".join(texts)


@pytest.fixture
def project(smoke_project, monkeypatch):
    path, _ = smoke_project
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri(path))
    return path


def test_explore_notebook_runs(project, monkeypatch):
    output = _execute(project / "notebooks" / "01_explore_mnist.ipynb", monkeypatch)
    assert "train: (60000, 28, 28) uint8, test: (10000, 28, 28) uint8" in output
    assert "share of zero pixels" in output


def test_compare_runs_notebook_reads_mlflow(project, monkeypatch):
    output = _execute(project / "notebooks" / "02_compare_runs.ipynb", monkeypatch)
    assert tracking_uri(project) in output
    assert "finished training runs" in output and "0 finished training runs" not in output
    assert "champion: version" in output
