"""The GUI's server: one page to draw or upload digits, and a small JSON API.

    digit-pipeline app [--host 127.0.0.1] [--port 8000] [--model-uri models:/digit-classifier@champion]

``GET /`` the page (``static/``, no build step, nothing from the internet);
``GET /api/model`` which model answers; ``POST /api/predict`` with a multipart field
``file`` answers the served model's fields (``digit, confidence, probabilities, digits,
boxes``) plus ``input_image``, the 28x28 image the CNN read, as a PNG data URL.
The model is loaded once, at start; the preprocessing is the project's one module.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from mlflow import MlflowClient
from PIL import Image
from starlette.datastructures import UploadFile

from digit_pipeline.predict import reader_of
from digit_pipeline.preprocessing import MAX_IMAGE_BYTES, ImageError, prepare_image
from digit_pipeline.serving import DigitReader

STATIC_DIR = Path(__file__).parent / "static"
MAX_UPLOAD_BYTES = MAX_IMAGE_BYTES
# Room for the multipart envelope around the file.
_MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 64 * 1024


def load_model(model_uri: str) -> tuple[DigitReader, dict[str, Any]]:
    """Load a registered model once and describe it: name, version, alias, test accuracy.

    ``models:/name@alias`` is resolved to its version first, so that the description and
    the loaded model are the same version.
    """
    description: dict[str, Any] = {
        "model_uri": model_uri,
        "name": None,
        "version": None,
        "alias": None,
    }
    if model_uri.startswith("models:/"):
        client = MlflowClient()
        name, _, alias = model_uri.removeprefix("models:/").partition("@")
        if alias:
            version = client.get_model_version_by_alias(name, alias)
        else:
            name, _, number = name.partition("/")
            version = client.get_model_version(name, number)
        metrics = client.get_run(version.run_id).data.metrics if version.run_id else {}
        description.update(
            name=name, version=int(version.version), alias=alias or None,
            test_accuracy=metrics.get("test_accuracy"),
        )  # fmt: skip
        model_uri = f"models:/{name}/{version.version}"
    description["max_upload_bytes"] = MAX_UPLOAD_BYTES
    return reader_of(mlflow.pyfunc.load_model(model_uri)), description


def png_data_url(digit: np.ndarray) -> str:
    """A (28, 28) image in [0, 1] as a PNG data URL, bright ink on black as the CNN sees it."""
    buffer = io.BytesIO()
    Image.fromarray((np.clip(digit, 0, 1) * 255).round().astype(np.uint8)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def create_app(reader: DigitReader, model: dict[str, Any]) -> FastAPI:
    """The FastAPI application around a loaded model."""
    app = FastAPI(title="digit-pipeline", docs_url=None, redoc_url=None)  # no CDN assets
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    @app.get("/api/model")
    def describe_model() -> dict[str, Any]:
        return model

    @app.post("/api/predict")
    async def predict(request: Request) -> dict[str, Any]:
        data = await _read_upload(request)
        try:
            item = await run_in_threadpool(prepare_image, data)
        except ImageError as error:
            raise HTTPException(status_code=400, detail=str(error)) from error
        (prediction,) = await run_in_threadpool(reader.read, [item])
        return {**prediction, "input_image": png_data_url(item.digit)}

    return app


async def _read_upload(request: Request) -> bytes:
    """The bytes of the multipart field ``file``, refusing anything over the limit (413)."""
    too_large = HTTPException(
        status_code=413, detail=f"the file is larger than the limit of {MAX_UPLOAD_BYTES} bytes"
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > _MAX_BODY_BYTES:
        raise too_large
    try:
        form = await request.form(max_files=1, max_fields=5)
    except Exception as error:  # malformed multipart bodies raise several kinds of errors
        raise HTTPException(
            status_code=400, detail="expected a multipart form with a field 'file'"
        ) from error
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise HTTPException(status_code=400, detail="expected a multipart form with a field 'file'")
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_large
    return data
