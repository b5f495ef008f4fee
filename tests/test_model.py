import keras
import numpy as np

from digit_pipeline.model import build_cnn

SEED_DESIGN = {
    "conv_filters": [32, 64],
    "kernel_size": 3,
    "dense_units": 128,
    "dropout": 0.4,
    "learning_rate": 0.001,
}


def test_build_cnn_follows_the_parameters():
    model = build_cnn(SEED_DESIGN)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 2 and kinds.count("MaxPooling2D") == 2
    assert [layer.filters for layer in model.layers if isinstance(layer, keras.layers.Conv2D)] == [
        32,
        64,
    ]
    assert model.get_layer("probabilities").activation.__name__ == "softmax"
    probabilities = model(np.zeros((2, 28, 28, 1), dtype=np.float32), training=False).numpy()
    assert probabilities.shape == (2, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
