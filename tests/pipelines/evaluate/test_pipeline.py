import numpy as np
import pandas as pd
import pytest

from digit_pipeline.pipelines.evaluate.nodes import (
    calibrate,
    classification_report,
    compute_test_metrics,
    confusion_table,
    plot_confusion_matrix,
    plot_misclassified,
    plot_reliability,
    plot_robustness,
)
from digit_pipeline.robustness import perturbations

# Four test digits; the model gets the 3 wrong (reads it as an 8, 70% sure).
Y_TRUE = np.array([0, 1, 2, 3])


@pytest.fixture
def probabilities():
    p = np.full((4, 10), 0.01)
    for row, digit in enumerate([0, 1, 2]):
        p[row, digit] = 0.91
    p[3, 8], p[3, 3] = 0.70, 0.22
    return p


def test_compute_test_metrics_by_hand(probabilities):
    metrics = compute_test_metrics(Y_TRUE, probabilities)
    assert metrics["test_accuracy"] == 0.75
    assert metrics["test_errors"] == 1
    # Cross-entropy: the mean of -log p(true digit).
    assert metrics["test_loss"] == pytest.approx(-(3 * np.log(0.91) + np.log(0.22)) / 4)
    assert set(metrics) == {"test_loss", "test_accuracy", "test_macro_f1", "test_errors"}


def test_metrics_reject_mismatched_inputs(probabilities):
    with pytest.raises(ValueError, match="3 labels but 4 predictions"):
        compute_test_metrics(Y_TRUE[:3], probabilities)
    with pytest.raises(
        ValueError, match=r"expected probabilities of shape \(N, 10\), got \(4, 9\)"
    ):
        confusion_table(Y_TRUE, probabilities[:, :9])


def test_classification_report_per_digit(probabilities):
    report = classification_report(Y_TRUE, probabilities)
    assert report.index.tolist() == list(range(10))
    assert report.loc[3, "recall"] == 0.0 and report.loc[3, "support"] == 1
    assert report.loc[8, "precision"] == 0.0  # predicted once, wrongly
    assert report.loc[0, "f1-score"] == 1.0


def test_confusion_table_and_its_plot(probabilities):
    matrix = confusion_table(Y_TRUE, probabilities)
    assert matrix.shape == (10, 10)
    assert matrix.loc[3, "8"] == 1 and matrix.loc[3, "3"] == 0
    assert np.trace(matrix.to_numpy()) == 3
    figure = plot_confusion_matrix(matrix)
    assert "3 of 4 right" in figure.axes[0].get_title()
    assert sum(text.get_text() == "1" for text in figure.axes[0].texts) == 4


def test_plot_misclassified_shows_the_mistakes(probabilities):
    images = np.zeros((4, 28, 28, 1), dtype=np.float32)
    params = {"misclassified_to_show": 10, "misclassified_columns": 5}
    figure = plot_misclassified(images, Y_TRUE, probabilities, params)
    captions = [text.get_text() for text in figure.axes[0].texts]
    assert captions == ["3→8 (70%)"]
    assert "1 of 4" in figure.get_suptitle()


def overconfident(labels: np.ndarray, right: float, seed: int) -> np.ndarray:
    """Probabilities 99% sure of a digit that is the label only a ``right`` share of times."""
    rng = np.random.default_rng(seed)
    predicted = np.where(rng.random(len(labels)) < right, labels, (labels + 1) % 10)
    probabilities = np.full((len(labels), 10), 0.01 / 9)
    probabilities[np.arange(len(labels)), predicted] = 0.99
    return probabilities


def test_calibrate_fits_on_validation_and_measures_on_test():
    labels = np.arange(2000) % 10
    val, test = overconfident(labels, 0.9, seed=1), overconfident(labels, 0.9, seed=2)
    calibration = calibrate(val, labels, test, labels)
    assert calibration["temperature"] == calibration["fitted_temperature"] > 1
    assert calibration["val_ece_scaled"] < calibration["val_ece"]
    assert calibration["test_ece"] == pytest.approx(0.09, abs=0.02)
    assert calibration["test_ece_calibrated"] < 0.03

    figure = plot_reliability(test, labels, calibration)
    before, after = figure.axes
    assert "ECE 0.09" in before.get_title()
    assert f"temperature {calibration['temperature']:.2f}" in after.get_title()


def test_calibrate_keeps_a_temperature_of_one_when_scaling_does_not_help():
    # Validation: 0.75 confident and right 75% of the time, already calibrated: the
    # fitted temperature cannot lower its ECE of 0, so it is dropped.
    labels = np.arange(1000) % 10
    val = np.full((1000, 10), 0.25 / 9)
    val[np.arange(1000), np.where(np.arange(1000) % 4 == 0, (labels + 1) % 10, labels)] = 0.75
    calibration = calibrate(val, labels, val, labels)
    assert calibration["val_ece"] == pytest.approx(0.0, abs=1e-9)
    assert calibration["temperature"] == 1.0
    assert calibration["test_ece_calibrated"] == calibration["test_ece"]


def test_plot_robustness_shows_every_perturbation(mnist_test):
    names = list(perturbations())
    report = pd.DataFrame(
        {"accuracy_raw": np.linspace(0.1, 0.99, len(names)), "accuracy_preprocessed": 0.9},
        index=pd.Index(names, name="perturbation"),
    )
    X_test = (mnist_test[0][:3, :, :, np.newaxis] / 255.0).astype(np.float32)
    params = {"robustness_sample": 2000, "example_index": 0, "seed": 0}
    figure = plot_robustness(report, X_test, params)
    bars = figure.axes[0]
    assert [label.get_text() for label in bars.get_yticklabels()] == names
    assert len(bars.patches) == 2 * len(names)
    examples = [ax for ax in figure.axes[1:] if ax.images]
    assert len(examples) == 2 * len(names)  # raw and preprocessed
