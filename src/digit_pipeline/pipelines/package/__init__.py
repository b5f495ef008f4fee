"""Log the model to MLflow, register it, and move the champion alias if it is better."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
