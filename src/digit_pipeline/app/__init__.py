"""The GUI's server: one page to draw or upload digits, and a small JSON API (FastAPI).

    digit-pipeline app [--host 127.0.0.1] [--port 8000] [--model-uri models:/<model>@<alias>]
                       [--allowed-host NAME ...] [--own-digits DIR]

``GET /`` the page (``static/``: no build step, nothing from the internet). One router per
concern: ``model_info`` (``GET /api/model``: which model answers), ``predict``
(``POST /api/predict``: an uploaded image read by the reader, with the 28x28 images the CNN
read) and ``kept_digits`` (``/api/own-digits``: keep, list, look at and forget your digits).

Hardened for a hostile network: requests must name an allowed host, a POST from a page of
another origin is refused (403), an upload is cut off at the reader's limit on a file as
it streams (413), and the reader's gate refuses what it cannot take (503, Retry-After).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from kedro.io.core import DatasetError
from starlette.middleware.trustedhost import TrustedHostMiddleware

from digit_pipeline.app import kept_digits, model_info, predict
from digit_pipeline.datasets.own_digits import OwnDigits
from digit_pipeline.reading.errors import Busy, InvalidInput, ReadingError
from digit_pipeline.reading.predictor import Reader

STATIC_DIR = Path(__file__).parent / "static"
RETRY_AFTER_SECONDS = 2
# The names this server answers to, unless told more (`digit-pipeline app --allowed-host`).
LOCAL_HOSTS = ["127.0.0.1", "localhost"]


def create_app(
    reader: Reader,
    model_description: dict[str, Any],
    own_digits_store: OwnDigits,
    allowed_hosts: list[str] = LOCAL_HOSTS,
) -> FastAPI:
    """The FastAPI application around a reader, keeping own digits in ``own_digits_store``
    and answering requests addressed to ``allowed_hosts`` only (the Host header: against
    DNS rebinding)."""
    app = FastAPI(title="digit-pipeline", docs_url=None, redoc_url=None)  # no CDN assets
    app.state.reader = reader
    app.state.model = model_description
    app.state.own_digits = own_digits_store
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (model_info.router, predict.router, kept_digits.router):
        app.include_router(router)
    app.add_exception_handler(ReadingError, _reading_error)
    app.add_exception_handler(DatasetError, _data_error)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    return app


def _reading_error(_: Request, error: ReadingError) -> JSONResponse:
    """The reader's error as the GUI answers it: 400 with what is wrong with the image,
    503 with Retry-After when busy, 500 when the reader failed."""
    if isinstance(error, InvalidInput):
        return JSONResponse({"detail": error.reason}, status_code=400)
    if isinstance(error, Busy):
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return JSONResponse({"detail": error.message}, status_code=503, headers=headers)
    return JSONResponse({"detail": error.message}, status_code=500)


def _data_error(_: Request, error: DatasetError) -> JSONResponse:
    """Data on disk that cannot be read (a corrupt ``labels.csv``): named, as ``kedro run``
    names it."""
    return JSONResponse({"detail": str(error)}, status_code=500)
