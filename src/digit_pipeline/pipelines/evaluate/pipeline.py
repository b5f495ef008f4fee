"""The evaluate pipeline: the trained model on the test set; metrics and figures out."""

from kedro.pipeline import Node, Pipeline

from digit_pipeline.datasets.tracking import as_metric_history
from digit_pipeline.parameters import EvaluateParameters

from .nodes import (
    classification_report,
    classify_test_set,
    compute_own_metrics,
    compute_test_metrics,
    confusion_table,
    plot_confusion_matrix,
    plot_misclassified,
    plot_own_confusion_matrix,
    plot_own_misclassified,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            EvaluateParameters.validation_node(),
            Node(
                func=classify_test_set,
                inputs=["trained_model", "X_test"],
                outputs="test_probabilities",
                name="classify_test_set_node",
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
                inputs=["X_test", "y_test", "test_probabilities", "evaluate_parameters"],
                outputs="misclassified_plot",
                name="plot_misclassified_node",
            ),
            # The same on the held-out part of the person's own digits (maybe none).
            Node(
                func=classify_test_set,
                inputs=["trained_model", "X_own_test"],
                outputs="own_probabilities",
                name="classify_own_digits_node",
            ),
            Node(
                func=compute_own_metrics,
                inputs=["y_own_test", "own_probabilities", "y_own_train"],
                outputs="own_metrics",
                name="compute_own_metrics_node",
            ),
            Node(
                func=as_metric_history,
                inputs="own_metrics",
                outputs="own_metrics_mlflow",
                name="log_own_metrics_node",
            ),
            Node(
                func=plot_own_confusion_matrix,
                inputs=["y_own_test", "own_probabilities"],
                outputs="own_confusion_matrix_plot",
                name="plot_own_confusion_matrix_node",
            ),
            Node(
                func=plot_own_misclassified,
                inputs=["X_own_test", "y_own_test", "own_probabilities", "evaluate_parameters"],
                outputs="own_misclassified_plot",
                name="plot_own_misclassified_node",
            ),
        ]
    )
