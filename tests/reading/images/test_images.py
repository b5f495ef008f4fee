"""The image package on images built from real MNIST digits: each variant, once
framed, must look like the digit's original MNIST framing."""

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from scipy import ndimage

from digit_pipeline.reading.images import (
    ImageError,
    framing,
    prepare,
    prepare_grayscale,
    prepare_image,
    prepare_whole_digit,
    to_model_input,
)
from digit_pipeline.reading.images.ink import otsu_threshold, resize_bilinear
from digit_pipeline.reading.limits import MAX_IMAGE_BYTES
from digit_pipeline.testing.images import (
    HOSTILE,
    encode,
    enlarge,
    hostile_images,
    stroke_canvas,
    worst_image,
)

SAMPLES = 60  # real test digits per variant


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def gradient_paper(digit: np.ndarray, seed: int) -> np.ndarray:
    """Dark-blue ink on yellowish paper lit from one side, with sensor noise."""
    light = np.linspace(0.55, 1.0, 300)[None, :] * np.ones((220, 1))
    paper = light[..., None] * np.array([235.0, 225.0, 190.0])
    ink = enlarge(digit, 120)[..., None] / 255 * np.array([200.0, 190.0, 120.0])
    paper[50:170, 100:220] -= ink
    return paper + np.random.default_rng(seed).normal(0, 8, paper.shape)


def blotchy_paper(digit: np.ndarray, seed: int) -> np.ndarray:
    grain = ndimage.gaussian_filter(np.random.default_rng(seed).normal(0, 25, (300, 300)), 1.5)
    return 190 + grain - np.pad(enlarge(digit, 120), 90) * 0.35


# variant: (how to make it from a 28x28 MNIST digit, least mean correlation with the original)
VARIANTS = {
    "as-is": (lambda d, i: encode(d), 0.9),
    "dark-on-light, 4x larger": (lambda d, i: encode(255 - enlarge(d, 112)), 0.9),
    "in a corner of a large page": (
        lambda d, i: encode(
            np.pad(255 - enlarge(d, 112), ((0, 300), (0, 400)), constant_values=255)
        ),
        0.9,
    ),
    # Smaller than MNIST's 20 px box: detail is lost before framing.
    "scaled down to 16 px": (lambda d, i: encode(255 - enlarge(d, 16)), 0.85),
    "gradient, coloured paper, noise": (lambda d, i: encode(gradient_paper(d, i)), 0.9),
    "JPEG quality 50": (lambda d, i: encode(255 - enlarge(d, 112), "JPEG", quality=50), 0.9),
    "grey GIF, light ink on dark": (lambda d, i: encode(enlarge(d, 56) * 0.6 + 40, "GIF"), 0.9),
    # Light pencil on paper whose grain JPEG smoothed into blotches (not pixel noise).
    "light ink, blotchy grain": (lambda d, i: encode(blotchy_paper(d, i), "JPEG", quality=70), 0.9),
    # Paper darker than mid-grey (a dim photo) is still paper, the ink darker still.
    "dark ink on dim grey paper": (lambda d, i: encode(110 - enlarge(d, 112) * 0.35), 0.9),
}


@pytest.mark.parametrize("variant", VARIANTS, ids=list(VARIANTS))
def test_variants_come_back_in_mnist_framing(mnist_test, variant):
    images, _ = mnist_test
    make, least_mean = VARIANTS[variant]
    scores = []
    for index in range(SAMPLES):
        prepared = prepare_image(make(images[index], index))
        assert prepared.whole.shape == (28, 28) and prepared.whole.dtype == np.float32
        scores.append(correlation(prepared.whole, images[index]))
    assert np.mean(scores) > least_mean, f"{variant}: mean correlation {np.mean(scores):.3f}"
    assert np.min(scores) > 0.5, f"{variant}: worst correlation {np.min(scores):.3f}"


def test_slightly_rotated_digits_stay_close(mnist_test):
    images, _ = mnist_test
    scores = []
    for index in range(SAMPLES):
        rotated = Image.fromarray(enlarge(images[index], 112).astype(np.uint8)).rotate(
            8 if index % 2 else -8, resample=Image.Resampling.BILINEAR
        )
        scores.append(
            correlation(prepare_image(encode(255 - np.asarray(rotated))).whole, images[index])
        )
    # Framing does not undo a rotation; the digit must still be placed and sized like MNIST.
    assert np.mean(scores) > 0.75


