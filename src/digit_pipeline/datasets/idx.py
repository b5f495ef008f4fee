"""Reading MNIST's IDX files, and the Kedro dataset that validates them on load.

IDX layout: a big-endian magic number ``0x0000TTDD`` (TT = element type, DD = number of
dimensions), one big-endian uint32 per dimension, then the data in C order. The MNIST
files hold unsigned bytes (TT = 0x08): images are (N, 28, 28), labels (N,).
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import PurePosixPath
from typing import Any

import fsspec
import numpy as np
from kedro.io.core import AbstractDataset, DatasetError, get_filepath_str, get_protocol_and_path

UNSIGNED_BYTE = 0x08
_GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """An IDX file is not what it should be; the message names the file and the problem."""


def parse_idx(
    raw: bytes,
    name: str,
    record_shape: tuple[int, ...] | None = None,
    records: int | None = None,
    sha256: str | None = None,
) -> np.ndarray:
    """Parse the bytes of an IDX file (gzipped or not) of unsigned bytes into an array.

    Args:
        raw: The file's bytes.
        name: The file's name, used in error messages.
        record_shape: Expected shape of one record, e.g. ``(28, 28)`` for images, ``()``
            for labels. Fixes the expected magic number.
        records: Expected number of records.
        sha256: Expected SHA-256 hex digest of the decompressed file.

    Returns:
        The data, dtype uint8, shape ``(records, *record_shape)``.

    Raises:
        IDXFormatError: The file is truncated, corrupt or not the expected one.
    """
    data = _decompress(raw, name)
    if len(data) < 4:
        raise IDXFormatError(f"{name}: truncated, {len(data)} bytes is shorter than an IDX header")

    magic = int.from_bytes(data[:4], "big")
    ndim = data[3]
    if data[:2] != b"\x00\x00" or data[2] != UNSIGNED_BYTE or ndim == 0:
        raise IDXFormatError(
            f"{name}: wrong magic number 0x{magic:08X}, not an IDX file of unsigned bytes "
            f"(expected 0x0000{UNSIGNED_BYTE:02X}nn)"
        )
    if record_shape is not None and ndim != len(record_shape) + 1:
        expected_magic = (UNSIGNED_BYTE << 8) | (len(record_shape) + 1)
        raise IDXFormatError(
            f"{name}: wrong magic number 0x{magic:08X}, expected 0x{expected_magic:08X} "
            f"({len(record_shape) + 1}-dimensional unsigned bytes)"
        )

    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IDXFormatError(
            f"{name}: truncated inside the header ({len(data)} of {header_size} bytes)"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if record_shape is not None and shape[1:] != tuple(record_shape):
        raise IDXFormatError(
            f"{name}: records of shape {shape[1:]}, expected {tuple(record_shape)}"
        )
    if records is not None and shape[0] != records:
        raise IDXFormatError(f"{name}: header counts {shape[0]} records, expected {records}")

    expected_size = header_size + int(np.prod(shape))
    if len(data) < expected_size:
        raise IDXFormatError(
            f"{name}: truncated, the header promises {shape[0]} records of shape {shape[1:]} "
            f"({expected_size} bytes) but the file holds {len(data)} bytes"
        )
    if len(data) > expected_size:
        raise IDXFormatError(
            f"{name}: {len(data) - expected_size} bytes after the {shape[0]} records the header "
            "counts (record count mismatch or corrupt file)"
        )

    if sha256 is not None:
        digest = hashlib.sha256(data).hexdigest()
        if digest != sha256.lower():
            raise IDXFormatError(
                f"{name}: SHA-256 of the decompressed file is {digest}, expected {sha256.lower()} "
                "(the file is corrupt or not the pinned one)"
            )

    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape)


def _decompress(raw: bytes, name: str) -> bytes:
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:
        raise IDXFormatError(f"{name}: corrupt or truncated gzip stream ({error})") from error


class IDXDataset(AbstractDataset[None, np.ndarray]):
    """Loads an IDX file of unsigned bytes (gzipped or not) as a NumPy array, validated.

    Example catalog entry::

        mnist_train_images:
          type: digit_pipeline.datasets.idx.IDXDataset
          filepath: data/01_raw/mnist/train-images-idx3-ubyte.gz
          record_shape: [28, 28]
          records: 60000
          sha256: ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db

    The dataset is read-only: raw data is never written by the pipeline.
    """

    def __init__(
        self,
        filepath: str,
        *,
        record_shape: list[int] | None = None,
        records: int | None = None,
        sha256: str | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        protocol, path = get_protocol_and_path(filepath)
        self._protocol = protocol
        self._filepath = PurePosixPath(path)
        self._fs = fsspec.filesystem(protocol, **(fs_args or {}))
        self._record_shape = tuple(record_shape) if record_shape is not None else None
        self._records = records
        self._sha256 = sha256
        self.metadata = metadata

    def load(self) -> np.ndarray:
        path = get_filepath_str(self._filepath, self._protocol)
        with self._fs.open(path, "rb") as file:
            raw = file.read()
        return parse_idx(raw, str(self._filepath), self._record_shape, self._records, self._sha256)

    def save(self, data: None) -> None:
        raise DatasetError(f"IDXDataset is read-only: refusing to overwrite {self._filepath}")

    def _exists(self) -> bool:
        return self._fs.exists(get_filepath_str(self._filepath, self._protocol))

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": str(self._filepath),
            "protocol": self._protocol,
            "record_shape": self._record_shape,
            "records": self._records,
            "sha256": self._sha256,
        }
