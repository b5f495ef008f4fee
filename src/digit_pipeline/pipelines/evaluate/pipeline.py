"""The evaluate pipeline: the trained model and the test set in, metrics and figures out."""

from kedro.pipeline import Node, Pipeline

from digit_pipeline.tracking import as_metric_history

from .nodes import (
    calibrate,
    classification_report,
    compute_test_metrics,
    confusion_table,
    plot_confusion_matrix,
    plot_misclassified,
    plot_reliability,
    plot_robustness,
    predict_probabilities,
    robustness_report,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                func=predict_probabilities,
                inputs=["trained_model", "X_test", "params:evaluate"],
                outputs="test_probabilities",
                name="predict_probabilities_node",
            ),
            Node(
                func=compute_test_metrics,
                inputs=["y_test", "test_probabilities"],
                outputs="test_metrics",
                name="compute_test_metrics_node",
            ),
            Node(
                func=as_metric_history,
                inputs="test_metrics",
                outputs="test_metrics_mlflow",
                name="log_test_metrics_node",
            ),
            Node(
                func=classification_report,
                inputs=["y_test", "test_probabilities"],
                outputs="classification_report",
                name="classification_report_node",
            ),
            Node(
                func=confusion_table,
                inputs=["y_test", "test_probabilities"],
                outputs="confusion_matrix",
                name="confusion_table_node",
            ),
            Node(
                func=plot_confusion_matrix,
                inputs="confusion_matrix",
                outputs="confusion_matrix_plot",
                name="plot_confusion_matrix_node",
            ),
            Node(
                func=plot_misclassified,
                inputs=["X_test", "y_test", "test_probabilities", "params:evaluate"],
                outputs="misclassified_plot",
                name="plot_misclassified_node",
            ),
            Node(
                func=robustness_report,
                inputs=["trained_model", "X_test", "y_test", "params:evaluate"],
                outputs="robustness_report",
                name="robustness_report_node",
            ),
            Node(
                func=plot_robustness,
                inputs=["robustness_report", "X_test", "params:evaluate"],
                outputs="robustness_plot",
                name="plot_robustness_node",
            ),
            # Calibration: the temperature is fitted on the validation split, never the test set.
            Node(
                func=predict_probabilities,
                inputs=["trained_model", "X_val", "params:evaluate"],
                outputs="val_probabilities",
                name="predict_val_probabilities_node",
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
