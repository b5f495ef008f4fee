"""The predict pipeline: a folder of images and the champion model in, two CSVs out (also
logged to its own MLflow run, named "predict"): one row per image, and one row per line
of writing with its numbers. Not part of the default run."""

from kedro.pipeline import Node, Pipeline

from .nodes import predict_images


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=predict_images,
                inputs=["images_to_predict", "champion_model"],
                outputs=["digit_predictions", "line_predictions"],
                name="predict_images_node",
            ),
        ]
    )
