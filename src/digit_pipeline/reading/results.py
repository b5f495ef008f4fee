"""What the reader answers, as a typed tree: a ``Reading`` of an image holds its
``Line``s of writing, each of its ``Digit``s (docTR's Document, Line and Word); ``export``
gives the served JSON contract."""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from digit_pipeline.reading.images.geometry import Box, box_quad
from digit_pipeline.reading.images.sheet import Sheet


@dataclass(frozen=True)
class Digit:
    """One digit read.

    Attributes:
        value: The digit, 0-9.
        confidence: ``value``'s probability.
        probabilities: (10,) the calibrated probability of each digit.
        box: Where it is in the original image.
        framed: Gives ``image``, on first use: a served answer does not send it, and
            framing a line's digits costs as much as reading them.
        quad: (4, 2) its corners (x, y) in the original image, clockwise from the
            top-left as it is read: a quadrilateral on a sheet seen at an angle, else
            ``box``'s corners.
    """

    value: int
    confidence: float
    probabilities: np.ndarray
    box: Box
    framed: Callable[[], np.ndarray] = field(repr=False, compare=False)
    quad: np.ndarray

    @classmethod
    def of(
        cls,
        probabilities: np.ndarray,
        box: Box,
        image: np.ndarray,
        quad: np.ndarray | None = None,
    ) -> Digit:
        value = int(probabilities.argmax())
        if quad is None:
            quad = box_quad(box)
        framed = functools.partial(np.asarray, image)
        return cls(value, float(probabilities[value]), probabilities, box, framed, quad)

    @functools.cached_property
    def image(self) -> np.ndarray:
        """(28, 28) float32 in [0, 1]: what the CNN read, framed like MNIST."""
        return self.framed()

    @property
    def quad_points(self) -> list[list[float]]:
        """``quad`` as JSON has it, to a tenth of a pixel."""
        return _points(self.quad)


@dataclass(frozen=True)
class Line:
    """A line of writing: its digits, left to right, and where the writer left a space
    between numbers (``spaces``: the indexes of the digits that begin a new number)."""

    digits: tuple[Digit, ...]
    spaces: frozenset[int] = frozenset()

    @property
    def digit_string(self) -> str:
        """Its digits, without spaces."""
        return "".join(str(digit.value) for digit in self.digits)

    @property
    def text(self) -> str:
        """Its numbers separated by one space: ``"3 759 15"``."""
        return "".join(
            (" " if index in self.spaces else "") + str(digit.value)
            for index, digit in enumerate(self.digits)
        )

    @property
    def numbers(self) -> list[int]:
        return [int(number) for number in self.text.split()]

    def export(self, images: bool = False) -> dict[str, Any]:
        """``digits``, ``text``, ``numbers``, ``boxes``, ``quads`` and ``confidences``
        (rounded to 4 places); with ``images``, the 28x28 image the CNN read of each digit
        (``images``, PNG data URLs)."""
        exported = {
            "digits": self.digit_string,
            "text": self.text,
            "numbers": self.numbers,
            "boxes": [list(digit.box) for digit in self.digits],
            "quads": [digit.quad_points for digit in self.digits],
            "confidences": [round(digit.confidence, 4) for digit in self.digits],
        }
        if images:
            exported["images"] = [png_data_url(digit.image) for digit in self.digits]
        return exported


@dataclass(frozen=True)
class Reading:
    """An image read: all its ink read as one digit (``whole``), its lines, top to
    bottom, and the sheet of paper they were read on when one was found in a photo
    (``sheet.corners`` in the original image's pixels, ``sheet.image`` the page read).
    ``read_as`` says what the answer is: ``"digit"``, the image is one digit (``whole``,
    its only line's only digit), or ``"lines"``, writing read line by line (none, where
    no digit was found in it)."""

    whole: Digit
    lines: tuple[Line, ...]
    sheet: Sheet | None = None
    read_as: str = "lines"

    @classmethod
    def one_digit(cls, whole: Digit, sheet: Sheet | None = None) -> Reading:
        """An image read as the one digit all its ink is."""
        return cls(whole, (Line((whole,)),), sheet, "digit")

    @property
    def digit_string(self) -> str:
        """Every digit in reading order, lines separated by ``\\n``."""
        return "\n".join(line.digit_string for line in self.lines)

    @property
    def text(self) -> str:
        """Every line's numbers, separated by spaces, lines by ``\\n``."""
        return "\n".join(line.text for line in self.lines)

    @property
    def digits(self) -> list[Digit]:
        return [digit for line in self.lines for digit in line.digits]

    def export(self, images: bool = False) -> dict[str, Any]:
        """The served contract: ``digit``, ``confidence``, ``probabilities`` of the whole
        image read as one digit; ``digits``, ``boxes`` and ``quads`` in reading order;
        ``lines``; ``page``, the sheet's four corners (or null); ``read_as``. With
        ``images`` (the GUI's answer), the images the CNN read: the whole image's
        (``input_image``) and each digit's (each line's ``images``), and the sheet as it
        was read (``page_image``, or null), as PNG data URLs."""
        exported = {
            "read_as": self.read_as,
            "digit": self.whole.value,
            "confidence": self.whole.confidence,
            "probabilities": [float(p) for p in self.whole.probabilities],
            "digits": self.digit_string,
            "boxes": [list(digit.box) for digit in self.digits],
            "quads": [digit.quad_points for digit in self.digits],
            "lines": [line.export(images) for line in self.lines],
            "page": None if self.sheet is None else _points(self.sheet.corners),
        }
        if images:
            exported["input_image"] = png_data_url(self.whole.image)
            exported["page_image"] = (
                None if self.sheet is None else png_data_url(self.sheet.image / 255)
            )
        return exported


def failed(reason: str) -> dict[str, Any]:
    """An item that could not be read, in the served contract's shape: ``error`` says why,
    ``read_as``, ``digit``, ``confidence`` and ``page`` are null, the rest empty."""
    return {"read_as": None, "digit": None, "confidence": None, "probabilities": [],
            "digits": "", "boxes": [], "quads": [], "lines": [], "page": None,
            "error": reason}  # fmt: skip


def answers_of(readings: Mapping[str, Reading], errors: Mapping[str, str]) -> dict[str, dict]:
    """The answer of every file of a batch (``Reader.read_each``): its reading exported, or
    its failure."""
    return {name: reading.export() for name, reading in readings.items()} | {
        name: failed(error) for name, error in errors.items()
    }


def png_data_url(image: np.ndarray) -> str:
    """A grey image in [0, 1] as a PNG data URL: a digit as the CNN sees it, bright ink on
    black; a sheet as it was read."""
    buffer = io.BytesIO()
    Image.fromarray((np.clip(image, 0, 1) * 255).round().astype(np.uint8)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _points(points: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 1), round(float(y), 1)] for x, y in points]
