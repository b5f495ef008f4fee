"""A deployable image of the champion: `mlflow models generate-dockerfile` builds its
context offline, with the model, its pinned requirements and the reader's code."""

import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import yaml

from digit_pipeline.pipelines.package.nodes import SERVING_PACKAGES
from digit_pipeline.testing.project import CHAMPION, tracking_uri


def test_the_champion_gets_a_docker_context_offline(smoke_project, tmp_path):
    context = tmp_path / "image"
    environment = {
        **os.environ,
        "MLFLOW_TRACKING_URI": tracking_uri(smoke_project[0]),
        # No network: any download on the way fails at once instead of hanging.
        "PIP_NO_INDEX": "1",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }
    mlflow = Path(sys.executable).parent / "mlflow"
    command = [str(mlflow), "models", "generate-dockerfile", "-m", CHAMPION, "-d", str(context)]
    done = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]

    dockerfile = (context / "Dockerfile").read_text()
    assert dockerfile.startswith("# Build an image") and "FROM python:3.11" in dockerfile
    assert f"pip install mlflow=={version('mlflow')}" in dockerfile
    assert "COPY model_dir /opt/ml/model" in dockerfile

    model = context / "model_dir"
    flavor = yaml.safe_load((model / "MLmodel").read_text())["flavors"]["python_function"]
    assert flavor["loader_module"] == "mlflow.pyfunc.model"
    assert (model / "artifacts" / "digit_cnn.keras").stat().st_size > 100_000
    pinned = dict(
        re.fullmatch(r"([\w.-]+)==(\S+)", line).groups()
        for line in (model / "requirements.txt").read_text().split()
    )
    assert {package: version(package) for package in SERVING_PACKAGES} == pinned
    reader = model / "code" / "digit_pipeline" / "reading"
    assert {"pyfunc.py", "contract.py", "predictor.py"} <= {p.name for p in reader.iterdir()}
    example = json.loads((model / "serving_input_example.json").read_text())
    assert list(example["inputs"][0]) == ["image"]
