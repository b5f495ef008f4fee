"""The `digit-pipeline` command: read handwritten digits with the registered model.
(Not named cli.py: Kedro would take that module for the project's own `kedro` commands.)

digit-pipeline predict IMAGE... [--model-uri models:/digit-classifier@champion]
digit-pipeline app [--host 127.0.0.1] [--port 8000] [--model-uri ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from digit_pipeline.predict import CHAMPION_URI, load_reader, read_image_files


@click.group()
def main() -> None:
    """Read handwritten digits with the model in MLflow's registry.

    MLflow is found through MLFLOW_TRACKING_URI, else ./mlflow.db: run from the project root.
    """


@main.command()
@click.argument(
    "images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--model-uri", default=CHAMPION_URI, show_default=True, help="Registered model to use."
)
def predict(images: tuple[Path, ...], model_uri: str) -> None:
    """Print the digits read in each IMAGE (PNG, JPEG, BMP, GIF or WebP) as CSV:
    file, digit (the whole image as one digit), confidence, digits (left to right)."""
    table, errors = read_image_files(
        {str(path): path.read_bytes() for path in images}, load_reader(model_uri)
    )
    click.echo(table.to_csv(index=False), nl=False)
    for name, error in errors.items():
        click.echo(f"{name}: {error}", err=True)
    if errors:
        sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--model-uri", default=CHAMPION_URI, show_default=True, help="Registered model to use."
)
def app(host: str, port: int, model_uri: str) -> None:
    """Start the GUI: draw a digit or upload a photo of handwriting in the browser."""
    import uvicorn  # noqa: PLC0415  (only this command needs the web server)

    from digit_pipeline.app import create_app, load_model  # noqa: PLC0415

    reader, model = load_model(model_uri)
    click.echo(f"Reading with {model_uri} (version {model['version']}); open http://{host}:{port}/")
    uvicorn.run(create_app(reader, model), host=host, port=port, log_level="warning")
