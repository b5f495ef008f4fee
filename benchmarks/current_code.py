"""A registered model served with this checkout's code: a model version carries the code
it was logged with (``code_paths``), so a benchmark of the code here logs the version's
network and temperature again, with it, as the champion of a store of its own."""

from __future__ import annotations

from pathlib import Path

import keras
import mlflow
from mlflow.models import Model
from plain_keras import read_mnist

from digit_pipeline.parameters import PackageParameters
from digit_pipeline.project import load_conf


def network_of(model_uri: str) -> tuple[keras.Model, float, keras.Model]:
    """A registered model's Keras networks and calibration temperature, read from its files
    (not by loading its code, which may be of another version of the package): the CNN,
    its temperature, and the line model."""
    folder = Path(mlflow.artifacts.download_artifacts(model_uri))
    flavor = Model.load(folder).flavors["python_function"]
    artifacts = flavor["artifacts"]
    if "line_model" not in artifacts:
        raise SystemExit(f"{model_uri} has no line model (registered before it): run `kedro run`")

    def load(name: str) -> keras.Model:
        return keras.saving.load_model(folder / artifacts[name]["path"], compile=False)

    temperature = float((flavor.get("config") or {}).get("temperature", 1.0))
    return load("keras_model"), temperature, load("line_model")


def with_current_code(model_uri: str, folder: Path) -> dict[str, str]:
    """Log the model's networks and temperature again, with this checkout's code, as the
    champion of a new store in ``folder``; returns the environment that serves it."""
    from digit_pipeline.pipelines.package.nodes import log_and_register_model  # noqa: PLC0415

    network, temperature, line_network = network_of(model_uri)
    # The input example, as the package pipeline draws it: a training digit in [0, 1].
    example = read_mnist("train-images-idx3-ubyte")[:1, :, :, None] / 255.0
    store = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(store)
    experiment = mlflow.create_experiment("current-code", artifact_location=str(folder / "mlruns"))
    with mlflow.start_run(experiment_id=experiment):
        package = PackageParameters.from_conf(load_conf("parameters")["package"])
        version = log_and_register_model(
            network, {"temperature": temperature}, test_metrics={}, own_metrics={},
            example_images=example, params=package, line_model=line_network, line_metrics={},
        )  # fmt: skip
    mlflow.MlflowClient().set_registered_model_alias(
        package.registered_model_name, package.champion_alias, str(version["version"])
    )
    return {"MLFLOW_TRACKING_URI": store}
