import sys
from pathlib import Path

import pytest

from digit_pipeline.operations.sweep import SweepResult, kedro_command, parse_grid, results_table


def test_parse_grid_gives_every_combination_with_yaml_values():
    grid = parse_grid(["train.learning_rate=0.0005,1e-3", "train.dense_units=64"])
    assert grid == [
        {"train.learning_rate": 0.0005, "train.dense_units": 64},
        {"train.learning_rate": "1e-3", "train.dense_units": 64},  # YAML 1.1 wants 1.0e-3
    ]
    assert len(parse_grid(["a=1,2,3", "b=x,y"])) == 6


@pytest.mark.parametrize(
    "specs, message",
    [
        (["train.seed"], "expected key=value1,value2"),
        (["=1,2"], "expected key=value1,value2"),
        (["train.seed="], "expected key=value1,value2"),
        (["a=1", "a=2"], "a is given twice"),
        (["a=1", " a=2"], "a is given twice"),  # not a second axis that overwrites the first
    ],
)
def test_parse_grid_rejects_malformed_specs(specs, message):
    with pytest.raises(ValueError, match=message):
        parse_grid(specs)


def test_kedro_command():
    kedro, *arguments = kedro_command({"train.seed": 1, "train.dropout": 0.3}, env="smoke")
    assert arguments == ["run", "--env", "smoke", "--params", "train.seed=1,train.dropout=0.3"]
    # The kedro of this environment, found without an activated virtual environment.
    assert Path(kedro) == Path(sys.executable).parent / "kedro" and Path(kedro).exists()
    assert kedro_command({})[1:] == ["run"]


def test_results_table_marks_failed_runs():
    results = [
        SweepResult({"train.seed": 1}, "0123456789", 0.9961, 0.9968, "promoted", 600.0, 0),
        SweepResult({"train.seed": 2}, None, None, None, None, 30.0, 1),
    ]
    assert results_table(results).splitlines() == [
        "| train.seed | run | best val acc | test acc | champion | minutes |",
        "|---|---|---|---|---|---|",
        "| 1 | 01234567 | 0.9968 | 0.9961 | promoted | 10.0 |",
        "| 2 | failed (1) | — | — | — | 0.5 |",
    ]
