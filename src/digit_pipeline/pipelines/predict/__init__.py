"""Read the digits in every image of a folder with the champion model; write a CSV."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
