"""Build and train the CNN; log its learning curves."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
