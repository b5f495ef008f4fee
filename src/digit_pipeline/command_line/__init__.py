"""The ``digit-pipeline`` command and what only it uses."""
