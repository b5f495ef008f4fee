"""The OpenCV shapes of masks give SciPy's results, on masks like the image stages' (blobs
and strokes touching the edges, holes, specks) and on the edge cases."""

import cv2
import numpy as np
import pytest
from scipy import ndimage

from digit_pipeline.reading.images import morphology


def masks() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    found = [np.zeros((5, 7), bool), np.ones((6, 4), bool), np.eye(9, dtype=bool)]
    for shape in [(1, 12), (12, 1), (37, 53), (112, 112), (300, 201)]:
        for density in (0.002, 0.02, 0.3):
            seeds = rng.random(shape) < density
            found.append(ndimage.binary_dilation(seeds, iterations=int(rng.integers(1, 4))))
    found.append(ndimage.binary_dilation(found[-1], iterations=3) & ~found[-1])  # rings: holes
    return found


@pytest.mark.parametrize("mask", masks(), ids=lambda mask: f"{mask.shape}-{mask.sum()}")
def test_the_same_as_scipy(mask: np.ndarray) -> None:
    assert np.array_equal(morphology.opened(mask), ndimage.binary_opening(mask))
    assert np.array_equal(morphology.holes_filled(mask), ndimage.binary_fill_holes(mask))
    for iterations in (1, 2):
        assert np.array_equal(
            morphology.dilated(mask, iterations),
            ndimage.binary_dilation(mask, iterations=iterations),
        )
    if mask.all():  # SciPy's distance without background is no distance
        assert np.isinf(morphology.depth(mask)).all()
    else:
        np.testing.assert_allclose(
            morphology.depth(mask), ndimage.distance_transform_edt(mask), atol=1e-5
        )


def test_the_same_on_a_strided_view() -> None:
    mask = masks()[-2]
    view = mask[::2, ::3]
    assert np.array_equal(morphology.opened(view), ndimage.binary_opening(view))
    np.testing.assert_allclose(
        morphology.depth(view), ndimage.distance_transform_edt(view), atol=1e-5
    )


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_depth_is_exact_whatever_the_threads(threads: int) -> None:
    """OpenCV's distances round differently with the threads at work; a stroke's width
    compares them for equality, so an image would be framed differently under load."""
    before = cv2.getNumThreads()
    cv2.setNumThreads(threads)
    try:
        for mask in (mask for mask in masks() if not mask.all()):
            squared = np.rint(ndimage.distance_transform_edt(mask) ** 2).astype(np.float32)
            assert np.array_equal(morphology.depth(mask), np.sqrt(squared))
    finally:
        cv2.setNumThreads(before)


@pytest.mark.parametrize("radius", [1, 2, 3])
def test_grey_the_same_as_scipy(radius: int) -> None:
    image = (np.random.default_rng(radius).random((61, 40)) ** 3).astype(np.float32)
    disc = np.hypot(*np.mgrid[-radius : radius + 1, -radius : radius + 1]) <= radius
    for footprint in (disc, np.ones((3, 3), bool)):
        assert np.array_equal(
            morphology.grey_dilated(image, footprint),
            ndimage.grey_dilation(image, footprint=footprint),
        )
        assert np.array_equal(
            morphology.grey_eroded(image, footprint),
            ndimage.grey_erosion(image, footprint=footprint),
        )


@pytest.mark.parametrize(
    "mask", [m for m in masks()[3:] if m.any()][::2], ids=lambda mask: f"{mask.shape}-{mask.sum()}"
)
def test_nearest_label_is_as_near_as_scipys(mask: np.ndarray) -> None:
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    given = morphology.nearest_label(labels)
    assert np.array_equal(given[mask], labels[mask])  # a labelled pixel keeps its own
    # Each pixel's distance to the label given, against the distance to the nearest.
    to_label = np.stack([ndimage.distance_transform_edt(labels != k) for k in range(1, count + 1)])
    to_given = np.take_along_axis(to_label, given[np.newaxis] - 1, axis=0)[0]
    assert np.all(to_given <= to_label.min(axis=0) * 1.03 + 0.5)


def test_nearest_label_without_labels() -> None:
    assert not morphology.nearest_label(np.zeros((4, 6), np.int32)).any()
