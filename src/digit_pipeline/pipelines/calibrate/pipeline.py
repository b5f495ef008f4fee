"""The calibrate pipeline: a temperature fitted on the validation split, never the test
set. Its output ``calibration`` is an input of the package pipeline: the served model
scales its probabilities with that temperature."""

from kedro.pipeline import Node, Pipeline

from digit_pipeline.datasets.tracking import as_metric_history

from .nodes import calibrate, classify_validation_set, plot_reliability


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=classify_validation_set,
                inputs=["trained_model", "X_val"],
                outputs="val_probabilities",
                name="classify_validation_set_node",
            ),
            Node(
                func=calibrate,
                inputs=["val_probabilities", "y_val", "test_probabilities", "y_test"],
                outputs="calibration",
                name="calibrate_node",
            ),
            Node(
                func=as_metric_history,
                inputs="calibration",
                outputs="calibration_metrics",
                name="log_calibration_metrics_node",
            ),
            Node(
                func=plot_reliability,
                inputs=["test_probabilities", "y_test", "calibration"],
                outputs="reliability_plot",
                name="plot_reliability_node",
            ),
        ]
    )
