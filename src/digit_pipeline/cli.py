"""The project's own ``kedro`` commands (Kedro takes ``cli`` from this module, before its
plugins' and its own). Without the ``dev`` extra, ``kedro viz ...`` and ``kedro jupyter
lab`` answer with the one line that installs it, instead of Kedro's ``No such command
'viz'`` or a bare ``NoneType: None``; with it, they are Kedro's and kedro-viz's own."""

from __future__ import annotations

import click
from kedro.framework.cli.jupyter import jupyter as kedro_jupyter

from digit_pipeline.extras import missing_modules, require

# A stand-in takes any arguments, --help included: it only says what to install.
STAND_IN = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@click.group(name="digit-pipeline")
def cli() -> None:
    """The project's commands."""


MISSING = missing_modules("dev")

if "kedro_viz" in MISSING:

    @cli.command(context_settings=STAND_IN)
    def viz() -> None:
        """Visualise the pipelines (needs the dev extra)."""
        require("dev", "kedro viz")


if "jupyterlab" in MISSING:

    @cli.group()
    def jupyter() -> None:
        """Open Jupyter Notebook / Lab with project specific variables loaded."""

    for name, command in kedro_jupyter.commands.items():
        if name != "lab":
            jupyter.add_command(command)

    @jupyter.command(context_settings=STAND_IN)
    def lab() -> None:
        """Open Jupyter Lab with the project loaded (needs the dev extra)."""
        require("dev", "kedro jupyter lab")
