"""All the training pipelines wired together, run on an in-memory catalog of real MNIST digits,
inside a real MLflow run on a temporary store (the package nodes log and register)."""

import re
from pathlib import Path

import mlflow
import pytest
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner
from matplotlib.figure import Figure
from mlflow import MlflowClient

from digit_pipeline.datasets.own_digits import OwnDigits
from digit_pipeline.pipeline_registry import register_pipelines
from digit_pipeline.testing.project import CHAMPION_ALIAS, MODEL_NAME, PROJECT_ROOT, smoke_conf


def test_pipelines_are_registered_in_order():
    pipelines = register_pipelines()
    assert set(pipelines) == {
        "ingest",
        "preprocess",
        "train",
        "train_lines",
        "evaluate",
        "robustness",
        "calibrate",
        "package",
        "__default__",
        "predict",
        "predict_spark",
    }
    for batch in ("predict", "predict_spark"):
        assert not set(pipelines[batch].nodes) & set(pipelines["__default__"].nodes)
    names = [node.name for node in pipelines["__default__"].nodes]  # topologically sorted
    assert names.index("validate_train_split_node") < names.index("train_model_node")
    assert names.index("train_model_node") < names.index("test.metrics_node")
    assert names.index("test.metrics_node") < names.index("promote_if_better_node")
    assert names.index("train_line_model_node") < names.index("log_and_register_model_node")


@pytest.mark.slow  # trains one short epoch
def test_default_pipeline_on_an_in_memory_catalog(mlflow_store, tmp_path, mnist_train, mnist_test):
    catalog = DataCatalog()
    catalog["train_images_raw"], catalog["train_labels_raw"] = (
        mnist_train[0][:3000],
        mnist_train[1][:3000],
    )
    catalog["test_images_raw"], catalog["test_labels_raw"] = mnist_test
    catalog["own_digits"] = OwnDigits(tmp_path / "own_digits").load()  # none kept
    conf = smoke_conf()
    # From the project's root, as `kedro run` finds it: this test runs elsewhere.
    lines = conf["train_lines"]
    lines["initial_model"] = str(PROJECT_ROOT / lines["initial_model"])
    for section, block in conf.items():
        catalog[f"params:{section}"] = block
        for key, value in block.items():  # as a Kedro context adds them: params:test.split
            catalog[f"params:{section}.{key}"] = value

    with mlflow.start_run() as run:
        outputs = SequentialRunner().run(register_pipelines()["__default__"], catalog)
    results = {name: dataset.load() for name, dataset in outputs.items()}

    assert set(results) == {
        "class_counts",
        "sample_digits_plot",
        "learning_curves_plot",
        "training_metrics",
        "training_hardware",
        "test_metrics_mlflow",
        "classification_report",
        "confusion_matrix_plot",
        "misclassified_plot",
        "robustness_plot",
        "calibration_metrics",
        "reliability_plot",
        "own_metrics_mlflow",
        "own_classification_report",
        "own_confusion_matrix_plot",
        "own_misclassified_plot",
        "line_learning_curves_plot",
        "misread_lines_plot",
        "line_training_metrics",
        "line_metrics_mlflow",
        "champion_decision",
    }
    assert (
        results["class_counts"]["train"].sum() == 3000
        and results["class_counts"]["test"].sum() == 10000
    )
    assert all(isinstance(results[name], Figure) for name in results if name.endswith("_plot"))
    assert results["training_hardware"]["device"] == "CPU"
    assert results["training_hardware"]["precision"] in ("float32", "mixed_bfloat16")
    assert len(results["training_metrics"]["val_loss"]) == 1  # one epoch
    assert len(results["line_training_metrics"]["line_val_exact"]) == 1  # and the line model's
    accuracy = results["test_metrics_mlflow"]["test_accuracy"][0]["value"]
    assert accuracy > 0.5
    calibration = {
        name: history[0]["value"] for name, history in results["calibration_metrics"].items()
    }
    assert calibration["test_ece_calibrated"] <= calibration["test_ece"] + 0.02

    decision = results["champion_decision"]
    assert decision["promoted"] and decision["candidate_test_accuracy"] == accuracy
    client = MlflowClient()
    aliases = client.get_registered_model(MODEL_NAME).aliases
    assert aliases == {CHAMPION_ALIAS: decision["champion_version"]}
    assert client.get_run(run.info.run_id).data.tags["champion.decision"] == "promoted"


def test_every_node_has_a_test():
    """Each node's function is named in its pipeline's tests (the parameter checks in
    tests/test_parameters.py)."""
    tests = Path(__file__).parent
    untested = []
    for name, pipeline in register_pipelines().items():
        if name == "__default__":
            continue
        folder = tests / "pipelines" / name
        text = "".join(path.read_text() for path in folder.glob("test_*.py"))
        text += (tests / "test_parameters.py").read_text()
        named = set(re.findall(r"\w+", text))
        untested += [node.name for node in pipeline.nodes if node.func.__name__ not in named]
    assert not untested