def test_drawing_on_a_transparent_canvas(mnist_test):
    """A browser canvas: opaque dark strokes on transparent pixels."""
    digit = enlarge(mnist_test[0][0], 140)
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[70:210, 40:180, 3] = digit.astype(np.uint8)  # ink only in alpha; colour black
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    assert correlation(prepare_image(buffer.getvalue()).whole, mnist_test[0][0]) > 0.85


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_light_strokes_on_a_transparent_canvas_hiding_white(mnist_test, mode):
    """White chalk on a transparent canvas whose hidden colour is white too, in each mode
    that carries transparency: laid on black, the digit still reads as MNIST's."""
    digit = enlarge(mnist_test[0][0], 140).astype(np.uint8)
    rgba = np.full((280, 280, 4), 255, dtype=np.uint8)
    rgba[..., 3] = 0
    rgba[70:210, 40:180, 3] = digit  # white everywhere; only the alpha draws the digit
    image = Image.fromarray(rgba, "RGBA")
    if mode == "LA":
        image = image.convert("LA")
    elif mode == "P":  # a GIF-like palette: 0 transparent, 1 white
        index = (rgba[..., 3] > 127).astype(np.uint8)
        image = Image.frombytes("P", (280, 280), index.tobytes())
        image.putpalette([0, 0, 0, 255, 255, 255])
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **({"transparency": 0} if mode == "P" else {}))
    assert correlation(prepare_image(buffer.getvalue()).whole, mnist_test[0][0]) > 0.8


def test_a_row_of_digits_is_one_line_of_its_marks_left_to_right(mnist_test):
    images, _ = mnist_test
    picks = [0, 1, 2, 3, 4, 7]  # 7 2 1 0 4 9
    row = np.concatenate([enlarge(images[i], 84) for i in picks], axis=1)
    page = np.pad(255 - row, 40, constant_values=255)
    (line,) = prepare_image(encode(page)).lines
    assert len(line.marks) == len(picks) and line.strip is not None
    for position, mark in enumerate(line.marks):
        (x, y, w, h), _ = line.locate(mark)  # in the image's pixels
        assert 40 + 84 * position - 5 <= x and x + w <= 40 + 84 * (position + 1) + 5
        assert 40 <= y and y + h <= 40 + 84 + 1


def test_a_broken_stroke_stays_one_digit(mnist_test):
    """A 7 whose bar is lifted off its stem: one digit, not two."""
    seven = enlarge(mnist_test[0][0], 112)
    seven[44:48, :] = 0  # a gap across the whole digit
    prepared = prepare_image(encode(255 - seven))
    assert len(prepared.lines) == 1 and len(prepared.lines[0].marks) == 1
    assert prepared.may_be_one_digit


def test_every_digit_drawn_in_a_corner_of_a_larger_canvas_is_found(mnist_train):
    canvas = np.zeros((100, 140))
    for image in mnist_train[0][-1000:]:
        sheet = canvas.copy()
        sheet[:28, :28] = image
        prepared = prepare_image(encode(sheet))
        left, top, width, height = prepared.whole_box
        assert left + width <= 29 and top + height <= 29


def test_specks_of_noise_are_neither_split_nor_fatal(mnist_test):
    # Found by the robustness report: a speck one pixel high and a few wide was "two
    # touching digits" with nowhere to cut. Noisy 28x28 digits must frame or say why.
    images, _ = mnist_test
    noisy = np.clip(
        images[:200] / 255.0 + np.random.default_rng(0).normal(0, 0.3, (200, 28, 28)), 0, 1
    )
    speck = np.zeros((28, 28))
    speck[10, 5:8] = 1.0
    for image in [*noisy, speck]:
        try:
            assert prepare_grayscale(image).whole.shape == (28, 28)
        except ImageError:
            pass


def test_whole_digit_alone_is_the_prepared_digit(mnist_test):
    # The robustness report frames only the whole digit; it must be what is served.
    images, _ = mnist_test
    pair = np.concatenate([images[1], images[3]], axis=1) / 255.0
    for gray in [images[0] / 255.0, 1 - images[2] / 255.0, pair]:
        np.testing.assert_array_equal(prepare_whole_digit(gray), prepare_grayscale(gray).whole)
    with pytest.raises(ImageError, match="blank"):
        prepare_whole_digit(np.zeros((28, 28)))


def pad_drawing(digit: np.ndarray, size: int, left: int, top: int) -> bytes:
    """A digit drawn dark on the GUI's clean 280x280 pad, ``size`` pixels tall."""
    pad = np.full((280, 280), 255.0)
    pad[top : top + size, left : left + size] = 255 - enlarge(digit, size)
    return encode(pad)


