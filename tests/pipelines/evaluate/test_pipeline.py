import numpy as np
import pytest

import digit_pipeline.training.cnn
from digit_pipeline.datasets.tracking import as_metric_history
from digit_pipeline.parameters import EvaluateParameters, SplitParameters
from digit_pipeline.pipelines.evaluate.nodes import (
    classification_report,
    classify_digits,
    confusion_table,
    plot_confusion_matrix,
    plot_misclassified,
    split_metrics,
    with_own_training_count,
)
from digit_pipeline.pipelines.evaluate.pipeline import create_pipeline
from digit_pipeline.reading.images import to_model_input
from digit_pipeline.testing.project import smoke_parameters, tiny_cnn

TEST = SplitParameters(name="test", digits="test digits")
OWN = SplitParameters(name="own", digits="own digits (held out)")

# Four test digits; the model gets the 3 wrong (reads it as an 8, 70% sure).
Y_TRUE = np.array([0, 1, 2, 3])


@pytest.fixture
def probabilities():
    p = np.full((4, 10), 0.01)
    for row, digit in enumerate([0, 1, 2]):
        p[row, digit] = 0.91
    p[3, 8], p[3, 3] = 0.70, 0.22
    return p


def test_split_metrics_by_hand(probabilities):
    metrics = split_metrics(Y_TRUE, probabilities, TEST)
    assert metrics["test_accuracy"] == 0.75
    assert metrics["test_errors"] == 1 and metrics["test_count"] == 4
    # Cross-entropy: the mean of -log p(true digit).
    assert metrics["test_loss"] == pytest.approx(-(3 * np.log(0.91) + np.log(0.22)) / 4)
    assert set(metrics) == {
        "test_count",
        "test_loss",
        "test_accuracy",
        "test_macro_f1",
        "test_errors",
    }


def test_metrics_reject_mismatched_inputs(probabilities):
    with pytest.raises(ValueError, match="3 labels but 4 predictions"):
        split_metrics(Y_TRUE[:3], probabilities, TEST)
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
    figure = plot_confusion_matrix(matrix, TEST)
    assert "3 of 4 right" in figure.axes[0].get_title()
    assert sum(text.get_text() == "1" for text in figure.axes[0].texts) == 4


def test_plot_misclassified_shows_the_mistakes(probabilities):
    images = np.zeros((4, 28, 28, 1), dtype=np.float32)
    params = smoke_parameters(EvaluateParameters, misclassified_to_show=10, misclassified_columns=5)
    figure = plot_misclassified(images, Y_TRUE, probabilities, params, TEST)
    captions = [text.get_text() for text in figure.axes[0].texts]
    assert captions == ["3→8 (70%)"]
    assert "1 of 4" in figure.get_suptitle()


def test_classify_digits_reads_in_batches(mnist_test, monkeypatch):
    model = tiny_cnn()
    X_test = to_model_input(mnist_test[0][:50])
    monkeypatch.setattr(digit_pipeline.training.cnn, "CNN_BATCH", 16)
    probabilities = classify_digits(model, X_test)
    assert probabilities.shape == (50, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(probabilities, model.predict_on_batch(X_test), atol=1e-6)


def test_test_metrics_are_logged_one_step_each(probabilities):
    history = as_metric_history(split_metrics(Y_TRUE, probabilities, TEST))
    assert set(history) == {
        "test_count",
        "test_loss",
        "test_accuracy",
        "test_macro_f1",
        "test_errors",
    }
    assert history["test_accuracy"] == [{"step": 0, "value": 0.75}]


def test_own_metrics_count_the_own_digits_and_measure_them_when_there_are_any(probabilities):
    metrics = with_own_training_count(split_metrics(Y_TRUE, probabilities, OWN), np.arange(7))
    assert metrics["own_count"] == 4.0 and metrics["own_train_count"] == 7.0
    assert metrics["own_accuracy"] == 0.75
    none = with_own_training_count(
        split_metrics(np.zeros(0, int), np.zeros((0, 10)), OWN), np.zeros(0, int)
    )
    assert none == {"own_count": 0.0, "own_train_count": 0.0}
    assert set(as_metric_history(none)) == {"own_count", "own_train_count"}


def test_figures_show_the_digits_or_say_there_are_none(probabilities):
    params = smoke_parameters(EvaluateParameters)
    images = np.zeros((4, 28, 28, 1), np.float32)
    matrix = plot_confusion_matrix(confusion_table(Y_TRUE, probabilities), OWN)
    assert matrix.axes[0].get_title() == "Confusion matrix on own digits (held out) (3 of 4 right)"
    grid = plot_misclassified(images, Y_TRUE, probabilities, params, OWN)
    assert "Misclassified own digits (held out): 1 of 4" in grid.texts[0].get_text()
    none, no_probabilities = np.zeros(0, int), np.zeros((0, 10))
    assert classification_report(none, no_probabilities)["support"].sum() == 0
    for figure in (
        plot_confusion_matrix(confusion_table(none, no_probabilities), OWN),
        plot_misclassified(images[:0], none, no_probabilities, params, OWN),
    ):
        assert "No digits here yet" in figure.axes[0].texts[0].get_text()


def test_one_modular_pipeline_measures_the_test_set_and_the_own_digits():
    """The same nodes under the namespaces test and own, each on its own split, each
    named by its own parameters, writing the catalog's datasets."""
    nodes = create_pipeline().nodes
    by_namespace = {
        space: sorted(n.name.split(".", 1)[1] for n in nodes if n.namespace == space)
        for space in ("test", "own")
    }
    assert by_namespace["test"] == by_namespace["own"] and len(by_namespace["test"]) == 7
    inputs = {n.namespace: set(n.inputs) for n in nodes if n.name.endswith("metrics_node")}
    assert inputs["test"] >= {"y_test", "test.split_parameters"}
    assert inputs["own"] >= {"y_own_test", "own.split_parameters"}
    assert {"test_metrics", "own_split_metrics", "own_metrics"} <= set(
        create_pipeline().all_outputs()
    )
