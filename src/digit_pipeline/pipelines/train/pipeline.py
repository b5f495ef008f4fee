"""The train pipeline: model inputs in, a trained model and its learning curves out."""

from kedro.pipeline import Node, Pipeline

from digit_pipeline.datasets.tracking import as_metric_history
from digit_pipeline.parameters import TrainParameters

from .nodes import plot_learning_curves, train_model


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            TrainParameters.validation_node(),
            Node(
                func=train_model,
                inputs={
                    "X_train": "X_train",
                    "y_train": "y_train",
                    "X_val": "X_val",
                    "y_val": "y_val",
                    "params": "train_parameters",
                    "X_own": "X_own_train",
                    "y_own": "y_own_train",
                },
                outputs=["trained_model", "training_history", "training_hardware"],
                name="train_model_node",
            ),
            Node(
                func=plot_learning_curves,
                inputs="training_history",
                outputs="learning_curves_plot",
                name="plot_learning_curves_node",
            ),
            Node(
                func=as_metric_history,
                inputs="training_history",
                outputs="training_metrics",
                name="log_training_metrics_node",
            ),
        ]
    )
