"""How well the registered model reads photographs of handwriting (issue #15): generated
single digits, rows and 2-6-line sheets (``digit_pipeline.generators.photos``), each read whole.

    python benchmarks/real_world.py                       # in this process, tuning digits
    python benchmarks/real_world.py --serve               # through `mlflow models serve`
    python benchmarks/real_world.py --digits test --serve # final measurement only

``--digits``: ``tuning`` and ``holdout`` are two halves of the validation split of MNIST's
training file (digits the model never trained on), with different image seeds; ``test`` is
MNIST's test file, for the final figures only. Per kind: images read exactly (every digit,
lines in order), digits read right (aligned with difflib, so one missed digit costs one),
and images per second (one request per image when served); and the ceiling: images whose
every digit the model reads right in MNIST's own 28x28 form. The model's network is read
by this checkout's code, in process or served (``current_code``); ``--save`` keeps what was
read of every image, to compare two versions image by image.
"""

from __future__ import annotations

import argparse
import base64
import difflib
import http.client
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from digit_pipeline.generators.photos import KINDS, DigitPool, Sample, make_image
from digit_pipeline.generators.writer import HANDS, write_in_hand
from digit_pipeline.project import champion_uri
from digit_pipeline.training.hardware import describe, detect

ROOT = Path(__file__).resolve().parents[1]
from current_code import network_of, with_current_code  # noqa: E402
from plain_keras import read_mnist, training_split  # noqa: E402
from serve_benchmark import served  # noqa: E402

SEEDS = {"tuning": 0, "holdout": 1, "test": 2}


def digit_pool(which: str, writer: str = "MNIST") -> DigitPool:
    """MNIST's digits of ``which`` split, as MNIST has them or rewritten in one of
    ``writer.HANDS``."""
    if which == "test":
        images, labels = read_mnist("t10k-images-idx3-ubyte"), read_mnist("t10k-labels-idx1-ubyte")
    else:
        _, _, X_val, y_val = training_split()
        half = slice(0, len(y_val) // 2) if which == "tuning" else slice(len(y_val) // 2, None)
        images, labels = (X_val[..., 0] * 255).round().astype(np.uint8)[half], y_val[half]
    if writer != "MNIST":
        written = write_in_hand(images, labels, np.random.default_rng(SEEDS[which]), HANDS[writer])
        images = (written * 255).round().astype(np.uint8)
    return DigitPool(images, labels)


def digits_right(truth: str, read: str) -> int:
    """Digits of ``truth`` read right, in order (line breaks are not digits)."""
    truth, read = truth.replace("\n", ""), read.replace("\n", "")
    matcher = difflib.SequenceMatcher(None, truth, read, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def score(samples: list[Sample], readings: list[str], known: np.ndarray) -> dict[str, float]:
    """Images read exactly, digits read right, and the ceiling: images whose every digit
    the CNN reads right as it is in MNIST (``known``: per pool digit), what a perfect
    preparation of the photograph would reach."""
    total = sum(len(s.text.replace("\n", "")) for s in samples)
    return {
        "ceiling": float(np.mean([known[list(s.sources)].all() for s in samples])),
        "exact": float(np.mean([s.text == r for s, r in zip(samples, readings, strict=True)])),
        "per_digit": sum(digits_right(s.text, r) for s, r in zip(samples, readings, strict=True))
        / total,
    }


def known_digits(reader, pool: DigitPool) -> np.ndarray:
    """Whether the model reads each of the pool's digits right as MNIST has it."""
    probabilities = reader.recognizer.probabilities(list(pool.images / 255.0))
    return probabilities.argmax(axis=1) == pool.labels


def read_in_process(reader):
    from digit_pipeline.reading.errors import InvalidInput  # noqa: PLC0415
    from digit_pipeline.reading.items import ImageFile  # noqa: PLC0415

    def read(sample: Sample) -> str:
        try:
            return reader.read([ImageFile(sample.data)])[0].digit_string
        except InvalidInput:  # no digit found: read as nothing
            return ""

    return read


def read_served(connection: http.client.HTTPConnection):
    def read(sample: Sample) -> str:
        item = {"image": base64.b64encode(sample.data).decode()}
        body = json.dumps({"inputs": [item]}).encode()
        # A connection per request: the server may close one after an error.
        fresh = http.client.HTTPConnection(connection.host, connection.port, timeout=120)
        fresh.request("POST", "/invocations", body, {"Content-Type": "application/json"})
        response = fresh.getresponse()
        answer = response.read()
        if response.status == 400:  # no digit found: read as nothing
            return ""
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {answer[:300]!r}")
        return json.loads(answer)["predictions"][0]["digits"]

    return read


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-uri", default=champion_uri())
    parser.add_argument("--digits", choices=list(SEEDS), default="tuning")
    parser.add_argument("--images", type=int, default=200, help="per kind")
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=list(KINDS))
    parser.add_argument("--writer", choices=["MNIST", *HANDS], default="MNIST")
    parser.add_argument("--serve", action="store_true", help="through mlflow models serve")
    parser.add_argument("--failures", type=Path, help="write misread images here")
    parser.add_argument("--save", type=Path, help="write what was read of each image (JSON)")
    return parser


def main() -> None:
    args = argument_parser().parse_args()

    pool = digit_pool(args.digits, args.writer)
    cpu = describe(detect(), "-")
    print(
        f"CPU: {cpu['cpu']} ({cpu['cpu_flags']}); digits: {args.digits}, {args.writer} writer;"
        f" {args.model_uri}"
    )
    from digit_pipeline.reading.predictor import Reader  # noqa: PLC0415
    from digit_pipeline.reading.recognizer import Recognizer  # noqa: PLC0415

    # The model's network and temperature with this checkout's reader, as it is served.
    reader = Reader(Recognizer(*network_of(args.model_uri)))
    known = known_digits(reader, pool)
    print(
        "| kind | images | read exactly | digits right | images/s | ceiling |\n"
        "|---|---:|---:|---:|---:|---:|"
    )

    readings_of: dict[str, list[str]] = {}

    def run(read) -> None:
        for kind in args.kinds:
            rng = np.random.default_rng([SEEDS[args.digits], list(KINDS).index(kind)])
            samples = [make_image(kind, pool, rng) for _ in range(args.images)]
            start = time.perf_counter()
            readings = [read(sample) for sample in samples]
            speed = len(samples) / (time.perf_counter() - start)
            result = score(samples, readings, known)
            readings_of[kind] = readings
            print(
                f"| {kind} | {len(samples)} | {result['exact']:.1%} | {result['per_digit']:.1%}"
                f" | {speed:.0f} | {result['ceiling']:.1%} |",
                flush=True,
            )
            if args.failures:
                args.failures.mkdir(parents=True, exist_ok=True)
                for index, (sample, reading) in enumerate(zip(samples, readings, strict=True)):
                    if sample.text != reading:
                        name = f"{kind.replace(' ', '_').replace(',', '')}_{index}"
                        (args.failures / f"{name}.jpg").write_bytes(sample.data)
                        (args.failures / f"{name}.txt").write_text(
                            f"truth:\n{sample.text}\nread:\n{reading}\n"
                        )

    if args.serve:
        folder = tempfile.TemporaryDirectory(prefix="real-world-")
        with served(
            champion_uri(),
            with_current_code(args.model_uri, Path(folder.name)),
        ) as connection:
            run(read_served(connection))
    else:
        run(read_in_process(reader))
    if args.save:
        args.save.write_text(json.dumps(readings_of, indent=1))


if __name__ == "__main__":
    main()
