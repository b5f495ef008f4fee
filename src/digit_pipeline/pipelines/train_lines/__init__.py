"""Build and train the line model on lines made on the fly; measure it on validation lines."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
