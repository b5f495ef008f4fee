import numpy as np
import pytest
from matplotlib.figure import Figure

from digit_pipeline.parameters import IngestParameters
from digit_pipeline.pipelines.ingest.nodes import (
    count_classes,
    plot_sample_digits,
    validate_split,
    validate_test_split,
    validate_train_split,
)
from digit_pipeline.testing.project import smoke_parameters


@pytest.fixture
def digits():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), np.tile(
        np.arange(10, dtype=np.uint8), 3
    )


def test_validate_split_accepts_real_mnist(mnist_test):
    images, labels = validate_split(*mnist_test, split="test")
    assert images is mnist_test[0] and labels is mnist_test[1]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda x, y: (x[:-1], y), r"train: 29 images but 30 labels"),
        (
            lambda x, y: (x.astype(np.float32), y),
            r"train: expected uint8 images and labels, got float32",
        ),
        (
            lambda x, y: (x[:, :27], y),
            r"train: expected images of shape \(N, 28, 28\), got \(30, 27, 28\)",
        ),
        (lambda x, y: (x, y.reshape(3, 10)), r"train: expected labels of shape \(N,\)"),
        (
            lambda x, y: (x, np.where(np.arange(30) == 7, 12, y).astype(np.uint8)),
            r"train: 1 labels outside 0-9, first at index 7 \(value 12\)",
        ),
        (lambda x, y: (x[:0], y[:0]), r"train: no records"),
    ],
    ids=["count", "dtype", "image-shape", "label-shape", "label-range", "empty"],
)
def test_validate_split_rejects_bad_data(digits, change, message):
    with pytest.raises(ValueError, match=message):
        validate_split(*change(*digits), split="train")


def test_count_classes_counts_each_digit(mnist_train, mnist_test):
    counts = count_classes(mnist_train[1], mnist_test[1])
    assert counts["digit"].tolist() == list(range(10))
    assert counts["train"].sum() == 60000 and counts["test"].sum() == 10000
    # MNIST's well-known class sizes: 1 is the most common digit, 5 the rarest.
    assert counts.loc[1, "train"] == 6742 and counts.loc[5, "train"] == 5421
    assert counts["train_share"].sum() == pytest.approx(1.0, abs=1e-3)


def test_plot_sample_digits_shows_each_class(digits):
    figure = plot_sample_digits(*digits, smoke_parameters(IngestParameters, samples_per_class=3))
    assert isinstance(figure, Figure)
    titles = [text.get_text() for text in figure.axes[0].texts]  # one caption per digit
    assert len(titles) == 30
    assert titles[:3] == ["0", "0", "0"] and titles[-3:] == ["9", "9", "9"]


@pytest.mark.parametrize(
    "node, split", [(validate_train_split, "train"), (validate_test_split, "test")]
)
def test_each_split_node_names_its_split(digits, node, split):
    images, labels = digits
    assert node(images, labels)[0] is images
    with pytest.raises(ValueError, match=f"^{split}: 29 images but 30 labels"):
        node(images[:-1], labels)
