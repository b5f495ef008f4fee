#!/usr/bin/env python3
"""CI's core stage: the core install alone (`pip install -e .`, what `make run` does) in a
fresh virtual environment runs what the README offers before `make test`, and each
optional part without its extra stops in one line that says how to install it.

    python3 .ci/core_stage.py      # from the project root; ~3-5 min, most of it the install

Everything runs in a temporary folder: the venv, and a copy of the project whose MLflow
store the smoke run registers in. A failure names its step and shows the command's output.
Standard library only: it runs before anything is installed."""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "docs" / "samples"
QUIET = {"KEDRO_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1", "MLFLOW_DISABLE_TELEMETRY": "true"}


class StepFailed(Exception):
    """A step of the stage went wrong: what, and the command's output."""


STEPS: list[str] = []  # the steps begun, the last one running


def step(name: str) -> None:
    STEPS.append(name)
    print(f"--- core: {name}", flush=True)


def run(command: list[str], *, env: dict, cwd: Path, expect_failure: bool | None = False,
        timeout: float = 600) -> subprocess.CompletedProcess:  # fmt: skip
    """Run ``command``; it must succeed, or fail with ``expect_failure`` (None: either)."""
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if expect_failure is not None and (done.returncode != 0) != expect_failure:
        outcome = "succeeded, but should have failed" if expect_failure else "failed"
        raise StepFailed(
            f"`{' '.join(command)}` {outcome} (exit {done.returncode})\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return done


def project_copy(folder: Path) -> Path:
    """The project as a clean clone has it: configuration, raw data, the line model every
    run starts from, samples, notebooks."""
    project = folder / "project"
    project.mkdir()
    for name in ("pyproject.toml", ".telemetry", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    for name in ("conf", "notebooks", "docs/samples", "data/01_raw/mnist"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("local"))
    (project / "conf" / "local").mkdir()
    (project / "src").mkdir()  # the code is the installed package
    for layer in (ROOT / "data").glob("0[2-8]_*"):
        (project / "data" / layer.name).mkdir(exist_ok=True)
    start = "data/06_models/line_model_start.keras"  # every run's line model starts from it
    shutil.copy2(ROOT / start, project / start)
    (project / "mlruns").mkdir()
    return project


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"} if body else {}
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    return answer.status, answer.read()


@contextmanager
def server(command: list[str], port: int, ready: str, *, env: dict, cwd: Path) -> Iterator[None]:
    """A server command, until the block ends; entered once GET ``ready`` answers 200."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode(errors="replace")[-4000:]
                    raise StepFailed(f"`{' '.join(command)}` never answered {ready}\n{output}")
                try:
                    if request(port, "GET", ready)[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(1)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def one_line_naming(done: subprocess.CompletedProcess, install: str) -> None:
    """The command stopped with one line naming the install, and no traceback."""
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    if install not in last or "Traceback" in done.stdout + done.stderr:
        raise StepFailed(f"expected one line naming `{install}`, got:\n{done.stderr[-3000:]}")


def python(env: dict, code: str, cwd: Path) -> str:
    """What the venv's Python prints running ``code``."""
    return run([str(Path(env["VENV"]) / "bin" / "python"), "-c", code], env=env, cwd=cwd).stdout


def install(work: Path) -> dict:
    """``make install`` into a new venv; the environment that runs its commands."""
    venv = work / "venv"
    env = {**os.environ, **QUIET, "VENV": str(venv)}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"
    env.pop("VIRTUAL_ENV", None)
    step("make install (pip install -e . into a new venv)")
    started = time.monotonic()
    run(["make", "install", f"VENV={venv}"], env=env, cwd=ROOT, timeout=1800)
    print(f"    installed in {time.monotonic() - started:.0f} s")

    step("none of the extras is installed")
    missing = json.loads(python(env, EXTRAS_MISSING, ROOT))
    present = sorted(extra for extra, modules in missing.items() if not modules)
    if present:
        raise StepFailed(f"the core install holds the extras {present}")
    return env


# The modules missing of each extra; every console command's words.
EXTRAS_MISSING = """import json
from digit_pipeline.extras import EXTRAS, missing_modules
print(json.dumps({extra: missing_modules(extra) for extra in EXTRAS}))"""
CONSOLE_COMMANDS = """import json, click
from digit_pipeline.command_line.main import main
def walk(group, path):
    for name, command in group.commands.items():
        yield [*path, name]
        if isinstance(command, click.Group):
            yield from walk(command, [*path, name])
print(json.dumps(list(walk(main, []))))"""
# A photographed sheet of three lines of 0123456789 in MNIST's training digits.
PATTERN_SHEET = """import sys
import numpy as np
from digit_pipeline.generators.pen import DigitPool
from digit_pipeline.generators.photos import pattern_sheet
from digit_pipeline.datasets.idx import IDXDataset
raw = "data/01_raw/mnist/train-{}-idx{}-ubyte.gz"
pool = DigitPool(IDXDataset(raw.format("images", 3)).load(), IDXDataset(raw.format("labels", 1)).load())
sheet = pattern_sheet(pool, np.random.default_rng(0), ["0123456789"] * 3)
open(sys.argv[1], "wb").write(sheet.data)"""
CHAMPION = """import mlflow
print(mlflow.MlflowClient().get_model_version_by_alias("digit-classifier", "champion").version)"""


def helps(env: dict) -> None:
    step("--help of every console command")
    commands = json.loads(python(env, CONSOLE_COMMANDS, ROOT))
    for words in [[], *commands]:
        run(["digit-pipeline", *words, "--help"], env=env, cwd=ROOT)
    print(f"    digit-pipeline and its {len(commands)} commands")


def pipelines(env: dict, project: Path) -> None:
    step("kedro --help lists the project's commands")
    run(["kedro", "--help"], env=env, cwd=project)

    step("kedro run -e smoke: the whole pipeline, a registered champion")
    run(["kedro", "run", "-e", "smoke"], env=env, cwd=project)
    print(f"    champion: version {python(env, CHAMPION, project).strip()}")

    step("digit-pipeline predict of a sample image")
    done = run(["digit-pipeline", "predict", str(SAMPLES / "seven.png")], env=env, cwd=project)
    rows = done.stdout.strip().splitlines()
    if len(rows) != 2 or not rows[0].startswith("file,digit"):
        raise StepFailed(f"expected a CSV header and one row, got:\n{done.stdout}")
    print(f"    {rows[1]}")

    step("kedro run --pipelines predict: the samples' folder")
    folder = project / "data" / "05_model_input" / "to_predict"
    folder.mkdir(parents=True, exist_ok=True)
    for sample in SAMPLES.iterdir():
        shutil.copy2(sample, folder / sample.name)
    run(["kedro", "run", "--pipelines", "predict"], env=env, cwd=project)
    table = (project / "data" / "07_model_output" / "predictions.csv").read_text().splitlines()
    if len(table) != 1 + len(list(SAMPLES.iterdir())):
        raise StepFailed(f"expected a row per sample, got:\n{table}")

    step("digit-pipeline collect of a pattern sheet")
    sheet = project / "sheet.jpg"
    run([str(Path(env["VENV"]) / "bin" / "python"), "-c", PATTERN_SHEET, str(sheet)],
        env=env, cwd=project)  # fmt: skip
    command = ["digit-pipeline", "collect", str(sheet), "--rows", "0123456789", "--keep-matching"]
    done = run(command, env=env, cwd=project, expect_failure=None)
    # A one-epoch model may match no line: then one line says nothing was kept.
    last = (done.stderr.strip().splitlines() or [""])[-1]
    if done.returncode and not last.endswith("nothing kept"):
        raise StepFailed(f"`{' '.join(command)}` failed:\n{done.stderr[-3000:]}")
    print(f"    {(done.stdout or done.stderr).strip().splitlines()[-1]}")

    step("digit-pipeline sweep: one smoke run")
    run(["digit-pipeline", "sweep", "--env", "smoke", "train.epochs=1"], env=env, cwd=project)


def servers(env: dict, project: Path) -> None:
    step("mlflow models serve of the champion reads an image")
    port = free_port()
    serve = ["mlflow", "models", "serve", "-m", "models:/digit-classifier@champion",
             "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)]  # fmt: skip
    with server(serve, port, "/ping", env=env, cwd=project):
        image = base64.b64encode((SAMPLES / "seven.png").read_bytes()).decode()
        body = json.dumps({"inputs": [{"image": image}]}).encode()
        status, answer = request(port, "POST", "/invocations", body)
        if status != 200 or b'"digit"' not in answer:
            raise StepFailed(f"/invocations answered {status}: {answer[:500]!r}")

    step("digit-pipeline app and mlflow ui answer")
    port = free_port()
    with server(["digit-pipeline", "app", "--port", str(port)], port, "/api/model",
                env=env, cwd=project):  # fmt: skip
        if request(port, "GET", "/")[0] != 200:
            raise StepFailed("the GUI's page did not answer 200")
    port = free_port()
    with server(["mlflow", "ui", "--port", str(port)], port, "/", env=env, cwd=project):
        pass


def extras_missing(env: dict, project: Path) -> None:
    step("each optional part without its extra: one line naming the install")
    for command, extra in (
        (["kedro", "run", "--pipelines", "predict_spark"], "spark"),
        (["digit-pipeline", "server"], "server"),
        (["kedro", "viz", "run"], "dev"),
        (["kedro", "jupyter", "lab"], "dev"),
    ):
        done = run(command, env=env, cwd=project, expect_failure=True)
        one_line_naming(done, f'pip install -e ".[{extra}]"')


def core_stage(work: Path) -> None:
    env = install(work)
    helps(env)
    project = project_copy(work)
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{project / 'mlflow.db'}"
    pipelines(env, project)
    servers(env, project)
    extras_missing(env, project)


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="digit-pipeline-core-") as work:
        try:
            core_stage(Path(work))
        except (StepFailed, subprocess.TimeoutExpired) as error:
            print(f"\nCORE STAGE FAILED at '{STEPS[-1]}': {error}", file=sys.stderr)
            return 1
    print(f"--- core: passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
