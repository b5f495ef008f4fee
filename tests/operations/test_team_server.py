"""A team's server (`digit-pipeline server`): a real PostgreSQL and a real `mlflow server`
with logins on 127.0.0.1; the smoke pipeline, `mlflow models serve` and plain clients
against it, and nothing written beside the project."""

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from digit_pipeline.operations.team_server import POSTGRES_BIN
from digit_pipeline.testing.project import (
    CHAMPION,
    CHAMPION_ALIAS,
    EXPERIMENT,
    MODEL_NAME,
    copy_project,
)
from digit_pipeline.testing.servers import ADA, BIN, mlflow_models_serve, team_server

PIXELS = [[0.0] * 28] * 28

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _postgres_installed():
    if not (POSTGRES_BIN / "initdb").exists():
        if os.environ.get("CI"):
            pytest.fail(f"no PostgreSQL at {POSTGRES_BIN}: .ci/run installs Debian's postgresql")
        pytest.skip("no PostgreSQL (apt-get install postgresql)")


@pytest.fixture(scope="module")
def server() -> Iterator[dict]:
    with team_server() as env:
        yield env
    shutil.rmtree(env["folder"], ignore_errors=True)


def client_env(server: dict) -> dict[str, str]:
    return {**os.environ, **{k: v for k, v in server.items() if k.startswith("MLFLOW_")},
            "KEDRO_DISABLE_TELEMETRY": "1"}  # fmt: skip


def start_smoke_run(project: Path, server: dict, *params: str) -> subprocess.Popen:
    command = [str(BIN / "kedro"), "run", "-e", "smoke", *params]
    return subprocess.Popen(
        command, cwd=project, env=client_env(server), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def finished(run: subprocess.Popen, timeout: float = 600) -> str:
    output, _ = run.communicate(timeout=timeout)
    assert run.returncode == 0, output[-3000:]
    return output


def team_client(server: dict) -> MlflowClient:
    os.environ.update({k: v for k, v in server.items() if k.startswith("MLFLOW_TRACKING_")})
    return MlflowClient(server["MLFLOW_TRACKING_URI"])


def test_the_server_asks_for_a_login(server, tmp_path):
    search = f"{server['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/experiments/search"
    body = {"max_results": 1}
    assert requests.post(search, json=body, timeout=30).status_code == 401
    assert requests.post(search, json=body, auth=(ADA[0], "wrong"), timeout=30).status_code == 401
    assert requests.post(search, json=body, auth=ADA, timeout=30).status_code == 200
    # An MLflow client with a wrong password is told so, in one sentence.
    with pytest.raises(MlflowException, match="401.*You are not authenticated"):
        team_client({**server, "MLFLOW_TRACKING_PASSWORD": "wrong"}).search_experiments()
    # `kedro run` with a wrong password stops at once, in one line.
    run = start_smoke_run(copy_project(tmp_path), {**server, "MLFLOW_TRACKING_PASSWORD": "wrong"})
    output, _ = run.communicate(timeout=300)
    assert run.returncode == 1
    assert "refused user 'ada' (HTTP 401): set MLFLOW_TRACKING_USERNAME" in output
    assert "Traceback" not in output


def test_the_pipeline_registers_serves_and_runs_twice_at_once_on_the_server(server, tmp_path):
    projects = []
    for name in ("first", "worse", "same"):
        (tmp_path / name).mkdir()
        projects.append(copy_project(tmp_path / name))
    finished(start_smoke_run(projects[0], server))
    client = team_client(server)
    assert client.get_registered_model(MODEL_NAME).aliases == {CHAMPION_ALIAS: "1"}

    # The champion served from the server: the model's files come through it.
    serve_env = {k: v for k, v in client_env(server).items() if k.startswith("MLFLOW_")}
    with mlflow_models_serve(CHAMPION, serve_env) as port:
        answer = requests.post(
            f"http://127.0.0.1:{port}/invocations", json={"inputs": [{"pixels": PIXELS}]},
            timeout=60,
        )  # fmt: skip
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 1

    # Two runs at once, one of them worse: both finish, each its own version; the
    # champion stays.
    worse = ("--params", "train.learning_rate=1e-9,package.min_test_accuracy=0.0")
    runs = [start_smoke_run(projects[1], server, *worse), start_smoke_run(projects[2], server)]
    for run in runs:
        finished(run)
    versions = client.search_model_versions(f"name='{MODEL_NAME}'")
    assert sorted(int(v.version) for v in versions) == [1, 2, 3]
    assert len({v.run_id for v in versions}) == 3
    assert client.get_registered_model(MODEL_NAME).aliases == {CHAMPION_ALIAS: "1"}

    # Nothing beside the projects: runs, models and artifacts are the server's.
    for project in projects:
        assert not (project / "mlflow.db").exists()
        assert not any((project / "mlruns").iterdir())
    artifacts = Path(server["folder"]) / "artifacts"
    assert list(artifacts.rglob("confusion_matrix.png")) and list(artifacts.rglob("MLmodel"))


def test_a_run_fails_clearly_when_the_server_stops_and_the_registry_stays(tmp_path):
    project = copy_project(tmp_path)
    with team_server() as server:
        folder = server["folder"]
        # A client retries for minutes by default; here, for seconds.
        quick = {**server, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
                 "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}  # fmt: skip
        run = start_smoke_run(project, quick)
        client = team_client(server)
        deadline = time.monotonic() + 300
        while not _runs(client):
            assert time.monotonic() < deadline and run.poll() is None, "the run never started"
            time.sleep(1)
        _stop_server(folder)  # the launcher stops `mlflow server`, then PostgreSQL
        output, _ = run.communicate(timeout=600)
    assert run.returncode != 0
    assert "Connection refused" in output or "Max retries exceeded" in output, output[-3000:]
    with team_server(Path(folder), new_user=False) as server:  # the same folder, again
        client = team_client(server)
        (started,) = _runs(client)
        assert started.info.status in ("RUNNING", "FAILED")
        assert not client.search_registered_models()  # the registry as it was: empty
    shutil.rmtree(folder, ignore_errors=True)


def _runs(client: MlflowClient) -> list:
    experiment = client.get_experiment_by_name(EXPERIMENT)
    return client.search_runs([experiment.experiment_id]) if experiment else []


def _stop_server(folder: str) -> None:
    """SIGTERM to the `digit-pipeline server` of ``folder``."""
    for process in Path("/proc").glob("[0-9]*"):
        try:
            command = (process / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if command[1:3] == [str(BIN / "digit-pipeline").encode(), b"server"] and (
            folder.encode() in command
        ):
            os.kill(int(process.name), signal.SIGTERM)
            return
    raise LookupError(f"no server of {folder} runs")


def test_the_server_names_the_driver_and_keeps_no_password_in_its_uri(tmp_path):
    from digit_pipeline.operations.team_server import TeamServer  # noqa: PLC0415

    server = TeamServer(tmp_path, 5000, 5432)
    uri = server.database_uri("mlflow")
    assert uri == "postgresql+psycopg2://mlflow@127.0.0.1:5432/mlflow"
    command = server.mlflow_command()
    assert "--app-name" in command and command[command.index("--host") + 1] == "127.0.0.1"
    assert "--default-artifact-root" not in command and "--artifacts-destination" in command
    assert "password" not in json.dumps(command).lower()
