"""The robustness pipeline: test accuracy under perturbations, raw and preprocessed."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
