"""The calibrate pipeline: the temperature the served model applies to its probabilities."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
