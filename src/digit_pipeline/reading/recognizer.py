"""The networks behind the reader: framed 28x28 digits in, the CNN's calibrated
probabilities out; strips of lines in, the line model's step probabilities out."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from digit_pipeline.reading.images import IMAGE_SIZE
from digit_pipeline.reading.images.mnist import PROBABILITY_FLOOR
from digit_pipeline.reading.images.strip import STRIP_HEIGHT
from digit_pipeline.reading.limits import CNN_BATCH
from digit_pipeline.reading.line_reader import read_steps


class Recognizer:
    """Reads framed digits with the CNN, ``CNN_BATCH`` at a time, and lines with the line
    model (``line_reader``). The CNN's probabilities are calibrated with the temperature
    fitted on the validation split (``digit_pipeline.training.calibration``)."""

    def __init__(self, model: keras.Model, temperature: float, line_model: keras.Model) -> None:
        self.model = model
        self.temperature = temperature
        self.line_model = line_model

    def warm_up(self) -> None:
        """Run both networks on blank inputs of two shapes each. Keras traces its predict
        function again for the second shape it meets (and a third, where only one dimension
        changed), then keeps one for any: traced here, not on a request's first line or
        batch (0.5-1 CPU s on an AVX2 CPU)."""
        for count, width in ((1, 64), (2, 128)):
            self.line_steps([np.zeros((STRIP_HEIGHT, width), np.float32)] * count)
            self.probabilities([np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)] * count)

    def line_steps(self, strips: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Each strip's step probabilities from the line model (``line_reader.read_steps``)."""
        return read_steps(self.line_model, strips) if strips else []

    def probabilities(self, digits: Sequence[np.ndarray]) -> np.ndarray:
        """(N, 10) calibrated probabilities of N framed (28, 28) digits in [0, 1]."""
        batch = np.stack(digits)[..., np.newaxis].astype(np.float32)
        # predict_on_batch runs Keras's compiled predict function, not an eager call
        # layer by layer (benchmarks/README.md).
        chunks = [
            self.model.predict_on_batch(batch[start : start + CNN_BATCH])
            for start in range(0, len(batch), CNN_BATCH)
        ]
        return scale_temperature(np.concatenate(chunks), self.temperature)


def scale_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax of the logits divided by ``temperature``; above 1 softens, below sharpens.

    The logits are the log-probabilities (softmax ignores the constant that separates
    them), so the model needs no change. The predicted class never changes.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if temperature == 1.0:
        return probabilities
    logits = np.log(np.clip(probabilities, PROBABILITY_FLOOR, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return (scaled / scaled.sum(axis=1, keepdims=True)).astype(probabilities.dtype)
