"""Nodes of the predict_spark pipeline: the champion applied to a Spark DataFrame of image
files with ``mlflow.pyfunc.spark_udf``: the served contract and the reader, on executors.
PySpark (the ``spark`` extra) is imported when the node runs, not with the project."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mlflow

from digit_pipeline.parameters import PredictSparkParameters
from digit_pipeline.reading.tables import CONFIDENCE_PLACES, READING_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

# The fields of the model's answer (``contract.DigitReading``) that the table keeps, in
# types that survive spark_udf's conversion of a batch mixing readings and errors (it casts
# a column with a null to int64 and fails; to str, and a null becomes "None"): the digit
# as a double (NaN for none), the error empty for none; the node puts the nulls back.
READING = "digit DOUBLE, confidence DOUBLE, digits STRING, error STRING"


def read_images_with_spark(images: DataFrame, params: PredictSparkParameters) -> DataFrame:
    """The champion's reading of each file of Spark's ``binaryFile`` source.

    Each Arrow batch (``spark.sql.execution.arrow.maxRecordsPerBatch`` in conf/base/spark/session.yml)
    is one request of ``{"image": bytes}`` items, read with ``{"errors": "item"}``: a file
    that cannot be read gets its error in its row and the job goes on.

    Returns:
        ``tables.READING_COLUMNS`` per file, as ``digit-pipeline predict`` and the predict
        pipeline write them: its ``file`` the path Spark read it from.
    """
    from pyspark.sql import functions as F  # noqa: PLC0415
    from pyspark.sql.types import StructType  # noqa: PLC0415

    read = mlflow.pyfunc.spark_udf(
        images.sparkSession, params.model_uri, result_type=StructType.fromDDL(READING),
        env_manager="local", params={"errors": "item"},
    )  # fmt: skip
    reading = read(F.struct(F.col("content").alias("image"))).alias("reading")
    read_files = images.select("path", reading)
    confidence = F.round("reading.confidence", CONFIDENCE_PLACES)
    columns = {
        "file": F.col("path"),
        "digit": F.when(~F.isnan("reading.digit"), F.col("reading.digit").cast("int")),
        "confidence": F.when(~F.isnan("reading.confidence"), confidence),
        "digits": F.col("reading.digits"),
        "error": F.when(F.col("reading.error") != "", F.col("reading.error")),
    }
    return read_files.select(*(columns[name].alias(name) for name in READING_COLUMNS))
