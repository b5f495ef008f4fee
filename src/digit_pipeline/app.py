"""The GUI's server: one page to draw or upload digits, and a small JSON API.

    digit-pipeline app [--host 127.0.0.1] [--port 8000] [--model-uri models:/<model>@<alias>]
                       [--allowed-host NAME ...]

``GET /`` the page (``static/``, no build step, nothing from the internet);
``GET /api/model`` which model answers; ``POST /api/predict`` with a multipart field
``file`` answers the served model's fields (``digit, confidence, probabilities, digits,
boxes, lines``) plus ``input_image``, the 28x28 image the CNN read, as a PNG data URL, and
each line's ``images``: the 28x28 of each of its digits.
The model is loaded once, at start; images are prepared by the project's one image package.

Your own digits (``own_digits``, kept on this machine only): ``GET /api/own-digits`` the
count of each digit and the samples, newest first; ``POST /api/own-digits`` keeps one
(multipart: ``label``, ``source``, ``digit`` the 28x28 PNG the model read, ``crop`` the
original); ``GET /api/own-digits/{id}/{crop|digit}`` its images; ``DELETE`` forgets it.

Hardened for a hostile network: requests must name an allowed host, a POST from a page
of another origin is refused (403), an upload is cut off at ``MAX_UPLOAD_BYTES`` as it
streams (413), and at most ``MAX_PENDING_UPLOADS`` are in hand at once (503).
"""

from __future__ import annotations

import asyncio
import base64
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from mlflow import MlflowClient
from PIL import Image
from pydantic import BaseModel
from starlette.datastructures import FormData, UploadFile
from starlette.middleware.trustedhost import TrustedHostMiddleware

from digit_pipeline.images import MAX_IMAGE_BYTES, ImageError, prepare_image
from digit_pipeline.inference import DigitReader, digits_read
from digit_pipeline.own_digits import DEFAULT_FOLDER, OwnDigits, read_digit
from digit_pipeline.serving import MAX_CONCURRENT_REQUESTS

STATIC_DIR = Path(__file__).parent / "static"
MAX_UPLOAD_BYTES = MAX_IMAGE_BYTES
# Room for the multipart envelope around the file.
_MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 64 * 1024
# Uploads in hand at once (reading or waiting their turn); more get 503 and Retry-After.
MAX_PENDING_UPLOADS = 16
RETRY_AFTER_SECONDS = 2
# The names this server answers to, unless told more (`digit-pipeline app --allowed-host`).
LOCAL_HOSTS = ["127.0.0.1", "localhost"]


def describe_model(model_uri: str) -> tuple[str, dict[str, Any]]:
    """A registered model's URI pinned to its version, and what the page shows of it:
    name, version, alias, test accuracy, the upload limit.

    ``models:/name@alias`` is resolved to its version, so that the description and the
    model loaded from the pinned URI are the same version.
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
            test_accuracy=metrics.get("test_accuracy"), own_accuracy=metrics.get("own_accuracy"),
            own_count=metrics.get("own_count"),
        )  # fmt: skip
        model_uri = f"models:/{name}/{version.version}"
    description["max_upload_bytes"] = MAX_UPLOAD_BYTES
    return model_uri, description


def png_data_url(digit: np.ndarray) -> str:
    """A (28, 28) image in [0, 1] as a PNG data URL, bright ink on black as the CNN sees it."""
    buffer = io.BytesIO()
    Image.fromarray((np.clip(digit, 0, 1) * 255).round().astype(np.uint8)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


class LineReading(BaseModel):
    """One line of writing: its digits left to right, their boxes and confidences, and the
    28x28 image the CNN read for each (PNG data URLs)."""

    digits: str
    boxes: list[list[int]]
    confidences: list[float]
    images: list[str]


class Reading(BaseModel):
    """What ``POST /api/predict`` answers: the served model's fields, and the image it read."""

    digit: int
    confidence: float
    probabilities: list[float]
    digits: str
    boxes: list[list[int]]
    lines: list[LineReading]
    input_image: str


class Error(BaseModel):
    detail: str


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    },
}
ERRORS = {
    400: {"model": Error, "description": "Not a multipart upload, or not a readable image"},
    403: {"model": Error, "description": "A POST from another origin"},
    413: {"model": Error, "description": f"More than {MAX_UPLOAD_BYTES} bytes"},
    503: {"model": Error, "description": "Too many uploads at once: retry after Retry-After s"},
}


class Readers:
    """Reads uploads on ``MAX_CONCURRENT_REQUESTS`` threads of its own (see ``serving``: a
    few threads bound the memory), with at most ``MAX_PENDING_UPLOADS`` uploads in hand;
    beyond that, HTTP 503 and Retry-After."""

    def __init__(self, reader: DigitReader) -> None:
        self.reader = reader
        self.workers = ThreadPoolExecutor(MAX_CONCURRENT_REQUESTS, "read")
        self.pending = 0  # changed on the event loop's thread only

    async def read(self, request: Request) -> dict[str, Any]:
        """Read the request's upload (``_read_upload``) and the digits in it, or refuse."""
        if self.pending >= MAX_PENDING_UPLOADS:
            raise HTTPException(
                503, "too many uploads at once: try again in a few seconds",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )  # fmt: skip
        self.pending += 1
        try:
            data = await _read_upload(request)
        except BaseException:
            self.pending -= 1
            raise
        # The place is given back when the work ends, even if its client has gone.
        loop = asyncio.get_running_loop()
        work = self.workers.submit(self._read, data)
        work.add_done_callback(lambda _: loop.call_soon_threadsafe(self._release))
        return await asyncio.wrap_future(work)

    def _release(self) -> None:
        self.pending -= 1

    def _read(self, data: bytes) -> dict[str, Any]:
        try:
            item = prepare_image(data)
        except ImageError as error:
            raise HTTPException(status_code=400, detail=str(error)) from error
        (prediction,) = self.reader.read([item])
        for line, digits in zip(prediction["lines"], digits_read(item, prediction), strict=True):
            line["images"] = [png_data_url(digit) for digit in digits]
        return {**prediction, "input_image": png_data_url(item.whole)}


