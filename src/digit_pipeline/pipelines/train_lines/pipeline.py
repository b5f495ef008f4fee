"""The train_lines pipeline: the line model trained and measured, its curves logged."""

from kedro.pipeline import Node, Pipeline

from digit_pipeline.datasets.tracking import as_metric_history
from digit_pipeline.parameters import TrainLinesParameters

from .nodes import (
    evaluate_line_model,
    line_history_metrics,
    plot_line_learning_curves,
    train_line_model,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            TrainLinesParameters.validation_node(),
            Node(
                func=train_line_model,
                inputs={
                    "cnn": "trained_model",
                    "X_train": "X_train",
                    "y_train": "y_train",
                    "X_val": "X_val",
                    "y_val": "y_val",
                    "params": "train_lines_parameters",
                    "X_own": "X_own_train",
                    "y_own": "y_own_train",
                },
                outputs=["line_model", "line_training_history"],
                name="train_line_model_node",
            ),
            Node(
                func=evaluate_line_model,
                inputs=["line_model", "X_val", "y_val", "train_lines_parameters"],
                outputs=["line_metrics", "misread_lines_plot"],
                name="evaluate_line_model_node",
            ),
            Node(
                func=plot_line_learning_curves,
                inputs="line_training_history",
                outputs="line_learning_curves_plot",
                name="plot_line_learning_curves_node",
            ),
            Node(
                func=line_history_metrics,
                inputs="line_training_history",
                outputs="line_training_metrics",
                name="log_line_training_metrics_node",
            ),
            Node(
                func=as_metric_history,
                inputs="line_metrics",
                outputs="line_metrics_mlflow",
                name="log_line_metrics_node",
            ),
        ]
    )
