"""Helpers shared by the tests and the benchmarks: real servers on 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def mlflow_models_serve(
    model_uri: str, env: dict[str, str] | None = None, timeout: float = 180.0
) -> Iterator[int]:
    """Run `mlflow models serve -m MODEL_URI --env-manager local` as the README says, on a
    free port of 127.0.0.1, until the block ends. Yields the port once /ping answers."""
    port = free_port()
    environment = {**os.environ, **(env or {})}
    # mlflow execs uvicorn: the venv's bin/ must come first on PATH.
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    command = [
        "mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local",
        "-h", "127.0.0.1", "-p", str(port),
    ]  # fmt: skip
    # The server's output goes to a file, not a pipe: a full pipe would block the server.
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_http(port, "/ping", server, timeout, log)
            yield port
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def wait_for_http(
    port: int, path: str, process: subprocess.Popen, timeout: float, log: IO[bytes]
) -> None:
    """Wait until GET path answers 200, or fail with the end of what the process printed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")
            raise RuntimeError(
                f"the server exited with code {process.returncode}:\n{output[-3000:]}"
            )
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"the server did not answer {path} within {timeout} s")
