"""What MLflow's registry holds about a version: the champion, its metrics, and how it
reads the person's held-out own digits, alone and written in rows."""

import numpy as np
from mlflow import MlflowClient

from digit_pipeline.reading.errors import InvalidInput
from digit_pipeline.reading.items import ImageFile
from digit_pipeline.reading.pyfunc import load_reader
from digit_pipeline.training.lines import LineMaker

# Rows of the held-out own digits that a new version must read no worse than the champion.
OWN_ROWS = 50


OWN_ROWS_SEED = 0


def own_accuracy_of(model_uri: str, X_own: np.ndarray, y_own: np.ndarray) -> float:
    """How many of the own digits a registered model reads right."""
    probabilities = load_reader(model_uri).recognizer.probabilities(list(X_own[..., 0]))
    return float(np.mean(probabilities.argmax(axis=1) == y_own))


def own_rows_exact(
    model_uri: str, X_own: np.ndarray, y_own: np.ndarray, rows: int = OWN_ROWS
) -> float:
    """The share of ``rows`` rows of 3-8 held-out own digits (written on white, as a scan
    gives them, the same rows for every version) that a registered model reads exactly."""
    reader = load_reader(model_uri)
    maker = LineMaker(X_own, y_own, fonts=[])
    rng = np.random.default_rng(OWN_ROWS_SEED)
    written = np.unique(y_own)
    right = 0
    for _ in range(rows):
        text = "".join(str(d) for d in rng.choice(written, int(rng.integers(3, 9))))
        line = maker.line(rng, text=text, spacing="apart", clean=True)
        try:
            (reading,) = reader.read([ImageFile(line.png())])
        except InvalidInput:
            continue
        right += reading.digit_string == text
    return right / rows


def test_accuracy_of(client: MlflowClient, model_version) -> float:
    """A registered version's test accuracy: its LoggedModel's metric, else its run's
    (versions logged before the metrics were on the model), else its tag, else NaN."""
    model_id = logged_model_id(model_version)
    metrics = (
        {m.key: m.value for m in client.get_logged_model(model_id).metrics or []}
        if model_id
        else {}
    )
    if "test_accuracy" not in metrics and model_version.run_id:
        metrics = client.get_run(model_version.run_id).data.metrics
    value = metrics.get("test_accuracy", model_version.tags.get("test_accuracy"))
    return float(value) if value is not None else float("nan")


def logged_metric(client: MlflowClient, model_version, key: str) -> float | None:
    """A metric on a version's LoggedModel, or None."""
    model_id = logged_model_id(model_version)
    if model_id is None:
        return None
    metrics = {m.key: m.value for m in client.get_logged_model(model_id).metrics or []}
    return metrics.get(key)


def logged_model_id(model_version) -> str | None:
    """The LoggedModel behind a registered version. MLflow's SQL store leaves
    ``ModelVersion.model_id`` empty; the version's ``source`` is ``models:/<model id>``."""
    if getattr(model_version, "model_id", None):
        return model_version.model_id
    source = model_version.source or ""
    return source.removeprefix("models:/") if source.startswith("models:/m-") else None


def current_champion(client: MlflowClient, name: str, alias: str):
    """The model version the alias points at, or None."""
    aliases = client.get_registered_model(name).aliases
    return client.get_model_version(name, aliases[alias]) if alias in aliases else None
