"""Nodes of the evaluate pipeline: how the trained model does on the held-out test set:
metrics, per-digit report, confusion matrix, the most confident mistakes; and the same on
the held-out part of the person's own digits, when there are any."""

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss
from sklearn.metrics import classification_report as sklearn_classification_report

from digit_pipeline.parameters import EvaluateParameters
from digit_pipeline.reading.images import NUM_CLASSES
from digit_pipeline.training.cnn import class_probabilities
from digit_pipeline.training.plots import digit_grid

DIGITS = list(range(NUM_CLASSES))


def classify_test_set(model: keras.Model, X_test: np.ndarray) -> np.ndarray:
    """The model's class probabilities (N, 10) for the test images (or any, maybe none)."""
    if len(X_test) == 0:
        return np.zeros((0, NUM_CLASSES), np.float32)
    return class_probabilities(model, X_test)


def check_predictions(y_true: np.ndarray, probabilities: np.ndarray) -> None:
    if probabilities.ndim != 2 or probabilities.shape[1] != len(DIGITS):
        raise ValueError(f"expected probabilities of shape (N, 10), got {probabilities.shape}")
    if len(y_true) != len(probabilities):
        raise ValueError(f"{len(y_true)} labels but {len(probabilities)} predictions")


def compute_test_metrics(y_test: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Test loss, accuracy, macro F1 and number of mistakes.

    Returns:
        ``test_loss``, ``test_accuracy``, ``test_macro_f1``, ``test_errors``.
    """
    check_predictions(y_test, probabilities)
    predicted = probabilities.argmax(axis=1)
    return {
        "test_loss": float(log_loss(y_test, probabilities, labels=DIGITS)),
        "test_accuracy": float(accuracy_score(y_test, predicted)),
        "test_macro_f1": float(
            f1_score(y_test, predicted, labels=DIGITS, average="macro", zero_division=0)
        ),
        "test_errors": float(np.sum(predicted != y_test)),
    }


def classification_report(y_test: np.ndarray, probabilities: np.ndarray) -> pd.DataFrame:
    """Precision, recall, F1 and support of each digit (scikit-learn's report, as a table)."""
    check_predictions(y_test, probabilities)
    report = sklearn_classification_report(
        y_test, probabilities.argmax(axis=1), labels=DIGITS, output_dict=True, zero_division=0
    )
    table = pd.DataFrame({digit: report[str(digit)] for digit in DIGITS}).T
    table.index.name = "digit"
    table["support"] = table["support"].astype(int)
    return table


def confusion_table(y_test: np.ndarray, probabilities: np.ndarray) -> pd.DataFrame:
    """Confusion matrix: rows are true digits, columns predicted digits."""
    check_predictions(y_test, probabilities)
    matrix = confusion_matrix(y_test, probabilities.argmax(axis=1), labels=DIGITS)
    return pd.DataFrame(
        matrix,
        index=pd.Index(DIGITS, name="true"),
        columns=pd.Index([str(d) for d in DIGITS], name="predicted"),
    )


def plot_confusion_matrix(matrix: pd.DataFrame, digits: str = "the test set") -> Figure:
    """Heatmap of the confusion matrix, with the count written in every cell."""
    counts = matrix.to_numpy()
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
    X_test: np.ndarray,
    y_test: np.ndarray,
    probabilities: np.ndarray,
    params: EvaluateParameters,
    digits: str = "test digits",
) -> Figure:
    """The test digits the model got wrong, most confident mistakes first, captioned
    ``true→predicted (confidence)``."""
    check_predictions(y_test, probabilities)
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    wrong = np.flatnonzero(predicted != y_test)
    shown = wrong[np.argsort(-confidence[wrong])][: params.misclassified_to_show]
    captions = [f"{y_test[i]}→{predicted[i]} ({confidence[i]:.0%})" for i in shown]
    return digit_grid(
        X_test[shown],
        captions,
        columns=params.misclassified_columns,
        title=f"Misclassified {digits}: {len(wrong)} of {len(y_test)} (true→predicted)",
    )


# --- the person's own digits ---------------------------------------------------


def compute_own_metrics(
    y_own: np.ndarray, probabilities: np.ndarray, y_own_train: np.ndarray
) -> dict[str, float]:
    """``own_count``: the held-out own digits; ``own_accuracy`` when there are any;
    ``own_train_count``: the own digits mixed into training."""
    check_predictions(y_own, probabilities)
    metrics = {"own_count": float(len(y_own)), "own_train_count": float(len(y_own_train))}
    if len(y_own):
        metrics["own_accuracy"] = float(accuracy_score(y_own, probabilities.argmax(axis=1)))
    return metrics


def plot_own_confusion_matrix(y_own: np.ndarray, probabilities: np.ndarray) -> Figure:
    if not len(y_own):
        return _no_own_digits("Confusion matrix on your held-out own digits")
    return plot_confusion_matrix(confusion_table(y_own, probabilities), "your held-out own digits")


def plot_own_misclassified(
    X_own: np.ndarray, y_own: np.ndarray, probabilities: np.ndarray, params: EvaluateParameters
) -> Figure:
    if not len(y_own):
        return _no_own_digits("Misclassified own digits (held out)")
    return plot_misclassified(X_own, y_own, probabilities, params, "own digits (held out)")


def _no_own_digits(title: str) -> Figure:
    figure = Figure(figsize=(6, 2), layout="constrained")
    ax = figure.subplots()
    ax.axis("off")
    ax.text(0.5, 0.5, "No own digits held out yet: keep some in the GUI or with\n"
            "`digit-pipeline collect`, then run `kedro run` again.", ha="center", va="center")  # fmt: skip
    ax.set_title(title)
    return figure
