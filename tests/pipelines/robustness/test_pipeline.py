import numpy as np
import pandas as pd

from digit_pipeline.parameters import RobustnessParameters
from digit_pipeline.perturbations import perturbations
from digit_pipeline.pipelines.robustness.nodes import plot_robustness

from ...support import smoke_parameters


def test_plot_robustness_shows_every_perturbation(mnist_test):
    names = list(perturbations())
    report = pd.DataFrame(
        {"accuracy_raw": np.linspace(0.1, 0.99, len(names)), "accuracy_preprocessed": 0.9},
        index=pd.Index(names, name="perturbation"),
    )
    X_test = (mnist_test[0][:3, :, :, np.newaxis] / 255.0).astype(np.float32)
    figure = plot_robustness(report, X_test, smoke_parameters(RobustnessParameters))
    bars = figure.axes[0]
    assert [label.get_text() for label in bars.get_yticklabels()] == names
    assert len(bars.patches) == 2 * len(names)
    examples = [ax for ax in figure.axes[1:] if ax.images]
    assert len(examples) == 2 * len(names)  # raw and preprocessed
