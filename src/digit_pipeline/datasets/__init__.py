"""Kedro datasets of the project: MNIST's IDX files, the user's own digits, and
values shaped for MLflow's tracking."""
