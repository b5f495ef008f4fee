"""Tables of readings, and the one failure form, both taken from the served answer."""

import numpy as np
import pandas as pd

from digit_pipeline.reading.contract import DigitReading
from digit_pipeline.reading.results import Digit, Line, Reading, answers_of, failed
from digit_pipeline.reading.tables import READING_COLUMNS, lines_table, readings_table


def reading(*numbers: str, confidence: float = 0.987654) -> Reading:
    def digit(value: int) -> Digit:
        probabilities = np.full(10, (1 - confidence) / 9)
        probabilities[value] = confidence
        return Digit.of(probabilities, (0, 0, 5, 8), np.zeros((28, 28), np.float32))

    digits = [digit(int(d)) for number in numbers for d in number]
    starts = np.cumsum([0, *map(len, numbers)])[1:-1]
    return Reading(digit(int(numbers[0][0])), (Line(tuple(digits), frozenset(starts.tolist())),))


def test_a_failure_has_the_answers_shape_and_says_why():
    answer = failed("not an image")
    assert set(answer) == {*reading("7").export(), "error"}
    assert DigitReading.model_validate(answer).error == "not an image"


def test_a_table_has_a_row_per_file_read_or_not_with_the_answers_rounding():
    answers = {"b.png": reading("3", "759").export(), "a.txt": failed("not an image")}
    table = readings_table(answers)
    assert table.columns.tolist() == READING_COLUMNS
    assert table["file"].tolist() == ["a.txt", "b.png"]
    assert table.loc[1, ["digit", "confidence", "digits"]].tolist() == [3, 0.9877, "3759"]
    assert pd.isna(table.loc[1, "error"]) and table.loc[0, "error"] == "not an image"
    assert pd.isna(table.loc[0, "digit"]) and pd.isna(table.loc[0, "confidence"])


def test_a_line_is_a_row_of_its_numbers():
    answers = {"sheet.png": reading("3", "759", "15").export(), "a.txt": failed("not an image")}
    table = lines_table(answers)
    assert table.columns.tolist() == ["file", "line", "number_1", "number_2", "number_3"]
    assert table.iloc[0].tolist() == ["sheet.png", 1, 3, 759, 15]


def test_a_batchs_answers_are_each_reading_exported_or_its_failure():
    read = reading("42")
    answers = answers_of({"b.png": read}, {"a.txt": "not an image"})
    assert answers == {"b.png": read.export(), "a.txt": failed("not an image")}
