"""Photographed sheets (issue #15): generated from MNIST training digits, cut into lines and
candidate digits, read line by line. How well they are read is measured by
benchmarks/real_world.py; these tests hold the parts that cannot be allowed to slip."""

import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from digit_pipeline.generators.photos import KINDS, DigitPool, Style, make_image, write_digit
from digit_pipeline.reading.images import prepare_image
from digit_pipeline.reading.images.grouping import best_grouping
from digit_pipeline.reading.images.lines import find_lines
from digit_pipeline.reading.images.network_input import COUNT_SLACK, PreparedLine
from digit_pipeline.reading.images.pieces import INK_LEVEL
from digit_pipeline.reading.images.segmentation import (
    Candidate,
    line_candidates,
)


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
    digits = [
        np.asarray(Image.fromarray(pool.images[k]).resize((70, 70), Image.Resampling.BILINEAR))
        / np.float32(255)
        for k in range(len(corners))
    ]
    for (top, left), digit in zip(corners, digits, strict=True):
        where = page[top : top + 70, left : left + 70]
        where[...] = np.maximum(where, digit)
    found = find_lines(page)
    assert len(found.bands) == 2
    writing = np.zeros(page.shape, bool)
    for top, left in corners:
        writing[top - 5 : top + 75, left - 5 : left + 75] = True
    assert found.ink[~writing].max() < 0.05  # the grid is out, its broken stretches too
    for (top, left), digit in zip(corners, digits, strict=True):
        # The cores of its strokes stay ink where the grid ran across them too.
        cores = digit > 0.8
        assert (found.ink[top : top + 70, left : left + 70][cores] > INK_LEVEL).mean() > 0.97


def test_a_row_is_one_line(pool):
    rng = np.random.default_rng(1)
    assert all(len(prepare_image(make_image("row", pool, rng).data).lines) == 1 for _ in range(10))


def test_the_reading_chooses_the_groups_read_with_most_confidence():
    # Two pieces: the left and right halves of a wide 0, or two digits side by side.
    candidates = [
        Candidate(0, 1, (0, 0, 10, 20), -0.2),
        Candidate(1, 2, (10, 0, 20, 20), -0.2),
        Candidate(0, 2, (0, 0, 20, 20), -0.3),
    ]
    halves_unsure_whole_sure = [np.log(0.6), np.log(0.6), np.log(0.99)]
    halves_sure_whole_unsure = [np.log(0.99), np.log(0.99), np.log(0.4)]
    assert best_grouping(candidates, halves_unsure_whole_sure)[0] == [2]
    assert best_grouping(candidates, halves_sure_whole_unsure)[0] == [0, 1]
    # Geometry alone: the prior decides.
    assert best_grouping(candidates, [0.0] * 3)[0] == [2]
    assert best_grouping([], [])[0] == []


def test_a_line_of_known_count_is_read_as_that_many_digits():
    """The 4 of a line of ``0123456789`` written in two strokes read as 1 and 1: the free
    reading has 11 digits; as 10, the best ten is the one that groups them."""
    boxes = [(20 * k, 0, 20 * k + 15, 20) for k in range(11)]
    candidates = [Candidate(k, k + 1, boxes[k], -0.2) for k in range(11)]
    candidates += [Candidate(k, k + 2, (20 * k, 0, 20 * k + 35, 20), -1.5) for k in range(10)]
    scores = [np.log(0.99)] * 11 + [np.log(0.9 if k == 4 else 0.05) for k in range(10)]
    assert len(best_grouping(candidates, scores)[0]) == 11
    ten, _ = best_grouping(candidates, scores, 10)
    assert [(candidates[i].start, candidates[i].stop) for i in ten] == [
        (k, k + 1) for k in range(4)
    ] + [(4, 6)] + [(k, k + 1) for k in range(6, 11)]
    assert best_grouping(candidates, scores, 12) is None  # 11 pieces cannot be 12 digits
    # A dash left out counts no digit: one of two pieces read, when one is asked for.
    dash = [Candidate(0, 1, boxes[0], -0.2), Candidate(1, 2, boxes[1], -0.2, dropped=-1.0)]
    assert best_grouping(dash, [0.0, 0.0], 1) == ([0], -1.2)
    line = PreparedLine(candidates, [np.zeros((28, 28))] * len(candidates), [(0, 0, 1, 1)] * 21)
    assert len(line.grouping(scores, 10)) == 10 and len(line.grouping(scores)) == 11
    # Far from the count (two lines run together, half a line lost): read as it is.
    assert len(line.grouping(scores, 11 - COUNT_SLACK - 1)) == 11


