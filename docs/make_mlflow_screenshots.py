"""Make docs/mlflow_version.png and docs/mlflow_model.png, the README's pictures of what
the MLflow UI shows of a registered model: `kedro run -e smoke` in a copy of the project
with a store of its own, `mlflow server` on that store, and the real Chromium on the
model version's page (description, schema) and on its logged model's page (metrics and
the datasets they were measured on, the input example among the artifacts).

    python docs/make_mlflow_screenshots.py      # from the project root, after `make test`
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from mlflow import MlflowClient
from playwright.sync_api import Page, sync_playwright

from digit_pipeline.testing.browser import CHROMIUM, CHROMIUM_ARGS
from digit_pipeline.testing.project import copy_project
from digit_pipeline.testing.servers import free_port, running_server

ROOT = Path(__file__).resolve().parents[1]

MODEL_NAME = "digit-classifier"


def close_assistant(page: Page) -> None:
    """The assistant's side panel takes a third of the page."""
    close = page.get_by_label("Close", exact=True)
    if close.count() and close.first.is_visible():
        close.first.click()


def version_page(page: Page, url: str) -> None:
    page.set_viewport_size({"width": 1300, "height": 1350})  # the app scrolls inside
    page.goto(f"{url}/#/models/{MODEL_NAME}/versions/1")
    page.get_by_text("Trained by run").wait_for(timeout=60_000)
    close_assistant(page)
    for part in ("Inputs (1)", "Outputs (1)"):
        page.get_by_text(part, exact=True).click()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ROOT / "docs" / "mlflow_version.png"))


def model_page(page: Page, url: str, experiment_id: str, model_id: str) -> None:
    page.set_viewport_size({"width": 1300, "height": 900})
    page.goto(f"{url}/#/experiments/{experiment_id}/models/{model_id}")
    page.get_by_text("test_accuracy").first.wait_for(timeout=60_000)
    close_assistant(page)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ROOT / "docs" / "mlflow_model.png"))
    page.get_by_text("Artifacts", exact=True).click()
    page.get_by_text("serving_input_example.json").click()
    page.get_by_text('"inputs"').first.wait_for(timeout=30_000)
    page.screenshot(path=str(ROOT / "docs" / "mlflow_example.png"))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = copy_project(Path(folder))
        store = f"sqlite:///{project / 'mlflow.db'}"
        env = {**os.environ, "MLFLOW_TRACKING_URI": store, "KEDRO_DISABLE_TELEMETRY": "1",
               "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}  # fmt: skip
        kedro = str(Path(sys.executable).parent / "kedro")
        subprocess.run([kedro, "run", "-e", "smoke"], cwd=project, env=env, check=True)

        client = MlflowClient(store)
        version = client.get_model_version(MODEL_NAME, "1")
        model_id = version.source.removeprefix("models:/")
        experiment_id = client.get_run(version.run_id).info.experiment_id

        port = free_port()
        mlflow = str(Path(sys.executable).parent / "mlflow")
        command = [mlflow, "server", "--backend-store-uri", store,
                   "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        with running_server(command, port, "/health", env=env, cwd=project), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            version_page(page, url)
            model_page(page, url, experiment_id, model_id)
            browser.close()


if __name__ == "__main__":
    main()
