import keras
import numpy as np

from digit_pipeline.model import build_cnn, training_callbacks

DEFAULT_DESIGN = {
    "seed": 0,
    "conv_blocks": [[32, 32], [64, 64]],
    "kernel_size": 3,
    "dense_units": 128,
    "dropout": 0.4,
    "learning_rate": 0.001,
    "precision": "mixed_bfloat16",
    "augmentation": {"rotation_degrees": 10, "zoom": 0.1, "shift": 0.1},
}


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
    assert kinds.count("BatchNormalization") == 7  # one per convolution, one for the dense layer
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
    # Moved, turned and zoomed, but still a digit of about the same amount of ink.
    ink_ratio = augmented.sum(axis=(1, 2, 3)) / digits.sum(axis=(1, 2, 3))
    assert (ink_ratio > 0.6).all() and (ink_ratio < 1.5).all()


def test_augmentation_can_be_turned_off():
    off = {"rotation_degrees": 0, "zoom": 0, "shift": 0}
    model = build_cnn(
        {**DEFAULT_DESIGN, "augmentation": off, "conv_blocks": [[8]], "precision": "float32"}
    )
    assert conv_filters(model) == [8, 8]
    kinds = [type(layer).__name__ for layer in model.layers]
    assert "Sequential" not in kinds
    assert model.get_layer(index=2).compute_dtype == "float32"


def test_training_keeps_the_best_epoch_and_stops_early_only_when_asked():
    schedule = {"learning_rate": 0.001, "epochs": 18}
    _, stopping = training_callbacks({**schedule, "early_stopping_patience": 5})
    assert stopping.patience == 5 and stopping.restore_best_weights
    # No patience: never stops before the last epoch, still restores the best one.
    _, stopping = training_callbacks({**schedule, "early_stopping_patience": None})
    assert stopping.patience >= 18 and stopping.restore_best_weights
