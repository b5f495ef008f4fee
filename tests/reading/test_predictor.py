"""The one reader, with a small untrained CNN and a trained line model: every caller's
entry (a request, image files, a served request's items), its errors, and the limits it
keeps."""

import base64

import numpy as np
import pytest

from digit_pipeline.reading import predictor
from digit_pipeline.reading.errors import InvalidInput, ReadingError
from digit_pipeline.reading.images import prepare_image
from digit_pipeline.reading.items import ImageFile, Pixels
from digit_pipeline.reading.predictor import Reader
from digit_pipeline.reading.recognizer import Recognizer
from digit_pipeline.testing.images import encode, enlarge
from digit_pipeline.testing.project import tiny_cnn, tiny_line_model, trained_line_model


class CountingRecognizer(Recognizer):
    """A tiny untrained CNN and a trained line model, counting the calls of each."""

    def __init__(self) -> None:
        super().__init__(tiny_cnn(), 1.0, trained_line_model())
        self.calls: list[int] = []
        self.line_calls: list[int] = []

    def probabilities(self, digits):
        self.calls.append(len(digits))
        return super().probabilities(digits)

    def line_steps(self, strips):
        self.line_calls.append(len(strips))
        return super().line_steps(strips)


@pytest.fixture
def reader() -> Reader:
    return Reader(CountingRecognizer())


def strip(mnist_test, count: int) -> bytes:
    row = np.concatenate([enlarge(d, 56) for d in mnist_test[0][:count]], axis=1)
    return encode(np.pad(255 - row, 20, constant_values=255))


def test_a_request_is_read_in_one_call_of_each_network(reader, mnist_test):
    items = [ImageFile(strip(mnist_test, 3)), Pixels(mnist_test[0][0].astype(float))]
    image, pixels = reader.read(items)
    assert len(reader.recognizer.calls) == 1 and reader.recognizer.line_calls == [1]
    assert image.text == "721"  # MNIST's first test digits
    assert all(digit.image.shape == (28, 28) for digit in image.digits)
    lefts = [digit.box[0] for digit in image.digits]
    assert lefts == sorted(lefts)
    assert pixels.text == str(pixels.whole.value) and pixels.whole.box == (0, 0, 28, 28)


def test_a_served_request_and_its_errors(reader, mnist_test):
    png = base64.b64encode(strip(mnist_test, 2)).decode()
    (reading,) = reader.read_request([{"image": png}])
    assert reading.export()["digits"] == "72"
    with pytest.raises(InvalidInput) as error:
        reader.read_request([{"image": png}, {"image": base64.b64encode(b"text").decode()}])
    assert error.value.item == 1 and error.value.message.startswith("inputs[1]: not an image")


def test_image_files_are_read_each_on_its_own(reader, mnist_test, monkeypatch):
    good = strip(mnist_test, 4)
    files = {"b.png": good, "a.txt": b"not an image", ".gitkeep": b"", "c.png": lambda: good}
    monkeypatch.setattr(predictor, "MAX_REQUEST_DIGITS", 6)  # fewer digits per model call
    readings, errors = reader.read_each(files)
    assert sorted(readings) == ["b.png", "c.png"] and list(errors) == ["a.txt"]
    assert errors["a.txt"].startswith("not an image")
    assert readings["b.png"].text == readings["c.png"].text
    assert len(reader.recognizer.calls) == 2  # one file's marks per call, within the limit


def test_a_fault_of_the_reader_is_a_short_error_and_it_reads_on(reader, mnist_test):
    def broken(_digits):
        raise RuntimeError("a bug deep inside: " + "x" * 10_000)

    reader.recognizer.probabilities = broken
    with pytest.raises(ReadingError) as error:
        reader.read([Pixels(mnist_test[0][0].astype(float))])
    assert error.value.message == "the reader failed to read this request"
    assert error.value.get_http_status_code() == 500
    del reader.recognizer.probabilities
    assert len(reader.read([Pixels(mnist_test[0][0].astype(float))])) == 1


