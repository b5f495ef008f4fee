"""How the trained model behaves, as Made-With-ML tests a model: invariance (small changes
that must not change the reading) and refusal (inputs that hold no digit).

The model is the smoke run's champion (one short epoch on 2,000 images, ~90% accurate):
the floors leave room for that. The digits are MNIST training digits the model reads
right, the last 1,000 of the file; the test digits stay for final measurement.
"""

import base64

import mlflow
import numpy as np
import pytest

from digit_pipeline.reading.errors import InvalidInput
from digit_pipeline.reading.images import ImageError, prepare_image
from digit_pipeline.reading.items import ImageFile
from digit_pipeline.reading.predictor import Reader
from digit_pipeline.reading.pyfunc import reader_of
from digit_pipeline.testing.images import encode
from digit_pipeline.testing.project import CHAMPION, tracking_uri
from digit_pipeline.training.perturbations import shift, thicker


@pytest.fixture(scope="module")
def reader(smoke_project) -> Reader:
    mlflow.set_tracking_uri(tracking_uri(smoke_project[0]))
    return reader_of(mlflow.pyfunc.load_model(CHAMPION))


@pytest.fixture(scope="module")
def read_right(reader, mnist_train) -> tuple[np.ndarray, np.ndarray]:
    """Training digits (N, 28, 28) in [0, 1] that the model reads right, and their labels."""
    images = mnist_train[0][-1000:].astype(np.float32) / 255.0
    labels = mnist_train[1][-1000:]
    right = labels_read(reader, images) == labels
    assert right.mean() > 0.5  # a model that learnt something
    return images[right], labels[right]


def labels_read(reader: Reader, images: np.ndarray) -> np.ndarray:
    return reader.recognizer.probabilities(list(images)).argmax(axis=1)


def kept(reader: Reader, images: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(labels_read(reader, images) == labels))


def test_a_one_pixel_shift_keeps_the_label(reader, read_right):
    images, labels = read_right
    assert kept(reader, shift(1)(images), labels) > 0.85


def test_a_two_pixel_shift_mostly_keeps_the_label(reader, read_right):
    images, labels = read_right
    assert kept(reader, shift(2)(images), labels) > 0.7


def test_a_thicker_stroke_mostly_keeps_the_label(reader, read_right):
    images, labels = read_right
    assert kept(reader, thicker(images), labels) > 0.7


def test_an_image_keeps_its_label_wherever_the_digit_sits(reader, read_right):
    """An uploaded image is framed like MNIST first: where the digit was drawn, and how
    large, hardly changes what is read. Each placement is compared with the digit drawn
    in the middle: the box found about the ink can differ by a pixel with the place,
    which flips a few readings of the weak smoke model (not of the full one)."""
    images, labels = read_right[0][:100], read_right[1][:100]
    canvas = np.zeros((100, 140), dtype=np.float32)

    def read_at(top: int, left: int, size: int) -> np.ndarray:
        files = []
        for image in images:
            sheet = canvas.copy()
            grown = np.kron(image, np.ones((size // 28, size // 28)))
            sheet[top : top + size, left : left + size] = grown
            files.append(encode(sheet * 255))
        return np.array(
            [reading.whole.value for reading in reader.read(list(map(ImageFile, files)))]
        )

    in_the_middle = read_at(36, 56, 28)
    assert np.mean(in_the_middle == labels) > 0.8
    for place, (top, left, size) in enumerate([(0, 0, 28), (60, 100, 28), (10, 30, 84)]):
        assert np.mean(read_at(top, left, size) == in_the_middle) > 0.9, f"placement {place}"


@pytest.mark.parametrize("shade", [0, 128, 255])
def test_a_blank_image_is_refused_not_read(reader, shade):
    blank = encode(np.full((64, 64), shade))
    with pytest.raises(ImageError, match="no digit found"):
        prepare_image(blank)
    with pytest.raises(InvalidInput, match=r"inputs\[1\]: no digit found"):
        reader.read_request(
            [{"pixels": [[0] * 28] * 28}, {"image": base64.b64encode(blank).decode()}]
        )
