"""Fixtures shared by the pipelines' tests."""

from pathlib import Path

import pytest

from digit_pipeline.testing.images import write_image_folder


@pytest.fixture
def image_folder(tmp_path, mnist_test) -> Path:
    """A folder to predict of the first MNIST test digits (``write_image_folder``)."""
    return write_image_folder(tmp_path / "to_predict", mnist_test[0])
