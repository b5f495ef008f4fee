"""Your own digits in the GUI: keep a digit as you labelled it, look through what is kept,
forget a sample (``digit_pipeline.datasets.own_digits``, on this machine only)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from digit_pipeline.app.predict import ERRORS
from digit_pipeline.app.uploads import file_bytes, read_form, refuse_other_origins
from digit_pipeline.datasets.own_digits import OwnDigits, read_digit

router = APIRouter(prefix="/api/own-digits", tags=["own digits"])


def store(request: Request) -> OwnDigits:
    return request.app.state.own_digits


@router.get("")
def own_digit_list(own_digits: OwnDigits = Depends(store)) -> dict[str, Any]:
    """How many of each digit are kept, the samples, newest first, and where."""
    table = own_digits.table().iloc[::-1]
    samples = table[["sample_id", "label", "source", "kept_at"]].to_dict("records")
    return {"counts": own_digits.counts(), "samples": samples, "folder": str(own_digits.folder)}


@router.post("", status_code=201, responses=ERRORS, dependencies=[Depends(refuse_other_origins)])
async def keep_own_digit(
    request: Request, own_digits: OwnDigits = Depends(store)
) -> dict[str, Any]:
    """Keep a digit as the person labelled it (multipart: ``label``, ``source``,
    ``digit`` the 28x28 PNG the model read, ``crop`` optional, the original)."""
    form = await read_form(request, max_files=2)
    try:
        digit = read_digit(await file_bytes(form, "digit"))
        crop = await file_bytes(form, "crop") if form.get("crop") is not None else None
        label, source = str(form.get("label", "")), str(form.get("source", ""))
        # Off the event loop: a write waits for the disk and the lock, reading goes on.
        sample_id = await asyncio.to_thread(own_digits.add, label, digit, crop, source)
    except ValueError as error:
        raise HTTPException(status_code=400, detail=str(error)) from error
    return {"sample_id": sample_id, "counts": own_digits.counts()}


@router.get("/{sample_id}/{image}")
def own_digit_image(sample_id: str, image: str, own_digits: OwnDigits = Depends(store)) -> Response:
    """A kept sample's ``crop`` (the original) or ``digit`` (the 28x28), as PNG."""
    table = own_digits.table()
    found = table[table["sample_id"] == sample_id]
    if image not in ("crop", "digit") or found.empty or not found.iloc[0][image]:
        raise HTTPException(status_code=404, detail="no such sample or image")
    path = own_digits.folder / found.iloc[0][image]
    if not path.is_file():
        raise HTTPException(status_code=404, detail="the image file is missing")
    return Response(path.read_bytes(), media_type="image/png")


@router.delete("/{sample_id}", status_code=204, dependencies=[Depends(refuse_other_origins)])
def forget_own_digit(sample_id: str, own_digits: OwnDigits = Depends(store)) -> Response:
    """Forget a sample and its images."""
    if not own_digits.delete(sample_id):
        raise HTTPException(status_code=404, detail="no such sample")
    return Response(status_code=204)
