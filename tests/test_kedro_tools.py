"""Kedro's own tools on the project: `kedro viz build` (the pipeline site) and
`kedro jupyter lab` (the notebooks with the project's catalog), in a copy of the project."""

import json
import os
import subprocess
import sys
from pathlib import Path

from digit_pipeline.pipeline_registry import register_pipelines
from digit_pipeline.testing.project import copy_project
from digit_pipeline.testing.servers import free_port, running_server

KEDRO = str(Path(sys.executable).parent / "kedro")


def test_kedro_viz_build_makes_the_pipeline_site(tmp_path):
    project = copy_project(tmp_path)
    done = subprocess.run(
        [KEDRO, "viz", "build"], cwd=project, capture_output=True, text=True, timeout=300,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    site = project / "build"
    assert "<html" in (site / "index.html").read_text().lower()
    main = json.loads((site / "api" / "main").read_text())
    pipelines = register_pipelines()
    assert [p["id"] for p in main["pipelines"]] == list(pipelines)
    # kedro-viz names a node of a namespace (the evaluate pipeline's test and own) within it.
    tasks = {
        ".".join([*(node["modular_pipelines"] or []), node["name"]])
        for node in main["nodes"]
        if node["type"] == "task"
    }
    assert {node.name for node in pipelines["__default__"].nodes} <= tasks
    namespaces = {node["name"] for node in main["nodes"] if node["type"] == "modularPipeline"}
    assert {"test", "own"} <= namespaces
    datasets = {node["name"] for node in main["nodes"] if node["type"] == "data"}
    assert {"train_images_raw", "trained_model", "model_version"} <= datasets
    for name in pipelines:  # each pipeline's own view
        assert json.loads((site / "api" / "pipelines" / name).read_text())["nodes"]


def test_kedro_jupyter_lab_starts_with_the_project_kernel(tmp_path):
    (tmp_path / "project").mkdir()
    project = copy_project(tmp_path / "project")
    port = free_port()
    jupyter_data = tmp_path / "jupyter"  # where Kedro installs its kernel spec
    command = [
        KEDRO,
        "jupyter",
        "lab",
        "--no-browser",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ServerApp.root_dir",
        str(project),
    ] + (["--allow-root"] if os.geteuid() == 0 else [])  # fmt: skip  (CI's containers)
    env = {"KEDRO_DISABLE_TELEMETRY": "1", "JUPYTER_DATA_DIR": str(jupyter_data)}
    with running_server(command, port, "/api", env=env, timeout=120, cwd=project):
        kernels = {path.parent.name for path in jupyter_data.glob("kernels/*/kernel.json")}
        assert "kedro_digit_pipeline" in kernels
