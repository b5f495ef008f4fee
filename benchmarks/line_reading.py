"""Lines read as lines (issue #42): generated lines of each kind through `mlflow models
serve`, read by the version's line model with this checkout's reader. (The reader before
it, which cut lines into digits, is gone: its figures are in benchmarks/README.md.)

    python benchmarks/line_reading.py --lines 200                 # MNIST's test digits
    python benchmarks/line_reading.py --lines 50 --digits tuning --kinds apart touching

Kinds (``training.lines``): digits apart, touching (0-1 px over each other), overlapping
(1-6 px), numbers with spaces, each generated writer (``generators.writer.HANDS``), each
permitted handwriting font. Each line is an image of dark ink on white paper, one request
each. Per kind: lines read exactly (spaces included), digits read right (in
order, spaces aside), character error rate. Also the line model's size and the seconds
per epoch it trained in (the version's run). ``--digits test`` (MNIST's test file) is for
the final figures; ``tuning``, the validation split, for everything else.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import tempfile
from pathlib import Path

import mlflow
import numpy as np

from digit_pipeline.generators.writer import HANDS, write_in_hand
from digit_pipeline.project import champion_uri
from digit_pipeline.training.fonts import font_files
from digit_pipeline.training.hardware import describe, detect
from digit_pipeline.training.line_model import edit_distance
from digit_pipeline.training.lines import LineMaker, Writer

ROOT = Path(__file__).resolve().parents[1]
from current_code import network_of, with_current_code  # noqa: E402
from plain_keras import read_mnist, training_split  # noqa: E402
from real_world import digits_right  # noqa: E402
from serve_benchmark import served  # noqa: E402

SPACINGS = ("apart", "touching", "overlapping")
SEED = 7


def digits_of(which: str) -> tuple[np.ndarray, np.ndarray]:
    if which == "test":
        return read_mnist("t10k-images-idx3-ubyte"), read_mnist("t10k-labels-idx1-ubyte")
    _, _, X_val, y_val = training_split()
    return (X_val[..., 0] * 255).round().astype(np.uint8), y_val


def kinds(images: np.ndarray, labels: np.ndarray) -> dict:
    """Each kind's line maker and how it writes: ``(maker, options)`` by kind name."""
    mnist = LineMaker(images, labels, font_share=0.0)
    table = {spacing: (mnist, {"spacing": spacing}) for spacing in SPACINGS}
    table["with spaces"] = (mnist, {"spaces": True})
    for name, hand in HANDS.items():
        written = write_in_hand(images, labels, np.random.default_rng(SEED), hand)
        table[f"writer: {name}"] = (LineMaker(written, labels, font_share=0.0), {})
    for font in font_files():
        table[f"font: {font.stem}"] = (mnist, {"font": font})
    return table


def lines_of(maker: LineMaker, options: dict, count: int, seed: int) -> list:
    """``count`` lines of 3-10 digits (with ``spaces``, 2-4 numbers)."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(count):
        digits = int(rng.integers(3, 11))
        text = "".join(str(d) for d in rng.integers(0, 10, digits))
        if options.get("spaces"):
            numbers = int(rng.integers(2, min(4, digits) + 1))
            cuts = sorted(rng.choice(np.arange(1, digits), numbers - 1, replace=False))
            text = " ".join(text[a:b] for a, b in zip([0, *cuts], [*cuts, digits], strict=True))
        writer = Writer.random(rng)
        lines.append(
            maker.line(
                rng,
                text=text,
                spacing=options.get("spacing", "apart"),
                writer=writer,
                font=options.get("font"),
            )  # fmt: skip
        )
    return lines


def read_served(connection: http.client.HTTPConnection, image: bytes) -> str:
    body = json.dumps({"inputs": [{"image": base64.b64encode(image).decode()}]}).encode()
    connection.request("POST", "/invocations", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = response.read()
    if response.status == 400:  # no digit found
        return ""
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {answer[:300]!r}")
    return " ".join(line["text"] for line in json.loads(answer)["predictions"][0]["lines"])


def scores(texts: list[str], read: list[str]) -> dict[str, float]:
    pairs = list(zip(texts, read, strict=True))
    digits = sum(len(t.replace(" ", "")) for t in texts)
    return {
        "exact": float(np.mean([t == r for t, r in pairs])),
        "digits": sum(digits_right(t.replace(" ", ""), r.replace(" ", "")) for t, r in pairs)
        / digits,
        "cer": sum(edit_distance(t, r) for t, r in pairs) / sum(len(t) for t in texts),
    }


def training_figures(model_uri: str) -> str:
    """The line model's parameters and size, and its seconds per epoch (from its run)."""
    _, _, line_model = network_of(model_uri)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "line_model.keras"
        line_model.save(path)
        size = path.stat().st_size / 1e6
    name, alias = model_uri.removeprefix("models:/").split("@")
    version = mlflow.MlflowClient().get_model_version_by_alias(name, alias)
    history = mlflow.MlflowClient().get_metric_history(version.run_id, "line_epoch_seconds")
    seconds = [round(m.value) for m in sorted(history, key=lambda m: m.step)]
    return (
        f"line model: {line_model.count_params():,} parameters, {size:.1f} MB saved; "
        f"seconds per epoch: {seconds}"
    )


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-uri", default=champion_uri())
    parser.add_argument("--digits", choices=["tuning", "test"], default="test")
    parser.add_argument("--lines", type=int, default=200, help="per kind")
    parser.add_argument("--kinds", nargs="*", help="names (or their starts) of kinds to run")
    return parser


def main() -> None:
    args = argument_parser().parse_args()
    cpu = describe(detect(), "-")
    print(f"CPU: {cpu['cpu']} ({cpu['cpu_flags']}); digits: {args.digits}; {args.model_uri}")
    if args.model_uri.startswith("models:/") and "@" in args.model_uri:
        print(training_figures(args.model_uri))
    table = kinds(*digits_of(args.digits))
    if args.kinds:
        table = {k: v for k, v in table.items() if any(k.startswith(w) for w in args.kinds)}
    samples = {
        kind: lines_of(maker, options, args.lines, seed)
        for seed, (kind, (maker, options)) in enumerate(table.items())
    }
    results = {}
    # The model's files, once: serving sets the tracking URI to a store of its own.
    model_files = mlflow.artifacts.download_artifacts(args.model_uri)
    with tempfile.TemporaryDirectory() as folder:
        env = with_current_code(model_files, Path(folder))
        with served(champion_uri(), env) as connection:
            for kind, made in samples.items():
                read = [read_served(connection, line.png()) for line in made]
                results[kind] = scores([line.text for line in made], read)
    print(f"{args.lines} lines per kind, 3-10 digits each, one request each")
    print("| kind | exact | digits | CER |")
    print("|---|---:|---:|---:|")
    for kind in samples:
        cells = [f"{results[kind][key]:.3f}" for key in ("exact", "digits", "cer")]
        print(f"| {kind} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
