"""Images per second of batch reading: the in-process reader (what the `predict` pipeline
runs) against Spark on local[N] (the `predict_spark` pipeline's node), on the same folder of
generated photos of MNIST training digits, at each size given.

    python benchmarks/spark_batch.py [--model-uri models:/<model>@<alias>] [--sizes 1000 10000]
        [--masters local[1] local[2]]

Both read the files from disk and keep every reading. Spark's session is the pipeline's
(`conf/base/spark/session.yml`, the master apart); its figure includes its job (listing, Arrow
batches of 64 files, the model loaded once per Python worker) but not the session's start,
printed apart and counted in the size from which Spark pays off.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.progress import track

from digit_pipeline.datasets.idx import IDXDataset
from digit_pipeline.generators.photos import DigitPool, make_image
from digit_pipeline.hooks import spark_session
from digit_pipeline.parameters import PredictSparkParameters
from digit_pipeline.pipelines.predict_spark.nodes import read_images_with_spark
from digit_pipeline.project import champion_uri, load_conf
from digit_pipeline.reading.pyfunc import load_reader
from digit_pipeline.training.hardware import describe, detect

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT / "data" / "01_raw" / "mnist"


def write_photos(folder: Path, count: int) -> None:
    """``count`` JPEG photos of single MNIST training digits, seeded."""
    pool = DigitPool(
        IDXDataset(str(MNIST / "train-images-idx3-ubyte.gz")).load(),
        IDXDataset(str(MNIST / "train-labels-idx1-ubyte.gz")).load(),
    )
    rng = np.random.default_rng(0)
    for index in track(range(count), description="photos"):
        (folder / f"{index:06d}.jpg").write_bytes(make_image("digit photo", pool, rng).data)


def in_process(folder: Path, model_uri: str) -> float:
    reader = load_reader(model_uri)
    files = {path.name: path.read_bytes for path in sorted(folder.iterdir())}
    start = time.perf_counter()
    readings, errors = reader.read_each(files)
    seconds = time.perf_counter() - start
    assert len(readings) + len(errors) == len(files)
    return len(files) / seconds


def on_spark(spark, folder: Path, model_uri: str) -> float:
    from pyspark.sql import functions as F  # noqa: PLC0415

    images = spark.read.format("binaryFile").load(str(folder))
    start = time.perf_counter()
    # Counting a column of the reading: a bare count() lets Spark skip the model altogether.
    readings = read_images_with_spark(images, PredictSparkParameters(model_uri=model_uri))
    rows = readings.agg(F.count("digits")).first()[0]
    seconds = time.perf_counter() - start
    return rows / seconds


def print_break_even(
    rates: dict[int, dict[str, float]], cold_start: float, masters: list[str]
) -> None:
    """Spark's seconds as fixed + per-image cost, from the smallest and largest sizes, and
    the size from which it, the first session's start (the JVM's) included, is done sooner
    than the in-process reader at its rate of the largest size (its model loaded before)."""
    small, large = min(rates), max(rates)
    if small == large:
        return

    def fixed_and_per_image(side: str) -> tuple[float, float]:
        per_image = (large / rates[large][side] - small / rates[small][side]) / (large - small)
        return small / rates[small][side] - per_image * small, per_image

    local_per_image = 1 / rates[large]["in process"]
    for master in masters:
        fixed, per_image = fixed_and_per_image(master)
        print(f"{master}: {fixed + cold_start:.1f} s fixed (a cold session's start included), "
              f"{per_image * 1000:.1f} ms per image (in process {local_per_image * 1000:.1f} ms)")  # fmt: skip
        if per_image < local_per_image:
            size = (fixed + cold_start) / (local_per_image - per_image)
            print(f"{master} pays off from about {max(size, 0):,.0f} images")
        else:
            print(f"{master} does not pay off on this machine")


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-uri", default=champion_uri())
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--masters", nargs="+", default=["local[1]", "local[2]"])
    return parser


def main() -> None:
    args = argument_parser().parse_args()

    tags = describe(detect(), "float32")
    print(f"CPU: {tags['cpu']}; flags: {tags['cpu_flags']}; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as work:
        folders = {size: Path(work) / str(size) for size in args.sizes}
        rates: dict[int, dict[str, float]] = {}
        for size, folder in folders.items():
            folder.mkdir()
            write_photos(folder, size)
            rates[size] = {"in process": in_process(folder, args.model_uri)}
            print(f"{size} images in process: {rates[size]['in process']:.1f}/s")
        starts = {}
        for master in args.masters:
            start = time.perf_counter()
            spark = spark_session({**load_conf("spark"), "spark.master": master})
            starts[master] = time.perf_counter() - start
            print(f"SparkSession on {master}: {starts[master]:.1f} s to start")
            for size, folder in folders.items():
                rates[size][master] = on_spark(spark, folder, args.model_uri)
                print(f"{size} images on {master}: {rates[size][master]:.1f}/s")
            spark.stop()
    columns = ["in process", *args.masters]
    print("\n| images | " + " | ".join(f"{c}, images/s" for c in columns) + " |")
    print("|---:|" + "---:|" * len(columns))
    for size in args.sizes:
        print(f"| {size:,} | " + " | ".join(f"{rates[size][c]:.1f}" for c in columns) + " |")
    print("\nSparkSession start: " + ", ".join(f"{m} {s:.1f} s" for m, s in starts.items()))
    print_break_even(rates, next(iter(starts.values())), args.masters)


if __name__ == "__main__":
    main()
