"""The ingest pipeline: raw IDX files in, validated arrays and a data report out."""

from kedro.pipeline import Node, Pipeline

from digit_pipeline.parameters import IngestParameters

from .nodes import count_classes, plot_sample_digits, validate_test_split, validate_train_split


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            IngestParameters.validation_node(),
            Node(
                func=validate_train_split,
                inputs=["train_images_raw", "train_labels_raw"],
                outputs=["mnist_train_images", "mnist_train_labels"],
                name="validate_train_split_node",
            ),
            Node(
                func=validate_test_split,
                inputs=["test_images_raw", "test_labels_raw"],
                outputs=["mnist_test_images", "mnist_test_labels"],
                name="validate_test_split_node",
            ),
            Node(
                func=count_classes,
                inputs=["mnist_train_labels", "mnist_test_labels"],
                outputs="class_counts",
                name="count_classes_node",
            ),
            Node(
                func=plot_sample_digits,
                inputs=["mnist_train_images", "mnist_train_labels", "ingest_parameters"],
                outputs="sample_digits_plot",
                name="plot_sample_digits_node",
            ),
        ]
    )
