"""Batch reading on Spark: `kedro run --pipelines predict_spark` in a project with a smoke
champion, a real SparkSession on local[2], the files read by Spark's binaryFile source and
the champion applied with mlflow.pyfunc.spark_udf."""

import shutil
import sys

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession

from digit_pipeline.parameters import PredictSparkParameters
from digit_pipeline.pipelines.predict.nodes import predict_images
from digit_pipeline.pipelines.predict_spark.nodes import read_images_with_spark
from digit_pipeline.reading.tables import READING_COLUMNS
from digit_pipeline.testing.images import FOLDER_IMAGES
from digit_pipeline.testing.project import CHAMPION, in_project, tracking_uri

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _java_installed():
    if not shutil.which("java"):
        pytest.fail("no Java: apt-get install openjdk-17-jre-headless (.ci/run installs it)")


def test_spark_reads_the_folder_as_the_reader_does(smoke_project, image_folder):
    project = smoke_project[0]
    seven = (image_folder / "a_seven.png").read_bytes()
    (image_folder / "truncated.png").write_bytes(seven[: len(seven) // 2])
    with in_project(project):
        runtime_params = {"predict_dir": str(image_folder), "spark_master": "local[2]"}
        with KedroSession.create(
            project_path=project, env="smoke", runtime_params=runtime_params
        ) as session:
            session.run(pipeline_names=["predict_spark"])
    table = pd.read_parquet(project / "data" / "07_model_output" / "predictions.parquet")
    assert table.columns.tolist() == READING_COLUMNS
    table.index = table["file"].str.rsplit("/", n=1).str[-1]
    table = table.sort_index()
    # Every file but the hidden one has its row; the unreadable ones their error.
    names = sorted([*FOLDER_IMAGES, "notes.txt", "truncated.png"])
    assert table.index.tolist() == names
    assert table.loc["notes.txt", "error"].startswith("not an image")
    assert table.loc["truncated.png", "error"]
    assert table.loc[["notes.txt", "truncated.png"], ["digit", "confidence"]].isna().all().all()

    # The same table as the reader's own batch prediction in process writes, file for file.
    mlflow.set_tracking_uri(tracking_uri(project))
    files = {name: (image_folder / name).read_bytes for name in names}
    expected = predict_images(files, mlflow.pyfunc.load_model(CHAMPION))[0].set_index("file")
    assert table["error"].tolist() == expected["error"].tolist()
    read = table.loc[FOLDER_IMAGES]
    assert read["digits"].tolist() == expected.loc[FOLDER_IMAGES, "digits"].tolist()
    assert read["digit"].astype(int).tolist() == expected.loc[FOLDER_IMAGES, "digit"].tolist()
    assert read["confidence"].tolist() == pytest.approx(
        expected.loc[FOLDER_IMAGES, "confidence"].tolist(), abs=1e-4
    )


def test_read_images_with_spark_keeps_a_row_for_each_file(smoke_project, image_folder, monkeypatch):
    """The node alone, on the session the pipeline made (or a new one on local[2])."""
    from pyspark.sql import SparkSession  # noqa: PLC0415

    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # as SparkHooks does

    spark = SparkSession.builder.master("local[2]").getOrCreate()
    files = [
        (f"file:/{name}", (image_folder / name).read_bytes())
        for name in ("a_seven.png", "notes.txt")
    ]
    images = spark.createDataFrame(files, "path STRING, content BINARY")
    mlflow.set_tracking_uri(tracking_uri(smoke_project[0]))
    params = PredictSparkParameters(model_uri=CHAMPION)
    rows = {row.file: row for row in read_images_with_spark(images, params).collect()}
    assert rows["file:/a_seven.png"].error is None and 0 <= rows["file:/a_seven.png"].digit <= 9
    assert rows["file:/notes.txt"].digit is None and rows["file:/notes.txt"].error
