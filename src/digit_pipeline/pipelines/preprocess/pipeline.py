"""The preprocess pipeline: validated arrays in, model inputs out."""

from kedro.pipeline import Node, Pipeline

from digit_pipeline.parameters import PreprocessParameters

from .nodes import (
    prepare_test_set,
    select_training_subset,
    split_own_digits_node,
    split_validation,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            PreprocessParameters.validation_node(),
            Node(
                func=select_training_subset,
                inputs=["mnist_train_images", "mnist_train_labels", "preprocess_parameters"],
                outputs=["training_images", "training_labels"],
                name="select_training_subset_node",
            ),
            Node(
                func=split_validation,
                inputs=["training_images", "training_labels", "preprocess_parameters"],
                outputs=["X_train", "y_train", "X_val", "y_val"],
                name="split_validation_node",
            ),
            Node(
                func=prepare_test_set,
                inputs=["mnist_test_images", "mnist_test_labels"],
                outputs=["X_test", "y_test"],
                name="prepare_test_set_node",
            ),
            Node(
                func=split_own_digits_node,
                inputs=["own_digits", "preprocess_parameters"],
                outputs=["X_own_train", "y_own_train", "X_own_test", "y_own_test"],
                name="split_own_digits_node",
            ),
        ]
    )
