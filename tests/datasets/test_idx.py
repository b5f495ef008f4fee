"""The IDX dataset on the real MNIST files, and on corrupted copies of them."""

import gzip
import hashlib

import numpy as np
import pytest
from kedro.io import DatasetError

from digit_pipeline.datasets.idx import IDXDataset, IDXFormatError, parse_idx
from digit_pipeline.testing.project import MNIST_DIR

TRAIN_LABELS_SHA256 = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
TEST_IMAGES_SHA256 = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"


def _dataset(path, **kwargs) -> IDXDataset:
    return IDXDataset(filepath=str(path), **kwargs)


def _raw(name: str) -> bytes:
    return gzip.decompress((MNIST_DIR / name).read_bytes())


def test_loads_real_test_images_with_pinned_digest():
    images = _dataset(
        MNIST_DIR / "t10k-images-idx3-ubyte.gz",
        record_shape=[28, 28],
        records=10000,
        sha256=TEST_IMAGES_SHA256,
    ).load()
    assert images.shape == (10000, 28, 28)
    assert images.dtype == np.uint8
    assert images.max() == 255 and images.min() == 0


def test_loads_real_train_labels_as_digits():
    labels = _dataset(
        MNIST_DIR / "train-labels-idx1-ubyte.gz",
        record_shape=[],
        records=60000,
        sha256=TRAIN_LABELS_SHA256,
    ).load()
    assert labels.shape == (60000,)
    assert set(np.unique(labels)) == set(range(10))
    # The first five training labels of MNIST, as every MNIST loader knows them.
    assert labels[:5].tolist() == [5, 0, 4, 1, 9]


def test_reads_uncompressed_files_too(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(_raw("t10k-labels-idx1-ubyte.gz"))
    gzipped = _dataset(MNIST_DIR / "t10k-labels-idx1-ubyte.gz").load()
    np.testing.assert_array_equal(_dataset(path, record_shape=[]).load(), gzipped)


@pytest.mark.parametrize("compress", [True, False], ids=["gzipped", "plain"])
def test_truncated_file_names_the_file(tmp_path, compress):
    raw = _raw("t10k-images-idx3-ubyte.gz")[:-1000]
    path = tmp_path / ("short-images.gz" if compress else "short-images")
    path.write_bytes(gzip.compress(raw) if compress else raw)
    with pytest.raises(DatasetError, match=r"short-images.*truncated.*10000 records"):
        _dataset(path, record_shape=[28, 28]).load()


def test_truncated_gzip_stream_is_reported(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes((MNIST_DIR / "t10k-images-idx3-ubyte.gz").read_bytes()[:50_000])
    with pytest.raises(DatasetError, match=r"cut\.gz: corrupt or truncated gzip stream"):
        _dataset(path).load()


def test_wrong_magic_is_reported(tmp_path):
    raw = bytearray(_raw("t10k-images-idx3-ubyte.gz"))
    raw[3] = 0x01  # claims to be a 1-dimensional (label) file
    path = tmp_path / "images-with-label-magic"
    path.write_bytes(bytes(raw))
    with pytest.raises(
        DatasetError,
        match=r"images-with-label-magic: wrong magic number 0x00000801, expected 0x00000803",
    ):
        _dataset(path, record_shape=[28, 28]).load()


def test_not_an_idx_file_is_reported(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are not digits\n")
    with pytest.raises(DatasetError, match=r"notes\.txt: wrong magic number 0x74686573"):
        _dataset(path).load()


def test_header_count_mismatch_is_reported(tmp_path):
    raw = bytearray(_raw("t10k-labels-idx1-ubyte.gz"))
    raw[4:8] = (9999).to_bytes(4, "big")  # header says 9,999 labels, the data holds 10,000
    path = tmp_path / "labels-count"
    path.write_bytes(bytes(raw))
    with pytest.raises(DatasetError, match=r"labels-count: 1 bytes after the 9999 records"):
        _dataset(path, record_shape=[]).load()


def test_expected_record_count_is_enforced():
    with pytest.raises(
        DatasetError,
        match=r"t10k-labels-idx1-ubyte\.gz: header counts 10000 records, expected 60000",
    ):
        _dataset(MNIST_DIR / "t10k-labels-idx1-ubyte.gz", record_shape=[], records=60000).load()


def test_wrong_record_shape_is_reported():
    with pytest.raises(DatasetError, match=r"records of shape \(28, 28\), expected \(32, 32\)"):
        _dataset(MNIST_DIR / "t10k-images-idx3-ubyte.gz", record_shape=[32, 32]).load()


def test_wrong_digest_is_reported(tmp_path):
    raw = bytearray(_raw("t10k-images-idx3-ubyte.gz"))
    raw[5000] ^= 0xFF  # one pixel changed: structure intact, content not the official file
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(
        DatasetError,
        match=rf"{path}: SHA-256 .* is {hashlib.sha256(raw).hexdigest()}, expected {TEST_IMAGES_SHA256}",
    ):
        _dataset(path, record_shape=[28, 28], sha256=TEST_IMAGES_SHA256).load()


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(DatasetError, match="missing.gz"):
        _dataset(tmp_path / "missing.gz").load()
    assert not _dataset(tmp_path / "missing.gz").exists()
    assert _dataset(MNIST_DIR / "t10k-labels-idx1-ubyte.gz").exists()


def test_dataset_is_read_only():
    with pytest.raises(DatasetError, match="read-only"):
        _dataset(MNIST_DIR / "t10k-labels-idx1-ubyte.gz").save(np.zeros(3, dtype=np.uint8))


def test_empty_file_is_reported():
    with pytest.raises(IDXFormatError, match=r"empty: truncated, 0 bytes"):
        parse_idx(b"", "empty")