def test_a_clean_drawing_of_one_digit_is_read_small_and_as_when_read_whole(
    mnist_train, monkeypatch
):
    """A drawing of one digit takes the short path (read at ``DIGIT_SIZE``) and comes back
    as the full-size path frames it, its box in the pad's pixels."""
    images = mnist_train[0][-20:]
    short_paths = []
    one_clean_digit = prepare._one_clean_digit

    def counted(gray, noise):
        page = one_clean_digit(gray, noise)
        short_paths.append(page is not None)
        return page

    monkeypatch.setattr(prepare, "_one_clean_digit", counted)
    drawings = [pad_drawing(d, 90 + 7 * i, 10 + 2 * i, 150 - 6 * i) for i, d in enumerate(images)]
    small = [prepare_image(drawing) for drawing in drawings]
    # A digit written in pieces apart (one above the other) is read at full size.
    assert sum(short_paths) >= 17
    # Read small, a drawing is one digit for the CNN: no strip for the line model.
    assert all(item.lines[0].strip is None for item, short in zip(small, short_paths) if short)
    monkeypatch.setattr(prepare, "CLEAN", -1.0)  # nothing is clean: the full-size path
    whole = [prepare_image(drawing) for drawing in drawings]
    alike = [correlation(a.whole, b.whole) for a, b in zip(small, whole, strict=True)]
    assert min(alike) > 0.9 and np.mean(alike) > 0.95  # the smallest drawings lose most
    for read_small, read_whole in zip(small, whole, strict=True):
        np.testing.assert_allclose(read_small.whole_box, read_whole.whole_box, atol=4)


def test_a_clean_drawing_of_two_digits_is_not_one(mnist_train):
    first, second = mnist_train[0][-2:]
    pad = np.full((280, 280), 255.0)
    pad[80:200, 10:130] = 255 - enlarge(first, 120)
    pad[80:200, 150:270] = 255 - enlarge(second, 120)
    (line,) = prepare_image(encode(pad)).lines
    assert len(line.marks) == 2 and line.strip is not None


def test_a_stroke_is_measured_within_its_crop():
    """A flat mark inked to its crop's edges is as wide as it is high, not as the crop is
    long: beyond the crop there is no ink."""
    assert framing._stroke_width(np.ones((7, 80))) <= 7
    assert framing._stroke_width(np.pad(np.ones((9, 60)), 3)) == pytest.approx(9, abs=1)


def test_big_photo_boxes_are_in_original_pixels(mnist_test):
    """A 3000x2000 photo is processed at a reduced size; its box comes back in its own pixels."""
    digit = mnist_test[0][0]
    page = np.pad(255 - enlarge(digit, 600), ((500, 900), (1000, 1400)), constant_values=255)
    x, y, w, h = prepare_image(encode(page, "JPEG", quality=90)).whole_box
    rows, columns = np.flatnonzero(digit.max(axis=1) > 127), np.flatnonzero(digit.max(axis=0) > 127)
    scale = 600 / 28
    tolerance = 1.5 * scale  # one and a half MNIST pixels
    assert abs(x - (1000 + columns[0] * scale)) < tolerance
    assert abs(y - (500 + rows[0] * scale)) < tolerance
    assert abs(w - (columns[-1] - columns[0] + 1) * scale) < 2 * tolerance
    assert abs(h - (rows[-1] - rows[0] + 1) * scale) < 2 * tolerance


def test_phone_photo_is_turned_upright(mnist_test):
    """A phone stores a portrait photo sideways with an EXIF orientation; boxes come back
    in the upright picture, as a person sees it."""
    digit = mnist_test[0][0]
    upright = np.pad(
        255 - enlarge(digit, 300), ((100, 400), (50, 50)), constant_values=255
    )  # 800 x 400
    sideways = Image.fromarray(upright.astype(np.uint8)).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    buffer = io.BytesIO()
    sideways.save(buffer, "JPEG", exif=exif.tobytes(), quality=90)
    prepared = prepare_image(buffer.getvalue())
    assert correlation(prepared.whole, digit) > 0.85  # read sideways, it would not be a 7
    x, y, w, h = prepared.whole_box
    assert 50 <= x <= 50 + 300 and 100 <= y <= 100 + 300 and x + w <= 360 and y + h <= 410


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "the image is empty"),
        (
            b"hello, these are not pixels",
            "not an image: expected a PNG, JPEG, BMP, GIF or WebP file",
        ),
        (b"x" * (MAX_IMAGE_BYTES + 1), f"more than the limit of {MAX_IMAGE_BYTES}"),
        (encode(np.full((60, 60), 255)), "no digit found: the image is blank"),
        (encode(np.zeros((60, 60))), "no digit found: the image is blank"),
    ],
    ids=["empty", "text", "too-many-bytes", "white-page", "black-page"],
)
def test_bad_images_get_clear_errors(data, message):
    with pytest.raises(ImageError, match=message):
        prepare_image(data)


