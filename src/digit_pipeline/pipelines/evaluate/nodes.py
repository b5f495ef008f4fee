"""Nodes of the evaluate pipeline: how the trained model does on a split of digits it
never trained on (the test set; the held-out part of the person's own digits, maybe
none): metrics, per-digit report, confusion matrix, the most confident mistakes."""

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss
from sklearn.metrics import classification_report as sklearn_classification_report

from digit_pipeline.parameters import EvaluateParameters, SplitParameters
from digit_pipeline.reading.images import NUM_CLASSES
from digit_pipeline.training.cnn import class_probabilities
from digit_pipeline.training.plots import digit_grid

DIGITS = list(range(NUM_CLASSES))


def classify_digits(model: keras.Model, X: np.ndarray) -> np.ndarray:
    """The model's class probabilities (N, 10) for a split's images (maybe none)."""
    if len(X) == 0:
        return np.zeros((0, NUM_CLASSES), np.float32)
    return class_probabilities(model, X)


def check_predictions(y_true: np.ndarray, probabilities: np.ndarray) -> None:
    if probabilities.ndim != 2 or probabilities.shape[1] != len(DIGITS):
        raise ValueError(f"expected probabilities of shape (N, 10), got {probabilities.shape}")
    if len(y_true) != len(probabilities):
        raise ValueError(f"{len(y_true)} labels but {len(probabilities)} predictions")


def split_metrics(
    y: np.ndarray, probabilities: np.ndarray, split: SplitParameters
) -> dict[str, float]:
    """How many digits the split holds and, when it holds any, the loss, accuracy, macro
    F1 and number of mistakes, each named after the split.

    Returns:
        ``<name>_count``, and ``<name>_loss``, ``<name>_accuracy``,
        ``<name>_macro_f1``, ``<name>_errors`` (``split.name``).
    """
    check_predictions(y, probabilities)
    name = split.name
    metrics = {f"{name}_count": float(len(y))}
    if not len(y):
        return metrics
    predicted = probabilities.argmax(axis=1)
    return metrics | {
        f"{name}_loss": float(log_loss(y, probabilities, labels=DIGITS)),
        f"{name}_accuracy": float(accuracy_score(y, predicted)),
        f"{name}_macro_f1": float(
            f1_score(y, predicted, labels=DIGITS, average="macro", zero_division=0)
        ),
        f"{name}_errors": float(np.sum(predicted != y)),
    }


def with_own_training_count(metrics: dict[str, float], y_own_train: np.ndarray) -> dict[str, float]:
    """The own digits' metrics, and ``own_train_count``: how many were mixed into training."""
    return metrics | {"own_train_count": float(len(y_own_train))}


def classification_report(y: np.ndarray, probabilities: np.ndarray) -> pd.DataFrame:
    """Precision, recall, F1 and support of each digit (scikit-learn's report, as a table;
    zeros for a split with no digits)."""
    check_predictions(y, probabilities)
    columns = ["precision", "recall", "f1-score", "support"]
    if not len(y):
        table = pd.DataFrame(0.0, index=DIGITS, columns=columns)
    else:
        report = sklearn_classification_report(
            y, probabilities.argmax(axis=1), labels=DIGITS, output_dict=True, zero_division=0
        )
        table = pd.DataFrame({digit: report[str(digit)] for digit in DIGITS}).T[columns]
    table.index.name = "digit"
    table["support"] = table["support"].astype(int)
    return table


def confusion_table(y: np.ndarray, probabilities: np.ndarray) -> pd.DataFrame:
    """Confusion matrix: rows are true digits, columns predicted digits."""
    check_predictions(y, probabilities)
    matrix = (
        confusion_matrix(y, probabilities.argmax(axis=1), labels=DIGITS)
        if len(y)
        else np.zeros((len(DIGITS), len(DIGITS)), dtype=np.int64)
    )
    return pd.DataFrame(
        matrix,
        index=pd.Index(DIGITS, name="true"),
        columns=pd.Index([str(d) for d in DIGITS], name="predicted"),
    )


def plot_confusion_matrix(matrix: pd.DataFrame, split: SplitParameters) -> Figure:
    """Heatmap of the confusion matrix, with the count written in every cell (or a note
    that there are no such digits yet)."""
    digits = split.digits
    counts = matrix.to_numpy()
    if not counts.sum():
        return _no_digits(f"Confusion matrix on {digits}")
    figure = Figure(figsize=(7, 6), layout="constrained")
    ax = figure.subplots()
    # Log scale so that the few mistakes are visible next to the large diagonal.
    image = ax.imshow(np.log1p(counts), cmap="Blues")
    for (row, column), count in np.ndenumerate(counts):
        dark = image.norm(np.log1p(count)) > 0.6
        ax.text(
            column,
            row,
            str(count),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if dark else "black",
        )
    ax.set_xticks(range(counts.shape[1]), matrix.columns)
    ax.set_yticks(range(counts.shape[0]), matrix.index)
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(f"Confusion matrix on {digits} ({counts.trace()} of {counts.sum()} right)")
    return figure


def plot_misclassified(
    X: np.ndarray,
    y: np.ndarray,
    probabilities: np.ndarray,
    params: EvaluateParameters,
    split: SplitParameters,
) -> Figure:
    """The digits the model got wrong, most confident mistakes first, captioned
    ``true→predicted (confidence)`` (or a note that there are no such digits yet)."""
    check_predictions(y, probabilities)
    digits = split.digits
    if not len(y):
        return _no_digits(f"Misclassified {digits}")
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    wrong = np.flatnonzero(predicted != y)
    shown = wrong[np.argsort(-confidence[wrong])][: params.misclassified_to_show]
    captions = [f"{y[i]}→{predicted[i]} ({confidence[i]:.0%})" for i in shown]
    return digit_grid(
        X[shown],
        captions,
        columns=params.misclassified_columns,
        title=f"Misclassified {digits}: {len(wrong)} of {len(y)} (true→predicted)",
    )


def _no_digits(title: str) -> Figure:
    figure = Figure(figsize=(6, 2), layout="constrained")
    ax = figure.subplots()
    ax.axis("off")
    ax.text(0.5, 0.5, "No digits here yet. Own digits: keep some in the GUI or with\n"
            "`digit-pipeline collect`, then run `kedro run` again.", ha="center", va="center")  # fmt: skip
    ax.set_title(title)
    return figure
