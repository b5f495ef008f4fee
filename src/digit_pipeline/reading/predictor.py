"""The one reader: image files or pixel arrays in, typed readings out. The served model,
the GUI, ``digit-pipeline collect`` and ``predict``, and the batch pipeline all call it, so
every caller gets the same preparation, limits, errors and CNN.

    reader = Reader(Recognizer(keras_model, temperature))
    (reading,) = reader.read([ImageFile(png_bytes)])
    reading.text, reading.lines[0].digits[0].box, reading.export()
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from digit_pipeline.reading.errors import InvalidInput, ReadingError
from digit_pipeline.reading.gate import Gate
from digit_pipeline.reading.images import PreparedImage
from digit_pipeline.reading.items import ImageFile, Item, parse_request, prepare_items
from digit_pipeline.reading.limits import MAX_REQUEST_DIGITS
from digit_pipeline.reading.recognizer import Recognizer
from digit_pipeline.reading.results import Digit, Line, Reading

logger = logging.getLogger(__name__)


class Reader:
    """Prepares images (``digit_pipeline.reading.images``) and reads them with the
    ``recognizer``'s CNN: one model call per request, at most ``MAX_CONCURRENT_READS``
    requests at once (``Gate``)."""

    def __init__(self, recognizer: Recognizer) -> None:
        self.recognizer = recognizer
        self.gate = Gate()

    def read(self, items: Sequence[Item], digits_per_line: int | None = None) -> list[Reading]:
        """Read a request's items, within its limits, in one model call; with
        ``digits_per_line``, each line as that many digits where it can be
        (``PreparedLine.reading``), as on a sheet written in a pattern.

        Raises:
            InvalidInput: An item that cannot be read or breaks a limit (the message names
                it); ``Busy``: too many requests at once; ``ReadingError``: the reader
                failed (logged here).
        """
        return self.gate.run(self._read, items, digits_per_line)

    def read_request(self, model_input: Any) -> list[Reading]:
        """``read`` of a served request's items (``items.parse_request``)."""
        return self.read(parse_request(model_input))

    def read_each(
        self, files: Mapping[str, bytes | Callable[[], bytes]]
    ) -> tuple[dict[str, Reading], dict[str, str]]:
        """Read many image files, as few model calls as the limits allow, each file on its
        own: one that cannot be read is reported, not fatal.

        Args:
            files: File name to its bytes, or to a function returning them (as Kedro's
                PartitionedDataset gives them). Hidden files (``.gitkeep``) are ignored.

        Returns:
            The reading of each readable file, and what is wrong with each other one.
        """
        readings, errors = {}, {}
        names, prepared = [], []

        def read_prepared() -> None:
            readings.update(zip(names, self.gate.run(self.recognize, prepared), strict=True))
            names.clear(), prepared.clear()

        for name in sorted(files):
            if PurePosixPath(name).name.startswith("."):
                continue
            content = files[name]
            try:
                (item,) = prepare_items([ImageFile(content() if callable(content) else content)])
            except InvalidInput as error:
                errors[name] = error.reason
                continue
            if sum(p.crop_count for p in prepared) + item.crop_count > MAX_REQUEST_DIGITS:
                read_prepared()
            names.append(name)
            prepared.append(item)
        if prepared:
            read_prepared()
        return readings, errors

    def recognize(
        self, prepared: Sequence[PreparedImage], digits_per_line: int | None = None
    ) -> list[Reading]:
        """Readings of prepared images from one model call that reads each distinct 28x28
        once (a ``pixels`` item, or an image of one digit, is its own only crop). Each
        line's digits are the candidates whose readings are surest, by their
        log-probabilities and their geometry (``PreparedLine.reading``), as many as
        ``digits_per_line`` where it is given."""
        if not prepared:
            return []
        rows: dict[bytes, int] = {}  # a digit's bytes -> its row in the model's batch
        crops = []

        def row_of(crop: np.ndarray) -> int:
            key = crop.tobytes()
            if key not in rows:
                rows[key] = len(crops)
                crops.append(crop)
            return rows[key]

        layout = [
            [
                (row_of(view.whole), [[row_of(crop) for crop in line.crops] for line in view.lines])
                for view in (item, *item.turns)
            ]
            for item in prepared
        ]
        cnn_readings = probabilities, one_digit = self.recognizer.readings(crops)
        # How sure the CNN is that a crop is one digit, and this one.
        log_confidence = np.log(probabilities.max(axis=1) * one_digit + 1e-12)
        answers = []
        for item, views in zip(prepared, layout, strict=True):
            # A sheet read every way up: the way whose digits the CNN is surest of.
            read = [
                _reading(view, rows, cnn_readings, log_confidence, digits_per_line)
                for view, rows in zip((item, *item.turns), views, strict=True)
            ]
            answers.append(max(read, key=lambda pair: pair[1])[0])
        return answers

    def _read(self, items: Sequence[Item], digits_per_line: int | None) -> list[Reading]:
        try:
            return self.recognize(prepare_items(items), digits_per_line)
        except ReadingError:
            raise
        except Exception as error:  # a fault of ours: logged here, not shown to the client
            logger.exception("reading a request failed")
            raise ReadingError("the reader failed to read this request") from error


def _reading(
    item: PreparedImage,
    rows: tuple[int, list[list[int]]],
    cnn_readings: tuple[np.ndarray, np.ndarray],
    log_confidence: np.ndarray,
    digits_per_line: int | None = None,
) -> tuple[Reading, float]:
    """The reading of a prepared image from the CNN's readings of its crops
    (``cnn_readings``: their probabilities and how likely each is one digit; ``rows``: the
    whole's and each line's crops' rows of the batch), and how sure the CNN is of its
    digits: their mean log-probability. With ``digits_per_line``, the lines are read as
    that many where most of them are: a line or two off is a digit cut in two or two
    read as one; all off, the sheet was not written in that pattern."""
    whole_row, line_rows = rows
    probabilities, one_digit = cnn_readings
    scores = [log_confidence[crop_rows].tolist() for crop_rows in line_rows]
    readings = [line.reading(s) for line, s in zip(item.lines, scores, strict=True)]
    matching = sum(len(reading) == digits_per_line for reading in readings)
    if digits_per_line is not None and 2 * matching >= len(readings):
        readings = [
            line.reading(s, digits_per_line) for line, s in zip(item.lines, scores, strict=True)
        ]
    lines, chosen_rows = [], []
    for line, crop_rows, chosen in zip(item.lines, line_rows, readings, strict=True):
        quads = line.quads or [None] * len(line.boxes)
        digits = tuple(
            Digit.of(
                probabilities[crop_rows[i]],
                line.boxes[i],
                line.crops[i],
                quads[i],
                one_digit[crop_rows[i]],
            )
            for i in chosen
        )
        lines.append(Line(digits))
        chosen_rows.extend(crop_rows[i] for i in chosen)
    whole = Digit.of(probabilities[whole_row], item.whole_box, item.whole)
    sureness = float(log_confidence[chosen_rows].mean()) if chosen_rows else -np.inf
    return Reading(whole, tuple(lines), item.sheet), sureness
