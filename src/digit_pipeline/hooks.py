"""Kedro hooks of the project: what a run records in MLflow beyond its nodes' outputs."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import mlflow
import numpy as np
import requests
from kedro.framework.hooks import hook_impl
from kedro.io import AbstractDataset

from digit_pipeline.extras import require

if TYPE_CHECKING:  # kedro.framework.context would set up Kedro's logging on import
    from kedro.framework.context import KedroContext
    from kedro.io import DataCatalog
    from kedro.pipeline import Node, Pipeline
    from pyspark.sql import SparkSession

logger = logging.getLogger(__name__)


class TrackingServerError(click.ClickException):
    """The tracking server refused the login, or does not answer: said in one line
    (``kedro run`` prints it without a traceback)."""


class TrackingLoginHook:
    """Before anything else (kedro-mlflow's own hook included), a tracking server named by
    MLFLOW_TRACKING_URI is asked once whether it answers and takes the login of
    MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD."""

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: KedroContext) -> None:
        uri = os.environ.get("MLFLOW_TRACKING_URI", "")
        if uri.startswith(("http://", "https://")):
            check_login(uri)


def check_login(uri: str) -> None:
    """Raises:
    TrackingServerError: The server at ``uri`` answers 401 or 403, or not at all."""
    login = (os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD"))
    try:
        answer = requests.get(
            f"{uri.rstrip('/')}/api/2.0/mlflow/experiments/search",
            params={"max_results": 1}, auth=login if all(login) else None, timeout=30,
        )  # fmt: skip
    except requests.RequestException as error:
        raise TrackingServerError(f"the tracking server {uri} does not answer: {error}") from None
    if answer.status_code in (401, 403):
        who = f"user {login[0]!r}" if login[0] else "no login"
        raise TrackingServerError(
            f"the tracking server {uri} refused {who} (HTTP {answer.status_code}): set "
            "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD to your login"
        )


class NodeTimingHook:
    """Where a run's time goes: each node's wall time, logged as the MLflow metric
    ``node_seconds.<node name>`` of the run (and to the log)."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        self._started[node.name] = time.perf_counter()

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        seconds = time.perf_counter() - self._started.pop(node.name)
        logger.info("%s took %.1f s", node.name, seconds)
        if mlflow.active_run():
            mlflow.log_metric(f"node_seconds.{node.name}", seconds)


class RunNameHook:
    """Names the MLflow run that kedro-mlflow opened after what it runs (``run_name``),
    so that a list of runs in the MLflow UI can be told apart."""

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        if not mlflow.active_run():
            return
        seed = None
        if "params:train" in pipeline.inputs():
            seed = catalog.load("params:train").get("seed")
        name = run_name(
            run_params.get("pipeline_names"),
            run_params.get("env"),
            run_params.get("runtime_params") or {},
            seed,
        )
        mlflow.set_tag("mlflow.runName", name)


def run_name(
    pipelines: list[str] | None,
    env: str | None,
    runtime_params: dict[str, Any],
    seed: int | None = None,
) -> str:
    """``default · seed 42``, ``default · smoke · train.epochs=2``, ``predict``: the
    pipelines, the environment unless it is ``local``, the seed of a run that trains
    (unless a parameter given sets it) and the parameters given on the command line.

    >>> run_name(["__default__"], "local", {"train": {"dropout": 0.3}}, seed=42)
    'default · seed 42 · train.dropout=0.3'
    """
    given = dict(_flattened(runtime_params))
    parts = [" + ".join(name.strip("_") for name in pipelines or ["__default__"])]
    if env and env != "local":
        parts.append(env)
    if seed is not None and not any(key.endswith("seed") for key in given):
        parts.append(f"seed {seed}")
    parts += [f"{key}={value}" for key, value in sorted(given.items())]
    return " · ".join(parts)


def _flattened(params: dict[str, Any], prefix: str = ""):
    """``("train.dropout", 0.3)`` for ``{"train": {"dropout": 0.3}}`` (Kedro nests the
    runtime parameters given as ``train.dropout=0.3``)."""
    for key, value in params.items():
        if isinstance(value, dict):
            yield from _flattened(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


# The splits that a run trains, validates and is tested on, as the catalog names them.
SPLIT = re.compile(r"X_(?P<split>train|val|test|own_train|own_test)")
SPLIT_INPUTS = {
    "train": ("mnist-train", "training"),
    "val": ("mnist-validation", "validation"),
    "test": ("mnist-test", "test"),
    "own_train": ("own-digits-train", "training"),
    "own_test": ("own-digits-held-out", "own"),
}


class DatasetLineageHook:
    """Logs every data split a run's nodes read (``X_train``, ``X_val``, ``X_test``,
    ``X_own_train``, ``X_own_test``) as an input of its MLflow run
    (``mlflow.log_input``): its name, its records and digest, the context it was used
    in, and the files it was made from with their SHA-256 (the raw files upstream in
    the run's pipeline, else the split's own file)."""

    def __init__(self) -> None:
        self._catalog: DataCatalog | None = None
        self._pipeline: Pipeline | None = None
        self._logged: set[str] = set()

    @hook_impl
    def before_pipeline_run(self, pipeline: Pipeline, catalog: DataCatalog) -> None:
        self._catalog, self._pipeline, self._logged = catalog, pipeline, set()

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str, data: Any) -> None:
        match = SPLIT.fullmatch(dataset_name)
        if not (match and mlflow.active_run()) or dataset_name in self._logged:
            return
        self._logged.add(dataset_name)
        if not isinstance(data, np.ndarray) or not len(data):
            return  # no own digits kept yet
        name, context = SPLIT_INPUTS[match["split"]]
        files = self._source_files(dataset_name)
        with warnings.catch_warnings():  # MLflow registers its local-file source twice
            warnings.simplefilter("ignore", UserWarning)
            dataset = mlflow.data.from_numpy(data, source=files[0][0], name=name)
        tags = {f"source.{Path(path).name}": sha256 or "" for path, sha256 in files}
        mlflow.log_input(dataset, context=context, tags=tags)

    def _source_files(self, dataset_name: str) -> list[tuple[str, str | None]]:
        """(path, pinned SHA-256 or None) of the files the split was made from."""
        names = [dataset_name]
        if dataset_name in self._pipeline.all_outputs():
            upstream = self._pipeline.to_outputs(dataset_name).inputs()
            names = sorted(name for name in upstream if not name.startswith("params:"))
        files = []
        for name in names:
            description = self._catalog.get(name)._describe()
            path = description.get("filepath") or description.get("path")
            if path:
                files.append((str(path), description.get("sha256")))
        return files or [(dataset_name, None)]


class SparkHooks:
    """The Spark batch pipeline's datasets (``conf/<env>/spark/datasets.yml``) and its
    SparkSession (``spark/session.yml``), made only for a run whose pipeline uses one of
    those datasets: before it runs, and before kedro-mlflow opens its run. Every other run
    builds none of them and starts no JVM, so the core install, without PySpark, runs them."""

    def __init__(self) -> None:
        self._context: KedroContext | None = None

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        self._context = context

    @hook_impl(tryfirst=True)
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        datasets = self._context.config_loader["spark_datasets"]
        used = sorted(datasets.keys() & pipeline.datasets())
        if not used:
            return
        names = ",".join(run_params.get("pipeline_names") or ["__default__"])
        require("spark", f"kedro run --pipelines {names}")
        spark_session(self._context.config_loader["spark"])
        for name in used:
            config = _resolved_filepath(datasets[name], self._context.project_path)
            catalog[name] = AbstractDataset.from_config(name, config)


def _resolved_filepath(config: dict[str, Any], project_path: Path) -> dict[str, Any]:
    """A dataset's config with a relative local ``filepath`` made absolute under the
    project, as Kedro makes catalog.yml's (its own helper lives in kedro.framework.context,
    whose import sets up Kedro's logging: not here), for a run started below its root."""
    path = str(config.get("filepath", ""))
    if not path or "://" in path or Path(path).is_absolute():
        return config
    return {**config, "filepath": (project_path / path).as_posix()}


def spark_session(spark_conf: dict[str, Any]) -> SparkSession:
    """The SparkSession of ``spark_conf`` (the keys of ``spark/session.yml``)."""
    from pyspark import SparkConf  # noqa: PLC0415
    from pyspark.sql import SparkSession  # noqa: PLC0415

    # Python workers run this interpreter (the venv's) unless PYSPARK_PYTHON or
    # spark/session.yml's spark.pyspark.python names another.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    conf = SparkConf().setAll((key, str(value)) for key, value in spark_conf.items())
    session = SparkSession.builder.config(conf=conf).getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session
