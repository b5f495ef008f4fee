"""The CNN and how it is trained, both from the `train` parameters."""

import math
import time

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from digit_pipeline.hardware import PRECISIONS
from digit_pipeline.parameters import Augmentation, TrainParameters
from digit_pipeline.reading.images import IMAGE_SIZE, NUM_CLASSES
from digit_pipeline.reading.limits import CNN_BATCH

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
            ``digit_pipeline.hardware.resolve_precision`` for ``auto``), and
            ``augmentation``: ``rotation_degrees``, ``zoom`` and ``shift`` (fractions of
            the image size), each 0 to turn it off.
        for_training: batch normalisation by TensorFlow's fused kernel after the
            convolutions (faster training); ``False``: Keras's own layer throughout, for
            the model that is saved (see ``portable_copy``).

    Returns:
        A compiled Keras model taking (N, 28, 28, 1) float32 and giving (N, 10) float32
        probabilities.
    """
    if params.precision not in PRECISIONS:
        raise ValueError(
            f"precision must be one of {', '.join(PRECISIONS)}, got {params.precision!r}"
            " (resolve auto with digit_pipeline.hardware.resolve_precision)"
        )
    precision = {"dtype": params.precision}
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
    """The model's class probabilities (N, 10) for images (N, 28, 28, 1), ``CNN_BATCH`` at
    a time as the reader reads them."""
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


class RandomStrokeWidth(layers.Layer):
    """Strokes about a pixel thinner on each side (grey erosion with a plus-shaped
    neighbourhood) for a share ``rate`` of the images, as much thicker (dilation) for
    another: pens finer and bolder than MNIST's. Unchanged at inference."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=False):
        if not training:
            return images
        padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]])
        neighbours = [padded[:, 1:-1, 1:-1], padded[:, :-2, 1:-1], padded[:, 2:, 1:-1]]
        neighbours += [padded[:, 1:-1, :-2], padded[:, 1:-1, 2:]]
        thinner, thicker = tf.reduce_min(neighbours, axis=0), tf.reduce_max(neighbours, axis=0)
        draw = keras.random.uniform((tf.shape(images)[0], 1, 1, 1), seed=self.generator)
        return tf.where(draw < self.rate, thinner, tf.where(draw < 2 * self.rate, thicker, images))

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def augmentation_layers(params: Augmentation, seed: int, for_training: bool = True) -> keras.Layer:
    """Random rotation, zoom, shift and stroke width of batches of images, empty space
    filled black.

    Keras layers run in the model's graph on whole batches, the cheapest place for them
    on a CPU (a per-image ``tf.data`` map costs several times more).
    """
    fill = {"fill_mode": "constant", "fill_value": 0.0}
    augmentations = []
    if params.rotation_degrees:
        augmentations.append(
            layers.RandomRotation(params.rotation_degrees / 360, seed=seed, **fill)
        )
    if params.zoom:
        augmentations.append(layers.RandomZoom(params.zoom, seed=seed + 1, **fill))
    if params.shift:
        augmentations.append(
            layers.RandomTranslation(params.shift, params.shift, seed=seed + 2, **fill)
        )
    if params.stroke_width and for_training:  # the saved model stays plain Keras
        augmentations.append(RandomStrokeWidth(params.stroke_width, seed=seed + 3))
    if not augmentations:
        return layers.Identity(name="augmentation")
    return keras.Sequential(augmentations, name="augmentation")


def batches(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    *,
    shuffle_seed: int | None = None,
    mixed_in: tuple[np.ndarray, np.ndarray] | None = None,
    share: float = 0.0,
) -> tf.data.Dataset:
    """The images and labels as a ``tf.data`` pipeline of batches for ``fit``, reshuffled
    every epoch when given a ``shuffle_seed``.

    ``mixed_in`` images and labels (a person's own digits) are drawn at random to make up
    ``share`` of the examples, repeated as often as it takes; an epoch ends with the
    main images.

    tf.data's autotuning is off: with it on (as in the pipeline Keras builds from NumPy
    arrays) each epoch could start only after a wait of up to a minute, at no CPU, for the
    previous epoch's tuned threads to stop. A prefetch of one batch is all that in-memory
    arrays need.
    """
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(labels), seed=shuffle_seed, reshuffle_each_iteration=True)
    if mixed_in is not None and len(mixed_in[1]) and share > 0:
        extra = tf.data.Dataset.from_tensor_slices(mixed_in).shuffle(
            len(mixed_in[1]), seed=shuffle_seed
        )
        dataset = tf.data.Dataset.sample_from_datasets(
            [dataset, extra.repeat()], weights=[1 - share, share], seed=shuffle_seed,
            stop_on_empty_dataset=True,
        )  # fmt: skip
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.batch(batch_size).prefetch(1).with_options(options)


def training_callbacks(params: TrainParameters) -> list[keras.callbacks.Callback]:
    """How training is steered, by the validation split only.

    The learning rate starts at ``learning_rate`` and falls along half a cosine to near
    zero at the last of ``epochs`` (logged as ``learning_rate`` in the history). The
    weights of the epoch with the lowest validation loss are kept. Training stops early
    after ``early_stopping_patience`` epochs without a lower one; ``None`` trains all
    ``epochs`` (under the cosine the validation loss falls most in the last, slow
    epochs, which a stop at a plateau half-way would throw away).
    """
    peak, epochs = params.learning_rate, params.epochs
    patience = params.early_stopping_patience

    def cosine(epoch: int, _current: float) -> float:
        return peak * 0.5 * (1 + math.cos(math.pi * epoch / epochs))

    return [
        keras.callbacks.LearningRateScheduler(cosine),
        keras.callbacks.EarlyStopping(
            monitor="val_loss",
            patience=epochs if patience is None else patience,
            restore_best_weights=True,
        ),
        EpochTimer(),
    ]


class EpochTimer(keras.callbacks.Callback):
    """Adds each epoch's wall seconds to its logs (so to the history): ``epoch_seconds``
    for the whole epoch with its validation, ``first_step_seconds`` for its first
    training step, where a slow start of the epoch would show."""

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._started = time.perf_counter()
        self._first_step = None

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        if self._first_step is None:
            self._first_step = time.perf_counter() - self._started

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if logs is not None:
            logs["epoch_seconds"] = time.perf_counter() - self._started
            logs["first_step_seconds"] = self._first_step or 0.0


def multiply_adds(model: keras.Model) -> int:
    """Multiply-adds of one image's forward pass through the convolutions and dense layers
    (the rest, batch norm, ReLU and the like, is a few per value: negligible beside them).
    A training step costs about three times this per image: forward, and backward to the
    inputs and to the weights."""
    total = 0
    for layer in _all_layers(model):
        if isinstance(layer, layers.Conv2D):
            kernel_height, kernel_width, channels_in, channels_out = layer.kernel.shape
            _, height, width, _ = layer.output.shape
            total += height * width * channels_out * kernel_height * kernel_width * channels_in
        elif isinstance(layer, layers.Dense):
            total += layer.kernel.shape[0] * layer.kernel.shape[1]
    return total


def _all_layers(model: keras.Model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)
        else:
            yield layer
