"""Images per second of batch reading: the in-process reader (what the `predict` pipeline
runs) against Spark on local[N] (the `predict_spark` pipeline's node), on the same folder of
generated photos of MNIST training digits, at each size given.

    python benchmarks/spark_batch.py [--model-uri models:/<model>@<alias>] [--sizes 1000 10000]
        [--master local[2]]

Both read the files from disk and keep every reading; Spark's figure includes its job
(listing, Arrow batches of 64 files, the model loaded once per Python worker) but not the
SparkSession's start, printed apart.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.progress import track

from digit_pipeline.generators.photos import DigitPool, make_image
from digit_pipeline.hardware import describe, detect
from digit_pipeline.idx import IDXDataset
from digit_pipeline.parameters import PredictSparkParameters
from digit_pipeline.pipelines.predict_spark.nodes import read_images_with_spark
from digit_pipeline.project import champion_uri
from digit_pipeline.reading.pyfunc import load_reader

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-uri", default=champion_uri())
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()

    tags = describe(detect(), "float32")
    print(f"CPU: {tags['cpu']}; flags: {tags['cpu_flags']}; {os.cpu_count()} cores")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession  # noqa: PLC0415

    start = time.perf_counter()
    spark = (
        SparkSession.builder.master(args.master)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "64")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    print(f"SparkSession on {args.master}: {time.perf_counter() - start:.1f} s to start")
    rows = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            write_photos(Path(folder), size)
            local = in_process(Path(folder), args.model_uri)
            spark_rate = on_spark(spark, Path(folder), args.model_uri)
            rows.append((size, local, spark_rate))
            print(
                f"{size} images: in process {local:.1f}/s, Spark {args.master} {spark_rate:.1f}/s"
            )
    print("\n| images | in process, images/s | Spark " + args.master + ", images/s |")
    print("|---:|---:|---:|")
    for size, local, spark_rate in rows:
        print(f"| {size:,} | {local:.1f} | {spark_rate:.1f} |")
    spark.stop()


if __name__ == "__main__":
    main()