def test_a_wide_digit_is_not_read_as_two_because_its_halves_look_like_digits(mnist_train):
    images, labels = mnist_train
    zero = images[np.flatnonzero(labels == 0)[0]]
    wide = np.asarray(Image.fromarray(zero).resize((168, 84), Image.Resampling.BILINEAR)) / 255
    candidates = line_candidates(wide, 0, wide.shape[0])
    pieces = max(c.stop for c in candidates)
    whole = [i for i, c in enumerate(candidates) if (c.start, c.stop) == (0, pieces)]
    assert 2 <= pieces <= 4 and len(whole) == 1  # cut where digits may meet, and whole
    # Each half read as a confident digit (a 6 and a 3?), the whole as a doubtful 0.
    scores = [np.log(0.5) if i in whole else np.log(0.95) for i in range(len(candidates))]
    assert best_grouping(candidates, scores)[0] == whole
    # Halves read as sure digits, the whole as nothing: two digits touching.
    scores = [np.log(0.1) if i in whole else np.log(0.99) for i in range(len(candidates))]
    assert len(best_grouping(candidates, scores)[0]) == 2


def test_the_parts_of_touching_digits_share_out_their_ink(mnist_test):
    """Two digits overlapping: cut along paths of least ink, each part's own ink is beyond
    its neighbours' cuts; together the parts hold all the ink, none of it twice."""
    images, _ = mnist_test
    left, right = (np.asarray(Image.fromarray(images[i]).resize((84, 84))) / 255 for i in (1, 2))
    ink = np.zeros((84, 160))
    ink[:, :84] = left
    np.maximum(ink[:, 60:144], right, out=ink[:, 60:144])  # the 2 reaches over the 1's box
    candidates = line_candidates(ink, 0, 84)
    pieces = max(c.stop for c in candidates)
    singles = sorted((c for c in candidates if c.stop == c.start + 1), key=lambda c: c.start)
    assert len(singles) == pieces >= 2
    assert any(c.after is not None and len(set(c.after[1])) > 1 for c in singles)  # not straight
    shared = np.zeros_like(ink)
    for part in singles:
        x0, y0, x1, y1 = part.extent
        shared[y0:y1, x0:x1] += part.own_ink(ink)
    inked = ink > INK_LEVEL
    np.testing.assert_allclose(shared[inked], ink[inked])


def test_a_dash_beside_a_digit_is_left_out_of_the_reading(mnist_train):
    """What is left of a printed rule: low and long, no digit."""
    images, _ = mnist_train
    ink = np.zeros((84, 200))
    ink[:, :84] = np.asarray(Image.fromarray(images[0]).resize((84, 84))) / 255
    ink[70:74, 120:180] = 1.0
    candidates = line_candidates(ink, 0, 84)
    dash = [c for c in candidates if c.extent[0] >= 120 and c.stop == c.start + 1]
    assert dash and all(c.dropped > -np.inf for c in dash)
    assert all(c.dropped == -np.inf for c in candidates if c.extent[2] <= 84)
    sure = [np.log(0.99)] * len(candidates)  # the dash read as a confident 1
    reading = best_grouping(candidates, sure)[0]
    assert reading and all(candidates[i].extent[2] <= 84 for i in reading)
    # A dash alone is still read: a reading of nothing is no reading.
    assert best_grouping([replace(dash[0], start=0, stop=1)], [np.log(0.99)])[0] == [0]
