"""The `digit-pipeline` command: read handwritten digits with the registered model.
(Not cli.py: that module holds the project's own `kedro` commands.)
Each command imports what it needs when it runs (TensorFlow, MLflow, Kedro), so that
`--help` answers at once.

digit-pipeline predict IMAGE... [--model-uri models:/<registered model>@<champion alias>]
digit-pipeline app [--host 127.0.0.1] [--port 8000] [--model-uri ...] [--allowed-host NAME]
                   [--own-digits data/01_raw/own_digits]
digit-pipeline collect SHEET (--rows 0123456789 [--keep-matching] | --each-line-is 0,1,2,...)
                       [--own-digits DIR]
digit-pipeline sweep KEY=VALUE1,VALUE2... [KEY=...] [--env ENV]
digit-pipeline server [--dir .team-server] [--port 5000] [--db-port 5432] [--workers 2]
digit-pipeline server add-user NAME
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from digit_pipeline.extras import require


def _champion_uri() -> str:
    from digit_pipeline.project import champion_uri  # noqa: PLC0415

    return champion_uri()


def _own_digits_folder() -> Path:
    from digit_pipeline.project import own_digits_folder  # noqa: PLC0415

    return own_digits_folder()


OWN_DIGITS = click.option(
    "--own-digits", default=_own_digits_folder, show_default="own_digits_dir in conf/base/globals.yml",
    type=click.Path(file_okay=False, path_type=Path), help="Where your own digits are kept.",
)  # fmt: skip
MODEL_URI = click.option(
    "--model-uri", default=_champion_uri, show_default="the champion in conf/base/globals.yml",
    help="Registered model to use.",
)  # fmt: skip


def _reader(model_uri: str):
    from digit_pipeline.reading.pyfunc import load_reader  # noqa: PLC0415

    return load_reader(model_uri)


@click.group()
def main() -> None:
    """Read handwritten digits with the model in MLflow's registry; sweep parameters.

    MLflow is found through MLFLOW_TRACKING_URI, else ./mlflow.db: run from the project root.
    """


@main.command()
@click.argument(
    "images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@MODEL_URI
@click.option(
    "--format", "output", type=click.Choice(["files", "csv", "json"]), default="files",
    show_default=True,
    help="files: CSV, one row per image; csv: one row per line of writing, one cell per "
    "number; json: the served model's answer per image.",
)  # fmt: skip
def predict(images: tuple[Path, ...], model_uri: str, output: str) -> None:
    """Print what is read in each IMAGE (PNG, JPEG, BMP, GIF or WebP). As ``files``, CSV
    of file, digit (the whole image as one digit), confidence, digits (in reading order; a
    sheet's lines separated by line breaks, the field quoted) and error (why a file could
    not be read); as ``csv``, file, line and the numbers of each line of writing, one per
    cell; as ``json``, one object per line of output: file and the served answer. A file
    that cannot be read is also named on stderr, and the exit status is 1."""
    from digit_pipeline.reading.cores import every_core  # noqa: PLC0415
    from digit_pipeline.reading.results import answers_of  # noqa: PLC0415
    from digit_pipeline.reading.tables import lines_table, readings_table  # noqa: PLC0415

    readings, errors = _reader(model_uri).read_each(
        {str(path): path.read_bytes for path in images}, workers=every_core()
    )
    answers = answers_of(readings, errors)
    if output == "json":
        for name, answer in sorted(answers.items()):
            click.echo(json.dumps({"file": name, **answer}))
    else:
        table = readings_table if output == "files" else lines_table
        click.echo(table(answers).to_csv(index=False), nl=False)
    for name, error in errors.items():
        click.echo(f"{name}: {error}", err=True)
    if errors:
        sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@MODEL_URI
@click.option(
    "--allowed-host", "allowed_hosts", multiple=True,
    help="A name the server answers to besides 127.0.0.1, localhost and --host (repeatable).",
)  # fmt: skip
@OWN_DIGITS
def app(
    host: str, port: int, model_uri: str, allowed_hosts: tuple[str, ...], own_digits: Path
) -> None:
    """Start the GUI: draw a digit or upload a photo of handwriting in the browser."""
    import uvicorn  # noqa: PLC0415  (only this command needs the web server)

    from digit_pipeline.app import LOCAL_HOSTS, create_app  # noqa: PLC0415
    from digit_pipeline.app.model_info import describe_model  # noqa: PLC0415
    from digit_pipeline.datasets.own_digits import OwnDigits  # noqa: PLC0415

    version_uri, model = describe_model(model_uri)
    reader = _reader(version_uri)
    hosts = [*LOCAL_HOSTS, *allowed_hosts, *([host] if host not in ("0.0.0.0", "::") else [])]
    click.echo(f"Reading with {model_uri} (version {model['version']}); open http://{host}:{port}/")
    app = create_app(reader, model, OwnDigits(own_digits), hosts)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@main.command()
@click.argument("sheet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rows", help="Every line holds these digits in this order, e.g. 0123456789.")
@click.option(
    "--each-line-is", help="Line k holds only the k-th of these digits, e.g. 0,1,2,3,4,5,6,7,8,9."
)
@click.option(
    "--keep-matching",
    is_flag=True,
    help="With --rows: keep the lines that match the pattern and report the others.",
)
@OWN_DIGITS
@MODEL_URI
def collect(
    sheet: Path,
    *,
    rows: str | None,
    each_line_is: str | None,
    keep_matching: bool,
    own_digits: Path,
    model_uri: str,
) -> None:
    """Keep the digits of a photographed SHEET that you wrote in a known pattern, each
    labelled by the pattern, as your own digits. With --rows, each line is read as that
    many digits. A sheet whose lines do not match the pattern is refused, and nothing of
    it is kept (with --keep-matching, the lines that match are kept)."""
    if (rows is None) == (each_line_is is None):
        raise click.UsageError("give one pattern: --rows or --each-line-is")
    from digit_pipeline.command_line.collect import PatternError, collect_sheet  # noqa: PLC0415
    from digit_pipeline.datasets.own_digits import OwnDigits  # noqa: PLC0415
    from digit_pipeline.reading.errors import InvalidInput  # noqa: PLC0415
    from digit_pipeline.reading.images.mnist import digit_label  # noqa: PLC0415

    try:
        for digit in rows or "":
            digit_label(digit)
    except ValueError:
        raise click.BadParameter(f"{rows!r} is not a row of digits", param_hint="--rows") from None
    try:
        digits = None
        if each_line_is is not None:
            digits = [digit_label(part.strip()) for part in each_line_is.split(",")]
    except ValueError:
        raise click.BadParameter(
            f"{each_line_is!r} is not a list of digits such as 0,1,2", param_hint="--each-line-is"
        ) from None
    try:
        collected = collect_sheet(
            sheet.read_bytes(),
            _reader(model_uri),
            OwnDigits(own_digits),
            rows=rows,
            each_line_is=digits,
            keep_matching=keep_matching,
        )
    except InvalidInput as error:
        raise click.ClickException(f"{sheet}: {error.reason}; nothing kept") from error
    except PatternError as error:
        raise click.ClickException(f"{sheet}: {error}; nothing kept") from error
    kept = len(collected.sample_ids)
    for reason in collected.left_out:
        click.echo(f"{sheet}: {reason}; left out", err=True)
    click.echo(
        f"Kept {kept} digits of {sheet} in {own_digits}; the model read"
        f" {collected.read_right} of them right ({collected.read_right / kept:.0%})."
    )


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
    from digit_pipeline.operations.sweep import parse_grid, results_table, run_sweep  # noqa: PLC0415

    try:
        grid = parse_grid(list(specs))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="SPECS") from error
    click.echo(f"Sweeping {len(grid)} run(s) of `kedro run`")
    results = run_sweep(grid, env)
    click.echo(results_table(results))
    if any(result.returncode for result in results):
        sys.exit(1)


@main.group(invoke_without_command=True)
@click.option("--dir", "folder", default=".team-server", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="The server's folder: its database, artifacts and users.")  # fmt: skip
@click.option("--port", default=5000, show_default=True, help="The MLflow server's port.")
@click.option("--db-port", default=5432, show_default=True, help="PostgreSQL's port.")
@click.option("--workers", default=2, show_default=True, help="The MLflow server's workers.")
@click.pass_context
def server(context, folder: Path, port: int, db_port: int, workers: int) -> None:
    """A team's MLflow server on PostgreSQL, with logins, on 127.0.0.1.

    \b
    MLFLOW_AUTH_ADMIN_PASSWORD=... digit-pipeline server      # the first start makes `admin`
    digit-pipeline server add-user NAME                       # as admin (MLFLOW_TRACKING_*)
    """
    from digit_pipeline.operations.team_server import ServerError, TeamServer, serve  # noqa: PLC0415

    context.obj = TeamServer(folder, port, db_port)
    if context.invoked_subcommand is None:
        require("server", "digit-pipeline server")
        try:
            sys.exit(serve(context.obj, workers))
        except ServerError as error:
            raise click.ClickException(str(error)) from error


@server.command("add-user")
@click.argument("username")
@click.password_option(help="The new user's password (asked when not given).")
@click.pass_obj
def add_user(team_server, username: str, password: str) -> None:
    """Make a user, logged in as an admin (MLFLOW_TRACKING_USERNAME and _PASSWORD)."""
    from mlflow.exceptions import MlflowException  # noqa: PLC0415

    from digit_pipeline.operations.team_server import add_user as create_user  # noqa: PLC0415

    require("server", "digit-pipeline server add-user")
    uri = os.environ.get("MLFLOW_TRACKING_URI", team_server.url)
    try:
        create_user(uri, username, password)
    except MlflowException as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Made user {username} on {uri}")
