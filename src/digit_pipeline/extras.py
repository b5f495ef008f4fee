"""The optional parts of the project (pyproject.toml's extras) and the one line that says
how to install the one a command needs. The core install (``pip install -e .``, what
``make run`` does) runs everything else; nothing of an extra is imported until its command
or pipeline runs."""

from __future__ import annotations

import importlib.util

import click

# Each extra and the modules that tell whether it is installed.
EXTRAS: dict[str, tuple[str, ...]] = {
    "spark": ("pyspark",),  # kedro run --pipelines predict_spark (and Java 17)
    "server": ("psycopg2", "flask_wtf"),  # digit-pipeline server (mlflow[auth]: Flask-WTF)
    "dev": ("kedro_viz", "jupyterlab"),  # kedro viz run, kedro jupyter lab
    "benchmarks": ("skimage", "psutil"),  # benchmarks/page_libraries.py, serve_workers.py
}


class MissingExtra(click.ClickException):
    """A command needs an extra that is not installed: said in one line, with the command
    that installs it (click prints it as ``Error: ...``, with no traceback)."""


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here."""
    return [module for module in EXTRAS[extra] if importlib.util.find_spec(module) is None]


def missing_extra(extra: str, what: str) -> str | None:
    """The line that says ``what`` (a command, a pipeline, a script) needs ``extra`` and how
    to install it; None when it is installed."""
    missing = missing_modules(extra)
    if not missing:
        return None
    return (
        f"{what} needs the {extra} extra ({', '.join(missing)} not installed): "
        f'pip install -e ".[{extra}]"'
    )


def require(extra: str, what: str) -> None:
    """Raises:
    MissingExtra: ``what`` needs ``extra``, which is missing."""
    message = missing_extra(extra, what)
    if message:
        raise MissingExtra(message)
