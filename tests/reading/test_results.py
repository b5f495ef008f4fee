"""The typed readings and their export to the served contract."""

import json

import numpy as np

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
    reading = Reading(whole=digit(4, 0.6), lines=lines)
    exported = json.loads(json.dumps(reading.export()))  # plain JSON types only
    assert exported["digit"] == 4 and exported["confidence"] == float(np.float32(0.6))
    assert len(exported["probabilities"]) == 10
    assert exported["digits"] == "42\n0" == reading.text
    assert exported["boxes"] == [[1, 2, 3, 4], [0, 0, 5, 8], [0, 0, 5, 8]]
    assert exported["lines"] == [
        {"digits": "42", "boxes": [[1, 2, 3, 4], [0, 0, 5, 8]], "confidences": [0.9123, 0.5]},
        {"digits": "0", "boxes": [[0, 0, 5, 8]], "confidences": [1.0]},
    ]
    assert [d.value for d in reading.digits] == [4, 2, 0]
