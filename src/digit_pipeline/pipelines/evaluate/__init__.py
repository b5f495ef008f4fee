"""Measure the trained model on the test set: metrics, confusion matrix, mistakes."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
