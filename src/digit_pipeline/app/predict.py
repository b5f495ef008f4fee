"""``POST /api/predict``: an uploaded image read by the reader, with the 28x28 images the
CNN read."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from digit_pipeline.app.uploads import (
    MAX_UPLOAD_BYTES,
    file_bytes,
    read_form,
    refuse_other_origins,
)
from digit_pipeline.reading import contract
from digit_pipeline.reading.items import ImageFile, parse_item
from digit_pipeline.reading.results import Reading


class LineReading(contract.LineReading):
    """One line of writing as the served model answers it, and the 28x28 image the CNN
    read for each digit (PNG data URLs)."""

    images: list[str]


class ReadingAnswer(contract.DigitReading):
    """What ``POST /api/predict`` answers: the served model's answer
    (``Reading.export(images=True)``), with the image it read as one digit, and the sheet
    of paper it read the lines on, rectified (a PNG data URL; null when no sheet was found
    in the photo)."""

    lines: list[LineReading]
    input_image: str
    page_image: str | None


class Error(BaseModel):
    detail: str


UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    # Where the sheet is, as the person dragged its corners: JSON, 4 [x, y].
                    "corners": {"type": "string"},
                },
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

router = APIRouter(tags=["reading"])


@router.post("/api/predict", response_model=ReadingAnswer, responses=ERRORS,
             openapi_extra={"requestBody": UPLOAD_BODY},
             dependencies=[Depends(refuse_other_origins)])  # fmt: skip
async def predict(request: Request) -> dict[str, Any]:
    """Read the digits of an uploaded image file (multipart field ``file``); with
    ``corners`` (JSON: the sheet's four corners [x, y] in the image's pixels, as a person
    dragged them), the sheet is read there."""
    form = await read_form(request, max_files=1)
    if not isinstance(form.get("file"), UploadFile):
        raise HTTPException(status_code=400, detail="expected a multipart form with a field 'file'")
    data = await file_bytes(form, "file")
    image = form_item(data, form.get("corners"))
    (reading,) = await run_in_threadpool(request.app.state.reader.read, [image])
    return answer(reading)


def form_item(data: bytes, corners: Any) -> ImageFile:
    """The upload as the served request's item (``items.parse_item``): the image, with the
    sheet's corners where the form has them (JSON; anything else is refused there, 400)."""
    item: dict[str, Any] = {"image": data}
    if corners is not None:
        try:
            item["corners"] = json.loads(corners)
        except (TypeError, ValueError):
            item["corners"] = corners  # not JSON: not four points
    return parse_item(item)


def answer(reading: Reading) -> dict[str, Any]:
    """The served contract of a reading, with the images the CNN read and the sheet read."""
    return reading.export(images=True)
