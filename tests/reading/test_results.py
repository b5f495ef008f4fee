"""The typed readings and their export to the served contract."""

import json

import numpy as np

from digit_pipeline.reading.images.sheet import Sheet
from digit_pipeline.reading.results import Digit, Line, Reading


def digit(value: int, confidence: float, box=(0, 0, 5, 8)) -> Digit:
    probabilities = np.full(10, (1 - confidence) / 9, dtype=np.float32)
    probabilities[value] = confidence
    return Digit.of(probabilities, box, np.zeros((28, 28), np.float32))


def test_a_digit_is_its_most_probable_class():
    read = digit(7, 0.9)
    assert read.value == 7 and read.confidence == np.float32(0.9)


def test_a_reading_exports_the_served_contract():
    lines = (Line((digit(4, 0.91234, (1, 2, 3, 4)), digit(2, 0.5))), Line((digit(0, 0.99999),)))
    # A space read before the second number of a line.
    lines = (Line(lines[0].digits, frozenset({1})), lines[1])
    reading = Reading(whole=digit(4, 0.6), lines=lines)
    exported = json.loads(json.dumps(reading.export()))  # plain JSON types only
    assert exported["digit"] == 4 and exported["confidence"] == float(np.float32(0.6))
    assert len(exported["probabilities"]) == 10
    assert exported["digits"] == "42\n0" == reading.digit_string
    assert reading.text == "4 2\n0"
    assert exported["boxes"] == [[1, 2, 3, 4], [0, 0, 5, 8], [0, 0, 5, 8]]
    # Without a sheet, each digit's quadrilateral is its box's corners, clockwise.
    first, other = [[1, 2], [4, 2], [4, 6], [1, 6]], [[0, 0], [5, 0], [5, 8], [0, 8]]
    assert exported["quads"] == [first, other, other]
    assert exported["lines"] == [
        {
            "digits": "42",
            "text": "4 2",
            "numbers": [4, 2],
            "boxes": [[1, 2, 3, 4], [0, 0, 5, 8]],
            "quads": [first, other],
            "confidences": [0.9123, 0.5],
        },
        {
            "digits": "0",
            "text": "0",
            "numbers": [0],
            "boxes": [[0, 0, 5, 8]],
            "quads": [other],
            "confidences": [1.0],
        },  # fmt: skip
    ]
    assert exported["page"] is None and exported["read_as"] == "lines"
    assert [d.value for d in reading.digits] == [4, 2, 0]


def test_an_image_read_as_one_digit_is_its_whole():
    whole = digit(3, 0.8)
    exported = Reading.one_digit(whole).export()
    assert exported["read_as"] == "digit" and exported["digits"] == "3" == str(exported["digit"])
    assert len(exported["lines"]) == 1 and exported["lines"][0]["confidences"] == [0.8]


def test_a_reading_on_a_sheet_gives_its_corners_and_each_digit_s_quadrilateral():
    corners = np.array([[10.0, 20.0], [410.0, 0.0], [430.0, 600.0], [0.0, 580.0]])
    quad = np.array([[50.25, 60.0], [80.0, 58.0], [81.0, 90.0], [51.0, 92.0]])
    probabilities = np.full(10, 0.01, dtype=np.float32)
    probabilities[3] = 0.91
    on_sheet = Digit.of(probabilities, (50, 58, 31, 34), np.zeros((28, 28)), quad)
    sheet = Sheet(corners, (400, 580), np.zeros((580, 400), np.uint8))
    exported = json.loads(json.dumps(Reading(on_sheet, (Line((on_sheet,)),), sheet).export()))
    assert exported["page"] == corners.tolist()
    assert exported["quads"] == [[[50.2, 60.0], [80.0, 58.0], [81.0, 90.0], [51.0, 92.0]]]
    assert exported["boxes"] == [[50, 58, 31, 34]] and exported["digits"] == "3"


def test_a_line_s_numbers_keep_their_leading_zeros_in_its_text():
    values = [0, 7, 3, 0, 5]
    line = Line(tuple(digit(v, 0.9) for v in values), frozenset({2}))
    assert line.digit_string == "07305" and line.text == "07 305"
    assert line.numbers == [7, 305]