def test_too_many_pixels_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buffer, "PNG")  # a few kB on disk, 48 megapixels
    with pytest.raises(ImageError, match=r"8000x6000 pixels, more than the limit"):
        prepare_image(buffer.getvalue())


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_get_clear_errors(name):
    with pytest.raises(ImageError, match=HOSTILE[name]):
        prepare_image(hostile_images()[name])


def test_a_50_megapixel_jpeg_is_decoded_at_a_reduced_size(mnist_test):
    """Phone cameras take 50 MP photos: JPEG decodes them at 1/8 scale, within the limit."""
    digit = mnist_test[0][0]
    page = np.full((6120, 8160), 255, dtype=np.uint8)
    page[2000:4000, 3000:5000] = 255 - enlarge(digit, 2000)
    x, y, _, _ = prepare_image(encode(page, "JPEG", quality=80)).whole_box
    rows, columns = np.flatnonzero(digit.max(axis=1) > 127), np.flatnonzero(digit.max(axis=0) > 127)
    scale = 2000 / 28
    assert abs(x - (3000 + columns[0] * scale)) < 1.5 * scale
    assert abs(y - (2000 + rows[0] * scale)) < 1.5 * scale


def test_transparent_drawing_at_the_pixel_limit_reads_as_when_small():
    """A transparent canvas at the pixel limit is reduced right after decoding, alpha and
    all: its stroke is framed as the same stroke drawn at a working size."""
    big = prepare_image(worst_image()).whole
    small = stroke_canvas(632)
    assert correlation(big, prepare_image(encode_rgba(small)).whole) > 0.97


def encode_rgba(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


VALID_FILES = {
    "png": encode(255 - enlarge(np.eye(28) * 255, 84)),
    "jpeg": encode(255 - enlarge(np.eye(28) * 255, 84), "JPEG"),
    "gif": encode(255 - enlarge(np.eye(28) * 255, 56), "GIF"),
    "webp": encode(255 - enlarge(np.eye(28) * 255, 56), "WEBP"),
}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(VALID_FILES)),
    edits=st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=0, max_size=8)), max_size=6),
    cut=st.floats(0.05, 1),
)
def test_fuzzed_files_are_read_or_refused_with_an_image_error(name, edits, cut):
    """Real files with bytes overwritten, inserted and cut off: prepare_image reads them or
    raises ImageError, never anything else."""
    data = bytearray(VALID_FILES[name])
    for where, patch in edits:
        at = int(where * len(data))
        data[at : at + len(patch) // 2] = patch  # overwrites some bytes, inserts others
    try:
        prepare_image(bytes(data[: max(1, int(cut * len(data)))]))
    except ImageError:
        pass


def test_truncated_and_unsupported_files(mnist_test):
    png = encode(255 - enlarge(mnist_test[0][0], 112))
    with pytest.raises(ImageError, match="corrupt or truncated"):
        prepare_image(png[: len(png) // 2])
    buffer = io.BytesIO()
    Image.fromarray(mnist_test[0][0]).save(buffer, "TIFF")
    with pytest.raises(ImageError, match="unsupported image format TIFF"):
        prepare_image(buffer.getvalue())


@pytest.mark.parametrize(
    "small, shape", [((70, 70), (280, 280)), ((71, 100), (281, 397)), ((91, 69), (1000, 750))]
)
def test_resize_bilinear_matches_scipys_linear_zoom(small, shape):
    image = ndimage.uniform_filter(np.random.default_rng(0).random(small), size=5)
    zoom = (shape[0] / small[0], shape[1] / small[1])
    expected = ndimage.zoom(image, zoom, order=1, mode="nearest", grid_mode=True)
    np.testing.assert_allclose(
        resize_bilinear(image, shape), expected[: shape[0], : shape[1]], atol=1e-6
    )


def test_otsu_threshold_separates_two_levels():
    values = np.concatenate([np.full(900, 0.1), np.full(100, 0.8)])
    assert 0.1 < otsu_threshold(values) <= 0.8


def test_to_model_input_scales_mnist_bytes():
    images = np.array([[[0] * 28] * 28, [[255] * 28] * 28], dtype=np.uint8)
    scaled = to_model_input(images)
    assert scaled.shape == (2, 28, 28, 1) and scaled.dtype == np.float32
    assert scaled.min() == 0.0 and scaled.max() == 1.0


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((2, 28, 28, 1)), r"expected images of shape \(N, 28, 28\)"),
        (np.full((1, 28, 28), 300), "pixel values must lie in 0-255"),
        (np.full((1, 28, 28), -1), "pixel values must lie in 0-255"),
    ],
)
def test_to_model_input_rejects_bad_images(images, message):
    with pytest.raises(ValueError, match=message):
        to_model_input(images)
