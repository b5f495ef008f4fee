"""Photographed sheets (issue #15): generated from MNIST training digits, cut into lines,
read line by line. How well they are read is measured by
benchmarks/real_world.py; these tests hold the parts that cannot be allowed to slip."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from digit_pipeline.generators.photos import KINDS, DigitPool, Style, make_image, write_digit
from digit_pipeline.reading.images import prepare_image
from digit_pipeline.reading.images.clean import subtract_printed_lines
from digit_pipeline.reading.images.lines import find_lines
from digit_pipeline.reading.images.marks import line_marks
from digit_pipeline.reading.images.pieces import INK_LEVEL
from digit_pipeline.reading.images.strip import FAINT_INK


@pytest.fixture(scope="module")
def pool(mnist_train) -> DigitPool:
    images, labels = mnist_train
    return DigitPool(images[:5000], labels[:5000])


def test_generated_images_are_seeded_and_say_what_is_written(pool):
    for kind in KINDS:
        first = make_image(kind, pool, np.random.default_rng(3))
        again = make_image(kind, pool, np.random.default_rng(3))
        assert first == again
        assert Image.open(io.BytesIO(first.data)).format == "JPEG"
        assert all(line.isdigit() for line in first.texts)
        assert first.text == "\n".join(first.texts)
        assert pool.text(list(first.sources)) == "".join(first.texts)  # in reading order
    assert len(make_image("digit photo", pool, np.random.default_rng(0)).texts[0]) == 1
    sheet = make_image("sheet ruled", pool, np.random.default_rng(0))
    assert 2 <= len(sheet.texts) <= 6


def test_a_pen_changes_the_stroke_width(pool):
    digit = pool.images[0]
    rng = np.random.default_rng(0)
    ink = {
        pen: write_digit(digit, 80, Style(pen=pen), rng).sum() for pen in ("thin", "normal", "bold")
    }
    assert ink["thin"] < 0.75 * ink["normal"] and ink["bold"] > 1.3 * ink["normal"]


@pytest.mark.parametrize("height", [30, 80])
def test_a_fine_pen_loses_no_part_of_the_digit(pool, height):
    def pieces(alpha: np.ndarray) -> int:
        return ndimage.label(alpha > 0.5, structure=np.ones((3, 3)))[1]

    rng = np.random.default_rng(0)
    whole = [d for d in pool.images[:200] if pieces(write_digit(d, height, Style(), rng)) == 1]
    broken = [pieces(write_digit(d, height, Style(pen="thin"), rng)) > 1 for d in whole]
    assert len(whole) > 150 and np.mean(broken) < 0.02


# Squared paper's grid is the hardest to take out (benchmarks/README.md).
@pytest.mark.parametrize(
    "paper, at_least", [("sheet plain", 9), ("sheet ruled", 9), ("sheet squared", 8)]
)
def test_a_sheet_is_cut_into_its_lines(pool, paper, at_least):
    """Tilted up to 5 degrees, lines of different heights and lengths, printed rules."""
    rng = np.random.default_rng(7)
    found = []
    for _ in range(10):
        sample = make_image(paper, pool, rng)
        found.append(len(prepare_image(sample.data).lines) == len(sample.texts))
    assert sum(found) >= at_least


@pytest.mark.parametrize("degrees", [-4.5, -1.5, 0.0, 2.0, 5.5])
def test_lines_turned_on_the_page_are_levelled(pool, degrees):
    """Four lines of digits written level, the page turned: found at the turn that undoes
    it, each line its own band."""
    page = np.zeros((420, 600), np.float32)
    corners = [(50 + 90 * row, 80 + 75 * column) for row in range(4) for column in range(6)]
    _written_on(page, pool, corners)
    turned = np.asarray(Image.fromarray(page, mode="F").rotate(degrees, Image.Resampling.BILINEAR))
    found = find_lines(turned)
    assert found.tilt == pytest.approx(-degrees, abs=0.5)
    assert len(found.bands) == 4


def _written_on(
    page: np.ndarray, pool: DigitPool, corners: list[tuple[int, int]]
) -> tuple[list[np.ndarray], np.ndarray]:
    """The pool's first digits, 70 pixels square, written on ``page`` (in place) with their
    top-left corners at ``corners``: the digits, and where the writing lies (5 pixels
    round each)."""
    digits = [
        np.asarray(Image.fromarray(pool.images[k]).resize((70, 70), Image.Resampling.BILINEAR))
        / np.float32(255)
        for k in range(len(corners))
    ]
    writing = np.zeros(page.shape, bool)
    for (top, left), digit in zip(corners, digits, strict=True):
        where = page[top : top + 70, left : left + 70]
        where[...] = np.maximum(where, digit)
        writing[top - 5 : top + 75, left - 5 : left + 75] = True
    return digits, writing


@pytest.mark.parametrize("grid", [0.15, 0.3])
def test_a_faint_grid_goes_and_the_digits_on_it_stay(pool, grid):
    """Squared paper's grid, fainter than ink (0.15: below the level rules were found at
    before), broken in places as a photo's light leaves it, with digits written across it:
    three in a row, one under them."""
    page = np.zeros((360, 480), np.float32)
    page[10::24, :] = grid
    page[:, 7::24] = grid
    page[100:104, :] = 0.0  # the grid's faint stretches, lost to the light
    page[:, 300:305] = 0.0
    corners = [(60, 60), (60, 150), (60, 240), (200, 100)]
    digits, writing = _written_on(page, pool, corners)
    found = find_lines(page)
    assert len(found.bands) == 2
    assert found.ink[~writing].max() < 0.05  # the grid is out, its broken stretches too
    for (top, left), digit in zip(corners, digits, strict=True):
        # The cores of its strokes stay ink where the grid ran across them too.
        cores = digit > 0.8
        assert (found.ink[top : top + 70, left : left + 70][cores] > INK_LEVEL).mean() > 0.97


def test_a_thin_grid_drawn_slanting_leaves_no_dashes(pool):
    """A grid one pixel thin, a little off the pixels' rows and columns (as a photo shows
    it), drawn anti-aliased, dark in stretches and faint between them (light and JPEG
    leave it so): where it is dark it is darker than twice its faint stretches, as a
    stroke across it is. Once subtracted, none of it is left as dark as a pencil's
    stroke: such dashes set a line's height and read as 1s."""
    grid = np.zeros((360, 480), np.float32)
    for at in range(10, 480, 24):
        cv2.line(grid, (0, at), (479, at + 9), 0.7, 1, cv2.LINE_AA)
        cv2.line(grid, (at, 0), (at - 9, 359), 0.7, 1, cv2.LINE_AA)
    rows, columns = np.indices(grid.shape)
    page = grid * np.where((rows + columns) // 20 % 3 == 0, 1.0, 0.25)
    corners = [(60, 60), (60, 150), (200, 100)]
    digits, writing = _written_on(page, pool, corners)
    cleaned = subtract_printed_lines(page)
    assert cleaned[~writing].max() < FAINT_INK
    for (top, left), digit in zip(corners, digits, strict=True):
        # Most of each stroke's core stays ink (a grid as dark as this eats into a stroke
        # along it).
        cores = digit > 0.8
        assert (cleaned[top : top + 70, left : left + 70][cores] > INK_LEVEL).mean() > 0.6


def test_a_row_is_one_line(pool):
    rng = np.random.default_rng(1)
    assert all(len(prepare_image(make_image("row", pool, rng).data).lines) == 1 for _ in range(10))


def test_a_line_s_marks_leave_specks_out_and_keep_a_dash(mnist_train):
    """A digit, a dash beside it (what is left of a printed rule) and a speck far from both:
    two marks, left to right; the speck is none."""
    images, _ = mnist_train
    ink = np.zeros((84, 300))
    ink[:, :84] = np.asarray(Image.fromarray(images[0]).resize((84, 84))) / 255
    ink[70:74, 120:200] = 1.0  # the dash
    ink[10:16, 270:282] = 1.0  # the speck: not tiny, but low and far from the rest
    marks = line_marks(ink)
    assert len(marks) == 2
    assert marks[0][2] <= 84 and marks[1][0] == 120
