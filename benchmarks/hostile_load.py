"""Memory and latency of a server under concurrent worst-case requests (issue #13).

    python benchmarks/hostile_load.py --target gui   [--clients 16]
    python benchmarks/hostile_load.py --target serve [--clients 16] [--request many-digits]
                                                     [--as-logged]

Starts `digit-pipeline app` or `mlflow models serve` of the champion on 127.0.0.1, then
--clients threads each send one request at the same moment. ``worst-image`` (the default):
an upload of the worst image that the limits let through (a 4096x4096 RGBA PNG of one
stroke, the pixel limit; 6324x6324, 40 MP, before issue #43). ``many-digits`` (serve): as many image files as a request may
hold, 1,000, each a row of 8 MNIST test digits (8,000 digits; 2.7 MB of JSON). Meanwhile, an ordinary
request (a 280x280 drawing of a one) is sent every second. Prints the answers' status
codes and latency (p50, max), the ordinary requests' latency during the burst, and the
server's resident memory: idle, at its peak, and 5 s after.

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

import numpy as np
import requests
from PIL import Image, ImageDraw

from digit_pipeline.project import champion_uri
from digit_pipeline.testing.images import worst_image
from digit_pipeline.testing.servers import (
    digit_pipeline_app,
    listening_pid,
    memory_mb,
    mlflow_models_serve,
)
from digit_pipeline.training.hardware import describe, detect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from current_code import with_current_code  # noqa: E402


def ordinary_image() -> bytes:
    """A 280x280 drawing of a one, as the GUI's pad sends it."""
    image = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(image).line([(140, 40), (140, 240)], fill=0, width=18)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def gui_upload(image: bytes):
    """A request to the GUI: the image as an upload."""
    return lambda url: requests.post(
        f"{url}/api/predict", files={"file": ("x.png", image)}, timeout=300
    )


def serve_items(images: list[bytes]):
    """A request to the served model: the images as ``image`` items of one body."""
    body = json.dumps({"inputs": [{"image": base64.b64encode(i).decode()} for i in images]})
    headers = {"Content-Type": "application/json"}
    return lambda url: requests.post(f"{url}/invocations", data=body, headers=headers, timeout=300)


def strips_of_mnist_digits(count: int = 1_000, per_strip: int = 8) -> list[bytes]:
    """MNIST test digits written in rows, dark on light, as PNG files: ``count`` images of
    ``per_strip`` distinct digits each."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from plain_keras import read_mnist  # noqa: PLC0415

    digits = read_mnist("t10k-images-idx3-ubyte")
    pngs = []
    for start in range(0, count * per_strip, per_strip):
        row = np.concatenate([digits[(start + k) % len(digits)] for k in range(per_strip)], axis=1)
        buffer = io.BytesIO()
        Image.fromarray(np.pad(255 - row, 4, constant_values=255)).save(buffer, "PNG")
        pngs.append(buffer.getvalue())
    return pngs


def burst(send, url: str, clients: int, ordinary) -> tuple[list, list]:
    """Every client sends one request at the same moment, and an ordinary request goes
    every second until they are answered: (status, seconds) of each."""
    start = threading.Barrier(clients + 1)
    answers: list[tuple[int | str, float]] = []
    ordinary_answers: list[tuple[int | str, float]] = []

    def timed(request, into: list) -> None:
        began = time.perf_counter()
        try:
            status = request(url).status_code
        except requests.RequestException as error:
            status = type(error).__name__
        into.append((status, time.perf_counter() - began))

    def client() -> None:
        start.wait()
        timed(send, answers)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    while any(thread.is_alive() for thread in threads):
        time.sleep(1)
        timed(ordinary, ordinary_answers)
    return answers, ordinary_answers


def summary(answers: list) -> str:
    seconds = [elapsed for _, elapsed in answers]
    return (
        f"{dict(Counter(status for status, _ in answers))}, "
        f"p50 {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s"
    )


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=["gui", "serve"], required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--request", choices=["worst-image", "many-digits"], default="worst-image")
    parser.add_argument("--model-uri", default=champion_uri())
    parser.add_argument("--as-logged", action="store_true", help="serve the model's own code")
    return parser


def main() -> None:
    args = argument_parser().parse_args()

    with tempfile.TemporaryDirectory(prefix="hostile-load-") as folder:
        env = None if args.as_logged else with_current_code(args.model_uri, Path(folder))
        served = args.model_uri if args.as_logged else champion_uri()
        if args.target == "gui":
            server = digit_pipeline_app(env, "--model-uri", served)
            send, ordinary = gui_upload(worst_image()), gui_upload(ordinary_image())
        else:
            server = mlflow_models_serve(served, env)
            images = [worst_image()] if args.request == "worst-image" else strips_of_mnist_digits()
            send, ordinary = serve_items(images), serve_items([ordinary_image()])
        with server as address:
            url = address if args.target == "gui" else f"http://127.0.0.1:{address}"
            pid = listening_pid(int(url.rsplit(":", 1)[1]))
            idle = memory_mb(pid)["rss"]
            answers, ordinary_answers = burst(send, url, args.clients, ordinary)
            time.sleep(5)
            settled = memory_mb(pid)

    cpu = describe(detect(), "-")
    print(f"{args.target}, {args.clients} clients at once, {args.request} requests")
    print(f"CPU: {cpu['cpu']}; flags: {cpu['cpu_flags']}")
    print(f"their answers: {summary(answers)}")
    print(f"ordinary requests meanwhile, one a second: {summary(ordinary_answers)}")
    print(f"memory: idle {idle:,.0f} MB, peak {settled['peak']:,.0f} MB, "
          f"5 s after {settled['rss']:,.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
