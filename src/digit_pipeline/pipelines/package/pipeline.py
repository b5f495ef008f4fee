"""The package pipeline: the trained model and its test metrics in, a registered model
version (and maybe a new champion) out."""

from kedro.pipeline import Node, Pipeline

from digit_pipeline.parameters import PackageParameters

from .nodes import log_and_register_model, promote_if_better


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            PackageParameters.validation_node(),
            Node(
                func=log_and_register_model,
                inputs={
                    "model": "trained_model",
                    "calibration": "calibration",
                    "test_metrics": "test_metrics",
                    "own_metrics": "own_metrics",
                    "example_images": "X_val",
                    "params": "package_parameters",
                    "training_history": "training_history",
                    "line_model": "line_model",
                    "line_metrics": "line_metrics",
                },
                outputs="model_version",
                name="log_and_register_model_node",
            ),
            Node(
                func=promote_if_better,
                inputs={
                    "model_version": "model_version",
                    "test_metrics": "test_metrics",
                    "params": "package_parameters",
                    "own_metrics": "own_metrics",
                    "X_own": "X_own_test",
                    "y_own": "y_own_test",
                    "line_metrics": "line_metrics",
                },
                outputs="champion_decision",
                name="promote_if_better_node",
            ),
        ]
    )
