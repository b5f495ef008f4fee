"""The project's conf, read outside a Kedro run: the command line, the GUI, the sweep, the
benchmarks and the tests find the registered model and the MLflow experiment where
``kedro run`` does, in ``conf/`` (``globals.yml``, ``mlflow.yml``)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from kedro.config import OmegaConfigLoader
from kedro.utils import find_kedro_project

from digit_pipeline.settings import CONFIG_LOADER_ARGS

# The source checkout this package was installed from (an editable install).
CHECKOUT = Path(__file__).resolve().parents[2]


def project_root() -> Path:
    """The Kedro project around the working directory, else this package's checkout."""
    root = find_kedro_project(Path.cwd()) or CHECKOUT
    if not (root / "conf" / "base").is_dir():
        raise FileNotFoundError(f"no conf/base in {root}: run from the digit-pipeline project")
    return root


def load_conf(kind: str, env: str | None = None, root: Path | None = None) -> dict[str, Any]:
    """One kind of the project's conf (``globals``, ``mlflow``, ``spark``, ``parameters``...),
    merged over ``env`` as ``kedro run --env`` does, from the project at ``root``
    (default: ``project_root()``)."""
    with warnings.catch_warnings():  # Kedro's own use of a deprecated OmegaConf call
        warnings.filterwarnings("ignore", "register_new_resolver", UserWarning)
        patterns = {"mlflow": ["mlflow*", "mlflow*/**"], **CONFIG_LOADER_ARGS["config_patterns"]}
        loader = OmegaConfigLoader(
            conf_source=str((root or project_root()) / "conf"),
            env=env,
            **{**CONFIG_LOADER_ARGS, "config_patterns": patterns},
        )
        return loader[kind]


def registered_model(root: Path | None = None) -> tuple[str, str]:
    """The registered model's name and its champion alias, from ``conf/base/globals.yml``."""
    conf = load_conf("globals", root=root)
    return conf["registered_model_name"], conf["champion_alias"]


def own_digits_folder(root: Path | None = None) -> Path:
    """Where your own digits are kept, from ``conf/base/globals.yml`` (the catalog's
    ``own_digits``), relative to the project root."""
    return Path(load_conf("globals", root=root)["own_digits_dir"])


def champion_uri(root: Path | None = None) -> str:
    """``models:/<registered model>@<champion alias>``."""
    name, alias = registered_model(root)
    return f"models:/{name}@{alias}"


def experiment_name(root: Path | None = None) -> str:
    """The MLflow experiment of ``kedro run``, from ``conf/base/mlflow.yml``."""
    return load_conf("mlflow", root=root)["tracking"]["experiment"]["name"]
