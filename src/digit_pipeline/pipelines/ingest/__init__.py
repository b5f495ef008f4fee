"""Load and validate the raw MNIST files; report on what they hold."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
