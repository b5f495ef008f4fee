"""Nodes of the train_lines pipeline: the line model trained on lines made on the fly from
the training digits, and measured on lines made from the validation digits."""

import logging

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from digit_pipeline.datasets.tracking import as_metric_history
from digit_pipeline.parameters import TrainLinesParameters
from digit_pipeline.training import hardware
from digit_pipeline.training.fit import EpochTimer
from digit_pipeline.training.line_model import (
    LineScores,
    build_line_model,
    line_batches,
    line_scores,
    portable_line_copy,
    read_texts,
    start_from,
    validation_lines,
)
from digit_pipeline.training.lines import LineMaker

logger = logging.getLogger(__name__)


def train_line_model(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    params: TrainLinesParameters,
    *,
    cnn: keras.Model,
    X_own: np.ndarray | None = None,
    y_own: np.ndarray | None = None,
) -> tuple[keras.Model, pd.DataFrame]:
    """Train the line model, its front the trained ``cnn``'s (``line_model``), with CTC on
    ``steps_per_epoch`` batches of new lines an epoch (``training.lines``: training
    digits, the permitted fonts for ``font_share`` of the lines, the person's own digits
    for ``own_digits_share``), the learning rate falling along half a cosine; keep the
    epoch that reads most validation lines exactly. With ``initial_model``, every weight
    starts from that saved line model's instead (``line_model.start_from``).

    Returns:
        The model (Keras's own batch norm, float32: ``portable_line_copy``) and its
        history, one row per epoch from 1: loss, learning rate, seconds, ``val_exact``
        and ``val_cer`` on the validation lines.
    """
    precision = hardware.resolve_precision(params.precision, hardware.detect())
    params = params.model_copy(update={"precision": precision})
    keras.utils.set_random_seed(params.seed)
    own = (X_own, y_own) if X_own is not None and len(X_own) else None
    maker = LineMaker(
        X_train, y_train, font_share=params.font_share, own=own, own_share=params.own_digits_share
    )
    if not maker.fonts:
        logger.warning("No permitted handwriting font installed: lines are MNIST digits only")
    validation = validation_lines(LineMaker(X_val, y_val, font_share=params.font_share),
                                  params.validation_lines, params.seed)  # fmt: skip
    model = build_line_model(params, cnn)
    if params.initial_model:
        start_from(model, params.initial_model)
    model.summary(print_fn=lambda line, *args, **kwargs: logger.info(line))
    cosine = keras.optimizers.schedules.CosineDecay(params.learning_rate, params.epochs)
    history = model.fit(
        line_batches(maker, params.batch_size, params.steps_per_epoch, params.seed),
        epochs=params.epochs,
        shuffle=False,  # each batch is new lines already
        callbacks=[
            keras.callbacks.LearningRateScheduler(lambda epoch, _: float(cosine(epoch))),
            EpochTimer(),
            LineScores(validation),
            keras.callbacks.EarlyStopping(
                monitor="val_exact", mode="max", patience=params.epochs,
                restore_best_weights=True,
            ),
        ],
        verbose=params.verbose,
    )  # fmt: skip
    table = pd.DataFrame(
        history.history, index=pd.RangeIndex(1, len(history.epoch) + 1, name="epoch")
    )
    return portable_line_copy(model, params, cnn), table


def evaluate_line_model(
    line_model: keras.Model, X_val: np.ndarray, y_val: np.ndarray, params: TrainLinesParameters
) -> tuple[dict[str, float], Figure]:
    """``line_exact`` and ``line_cer`` of the validation lines (the champion gate's line
    metric), and a picture of the lines it misread."""
    lines = validation_lines(
        LineMaker(X_val, y_val, font_share=params.font_share), params.validation_lines, params.seed
    )
    read = read_texts(line_model, [line.strip.pixels for line in lines])
    scores = line_scores([line.text for line in lines], read)
    logger.info("Validation lines: %.4f exact, character error rate %.4f", *scores.values())
    misread = [(line, got) for line, got in zip(lines, read, strict=True) if got != line.text]
    return {f"line_{key}": value for key, value in scores.items()}, misread_figure(misread)


def misread_figure(misread: list, shown: int = 24) -> Figure:
    """The misread lines' strips, each titled with what it says and what was read."""
    rows = max(1, min(shown, len(misread)))
    figure = Figure(figsize=(10, 0.9 * rows), layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, 1))
    for ax in axes:
        ax.set_axis_off()
    for ax, (line, got) in zip(axes, misread[:shown], strict=False):
        ax.imshow(line.strip.pixels, cmap="gray_r", aspect="equal")
        ax.set_title(f"written {line.text!r}, read {got!r}", fontsize=8, loc="left")
    figure.suptitle(f"Misread validation lines ({len(misread)} in all)")
    return figure


def plot_line_learning_curves(history: pd.DataFrame) -> Figure:
    """CTC loss, validation exact rate and character error rate, and seconds per epoch."""
    figure = Figure(figsize=(15, 4), layout="constrained")
    for ax, columns in zip(
        figure.subplots(1, 3),
        (["loss"], ["val_exact", "val_cer"], ["epoch_seconds"]),
        strict=True,
    ):
        for column in columns:
            ax.plot(history.index, history[column], marker="o", label=column)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    figure.suptitle("Line model: learning curves")
    return figure


def line_history_metrics(history: pd.DataFrame) -> dict[str, list[dict]]:
    """The history per epoch as the run logs it, its names prefixed: ``line_loss``,
    ``line_val_exact``..."""
    return as_metric_history(history.add_prefix("line_"))
