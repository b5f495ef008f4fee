import numpy as np
import pytest

from digit_pipeline.training.calibration import (
    expected_calibration_error,
    fit_temperature,
    reliability_table,
    scale_temperature,
)


def rows(*confident: tuple[int, float]) -> np.ndarray:
    """Ten-class probabilities: each row puts ``p`` on ``digit``, the rest spread evenly."""
    probabilities = np.empty((len(confident), 10))
    for row, (digit, p) in enumerate(confident):
        probabilities[row] = (1 - p) / 9
        probabilities[row, digit] = p
    return probabilities


def test_ece_against_a_hand_computed_case():
    # Two predictions at 0.9 (bin (0.867, 0.933]): one right, one wrong -> |0.5 - 0.9| = 0.4.
    # Two at 0.6 (bin (0.533, 0.6]): both right -> |1.0 - 0.6| = 0.4.
    # ECE = 2/4 * 0.4 + 2/4 * 0.4 = 0.4.
    probabilities = rows((3, 0.9), (5, 0.9), (1, 0.6), (2, 0.6))
    labels = np.array([3, 4, 1, 2])
    assert expected_calibration_error(probabilities, labels, bins=15) == pytest.approx(0.4)

    table = reliability_table(probabilities, labels, bins=15)
    assert table["count"].sum() == 4
    assert table.loc[13, ["count", "confidence", "accuracy"]].tolist() == pytest.approx(
        [2, 0.9, 0.5]
    )
    assert table.loc[8, ["count", "confidence", "accuracy"]].tolist() == pytest.approx(
        [2, 0.6, 1.0]
    )
    assert table["accuracy"].isna().sum() == 13  # the empty bins


def test_ece_of_a_calibrated_model_is_zero_and_bins_are_right_closed():
    # 0.8 confident, right 4 times in 5: perfectly calibrated.
    probabilities = rows(*[(7, 0.8)] * 5)
    assert expected_calibration_error(probabilities, np.array([7, 7, 7, 7, 1])) == pytest.approx(0)
    # A confidence of exactly 1/3 falls in bin (4/15, 5/15], not the next one.
    table = reliability_table(rows((0, 1 / 3)), np.array([0]), bins=15)
    assert table.loc[4, "count"] == 1


def test_temperature_scaling_softens_or_sharpens_without_changing_the_reading():
    probabilities = rows((3, 0.9), (5, 0.6))
    softer, sharper = scale_temperature(probabilities, 2.0), scale_temperature(probabilities, 0.5)
    assert np.allclose(softer.sum(axis=1), 1) and np.allclose(sharper.sum(axis=1), 1)
    assert (softer.max(axis=1) < probabilities.max(axis=1)).all()
    assert (sharper.max(axis=1) > probabilities.max(axis=1)).all()
    assert (softer.argmax(axis=1) == [3, 5]).all() and (sharper.argmax(axis=1) == [3, 5]).all()
    assert np.allclose(scale_temperature(probabilities, 1.0), probabilities)
    with pytest.raises(ValueError, match="temperature must be positive"):
        scale_temperature(probabilities, 0.0)


def test_fitted_temperature_softens_an_overconfident_model():
    # 99% confident but right only 80% of the time: the fit must soften (T > 1) and the
    # ECE must fall.
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 1000)
    predicted = np.where(rng.random(1000) < 0.8, labels, (labels + 1) % 10)
    probabilities = rows(*[(int(d), 0.99) for d in predicted])
    temperature = fit_temperature(probabilities, labels)
    assert temperature > 1.5
    before = expected_calibration_error(probabilities, labels)
    after = expected_calibration_error(scale_temperature(probabilities, temperature), labels)
    assert before == pytest.approx(0.19, abs=0.02)
    assert after < 0.05


def test_reliability_table_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="for 3 labels, got shape"):
        reliability_table(rows((1, 0.5)), np.array([1, 2, 3]))
