import numpy as np
import pytest
from scipy import ndimage

from digit_pipeline.training.perturbations import (
    frame_each,
    gaussian_noise,
    invert,
    perturbations,
    rotate,
    scale,
    shift,
    thicker,
    thinner,
)


@pytest.fixture(scope="module")
def digits(mnist_test):
    images, labels = mnist_test
    return images[:8].astype(np.float32) / 255.0


def centre(image):
    return np.array(ndimage.center_of_mass(image))


def test_every_perturbation_keeps_shape_and_range(digits):
    for name, perturb in perturbations().items():
        perturbed = perturb(digits)
        assert perturbed.shape == digits.shape, name
        assert perturbed.min() >= 0 and perturbed.max() <= 1, name
        if name != "none":
            assert not np.allclose(perturbed, digits), name


def test_shift_moves_each_digit_by_the_pixels_in_turning_directions(digits):
    moved = shift(4)(digits)
    expected = [(0, 4), (4, 0), (0, -4), (-4, 0)] * 2
    for image, result, step in zip(digits, moved, expected, strict=True):
        assert centre(result) - centre(image) == pytest.approx(step, abs=0.3)


def test_rotation_turns_about_the_centre_and_back(digits):
    there_and_back = rotate(-15)(rotate(15)(digits))
    assert np.abs(there_and_back - digits).mean() < 0.05
    # Anticlockwise: the top of a 1 leans to the left.
    bar = np.zeros((1, 28, 28), dtype=np.float32)
    bar[0, 4:24, 13:15] = 1.0
    top = rotate(15)(bar)[0, 4:8]
    assert centre(top)[1] < 13.5


def test_scaling_changes_the_digits_size_about_the_centre(digits):
    def height(image):
        rows = np.flatnonzero(image.max(axis=1) > 0.5)
        return rows[-1] - rows[0]

    for image, small, large in zip(digits, scale(0.7)(digits), scale(1.3)(digits), strict=True):
        assert height(small) == pytest.approx(0.7 * height(image), abs=2)
        assert height(large) > height(image)


def test_strokes_thinner_and_thicker_and_inverted(digits):
    ink = (digits > 0.5).sum()
    assert (thinner(digits) > 0.5).sum() < 0.6 * ink
    assert (thicker(digits) > 0.5).sum() > 1.4 * ink
    inverted = invert(digits)
    assert (inverted[:, 0, 0] == 1).all()  # white paper
    assert ((inverted < 0.5) == (digits > 0.5)).all()  # dark ink where the ink was


def test_noise_is_seeded(digits):
    assert np.array_equal(gaussian_noise(0.3, seed=1)(digits), gaussian_noise(0.3, seed=1)(digits))
    assert not np.array_equal(
        gaussian_noise(0.3, seed=1)(digits), gaussian_noise(0.3, seed=2)(digits)
    )


def test_preprocessing_undoes_shift_and_inversion_and_reports_blank_images(digits):
    framed, found = frame_each(digits)
    moved, _ = frame_each(shift(4)(digits))
    inverted, _ = frame_each(invert(digits))
    assert found.all()
    # Framing puts the centre of mass at (14, 14) wherever the digit was.
    assert np.abs(moved - framed).mean() < 0.02
    assert np.abs(inverted - framed).mean() < 0.02
    blank = np.zeros((2, 28, 28), dtype=np.float32)
    images, found = frame_each(np.concatenate([blank, digits[:1]]))
    assert found.tolist() == [False, False, True]
    assert images[:2].max() == 0
