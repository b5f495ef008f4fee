"""The one reader: image files or pixel arrays in, typed readings out. The served model,
the GUI, ``digit-pipeline collect`` and ``predict``, and the batch pipeline all call it, so
every caller gets the same preparation, limits, errors and networks.

    reader = Reader(Recognizer(cnn, temperature, line_model))
    (reading,) = reader.read([ImageFile(png_bytes)])
    reading.text, reading.lines[0].digits[0].box, reading.export()
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from digit_pipeline.reading.assemble import lines_read, reading_of_lines
from digit_pipeline.reading.cores import prepared_in_order
from digit_pipeline.reading.errors import ReadingError
from digit_pipeline.reading.gate import Gate
from digit_pipeline.reading.images import PreparedImage
from digit_pipeline.reading.items import (
    ImageFile,
    Item,
    parse_request,
    prepare_file,
    prepare_items,
)
from digit_pipeline.reading.limits import CNN_BATCH, MAX_REQUEST_DIGITS
from digit_pipeline.reading.recognizer import Recognizer
from digit_pipeline.reading.results import Digit, Reading

logger = logging.getLogger(__name__)


class Reader:
    """Prepares images (``digit_pipeline.reading.images``) and reads them with the
    ``recognizer``'s networks: one call of each per request, at most ``MAX_CONCURRENT_READS``
    requests at once (``Gate``)."""

    def __init__(self, recognizer: Recognizer) -> None:
        self.recognizer = recognizer
        self.gate = Gate()

    def read(self, items: Sequence[Item], digits_per_line: int | None = None) -> list[Reading]:
        """Read a request's items, within its limits, in one call of each network; with
        ``digits_per_line``, each line as that many digits where it can be
        (``assemble.lines_read``), as on a sheet written in a pattern.

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
        self, files: Mapping[str, bytes | Callable[[], bytes]], workers: int = 1
    ) -> tuple[dict[str, Reading], dict[str, str]]:
        """Read many image files, as few model calls as the limits allow, each file on its
        own: one that cannot be read is reported, not fatal.

        Args:
            files: File name to its bytes, or to a function returning them (as Kedro's
                PartitionedDataset gives them), or to an ``ImageFile``. Hidden files
                (``.gitkeep``) are ignored.
            workers: Processes preparing the images (``cores.prepared_in_order``; a batch
                gives ``cores.every_core()``), while this one reads what they prepared.

        Returns:
            The reading of each readable file, and what is wrong with each other one.

        Raises:
            Busy: Too many reads at once: the files are prepared and read in one turn of
                the gate, as a request is.
        """
        return self.gate.run(self._read_each, files, workers)

    def _read_each(
        self, files: Mapping[str, bytes | Callable[[], bytes]], workers: int
    ) -> tuple[dict[str, Reading], dict[str, str]]:
        readings, errors = {}, {}
        visible = [name for name in sorted(files) if not PurePosixPath(name).name.startswith(".")]
        contents = (_image_file(files[name]) for name in visible)
        named = zip(
            visible, prepared_in_order(prepare_file, contents, len(visible), workers), strict=True
        )
        # On several cores, a batch is read (on a thread) while the workers prepare the
        # next, in batches of about a CNN call's size, so that they seldom wait.
        limit, overlap = (MAX_REQUEST_DIGITS, 0) if workers <= 1 else (CNN_BATCH, 1)
        with ThreadPoolExecutor(1, "read-batch") as reading:
            being_read = deque()
            for names, batch in _batches(named, errors, limit):
                being_read.append((names, reading.submit(self.recognize, batch)))
                while len(being_read) > overlap:
                    read_names, read = being_read.popleft()
                    readings.update(zip(read_names, read.result(), strict=True))
            for read_names, read in being_read:
                readings.update(zip(read_names, read.result(), strict=True))
        return readings, errors

    def recognize(
        self, prepared: Sequence[PreparedImage], digits_per_line: int | None = None
    ) -> list[Reading]:
        """Readings of prepared images, in two model calls for the request: the line model
        reads every line, its digits, where each is, and where the writer left a space
        between numbers (``line_reader``); the CNN reads each image's ink as one digit.
        One rule decides between them: an image of one line of a few marks that the line
        model reads as one digit or none (a lone digit, drawn or photographed), and a
        ``pixels`` item, is that one digit as the CNN reads it (``assemble.is_one_digit``); a sheet,
        or ink over several lines or many marks, is never one digit. A sheet is read every
        way up, and answered the way up whose digits are surest. With ``digits_per_line``, lines are read as that
        many digits where most of them are (a sheet written in a pattern). Each distinct
        strip and 28x28 is read once (``each_once``)."""
        if not prepared:
            return []
        views = [view for item in prepared for view in (item, *item.turns)]
        lines = [line for view in views for line in view.lines if line.strip is not None]
        # A pixels item or a clean drawing of one digit has no strip: one digit, the CNN's.
        strips = [line.strip.pixels for line in lines]
        steps = dict(
            zip(map(id, lines), each_once(self.recognizer.line_steps, strips), strict=True)
        )
        wholes = [view.whole for view in views]
        probabilities = each_once(self.recognizer.probabilities, wholes)
        answers = []
        for index, view in enumerate(views):
            whole = Digit.of(probabilities[index], view.whole_box, wholes[index])
            answers.append(reading_of_lines(view, whole, lines_read(view, steps, digits_per_line)))
        # A sheet read every way up: the way whose digits are surest.
        chosen, start = [], 0
        for item in prepared:
            ways = answers[start : start + 1 + len(item.turns)]
            start += len(ways)
            chosen.append(max(ways, key=lambda pair: pair[1])[0])
        return chosen

    def _read(self, items: Sequence[Item], digits_per_line: int | None) -> list[Reading]:
        try:
            return self.recognize(prepare_items(items), digits_per_line)
        except ReadingError:
            raise
        except Exception as error:  # a fault of ours: logged here, not shown to the client
            logger.exception("reading a request failed")
            raise ReadingError("the reader failed to read this request") from error


def each_once(read: Callable[[list[np.ndarray]], Sequence], arrays: list[np.ndarray]) -> list:
    """``read``'s answer for each of ``arrays``, reading each distinct array once: the same
    image twice in a request reads the same, as a batch of a different size would not quite
    (oneDNN's kernels differ with it by float rounding)."""
    keys = [(array.shape, array.tobytes()) for array in arrays]
    rows: dict[tuple, int] = {}
    distinct = []
    for key, array in zip(keys, arrays, strict=True):
        if key not in rows:
            rows[key] = len(distinct)
            distinct.append(array)
    answers = read(distinct) if distinct else []
    return [answers[rows[key]] for key in keys]


def _batches(
    named: Iterable[tuple[str, PreparedImage | str]], errors: dict[str, str], limit: int
) -> Iterator[tuple[list[str], list[PreparedImage]]]:
    """Prepared images in batches of at most ``limit`` marks in all (an image of more, in a
    batch of its own), with their names; what cannot be read goes to ``errors``."""
    names, batch = [], []
    for name, item in named:
        if isinstance(item, str):
            errors[name] = item
            continue
        if batch and sum(p.mark_count for p in batch) + item.mark_count > limit:
            yield names, batch
            names, batch = [], []
        names.append(name)
        batch.append(item)
    if batch:
        yield names, batch


def _image_file(content: bytes | Callable[[], bytes] | ImageFile) -> ImageFile:
    if isinstance(content, ImageFile):
        return content
    return ImageFile(content() if callable(content) else content)
