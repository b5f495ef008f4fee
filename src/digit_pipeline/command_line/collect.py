"""Own digits from a photographed sheet written in a known pattern: every digit found is
kept with the label the pattern gives it, or none is when the sheet does not match.

    --rows 0123456789          every line holds these digits, in this order (each line is
                               read as that many digits where it can be)
    --each-line-is 0,1,2,...   line k holds only the k-th digit, as many as it has room for
    --keep-matching            keep the lines that match, report the others
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from digit_pipeline.datasets.own_digits import OwnDigits
from digit_pipeline.reading.images.decode import decode_photo, open_image
from digit_pipeline.reading.items import ImageFile
from digit_pipeline.reading.predictor import Reader


class PatternError(ValueError):
    """The sheet does not match its pattern; the message says which lines are off."""


@dataclass(frozen=True)
class Collected:
    """What a sheet gave: the ids of the samples kept, how many the model read right, and
    why each line left out was (``keep_matching``)."""

    sample_ids: list[str]
    read_right: int
    left_out: tuple[str, ...] = ()


def labels_from_pattern(
    texts: list[str],
    rows: str | None = None,
    each_line_is: list[int] | None = None,
    keep_matching: bool = False,
) -> list[list[int] | None]:
    """The label of every digit found, line by line, as the pattern gives them.

    Args:
        texts: The digits the model read on each line (only their count matters).
        rows: Every line holds these digits, e.g. ``"0123456789"``.
        each_line_is: Line k holds only the digit ``each_line_is[k]``.
        keep_matching: A line of ``rows`` whose count is off gets None, not an error.

    Raises:
        PatternError: Naming each line whose count of digits does not match (with
            ``keep_matching``, when none does), or the number of lines when that is off.
    """
    if (rows is None) == (each_line_is is None):
        raise ValueError("give exactly one pattern: rows or each_line_is")
    if not texts:
        raise PatternError("no lines of digits found")
    if rows is not None:
        off = lines_off(texts, rows)
        if off and (not keep_matching or len(off) == len(texts)):
            raise PatternError(f"the sheet does not match the rows {rows}: {'; '.join(off)}")
        labels = [int(digit) for digit in rows]
        return [labels if len(read) == len(rows) else None for read in texts]
    if len(texts) != len(each_line_is):
        raise PatternError(
            f"the sheet has {len(texts)} lines, the pattern {len(each_line_is)}"
            f" ({','.join(map(str, each_line_is))})"
        )
    return [[digit] * len(read) for digit, read in zip(each_line_is, texts, strict=True)]


def lines_off(texts: list[str], rows: str) -> list[str]:
    """What is wrong with each line of ``texts`` that does not hold as many digits as
    ``rows``."""
    return [
        f"line {number} has {len(read)} digits, not {len(rows)}"
        for number, read in enumerate(texts, start=1)
        if len(read) != len(rows)
    ]


def collect_sheet(
    data: bytes,
    reader: Reader,
    store: OwnDigits,
    *,
    rows: str | None = None,
    each_line_is: list[int] | None = None,
    keep_matching: bool = False,
) -> Collected:
    """Read a sheet, label its digits by the pattern and keep them all (the crop of the
    photograph and the 28x28 the model read), or none; with ``keep_matching``, those of
    the lines that match. With ``rows``, each line is read as that many digits.

    Raises:
        InvalidInput: The file is not a readable image (``digit_pipeline.reading``).
        PatternError: The digits found do not match the pattern: nothing is kept.
    """
    (reading,) = reader.read([ImageFile(data)], len(rows) if rows else None)
    texts = [line.digit_string for line in reading.lines]
    labels = labels_from_pattern(texts, rows, each_line_is, keep_matching)
    # The crops come from the photo as the reader decodes it, within the same limits.
    photo, scale = decode_photo(*open_image(data))
    photo = photo.convert("RGB")
    sample_ids, read_right = [], 0
    left_out = tuple(lines_off(texts, rows)) if rows else ()
    for line, line_labels in zip(reading.lines, labels, strict=True):
        if line_labels is None:
            continue
        for digit, label in zip(line.digits, line_labels, strict=True):
            x, y, width, height = (round(value * scale) for value in digit.box)
            crop = io.BytesIO()
            photo.crop((x, y, x + max(1, width), y + max(1, height))).save(crop, "PNG")
            sample_ids.append(store.add(label, digit.image, crop.getvalue(), "sheet"))
            read_right += digit.value == label
    return Collected(sample_ids, read_right, left_out)
