"""Read the digits in every image of a folder on Spark with the champion model; write Parquet."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
