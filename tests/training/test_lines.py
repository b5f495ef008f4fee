"""The line generator (``training.lines``): lines of real MNIST digits, as the line model
is trained and measured on them."""

import numpy as np
import pytest
from scipy import ndimage

from digit_pipeline.reading.images.strip import INK_HEIGHT, MARGIN, STRIP_HEIGHT, WIDTH_STEP
from digit_pipeline.training.fonts import font_files
from digit_pipeline.training.lines import MAX_DIGITS, LineMaker, random_text


@pytest.fixture(scope="module")
def maker(mnist_train):
    images, labels = mnist_train
    return LineMaker(images[:3000], labels[:3000])


def gaps(ink: np.ndarray) -> int:
    """Runs of blank columns between the first and the last inked column."""
    inked = ink.max(axis=0) > 0.02  # any ink: a pencil's is light and grainy
    columns = inked[np.flatnonzero(inked)[0] : np.flatnonzero(inked)[-1] + 1]
    return int(np.sum(columns[1:] & ~columns[:-1]))


def test_lines_are_seeded_and_say_what_is_written(maker):
    first, again = (maker.line(np.random.default_rng(3)) for _ in range(2))
    assert first.text == again.text and np.array_equal(first.strip.pixels, again.strip.pixels)
    for seed in range(40):
        text = maker.line(np.random.default_rng(seed)).text
        assert 1 <= len(text.replace(" ", "")) <= MAX_DIGITS
        assert text == " ".join(text.split())  # one space between numbers, none at the ends


def test_a_strip_has_the_line_model_s_height_and_margins(maker):
    line = maker.line(np.random.default_rng(0), digits=6, clean=True)
    pixels = line.strip.pixels
    assert pixels.shape[0] == STRIP_HEIGHT and pixels.shape[1] % WIDTH_STEP == 0
    rows = np.flatnonzero(pixels.max(axis=1) > 0.5)
    assert rows[-1] - rows[0] + 1 <= INK_HEIGHT
    assert pixels[:, :MARGIN].max() == 0


@pytest.mark.parametrize("spacing", ["touching", "overlapping"])
def test_touching_and_overlapping_digits_leave_no_gap(maker, spacing):
    for seed in range(10):
        line = maker.line(np.random.default_rng(seed), text="48506", spacing=spacing, clean=True)
        assert gaps(line.ink) == 0


def test_digits_apart_and_numbers_leave_gaps(maker):
    apart = maker.line(np.random.default_rng(1), text="48506", spacing="apart", clean=True)
    assert gaps(apart.ink) >= 4
    numbers = maker.line(np.random.default_rng(1), text="485 06", spacing="touching", clean=True)
    assert gaps(numbers.ink) == 1


def test_random_texts_split_numbers_by_single_spaces():
    texts = [random_text(np.random.default_rng(seed), 8) for seed in range(60)]
    assert all(len(text.replace(" ", "")) == 8 for text in texts)
    assert any(" " in text for text in texts) and any(" " not in text for text in texts)


def solid(ink: np.ndarray) -> bool:
    """Whether the ink holds a solid block 8 pixels a side: a stroke is never that wide."""
    return bool(ndimage.minimum_filter(ink > 0.5 * ink.max(), size=8).any())


def test_own_digits_write_their_share_of_the_lines(mnist_train):
    images, labels = mnist_train
    square = np.zeros((1, 28, 28), np.uint8)
    square[0, 4:24, 4:24] = 255  # a solid block: unlike any MNIST 3
    maker = LineMaker(images[:3000], labels[:3000], own=(square, np.array([3])), own_share=1.0)
    line = maker.line(np.random.default_rng(0), text="33", clean=True)
    assert solid(line.ink)  # written in the own "digit"
    mnist_only = LineMaker(images[:3000], labels[:3000], own=(square, np.array([3])))
    assert not solid(mnist_only.line(np.random.default_rng(0), text="33", clean=True).ink)


def test_without_fonts_every_line_is_mnist_s(mnist_train):
    images, labels = mnist_train
    assert LineMaker(images[:100], labels[:100], fonts=[]).font_share == 0


@pytest.mark.skipif(not font_files(), reason="the permitted handwriting fonts are not installed")
def test_a_font_writes_a_line_of_its_own_glyphs(maker):
    fonts = font_files()
    assert {font.parent.name for font in fonts} <= {
        "bwht", "breip", "femkeklaver", "dancingscript", "fifthhorseman",
    }  # fmt: skip
    line = maker.line(
        np.random.default_rng(0), text="2024", font=fonts[0], spacing="apart", clean=True
    )
    assert line.text == "2024" and gaps(line.ink) >= 1
