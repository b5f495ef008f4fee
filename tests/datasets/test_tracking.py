"""The tags dataset against a real MLflow store in a temporary directory."""

import mlflow
import pytest
from kedro.io import DatasetError

from digit_pipeline.datasets.tracking import MlflowTagsDataset


def test_tags_dataset_tags_the_active_run_and_cannot_be_read(tmp_path):
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        dataset = MlflowTagsDataset(prefix="training.")
        dataset.save({"precision": "float32"})  # no active run: nothing to tag, no error
        with mlflow.start_run(experiment_id=mlflow.create_experiment("tags")) as run:
            dataset.save({"precision": "float32", "cpu": "AMD EPYC"})
        tags = mlflow.get_run(run.info.run_id).data.tags
        assert tags["training.precision"] == "float32" and tags["training.cpu"] == "AMD EPYC"
        with pytest.raises(DatasetError, match="write-only"):
            dataset.load()
    finally:
        mlflow.set_tracking_uri(None)
