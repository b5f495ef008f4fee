"""The own-digits store: what it keeps, that it stays whole through crashes and saves at
once, and that a broken sample is reported by name and skipped."""

import io
import logging
import multiprocessing
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fsspec
import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, DatasetError
from PIL import Image

from digit_pipeline.command_line.collect import PatternError, labels_from_pattern
from digit_pipeline.datasets.own_digits import OwnDigits, split_own_digits


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def digits(mnist_train) -> tuple[np.ndarray, np.ndarray]:
    """Real MNIST training digits in [0, 1] and their labels."""
    images, labels = mnist_train
    return images[:200] / 255.0, labels[:200]


def keep(store: OwnDigits, digits, index: int, source: str = "drawn") -> str:
    images, labels = digits
    crop = png((255 - images[index] * 255).astype(np.uint8))  # dark on light, as written
    return store.add(int(labels[index]), images[index], crop, source)


def test_kept_samples_are_a_labels_file_pandas_reads_and_their_images(tmp_path, digits):
    store = OwnDigits(tmp_path)
    ids = [keep(store, digits, i, source) for i, source in enumerate(["drawn", "photo", "sheet"])]
    table = pd.read_csv(tmp_path / "labels.csv")
    assert table["sample_id"].tolist() == ids
    assert table["label"].tolist() == digits[1][:3].tolist()
    assert table["source"].tolist() == ["drawn", "photo", "sheet"]
    assert pd.to_datetime(table["kept_at"]).notna().all()
    for row in table.itertuples():
        assert Image.open(tmp_path / row.crop).size == (28, 28)  # the crop as sent
        assert Image.open(tmp_path / row.digit).size == (28, 28)
    loaded = store.load()
    for pixels, image in zip(loaded["pixels"], digits[0][:3], strict=True):
        np.testing.assert_allclose(pixels, image, atol=1 / 255)
    assert store.counts()[int(digits[1][0])] >= 1 and sum(store.counts().values()) == 3


def _keep_many(folder: str, start: int) -> list[str]:
    store = OwnDigits(folder)
    digit = np.zeros((28, 28), np.float32)
    digit[8:20, 12:16] = 1.0
    return [store.add((start + i) % 10, digit, None, "drawn") for i in range(15)]


def test_saves_at_once_from_threads_and_processes_all_land(tmp_path):
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        from_processes = pool.starmap(_keep_many, [(str(tmp_path), 0), (str(tmp_path), 5)])
    with ThreadPoolExecutor(3) as threads:
        from_threads = list(threads.map(_keep_many, [str(tmp_path)] * 3, [1, 2, 3]))
    kept = {sample for batch in from_processes + from_threads for sample in batch}
    assert len(kept) == 75
    loaded = OwnDigits(tmp_path).load()
    assert set(loaded["sample_id"]) == kept and not loaded.attrs["skipped"]


def test_a_crash_while_saving_leaves_the_samples_kept_before(tmp_path, digits, monkeypatch):
    store = OwnDigits(tmp_path)
    first = keep(store, digits, 0)
    before = (tmp_path / "labels.csv").read_bytes()

    replace = os.replace

    def crash_on_labels(source, target):  # the images land, the labels file does not
        if Path(target).name == "labels.csv":
            raise OSError("the disk went away")
        replace(source, target)

    monkeypatch.setattr(os, "replace", crash_on_labels)
    with pytest.raises(OSError, match="the disk went away"):
        keep(store, digits, 1)
    monkeypatch.undo()
    assert (tmp_path / "labels.csv").read_bytes() == before
    assert not list(tmp_path.rglob(".*.png.*")) and not list(tmp_path.glob(".labels.csv.*"))
    # A file half written by a process that died is not read as a sample.
    (tmp_path / ".labels.csv.half").write_text("sample_id,label\nbroken,")
    second = keep(store, digits, 2)
    assert store.load()["sample_id"].tolist() == [first, second]


def test_a_broken_sample_is_reported_by_name_and_skipped(tmp_path, digits, caplog):
    store = OwnDigits(tmp_path)
    ids = [keep(store, digits, i) for i in range(4)]
    table = store.table().set_index("sample_id")
    truncated = tmp_path / table.loc[ids[1], "digit"]
    truncated.write_bytes(truncated.read_bytes()[:30])
    (tmp_path / table.loc[ids[2], "digit"]).unlink()
    with caplog.at_level(logging.WARNING):
        loaded = store.load()
    assert loaded["sample_id"].tolist() == [ids[0], ids[3]]
    assert set(loaded.attrs["skipped"]) == {ids[1], ids[2]}
    assert ids[1] in caplog.text and ids[2] in caplog.text


def test_a_labels_file_that_is_not_one_is_an_error_naming_it(tmp_path):
    (tmp_path / "labels.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00garbage")
    with pytest.raises(DatasetError, match="labels.csv"):
        OwnDigits(tmp_path).load()


