"""Wall time of a smoke `kedro run -e smoke` against the local sqlite store and against a
team server (`digit-pipeline server`: PostgreSQL, proxied artifacts, basic-auth logins),
in turns, in two copies of the project.

    python benchmarks/team_server.py [--rounds 2] [--workers 2]

A run against the server sends every parameter, metric, tag, artifact and registry call
as an HTTP request, each with its login; the server checks a login once a minute per
worker (``auth_cache_ttl_seconds``). The server's start (PostgreSQL's initdb included) is
printed apart.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from digit_pipeline.testing.project import copy_project
from digit_pipeline.testing.servers import team_server

ROOT = Path(__file__).resolve().parents[1]

from digit_pipeline.operations.sweep import kedro_command  # noqa: E402
from digit_pipeline.training.hardware import describe, detect  # noqa: E402


def timed_smoke_run(project: Path, environment: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        kedro_command({}, env="smoke"), cwd=project, capture_output=True, text=True,
        check=False,
        env={**os.environ, **environment, "KEDRO_DISABLE_TELEMETRY": "1"},
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"kedro run failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return seconds


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    return parser


def main() -> None:
    args = argument_parser().parse_args()

    tags = describe(detect(), "float32")
    print(f"CPU: {tags['cpu']}; flags: {tags['cpu_flags']}; {os.cpu_count()} cores")
    work = Path(tempfile.mkdtemp(prefix="team-server-benchmark-", dir="/tmp"))
    try:
        for name in ("local", "team"):
            (work / name).mkdir()
        local, team = copy_project(work / "local"), copy_project(work / "team")
        local_store = {"MLFLOW_TRACKING_URI": f"sqlite:///{local / 'mlflow.db'}"}
        start = time.perf_counter()
        with team_server(work / "server", workers=args.workers) as server:
            print(f"team server up, user made: {time.perf_counter() - start:.1f} s")
            login = {k: v for k, v in server.items() if k.startswith("MLFLOW_")}
            times: dict[str, list[float]] = {"local sqlite": [], "team server": []}
            for round_number in range(1, args.rounds + 1):
                times["local sqlite"].append(timed_smoke_run(local, local_store))
                times["team server"].append(timed_smoke_run(team, login))
                print(f"round {round_number}: local {times['local sqlite'][-1]:.1f} s, "
                      f"team server {times['team server'][-1]:.1f} s")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n| store | smoke `kedro run`, s (median) | runs |")
    print("|---|---:|---:|")
    for store, seconds in times.items():
        print(f"| {store} | {statistics.median(seconds):.1f} | {len(seconds)} |")


if __name__ == "__main__":
    main()
