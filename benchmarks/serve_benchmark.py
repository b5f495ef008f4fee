"""Latency and throughput of the served model through `mlflow models serve`, next to the
stock `mlflow.keras` flavour of the same network served the same way.

    python benchmarks/serve_benchmark.py [--model-uri models:/<model>@<alias>]
    python benchmarks/serve_benchmark.py --kernels AVX2 --skip-stock   # as on an AVX2 CPU

The model's network is served with this checkout's code (``current_code``); ``--as-logged``
serves the version with the code it was registered with.

Both servers run on 127.0.0.1 with `--env-manager local`, one at a time, on this machine;
``--kernels`` chooses TensorFlow's CPU kernels in the servers as `epoch_speed.py` does
(``AVX2``: oneDNN capped at AVX2; ``Eigen``: TensorFlow's own kernels, oneDNN off).
Each request body is built once; the client keeps one HTTP connection open. Figures:
single-item latency (p50, p99 over --requests sequential requests, after a warm-up) and
batch throughput (images/s of one request of --batch `pixels` items, median of --repeats).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import mlflow
import numpy as np
from PIL import Image

from digit_pipeline.project import champion_uri
from digit_pipeline.testing.servers import mlflow_models_serve
from digit_pipeline.training.hardware import describe, detect

ROOT = Path(__file__).resolve().parents[1]
from current_code import network_of, with_current_code  # noqa: E402
from epoch_speed import kernel_environment  # noqa: E402
from plain_keras import read_mnist  # noqa: E402


@contextmanager
def served(model_uri: str, env: dict[str, str] | None):
    """An HTTP connection to `mlflow models serve` of the model, kept open."""
    with mlflow_models_serve(model_uri, env) as port:
        yield http.client.HTTPConnection("127.0.0.1", port, timeout=120)


def post(connection: http.client.HTTPConnection, body: bytes) -> float:
    """One request; returns its wall time in seconds."""
    start = time.perf_counter()
    connection.request("POST", "/invocations", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {payload[:300]!r}")
    return elapsed


def latency(connection, body: bytes, requests: int) -> dict[str, float]:
    for _ in range(20):
        post(connection, body)
    times = np.array([post(connection, body) for _ in range(requests)]) * 1000
    return {"p50_ms": float(np.percentile(times, 50)), "p99_ms": float(np.percentile(times, 99))}


def throughput(connection, body: bytes, batch: int, repeats: int) -> float:
    post(connection, body)
    post(connection, body)
    return batch / statistics.median(post(connection, body) for _ in range(repeats))


def test_digits() -> np.ndarray:
    """MNIST's 10,000 test digits, (N, 28, 28) uint8."""
    return read_mnist("t10k-images-idx3-ubyte")


def pixels_request(digits: np.ndarray) -> bytes:
    """The JSON body of one request with a `pixels` item per digit."""
    return json.dumps({"inputs": [{"pixels": digit.tolist()} for digit in digits]}).encode()


def drawing_png(digit: np.ndarray) -> bytes:
    """A digit as a user would draw it: dark ink on a white 280x280 canvas, off-centre."""
    canvas = Image.new("L", (280, 280), 255)
    canvas.paste(
        Image.fromarray(255 - digit).resize((150, 150), Image.Resampling.BILINEAR), (30, 90)
    )
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG")
    return buffer.getvalue()


def line_png(digits: np.ndarray) -> bytes:
    """Digits written in a row, apart, as a scan gives them: dark ink on white, 56 pixels
    high."""
    row = np.concatenate([np.asarray(Image.fromarray(255 - d).resize((48, 56))) for d in digits], 1)
    buffer = io.BytesIO()
    Image.fromarray(np.pad(row, 20, constant_values=255)).save(buffer, "PNG")
    return buffer.getvalue()


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-uri", default=champion_uri())
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--kernels", help="oneDNN, AVX2, AVX512_CORE, ... or Eigen")
    parser.add_argument("--skip-stock", action="store_true", help="only the pyfunc")
    parser.add_argument("--as-logged", action="store_true", help="serve the model's own code")
    return parser


def main() -> None:
    args = argument_parser().parse_args()
    env = kernel_environment(args.kernels) if args.kernels else {}
    folder = tempfile.TemporaryDirectory(prefix="serve-benchmark-")
    served_uri = args.model_uri
    if not args.as_logged:
        env = {**env, **with_current_code(args.model_uri, Path(folder.name))}
        served_uri = champion_uri()

    images = test_digits()
    image_item = {"image": base64.b64encode(drawing_png(images[0])).decode()}
    line_item = {"image": base64.b64encode(line_png(images[:6])).decode()}
    single = {
        "image": json.dumps({"inputs": [image_item]}).encode(),
        "pixels": pixels_request(images[:1]),
        "line": json.dumps({"inputs": [line_item]}).encode(),
    }
    batch_pixels = pixels_request(images[: args.batch])

    def as_tensors(n):
        return json.dumps({"inputs": (images[:n, :, :, None] / 255.0).tolist()}).encode()

    results = {}  # row name: {p50_ms, p99_ms} or {images_per_s}
    with served(served_uri, env) as connection:
        results["pyfunc: one image file (280x280 PNG)"] = latency(
            connection, single["image"], args.requests
        )
        results["pyfunc: one pixels item"] = latency(connection, single["pixels"], args.requests)
        results["pyfunc: a line of 6 digits (PNG)"] = latency(
            connection, single["line"], args.requests
        )
        results[f"pyfunc: {args.batch} pixels items in one request"] = {
            "images_per_s": throughput(connection, batch_pixels, args.batch, args.repeats)
        }

    if not args.skip_stock:
        # The stock flavour of the same network: the pyfunc's Keras model, saved with mlflow.keras.
        network, *_ = network_of(args.model_uri)
        with tempfile.TemporaryDirectory() as stock_folder:
            stock_path = Path(stock_folder) / "stock_keras"
            mlflow.keras.save_model(network, str(stock_path))
            with served(str(stock_path), env) as connection:
                results["stock mlflow.keras: one 28x28x1 tensor"] = latency(
                    connection, as_tensors(1), args.requests
                )
                results[f"stock mlflow.keras: {args.batch} tensors in one request"] = {
                    "images_per_s": throughput(
                        connection, as_tensors(args.batch), args.batch, args.repeats
                    )
                }

    tags = describe(detect(), "-")
    print(
        f"\nCPU: {tags['cpu']}; flags: {tags['cpu_flags']}; server kernels: {args.kernels or 'default'}"
    )
    print(f"\n{'served model: request':50s} {'p50 ms':>8s} {'p99 ms':>8s} {'images/s':>9s}")
    for name, figures in results.items():
        cells = [f"{figures[key]:.1f}" if key in figures else "" for key in ("p50_ms", "p99_ms")]
        rate = f"{figures['images_per_s']:.0f}" if "images_per_s" in figures else ""
        print(f"{name:50s} {cells[0]:>8s} {cells[1]:>8s} {rate:>9s}")


if __name__ == "__main__":
    main()
