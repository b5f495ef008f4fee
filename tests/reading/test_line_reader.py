"""Reading a line from the line model's step probabilities: greedy CTC decoding, the best
path of a known number of digits, each character's span along the strip, and its ink."""

import itertools

import numpy as np
import pytest

from digit_pipeline.reading.assemble import line_of, sureness
from digit_pipeline.reading.images.network_input import PreparedLine
from digit_pipeline.reading.images.strip import MARGIN, line_strip
from digit_pipeline.reading.line_reader import (
    BLANK,
    LABELS,
    NUM_LABELS,
    SPACE,
    STEP,
    Char,
    chars_of,
    counted_path,
    decode,
    encode,
    greedy_path,
    read_line,
    tidy,
)


def steps_for(path: str, sure: float = 0.9) -> np.ndarray:
    """Step probabilities whose likeliest label at each step spells ``path`` ("_": blank)."""
    steps = np.full((len(path), NUM_LABELS), (1 - sure) / (NUM_LABELS - 1))
    for t, char in enumerate(path):
        steps[t, LABELS.index(char)] = sure
    return steps


def collapsed(path) -> str:
    labels = [label for label, _ in itertools.groupby(path) if label != BLANK]
    return decode(labels)


def test_greedy_decoding_merges_repeats_and_drops_blanks():
    steps = steps_for("_33_3__7 _11_1")
    chars = chars_of(steps, greedy_path(steps))
    assert "".join(LABELS[c.label] for c in chars) == "337 11"
    assert encode("3 0") == [4, SPACE, 1] and decode(encode("907 1")) == "907 1"


def test_each_character_spans_halfway_to_its_neighbours():
    steps = steps_for("__4____2__")
    first, second = chars_of(steps, greedy_path(steps))
    assert first.span == (0, 5 * STEP) and second.span == (5 * STEP, 10 * STEP)
    assert first.probabilities.argmax() == 4 and first.probabilities.sum() == pytest.approx(1)
    assert first.confidence == pytest.approx(0.9)


def test_spaces_at_the_ends_or_doubled_are_tidied_away():
    steps = steps_for(" _5_ _ _6_ ")
    chars = tidy(chars_of(steps, greedy_path(steps)))
    assert "".join(LABELS[c.label] for c in chars) == "5 6"


@pytest.mark.parametrize("seed", range(20))
def test_the_counted_path_is_the_likeliest_of_that_many_digits(seed):
    rng = np.random.default_rng(seed)
    count = 5
    steps = rng.dirichlet(np.ones(NUM_LABELS) * 0.3, size=count)
    digits = int(rng.integers(1, 4))
    path = counted_path(steps, digits)
    allowed = [label for label in range(NUM_LABELS) if label != SPACE]
    best = max(
        (p for p in itertools.product(allowed, repeat=count) if len(collapsed(p)) == digits),
        key=lambda p: np.log(steps[np.arange(count), p]).sum(),
    )
    assert len(collapsed(path)) == digits
    assert np.log(steps[np.arange(count), path]).sum() == pytest.approx(
        np.log(steps[np.arange(count), best]).sum()
    )


def test_a_line_of_known_count_is_read_as_that_many_where_it_has_room():
    steps = steps_for("_7__1_", sure=0.6)
    steps[2, LABELS.index("4")] = 0.35  # a weak third digit between them
    assert len(read_line(steps)) == 2
    assert "".join(LABELS[c.label] for c in read_line(steps, 3)) == "741"
    assert len(read_line(steps_for("_7_"), 5)) == 1  # no room for five: read as it is


def line_of_ink(ink: np.ndarray) -> PreparedLine:
    """A line of ``ink`` whose boxes are given in its own columns and rows."""
    return PreparedLine([], strip=line_strip(ink), ink=ink, locate=lambda extent: (extent, None))


def char_over(line: PreparedLine, digit: int, left: float, right: float) -> Char:
    """``digit`` read over ink columns ``left``-``right`` of ``line``, as a span of its strip."""
    strip = line.strip
    start, stop = (MARGIN + (column - strip.left) * strip.x_scale for column in (left, right))
    return Char(digit + 1, np.eye(10, dtype=np.float32)[digit], 0.9, (start, stop))


def test_a_digit_read_a_step_off_its_ink_keeps_the_ink_beside_it():
    ink = np.zeros((40, 120), np.float32)
    ink[8:32, 30:34] = 1.0  # a 1, touching...
    ink[8:32, 34:50] = 0.8  # ...the next digit
    line = line_of_ink(ink)
    # The 1 read in the blank margin before the line, the next digit over both.
    chars = [char_over(line, 1, 10, 28), char_over(line, 7, 28, 60)]
    one, seven = line_of(line, chars).digits
    assert (one.value, seven.value) == (1, 7)
    assert one.box[0] == 30 and seven.box == (30, 8, 50, 32)


def test_a_digit_read_where_no_ink_is_near_is_none():
    ink = np.zeros((40, 300), np.float32)
    ink[8:32, 20:36] = 1.0
    ink[8:32, 260:276] = 1.0
    line = line_of_ink(ink)
    chars = [char_over(line, 4, 0, 60), char_over(line, 9, 60, 220), char_over(line, 2, 220, 300)]
    read = line_of(line, chars)
    assert read.digit_string == "42"
    assert [digit.box[0] for digit in read.digits] == [20, 260]


def test_a_page_is_read_the_way_up_whose_digits_are_nearly_certain():
    """Read upside down, a page of many 0s, 1s, 8s and 6s reads every digit fairly sure;
    read upright, every digit is nearly certain but one. The mean log of the confidences
    chose the upside-down reading (4 of 391 tuning sheets were read so); their mean
    log-odds choose the upright one."""
    upright = [0.9999, 0.9998, 0.9999, 0.9997, 0.999, 0.55]
    upside_down = [0.99, 0.98, 0.99, 0.985, 0.97, 0.97]
    assert np.mean(np.log(upright)) < np.mean(np.log(upside_down))  # the rule before
    assert sureness(upright) > sureness(upside_down)
    assert sureness([0.5]) == pytest.approx(0.0) and np.isfinite(sureness([1.0, 0.0]))
    assert sureness([]) == -np.inf
