"""Nodes of the package pipeline: the trained model goes into MLflow's model registry,
and the champion alias moves to it only when it is better.

These nodes talk to MLflow (the active run that kedro-mlflow opened, and the registry);
the decision itself is pure (``champion``), what the registry holds is read in
``registry``.
"""

import io
import logging
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import keras
import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from PIL import Image

import digit_pipeline
from digit_pipeline.parameters import PackageParameters
from digit_pipeline.pipelines.package.champion import (
    decide_promotion,
    lines_no_worse,
    version_description,
)
from digit_pipeline.pipelines.package.registry import (
    current_champion,
    logged_metric,
    own_accuracy_of,
    own_rows_exact,
    test_accuracy_of,
)
from digit_pipeline.reading.pyfunc import DigitClassifier

logger = logging.getLogger(__name__)

# What the served model needs, pinned to what trained it (not inferred: MLflow's
# inference loads the model again).
SERVING_PACKAGES = (
    "mlflow",
    "tensorflow",
    "keras",
    "numpy",
    "pydantic",
    "pillow",
    "scipy",
    "opencv-python-headless",
)
# The reader travels with the model, so that it loads where the project is not installed:
# the package's __init__ and its `reading` subpackage, nothing else (no generators, GUI or
# training code).
PACKAGE_DIR = Path(digit_pipeline.__file__).parent
SERVED_CODE = ("__init__.py", "reading")