@pytest.mark.parametrize(
    "sample, message",
    [
        ((10, np.zeros((28, 28)), None, "drawn"), "the label must be a digit 0-9"),
        ((3, np.zeros((28, 28)), None, "scanner"), "the source must be one of"),
        ((3, np.zeros((27, 28)), None, "drawn"), "the digit must be 28x28"),
        ((3, np.full((28, 28), 255.0), None, "drawn"), "values in \\[0, 1\\]"),
        ((3, np.zeros((28, 28)), b"not an image", "photo"), "the crop is not a readable image"),
    ],
)
def test_bad_samples_are_refused_and_nothing_is_written(tmp_path, sample, message):
    with pytest.raises(ValueError, match=message):
        OwnDigits(tmp_path).add(*sample)
    assert not (tmp_path / "labels.csv").exists() and not list(tmp_path.rglob("*.png"))


def test_delete_forgets_a_sample_and_its_images(tmp_path, digits):
    store = OwnDigits(tmp_path)
    kept, forgotten = keep(store, digits, 0), keep(store, digits, 1)
    assert store.delete(forgotten) and not store.delete(forgotten)
    assert store.table()["sample_id"].tolist() == [kept]
    assert sorted(path.name for path in (tmp_path / "images").iterdir()) == [
        f"{kept}-28x28.png",
        f"{kept}.png",
    ]


def test_split_holds_each_sample_out_or_in_for_good(tmp_path, digits):
    store = OwnDigits(tmp_path)
    for index in range(60):
        keep(store, digits, index)
    first = store.load()
    X_train, y_train, X_test, y_test = split_own_digits(first, test_share=0.3, seed=1)
    assert X_train.shape[1:] == (28, 28, 1) and X_train.dtype == np.float32
    assert len(y_train) + len(y_test) == 60 and 8 <= len(y_test) <= 30
    held_out = {bytes(x) for x in X_test}
    for index in range(60, 120):
        keep(store, digits, index)
    _, _, X_test_later, _ = split_own_digits(store.load(), test_share=0.3, seed=1)
    later = {bytes(x) for x in X_test_later}
    assert held_out <= later  # held out before, held out still
    assert not {bytes(x) for x in X_train} & later
    # Another seed, another split.
    assert {bytes(x) for x in split_own_digits(first, 0.3, seed=2)[2]} != held_out


def test_the_kedro_dataset_loads_nothing_then_what_was_saved(tmp_path, digits):
    catalog = DataCatalog.from_config(
        {
            "own": {
                "type": "digit_pipeline.datasets.own_digits.OwnDigitsDataset",
                "filepath": str(tmp_path),
            }
        }
    )
    assert catalog.load("own").empty
    images, labels = digits
    catalog.save(
        "own",
        pd.DataFrame({"label": labels[:5], "pixels": list(images[:5]), "source": "sheet"}),
    )
    loaded = catalog.load("own")
    assert loaded["label"].tolist() == labels[:5].tolist()
    assert (loaded["source"] == "sheet").all()


def test_the_kedro_dataset_reads_through_fsspec_and_writes_only_here(tmp_path, digits):
    """Samples kept here, copied to another filesystem (fsspec's memory://): the dataset
    reads them from there, and refuses to keep one there."""
    local = OwnDigits(tmp_path)
    ids = [keep(local, digits, index) for index in range(3)]
    memory = fsspec.filesystem("memory")
    for path in tmp_path.rglob("*.*"):
        if not path.name.startswith("."):
            memory.pipe(f"/own/{path.relative_to(tmp_path)}", path.read_bytes())
    catalog = DataCatalog.from_config(
        {
            "own": {
                "type": "digit_pipeline.datasets.own_digits.OwnDigitsDataset",
                "filepath": "memory:///own",
            }
        }  # fmt: skip
    )
    loaded = catalog.load("own")
    assert loaded["sample_id"].tolist() == ids
    assert np.array_equal(np.stack(loaded["pixels"]), np.stack(local.load()["pixels"]))
    with pytest.raises(DatasetError, match="kept on this machine only"):
        catalog.save(
            "own", pd.DataFrame({"label": [1], "pixels": [digits[0][0]], "source": "drawn"})
        )


def test_rows_pattern_labels_every_digit_or_names_the_lines_off():
    assert labels_from_pattern(["0123", "0123"], rows="0123") == [[0, 1, 2, 3]] * 2
    with pytest.raises(PatternError, match="line 2 has 3 digits, not 4; line 3 has 5 digits"):
        labels_from_pattern(["0123", "012", "01234"], rows="0123")
    with pytest.raises(PatternError, match="no lines of digits found"):
        labels_from_pattern([], rows="0123")


def test_each_line_pattern_labels_every_digit_or_says_the_lines_are_off():
    assert labels_from_pattern(["777", "11"], each_line_is=[7, 1]) == [[7, 7, 7], [1, 1]]
    with pytest.raises(PatternError, match="the sheet has 3 lines, the pattern 2"):
        labels_from_pattern(["777", "11", "2"], each_line_is=[7, 1])


def test_the_images_folder_is_made_when_needed(tmp_path, digits):
    folder = Path(tmp_path) / "not" / "yet"
    keep(OwnDigits(folder), digits, 0)
    assert (folder / "labels.csv").exists()
