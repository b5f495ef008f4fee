"""What teaching the model a person's own digits gains (issue #16), on a new writer made
from MNIST training digits (``digit_pipeline.generators.writer.HANDS``; by default the
backhand: a strong backhand slant, crossed 7s, 1s with a flag and a foot).

    python benchmarks/own_writer.py                          # against the champion
    python benchmarks/own_writer.py --model-uri models:/digit-classifier/1 --per-digit 20
    python benchmarks/own_writer.py --hand "upright, broad"

Before: the registered model (trained by `kedro run` without own digits). After: the same
recipe (conf/base, the train node's ``train_model``) with ``--per-digit`` of the writer's
digits of each class mixed into every batch at ``own_digits_share``. Both are measured on
the writer's held-out digits and on MNIST's test set. The writer's taught digits come from
the first half of the validation split, its held-out digits from the second: digits the
models never trained on in MNIST's own form.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from digit_pipeline.generators.writer import HANDS, write_in_hand
from digit_pipeline.parameters import TrainParameters
from digit_pipeline.pipelines.train.nodes import train_model
from digit_pipeline.project import champion_uri
from digit_pipeline.training.cnn import class_probabilities
from digit_pipeline.training.hands import Hand
from digit_pipeline.training.hardware import describe, detect

ROOT = Path(__file__).resolve().parents[1]
from plain_keras import ENV_HELP, parameters, read_mnist, training_split  # noqa: E402


def writer_digits(per_digit: int, held_out: int, hand: Hand) -> tuple[np.ndarray, ...]:
    """The writer's taught digits (``per_digit`` of each class) and held-out digits, in
    ``hand``, with their labels, as (N, 28, 28, 1) float32 in [0, 1] and (N,) int64."""
    _, _, X_val, y_val = training_split()
    images = (X_val[..., 0] * 255).round().astype(np.uint8)
    half = len(y_val) // 2
    taught = np.concatenate([np.flatnonzero(y_val[:half] == d)[:per_digit] for d in range(10)])
    kept = np.arange(half, min(half + held_out, len(y_val)))
    return (
        write_in_hand(images[taught], y_val[taught], np.random.default_rng(0), hand)[
            ..., np.newaxis
        ],
        y_val[taught],
        write_in_hand(images[kept], y_val[kept], np.random.default_rng(1), hand)[..., np.newaxis],
        y_val[kept],
    )


def accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(probabilities.argmax(axis=1) == labels))


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-uri", default=champion_uri(), help="the model before teaching")
    parser.add_argument("--per-digit", type=int, default=20, help="taught digits of each class")
    parser.add_argument("--held-out", type=int, default=1000, help="the writer's held-out digits")
    parser.add_argument("--hand", choices=list(HANDS), default="backhand")
    parser.add_argument("--before-only", action="store_true", help="no teaching run")
    parser.add_argument("--env", help=f"of the teaching run: {ENV_HELP}")
    return parser


def main() -> None:
    args = argument_parser().parse_args()

    cpu = describe(detect(), "-")
    print(f"CPU: {cpu['cpu']} ({cpu['cpu_flags']}); before: {args.model_uri}; {args.hand} hand")
    X_own, y_own, X_writer, y_writer = writer_digits(
        args.per_digit, args.held_out, HANDS[args.hand]
    )
    X_test = read_mnist("t10k-images-idx3-ubyte")[..., np.newaxis] / np.float32(255)
    y_test = read_mnist("t10k-labels-idx1-ubyte")

    from digit_pipeline.reading.pyfunc import load_reader  # noqa: PLC0415

    before = load_reader(args.model_uri).recognizer
    rows = [
        (
            "before",
            accuracy(before.probabilities(list(X_writer[..., 0])), y_writer),
            accuracy(before.probabilities(list(X_test[..., 0])), y_test),
        )
    ]

    if not args.before_only:
        params = parameters(TrainParameters, args.env).model_copy(update={"verbose": 2})
        X_train, y_train, X_val, y_val = training_split(args.env)
        started = time.perf_counter()
        model, _, _ = train_model(X_train, y_train, X_val, y_val, params, X_own=X_own, y_own=y_own)
        minutes = (time.perf_counter() - started) / 60
        rows.append(
            (
                f"after: {len(y_own)} taught at a share of {params.own_digits_share}",
                accuracy(class_probabilities(model, X_writer), y_writer),
                accuracy(class_probabilities(model, X_test), y_test),
            )
        )
        print(f"\nTraining with the own digits: {minutes:.1f} min\n")
    print(f"| model | the writer's {len(y_writer)} held-out digits | MNIST test |\n|---|---:|---:|")
    for name, writer, mnist in rows:
        print(f"| {name} | {writer:.2%} | {mnist:.2%} |")


if __name__ == "__main__":
    main()
