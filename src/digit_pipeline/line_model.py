"""The line model: a strip of one line of writing in, a CTC reading of it out (the digits
and the spaces between numbers), without cutting it into digits first.

A small CNN over the height-normalised strip (``reading.images.strip``) brings each 4
columns down to one step of features; a bidirectional LSTM reads the steps across the
line; a dense layer gives each step's logits over blank, the ten digits and the space.
Trained with Keras's CTC loss; read by ``reading.line_reader``.
"""

from __future__ import annotations

import itertools

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from digit_pipeline.generators.lines import MAX_DIGITS
from digit_pipeline.hardware import checked_precision
from digit_pipeline.model import FusedBatchNormalization
from digit_pipeline.parameters import TrainLinesParameters
from digit_pipeline.reading.images.strip import STRIP_HEIGHT, batch_of
from digit_pipeline.reading.line_reader import (
    LABELS,
    NUM_LABELS,
    encode,
    read_line,
    read_steps,
    tidy,
)

BATCH_NORM_MOMENTUM = 0.9
TEMPORAL_FILTERS = 128
CLIP_NORM = 1.0
# The longest text a generated line holds: 12 digits and 11 spaces.
MAX_LABEL = 23


def build_line_model(params: TrainLinesParameters, for_training: bool = True) -> keras.Model:
    """The line model, compiled with Keras's CTC loss.

    Args:
        params: ``filters`` per convolution block (3x3, batch norm, ReLU): the first
            block strides by 2, the second pools 2x2, the others pool the height only, so
            that one output step is 4 strip columns; ``temporal_layers`` dilated 1-D
            convolutions across the steps (dilations 1, 2, 4...), or with 0 a
            bidirectional LSTM of ``recurrent_units``; ``dropout``; ``learning_rate``
            (Adam); ``precision`` (resolved: ``float32`` or a mixed policy).
        for_training: TensorFlow's fused batch norm (``model.FusedBatchNormalization``);
            ``False``: Keras's own, for the model that is saved (``portable_line_copy``).

    Returns:
        A model taking (N, 32, W, 1) float32 strips and giving (N, W / 4, NUM_LABELS)
        float32 logits.
    """
    precision = {"dtype": checked_precision(params.precision)}
    batch_norm = FusedBatchNormalization if for_training else layers.BatchNormalization
    inputs = keras.Input(shape=(STRIP_HEIGHT, None, 1), name="strip")
    x = inputs
    for block, count in enumerate(params.filters):
        # The first block strides instead of pooling: full-size maps are costly to compute.
        strides = 2 if block == 0 else 1
        x = layers.Conv2D(count, 3, strides=strides, padding="same", use_bias=False, **precision)(x)
        x = batch_norm(momentum=BATCH_NORM_MOMENTUM, **precision)(x)
        x = layers.ReLU(**precision)(x)
        if block:
            x = layers.MaxPooling2D((2, 2) if block < 2 else (2, 1), **precision)(x)
    rows = STRIP_HEIGHT // 2 ** len(params.filters)
    # (N, rows, steps, channels) -> (N, steps, rows * channels): one feature vector a step.
    x = layers.Permute((2, 1, 3), **precision)(x)
    x = layers.Reshape((-1, rows * params.filters[-1]), **precision)(x)
    x = layers.Dropout(params.dropout, **precision)(x)
    if params.temporal_layers:
        for layer in range(params.temporal_layers):
            x = layers.Conv1D(
                TEMPORAL_FILTERS, 3, padding="same", dilation_rate=2**layer,
                activation="relu", **precision,
            )(x)  # fmt: skip
    else:
        x = layers.Bidirectional(
            layers.LSTM(params.recurrent_units, return_sequences=True, **precision), **precision
        )(x)
    x = layers.Dropout(params.dropout, **precision)(x)
    outputs = layers.Dense(NUM_LABELS, name="logits", dtype="float32")(x)
    model = keras.Model(inputs, outputs, name="line_model")
    # Gradients clipped: one bad batch once blew an LSTM's weights up for good.
    optimizer = keras.optimizers.Adam(params.learning_rate, clipnorm=CLIP_NORM)
    model.compile(optimizer=optimizer, loss=keras.losses.CTC())
    return model


