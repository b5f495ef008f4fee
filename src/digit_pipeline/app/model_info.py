"""Which model answers: the registered version behind the GUI, read from MLflow's
registry, and ``GET /api/model``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from mlflow import MlflowClient
from mlflow.store.artifact.utils.models import get_model_name_and_version

from digit_pipeline.app.uploads import MAX_UPLOAD_BYTES

router = APIRouter(tags=["model"])


def describe_model(model_uri: str) -> tuple[str, dict[str, Any]]:
    """A model's URI pinned to its registered version, and what the page shows of it: name,
    version, aliases, test and own accuracy, the upload limit.

    ``models:/name@alias`` is resolved once, so that the description and the model loaded
    from the pinned URI are the same version. Another URI (a run's, a folder) is described
    by itself.
    """
    description: dict[str, Any] = {"model_uri": model_uri, "name": None, "version": None}
    description.update(alias=None, max_upload_bytes=MAX_UPLOAD_BYTES)
    if urlsplit(model_uri).scheme != "models":
        return model_uri, description
    client = MlflowClient()
    registered = get_model_name_and_version(client, model_uri)
    if len(registered) == 1:  # models:/m-<id>: a logged model, no registered version
        return model_uri, description
    version = client.get_model_version(*registered)
    metrics = client.get_run(version.run_id).data.metrics if version.run_id else {}
    description.update(
        name=version.name,
        version=int(version.version),
        alias=version.aliases[0] if version.aliases else None,
        test_accuracy=metrics.get("test_accuracy"),
        own_accuracy=metrics.get("own_accuracy"),
        own_count=metrics.get("own_count"),
    )
    return f"models:/{version.name}/{version.version}", description


@router.get("/api/model")
def model_description(request: Request) -> dict[str, Any]:
    """The registered model that answers, as ``describe_model`` gives it."""
    return request.app.state.model
