"""How fast a folder of photos is read in a batch (``digit-pipeline predict``, ``kedro run
--pipelines predict``: ``Reader.read_each``), images prepared in this one process as
before issue #43, against on every core, side by side in one run.

    python benchmarks/batch_predict.py                    # 200 photos of every kind
    python benchmarks/batch_predict.py --photos 1000
    python benchmarks/batch_predict.py --phone            # phone photos of sheets

The photos are generated (``generators.photos`` kinds in turn, or ``generators.phone``)
from MNIST's training digits and written to a folder; both ways read the same files, from
the disk. Their answers are compared: a line model reads strips padded to the longest of
its call's, so that what a file is read with may change a digit or a confidence.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from digit_pipeline.reading.cores import every_core

ROOT = Path(__file__).resolve().parents[1]


def write_photos(folder: Path, count: int, *, phone_photos: bool) -> None:
    """``count`` generated photos in ``folder``, the kinds in turn."""
    from real_world import digit_pool  # noqa: PLC0415

    from digit_pipeline.generators import phone, photos  # noqa: PLC0415

    pool = digit_pool("tuning")
    rng = np.random.default_rng(43)
    kinds = phone.KINDS if phone_photos else photos.KINDS
    for index, kind in zip(range(count), itertools.cycle(kinds), strict=False):
        if "12 MP" in kind:
            continue
        (folder / f"{index:05d}.jpg").write_bytes(kinds[kind](pool, rng).data)


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-uri", help="default: the champion")
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--phone", action="store_true", help="phone photos of sheets")
    parser.add_argument("--workers", type=int, default=every_core(), help="the parallel run's")
    return parser


def main() -> None:
    args = argument_parser().parse_args()
    # Here, not above: the workers start afresh and import this script's module; they
    # need none of TensorFlow, MLflow or Kedro.
    from current_code import network_of  # noqa: PLC0415

    from digit_pipeline.project import champion_uri  # noqa: PLC0415
    from digit_pipeline.reading.predictor import Reader  # noqa: PLC0415
    from digit_pipeline.training.hardware import describe, detect  # noqa: PLC0415

    args.model_uri = args.model_uri or champion_uri()
    from digit_pipeline.reading.recognizer import Recognizer  # noqa: PLC0415

    reader = Reader(Recognizer(*network_of(args.model_uri)))
    cpu = describe(detect(), "-")
    print(f"CPU: {cpu['cpu']} ({cpu['cpu_flags']}); {every_core()} cores; {args.model_uri}")
    with tempfile.TemporaryDirectory(prefix="batch-predict-") as folder:
        write_photos(Path(folder), args.photos, phone_photos=args.phone)
        files = {path.name: path.read_bytes for path in sorted(Path(folder).iterdir())}
        print(f"{len(files)} {'phone ' if args.phone else ''}photos\n")
        print(
            "| prepared on | workers | seconds | photos/s | speed-up |\n|---|---:|---:|---:|---:|"
        )
        answers, first = [], None
        for label, workers in (("this process", 1), ("every core", args.workers)):
            start = time.perf_counter()
            readings, errors = reader.read_each(files, workers=workers)
            seconds = time.perf_counter() - start
            first = first or seconds
            answers.append(({k: r.text for k, r in readings.items()}, errors))
            print(
                f"| {label} | {workers} | {seconds:.1f} | {len(files) / seconds:.1f}"
                f" | {first / seconds:.2f}x |",
                flush=True,
            )
        (first_read, first_errors), (then_read, then_errors) = answers
        differ = sum(first_read[name] != then_read.get(name) for name in first_read)
        print(f"\nfiles read differently: {differ} of {len(files)}")
        if first_errors != then_errors or first_read.keys() != then_read.keys():
            sys.exit("the two ways did not read the same files")


if __name__ == "__main__":
    main()
