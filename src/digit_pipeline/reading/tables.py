"""Answers as tables, the same wherever a table of readings is written (the predict
pipeline's CSV, the Spark pipeline's Parquet, ``digit-pipeline predict``): one row per
image (``readings_table``) or per line of writing (``lines_table``), each taken from the
served answer (``Reading.export``, or ``results.failed`` for a file that cannot be read)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

# One row per image: its file; the whole image read as one digit and that digit's
# confidence (to CONFIDENCE_PLACES); every digit in reading order; why it could not be
# read (empty when it was).
READING_COLUMNS = ["file", "digit", "confidence", "digits", "error"]
CONFIDENCE_PLACES = 4


def reading_row(file: str, answer: Mapping[str, Any]) -> dict[str, Any]:
    """An answer as a row of ``READING_COLUMNS``."""
    confidence = answer["confidence"]
    return {
        "file": file,
        "digit": answer["digit"],
        "confidence": None if confidence is None else round(confidence, CONFIDENCE_PLACES),
        "digits": answer["digits"],
        "error": answer.get("error") or None,
    }


def readings_table(answers: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per file (``reading_row``), sorted by name."""
    rows = [reading_row(file, answers[file]) for file in sorted(answers)]
    return pd.DataFrame(rows, columns=READING_COLUMNS).astype({"digit": "Int64"})


def lines_table(answers: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per line of writing, files sorted by name and lines top to bottom:
    ``file``, ``line`` (from 1), then one cell per number read on it (``number_1``, ...):
    a sheet of handwritten numbers as a spreadsheet takes it."""
    rows = [
        {
            "file": file,
            "line": index,
            **{f"number_{i}": n for i, n in enumerate(line["numbers"], 1)},
        }
        for file in sorted(answers)
        for index, line in enumerate(answers[file]["lines"], 1)
    ]
    widest = max((len(row) - 2 for row in rows), default=0)
    columns = ["file", "line", *(f"number_{i}" for i in range(1, widest + 1))]
    return pd.DataFrame(rows, columns=columns).astype({c: "Int64" for c in columns[2:]})