def log_and_register_model(
    model: keras.Model,
    calibration: dict[str, float],
    test_metrics: dict[str, float],
    own_metrics: dict[str, float],
    *,
    line_model: keras.Model,
    line_metrics: dict[str, float],
    example_images: np.ndarray,
    params: PackageParameters,
    training_history: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Log the model to the active MLflow run, as a pyfunc that reads image files and
    28x28 pixel arrays (``digit_pipeline.reading.pyfunc``), with an input example, and
    its test metrics on it (the model's page and ``mlflow.search_logged_models`` show
    them); register it as a new version.

    Args:
        model: The trained Keras model.
        calibration: The calibrate pipeline's, with the ``temperature`` that the served
            model applies to its probabilities.
        test_metrics, own_metrics: The evaluate pipeline's.
        example_images: (N, 28, 28, 1) in [0, 1]: the first, drawn as a small image, is
            the model's input example.
        params: ``registered_model_name``.
        training_history: One row per epoch trained: the model is the run's output at
            the step after the last. MLflow puts every metric of the run logged at the
            model's step on the model too; the per-epoch ones and the nodes' times are at
            step 0 onwards, before it.

        line_model, line_metrics: The train_lines pipeline's: the line model goes into
            the same model version (artifact ``line_model``), its metrics on the
            LoggedModel beside the CNN's.

    Returns:
        ``name``, ``version``, ``run_id``, ``model_uri`` and ``model_id`` (the LoggedModel)
        of the new model version.
    """
    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("no active MLflow run: run the package pipeline through `kedro run`")
    with tempfile.TemporaryDirectory() as folder:
        keras_path = Path(folder) / "digit_cnn.keras"
        model.save(keras_path)
        artifacts = {
            "keras_model": str(keras_path),
            "line_model": str(Path(folder) / "line_model.keras"),
        }
        line_model.save(artifacts["line_model"])
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=DigitClassifier(),
            artifacts=artifacts,
            code_paths=[str(served_code(Path(folder)))],
            model_config={"temperature": calibration["temperature"]},
            # With its inference parameter (the params schema): {"errors": "item"} reads
            # each item on its own, as a batch wants it.
            input_example=([{"image": example_image(example_images[0])}], {"errors": "request"}),
            pip_requirements=[f"{package}=={version(package)}" for package in SERVING_PACKAGES],
            registered_model_name=params.registered_model_name,
            step=0 if training_history is None else len(training_history),
        )
    # On the model, each with the data split that it measures (logged by DatasetLineageHook).
    inputs = run_inputs(run.info.run_id)
    mlflow.log_metrics(test_metrics, model_id=info.model_id, dataset=inputs.get("test"))
    mlflow.log_metrics(own_metrics, model_id=info.model_id, dataset=inputs.get("own"))
    mlflow.log_metrics(line_metrics, model_id=info.model_id)
    registered = {
        "name": params.registered_model_name,
        "version": int(info.registered_model_version),
        "run_id": run.info.run_id,
        "model_uri": info.model_uri,
        "model_id": info.model_id,
    }
    logger.info("Registered %s version %s", registered["name"], registered["version"])
    return registered


def run_inputs(run_id: str) -> dict[str, Any]:
    """The datasets a run logged as inputs, by their context (``training``, ``test``...)."""
    return {
        tag.value: item.dataset
        for item in MlflowClient().get_run(run_id).inputs.dataset_inputs
        for tag in item.tags
        if tag.key == "mlflow.data.context"
    }


def example_image(digit: np.ndarray) -> bytes:
    """A PNG of the digit as a person writes it: dark ink on white, twice MNIST's size."""
    ink = np.squeeze(digit, axis=-1) if digit.ndim == 3 else digit
    paper = Image.fromarray(np.uint8(np.round(255 * (1 - np.clip(ink, 0, 1)))))
    file = io.BytesIO()
    paper.resize((2 * paper.width, 2 * paper.height), Image.Resampling.BILINEAR).save(file, "PNG")
    return file.getvalue()


def served_code(folder: Path) -> Path:
    """A copy, in ``folder``, of what the served model needs of the package
    (``SERVED_CODE``): the ``digit_pipeline`` folder that its ``code_paths`` name."""
    package = folder / PACKAGE_DIR.name
    package.mkdir()
    for name in SERVED_CODE:
        source = PACKAGE_DIR / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(source, package / name, ignore=ignore)
        else:
            shutil.copy2(source, package / name)
    return package


def promote_if_better(
    model_version: dict[str, Any],
    test_metrics: dict[str, float],
    params: PackageParameters,
    *,
    line_metrics: dict[str, float],
    own_metrics: dict[str, float] | None = None,
    X_own: np.ndarray | None = None,
    y_own: np.ndarray | None = None,
) -> dict[str, Any]:
    """Point the champion alias at the new version if ``decide_promotion`` says so, and
    record the decision as tags on the run and on the model version, and in the
    version's description (``version_description``).

    Args:
        model_version: What ``log_and_register_model`` returned.
        test_metrics: The evaluate pipeline's metrics, with ``test_accuracy``.
        params: ``registered_model_name``, ``champion_alias``, ``min_test_accuracy``,
            ``mnist_tolerance``.
        own_metrics: ``own_count`` and, when there are own digits, ``own_accuracy``;
            None as none.
        X_own, y_own: The held-out own digits, which the champion reads too, alone and
            written in rows (``own_rows_exact``): a new version must read those rows no
            worse than the champion.
        line_metrics: ``line_exact`` of the validation lines: a version must read at
            least ``min_line_exact`` of them, and no fewer than the champion
            (``lines_no_worse``).

    Returns:
        The decision: ``promoted``, ``reason``, the candidate's and the previous
        champion's version, test accuracy and own accuracy, and the champion version
        afterwards.
    """
    client = MlflowClient()
    name, alias = params.registered_model_name, params.champion_alias
    champion = current_champion(client, name, alias)
    champion_accuracy = test_accuracy_of(client, champion) if champion else None

    candidate_accuracy = test_metrics["test_accuracy"]
    candidate_own = (own_metrics or {}).get("own_accuracy")
    # The champion reads the same held-out own digits now: it may never have seen them.
    champion_own = (
        own_accuracy_of(f"models:/{name}/{champion.version}", X_own, y_own)
        if champion and candidate_own is not None
        else None
    )
    # And rows written in those held-out own digits, read by each version's reader.
    own_rows = (
        tuple(
            own_rows_exact(uri, X_own, y_own)
            for uri in (model_version["model_uri"], f"models:/{name}/{champion.version}")
        )
        if champion_own is not None
        else None
    )
    promoted, reason = decide_promotion(
        candidate_accuracy, champion_accuracy, params.min_test_accuracy,
        own=(candidate_own, champion_own) if champion_own is not None else None,
        mnist_tolerance=params.mnist_tolerance,
    )  # fmt: skip
    if promoted and own_rows is not None and own_rows[0] < own_rows[1]:
        promoted = False
        reason = (
            f"{reason}, but it reads {own_rows[0]:.4f} of the rows of own digits exactly, "
            f"the champion {own_rows[1]:.4f}"
        )
    candidate_lines = line_metrics["line_exact"]
    champion_lines = logged_metric(client, champion, "line_exact") if champion else None
    if promoted:
        promoted, reason = lines_no_worse(
            candidate_lines, champion_lines, reason, params.min_line_exact
        )
    if promoted:
        client.set_registered_model_alias(name, alias, model_version["version"])

    previous_version = int(champion.version) if champion else None
    decision = {
        "promoted": promoted,
        "reason": reason,
        "candidate_version": model_version["version"],
        "candidate_test_accuracy": candidate_accuracy,
        "previous_champion_version": previous_version,
        "previous_champion_test_accuracy": champion_accuracy,
        "candidate_own_accuracy": candidate_own,
        "previous_champion_own_accuracy": champion_own,
        "candidate_own_rows_exact": own_rows[0] if own_rows else None,
        "previous_champion_own_rows_exact": own_rows[1] if own_rows else None,
        "candidate_line_exact": candidate_lines,
        "previous_champion_line_exact": champion_lines,
        "champion_version": model_version["version"] if promoted else previous_version,
    }
    verdict = "promoted" if promoted else "not promoted"
    mlflow.set_tags({f"{alias}.decision": verdict, f"{alias}.reason": reason})
    client.set_model_version_tag(
        name, str(model_version["version"]), "test_accuracy", f"{candidate_accuracy:.4f}"
    )
    client.set_model_version_tag(name, str(model_version["version"]), f"{alias}.decision", verdict)
    if candidate_own is not None:
        client.set_model_version_tag(
            name, str(model_version["version"]), "own_accuracy", f"{candidate_own:.4f}"
        )
    run = client.get_run(model_version["run_id"])
    description = version_description(
        run.info.run_name, run.info.run_id, test_metrics, own_metrics or {},
        decision=decision, alias=alias,
    )  # fmt: skip
    client.update_model_version(name, str(model_version["version"]), description=description)
    if model_version.get("model_id"):  # the logged model's page shows it too
        client.set_logged_model_tags(
            model_version["model_id"], {"mlflow.note.content": description}
        )
    logger.info(
        "%s version %s %s as %s: %s", name, model_version["version"], verdict, alias, reason
    )
    return decision
