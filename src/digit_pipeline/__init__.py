"""digit-pipeline: handwritten digit recognition with Kedro, MLflow and Keras."""

__version__ = "0.1.0"