def test_lines_are_read_with_their_numbers_and_boxes(mnist_test):
    reader = Reader(CountingRecognizer())
    items = [ImageFile(strip(mnist_test, 4)), ImageFile(strip(mnist_test, 2)),
             Pixels(mnist_test[0][0].astype(float))]  # fmt: skip
    row, pair, pixels = reader.read(items)
    assert reader.recognizer.line_calls == [2]  # one strip per line; none for the pixels
    assert len(reader.recognizer.calls) == 1
    # The pixels item is one digit, the CNN's.
    assert pixels.digit_string == str(pixels.whole.value) and pixels.whole.box == (0, 0, 28, 28)
    height, width = 56 + 40, 4 * 56 + 40
    for reading in (row, pair):
        for line in reading.lines:
            assert line.text.replace(" ", "") == line.digit_string
            assert line.numbers == [int(number) for number in line.text.split()]
            assert not line.text.startswith(" ") and "  " not in line.text
            for digit in line.digits:
                x, y, w, h = digit.box
                assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
                assert digit.image.shape == (28, 28) and 0 <= digit.confidence <= 1
                assert digit.probabilities.sum() == pytest.approx(1, abs=1e-4)


def test_a_lone_digit_is_the_cnn_s(mnist_test):
    reader = Reader(CountingRecognizer())
    (reading,) = reader.read([ImageFile(strip(mnist_test, 1))])
    # Read as one digit or none by the line model, it is the CNN's whole: never the line
    # model's one digit.
    assert len(reading.digits) >= 2 or reading.digits == [reading.whole]
    assert reading.read_as == ("digit" if reading.digits == [reading.whole] else "lines")
    assert reader.recognizer.line_calls == [1]


def test_ink_over_many_marks_or_lines_is_never_one_digit(mnist_test):
    reader = Reader(CountingRecognizer())
    rows = [np.concatenate([enlarge(d, 56) for d in mnist_test[0][k : k + 4]], axis=1)
            for k in (0, 4)]  # fmt: skip
    two_rows = encode(np.pad(255 - np.concatenate(rows, axis=0), 20, constant_values=255))
    for image in (strip(mnist_test, 8), two_rows):
        (reading,) = reader.read([ImageFile(image)])
        # Whatever the line model reads in it, even nothing: lines.
        assert reading.read_as == "lines" and reading.whole not in reading.digits
        assert reading.export()["read_as"] == "lines"


def test_a_line_reads_the_same_whatever_it_is_read_with(mnist_test):
    recognizer = CountingRecognizer()
    short, long = (prepare_image(strip(mnist_test, n)).lines[0].strip.pixels for n in (3, 9))
    (alone,) = recognizer.line_steps([short])
    # Read beside a longer line: its strip is padded to its own width, not the other's.
    beside, _ = recognizer.line_steps([short, long])
    np.testing.assert_array_equal(beside, alone)


def test_image_files_are_prepared_on_every_core_and_read_the_same(mnist_test):
    reader = Reader(CountingRecognizer())
    files = {f"{k:02d}.png": strip((mnist_test[0][k:],), 2 + k % 4) for k in range(10)}
    files["bad.png"] = b"not an image"
    one, errors = reader.read_each(files)
    several, several_errors = reader.read_each(files, workers=2)
    assert {k: r.export() for k, r in several.items()} == {k: r.export() for k, r in one.items()}
    assert several_errors == errors and list(errors) == ["bad.png"] and len(one) == 10


def test_a_warmed_up_recognizer_traces_no_network_again():
    """Keras traces a predict function again for a new shape until it keeps one for any:
    after ``warm_up`` (as the served model is once loaded), a request's first lines and
    batch of another size cost no tracing (0.5-1 CPU s each on an AVX2 CPU)."""
    recognizer = Recognizer(tiny_cnn(), 1.0, tiny_line_model())
    recognizer.warm_up()

    def traces() -> tuple[int, int]:
        return tuple(
            network.predict_function.experimental_get_tracing_count()
            for network in (recognizer.model, recognizer.line_model)
        )

    warm = traces()
    recognizer.line_steps([np.zeros((28, 480), np.float32)] * 3)
    recognizer.probabilities([np.zeros((28, 28), np.float32)] * 5)
    assert traces() == warm
