"""The CNN, built from the `train` parameters, and the copy of it that is saved and served."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from digit_pipeline.parameters import TrainParameters
from digit_pipeline.reading.images import IMAGE_SIZE, NUM_CLASSES
from digit_pipeline.reading.limits import CNN_BATCH
from digit_pipeline.training.augmentation import augmentation_layers
from digit_pipeline.training.hardware import checked_precision

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)
# Batch normalisation's running statistics forget faster than Keras's default (0.99), so
# that they settle within a short run too (the smoke environment trains for ~60 steps).
BATCH_NORM_MOMENTUM = 0.9
DOWNSAMPLING_KERNEL = 5


def build_cnn(params: TrainParameters, for_training: bool = True) -> keras.Model:
    """Build and compile the digit classifier.

    Random rotation, zoom and shift of the input (active in training only: the layers
    pass images through unchanged at inference). Then one block per entry of
    ``conv_blocks``: an unpadded convolution, batch normalisation and ReLU per number of
    filters listed, then a 5x5 convolution with stride 2 (batch norm, ReLU) that halves
    the image (a learned down-sampling) and dropout. Then a dense layer with batch
    normalisation and ReLU, dropout, and a softmax over the ten digits. With the default
    parameters this is the design of Chris Deotte's Kaggle study "How to choose CNN
    Architecture MNIST": 28 -> 26 -> 24 -> 12 -> 10 -> 8 -> 4 pixels.

    Args:
        params: ``conv_blocks`` (list of lists of filters, e.g. ``[[32, 32], [64, 64]]``),
            ``kernel_size``, ``dense_units``, ``dropout`` (rate in [0, 1)),
            ``learning_rate``, ``seed``, ``precision`` (``float32``, ``mixed_bfloat16`` or
            ``mixed_float16``: the layers compute in 16 bits, weights stay float32; see
            ``digit_pipeline.training.hardware.resolve_precision`` for ``auto``), and
            ``augmentation``: ``rotation_degrees``, ``zoom`` and ``shift`` (fractions of
            the image size), each 0 to turn it off.
        for_training: batch normalisation by TensorFlow's fused kernel after the
            convolutions (faster training); ``False``: Keras's own layer throughout, for
            the model that is saved (see ``portable_copy``).

    Returns:
        A compiled Keras model taking (N, 28, 28, 1) float32 and giving (N, 10) float32
        probabilities.
    """
    precision = {"dtype": checked_precision(params.precision)}
    batch_norm = FusedBatchNormalization if for_training else layers.BatchNormalization

    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = augmentation_layers(params.augmentation, seed=params.seed, for_training=for_training)(
        inputs
    )
    for block in params.conv_blocks:
        for filters in block:
            x = conv_bn_relu(x, filters, params.kernel_size, precision, batch_norm)
        x = conv_bn_relu(x, block[-1], DOWNSAMPLING_KERNEL, precision, batch_norm, strides=2)
        x = layers.Dropout(params.dropout, **precision)(x)
    x = layers.Flatten(**precision)(x)
    x = layers.Dense(params.dense_units, use_bias=False, **precision)(x)
    x = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, **precision)(x)
    x = layers.ReLU(**precision)(x)
    x = layers.Dropout(params.dropout, **precision)(x)
    # Probabilities in float32 whatever the precision of the layers before.
    outputs = layers.Dense(
        NUM_CLASSES, activation="softmax", name="probabilities", dtype="float32"
    )(x)

    model = keras.Model(inputs, outputs, name="digit_cnn")
    optimizer = keras.optimizers.Adam(learning_rate=params.learning_rate)
    if params.precision == "mixed_float16":  # float16 gradients underflow unscaled
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def class_probabilities(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """The model's probabilities (N, 10) of each digit, for images (N, 28, 28, 1),
    ``CNN_BATCH`` at a time as the reader reads them."""
    return model.predict(images, batch_size=CNN_BATCH, verbose=0)


def conv_bn_relu(
    x: keras.KerasTensor,
    filters: int,
    kernel_size: int,
    precision: dict,
    batch_norm: type[layers.BatchNormalization],
    *,
    strides: int = 1,
) -> keras.KerasTensor:
    """A convolution, batch normalisation and ReLU; unpadded, or padded when it strides."""
    # No bias: batch normalisation's offset takes its place.
    x = layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same" if strides > 1 else "valid",
        use_bias=False,
        **precision,
    )(x)
    x = batch_norm(momentum=BATCH_NORM_MOMENTUM, **precision)(x)
    return layers.ReLU(**precision)(x)


class FusedBatchNormalization(layers.BatchNormalization):
    """Keras's batch normalisation, computed on image batches by TensorFlow's fused kernel.

    Keras 3 normalises with several separate operations (and casts bfloat16 up to float32
    and back); TensorFlow's fused batch norm does it in one kernel, which shortens a
    training epoch (benchmarks/README.md has the figures). Same weights, same
    configuration, same results (tested against ``keras.layers.BatchNormalization``);
    anything but a 4-D channels-last batch without a mask goes through Keras's own code.
    Used in training only: the saved model has Keras's layer (``portable_copy``).
    """

    def call(self, inputs, training=None, mask=None):
        channels_last = len(inputs.shape) == 4 and self.axis in (-1, 3)
        if mask is not None or not (channels_last and self.center and self.scale):
            return super().call(inputs, training=training, mask=mask)
        if training and self.trainable:
            outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                inputs, self.gamma, self.beta, epsilon=self.epsilon, is_training=True
            )
            # The kernel gives the unbiased batch variance; Keras keeps the biased one.
            count = tf.cast(tf.reduce_prod(tf.shape(inputs)[:3]), variance.dtype)
            variance = variance * (count - 1) / count
            momentum = self.momentum
            self.moving_mean.assign(self.moving_mean * momentum + mean * (1 - momentum))
            self.moving_variance.assign(self.moving_variance * momentum + variance * (1 - momentum))
            return outputs
        outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
            inputs,
            self.gamma,
            self.beta,
            mean=self.moving_mean,
            variance=self.moving_variance,
            epsilon=self.epsilon,
            is_training=False,
        )
        return outputs


def portable_copy(model: keras.Model, params: TrainParameters) -> keras.Model:
    """The trained CNN with Keras's own batch normalisation, in float32, same weights.

    What is saved, logged and served: any Keras 3 loads it, without this package, and
    it computes fast on any CPU (bfloat16 is emulated, slowly, where the CPU lacks it).
    """
    portable = build_cnn(params.model_copy(update={"precision": "float32"}), for_training=False)
    portable.set_weights(model.get_weights())
    return portable
