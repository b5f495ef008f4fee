"""The train_lines pipeline's nodes, with a small line model on lines of real MNIST digits."""

import keras
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from digit_pipeline.datasets.tracking import as_metric_history
from digit_pipeline.parameters import TrainLinesParameters, TrainParameters
from digit_pipeline.pipelines.train_lines.nodes import (
    evaluate_line_model,
    line_history_metrics,
    plot_line_learning_curves,
    train_line_model,
)
from digit_pipeline.reading.images.strip import STRIP_HEIGHT
from digit_pipeline.reading.line_reader import NUM_LABELS
from digit_pipeline.testing.project import smoke_parameters, tiny_cnn
from digit_pipeline.training.cnn import build_cnn
from digit_pipeline.training.line_model import build_line_model, line_batch, start_from
from digit_pipeline.training.lines import LineMaker

PARAMS = smoke_parameters(
    TrainLinesParameters, seed=3, recurrent_units=8, precision="float32",
    epochs=2, steps_per_epoch=6, batch_size=8, validation_lines=12, verbose=0,
    initial_model=None,  # every run's starts from a full-sized model: a design of its own
)  # fmt: skip


@pytest.fixture(scope="module")
def trained(mnist_train):
    images, labels = mnist_train
    cnn = tiny_cnn()
    model, history = train_line_model(
        images[:1000], labels[:1000], images[1000:1300], labels[1000:1300], PARAMS, cnn=cnn
    )
    return model, history, cnn


def test_train_line_model_learns_from_lines_made_on_the_fly(trained, mnist_train):
    model, history, cnn = trained
    assert model.output_shape == (None, None, NUM_LABELS)
    assert model.dtype_policy.name == "float32"
    assert list(history.index) == [1, 2]
    assert {"loss", "val_exact", "val_cer", "epoch_seconds"} <= set(history.columns)
    # CTC's loss falls from the start, long before a line is read right: on the same
    # lines, below the loss of the model before training.
    images, labels = mnist_train
    maker = LineMaker(images[1000:1300], labels[1000:1300])
    lines = line_batch([maker.line(np.random.default_rng(index), digits=4) for index in range(16)])
    untrained = build_line_model(PARAMS, cnn)
    assert model.evaluate(*lines, verbose=0) < untrained.evaluate(*lines, verbose=0)
    assert history["val_exact"].between(0, 1).all()


def test_the_front_is_the_cnn_s_its_first_block_kept(trained):
    model, _, cnn = trained
    conv = [layer for layer in cnn.layers if isinstance(layer, keras.layers.Conv2D)]
    front = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    # The first block (a convolution and the halving one) as the CNN learned it; the rest
    # and the dense layer (a convolution here) learned on from the CNN's weights.
    assert [layer.trainable for layer in front] == [False, False, True, True, True]
    for copy, original in zip(front[:2], conv[:2], strict=True):
        assert np.array_equal(copy.get_weights()[0], original.get_weights()[0])
    assert not np.array_equal(front[2].get_weights()[0], conv[2].get_weights()[0])
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and not any(layer.trainable for layer in norms)


def test_a_cnn_that_does_not_halve_twice_is_refused():
    params = smoke_parameters(TrainLinesParameters, recurrent_units=4, precision="float32")
    one_block = smoke_parameters(
        TrainParameters, conv_blocks=[[4]], dense_units=8, precision="float32"
    )
    with pytest.raises(ValueError, match="halves its input twice"):
        build_line_model(params, build_cnn(one_block, for_training=False))


def test_a_strip_of_any_width_gives_a_step_per_four_columns(trained):
    model, _, _ = trained
    for width in (48, 160):
        assert model.predict_on_batch(np.zeros((1, STRIP_HEIGHT, width, 1), np.float32)).shape == (
            1, width // 4, NUM_LABELS,
        )  # fmt: skip


def test_evaluate_line_model_measures_the_validation_lines(trained, mnist_train):
    images, labels = mnist_train
    metrics, figure = evaluate_line_model(trained[0], images[1000:1300], labels[1000:1300], PARAMS)
    assert set(metrics) == {"line_exact", "line_cer"}
    assert 0 <= metrics["line_exact"] <= 1 and metrics["line_cer"] >= 0
    assert isinstance(figure, Figure)


def test_the_line_curves_are_plotted_and_logged_under_their_own_names(trained):
    _, history, _ = trained
    assert isinstance(plot_line_learning_curves(history), Figure)
    logged = line_history_metrics(history)
    assert "line_loss" in logged and "line_val_exact" in logged
    assert [step["step"] for step in logged["line_loss"]] == [0, 1]


def test_a_saved_line_model_loads_without_the_package(trained, tmp_path):
    path = tmp_path / "line_model.keras"
    trained[0].save(path)
    loaded = keras.saving.load_model(path, compile=False)
    strips = np.random.default_rng(0).random((2, STRIP_HEIGHT, 64, 1)).astype(np.float32)
    assert np.allclose(loaded.predict_on_batch(strips), trained[0].predict_on_batch(strips))


def test_training_starts_from_a_saved_line_model_of_the_same_design(trained, tmp_path):
    model, _, cnn = trained
    path = tmp_path / "line_model.keras"
    model.save(path)
    fresh = build_line_model(PARAMS, cnn)
    start_from(fresh, str(path))
    assert all(np.array_equal(a, b) for a, b in zip(fresh.get_weights(), model.get_weights()))
    smaller = build_line_model(PARAMS.model_copy(update={"recurrent_units": 4}), cnn)
    with pytest.raises(ValueError, match="not a saved line model of this design"):
        start_from(smaller, str(path))
    with pytest.raises(ValueError, match="not a saved line model"):
        start_from(fresh, str(tmp_path / "missing.keras"))


def test_history_is_a_table_per_epoch(trained):
    assert isinstance(trained[1], pd.DataFrame) and trained[1].index.name == "epoch"


def test_the_line_metrics_are_logged_as_one_step_each():
    logged = as_metric_history({"line_exact": 0.97, "line_cer": 0.004})
    assert logged["line_exact"] == [{"step": 0, "value": 0.97}]
