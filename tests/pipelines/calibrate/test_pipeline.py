import numpy as np
import pytest

from digit_pipeline.datasets.tracking import as_metric_history
from digit_pipeline.pipelines.calibrate.nodes import (
    calibrate,
    classify_validation_set,
    plot_reliability,
)
from digit_pipeline.reading.images import to_model_input
from digit_pipeline.testing.project import tiny_cnn


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


def test_classify_validation_set(mnist_train):
    model = tiny_cnn()
    X_val = to_model_input(mnist_train[0][-30:])
    probabilities = classify_validation_set(model, X_val)
    assert probabilities.shape == (30, 10)
    np.testing.assert_allclose(probabilities, model.predict_on_batch(X_val), atol=1e-6)


def test_calibration_is_logged_as_metrics():
    labels = np.arange(200) % 10
    val, test = overconfident(labels, 0.9, seed=1), overconfident(labels, 0.9, seed=2)
    calibration = calibrate(val, labels, test, labels)
    history = as_metric_history(calibration)
    assert set(history) == set(calibration)
    assert history["temperature"] == [{"step": 0, "value": calibration["temperature"]}]