def portable_line_copy(model: keras.Model, params: TrainLinesParameters) -> keras.Model:
    """The trained line model with Keras's own batch normalisation, in float32 (as
    ``model.portable_copy`` is for the CNN): what is saved and served."""
    portable = build_line_model(
        params.model_copy(update={"precision": "float32"}), for_training=False
    )
    portable.set_weights(model.get_weights())
    return portable


def line_batches(maker, batch_size: int, steps: int, seed: int) -> tf.data.Dataset:
    """An epoch of ``steps`` batches of lines made on the fly (``generators.lines``):
    strips padded to the widest of the batch, labels padded with blanks (0). Each batch is
    made from its own seed (the run's, the epoch's and its own), so every epoch writes new
    lines and a run is repeatable. The lines of a batch have one length: strips of like
    widths, little padding to compute."""
    epochs = itertools.count()

    def generate():
        epoch = next(epochs)
        for index in range(steps):
            rng = np.random.default_rng([seed, epoch, index])
            digits = int(rng.integers(1, MAX_DIGITS + 1))
            yield line_batch([maker.line(rng, digits=digits) for _ in range(batch_size)])

    signature = (
        tf.TensorSpec((None, STRIP_HEIGHT, None, 1), tf.float32),
        tf.TensorSpec((None, MAX_LABEL), tf.int32),
    )
    options = tf.data.Options()
    options.autotune.enabled = False
    return (
        tf.data.Dataset.from_generator(generate, output_signature=signature)
        .apply(tf.data.experimental.assert_cardinality(steps))
        .prefetch(2)
        .with_options(options)
    )


def line_batch(lines) -> tuple[np.ndarray, np.ndarray]:
    """Strips (N, 32, W, 1) and labels (N, MAX_LABEL) of generated lines."""
    labels = np.zeros((len(lines), MAX_LABEL), dtype=np.int32)
    for row, line in enumerate(lines):
        encoded = encode(line.text)
        labels[row, : len(encoded)] = encoded
    return batch_of([line.strip.pixels for line in lines]), labels


def validation_lines(maker, count: int, seed: int) -> list:
    """``count`` lines of each length 1-``MAX_DIGITS`` in turn, the same for every run of
    one seed: what training is steered and judged by."""
    rng = np.random.default_rng([seed, 1])
    return [maker.line(rng, digits=1 + index % MAX_DIGITS) for index in range(count)]


def line_scores(texts: list[str], read: list[str]) -> dict[str, float]:
    """``exact``: the share of lines read exactly, spaces included; ``cer``: the character
    error rate (edit distance over the true characters)."""
    errors = sum(edit_distance(truth, got) for truth, got in zip(texts, read, strict=True))
    return {
        "exact": float(np.mean([truth == got for truth, got in zip(texts, read, strict=True)])),
        "cer": errors / max(1, sum(len(truth) for truth in texts)),
    }


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    row = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, char_b in enumerate(b, 1):
            previous, row[j] = (
                row[j],
                min(row[j] + 1, row[j - 1] + 1, previous + (char_a != char_b)),
            )
    return row[-1]


def read_texts(model: keras.Model, strips: list[np.ndarray]) -> list[str]:
    """Greedy readings of strips, as the reader reads them (spaces tidied)."""
    return [
        "".join(LABELS[c.label] for c in tidy(read_line(steps)))
        for steps in read_steps(model, strips)
    ]


class LineScores(keras.callbacks.Callback):
    """After each epoch, ``val_exact`` and ``val_cer`` of the validation lines in the logs."""

    def __init__(self, lines: list) -> None:
        super().__init__()
        self.strips = [line.strip.pixels for line in lines]
        self.texts = [line.text for line in lines]

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        scores = line_scores(self.texts, read_texts(self.model, self.strips))
        if logs is not None:
            logs.update({f"val_{key}": value for key, value in scores.items()})
