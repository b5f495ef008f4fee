"""How far the model's confidence can be trusted, and temperature scaling to mend it.

A model is calibrated when, of the digits it reads with 90% confidence, 90% are right.
The expected calibration error (ECE) groups predictions into equal-width bins of
confidence and averages |accuracy - mean confidence| over the bins, weighted by their
share of the predictions (Guo et al., "On Calibration of Modern Neural Networks", 2017).
"""

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from digit_pipeline.reading.images.mnist import PROBABILITY_FLOOR
from digit_pipeline.reading.recognizer import scale_temperature

ECE_BINS = 15
# Temperatures searched when fitting (1 leaves the probabilities as they are).
TEMPERATURE_RANGE = (0.05, 20.0)


def reliability_table(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS
) -> pd.DataFrame:
    """Predictions grouped by confidence into ``bins`` equal-width bins (lower, upper].

    Args:
        probabilities: (N, classes), each row summing to 1.
        labels: (N,) true classes.

    Returns:
        One row per bin: ``lower``, ``upper``, ``count``, ``confidence`` (mean of the
        predicted class's probability) and ``accuracy`` (NaN for an empty bin).
    """
    if probabilities.ndim != 2 or len(probabilities) != len(labels):
        raise ValueError(
            f"expected (N, classes) probabilities for {len(labels)} labels, "
            f"got shape {probabilities.shape}"
        )
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    # Bin i holds confidences in (i/bins, (i+1)/bins]; a confidence of 0 joins bin 0.
    index = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    count = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore"):
        mean_confidence = np.bincount(index, weights=confidence, minlength=bins) / count
        accuracy = np.bincount(index, weights=correct, minlength=bins) / count
    edges = np.linspace(0.0, 1.0, bins + 1)
    return pd.DataFrame(
        {
            "lower": edges[:-1],
            "upper": edges[1:],
            "count": count,
            "confidence": mean_confidence,
            "accuracy": accuracy,
        }
    )


def expected_calibration_error(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS
) -> float:
    """ECE: the mean over bins of |accuracy - confidence|, weighted by the bins' counts."""
    table = reliability_table(probabilities, labels, bins)
    filled = table[table["count"] > 0]
    gaps = (filled["accuracy"] - filled["confidence"]).abs()
    return float((gaps * filled["count"]).sum() / table["count"].sum())


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels``."""

    def negative_log_likelihood(log_temperature: float) -> float:
        scaled = scale_temperature(probabilities.astype(np.float64), np.exp(log_temperature))
        return -float(
            np.mean(np.log(np.clip(scaled[np.arange(len(labels)), labels], PROBABILITY_FLOOR, 1)))
        )

    result = minimize_scalar(
        negative_log_likelihood, bounds=np.log(TEMPERATURE_RANGE), method="bounded"
    )
    return float(np.exp(result.x))
