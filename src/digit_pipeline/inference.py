"""Reading digits: framed images in, predictions in the served contract out. The one
inference core of the project: the served model (``serving``), the GUI, the command line
and the batch pipeline all read through ``DigitReader``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any

import keras
import numpy as np
import pandas as pd

from digit_pipeline.calibration import scale_temperature
from digit_pipeline.images import ImageError, PreparedImage, prepare_image

# The CNN reads at most this many digits per call: bounded memory, and the fastest split.
CNN_BATCH = 1_000
PREDICTION_COLUMNS = ["file", "digit", "confidence", "digits"]


class DigitReader:
    """Reads framed digits with the CNN: one model call for a whole request. The
    probabilities are calibrated with the temperature fitted on the validation split."""

    def __init__(self, model: keras.Model, temperature: float = 1.0) -> None:
        self.model = model
        self.temperature = temperature

    def probabilities(self, digits: list[np.ndarray]) -> np.ndarray:
        """(N, 10) probabilities of N framed 28x28 digits, ``CNN_BATCH`` at a time."""
        batch = np.stack(digits)[..., np.newaxis].astype(np.float32)
        # predict_on_batch runs Keras's compiled predict function: ~2 ms for one digit,
        # against ~15 ms for an eager model(batch) call layer by layer.
        chunks = [
            self.model.predict_on_batch(batch[start : start + CNN_BATCH])
            for start in range(0, len(batch), CNN_BATCH)
        ]
        return scale_temperature(np.concatenate(chunks), self.temperature)

    def read(self, inputs: list[PreparedImage]) -> list[dict[str, Any]]:
        """Predictions in the served contract, one per input, from one model call that
        reads each distinct 28x28 once (a ``pixels`` item, or an image of one digit, is
        its own only crop). Each line's digits are the candidates whose readings are
        surest, by their log-probabilities and their geometry (``Line.reading``)."""
        if not inputs:
            return []
        rows: dict[bytes, int] = {}  # a digit's bytes -> its row in the model's batch
        digits = []

        def row_of(digit: np.ndarray) -> int:
            key = digit.tobytes()
            if key not in rows:
                rows[key] = len(digits)
                digits.append(digit)
            return rows[key]

        layout = [
            (row_of(item.whole), [[row_of(crop) for crop in line.crops] for line in item.lines])
            for item in inputs
        ]
        probabilities = self.probabilities(digits)
        confidence = probabilities.max(axis=1)
        predictions = []
        for item, (whole_row, line_rows) in zip(inputs, layout, strict=True):
            whole = probabilities[whole_row]
            digit = int(whole.argmax())
            lines = []
            for line, rows in zip(item.lines, line_rows, strict=True):
                chosen = line.reading(np.log(confidence[rows] + 1e-12).tolist())
                lines.append(
                    {
                        "digits": "".join(
                            str(int(probabilities[rows[i]].argmax())) for i in chosen
                        ),
                        "boxes": [list(line.boxes[i]) for i in chosen],
                        "confidences": [round(float(confidence[rows[i]]), 4) for i in chosen],
                    }
                )
            predictions.append(
                {
                    "digit": digit,
                    "confidence": float(whole[digit]),
                    "probabilities": [float(p) for p in whole],
                    "digits": "\n".join(line["digits"] for line in lines),
                    "boxes": [box for line in lines for box in line["boxes"]],
                    "lines": lines,
                }
            )
        return predictions


def digits_read(item: PreparedImage, prediction: dict[str, Any]) -> list[list[np.ndarray]]:
    """The 28x28 image the CNN read for each digit of a prediction, line by line: the
    crop of the candidate behind each box."""
    digits = []
    for line, read in zip(item.lines, prediction["lines"], strict=True):
        crop_of = dict(zip(map(tuple, line.boxes), line.crops, strict=True))
        digits.append([crop_of[tuple(box)] for box in read["boxes"]])
    return digits


def read_image_files(
    files: Mapping[str, bytes | Callable[[], bytes]], reader: DigitReader
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read every image file with one model call.

    Args:
        files: File name to its bytes, or to a function returning them (as Kedro's
            PartitionedDataset gives them).
        reader: The registered model's reader.

    Returns:
        One row per readable file, sorted by name: ``file, digit, confidence, digits``;
        and, for each file that is not a readable image, what is wrong with it. Hidden
        files (``.gitkeep``) are ignored.
    """
    names, inputs, errors = [], [], {}
    for name in sorted(files):
        if PurePosixPath(name).name.startswith("."):  # .gitkeep and friends
            continue
        content = files[name]
        try:
            inputs.append(prepare_image(content() if callable(content) else content))
            names.append(name)
        except ImageError as error:
            errors[name] = str(error)
    predictions = reader.read(inputs)
    table = pd.DataFrame(
        [
            {
                "file": name,
                "digit": p["digit"],
                "confidence": round(p["confidence"], 4),
                "digits": p["digits"],
            }
            for name, p in zip(names, predictions, strict=True)
        ],
        columns=PREDICTION_COLUMNS,
    )
    return table, errors
