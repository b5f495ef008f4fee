"""The served model's contract as pydantic models: MLflow logs them as the model's
signature (the schema in its UI), checks every request against them before the reader
sees it, and gives ``spark_udf`` their structs.

What a schema cannot say (base64 that decodes, an image that opens, 28x28 values in
0-255, the request's limits) the reader checks itself (``items.parse_request``), and both
answer a bad item with the reader's short message (``pyfunc.DigitClassifier``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from digit_pipeline.reading.items import image_bytes


class DigitRequest(BaseModel):
    """One item of a request: an image file, or a digit already in MNIST's framing.

    Attributes:
        image: An image file (PNG, JPEG, BMP, GIF or WebP): base64 in JSON (a data URL
            too), raw bytes elsewhere (Spark's ``binaryFile`` content).
        pixels: 28 rows of 28 numbers in 0-255, bright ink on a dark background.
        corners: With an image: where the sheet in it is, four points [x, y] in its
            pixels (as a reading's ``page`` gives them), when the sheet found was wrong.
    """

    model_config = ConfigDict(extra="forbid")

    image: bytes | None = None
    pixels: list[list[float]] | None = None
    corners: list[list[float]] | None = None

    @field_validator("image", mode="before")
    @classmethod
    def _image_bytes(cls, value: object) -> bytes | None:
        # base64 is how JSON carries MLflow's binary type.
        return None if value is None else image_bytes(value)

    @model_validator(mode="after")
    def _image_or_pixels(self) -> DigitRequest:
        if (self.image is None) == (self.pixels is None):
            raise ValueError('give exactly one of "image" or "pixels"')
        return self

    def as_item(self) -> dict[str, bytes | list[list[float]]]:
        """The item as the reader parses it (``items.parse_item``)."""
        given = {"image": self.image, "pixels": self.pixels, "corners": self.corners}
        return {key: value for key, value in given.items() if value is not None}


class LineReading(BaseModel):
    """One line of writing, its digits left to right.

    Attributes:
        digits: Its digits, without spaces.
        text: Its numbers separated by one space (where the writer left a gap).
        numbers: Those numbers.
    """

    digits: str
    text: str
    numbers: list[int]
    boxes: list[list[int]]
    quads: list[list[list[float]]]
    confidences: list[float]


class DigitReading(BaseModel):
    """What the reader answers for one item (``results.Reading.export``).

    Attributes:
        read_as: ``"digit"``: the item is one digit, ``digit``; ``"lines"``: writing,
            read in ``lines`` (a sheet is never one digit); null with an ``error``.
        digit, confidence, probabilities: All the item's ink read as one digit.
        digits: Every digit found, in reading order, lines separated by a newline.
        boxes: Each digit's (x, y, width, height) in the image's pixels.
        quads: Each digit's four corners (x, y), clockwise from the top-left.
        lines: The lines of writing, top to bottom.
        page: The sheet's four corners in a photo of one, else null.
        error: Read with ``{"errors": "item"}``: why the item could not be read (then
            ``digit`` and ``confidence`` are null and the lists empty), or empty; else null.
    """

    read_as: str | None = None
    digit: int | None = None
    confidence: float | None = None
    probabilities: list[float]
    digits: str
    boxes: list[list[int]]
    quads: list[list[list[float]]]
    lines: list[LineReading]
    page: list[list[float]] | None = None
    error: str | None = None
