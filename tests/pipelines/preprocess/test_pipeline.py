import numpy as np
import pytest

from digit_pipeline.datasets.own_digits import OwnDigits
from digit_pipeline.parameters import PreprocessParameters
from digit_pipeline.pipelines.preprocess.nodes import (
    prepare_test_set,
    select_training_subset,
    split_own_digits_node,
    split_validation,
)
from digit_pipeline.testing.project import smoke_parameters

PARAMS = smoke_parameters(PreprocessParameters)  # 2,000 training images, 10% to validate


def test_select_training_subset_is_stratified_and_seeded(mnist_train):
    images, labels = select_training_subset(*mnist_train, PARAMS)
    assert images.shape == (2000, 28, 28) and labels.shape == (2000,)
    # Stratified: every digit keeps its share of MNIST to within one image.
    expected = np.bincount(mnist_train[1]) / 60000 * 2000
    assert np.all(np.abs(np.bincount(labels) - expected) <= 1)
    again, _ = select_training_subset(*mnist_train, PARAMS)
    np.testing.assert_array_equal(images, again)


def test_select_training_subset_keeps_everything_when_null(mnist_test):
    images, labels = select_training_subset(
        *mnist_test, PARAMS.model_copy(update={"train_subset": None})
    )
    assert images is mnist_test[0] and labels is mnist_test[1]


def test_split_validation_scales_and_stratifies(mnist_test):
    X_train, y_train, X_val, y_val = split_validation(*mnist_test, PARAMS)
    assert X_train.shape == (9000, 28, 28, 1) and X_val.shape == (1000, 28, 28, 1)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    np.testing.assert_allclose(
        np.bincount(y_val) / 1000, np.bincount(mnist_test[1]) / 10000, atol=0.002
    )
    # Nothing is lost or duplicated: the two parts hold exactly the original pixels.
    assert np.sort(np.concatenate([X_train, X_val]).sum(axis=(1, 2, 3))).tolist() == pytest.approx(
        np.sort(mnist_test[0].sum(axis=(1, 2)) / 255.0).tolist(), rel=1e-5
    )


def test_prepare_test_set_scales_without_reordering(mnist_test):
    X_test, y_test = prepare_test_set(*mnist_test)
    assert X_test.shape == (10000, 28, 28, 1)
    np.testing.assert_allclose(X_test[123, :, :, 0] * 255, mnist_test[0][123], atol=1e-4)
    np.testing.assert_array_equal(y_test, mnist_test[1])


def test_prepare_test_set_rejects_wrong_shapes():
    with pytest.raises(
        ValueError, match=r"expected images of shape \(N, 28, 28\), got \(4, 32, 32\)"
    ):
        prepare_test_set(np.zeros((4, 32, 32), dtype=np.uint8), np.zeros(4, dtype=np.uint8))


def test_split_own_digits_node_holds_out_its_share_or_gives_empty_splits(tmp_path, mnist_train):
    store = OwnDigits(tmp_path)
    empty = split_own_digits_node(store.load(), PARAMS)
    assert [part.shape for part in empty] == [(0, 28, 28, 1), (0,), (0, 28, 28, 1), (0,)]
    images, labels = mnist_train
    for image, label in zip(images[:40] / 255.0, labels[:40], strict=True):
        store.add(int(label), image, None, "drawn")
    X_train, y_train, X_test, y_test = split_own_digits_node(store.load(), PARAMS)
    assert X_train.shape == (len(y_train), 28, 28, 1) and X_test.shape == (len(y_test), 28, 28, 1)
    assert len(y_train) + len(y_test) == 40 and 0 < len(y_test) < 25
    assert y_train.dtype == np.int64
