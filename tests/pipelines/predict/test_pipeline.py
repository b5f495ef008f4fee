"""Batch prediction and the command line, on a folder of generated images, with the
champion of a smoke run in a temporary MLflow store."""

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from mlflow import MlflowClient

from digit_pipeline.pipelines.predict.nodes import predict_images
from digit_pipeline.reading.tables import READING_COLUMNS
from digit_pipeline.testing.images import FOLDER_IMAGES
from digit_pipeline.testing.project import CHAMPION, EXPERIMENT, in_project, tracking_uri


@pytest.fixture
def champion(smoke_project):
    mlflow.set_tracking_uri(tracking_uri(smoke_project[0]))
    return mlflow.pyfunc.load_model(CHAMPION)


def split_at_spaces(numbers: list[int], digits: str) -> bool:
    """Whether ``numbers`` are ``digits`` split where the writer left spaces (a number
    loses its leading zeros)."""
    return re.fullmatch("".join(f"0*{number}" for number in numbers), digits) is not None


def numbers_of(row: pd.Series) -> list[int]:
    return row.filter(like="number_").dropna().astype(int).tolist()


def test_predict_images_node(image_folder, champion, caplog):
    files = {path.name: path.read_bytes for path in image_folder.iterdir()}
    table, lines = predict_images(files, champion)
    assert table.columns.tolist() == READING_COLUMNS
    # One row per line of writing, its numbers in cells: the strip's digits read as numbers.
    strip = lines[lines["file"] == "d_strip.png"]
    assert strip["line"].tolist() == [1]
    digits = table.set_index("file").loc["d_strip.png", "digits"]
    assert split_at_spaces(numbers_of(strip.iloc[0]), digits)
    # A row for every file but the hidden one; the one that is not an image has its error.
    assert table["file"].tolist() == [*FOLDER_IMAGES, "notes.txt"]
    read, failed = table.iloc[:-1], table.iloc[-1]
    assert read["digit"].between(0, 9).all() and read["confidence"].between(0, 1).all()
    assert read["error"].isna().all()
    assert failed["error"].startswith("not an image") and pd.isna(failed["digit"])
    assert len(table.set_index("file").loc["d_strip.png", "digits"]) == 4
    assert "Could not read notes.txt: not an image" in caplog.text


def test_predict_pipeline_writes_a_csv_and_logs_it(project_with_a_champion, image_folder):
    project = project_with_a_champion
    with in_project(project):
        runtime_params = {"predict_dir": str(image_folder)}
        with KedroSession.create(
            project_path=project, env="smoke", runtime_params=runtime_params
        ) as session:
            session.run(pipeline_name="predict")
    table = pd.read_csv(
        project / "data" / "07_model_output" / "predictions.csv", dtype={"digits": str}
    )
    assert table.columns.tolist() == READING_COLUMNS
    assert table["file"].tolist() == [*FOLDER_IMAGES, "notes.txt"]
    assert len(table.loc[3, "digits"]) == 4
    # The batch prediction is an MLflow run of its own, holding the CSV.
    client = MlflowClient(tracking_uri(project))
    experiment = client.get_experiment_by_name(EXPERIMENT).experiment_id
    (run,) = client.search_runs([experiment], "attributes.run_name LIKE 'predict%'")
    assert run.info.status == "FINISHED"
    assert [a.path for a in client.list_artifacts(run.info.run_id, "predictions")] == [
        "predictions/lines.csv",
        "predictions/predictions.csv",
    ]
    lines = pd.read_csv(project / "data" / "07_model_output" / "lines.csv")
    assert lines["file"].tolist() == FOLDER_IMAGES  # one line each
    for (_, line), digits in zip(lines.iterrows(), table["digits"][:-1], strict=True):
        assert split_at_spaces(numbers_of(line), digits)


def test_command_line_prints_csv_and_reports_bad_files(smoke_project, image_folder, champion):
    project = smoke_project[0]
    command = [
        str(Path(sys.executable).parent / "digit-pipeline"),
        "predict",
        "a_seven.png",
        "d_strip.png",
        "notes.txt",
    ]
    environment = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri(project)}
    result = subprocess.run(
        command,
        check=False,
        cwd=image_folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1  # one file could not be read
    table = pd.read_csv(io.StringIO(result.stdout), dtype={"digits": str})
    assert table.columns.tolist() == READING_COLUMNS
    assert table["file"].tolist() == ["a_seven.png", "d_strip.png", "notes.txt"]
    assert len(table.loc[1, "digits"]) == 4 and table.loc[2, "error"].startswith("not an image")
    assert "notes.txt: not an image" in result.stderr
    # The very table the predict pipeline writes of the same files.
    files = {name: (image_folder / name).read_bytes for name in command[2:]}
    assert result.stdout == predict_images(files, champion)[0].to_csv(index=False)


@pytest.mark.parametrize("output", ["csv", "json"])
def test_command_line_prints_lines_and_their_numbers(smoke_project, image_folder, output):
    command = [str(Path(sys.executable).parent / "digit-pipeline"), "predict", "--format",
               output, "d_strip.png", "a_seven.png"]  # fmt: skip
    environment = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri(smoke_project[0])}
    result = subprocess.run(command, check=True, cwd=image_folder, env=environment,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    if output == "csv":
        rows = [line.split(",") for line in result.stdout.strip().splitlines()]
        assert rows[0][:3] == ["file", "line", "number_1"]
        assert [row[:2] for row in rows[1:]] == [["a_seven.png", "1"], ["d_strip.png", "1"]]
        assert all(cell.isdigit() for row in rows[1:] for cell in row[2:] if cell)
    else:
        answers = [json.loads(line) for line in result.stdout.splitlines()]
        assert [answer["file"] for answer in answers] == ["a_seven.png", "d_strip.png"]
        (line,) = answers[1]["lines"]
        assert line["text"].replace(" ", "") == line["digits"] == answers[1]["digits"]
        assert line["numbers"] == [int(number) for number in line["text"].split()]
