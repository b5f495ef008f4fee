"""A team's MLflow server: runs and the registry in PostgreSQL, artifacts kept and served
by the server itself, and a login for everyone (MLflow's ``basic-auth`` app).

    MLFLOW_AUTH_ADMIN_PASSWORD=... digit-pipeline server [--dir .team-server] [--port 5000]

Everything lives in one folder: ``postgres/`` (the cluster, made on first start by
Debian's ``initdb``), ``artifacts/`` (what clients upload through the server),
``basic_auth.ini`` (the users' store: a second database of the same cluster) and
``pgpass`` and ``flask-secret`` (the database's password and the key that signs the
auth app's forms, made at random on first start, readable by their owner only). The database listens on 127.0.0.1 only; its password never appears in a URI, a
command line or a log: libpq reads it from ``pgpass``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DATABASE_USER = "mlflow"
TRACKING_DATABASE = "mlflow"
AUTH_DATABASE = "mlflow_auth"
# Where Debian's postgresql package puts its programs (15 on Debian 12).
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
# A team shares its models: every user may read, log and register (EDIT); who created an
# experiment or a registered model may also manage its permissions (MANAGE).
DEFAULT_PERMISSION = "EDIT"


class ServerError(RuntimeError):
    """The server cannot start: what is missing, and how to provide it."""


@dataclass(frozen=True)
class TeamServer:
    """The folder of a team server and the ports it uses."""

    root: Path
    port: int = 5000
    database_port: int = 5432

    @property
    def cluster(self) -> Path:
        return self.root / "postgres"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def pgpass(self) -> Path:
        return self.root / "pgpass"

    @property
    def auth_config(self) -> Path:
        return self.root / "basic_auth.ini"

    def database_uri(self, database: str) -> str:
        """SQLAlchemy's URI, naming its driver (a bare ``postgresql://`` means psycopg 3
        to SQLAlchemy 2); no password: libpq reads ``pgpass``."""
        return f"postgresql+psycopg2://{DATABASE_USER}@127.0.0.1:{self.database_port}/{database}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def secret_key(self) -> Path:
        return self.root / "flask-secret"

    def environment(self) -> dict[str, str]:
        """What MLflow's server and its auth app need: the database's password file, the
        users' store, and the key that signs their forms' CSRF tokens (made at random on
        first start, the same for every worker)."""
        if not self.secret_key.exists():
            self.secret_key.write_text(secrets.token_urlsafe(32))
            self.secret_key.chmod(0o600)
        return {
            **os.environ,
            "PGPASSFILE": str(self.pgpass),
            "MLFLOW_AUTH_CONFIG_PATH": str(self.auth_config),
            "MLFLOW_FLASK_SERVER_SECRET_KEY": self.secret_key.read_text(),
        }

    def start_database(self) -> None:
        """Make the cluster on first start, start it, and make its two databases."""
        if not (POSTGRES_BIN / "initdb").exists():
            raise ServerError(
                f"PostgreSQL is not installed ({POSTGRES_BIN} is missing): "
                "apt-get install postgresql"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        if not (self.cluster / "PG_VERSION").exists():
            self._make_cluster()
        self._as_postgres_owner(
            "pg_ctl", "-D", str(self.cluster), "-l", str(self.cluster / "postgres.log"), "-w",
            "-o", f"-c listen_addresses=127.0.0.1 -p {self.database_port} -k {self.cluster}",
            "start",
        )  # fmt: skip
        for database in (TRACKING_DATABASE, AUTH_DATABASE):
            self._create_database(database)

    def stop_database(self) -> None:
        if (self.cluster / "postmaster.pid").exists():
            self._as_postgres_owner("pg_ctl", "-D", str(self.cluster), "-m", "fast", "-w", "stop")

    def write_auth_config(self) -> None:
        self.auth_config.write_text(
            "[mlflow]\n"
            f"default_permission = {DEFAULT_PERMISSION}\n"
            f"database_uri = {self.database_uri(AUTH_DATABASE)}\n"
            "admin_username = admin\n"
            "# The admin's password: MLFLOW_AUTH_ADMIN_PASSWORD at the first start.\n"
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
            "# A login checked once a minute per worker, not on every request (PBKDF2 is slow\n"
            "# on purpose): a changed password takes up to a minute to apply.\n"
            "auth_cache_ttl_seconds = 60\n"
        )

    def mlflow_command(self, workers: int = 2) -> list[str]:
        """`mlflow server` on the database, serving the artifacts itself (clients upload
        and download through it: no client-side artifact root), on 127.0.0.1."""
        mlflow = Path(sys.executable).parent / "mlflow"
        hosts = f"127.0.0.1:{self.port},localhost:{self.port}"
        return [
            str(mlflow), "server",
            "--backend-store-uri", self.database_uri(TRACKING_DATABASE),
            "--artifacts-destination", self.artifacts.resolve().as_uri(),
            "--serve-artifacts", "--app-name", "basic-auth",
            "--host", "127.0.0.1", "--port", str(self.port), "--allowed-hosts", hosts,
            "--workers", str(workers),
        ]  # fmt: skip

    def _make_cluster(self) -> None:
        password = secrets.token_urlsafe(24)
        self.pgpass.write_text(f"127.0.0.1:*:*:{DATABASE_USER}:{password}\n")  # any port
        self.pgpass.chmod(0o600)
        self.cluster.mkdir(mode=0o700)
        password_file = self.root / ".initdb-password"
        password_file.write_text(password)
        try:
            _give_to_postgres(self.cluster, password_file)
            self._as_postgres_owner(
                "initdb", "-D", str(self.cluster), "-U", DATABASE_USER,
                "--auth-host=scram-sha-256", "--auth-local=scram-sha-256",
                f"--pwfile={password_file}", "--encoding=UTF8", "--locale=C.UTF-8",
            )  # fmt: skip
        finally:
            password_file.unlink()

    def _create_database(self, name: str) -> None:
        import psycopg2  # noqa: PLC0415

        connection = psycopg2.connect(
            host="127.0.0.1", port=self.database_port, user=DATABASE_USER, dbname="postgres",
            passfile=str(self.pgpass),
        )  # fmt: skip
        connection.autocommit = True  # CREATE DATABASE runs outside a transaction
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()

    def _as_postgres_owner(self, program: str, *args: str) -> None:
        """PostgreSQL's programs refuse to run as root: as root, run them as ``postgres``."""
        command = [str(POSTGRES_BIN / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ServerError(f"{program} failed: {(done.stderr or done.stdout).strip()[-800:]}")


def _give_to_postgres(*paths: Path) -> None:
    """As root, the cluster belongs to the ``postgres`` user (and the folders above it
    must let it through)."""
    if os.geteuid() != 0:
        return
    for path in paths:
        shutil.chown(path, "postgres", "postgres")
    for folder in paths[0].parents:
        if folder == Path("/"):
            break
        folder.chmod(folder.stat().st_mode | 0o001)


def serve(server: TeamServer, workers: int = 2) -> int:
    """Start the database and `mlflow server` on it; stop both when the server ends
    (Ctrl-C, SIGTERM). Returns the server's exit code."""
    if not os.environ.get("MLFLOW_AUTH_ADMIN_PASSWORD") and not server.cluster.exists():
        raise ServerError(
            "set MLFLOW_AUTH_ADMIN_PASSWORD: the first start makes the user `admin` with it"
        )
    try:
        server.start_database()
        server.write_auth_config()
        server.artifacts.mkdir(exist_ok=True)
        process = subprocess.Popen(server.mlflow_command(workers), env=server.environment())
        signal.signal(signal.SIGTERM, lambda *_: process.terminate())
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            return process.wait()
    finally:
        server.stop_database()


def add_user(tracking_uri: str, username: str, password: str) -> None:
    """Make a user of the server (the caller logs in as an admin, with
    MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD)."""
    from mlflow.server import get_app_client  # noqa: PLC0415

    get_app_client("basic-auth", tracking_uri=tracking_uri).create_user(username, password)
