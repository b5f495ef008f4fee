"""Memory and latency of a server under concurrent worst-case uploads (issue #13).

    python benchmarks/hostile_load.py --target gui   [--clients 16] [--copies 1]
    python benchmarks/hostile_load.py --target serve [--clients 16] [--copies 1] [--as-logged]

Starts `digit-pipeline app` or `mlflow models serve` of the champion on 127.0.0.1, then
--clients threads each send one request at the same moment: an upload of the worst image
that the limits let through (a 6324x6324 RGBA PNG of one stroke: 40 MP, 189 KB), --copies
times in one request for `serve`. Prints the answers' status codes, their latency (p50,
max), the server's peak and settled resident memory, and the latency of an ordinary
one-digit request right after the burst.

A registered model carries the project's code as it was when the model was logged. So
that `serve` measures this checkout's code, the champion's network and temperature are
first logged again with it, into a temporary MLflow store; ``--as-logged`` serves the
champion as it is.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import mlflow
import requests
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support import (  # noqa: E402  (the tests' server helpers)
    digit_pipeline_app,
    listening_pid,
    memory_mb,
    mlflow_models_serve,
    worst_image,
)


def ordinary_image() -> bytes:
    """A 280x280 drawing of a one, as the GUI's pad sends it."""
    image = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(image).line([(140, 40), (140, 240)], fill=0, width=18)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def gui_request(url: str, image: bytes, copies: int) -> requests.Response:
    return requests.post(f"{url}/api/predict", files={"file": ("x.png", image)}, timeout=300)


def serve_request(url: str, image: bytes, copies: int) -> requests.Response:
    item = {"image": base64.b64encode(image).decode()}
    body = json.dumps({"inputs": [item] * copies})
    headers = {"Content-Type": "application/json"}
    return requests.post(f"{url}/invocations", data=body, headers=headers, timeout=300)


def with_current_code(model_uri: str, folder: Path) -> dict[str, str]:
    """Log the model's network and temperature again, with this checkout's code, as the
    champion of a new store in ``folder``; returns the environment that serves it."""
    from digit_pipeline.pipelines.package.nodes import log_and_register_model  # noqa: PLC0415

    reader = mlflow.pyfunc.load_model(model_uri).unwrap_python_model().reader
    store = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(store)
    experiment = mlflow.create_experiment("hostile-load", artifact_location=str(folder / "mlruns"))
    with mlflow.start_run(experiment_id=experiment):
        version = log_and_register_model(
            reader.model, {"temperature": reader.temperature},
            {"registered_model_name": "digit-classifier"},
        )  # fmt: skip
    mlflow.MlflowClient().set_registered_model_alias(
        "digit-classifier", "champion", str(version["version"])
    )
    return {"MLFLOW_TRACKING_URI": store}


def burst(send, url: str, image: bytes, clients: int, copies: int) -> list[tuple[int, float]]:
    """Every client sends one request at the same moment: (status, seconds) of each."""
    start = threading.Barrier(clients)
    answers: list[tuple[int, float]] = []

    def client() -> None:
        start.wait()
        began = time.perf_counter()
        try:
            status = send(url, image, copies).status_code
        except requests.RequestException as error:
            status = type(error).__name__
        answers.append((status, time.perf_counter() - began))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=["gui", "serve"], required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--copies", type=int, default=1, help="images per request (serve)")
    parser.add_argument("--model-uri", default="models:/digit-classifier@champion")
    parser.add_argument("--as-logged", action="store_true", help="serve the model's own code")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hostile-load-") as folder:
        if args.target == "gui":
            server, send = digit_pipeline_app(), gui_request
        else:
            env = None if args.as_logged else with_current_code(args.model_uri, Path(folder))
            server, send = (
                mlflow_models_serve("models:/digit-classifier@champion", env),
                serve_request,
            )
        image = worst_image()
        with server as address:
            url = address if args.target == "gui" else f"http://127.0.0.1:{address}"
            pid = listening_pid(int(url.rsplit(":", 1)[1]))
            idle = memory_mb(pid)["rss"]
            answers = burst(send, url, image, args.clients, args.copies)
            time.sleep(5)
            settled = memory_mb(pid)
            began = time.perf_counter()
            after = send(url, ordinary_image(), 1)
            ordinary_ms = (time.perf_counter() - began) * 1e3

    seconds = [elapsed for _, elapsed in answers]
    print(f"{args.target}: {args.clients} clients, {args.copies} x {len(image):,} B PNG "
          f"(6324x6324 RGBA) per request")  # fmt: skip
    print(f"answers: {dict(Counter(status for status, _ in answers))}")
    print(f"latency: p50 {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s")
    print(f"memory: idle {idle:,.0f} MB, peak {settled['peak']:,.0f} MB, "
          f"5 s after {settled['rss']:,.0f} MB")  # fmt: skip
    print(f"then one ordinary drawing: HTTP {after.status_code} in {ordinary_ms:.0f} ms")


if __name__ == "__main__":
    main()
