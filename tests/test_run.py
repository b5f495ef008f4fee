"""End to end: `kedro run -e smoke` in a copy of the project, through a real KedroSession,
with kedro-mlflow logging to a temporary sqlite MLflow store."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient

from digit_pipeline.parameters import PackageParameters, ParameterError
from digit_pipeline.testing.project import (
    CHAMPION_ALIAS,
    EXPERIMENT,
    LINE_MODEL_START,
    MODEL_NAME,
    PROJECT_ROOT,
    copy_project,
    kedro_run,
    smoke_parameters,
    tracking_uri,
)


def _champion(client: MlflowClient) -> str | None:
    return client.get_registered_model(MODEL_NAME).aliases.get(CHAMPION_ALIAS)


def test_smoke_run_is_one_finished_run_of_the_projects_experiment(smoke_project):
    project, run = smoke_project
    client = MlflowClient(tracking_uri(project))
    assert client.get_experiment(run.info.experiment_id).name == EXPERIMENT
    assert run.info.status == "FINISHED"
    assert run.info.artifact_uri.startswith(str(project / "mlruns"))


def test_smoke_run_logs_its_parameters_and_metrics(smoke_project):
    project, run = smoke_project
    params, metrics = run.data.params, run.data.metrics
    assert params["train.epochs"] == "1" and params["preprocess.train_subset"] == "2000"
    assert 0.5 <= metrics["test_accuracy"] <= 1.0
    assert {"test_loss", "test_macro_f1", "val_accuracy", "val_loss", "loss"} <= set(metrics)
    assert {"test_ece", "test_ece_calibrated", "temperature", "val_ece"} <= set(metrics)
    client = MlflowClient(tracking_uri(project))
    assert [m.step for m in client.get_metric_history(run.info.run_id, "val_loss")] == [0]


def test_smoke_run_trains_a_line_model_that_reads_lines(smoke_project):
    # From the line model every run starts from (data/06_models/line_model_start.keras):
    # four steps from the CNN alone would read every line as blank.
    _, run = smoke_project
    assert run.data.metrics["line_exact"] >= smoke_parameters(PackageParameters).min_line_exact


def test_smoke_run_tags_what_it_trained_on(smoke_project):
    _, run = smoke_project
    assert run.data.params["train.precision"] == "auto"
    assert run.data.tags["training.precision"] in ("float32", "mixed_bfloat16")
    assert run.data.tags["training.device"] == "CPU" and run.data.tags["training.cpu"]
    assert {"epoch_seconds", "first_step_seconds"} <= set(run.data.metrics)


def test_smoke_run_is_named_after_what_it_ran(smoke_project):
    assert smoke_project[1].info.run_name == "default · smoke · seed 42"


def test_smoke_run_logs_the_data_it_read_as_its_inputs(smoke_project):
    _, run = smoke_project
    inputs = {
        item.dataset.name: (item.dataset, {tag.key: tag.value for tag in item.tags})
        for item in run.inputs.dataset_inputs
    }
    assert set(inputs) == {"mnist-train", "mnist-validation", "mnist-test"}  # no own digits
    records = {name: json.loads(d.profile)["features_shape"][0] for name, (d, _) in inputs.items()}
    assert records == {"mnist-train": 1800, "mnist-validation": 200, "mnist-test": 10_000}
    contexts = {name: tags["mlflow.data.context"] for name, (_, tags) in inputs.items()}
    assert contexts == {"mnist-train": "training", "mnist-validation": "validation",
                        "mnist-test": "test"}  # fmt: skip
    test_set, tags = inputs["mnist-test"]
    assert json.loads(test_set.source)["uri"].endswith("t10k-images-idx3-ubyte.gz")
    pinned = yaml.safe_load((PROJECT_ROOT / "conf" / "base" / "catalog.yml").read_text())
    assert tags["source.t10k-labels-idx1-ubyte.gz"] == pinned["test_labels_raw"]["sha256"]
    assert len({d.digest for d, _ in inputs.values()}) == 3


def test_smoke_run_logs_its_tables_and_figures(smoke_project):
    project, run = smoke_project
    client = MlflowClient(tracking_uri(project))
    artifacts = {
        a.path
        for folder in ("data", "training", "evaluation", "figures", "registry")
        for a in client.list_artifacts(run.info.run_id, folder)
    }
    figures = {"sample_digits", "learning_curves", "confusion_matrix", "misclassified"}
    figures |= {"robustness", "reliability"}
    tables = {"evaluation/confusion_matrix.csv", "evaluation/classification_report.csv"}
    tables |= {"evaluation/robustness.csv", "evaluation/calibration.json"}
    tables |= {"registry/champion_decision.json", "data/class_counts.csv"}
    assert {f"figures/{name}.png" for name in figures} | tables <= artifacts
    # Real PNG files in the store's ./mlruns, and beside the project's data.
    local_png = Path(client.download_artifacts(run.info.run_id, "figures/confusion_matrix.png"))
    assert local_png.read_bytes().startswith(b"\x89PNG")
    assert (project / "data" / "08_reporting" / "confusion_matrix.png").exists()


def test_smoke_run_reports_robustness(smoke_project):
    project, _ = smoke_project
    robustness = pd.read_csv(
        project / "data" / "08_reporting" / "robustness.csv", index_col="perturbation"
    )
    assert len(robustness) == 12 and robustness.loc["none", "accuracy_raw"] > 0.5
    # An inverted digit (dark on white) is far from MNIST; image preparation turns it back.
    inverted = robustness.loc["inverted"]
    assert inverted["accuracy_raw"] < 0.5 < inverted["accuracy_preprocessed"]


def test_smoke_run_keeps_a_temperature_only_if_it_helps(smoke_project):
    metrics = smoke_project[1].data.metrics
    if metrics["temperature"] != 1.0:
        assert metrics["val_ece_scaled"] < metrics["val_ece"]
    else:
        assert metrics["val_ece_scaled"] >= metrics["val_ece"]


def test_smoke_run_registers_its_model_as_the_first_champion(smoke_project):
    project, run = smoke_project
    client = MlflowClient(tracking_uri(project))
    versions = client.search_model_versions(f"name='{MODEL_NAME}'")
    assert [v.run_id for v in versions] == [run.info.run_id]
    assert _champion(client) == versions[0].version
    assert run.data.tags[f"{CHAMPION_ALIAS}.decision"] == "promoted"


def test_worse_run_is_registered_but_does_not_move_the_champion(project_with_a_champion):
    client = MlflowClient(tracking_uri(project_with_a_champion))
    champion = _champion(client)
    # A learning rate of 1e-9 does not learn: about one digit in ten right. The floor is
    # lowered so that only the comparison with the champion can stop it.
    run = kedro_run(
        project_with_a_champion,
        {"train": {"learning_rate": 1e-9}, "package": {"min_test_accuracy": 0.0}},
    )
    assert run.info.status == "FINISHED"
    assert run.data.metrics["test_accuracy"] < 0.5
    assert _champion(client) == champion
    assert run.data.tags[f"{CHAMPION_ALIAS}.decision"] == "not promoted"
    assert "does not beat the champion" in run.data.tags[f"{CHAMPION_ALIAS}.reason"]
    assert run.info.run_id in {
        v.run_id for v in client.search_model_versions(f"name='{MODEL_NAME}'")
    }


def test_a_bad_parameter_stops_the_run_at_its_start(tmp_path):
    project = copy_project(tmp_path)
    with pytest.raises(ParameterError, match=r"train\.epochs: .*parameters_train\.yml"):
        kedro_run(project, {"train": {"epochs": 0}})
    failed = MlflowClient(tracking_uri(project)).get_run(kedro_run.last.info.run_id)
    assert failed.info.status == "FAILED"
    assert "loss" not in failed.data.metrics  # no training started
    # Nothing trained or saved: only the line model every run starts from is there.
    assert [path.name for path in (project / "data" / "06_models").iterdir()] == [
        LINE_MODEL_START.name
    ]
    assert not MlflowClient(tracking_uri(project)).search_registered_models()


def test_kedro_command_line_lists_the_pipelines(smoke_project):
    """`make run` calls the `kedro` command itself: it must load the project."""
    kedro = Path(sys.executable).parent / "kedro"
    result = subprocess.run(
        [str(kedro), "registry", "list"], cwd=smoke_project[0], env=os.environ, check=False,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    for name in (
        "__default__", "ingest", "preprocess", "train", "evaluate", "robustness", "calibrate",
        "package", "predict",
    ):  # fmt: skip
        assert f"- {name}" in result.stdout


@pytest.mark.slow
def test_sweep_makes_one_mlflow_run_per_combination(tmp_path):
    project = copy_project(tmp_path)
    command = Path(sys.executable).parent / "digit-pipeline"
    result = subprocess.run(
        [str(command), "sweep", "--env", "smoke", "train.seed=1,2", "train.dropout=0.2"],
        cwd=project, env={**os.environ, "MLFLOW_TRACKING_URI": tracking_uri(project)},
        check=False, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    client = MlflowClient(tracking_uri(project))
    experiment = client.get_experiment_by_name(EXPERIMENT).experiment_id
    runs = sorted(client.search_runs([experiment]), key=lambda run: run.data.params["train.seed"])
    assert [run.data.params["train.seed"] for run in runs] == ["1", "2"]
    assert {run.data.params["train.dropout"] for run in runs} == {"0.2"}
    table = result.stdout[result.stdout.index("| train.seed") :].splitlines()
    assert len(table) == 4  # header, rule, two runs
    for row, run in zip(table[2:], runs, strict=True):
        assert row.startswith(f"| {run.data.params['train.seed']} | 0.2 | {run.info.run_id[:8]} |")
        assert f"{run.data.metrics['test_accuracy']:.4f}" in row
