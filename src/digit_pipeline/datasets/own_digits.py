"""Your own handwriting: digits a person confirmed or corrected, kept on this machine.

A folder (the catalog's ``own_digits``: ``data/01_raw/own_digits/``) holds::

    labels.csv               one row per sample: sample_id, label, source, kept_at, crop, digit
    images/<id>.png          the crop of the original image, as the person wrote it
    images/<id>-28x28.png    the 28x28 digit the model read (bright ink on black)

``pandas.read_csv("data/01_raw/own_digits/labels.csv")`` reads the labels. Every write is
atomic: a file is written beside its place and renamed over it, and ``labels.csv`` is
rewritten under an exclusive lock, so a crash leaves the old file or the new one and two
saves at once both land. A sample whose 28x28 image is missing or unreadable is reported
by name and skipped.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import logging
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fsspec
import numpy as np
import pandas as pd
from kedro.io.core import AbstractDataset, DatasetError, get_protocol_and_path
from PIL import Image

from digit_pipeline.reading.images import IMAGE_SIZE, NUM_CLASSES, ImageError, open_image
from digit_pipeline.reading.images.mnist import digit_label

COLUMNS = ["sample_id", "label", "source", "kept_at", "crop", "digit"]
SOURCES = ("drawn", "photo", "sheet")
# Crops are kept at most this many pixels a side: enough to see the handwriting.
MAX_CROP_SIDE = 512

logger = logging.getLogger(__name__)


class OwnDigits:
    """The samples kept in ``folder``: add, delete, list, and load them with their pixels.

    ``folder`` may be a path or a URL of any filesystem fsspec knows (``filepath`` as
    kedro-datasets take it): the samples are read through it; they are written on this
    machine only (``file``), where writes can be atomic and locked."""

    def __init__(self, folder: str | os.PathLike) -> None:
        protocol, path = get_protocol_and_path(str(folder))
        self.protocol = protocol
        self._fs = fsspec.filesystem(protocol)
        self.folder = Path(path)
        self.labels_file = self.folder / "labels.csv"

    def add(self, label: int | str, digit: np.ndarray, crop: bytes | None, source: str) -> str:
        """Keep one sample and return its id.

        Args:
            label: The digit it is, 0-9 (or "0"-"9"), as the person confirmed or corrected it.
            digit: The 28x28 image the model read, values in [0, 1].
            crop: The original crop as an image file (PNG, JPEG...), or None.
            source: ``drawn``, ``photo`` or ``sheet``.

        Raises:
            ValueError: A label that is not a digit, an unknown source, a digit image that
                is not 28x28 in [0, 1], or a crop that is not an image.
        """
        self._check_local()
        label = digit_label(label)
        if source not in SOURCES:
            raise ValueError(f"the source must be one of {', '.join(SOURCES)}, not {source!r}")
        digit = np.asarray(digit, dtype=np.float32)
        if digit.shape != (IMAGE_SIZE, IMAGE_SIZE) or not np.all((digit >= 0) & (digit <= 1)):
            raise ValueError(f"the digit must be 28x28 with values in [0, 1], got {digit.shape}")
        crop_image = _crop_image(crop) if crop is not None else None

        kept_at = datetime.now(UTC)
        sample_id = f"{kept_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        row = {
            "sample_id": sample_id,
            "label": label,
            "source": source,
            "kept_at": kept_at.isoformat(timespec="seconds"),
            "crop": f"images/{sample_id}.png" if crop_image else "",
            "digit": f"images/{sample_id}-28x28.png",
        }
        (self.folder / "images").mkdir(parents=True, exist_ok=True)
        # The images first: a crash before the labels are written leaves only unlisted files.
        _write_atomically(
            self.folder / row["digit"],
            _png(Image.fromarray((digit * 255).round().astype(np.uint8), mode="L")),
        )
        if crop_image:
            _write_atomically(self.folder / row["crop"], _png(crop_image))
        with self._locked():
            table = self.table()
            self._write_table(pd.concat([table, pd.DataFrame([row])], ignore_index=True))
        return sample_id

    def delete(self, sample_id: str) -> bool:
        """Forget a sample and remove its images; False if there is no such sample."""
        self._check_local()
        with self._locked():
            table = self.table()
            found = table["sample_id"] == sample_id
            if not found.any():
                return False
            self._write_table(table[~found])
        for column in ("crop", "digit"):
            for name in table.loc[found, column]:
                if name:
                    (self.folder / name).unlink(missing_ok=True)
        return True

    def table(self) -> pd.DataFrame:
        """The labels file as it is (no images read): an empty table when nothing is kept.

        Raises:
            DatasetError: ``labels.csv`` is not a readable labels file.
        """
        if not self.exists():
            return pd.DataFrame(columns=COLUMNS)
        try:
            with self._fs.open(str(self.labels_file), "rb") as labels:
                table = pd.read_csv(
                    labels, dtype={"sample_id": str, "crop": str, "digit": str}
                ).fillna({"crop": ""})
        except (ValueError, UnicodeDecodeError) as error:
            raise DatasetError(
                f"{self.labels_file} is not a readable labels file: {error}"
            ) from error
        missing = set(COLUMNS) - set(table.columns)
        if missing:
            raise DatasetError(f"{self.labels_file} lacks the columns {sorted(missing)}")
        return table[COLUMNS]

    def load(self) -> pd.DataFrame:
        """The readable samples with their 28x28 images (column ``pixels``, float32 in
        [0, 1]). Each sample that cannot be used (a label that is not a digit, a missing
        or unreadable image) is logged with its id and why, and listed in
        ``attrs["skipped"]``."""
        table = self.table()
        pixels, keep, skipped = [], [], {}
        for row in table.itertuples(index=False):
            try:
                digit_label(row.label)
                pixels.append(read_digit(self._read_bytes(row.digit)))
                keep.append(True)
            except ValueError as error:
                skipped[row.sample_id] = str(error)
                keep.append(False)
                logger.warning("Own digit %s skipped: %s", row.sample_id, error)
        samples = table[np.array(keep, dtype=bool)].reset_index(drop=True)
        samples["label"] = samples["label"].astype(int)
        samples["pixels"] = pixels
        samples.attrs["skipped"] = skipped
        return samples

    def counts(self) -> dict[int, int]:
        """How many samples of each digit are kept."""
        labels = pd.to_numeric(self.table()["label"], errors="coerce")
        return {digit: int((labels == digit).sum()) for digit in range(NUM_CLASSES)}

    def exists(self) -> bool:
        """Whether any sample was ever kept here (the labels file exists)."""
        return self._fs.exists(str(self.labels_file))

    def _read_bytes(self, name: str) -> bytes:
        try:
            with self._fs.open(str(self.folder / name), "rb") as file:
                return file.read()
        except OSError as error:
            raise ValueError(f"the digit is not a readable image: {error}") from error

    def _check_local(self) -> None:
        if self.protocol != "file":
            where = f"{self.protocol}://{self.folder}"
            raise DatasetError(f"own digits are kept on this machine only, not at {where}")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the folder's lock: one change of the labels file at a time, across threads
        and processes."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write_table(self, table: pd.DataFrame) -> None:
        _write_atomically(self.labels_file, table.to_csv(index=False).encode())


def split_own_digits(
    samples: pd.DataFrame, test_share: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The samples split into training and held-out parts, each sample by a hash of its id
    and the seed: a sample stays on its side as more are kept, so a model never trained
    on the digits it is measured on.

    Returns:
        X_train, y_train, X_test, y_test: images (N, 28, 28, 1) float32 and labels (N,).
    """
    held_out = np.array(
        [_unit_hash(f"{seed}:{sample_id}") < test_share for sample_id in samples["sample_id"]],
        dtype=bool,
    )
    images = (
        np.stack(samples["pixels"].to_list())[..., np.newaxis]
        if len(samples)
        else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE, 1), np.float32)
    )
    labels = samples["label"].to_numpy(dtype=np.int64)
    return images[~held_out], labels[~held_out], images[held_out], labels[held_out]


class OwnDigitsDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """The own digits as a Kedro dataset: ``load`` gives ``OwnDigits.load``'s table (empty
    when none are kept); ``save`` keeps each row (``label``, ``pixels``, ``source``, and
    ``crop`` as image bytes or None) as a new sample."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._store = OwnDigits(filepath)
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        return self._store.load()

    def save(self, data: pd.DataFrame) -> None:
        for row in data.itertuples(index=False):
            self._store.add(int(row.label), row.pixels, getattr(row, "crop", None), row.source)

    def _exists(self) -> bool:
        return self._store.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._store.folder), "protocol": self._store.protocol}


def _crop_image(data: bytes) -> Image.Image:
    """The crop as an image no larger than ``MAX_CROP_SIDE`` a side."""
    try:
        image, _ = open_image(data)
        image = image.convert("RGB")
    except (ImageError, OSError) as error:
        raise ValueError(f"the crop is not a readable image: {error}") from error
    image.thumbnail((MAX_CROP_SIDE, MAX_CROP_SIDE))
    return image


def read_digit(file: Path | bytes) -> np.ndarray:
    """A 28x28 digit image (a path, or a file's bytes) as grayscale values in [0, 1]; its
    size is checked before its pixels are decoded.

    Raises:
        ValueError: Not a readable image, or not 28x28.
    """
    try:
        with Image.open(io.BytesIO(file) if isinstance(file, bytes) else file) as image:
            if image.size != (IMAGE_SIZE, IMAGE_SIZE):
                width, height = image.size
                raise ValueError(f"the digit must be 28x28 pixels, got {width}x{height}")
            return np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    except OSError as error:
        raise ValueError(f"the digit is not a readable image: {error}") from error


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write a file so that it is either whole or not there: a temporary file in the same
    folder, flushed to disk, renamed over the target."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _unit_hash(text: str) -> float:
    """A number in [0, 1) fixed by the text."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2.0**64
