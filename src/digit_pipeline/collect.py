"""Own digits from a photographed sheet written in a known pattern: every digit found is
kept with the label the pattern gives it, or none is when the sheet does not match.

    --rows 0123456789          every line holds these digits, in this order
    --each-line-is 0,1,2,...   line k holds only the k-th digit, as many as it has room for
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps

from digit_pipeline.own_digits import OwnDigits
from digit_pipeline.reading.items import ImageFile
from digit_pipeline.reading.predictor import Reader


class PatternError(ValueError):
    """The sheet does not match its pattern; the message says which lines are off."""


@dataclass(frozen=True)
class Collected:
    """What a sheet gave: the ids of the samples kept, and how many the model read right."""

    sample_ids: list[str]
    read_right: int


def labels_from_pattern(
    texts: list[str], rows: str | None = None, each_line_is: list[int] | None = None
) -> list[list[int]]:
    """The label of every digit found, line by line, as the pattern gives them.

    Args:
        texts: The digits the model read on each line (only their count matters).
        rows: Every line holds these digits, e.g. ``"0123456789"``.
        each_line_is: Line k holds only the digit ``each_line_is[k]``.

    Raises:
        PatternError: Naming each line whose count of digits does not match, or the
            number of lines when that is off.
    """
    if (rows is None) == (each_line_is is None):
        raise ValueError("give exactly one pattern: rows or each_line_is")
    if not texts:
        raise PatternError("no lines of digits found")
    if rows is not None:
        off = [
            f"line {number} has {len(read)} digits, not {len(rows)}"
            for number, read in enumerate(texts, start=1)
            if len(read) != len(rows)
        ]
        if off:
            raise PatternError(f"the sheet does not match the rows {rows}: {'; '.join(off)}")
        return [[int(digit) for digit in rows] for _ in texts]
    if len(texts) != len(each_line_is):
        raise PatternError(
            f"the sheet has {len(texts)} lines, the pattern {len(each_line_is)}"
            f" ({','.join(map(str, each_line_is))})"
        )
    return [[digit] * len(read) for digit, read in zip(each_line_is, texts, strict=True)]


def collect_sheet(
    data: bytes,
    reader: Reader,
    store: OwnDigits,
    rows: str | None = None,
    each_line_is: list[int] | None = None,
) -> Collected:
    """Read a sheet, label its digits by the pattern and keep them all (the crop of the
    photograph and the 28x28 the model read), or none.

    Raises:
        InvalidInput: The file is not a readable image (``digit_pipeline.reading``).
        PatternError: The digits found do not match the pattern: nothing is kept.
    """
    (reading,) = reader.read([ImageFile(data)])
    labels = labels_from_pattern([line.text for line in reading.lines], rows, each_line_is)
    photo = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    sample_ids, read_right = [], 0
    for line, line_labels in zip(reading.lines, labels, strict=True):
        for digit, label in zip(line.digits, line_labels, strict=True):
            x, y, width, height = digit.box
            crop = io.BytesIO()
            photo.crop((x, y, x + width, y + height)).save(crop, "PNG")
            sample_ids.append(store.add(label, digit.image, crop.getvalue(), "sheet"))
            read_right += digit.value == label
    return Collected(sample_ids, read_right)
