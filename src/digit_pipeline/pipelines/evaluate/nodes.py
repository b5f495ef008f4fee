"""Nodes of the evaluate pipeline: how the trained model does on the held-out test set."""

from typing import Any

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss
from sklearn.metrics import classification_report as sklearn_classification_report

from digit_pipeline.calibration import (
    ECE_BINS,
    expected_calibration_error,
    fit_temperature,
    reliability_table,
    scale_temperature,
)
from digit_pipeline.plots import digit_grid
from digit_pipeline.robustness import frame_each, perturbations

DIGITS = list(range(10))


def predict_probabilities(model: keras.Model, X: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """Class probabilities (N, 10) for images (N, 28, 28, 1)."""
    return model.predict(X, batch_size=params["batch_size"], verbose=0)


def _check_predictions(y_true: np.ndarray, probabilities: np.ndarray) -> None:
    if probabilities.ndim != 2 or probabilities.shape[1] != len(DIGITS):
        raise ValueError(f"expected probabilities of shape (N, 10), got {probabilities.shape}")
    if len(y_true) != len(probabilities):
        raise ValueError(f"{len(y_true)} labels but {len(probabilities)} predictions")


def compute_test_metrics(y_test: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Test loss, accuracy, macro F1 and number of mistakes.

    Returns:
        ``test_loss``, ``test_accuracy``, ``test_macro_f1``, ``test_errors``.
    """
    _check_predictions(y_test, probabilities)
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
    _check_predictions(y_test, probabilities)
    report = sklearn_classification_report(
        y_test, probabilities.argmax(axis=1), labels=DIGITS, output_dict=True, zero_division=0
    )
    table = pd.DataFrame({digit: report[str(digit)] for digit in DIGITS}).T
    table.index.name = "digit"
    table["support"] = table["support"].astype(int)
    return table


def confusion_table(y_test: np.ndarray, probabilities: np.ndarray) -> pd.DataFrame:
    """Confusion matrix: rows are true digits, columns predicted digits."""
    _check_predictions(y_test, probabilities)
    matrix = confusion_matrix(y_test, probabilities.argmax(axis=1), labels=DIGITS)
    return pd.DataFrame(
        matrix,
        index=pd.Index(DIGITS, name="true"),
        columns=pd.Index([str(d) for d in DIGITS], name="predicted"),
    )


def plot_confusion_matrix(matrix: pd.DataFrame) -> Figure:
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
    ax.set_title(f"Confusion matrix on the test set ({counts.trace()} of {counts.sum()} right)")
    return figure


def plot_misclassified(
    X_test: np.ndarray, y_test: np.ndarray, probabilities: np.ndarray, params: dict[str, Any]
) -> Figure:
    """The test digits the model got wrong, most confident mistakes first, captioned
    ``true→predicted (confidence)``."""
    _check_predictions(y_test, probabilities)
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    wrong = np.flatnonzero(predicted != y_test)
    shown = wrong[np.argsort(-confidence[wrong])][: params["misclassified_to_show"]]
    captions = [f"{y_test[i]}→{predicted[i]} ({confidence[i]:.0%})" for i in shown]
    return digit_grid(
        X_test[shown],
        captions,
        columns=params["misclassified_columns"],
        title=f"Misclassified test digits: {len(wrong)} of {len(y_test)} (true→predicted)",
    )


def robustness_report(
    model: keras.Model, X_test: np.ndarray, y_test: np.ndarray, params: dict[str, Any]
) -> pd.DataFrame:
    """Test accuracy under each perturbation of ``digit_pipeline.robustness``, with the
    perturbed 28x28 image given to the model as it is (``raw``) and with the project's
    preprocessing applied first (``preprocessed``, as for an uploaded image).

    Args:
        params: ``robustness_sample`` (the first n test images; null for all),
            ``batch_size``, ``seed`` (of the noise).

    Returns:
        One row per perturbation: ``accuracy_raw``, ``accuracy_preprocessed``, and
        ``not_framed``, the share of images in which the preprocessing found no digit
        (counted as wrong).
    """
    images, labels = (
        X_test[: params["robustness_sample"], ..., 0],
        y_test[: params["robustness_sample"]],
    )
    perturbed = {name: perturb(images) for name, perturb in perturbations(params["seed"]).items()}
    framed, found = zip(*(frame_each(stack) for stack in perturbed.values()), strict=True)
    # One predict call for every stack: each call has a fixed cost of ~0.07 s.
    stacks = np.concatenate([*perturbed.values(), *framed])[..., np.newaxis]
    predicted = predict_probabilities(model, stacks, params).argmax(axis=1)
    predicted = predicted.reshape(2, len(perturbed), len(labels))
    return pd.DataFrame(
        {
            "accuracy_raw": np.mean(predicted[0] == labels, axis=1),
            "accuracy_preprocessed": np.mean((predicted[1] == labels) & found, axis=1),
            "not_framed": np.mean(~np.array(found), axis=1),
        },
        index=pd.Index(list(perturbed), name="perturbation"),
    )


def plot_robustness(report: pd.DataFrame, X_test: np.ndarray, params: dict[str, Any]) -> Figure:
    """Bars of the robustness report, and one test digit under every perturbation, as the
    model sees it raw and after the preprocessing."""
    figure = Figure(figsize=(12, 9), layout="constrained")
    bars_area, examples_area = figure.subfigures(2, 1, height_ratios=[3, 1.4])
    ax = bars_area.subplots()
    positions = np.arange(len(report))
    ax.barh(positions - 0.2, report["accuracy_raw"], height=0.4, label="raw 28×28 input")
    ax.barh(
        positions + 0.2,
        report["accuracy_preprocessed"],
        height=0.4,
        label="project's preprocessing first",
    )
    for position, (raw, preprocessed) in enumerate(
        report[["accuracy_raw", "accuracy_preprocessed"]].to_numpy()
    ):
        ax.text(raw, position - 0.2, f" {raw:.1%}", va="center", fontsize=8)
        ax.text(preprocessed, position + 0.2, f" {preprocessed:.1%}", va="center", fontsize=8)
    ax.set_yticks(positions, report.index)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("test accuracy")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"Robustness: accuracy on {params['robustness_sample']} perturbed test digits")

    example = X_test[params["example_index"], :, :, 0][np.newaxis]
    raw = [perturb(example)[0] for perturb in perturbations(params["seed"]).values()]
    framed = [frame_each(image[np.newaxis])[0][0] for image in raw]
    axes = examples_area.subplots(2, len(raw))
    for column, name in enumerate(report.index):
        for row, image in enumerate((raw[column], framed[column])):
            axes[row, column].imshow(image, cmap="gray", vmin=0, vmax=1)
            axes[row, column].set_xticks([])
            axes[row, column].set_yticks([])
        axes[0, column].set_title(name, fontsize=7)
    axes[0, 0].set_ylabel("raw", fontsize=8)
    axes[1, 0].set_ylabel("preprocessed", fontsize=8)
    return figure


def calibrate(
    val_probabilities: np.ndarray,
    y_val: np.ndarray,
    test_probabilities: np.ndarray,
    y_test: np.ndarray,
) -> dict[str, float]:
    """Fit a temperature on the validation split, keep it only if it lowers the
    validation ECE, and measure the test ECE before and after.

    Returns:
        ``temperature`` (1 when scaling does not help), ``fitted_temperature``,
        ``val_ece``, ``val_ece_scaled``, ``test_ece``, ``test_ece_calibrated``.
    """
    _check_predictions(y_val, val_probabilities)
    _check_predictions(y_test, test_probabilities)
    fitted = fit_temperature(val_probabilities, y_val)
    val_ece = expected_calibration_error(val_probabilities, y_val)
    val_ece_scaled = expected_calibration_error(scale_temperature(val_probabilities, fitted), y_val)
    temperature = fitted if val_ece_scaled < val_ece else 1.0
    return {
        "temperature": temperature,
        "fitted_temperature": fitted,
        "val_ece": val_ece,
        "val_ece_scaled": val_ece_scaled,
        "test_ece": expected_calibration_error(test_probabilities, y_test),
        "test_ece_calibrated": expected_calibration_error(
            scale_temperature(test_probabilities, temperature), y_test
        ),
    }


def plot_reliability(
    test_probabilities: np.ndarray, y_test: np.ndarray, calibration: dict[str, float]
) -> Figure:
    """Reliability diagrams on the test set, before and after temperature scaling:
    accuracy against confidence in each of the ECE's bins, the diagonal being perfect."""
    temperature = calibration["temperature"]
    figure = Figure(figsize=(11, 5), layout="constrained")
    for ax, (title, probabilities, ece) in zip(
        figure.subplots(1, 2, sharey=True),
        [
            ("as trained", test_probabilities, calibration["test_ece"]),
            (
                f"temperature {temperature:.2f}",
                scale_temperature(test_probabilities, temperature),
                calibration["test_ece_calibrated"],
            ),
        ],
        strict=True,
    ):
        table = reliability_table(probabilities, y_test)
        filled = table[table["count"] > 0]
        width = 1 / ECE_BINS
        ax.bar(
            filled["lower"],
            filled["accuracy"],
            width=width,
            align="edge",
            edgecolor="black",
            label="accuracy",
        )
        ax.scatter(
            filled["lower"] + width / 2,
            filled["confidence"],
            marker="_",
            s=300,
            linewidths=2,
            color="tab:red",
            label="mean confidence",
            zorder=3,
        )
        for _, row in filled.iterrows():
            ax.text(
                row["lower"] + width / 2,
                0.02,
                f"{int(row['count'])}",
                ha="center",
                rotation=90,
                fontsize=7,
                color="white",
            )
        ax.plot([0, 1], [0, 1], "k--", linewidth=1, label="perfect calibration")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("confidence")
        ax.set_title(f"{title}: ECE {ece:.4f}")
        ax.legend(loc="upper left")
    figure.axes[0].set_ylabel("accuracy")
    figure.suptitle(f"Reliability on the test set ({ECE_BINS} bins; counts at the bottom)")
    return figure
