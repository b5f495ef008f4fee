"""Nodes of the train pipeline."""

import logging

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from digit_pipeline.parameters import TrainParameters
from digit_pipeline.training import hardware
from digit_pipeline.training.cnn import build_cnn, portable_copy
from digit_pipeline.training.fit import batches, training_callbacks
from digit_pipeline.training.hands import with_everyday_forms

logger = logging.getLogger(__name__)


def train_model(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    params: TrainParameters,
    *,
    X_own: np.ndarray | None = None,
    y_own: np.ndarray | None = None,
) -> tuple[keras.Model, pd.DataFrame, dict[str, str]]:
    """Build the CNN and train it with a cosine learning-rate schedule, keeping the
    weights of the best validation epoch. A share ``everyday_forms`` of the 7s and 1s is
    rewritten crossed or flagged (``hands.with_everyday_forms``).
    The person's own digits, if any, make up ``own_digits_share`` of every batch.

    The precision ``auto`` becomes mixed bfloat16 where the hardware computes it natively,
    float32 elsewhere (``digit_pipeline.training.hardware.resolve_precision``).

    Args:
        X_train, y_train: Training images (N, 28, 28, 1) float32 and labels (N,).
        X_val, y_val: Validation images and labels; the only data used to stop or adapt.
        params: The model's parameters (see ``build_cnn``), how it is trained (see
            ``training_callbacks``), and ``seed``, ``epochs``, ``batch_size``, ``verbose``,
            ``own_digits_share``, ``everyday_forms``.
        X_own, y_own: The training part of the own digits, if any.

    Returns:
        The model with the weights of its best validation epoch (with Keras's own batch
        normalisation, in float32: see ``portable_copy``), the training history (one
        row per epoch, the index from 1: loss, accuracy, learning rate, seconds), and
        what the run trained on: precision, device, CPU and its relevant flags.
    """
    machine = hardware.detect()
    precision = hardware.resolve_precision(params.precision, machine)
    training_on = hardware.describe(machine, precision)
    logger.info(
        "Training on %s", ", ".join(f"{key}: {value}" for key, value in training_on.items())
    )
    params = params.model_copy(update={"precision": precision})

    keras.utils.set_random_seed(params.seed)
    X_train = with_everyday_forms(
        X_train, y_train, params.everyday_forms, np.random.default_rng(params.seed)
    )
    model = build_cnn(params)
    model.summary(print_fn=lambda line, *args, **kwargs: logger.info(line))

    history = model.fit(
        batches(
            X_train,
            y_train,
            params.batch_size,
            shuffle_seed=params.seed,
            mixed_in=(X_own, y_own) if X_own is not None else None,
            share=params.own_digits_share,
        ),
        validation_data=batches(X_val, y_val, params.batch_size),
        shuffle=False,  # `batches` reshuffles every epoch; Keras would warn it cannot
        epochs=params.epochs,
        callbacks=training_callbacks(params),
        verbose=params.verbose,
    )
    table = pd.DataFrame(
        history.history, index=pd.RangeIndex(1, len(history.epoch) + 1, name="epoch")
    )
    return portable_copy(model, params), table, training_on


def plot_learning_curves(history: pd.DataFrame) -> Figure:
    """Loss and accuracy per epoch, on the training and the validation data, and the
    seconds each epoch took (with its first step: a slow start of an epoch shows there)."""
    timed = "epoch_seconds" in history
    figure = Figure(figsize=(15 if timed else 10, 4), layout="constrained")
    axes = figure.subplots(1, 3 if timed else 2)
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=False):
        ax.plot(history.index, history[metric], marker="o", label="training")
        ax.plot(history.index, history[f"val_{metric}"], marker="o", label="validation")
        ax.set_ylabel(metric)
    if timed:
        axes[2].plot(history.index, history["epoch_seconds"], marker="o", label="whole epoch")
        axes[2].plot(history.index, history["first_step_seconds"], marker="o", label="first step")
        axes[2].set_ylabel("seconds")
        axes[2].set_ylim(bottom=0)
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    figure.suptitle("Learning curves")
    return figure
