"""Kedro hooks of the project."""

import logging
import time

import mlflow
from kedro.framework.hooks import hook_impl
from kedro.pipeline import Node

logger = logging.getLogger(__name__)


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
