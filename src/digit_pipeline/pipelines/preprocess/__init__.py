"""Scale the images and split a stratified validation set off the training data."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
