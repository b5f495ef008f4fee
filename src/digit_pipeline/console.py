"""The `digit-pipeline` command: read handwritten digits with the registered model.
(Not named cli.py: Kedro would take that module for the project's own `kedro` commands.)

digit-pipeline predict IMAGE... [--model-uri models:/<registered model>@<champion alias>]
digit-pipeline app [--host 127.0.0.1] [--port 8000] [--model-uri ...] [--allowed-host NAME]
digit-pipeline sweep KEY=VALUE1,VALUE2... [KEY=...] [--env ENV]
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from digit_pipeline.inference import read_image_files
from digit_pipeline.project import champion_uri
from digit_pipeline.serving import load_reader
from digit_pipeline.sweep import parse_grid, results_table, run_sweep


@click.group()
def main() -> None:
    """Read handwritten digits with the model in MLflow's registry; sweep parameters.

    MLflow is found through MLFLOW_TRACKING_URI, else ./mlflow.db: run from the project root.
    """


@main.command()
@click.argument(
    "images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--model-uri", default=champion_uri, show_default="the champion in conf/base/globals.yml",
    help="Registered model to use.",
)  # fmt: skip
def predict(images: tuple[Path, ...], model_uri: str) -> None:
    """Print the digits read in each IMAGE (PNG, JPEG, BMP, GIF or WebP) as CSV:
    file, digit (the whole image as one digit), confidence, digits (in reading order; a
    sheet's lines separated by line breaks, the field quoted)."""
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
    "--model-uri", default=champion_uri, show_default="the champion in conf/base/globals.yml",
    help="Registered model to use.",
)  # fmt: skip
@click.option(
    "--allowed-host", "allowed_hosts", multiple=True,
    help="A name the server answers to besides 127.0.0.1, localhost and --host (repeatable).",
)  # fmt: skip
def app(host: str, port: int, model_uri: str, allowed_hosts: tuple[str, ...]) -> None:
    """Start the GUI: draw a digit or upload a photo of handwriting in the browser."""
    import uvicorn  # noqa: PLC0415  (only this command needs the web server)

    from digit_pipeline.app import LOCAL_HOSTS, create_app, describe_model  # noqa: PLC0415

    version_uri, model = describe_model(model_uri)
    reader = load_reader(version_uri)
    hosts = [*LOCAL_HOSTS, *allowed_hosts, *([host] if host not in ("0.0.0.0", "::") else [])]
    click.echo(f"Reading with {model_uri} (version {model['version']}); open http://{host}:{port}/")
    uvicorn.run(create_app(reader, model, hosts), host=host, port=port, log_level="warning")


@main.command()
@click.argument("specs", nargs=-1, required=True)
@click.option("--env", "-e", default=None, help="Kedro environment, e.g. smoke.")
def sweep(specs: tuple[str, ...], env: str | None) -> None:
    """Run `kedro run` once per combination of parameter values, each its own MLflow run,
    then print a table of the results. Run it from the project root.

    \b
    digit-pipeline sweep train.seed=1,2,3
    digit-pipeline sweep train.learning_rate=0.0005,0.001 train.dropout=0.3,0.4
    """
    try:
        grid = parse_grid(list(specs))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="SPECS") from error
    click.echo(f"Sweeping {len(grid)} run(s) of `kedro run`")
    results = run_sweep(grid, env)
    click.echo(results_table(results))
    if any(result.returncode for result in results):
        sys.exit(1)
