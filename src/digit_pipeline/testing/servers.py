"""Real servers on 127.0.0.1 for the tests and benchmarks (`mlflow models serve`, the GUI,
the team server), and what a process holds."""

from __future__ import annotations

import http.client
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

BIN = Path(sys.executable).parent
# The team server's admin and one user, made by `team_server`.
ADMIN = ("admin", "an-admin-password-for-tests")


ADA = ("ada", "ada-password-for-tests")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(
    command: list[str],
    port: int,
    ready_path: str,
    env: dict[str, str] | None = None,
    timeout: float = 180.0,
    *,
    cwd: Path | None = None,
) -> Iterator[None]:
    """Run a server command (in ``cwd``) until the block ends; enter once GET ready_path
    answers 200.
    The venv's bin/ comes first on PATH (`mlflow models serve` execs uvicorn from there)."""
    environment = {**os.environ, **(env or {})}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    # The server's output goes to a file, not a pipe: a full pipe would block the server.
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            command, env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=cwd
        )
        try:
            wait_for_http(port, ready_path, server, timeout, log)
            yield
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


@contextmanager
def mlflow_models_serve(model_uri: str, env: dict[str, str] | None = None) -> Iterator[int]:
    """`mlflow models serve -m MODEL_URI --env-manager local` as the README says, on a free
    port of 127.0.0.1. Yields the port once /ping answers."""
    port = free_port()
    command = [
        "mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local",
        "-h", "127.0.0.1", "-p", str(port),
    ]  # fmt: skip
    with running_server(command, port, "/ping", env):
        yield port


@contextmanager
def digit_pipeline_app(env: dict[str, str] | None = None, *args: str) -> Iterator[str]:
    """`digit-pipeline app ARGS` on a free port of 127.0.0.1. Yields its base URL once it
    answers."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "digit-pipeline"), "app", "--port", str(port), *args,
    ]  # fmt: skip
    with running_server(command, port, "/api/model", env):
        yield f"http://127.0.0.1:{port}"


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


def listening_pid(port: int) -> int:
    """The process that listens on 127.0.0.1:port (a server's worker, not its launcher)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(fields[9])
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            for fd in fd_dir.iterdir():
                if fd.readlink().name.removeprefix("socket:[").removesuffix("]") in inodes:
                    return int(fd_dir.parent.name)
        except OSError:  # a process that ended, or one we may not look into
            continue
    raise LookupError(f"no process listens on port {port}")


def memory_mb(pid: int) -> dict[str, float]:
    """A process's resident memory now (``rss``) and at its highest so far (``peak``), in MB."""
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return {
        "rss": int(status["VmRSS"].split()[0]) / 1024,
        "peak": int(status["VmHWM"].split()[0]) / 1024,
    }


def restart_peak_memory(pid: int) -> float:
    """Restart a process's high-water mark of resident memory at what it holds now (Linux's
    ``clear_refs``): that resident memory, in MB."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return memory_mb(pid)["peak"]


def send_chunked_until_answered(
    url: str, path: str, content_type: str, limit: int = 1 << 30
) -> tuple[bytes, int]:
    """POST a body of unknown length (chunked, 1 MB at a time) until the server answers or
    closes, or ``limit`` bytes are sent: the start of the answer, and the bytes sent."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {address.hostname}\r\n"
            f"Transfer-Encoding: chunked\r\nContent-Type: {content_type}\r\n\r\n".encode()
        )
        chunk, sent = os.urandom(1 << 20), 0
        while sent < limit and not select.select([sock], [], [], 0)[0]:
            try:
                sock.sendall(b"%x\r\n%b\r\n" % (len(chunk), chunk))
            except OSError:  # the server closed the connection
                break
            sent += len(chunk)
        return sock.recv(4096), sent


@contextmanager
def team_server(
    folder: Path | None = None, *, new_user: bool = True, workers: int = 2
) -> Iterator[dict]:
    """`digit-pipeline server` in ``folder`` (a new one under /tmp, which PostgreSQL's own
    user can reach, by default), with the user ada made by the admin. Yields the clients'
    environment and the server's folder."""
    folder = folder or Path(tempfile.mkdtemp(prefix="team-server-", dir="/tmp"))
    port, database_port = free_port(), free_port()
    command = [str(BIN / "digit-pipeline"), "server", "--dir", str(folder), "--port", str(port),
               "--db-port", str(database_port), "--workers", str(workers)]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    env = {"MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN[1]}
    with running_server(command, port, "/health", env=env, timeout=180):
        if new_user:
            admin = {"MLFLOW_TRACKING_URI": url, "MLFLOW_TRACKING_USERNAME": ADMIN[0],
                     "MLFLOW_TRACKING_PASSWORD": ADMIN[1]}  # fmt: skip
            made = subprocess.run(
                [str(BIN / "digit-pipeline"), "server", "add-user", ADA[0], "--password", ADA[1]],
                env={**os.environ, **admin}, capture_output=True, text=True, timeout=120,
                check=False,
            )  # fmt: skip
            assert made.returncode == 0, made.stderr[-2000:]
        yield {"MLFLOW_TRACKING_URI": url, "MLFLOW_TRACKING_USERNAME": ADA[0],
               "MLFLOW_TRACKING_PASSWORD": ADA[1], "folder": str(folder)}  # fmt: skip