def create_app(
    reader: DigitReader,
    model: dict[str, Any],
    allowed_hosts: list[str] = LOCAL_HOSTS,
    own_digits: OwnDigits | None = None,
) -> FastAPI:
    """The FastAPI application around a loaded model, answering requests addressed to
    ``allowed_hosts`` only (the Host header: against DNS rebinding), keeping own digits in
    ``own_digits`` (by default the project's ``data/01_raw/own_digits``)."""
    own_digits = own_digits or OwnDigits(DEFAULT_FOLDER)
    app = FastAPI(title="digit-pipeline", docs_url=None, redoc_url=None)  # no CDN assets
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    readers = Readers(reader)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    @app.get("/api/model")
    def model_description() -> dict[str, Any]:
        return model

    @app.post("/api/predict", response_model=Reading, responses=ERRORS,
              openapi_extra={"requestBody": UPLOAD_BODY})  # fmt: skip
    async def predict(request: Request) -> dict[str, Any]:
        """Read the digits of an uploaded image file (multipart field ``file``)."""
        _refuse_other_origins(request)
        return await readers.read(request)

    @app.get("/api/own-digits")
    def own_digit_list() -> dict[str, Any]:
        """How many of each digit are kept, and the samples, newest first."""
        table = own_digits.table().iloc[::-1]
        samples = table[["sample_id", "label", "source", "kept_at"]].to_dict("records")
        return {"counts": own_digits.counts(), "samples": samples}

    @app.post("/api/own-digits", status_code=201, responses=ERRORS)
    async def keep_own_digit(request: Request) -> dict[str, Any]:
        """Keep a digit as the person labelled it (multipart: ``label``, ``source``,
        ``digit`` the 28x28 PNG the model read, ``crop`` optional, the original)."""
        _refuse_other_origins(request)
        form = await _read_form(request, max_files=2)
        try:
            digit = read_digit(await _file_bytes(form, "digit"))
            crop = await _file_bytes(form, "crop") if form.get("crop") is not None else None
            label = str(form.get("label", ""))
            if not (len(label) == 1 and label.isdigit()):
                raise ValueError(f"the label must be a digit 0-9, not {label!r}")
            # Off the event loop: a write waits for the disk and the lock, reading goes on.
            sample_id = await asyncio.to_thread(
                own_digits.add, int(label), digit, crop, str(form.get("source", ""))
            )
        except ValueError as error:
            raise HTTPException(status_code=400, detail=str(error)) from error
        return {"sample_id": sample_id, "counts": own_digits.counts()}

    @app.get("/api/own-digits/{sample_id}/{image}")
    def own_digit_image(sample_id: str, image: str) -> Response:
        """A kept sample's ``crop`` (the original) or ``digit`` (the 28x28), as PNG."""
        table = own_digits.table()
        found = table[table["sample_id"] == sample_id]
        if image not in ("crop", "digit") or found.empty or not found.iloc[0][image]:
            raise HTTPException(status_code=404, detail="no such sample or image")
        path = own_digits.folder / found.iloc[0][image]
        if not path.is_file():
            raise HTTPException(status_code=404, detail="the image file is missing")
        return Response(path.read_bytes(), media_type="image/png")

    @app.delete("/api/own-digits/{sample_id}", status_code=204)
    def forget_own_digit(sample_id: str, request: Request) -> Response:
        _refuse_other_origins(request)
        if not own_digits.delete(sample_id):
            raise HTTPException(status_code=404, detail="no such sample")
        return Response(status_code=204)

    return app


def _refuse_other_origins(request: Request) -> None:
    """A browser says where a POST comes from (Origin, Sec-Fetch-Site): only this page's
    own scripts may post. Clients that are not browsers send neither header."""
    origin = request.headers.get("origin")
    if request.headers.get("sec-fetch-site") == "cross-site" or (
        origin is not None and urlsplit(origin).netloc != request.headers.get("host")
    ):
        raise HTTPException(status_code=403, detail="cross-origin requests are refused")


async def _read_upload(request: Request) -> bytes:
    """The bytes of the multipart field ``file``."""
    form = await _read_form(request, max_files=1)
    if not isinstance(form.get("file"), UploadFile):
        raise HTTPException(status_code=400, detail="expected a multipart form with a field 'file'")
    return await _file_bytes(form, "file")


async def _read_form(request: Request, max_files: int) -> FormData:
    """The multipart form of a request. The body is read into memory as it comes and
    refused (413) as soon as it passes the limit, declared or not."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > _MAX_BODY_BYTES:
        raise _too_large()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_BODY_BYTES:
            raise _too_large()
    try:
        return await _replay(request, bytes(body)).form(max_files=max_files, max_fields=5)
    except Exception as error:  # malformed multipart bodies raise several kinds of errors
        raise HTTPException(status_code=400, detail="expected a multipart form") from error


async def _file_bytes(form: FormData, field: str) -> bytes:
    upload = form.get(field)
    if not isinstance(upload, UploadFile):
        raise HTTPException(status_code=400, detail=f"expected a file in the field {field!r}")
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_large()
    return data


def _too_large() -> HTTPException:
    return HTTPException(
        status_code=413, detail=f"the file is larger than the limit of {MAX_UPLOAD_BYTES} bytes"
    )


def _replay(request: Request, body: bytes) -> Request:
    """The same request, its body already read: for Starlette's multipart parser."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)
