"""The evaluate pipeline: one modular pipeline (``split_evaluation``) that measures the
trained model on a split of digits it never trained on, used twice under a namespace of
its own: ``test`` (MNIST's test set) and ``own`` (the held-out part of your own digits).
Each namespace's parameters (``params:<namespace>.split``, validated as the namespace's
first node) name its metrics and figures; its outputs are mapped onto the catalog's
datasets."""

from kedro.pipeline import Node, Pipeline, pipeline

from digit_pipeline.datasets.tracking import as_metric_history
from digit_pipeline.parameters import EvaluateParameters, SplitParameters

from .nodes import (
    classification_report,
    classify_digits,
    confusion_table,
    plot_confusion_matrix,
    plot_misclassified,
    split_metrics,
    with_own_training_count,
)


def split_evaluation() -> Pipeline:
    """The model (``trained_model``) on a split's images ``X`` and labels ``y``: its
    ``probabilities``, ``metrics``, ``classification_report``, ``confusion_matrix`` and
    the figures of both."""
    return Pipeline(
        [
            SplitParameters.validation_node(),
            Node(classify_digits, ["trained_model", "X"], "probabilities", name="classify_node"),
            Node(
                split_metrics,
                ["y", "probabilities", "split_parameters"],
                "metrics",
                name="metrics_node",
            ),
            Node(
                classification_report,
                ["y", "probabilities"],
                "classification_report",
                name="classification_report_node",
            ),
            Node(
                confusion_table,
                ["y", "probabilities"],
                "confusion_matrix",
                name="confusion_table_node",
            ),
            Node(
                plot_confusion_matrix,
                ["confusion_matrix", "split_parameters"],
                "confusion_matrix_plot",
                name="plot_confusion_matrix_node",
            ),
            Node(
                plot_misclassified,
                ["X", "y", "probabilities", "evaluate_parameters", "split_parameters"],
                "misclassified_plot",
                name="plot_misclassified_node",
            ),
        ]
    )


def evaluation_of(split: str, X: str, y: str, *, metrics: str, tables: str) -> Pipeline:
    """``split_evaluation`` under the namespace ``split``, on the catalog's ``X`` and
    ``y``: its probabilities saved as ``<split>_probabilities``, its metrics as
    ``metrics``, its tables and figures under the prefix ``tables``."""
    shown = (
        "classification_report",
        "confusion_matrix",
        "confusion_matrix_plot",
        "misclassified_plot",
    )
    return pipeline(
        split_evaluation(),
        namespace=split,
        inputs={
            "X": X,
            "y": y,
            "trained_model": "trained_model",
            "evaluate_parameters": "evaluate_parameters",
        },
        outputs={"probabilities": f"{split}_probabilities", "metrics": metrics}
        | {name: f"{tables}{name}" for name in shown},
    )


def create_pipeline(**kwargs) -> Pipeline:
    test = evaluation_of("test", "X_test", "y_test", metrics="test_metrics", tables="")
    own = evaluation_of(
        "own", "X_own_test", "y_own_test", metrics="own_split_metrics", tables="own_"
    )
    return Pipeline(
        [
            EvaluateParameters.validation_node(),
            test,
            own,
            Node(
                as_metric_history,
                "test_metrics",
                "test_metrics_mlflow",
                name="log_test_metrics_node",
            ),
            Node(
                with_own_training_count,
                ["own_split_metrics", "y_own_train"],
                "own_metrics",
                name="count_own_training_digits_node",
            ),
            Node(
                as_metric_history,
                "own_metrics",
                "own_metrics_mlflow",
                name="log_own_metrics_node",
            ),
        ]
    )
