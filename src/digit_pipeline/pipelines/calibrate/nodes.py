"""Nodes of the calibrate pipeline: a temperature fitted on the validation split (never
the test set), which the package pipeline gives the served model, and the reliability
diagrams that show what it changes on the test set."""

import keras
import numpy as np
from matplotlib.figure import Figure

from digit_pipeline.pipelines.evaluate.nodes import check_predictions
from digit_pipeline.training.calibration import (
    ECE_BINS,
    expected_calibration_error,
    fit_temperature,
    reliability_table,
    scale_temperature,
)
from digit_pipeline.training.cnn import class_probabilities


def classify_validation_set(model: keras.Model, X_val: np.ndarray) -> np.ndarray:
    """The model's class probabilities (N, 10) for the validation images."""
    return class_probabilities(model, X_val)


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
    check_predictions(y_val, val_probabilities)
    check_predictions(y_test, test_probabilities)
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
