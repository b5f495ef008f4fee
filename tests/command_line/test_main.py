"""The `digit-pipeline` command line: its help answers at once, without the heavy parts."""

import subprocess
import sys

import pytest

COMMANDS = [[], ["predict"], ["app"], ["collect"], ["sweep"], ["server"], ["server", "add-user"]]
# Whether the command imported them, printed after click exits.
PROBE = """
import atexit, sys
atexit.register(lambda: print("heavy:", sorted(m for m in ("tensorflow", "keras", "mlflow", "kedro") if m in sys.modules)))
from digit_pipeline.command_line.main import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "main")
def test_help_imports_nothing_heavy(command):
    answer = subprocess.run(
        [sys.executable, "-c", PROBE, *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    assert "Usage:" in answer.stdout and "heavy: []" in answer.stdout
    assert "tensorflow" not in answer.stderr.lower()  # no start-up log before the usage
