"""`mlflow models serve --workers W` under C concurrent clients: throughput, latency,
errors and each worker's memory.

    python benchmarks/serve_workers.py [--model-uri models:/<model>@<alias>]
        [--workers 1 2] [--clients 1 8 32] [--seconds 20] [--kernels AVX2]

``--kernels`` chooses TensorFlow's CPU kernels in the server as `epoch_speed.py` does
(``AVX2``: oneDNN capped at AVX2, as on an AVX2 CPU).

Each client sends one drawn digit (a 280x280 PNG, what the GUI sends) per request, on its
own connection, for --seconds after a warm-up. A client told 503 (the reader is busy: its
own queue of MAX_CONCURRENT_READS + MAX_WAITING requests is full) waits a second and
sends again, as the answer's message asks; those are counted apart from errors (any other
status, or a failed connection). Memory: each worker process's resident set at its
highest (VmHWM), read from /proc once the load is over.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import sys
import threading
import time
from pathlib import Path

import numpy as np

from digit_pipeline.extras import missing_extra
from digit_pipeline.project import champion_uri
from digit_pipeline.testing.servers import free_port, memory_mb, running_server
from digit_pipeline.training.hardware import describe, detect

if message := missing_extra("benchmarks", "benchmarks/serve_workers.py"):
    sys.exit(f"Error: {message}")
import psutil  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
from epoch_speed import kernel_environment  # noqa: E402
from plain_keras import read_mnist  # noqa: E402
from serve_benchmark import drawing_png  # noqa: E402


def drawn_digit_body() -> bytes:
    digit = read_mnist("train-images-idx3-ubyte")[0]
    return json.dumps(
        {"inputs": [{"image": base64.b64encode(drawing_png(digit)).decode()}]}
    ).encode()


def client_loop(port: int, body: bytes, until: float, record: list) -> None:
    """Requests on one connection until ``until``; appends (seconds, status) per answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while time.perf_counter() < until:
        start = time.perf_counter()
        try:
            connection.request("POST", "/invocations", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        record.append((time.perf_counter() - start, status))
        if status == 503:
            time.sleep(1.0)


def load(port: int, body: bytes, clients: int, seconds: float) -> dict[str, float]:
    records: list[list] = [[] for _ in range(clients)]
    until = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=client_loop, args=(port, body, until, record)) for record in records
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    answers = [answer for record in records for answer in record]
    served = np.array([seconds for seconds, status in answers if status == 200]) * 1000
    return {
        "requests_per_s": len(served) / elapsed,
        "p50_ms": float(np.percentile(served, 50)) if len(served) else float("nan"),
        "p99_ms": float(np.percentile(served, 99)) if len(served) else float("nan"),
        "busy_503": sum(status == 503 for _, status in answers),
        "errors": sum(status not in (200, 503) for _, status in answers),
    }


def worker_memory(port: int) -> list[float]:
    """Peak resident MB of each worker process of the server listening on ``port``
    (uvicorn with --workers N: a supervisor and its N workers all hold the socket)."""
    holders = []
    for process in psutil.process_iter():
        try:
            if any(
                c.laddr.port == port and c.status == "LISTEN" for c in process.net_connections()
            ):
                holders.append(process)
        except psutil.Error:
            continue
    pids = {process.pid for process in holders}
    workers = [process for process in holders if process.ppid() in pids] or holders
    return [memory_mb(worker.pid)["peak"] for worker in workers]


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-uri", default=champion_uri())
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--kernels", help="oneDNN, AVX2, AVX512_CORE, ... or Eigen")
    return parser


def main() -> None:
    args = argument_parser().parse_args()
    env = kernel_environment(args.kernels) if args.kernels else None

    tags = describe(detect(), "float32")  # the served model computes in float32
    print(f"CPU: {tags['cpu']}; flags: {tags['cpu_flags']}; kernels: {args.kernels or 'default'}")
    body = drawn_digit_body()
    rows = []
    for workers in args.workers:
        port = free_port()
        command = [
            "mlflow", "models", "serve", "-m", args.model_uri, "--env-manager", "local",
            "-h", "127.0.0.1", "-p", str(port), "--workers", str(workers),
        ]  # fmt: skip
        with running_server(command, port, "/ping", env=env, timeout=300):
            load(port, body, max(args.clients), 5.0)  # every worker loads and warms up
            for clients in args.clients:
                figures = load(port, body, clients, args.seconds)
                rows.append({"workers": workers, "clients": clients, **figures})
                print(json.dumps(rows[-1]))
            memory = worker_memory(port)
            print(f"workers {workers}: peak MB per worker {[round(m) for m in memory]}")
            for row in rows:
                if row["workers"] == workers:
                    row["peak_mb_per_worker"] = round(max(memory))

    print("\n| workers | clients | requests/s | p50 ms | p99 ms | busy (503, retried) | errors "
          "| peak MB per worker |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['workers']} | {row['clients']} | {row['requests_per_s']:.1f} "
            f"| {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['busy_503']} "
            f"| {row['errors']} | {row['peak_mb_per_worker']} |"
        )


if __name__ == "__main__":
    main()
