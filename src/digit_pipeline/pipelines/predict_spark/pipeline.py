"""The predict_spark pipeline: a folder of images read by Spark (``images_spark``, the
``binaryFile`` source) and the champion applied on its executors; Parquet out. Runs on
``local[*]``, or on a cluster by its master URL (``--params spark_master=spark://...``).
Not part of the default run."""

from kedro.pipeline import Node, Pipeline

from digit_pipeline.parameters import PredictSparkParameters

from .nodes import read_images_with_spark


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            PredictSparkParameters.validation_node(),
            Node(
                func=read_images_with_spark,
                inputs=["images_spark", "predict_spark_parameters"],
                outputs="digit_predictions_spark",
                name="read_images_with_spark_node",
            ),
        ]
    )
