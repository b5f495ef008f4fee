import numpy as np
import pandas as pd
import pytest

from digit_pipeline.parameters import RobustnessParameters
from digit_pipeline.pipelines.robustness.nodes import plot_robustness, robustness_report
from digit_pipeline.reading.images import to_model_input
from digit_pipeline.testing.project import smoke_parameters, tiny_cnn
from digit_pipeline.training.cnn import class_probabilities
from digit_pipeline.training.perturbations import perturbations


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


def test_robustness_report_reads_each_perturbation_raw_and_prepared(mnist_test):
    model = tiny_cnn()
    X_test, y_test = to_model_input(mnist_test[0][:40]), mnist_test[1][:40]
    report = robustness_report(
        model, X_test, y_test, smoke_parameters(RobustnessParameters, sample=20)
    )
    assert report.index.tolist() == list(perturbations())
    assert report.columns.tolist() == ["accuracy_raw", "accuracy_preprocessed", "not_framed"]
    # The first `sample` digits, unperturbed, are read as the model reads them anywhere.
    plain = np.mean(class_probabilities(model, X_test[:20]).argmax(axis=1) == y_test[:20])
    assert report.loc["none", "accuracy_raw"] == pytest.approx(plain)
    assert report.loc["none", "not_framed"] == 0
    assert ((report >= 0) & (report <= 1)).all().all()
