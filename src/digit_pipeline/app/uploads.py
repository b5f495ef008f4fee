"""What the GUI's server takes from a request: multipart forms within the upload limit,
and only from this page's own scripts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.datastructures import FormData, UploadFile

from digit_pipeline.reading.limits import MAX_IMAGE_BYTES

# An upload is one image file: the reader's limit on a file is the upload's.
MAX_UPLOAD_BYTES = MAX_IMAGE_BYTES
# Room for the multipart envelope around the file.
_MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 64 * 1024


def refuse_other_origins(request: Request) -> None:
    """A browser says where a POST comes from (Origin, Sec-Fetch-Site): only this page's
    own scripts may post (403 otherwise). Clients that are not browsers send neither."""
    origin = request.headers.get("origin")
    if request.headers.get("sec-fetch-site") == "cross-site" or (
        origin is not None and urlsplit(origin).netloc != request.headers.get("host")
    ):
        raise HTTPException(status_code=403, detail="cross-origin requests are refused")


async def read_form(request: Request, max_files: int) -> FormData:
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


async def file_bytes(form: FormData, field: str) -> bytes:
    """The bytes of the file in ``field`` (400 without one, 413 beyond the limit)."""
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
