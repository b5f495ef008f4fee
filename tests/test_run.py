"""End to end: `kedro run -e smoke` in a copy of the project, through a real KedroSession,
with kedro-mlflow logging to a temporary sqlite MLflow store."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient

from .conftest import CHAMPION, EXPERIMENT, copy_project, kedro_run, tracking_uri

MODEL_NAME, ALIAS = CHAMPION.removeprefix("models:/").split("@")


def _champion(client: MlflowClient) -> str | None:
    return client.get_registered_model(MODEL_NAME).aliases.get(ALIAS)


def _versions(client: MlflowClient) -> set[str]:
    return {v.version for v in client.search_model_versions(f"name='{MODEL_NAME}'")}


def test_smoke_run_logs_everything_and_registers_a_champion(smoke_project):
    project, run = smoke_project
    client = MlflowClient(tracking_uri(project))
    assert client.get_experiment(run.info.experiment_id).name == EXPERIMENT
    assert run.info.status == "FINISHED"

    metrics = run.data.metrics
    assert 0.5 <= metrics["test_accuracy"] <= 1.0
    assert {"test_loss", "test_macro_f1", "val_accuracy", "val_loss", "loss"} <= set(metrics)
    assert [m.step for m in client.get_metric_history(run.info.run_id, "val_loss")] == [0]
    assert (
        run.data.params["train.epochs"] == "1"
        and run.data.params["preprocess.train_subset"] == "2000"
    )
    # What it trained on: precision auto resolved, the device, the CPU and its flags.
    assert run.data.params["train.precision"] == "auto"
    assert run.data.tags["training.precision"] in ("float32", "mixed_bfloat16")
    assert run.data.tags["training.device"] == "CPU" and run.data.tags["training.cpu"]
    assert "epoch_seconds" in metrics and "first_step_seconds" in metrics

    artifacts = {
        a.path
        for folder in ("data", "training", "evaluation", "registry")
        for a in client.list_artifacts(run.info.run_id, folder)
    }
    assert {
        "evaluation/confusion_matrix.png",
        "evaluation/confusion_matrix.csv",
        "evaluation/classification_report.csv",
        "evaluation/misclassified.png",
        "training/learning_curves.png",
        "data/sample_digits.png",
        "evaluation/robustness.csv",
        "evaluation/robustness.png",
        "evaluation/calibration.json",
        "evaluation/reliability.png",
        "registry/champion_decision.json",
    } <= artifacts
    assert {"test_ece", "test_ece_calibrated", "temperature", "val_ece"} <= set(metrics)
    robustness = pd.read_csv(
        project / "data" / "08_reporting" / "robustness.csv", index_col="perturbation"
    )
    assert len(robustness) == 12 and robustness.loc["none", "accuracy_raw"] > 0.5
    # An inverted digit (dark on white) is far from MNIST; the preprocessing turns it back.
    inverted = robustness.loc["inverted"]
    assert inverted["accuracy_raw"] < 0.5 < inverted["accuracy_preprocessed"]
    # The temperature is kept only if it lowers the validation ECE.
    if metrics["temperature"] != 1.0:
        assert metrics["val_ece_scaled"] < metrics["val_ece"]
    # Artifacts live in the store's ./mlruns, beside the sqlite file, as real PNG files.
    local_png = Path(client.download_artifacts(run.info.run_id, "evaluation/confusion_matrix.png"))
    assert local_png.read_bytes().startswith(b"\x89PNG")
    assert run.info.artifact_uri.startswith(str(project / "mlruns"))

    versions = client.search_model_versions(f"name='{MODEL_NAME}'")
    assert [v.run_id for v in versions] == [run.info.run_id]
    assert _champion(client) == versions[0].version
    assert run.data.tags["champion.decision"] == "promoted"
    assert (project / "data" / "08_reporting" / "confusion_matrix.png").exists()


def test_worse_run_is_registered_but_does_not_move_the_champion(smoke_project):
    client = MlflowClient(tracking_uri(smoke_project[0]))
    champion = _champion(client)
    # A learning rate of 0 never learns: about one digit in ten right. The floor is
    # lowered so that only the comparison with the champion can stop it.
    run = kedro_run(
        smoke_project[0], {"train": {"learning_rate": 0.0}, "package": {"min_test_accuracy": 0.0}}
    )
    assert run.info.status == "FINISHED"
    assert run.data.metrics["test_accuracy"] < 0.5
    assert _champion(client) == champion
    assert run.data.tags["champion.decision"] == "not promoted"
    assert "does not beat the champion" in run.data.tags["champion.reason"]
    assert any(
        v.run_id == run.info.run_id for v in client.search_model_versions(f"name='{MODEL_NAME}'")
    )


def test_run_failing_in_train_leaves_the_registry_alone(smoke_project):
    client = MlflowClient(tracking_uri(smoke_project[0]))
    champion, versions = _champion(client), _versions(client)
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        kedro_run(smoke_project[0], {"train": {"epochs": 0}})
    failed = client.get_run(kedro_run.last.info.run_id)
    assert failed.info.status == "FAILED"
    assert "test_accuracy" not in failed.data.metrics
    assert _champion(client) == champion
    assert _versions(client) == versions


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
