"""The CNN, built from the `train` parameters."""

from typing import Any

import keras
from keras import layers

NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)


def build_cnn(params: dict[str, Any]) -> keras.Model:
    """Build and compile the digit classifier.

    One block per entry of ``conv_filters``: convolution, ReLU, max-pooling. Then
    dropout, a dense ReLU layer, dropout, and a softmax over the ten digits.

    Args:
        params: ``conv_filters`` (list of int), ``kernel_size``, ``dense_units``,
            ``dropout`` (rate in [0, 1)), ``learning_rate``.

    Returns:
        A compiled Keras model taking (N, 28, 28, 1) float32 and giving (N, 10) probabilities.
    """
    if not params["conv_filters"]:
        raise ValueError("conv_filters must list at least one convolution block")
    if not 0 <= params["dropout"] < 1:
        raise ValueError(f"dropout must lie in [0, 1), got {params['dropout']}")

    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = inputs
    for filters in params["conv_filters"]:
        x = layers.Conv2D(filters, params["kernel_size"], padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(params["dropout"])(x)
    x = layers.Dense(params["dense_units"], activation="relu")(x)
    x = layers.Dropout(params["dropout"])(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)

    model = keras.Model(inputs, outputs, name="digit_cnn")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=params["learning_rate"]),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
