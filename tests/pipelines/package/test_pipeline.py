"""The package nodes against a real MLflow sqlite store in a temporary directory."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from digit_pipeline.parameters import PackageParameters
from digit_pipeline.pipelines.package.champion import decide_promotion, lines_no_worse
from digit_pipeline.pipelines.package.nodes import log_and_register_model, promote_if_better
from digit_pipeline.pipelines.package.registry import logged_model_id
from digit_pipeline.reading.pyfunc import DigitClassifier
from digit_pipeline.testing.project import (
    PROJECT_ROOT,
    smoke_parameters,
    tiny_cnn,
    trained_line_model,
)
from digit_pipeline.training.calibration import scale_temperature

PARAMS = smoke_parameters(PackageParameters, min_test_accuracy=0.98)
NAME, ALIAS = PARAMS.registered_model_name, PARAMS.champion_alias
CHAMPION = f"models:/{NAME}@{ALIAS}"


@pytest.mark.parametrize(
    "candidate, champion, promoted, reason",
    [
        (0.991, None, True, "reaches the floor and there is no champion yet"),
        (0.975, None, False, "test accuracy 0.9750 is below the floor 0.9800"),
        (0.993, 0.992, True, "beats the champion's 0.9920"),
        (0.992, 0.992, False, "does not beat the champion's 0.9920"),
        (0.985, 0.992, False, "does not beat the champion's 0.9920"),
        (0.999, math.nan, False, "the champion's test accuracy is unknown"),
        (math.nan, None, False, "is not a number"),
    ],
)
def test_decide_promotion(candidate, champion, promoted, reason):
    decision, why = decide_promotion(candidate, champion, min_accuracy=0.98)
    assert decision is promoted
    assert reason in why


# With own digits: (candidate, champion) test accuracy and own accuracy.
@pytest.mark.parametrize(
    "candidate, champion, own, promoted, reason",
    [
        (0.9950, 0.9955, (0.98, 0.95), True, "holds MNIST and reads the own digits"),
        (0.9960, 0.9955, (0.95, 0.95), True, "holds MNIST"),
        (0.9940, 0.9955, (0.99, 0.95), False, "test accuracy falls by more than 0.0010"),
        (0.9960, 0.9955, (0.94, 0.95), False, "reads the own digits worse"),
        (0.9950, 0.9955, (0.95, 0.95), False, "better at neither"),
        (0.9750, 0.9755, (0.99, 0.95), False, "below the floor"),
    ],
)
def test_decide_promotion_with_own_digits(candidate, champion, own, promoted, reason):
    decision, why = decide_promotion(
        candidate, champion, min_accuracy=0.98, own=own, mnist_tolerance=0.001
    )
    assert decision is promoted
    assert reason in why


@pytest.fixture(scope="module")
def tiny_model():
    """An untrained CNN as the train node returns it (Keras's own layers throughout)."""
    return tiny_cnn()


NO_OWN_DIGITS = {"own_count": 0.0, "own_train_count": 0.0}
EXAMPLES = np.zeros((1, 28, 28, 1), np.float32)


def _lines(exact: float) -> dict[str, float]:
    """The train_lines pipeline's metrics of a line model reading ``exact`` of the lines."""
    return {"line_exact": exact, "line_cer": 0.01}


LINES = _lines(0.9)


def _metrics(test_accuracy: float) -> dict[str, float]:
    return {"test_accuracy": test_accuracy, "test_errors": round((1 - test_accuracy) * 10_000)}


def _register(model, test_accuracy: float, temperature: float = 1.0, own=NO_OWN_DIGITS,
              lines=LINES):  # fmt: skip
    """The first package node, as `kedro run` calls it in its active run: the CNN
    ``model`` and a trained line model."""
    return log_and_register_model(
        model, {"temperature": temperature}, _metrics(test_accuracy), own,
        line_model=trained_line_model(), line_metrics=lines, example_images=EXAMPLES,
        params=PARAMS, training_history=pd.DataFrame({"loss": [0.1]}),
    )  # fmt: skip


def _run_package(
    model, test_accuracy: float, temperature: float = 1.0, lines=LINES
) -> tuple[dict, dict, str]:
    """What `kedro run` does: an active run, then both package nodes."""
    with mlflow.start_run() as run:
        version = _register(model, test_accuracy, temperature, lines=lines)
        decision = promote_if_better(version, _metrics(test_accuracy), PARAMS, line_metrics=lines)
    return version, decision, run.info.run_id


def _champion_version(client: MlflowClient) -> int | None:
    aliases = client.get_registered_model(NAME).aliases
    return aliases.get(ALIAS)


def test_champion_moves_only_to_better_models(mlflow_store, tiny_model):
    client = MlflowClient()

    first, decision, run_id = _run_package(tiny_model, 0.990)
    assert first["version"] == 1 and decision["promoted"]
    assert _champion_version(client) == 1
    assert client.get_run(run_id).data.tags["champion.decision"] == "promoted"
    assert client.get_model_version(NAME, "1").tags["test_accuracy"] == "0.9900"

    worse, decision, run_id = _run_package(tiny_model, 0.985)
    assert worse["version"] == 2 and not decision["promoted"]
    assert (
        decision["champion_version"] == 1 and decision["previous_champion_test_accuracy"] == 0.990
    )
    assert _champion_version(client) == 1
    assert "does not beat" in client.get_run(run_id).data.tags["champion.reason"]

    better, decision, _ = _run_package(tiny_model, 0.995)
    assert decision["promoted"] and decision["previous_champion_version"] == 1
    assert _champion_version(client) == better["version"] == 3


def test_a_version_must_read_the_validation_lines_no_worse_than_the_champion(
    mlflow_store, tiny_model
):
    client = MlflowClient()
    first, decision, _ = _run_package(tiny_model, 0.990, lines=_lines(0.95))
    assert decision["promoted"]
    artifacts = Path(mlflow.artifacts.download_artifacts(first["model_uri"])) / "artifacts"
    assert {path.name for path in artifacts.iterdir()} == {"digit_cnn.keras", "line_model.keras"}
    # Better on MNIST, worse on lines: not promoted; the reason says why.
    _, decision, _ = _run_package(tiny_model, 0.995, lines=_lines(0.90))
    assert not decision["promoted"] and "validation lines" in decision["reason"]
    assert decision["previous_champion_line_exact"] == 0.95
    better, decision, _ = _run_package(tiny_model, 0.995, lines=_lines(0.96))
    assert decision["promoted"] and _champion_version(client) == better["version"]


def test_a_line_model_below_the_floor_never_makes_a_champion(mlflow_store, tiny_model):
    version, decision, _ = _run_package(tiny_model, 0.995, lines=_lines(PARAMS.min_line_exact / 2))
    assert version["version"] == 1 and not decision["promoted"]  # registered all the same
    assert "below the floor" in decision["reason"] and _champion_version(MlflowClient()) is None


def test_a_version_without_a_line_model_is_refused_with_a_reason(
    mlflow_store, tiny_model, tmp_path
):
    """A version registered before the line model holds the CNN alone: loaded with this
    code, it says so rather than reading lines some other way."""
    tiny_model.save(tmp_path / "digit_cnn.keras")
    info = mlflow.pyfunc.log_model(
        name="model", python_model=DigitClassifier(),
        artifacts={"keras_model": str(tmp_path / "digit_cnn.keras")},
    )  # fmt: skip
    with pytest.raises(MlflowException, match="no line model"):
        mlflow.pyfunc.load_model(info.model_uri)


@pytest.mark.parametrize(
    ("candidate", "champion", "promoted"),
    [
        (0.9, None, True),
        (0.9, 0.9, True),
        (0.89, 0.9, False),
        (0.9, math.nan, True),  # a champion never measured on lines
        (0.4, None, False),  # below the floor
        (math.nan, None, False),
    ],
)
def test_lines_no_worse(candidate, champion, promoted):
    assert lines_no_worse(candidate, champion, "MNIST ok", floor=0.5)[0] is promoted


def test_the_test_metrics_are_on_the_logged_model_and_the_gate_reads_them(mlflow_store, tiny_model):
    client = MlflowClient()
    first, _, run_id = _run_package(tiny_model, 0.990)
    version = client.get_model_version(NAME, "1")
    assert logged_model_id(version) == first["model_id"]
    assert version.source == f"models:/{first['model_id']}"  # model_id itself is empty here
    (logged,) = mlflow.search_logged_models(
        filter_string="metrics.test_accuracy > 0.98", output_format="list"
    )
    assert logged.model_id == first["model_id"]
    assert {m.key: m.value for m in logged.metrics} == {**_metrics(0.990), **NO_OWN_DIGITS, **LINES}
    # The run's metric and the version's tag say otherwise now: the gate reads the model's.
    client.log_metric(run_id, "test_accuracy", 0.5)
    client.delete_model_version_tag(NAME, "1", "test_accuracy")
    _, decision, _ = _run_package(tiny_model, 0.985)
    assert decision["previous_champion_test_accuracy"] == 0.990 and not decision["promoted"]


def test_each_version_describes_what_trained_it_and_the_decision(mlflow_store, tiny_model):
    client = MlflowClient()
    _, _, run_id = _run_package(tiny_model, 0.990)
    _run_package(tiny_model, 0.985)
    first, second = (client.get_model_version(NAME, v).description for v in ("1", "2"))
    assert run_id in first and "Test accuracy **0.9900** (100 mistakes)" in first
    assert "**Became @champion** (there was none before)" in first
    assert "**Did not become @champion** (the champion was version 1)" in second
    assert "does not beat the champion's 0.9900" in second


def test_the_champion_is_measured_on_the_same_own_digits(mlflow_store, tiny_model, mnist_test):
    client = MlflowClient()
    _run_package(tiny_model, 0.990)
    images, labels = mnist_test
    X_own, y_own = images[:50, :, :, np.newaxis] / 255.0, labels[:50]
    champion_reads = np.argmax(tiny_model(X_own, training=False), axis=1) == y_own
    with mlflow.start_run():
        version = _register(tiny_model, 0.9895)
        decision = promote_if_better(
            version, _metrics(0.9895), PARAMS, line_metrics=LINES,
            own_metrics={"own_count": 50.0, "own_accuracy": 1.0}, X_own=X_own, y_own=y_own,
        )  # fmt: skip
    assert decision["previous_champion_own_accuracy"] == pytest.approx(champion_reads.mean())
    # Rows of the same held-out own digits, read by each version's reader: the same
    # network reads the same rows alike, so the new version reads them no worse.
    rows = decision["candidate_own_rows_exact"], decision["previous_champion_own_rows_exact"]
    assert rows[0] == rows[1] and 0 <= rows[0] <= 1
    assert decision["promoted"] and _champion_version(client) == 2  # within 0.1 point
    assert client.get_model_version(NAME, "2").tags["own_accuracy"] == "1.0000"
    assert "own digits **1.0000** on 50 held out" in client.get_model_version(NAME, "2").description


def test_first_model_below_the_floor_is_registered_but_not_champion(mlflow_store, tiny_model):
    version, decision, _ = _run_package(tiny_model, 0.5)
    assert version["version"] == 1 and not decision["promoted"]
    assert _champion_version(MlflowClient()) is None


def test_registered_champion_loads_and_predicts(mlflow_store, tiny_model, mnist_test):
    _run_package(tiny_model, 0.99, temperature=2.0)
    model = mlflow.pyfunc.load_model(CHAMPION)
    digit = mnist_test[0][0]
    predictions = model.predict([{"pixels": digit.tolist()}] * 3)
    assert len(predictions) == 3
    assert len(predictions[0]["probabilities"]) == 10
    assert sum(predictions[0]["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    # The served probabilities are the network's, calibrated with the run's temperature.
    raw = np.asarray(tiny_model(digit[np.newaxis, :, :, np.newaxis] / 255.0, training=False))
    np.testing.assert_allclose(
        predictions[0]["probabilities"], scale_temperature(raw, 2.0)[0], rtol=1e-4, atol=1e-6
    )
    requirements = mlflow.pyfunc.get_model_dependencies(CHAMPION)
    with open(requirements) as file:
        pinned = file.read()
    assert "tensorflow==" in pinned and "keras==" in pinned


# Run in a new process, where the project's package is not importable: only the model's
# own code (its code_paths) can read the image.
FRESH_PROCESS = """
import base64, importlib.util, json, sys
sys.path = [entry for entry in sys.path if entry != sys.argv[1]]
assert importlib.util.find_spec("digit_pipeline") is None, "the project is importable"
import mlflow
model = mlflow.pyfunc.load_model(sys.argv[2])
import digit_pipeline
(prediction,) = model.predict([{"image": base64.b64encode(open(sys.argv[3], "rb").read()).decode()}])
print(json.dumps({
    "package": digit_pipeline.__file__,
    "generators": importlib.util.find_spec("digit_pipeline.generators") is not None,
    "prediction": prediction,
}))
"""


def test_the_model_ships_the_reader_alone_and_reads_in_a_new_process(
    mlflow_store, tiny_model, tmp_path
):
    _run_package(tiny_model, 0.99)
    model_folder = Path(mlflow.artifacts.download_artifacts(CHAMPION))
    shipped = model_folder / "code" / "digit_pipeline"
    assert sorted(path.name for path in shipped.iterdir()) == ["__init__.py", "reading"]
    names = {path.name for path in shipped.rglob("*")}
    assert {"predictor.py", "prepare.py", "pyfunc.py"} <= names
    assert not names & {"photos.py", "writer.py", "generators", "app", "pipelines", "sweep.py"}

    image = tmp_path / "7210.jpg"
    image.write_bytes((PROJECT_ROOT / "docs" / "samples" / "7210.jpg").read_bytes())
    source = str(PROJECT_ROOT / "src")
    answer = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, source, CHAMPION, str(image)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False,
        env={**os.environ, "MLFLOW_TRACKING_URI": mlflow_store},
    )  # fmt: skip
    assert answer.returncode == 0, answer.stderr[-2000:]
    found = json.loads(answer.stdout.strip().splitlines()[-1])
    assert Path(found["package"]).parts[-3] == "code"  # <model>/code/digit_pipeline/__init__.py
    assert not found["generators"]
    assert found["prediction"]["digits"] == "7210"  # read by the line model
    assert len(found["prediction"]["probabilities"]) == 10


def test_log_and_register_needs_an_active_run(mlflow_store, tiny_model):
    with pytest.raises(RuntimeError, match="no active MLflow run"):
        _register(tiny_model, 0.99)
