"""The robustness pipeline: the trained model on perturbed test digits, given to it raw and
through the project's image preparation; a report and its figure out."""

from kedro.pipeline import Node, Pipeline

from digit_pipeline.parameters import RobustnessParameters

from .nodes import plot_robustness, robustness_report


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            RobustnessParameters.validation_node(),
            Node(
                func=robustness_report,
                inputs=["trained_model", "X_test", "y_test", "robustness_parameters"],
                outputs="robustness_report",
                name="robustness_report_node",
            ),
            Node(
                func=plot_robustness,
                inputs=["robustness_report", "X_test", "robustness_parameters"],
                outputs="robustness_plot",
                name="plot_robustness_node",
            ),
        ]
    )
