"""Own digits from a photographed sheet written in a known pattern: every digit found is
kept with the label the pattern gives it, or none is when the sheet does not match.

    --rows 0123456789          every line holds these digits, in this order
    --each-line-is 0,1,2,...   line k holds only the k-th digit, as many as it has room for
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from digit_pipeline.images import prepare_image
from digit_pipeline.inference import DigitReader, digits_read
from digit_pipeline.own_digits import OwnDigits


class PatternError(ValueError):
    """The sheet does not match its pattern; the message says which lines are off."""


@dataclass(frozen=True)
class Collected:
    """What a sheet gave: the ids of the samples kept, and how many the model read right."""

    sample_ids: list[str]
    read_right: int


def labels_from_pattern(
    lines_read: list[str], rows: str | None = None, each_line_is: list[int] | None = None
) -> list[list[int]]:
    """The label of every digit found, line by line, as the pattern gives them.

    Args:
        lines_read: The digits the model read on each line (only their count matters).
        rows: Every line holds these digits, e.g. ``"0123456789"``.
        each_line_is: Line k holds only the digit ``each_line_is[k]``.

    Raises:
        PatternError: Naming each line whose count of digits does not match, or the
            number of lines when that is off.
    """
    if (rows is None) == (each_line_is is None):
        raise ValueError("give exactly one pattern: rows or each_line_is")
    if not lines_read:
        raise PatternError("no lines of digits found")
    if rows is not None:
        off = [
            f"line {number} has {len(read)} digits, not {len(rows)}"
            for number, read in enumerate(lines_read, start=1)
            if len(read) != len(rows)
        ]
        if off:
            raise PatternError(f"the sheet does not match the rows {rows}: {'; '.join(off)}")
        return [[int(digit) for digit in rows] for _ in lines_read]
    if len(lines_read) != len(each_line_is):
        raise PatternError(
            f"the sheet has {len(lines_read)} lines, the pattern {len(each_line_is)}"
            f" ({','.join(map(str, each_line_is))})"
        )
    return [[digit] * len(read) for digit, read in zip(each_line_is, lines_read, strict=True)]


def collect_sheet(
    data: bytes,
    reader: DigitReader,
    store: OwnDigits,
    rows: str | None = None,
    each_line_is: list[int] | None = None,
) -> Collected:
    """Read a sheet, label its digits by the pattern and keep them all (the crop of the
    photograph and the 28x28 the model read), or none.

    Raises:
        ImageError: The file is not a readable image.
        PatternError: The digits found do not match the pattern: nothing is kept.
    """
    item = prepare_image(data)
    (prediction,) = reader.read([item])
    labels = labels_from_pattern(
        [line["digits"] for line in prediction["lines"]], rows, each_line_is
    )
    photo = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    sample_ids, read_right = [], 0
    for line, digits, line_labels in zip(
        prediction["lines"], digits_read(item, prediction), labels, strict=True
    ):
        for box, digit, read, label in zip(
            line["boxes"], digits, line["digits"], line_labels, strict=True
        ):
            x, y, width, height = box
            crop = io.BytesIO()
            photo.crop((x, y, x + width, y + height)).save(crop, "PNG")
            sample_ids.append(store.add(label, np.asarray(digit), crop.getvalue(), "sheet"))
            read_right += int(read) == label
    return Collected(sample_ids, read_right)
