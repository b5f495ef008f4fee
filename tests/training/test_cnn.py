import subprocess
import sys

import keras
import numpy as np
import pytest

from digit_pipeline.parameters import Augmentation, TrainParameters
from digit_pipeline.testing.project import smoke_parameters
from digit_pipeline.training.augmentation import RandomHand, RandomStrokeWidth
from digit_pipeline.training.cnn import FusedBatchNormalization, build_cnn, portable_copy
from digit_pipeline.training.fit import batches, training_callbacks
from digit_pipeline.training.hands import with_everyday_forms

# The network of conf/ (two blocks of 32 and 64 filters), in bfloat16.
DEFAULT_DESIGN = smoke_parameters(TrainParameters, seed=0, precision="mixed_bfloat16")


def design(**changes) -> TrainParameters:
    return DEFAULT_DESIGN.model_copy(update=changes)


def conv_filters(model: keras.Model) -> list[int]:
    return [layer.filters for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def test_build_cnn_follows_the_parameters():
    model = build_cnn(DEFAULT_DESIGN)
    kinds = [type(layer).__name__ for layer in model.layers]
    # Per block: the 3x3 convolutions listed, then a 5x5 one with stride 2, then dropout.
    assert conv_filters(model) == [32, 32, 32, 64, 64, 64]
    strides = [layer.strides for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert strides == [(1, 1), (1, 1), (2, 2)] * 2
    assert kinds.count("Dropout") == 3  # one per block, one after the dense layer
    # Batch norm after every convolution (fused) and after the dense layer.
    assert kinds.count("FusedBatchNormalization") == 6 and kinds.count("BatchNormalization") == 1
    assert model.get_layer(index=-5).input.shape == (None, 4 * 4 * 64)  # 28 -> 24 -> 12 -> 8 -> 4
    assert model.get_layer("probabilities").activation.__name__ == "softmax"
    # bfloat16 inside, float32 weights and probabilities.
    assert model.get_layer(index=2).compute_dtype == "bfloat16"
    assert {weight.dtype for weight in model.weights} == {"float32"}
    probabilities = model(np.zeros((2, 28, 28, 1), dtype=np.float32), training=False).numpy()
    assert probabilities.shape == (2, 10) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_augmentation_moves_digits_in_training_only(mnist_test):
    model = build_cnn(DEFAULT_DESIGN)
    augmentation = model.get_layer("augmentation")
    digits = (mnist_test[0][:16, :, :, np.newaxis] / 255.0).astype(np.float32)
    assert np.array_equal(np.asarray(augmentation(digits, training=False)), digits)
    augmented = np.asarray(augmentation(digits, training=True))
    assert augmented.shape == digits.shape
    changed = np.abs(augmented - digits).reshape(16, -1).mean(axis=1) > 0.01
    assert changed.sum() >= 12
    # Moved, turned, zoomed, thinned or thickened, but still a digit: some ink, not a blot.
    ink_ratio = augmented.sum(axis=(1, 2, 3)) / digits.sum(axis=(1, 2, 3))
    assert (ink_ratio > 0.25).all() and (ink_ratio < 2.5).all()


def test_random_stroke_width_thins_and_thickens_in_training_only(mnist_test):
    digits = (mnist_test[0][:64, :, :, np.newaxis] / 255.0).astype(np.float32)
    layer = RandomStrokeWidth(0.3, seed=0)
    assert np.array_equal(np.asarray(layer(digits, training=False)), digits)
    ink = np.asarray(layer(digits, training=True)).sum(axis=(1, 2, 3)) / digits.sum(axis=(1, 2, 3))
    thinner, thicker = np.sum(ink < 0.8), np.sum(ink > 1.2)
    assert 8 <= thinner <= 32 and 8 <= thicker <= 32 and np.sum(ink == 1) >= 15
    # In the model trained, not in its portable copy (saved as plain Keras).
    trained, portable = (
        build_cnn(design(), for_training).get_layer("augmentation").layers
        for for_training in (True, False)
    )
    assert any(isinstance(layer, RandomStrokeWidth) for layer in trained)
    assert not any(isinstance(layer, RandomStrokeWidth) for layer in portable)


def bar_image(count: int, width: int = 2) -> np.ndarray:
    """``count`` images of a vertical bar 20 pixels tall in the middle of 28x28."""
    images = np.zeros((count, 28, 28, 1), dtype=np.float32)
    images[:, 4:24, 14 - width // 2 : 14 + (width + 1) // 2] = 1.0
    return images


def ink_columns(images: np.ndarray, rows: slice) -> np.ndarray:
    """Each image's mean ink column within ``rows``."""
    ink = images[:, rows, :, 0]
    return (ink * np.arange(28)).sum(axis=(1, 2)) / ink.sum(axis=(1, 2))


def test_random_hand_slants_either_way_within_its_limit():
    warp = RandomHand(slant=0.3, aspect=0.0, elastic=0.0, seed=0)
    bars = bar_image(200)
    assert np.array_equal(np.asarray(warp(bars, training=False)), bars)
    slanted = np.asarray(warp(bars, training=True))
    # The top's ink against the bottom's, over the 16 rows between them.
    lean = (ink_columns(slanted, slice(4, 8)) - ink_columns(slanted, slice(20, 24))) / 16
    assert (lean > 0.15).sum() >= 40 and (lean < -0.15).sum() >= 40
    assert np.abs(lean).max() <= 0.3 + 0.02
    np.testing.assert_allclose(slanted.sum(axis=(1, 2, 3)), bars.sum(axis=(1, 2, 3)), rtol=0.05)


def test_random_hand_makes_digits_broader_and_narrower(mnist_test):
    digits = (mnist_test[0][:200, :, :, np.newaxis] / 255.0).astype(np.float32)
    warped = np.asarray(RandomHand(slant=0, aspect=0.3, elastic=0, seed=1)(digits, training=True))

    def spread(images, axis):  # the ink's standard deviation along an axis, in pixels
        ink = images[..., 0] / images[..., 0].sum(axis=(1, 2), keepdims=True)
        place = np.arange(28).reshape((1, 28, 1) if axis == 0 else (1, 1, 28))
        mean = (ink * place).sum(axis=(1, 2), keepdims=True)
        return np.sqrt((ink * (place - mean) ** 2).sum(axis=(1, 2)))

    wide = spread(digits, 1) > 3  # not thin 1s, which resampling's blur alone widens
    broader = spread(warped[wide], 1) / spread(digits[wide], 1)
    assert (broader > 1.15).sum() >= 30 and (broader < 0.87).sum() >= 30
    assert (broader < 1.35).all() and (broader > 0.7).all()
    np.testing.assert_allclose(spread(warped, 0), spread(digits, 0), rtol=0.05)  # the width alone


def test_elastic_distortion_bends_strokes_but_keeps_the_digit():
    bars = bar_image(100, width=3)
    bent = np.asarray(RandomHand(slant=0, aspect=0, elastic=1.0, seed=2)(bars, training=True))
    # Not a shift: the bar's column varies along its height (a straight bar's does not).
    middles = np.stack([ink_columns(bent, slice(row, row + 2)) for row in range(6, 22, 2)], 1)
    assert (middles.std(axis=1) > 0.3).mean() > 0.5
    assert (np.abs(middles - 14.0).max(axis=1) < 4.5).all()  # bent, not torn apart
    ink_ratio = bent.sum(axis=(1, 2, 3)) / bars.sum(axis=(1, 2, 3))
    assert 0.85 < np.median(ink_ratio) < 1.15  # stretched here, squeezed there
    assert (ink_ratio > 0.5).all() and (ink_ratio < 2).all()


def test_everyday_forms_cross_sevens_and_flag_ones_only(mnist_test):
    images = (mnist_test[0][:300, :, :, np.newaxis] / 255.0).astype(np.float32)
    labels = mnist_test[1][:300]
    rewritten = with_everyday_forms(images, labels, 1.0, np.random.default_rng(0))
    changed = (np.abs(rewritten - images) > 0.01).any(axis=(1, 2, 3))
    assert np.array_equal(changed, np.isin(labels, (1, 7)))
    # A flag and maybe a foot across a 1's stroke: the 1 broader for its height.
    ones, ones_and_sevens = labels == 1, np.isin(labels, (1, 7))

    def breadth(digits):
        ink = digits[..., 0] > 0.3
        rows, columns = ink.any(axis=2), ink.any(axis=1)
        return columns.sum(axis=1) / rows.sum(axis=1)

    assert (breadth(rewritten[ones]) > breadth(images[ones])).mean() > 0.9
    assert np.array_equal(
        with_everyday_forms(images, labels, 0.0, np.random.default_rng(0)), images
    )
    half = with_everyday_forms(images, labels, 0.5, np.random.default_rng(0))
    share = (np.abs(half - images) > 0.01).any(axis=(1, 2, 3)).sum() / ones_and_sevens.sum()
    assert 0.3 < share < 0.7


def test_augmentation_can_be_turned_off():
    off = Augmentation(rotation_degrees=0, zoom=0, shift=0, stroke_width=0)
    model = build_cnn(design(augmentation=off, conv_blocks=[[8]], precision="float32"))
    assert conv_filters(model) == [8, 8]
    kinds = [type(layer).__name__ for layer in model.layers]
    assert "Sequential" not in kinds
    assert model.get_layer(index=2).compute_dtype == "float32"


def test_training_keeps_the_best_epoch_and_stops_early_only_when_asked():
    _, stopping, _ = training_callbacks(design(epochs=18, early_stopping_patience=5))
    assert stopping.patience == 5 and stopping.restore_best_weights
    # No patience: never stops before the last epoch, still restores the best one.
    _, stopping, _ = training_callbacks(design(epochs=18, early_stopping_patience=None))
    assert stopping.patience >= 18 and stopping.restore_best_weights


def test_batches_cover_every_image_once_per_epoch_in_a_new_order():
    images = np.arange(10, dtype="float32").reshape(10, 1, 1, 1)
    labels = np.arange(10)
    dataset = batches(images, labels, 4, shuffle_seed=0)
    epochs = [np.concatenate([y for _, y in dataset.as_numpy_iterator()]) for _ in range(2)]
    assert [len(y) for _, y in dataset.as_numpy_iterator()] == [4, 4, 2]
    for order in epochs:
        assert sorted(order) == list(range(10))
    # Each image stays with its own label.
    assert all((x.ravel() == y).all() for x, y in dataset.as_numpy_iterator())
    assert list(epochs[0]) != list(epochs[1]) != list(range(10))
    # Unshuffled (validation): in order. Autotuning off (its threads stalled epoch starts).
    in_order = batches(images, labels, 4)
    assert list(np.concatenate([y for _, y in in_order.as_numpy_iterator()])) == list(range(10))
    assert in_order.options().autotune.enabled is False


def test_own_digits_make_up_their_share_of_every_epoch():
    images = np.zeros((3000, 1, 1, 1), "float32")  # MNIST's, labelled 0
    own_images = np.ones((12, 1, 1, 1), "float32")  # a person's twelve, labelled 1-9
    own_labels = np.arange(12) % 9 + 1
    dataset = batches(
        images, np.zeros(3000, int), 100, shuffle_seed=0, mixed_in=(own_images, own_labels),
        share=0.1,
    )  # fmt: skip
    for _ in range(2):
        x, y = (np.concatenate(parts) for parts in zip(*dataset.as_numpy_iterator(), strict=True))
        assert (y == 0).sum() == 3000  # every MNIST image once; the epoch ends with them
        assert (y > 0).mean() == pytest.approx(0.1, abs=0.02)  # own digits, repeated
        assert set(y[y > 0]) == set(range(1, 10)) and (x.ravel() == (y > 0)).all()
    # No own digits, or a share of 0: MNIST alone.
    for mixed_in, share in [
        ((own_images[:0], own_labels[:0]), 0.1),
        ((own_images, own_labels), 0.0),
    ]:
        alone = batches(images, np.zeros(3000, int), 100, mixed_in=mixed_in, share=share)
        assert sum(len(y) for _, y in alone.as_numpy_iterator()) == 3000


@pytest.mark.parametrize("dtype", ["float32", "mixed_bfloat16"])
def test_fused_batch_normalization_computes_what_keras_does(dtype):
    rng = np.random.default_rng(0)
    images = rng.normal(2.0, 3.0, size=(16, 6, 6, 4)).astype(np.float32)
    keras_bn = keras.layers.BatchNormalization(momentum=0.9, dtype=dtype)
    fused_bn = FusedBatchNormalization(momentum=0.9, dtype=dtype)
    keras_bn.build(images.shape)
    fused_bn.build(images.shape)
    keras_bn.set_weights([rng.uniform(0.5, 2.0, 4), rng.normal(size=4), np.zeros(4), np.ones(4)])
    fused_bn.set_weights(keras_bn.get_weights())
    tolerance = {"float32": 1e-4, "mixed_bfloat16": 3e-2}[dtype]

    for training in (True, False):  # a training step updates the moving statistics first
        expected = np.asarray(keras_bn(images, training=training), dtype=np.float32)
        got = np.asarray(fused_bn(images, training=training), dtype=np.float32)
        assert got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
        for fused_weight, keras_weight in zip(fused_bn.get_weights(), keras_bn.get_weights()):
            np.testing.assert_allclose(fused_weight, keras_weight, rtol=1e-4, atol=1e-5)
    # The moving statistics moved towards the batch's (mean 2, variance 9).
    assert 0.1 < fused_bn.moving_mean.numpy().mean() < 0.3
    assert 1.5 < fused_bn.moving_variance.numpy().mean() < 2.0


@pytest.mark.parametrize("precision", ["auto", "bfloat16", "float64"])
def test_build_cnn_wants_a_resolved_precision(precision):
    with pytest.raises(ValueError, match=f"precision must be one of .*, got '{precision}'"):
        build_cnn(design(precision=precision))


def test_mixed_float16_scales_the_loss():
    model = build_cnn(design(conv_blocks=[[8]], precision="mixed_float16"))
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.get_layer(index=2).compute_dtype == "float16"
    assert not isinstance(build_cnn(DEFAULT_DESIGN).optimizer, keras.optimizers.LossScaleOptimizer)


def test_the_saved_cnn_is_plain_keras_with_the_trained_weights(tmp_path):
    small = design(conv_blocks=[[8]])
    model = build_cnn(small)
    digits = np.random.default_rng(1).uniform(size=(4, 28, 28, 1)).astype(np.float32)
    model.fit(digits, np.arange(4), epochs=1, verbose=0)  # moving statistics away from 0 and 1
    portable = portable_copy(model, small)
    assert not any(isinstance(layer, FusedBatchNormalization) for layer in portable.layers)
    # Trained in bfloat16, saved to compute in float32: fast where bfloat16 is emulated.
    assert {layer.compute_dtype for layer in portable.layers[1:]} == {"float32"}
    np.testing.assert_allclose(
        portable.predict_on_batch(digits), model.predict_on_batch(digits), atol=2e-2
    )
    # Loads in a Python that has never imported this package.
    portable.save(tmp_path / "cnn.keras")
    np.save(tmp_path / "digits.npy", digits)
    load_and_predict = (
        "import sys, keras, numpy as np; "
        "model = keras.saving.load_model(sys.argv[1]); "
        "np.save(sys.argv[3], model.predict_on_batch(np.load(sys.argv[2]))); "
        "assert 'digit_pipeline' not in sys.modules"
    )
    paths = [str(tmp_path / name) for name in ("cnn.keras", "digits.npy", "predicted.npy")]
    subprocess.run([sys.executable, "-c", load_and_predict, *paths], check=True, cwd=tmp_path)
    np.testing.assert_array_equal(
        np.load(tmp_path / "predicted.npy"), portable.predict_on_batch(digits)
    )
