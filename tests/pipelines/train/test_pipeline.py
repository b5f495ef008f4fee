import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from digit_pipeline.datasets.tracking import as_metric_history
from digit_pipeline.parameters import (
    PreprocessParameters,
    TrainParameters,
)
from digit_pipeline.pipelines.preprocess.nodes import split_validation
from digit_pipeline.pipelines.train.nodes import plot_learning_curves, train_model
from digit_pipeline.testing.project import smoke_parameters
from digit_pipeline.training import hardware

# A small CNN, two epochs: enough to see it learn in seconds.
PARAMS = smoke_parameters(
    TrainParameters,
    seed=7,
    conv_blocks=[[8], [16]],
    dense_units=32,
    learning_rate=0.003,
    epochs=2,
    early_stopping_patience=2,
    verbose=0,
)


@pytest.fixture(scope="module")
def small_split(mnist_train):
    images, labels = mnist_train
    params = smoke_parameters(PreprocessParameters, seed=0, validation_size=0.25)
    return split_validation(images[:1200], labels[:1200], params)


def test_train_model_learns_real_digits(small_split):
    model, history, trained_on = train_model(*small_split, PARAMS)
    assert model.output_shape == (None, 10)
    assert history.index.name == "epoch" and history.index.tolist() == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(history.columns)
    # Each epoch timed; the first step is part of its epoch.
    assert (history["epoch_seconds"] > history["first_step_seconds"]).all()
    assert (history["first_step_seconds"] > 0).all()
    # auto resolved for this machine, and the machine described.
    machine = hardware.detect()
    assert trained_on["precision"] == hardware.resolve_precision("auto", machine)
    assert trained_on["device"] == "CPU" and trained_on["cpu"] == machine.cpu
    # Cosine schedule: the peak rate first, half of it half-way (epoch 2 of 2).
    assert history["learning_rate"].tolist() == pytest.approx([0.003, 0.0015])
    # Two short epochs on 900 images: far better than the 10% of guessing.
    assert history["val_accuracy"].iloc[-1] > 0.6
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]


def test_train_model_is_reproducible_with_a_seed(small_split):
    params = PARAMS.model_copy(update={"epochs": 1})
    first, _, _ = train_model(*small_split, params)
    second, _, _ = train_model(*small_split, params)
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_plot_learning_curves_draws_both_splits_and_the_epoch_times():
    history = pd.DataFrame(
        {
            "loss": [0.5, 0.3],
            "accuracy": [0.8, 0.9],
            "val_loss": [0.4, 0.35],
            "val_accuracy": [0.85, 0.88],
            "epoch_seconds": [30.0, 75.0],
            "first_step_seconds": [3.0, 48.0],
        },
        index=pd.RangeIndex(1, 3, name="epoch"),
    )
    figure = plot_learning_curves(history)
    assert isinstance(figure, Figure)
    loss_ax, accuracy_ax, seconds_ax = figure.axes
    assert [line.get_label() for line in loss_ax.lines] == ["training", "validation"]
    assert accuracy_ax.lines[1].get_ydata().tolist() == [0.85, 0.88]
    assert seconds_ax.lines[1].get_ydata().tolist() == [3.0, 48.0]
    # A history without timings (an older run's CSV) still draws its two panels.
    untimed = plot_learning_curves(history.drop(columns=["epoch_seconds", "first_step_seconds"]))
    assert len(untimed.axes) == 2


def test_training_history_becomes_one_mlflow_step_per_epoch():
    history = pd.DataFrame({"loss": [0.5, 0.3], "val_accuracy": [0.85, 0.88]})
    assert as_metric_history(history) == {
        "loss": [{"step": 0, "value": 0.5}, {"step": 1, "value": 0.3}],
        "val_accuracy": [{"step": 0, "value": 0.85}, {"step": 1, "value": 0.88}],
    }
    assert as_metric_history({"test_accuracy": np.float32(0.5)}) == {
        "test_accuracy": [{"step": 0, "value": 0.5}]
    }


def test_trained_in_other_writers_styles_the_saved_cnn_is_plain_keras(small_split):
    style = PARAMS.augmentation.model_copy(update={"slant": 0.3, "aspect": 0.25, "elastic": 1.0})
    params = PARAMS.model_copy(update={"augmentation": style, "everyday_forms": 0.3})
    model, history, _ = train_model(*small_split, params)
    # Learnt through the slanted, widened, bent and re-formed digits...
    assert history["val_accuracy"].iloc[-1] > 0.5
    # ...and saved without them: only Keras's own layers, inactive at inference.
    kinds = {
        type(layer).__module__.split(".")[0] for layer in model.get_layer("augmentation").layers
    }
    assert kinds == {"keras"}
