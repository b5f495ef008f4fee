"""The line model: a strip of one line of writing in, a CTC reading of it out (the digits
and the spaces between numbers), without cutting it into digits first.

Its front is the trained CNN's (``model.build_cnn``), slid along the strip: the CNN's
convolutions, and its dense layer as a convolution as wide as a digit, bring each 4
columns of the strip down to one step of the CNN's digit features. A bidirectional LSTM
reads the steps across the line; a dense layer gives each step's logits over blank, the
ten digits and the space. Trained with Keras's CTC loss; read by ``reading.line_reader``.
"""

from __future__ import annotations

import itertools

import keras
import numpy as np
import tensorflow as tf
from keras import layers

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
from digit_pipeline.training.cnn import BATCH_NORM_MOMENTUM
from digit_pipeline.training.hardware import checked_precision
from digit_pipeline.training.lines import MAX_DIGITS

CLIP_NORM = 1.0
# The longest text a generated line holds: 12 digits and 11 spaces.
MAX_LABEL = 23


def build_line_model(params: TrainLinesParameters, cnn: keras.Model) -> keras.Model:
    """The line model, its front the trained ``cnn``'s, compiled with Keras's CTC loss.

    The CNN's layers up to its last hidden one, slid along the strip: each unpadded
    convolution padded across (the height shrinks as in the CNN, the width keeps), each
    strided one halving both, and the dense layer a convolution over the whole remaining
    height and as many columns as the CNN's last map is wide. A 28-row strip is one row of
    features by then, one step per 4 columns. Batch normalisation keeps the CNN's
    statistics (strips are mostly blank: their own would be a blank page's); the
    convolutions of the first ``frozen_blocks`` blocks keep the CNN's weights, the others
    learn on.

    Args:
        params: ``frozen_blocks``; ``recurrent_units`` of the LSTM each way; ``dropout``;
            ``learning_rate`` (Adam); ``precision`` (resolved: ``float32`` or a mixed
            policy).
        cnn: The trained CNN (``model.build_cnn``'s design, two down-sampling blocks).

    Returns:
        A model taking (N, 28, W, 1) float32 strips and giving (N, W / 4, NUM_LABELS)
        float32 logits.
    """
    precision = {"dtype": checked_precision(params.precision)}
    inputs = keras.Input(shape=(STRIP_HEIGHT, None, 1), name="strip")
    x, copies, blocks = inputs, [], 0
    for layer, norm in _hidden_layers(cnn):
        if isinstance(layer, layers.Dense):  # the dense layer, as wide as the last map
            rows, columns, channels = _flatten_input(cnn)
            x = layers.ZeroPadding2D(((0, 0), _centred(columns)), **precision)(x)
            copy = layers.Conv2D(layer.units, (rows, columns), use_bias=False, **precision)
            x = copy(x)
            kernel = layer.get_weights()[0].reshape(rows, columns, channels, -1)
            copies.append((copy, [kernel]))
        else:
            if layer.padding == "valid":
                x = layers.ZeroPadding2D(((0, 0), _centred(layer.kernel_size[1])), **precision)(x)
            copy = layers.Conv2D(
                layer.filters, layer.kernel_size, strides=layer.strides, padding=layer.padding,
                use_bias=False, trainable=blocks >= params.frozen_blocks, **precision,
            )  # fmt: skip
            x = copy(x)
            copies.append((copy, layer.get_weights()))
            blocks += layer.strides[0] > 1
        kept = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, trainable=False, **precision)
        x = layers.ReLU(**precision)(kept(x))
        copies.append((kept, norm.get_weights()))
    if blocks != 2 or x.shape[1] != 1:
        raise ValueError(
            f"the line model needs a CNN that halves its input twice and reads {STRIP_HEIGHT} "
            f"rows down to one (this one halves it {blocks} times, to {x.shape[1]} rows)"
        )
    for copy, weights in copies:
        copy.set_weights(weights)
    x = layers.Reshape((-1, x.shape[-1]), **precision)(x)
    x = layers.Dropout(params.dropout, **precision)(x)
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


def start_from(model: keras.Model, path: str) -> None:
    """Set ``model``'s weights, every layer's (its front too), to those of the line model
    saved at ``path``: training goes on from there instead of from the CNN's front.

    Raises:
        ValueError: ``path`` holds no line model of ``model``'s design and size.
    """
    try:
        model.set_weights(keras.models.load_model(path, compile=False).get_weights())
    except (OSError, ValueError) as error:
        raise ValueError(
            f"train_lines.initial_model: {path} is not a saved line model of this design "
            f"and size ({error})"
        ) from error


def _hidden_layers(cnn: keras.Model) -> list[tuple[layers.Layer, layers.BatchNormalization]]:
    """The CNN's convolutions and hidden dense layer, in order, each with the batch
    normalisation that follows it."""
    weighted = [
        layer
        for layer in cnn.layers
        if isinstance(layer, layers.Conv2D | layers.BatchNormalization)
        or (isinstance(layer, layers.Dense) and layer.name != "probabilities")
    ]
    return list(zip(weighted[::2], weighted[1::2], strict=True))


def _flatten_input(cnn: keras.Model) -> tuple[int, int, int]:
    """Rows, columns and channels of the CNN's last map (what its dense layer reads)."""
    flatten = next(layer for layer in cnn.layers if isinstance(layer, layers.Flatten))
    return tuple(int(size) for size in flatten.input.shape[1:])


def _centred(width: int) -> tuple[int, int]:
    """Padding either side that keeps the width through a kernel ``width`` wide."""
    return (width - 1) // 2, width // 2


def portable_line_copy(
    model: keras.Model, params: TrainLinesParameters, cnn: keras.Model
) -> keras.Model:
    """The trained line model in float32 (as ``model.portable_copy`` is for the CNN): what
    is saved and served."""
    portable = build_line_model(params.model_copy(update={"precision": "float32"}), cnn)
    portable.set_weights(model.get_weights())
    return portable


def line_batches(maker, batch_size: int, steps: int, seed: int) -> tf.data.Dataset:
    """An epoch of ``steps`` batches of lines made on the fly (``training.lines``):
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
