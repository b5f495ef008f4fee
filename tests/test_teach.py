"""Your own digits in use: collected from a photographed sheet with `digit-pipeline
collect`, measured and taught by `kedro run`, with the smoke-trained champion."""

import os
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from PIL import Image

from digit_pipeline.datasets.own_digits import OwnDigits, split_own_digits
from digit_pipeline.generators.phone import phone_photo
from digit_pipeline.generators.photos import DigitPool, pattern_sheet
from digit_pipeline.generators.writer import write_in_hand
from digit_pipeline.testing.project import MODEL_NAME, copy_project, kedro_run, tracking_uri
from digit_pipeline.testing.servers import digit_pipeline_app

COMMAND = str(Path(sys.executable).parent / "digit-pipeline")


def js_to_fixed(x: float, digits: int) -> str:
    """`x.toFixed(digits)` as the page's JavaScript writes it: a tie rounds up (18 of 32
    is 56.3%), where Python's format rounds it to even (56.2%)."""
    return str(Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def collect(project: Path, sheet: Path, own: Path, *pattern: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [COMMAND, "collect", str(sheet), *pattern, "--own-digits", str(own)],
        env={**os.environ, "MLFLOW_TRACKING_URI": tracking_uri(project)},
        check=False, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def sheet(smoke_project, mnist_train, tmp_path_factory) -> Path:
    """A photographed sheet on which a person wrote 0123456789 three times."""
    images, labels = mnist_train
    written = pattern_sheet(
        DigitPool(images[:5000], labels[:5000]), np.random.default_rng(3), ["0123456789"] * 3
    )
    path = tmp_path_factory.mktemp("sheet") / "sheet.jpg"
    path.write_bytes(written.data)
    return path


def test_collect_keeps_every_digit_of_a_sheet_labelled_by_its_pattern(
    smoke_project, sheet, tmp_path
):
    result = collect(smoke_project[0], sheet, tmp_path, "--rows", "0123456789")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Kept 30 digits" in result.stdout
    table = pd.read_csv(tmp_path / "labels.csv")
    assert table["label"].tolist() == list(range(10)) * 3
    assert (table["source"] == "sheet").all()
    for row in table.itertuples():
        width, height = Image.open(tmp_path / row.crop).size  # the digit as photographed
        assert 3 <= width <= 120 and 20 <= height <= 120
    assert len(OwnDigits(tmp_path).load()) == 30


def test_collect_keeps_the_digits_of_a_phone_photo_of_the_sheet(
    smoke_project, mnist_train, tmp_path
):
    """The sheet on a desk, seen at an angle: each digit's crop is cut from the photo where
    the digit lies (the box around its quadrilateral)."""
    images, labels = mnist_train
    rng = np.random.default_rng(4)
    photo = phone_photo(
        DigitPool(images[:5000], labels[:5000]), rng, paper="plain", texts=["0123456789"] * 3
    )
    path = tmp_path / "desk.jpg"
    path.write_bytes(photo.data)
    result = collect(smoke_project[0], path, tmp_path / "own", "--rows", "0123456789")
    assert result.returncode == 0, result.stderr[-2000:]
    table = pd.read_csv(tmp_path / "own" / "labels.csv")
    assert table["label"].tolist() == list(range(10)) * 3
    for row in table.itertuples():
        crop = np.asarray(Image.open(tmp_path / "own" / row.crop).convert("L"))
        assert 3 <= crop.shape[1] <= 120 and 15 <= crop.shape[0] <= 120
        assert crop.min() < 0.6 * np.median(crop)  # ink in it, on paper


def test_collect_keeps_the_lines_that_match_and_reports_the_others(
    smoke_project, mnist_train, tmp_path
):
    """A line left half written: refused whole by default, left out with --keep-matching."""
    images, labels = mnist_train
    written = pattern_sheet(
        DigitPool(images[:5000], labels[:5000]),
        np.random.default_rng(5),
        ["0123456789", "01234", "0123456789"],
    )
    path = tmp_path / "half.jpg"
    path.write_bytes(written.data)
    refused = collect(smoke_project[0], path, tmp_path / "all", "--rows", "0123456789")
    assert refused.returncode != 0 and "line 2 has 5 digits, not 10" in refused.stderr
    result = collect(
        smoke_project[0], path, tmp_path / "own", "--rows", "0123456789", "--keep-matching"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "line 2 has 5 digits, not 10; left out" in result.stderr
    assert "Kept 20 digits" in result.stdout
    table = pd.read_csv(tmp_path / "own" / "labels.csv")
    assert table["label"].tolist() == list(range(10)) * 2


@pytest.mark.parametrize(
    "pattern, message",
    [
        (["--rows", "012345678"], "line 1 has 10 digits, not 9; line 2 has 10 digits, not 9"),
        (["--each-line-is", "0,1"], "the sheet has 3 lines, the pattern 2 (0,1)"),
        (["--each-line-is", "0,12"], "is not a list of digits"),
        (["--rows", "0123", "--each-line-is", "0"], "give one pattern"),
    ],
)
def test_collect_refuses_a_sheet_off_its_pattern_and_keeps_nothing(
    smoke_project, sheet, tmp_path, pattern, message
):
    result = collect(smoke_project[0], sheet, tmp_path, *pattern)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "labels.csv").exists()


def test_a_run_measures_the_model_on_own_digits_and_teaches_it_them(tmp_path, mnist_train, browser):
    """A hand unlike MNIST's (each digit turned a quarter): a run taught with its digits
    reads its held-out digits better than the same run that skips them."""
    (tmp_path / "taught").mkdir(), (tmp_path / "untaught").mkdir()
    project = copy_project(tmp_path / "taught")
    store = OwnDigits(project / "data" / "01_raw" / "own_digits")
    images, labels = mnist_train
    rng = np.random.default_rng(0)
    for digit, label in zip(write_in_hand(images[-100:], labels[-100:], rng), labels[-100:]):
        store.add(int(label), np.rot90(digit), None, "drawn")
    _, y_train, _, y_test = split_own_digits(store.load(), test_share=0.3, seed=42)
    untaught_project = copy_project(tmp_path / "untaught")
    shutil.copytree(store.folder, untaught_project / "data" / "01_raw" / "own_digits")

    run = kedro_run(project, {"train": {"own_digits_share": 0.3}})
    untaught = kedro_run(untaught_project, {"train": {"own_digits_share": 0.0}})
    assert run.data.metrics["own_count"] == len(y_test) > 0
    assert run.data.metrics["own_train_count"] == len(y_train) > 0
    assert run.data.metrics["own_accuracy"] >= untaught.data.metrics["own_accuracy"] + 0.3
    client = MlflowClient(tracking_uri(project))
    artifacts = {
        a.path
        for folder in ("figures", "evaluation")
        for a in client.list_artifacts(run.info.run_id, folder)
    }
    assert {
        "figures/own_confusion_matrix.png",
        "figures/own_misclassified.png",
        "evaluation/own_metrics.json",
    } <= artifacts
    (version,) = client.search_model_versions(f"name='{MODEL_NAME}'")
    assert version.tags["own_accuracy"] == f"{run.data.metrics['own_accuracy']:.4f}"
    # The GUI's header shows it beside the test accuracy.
    env = {"MLFLOW_TRACKING_URI": tracking_uri(project)}
    with digit_pipeline_app(env, "--own-digits", str(store.folder)) as url:
        page = browser.new_page()
        page.goto(url)
        page.wait_for_function(
            "document.getElementById('model-info').textContent.startsWith('Model:')"
        )
        percent = js_to_fixed(100 * run.data.metrics["own_accuracy"], 1)
        own = f"your digits {percent}% ({len(y_test)} held out)"
        assert page.locator("#model-info").inner_text().endswith(own)
        page.close()
