"""The served contract: the request's items and limits, the registered pyfunc in-process,
then through a real `mlflow models serve` on 127.0.0.1 serving a smoke-trained champion."""

import base64
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException
from PIL import Image

from digit_pipeline.generators.phone import phone_photo
from digit_pipeline.generators.photos import DigitPool, make_image
from digit_pipeline.reading import items, recognizer
from digit_pipeline.reading.contract import DigitRequest
from digit_pipeline.reading.errors import InvalidInput
from digit_pipeline.reading.items import ImageFile, Pixels, parse_item, parse_request, prepare_items
from digit_pipeline.reading.limits import (
    MAX_CONCURRENT_READS,
    MAX_DIGITS_PER_IMAGE,
    MAX_IMAGE_BYTES,
)
from digit_pipeline.reading.predictor import Reader
from digit_pipeline.reading.pyfunc import reader_of
from digit_pipeline.reading.recognizer import Recognizer
from digit_pipeline.testing.images import HOSTILE, encode, enlarge, hostile_images, worst_image
from digit_pipeline.testing.project import CHAMPION, tracking_uri
from digit_pipeline.testing.servers import listening_pid, memory_mb, restart_peak_memory


def png_base64(pixels: np.ndarray) -> str:
    return base64.b64encode(encode(pixels)).decode()


def drawn(digit: np.ndarray, size: int = 112) -> np.ndarray:
    """Dark ink on white paper, larger than MNIST."""
    return 255 - enlarge(digit, size)


PIXELS = np.zeros((28, 28)).tolist()
BAD_ITEMS = {
    "not base64": ({"image": "%%% not base64 %%%"}, "inputs[0]: image is not valid base64"),
    "not an image": (
        {"image": base64.b64encode(b"just some text").decode()},
        "inputs[0]: not an image",
    ),
    "empty image": ({"image": ""}, "inputs[0]: the image is empty"),
    "image not a string": ({"image": 42}, "inputs[0]: image must be a base64 string, got int"),
    "too large": (
        {"image": "A" * (MAX_IMAGE_BYTES * 4 // 3 + 8)},
        f"larger than the limit of {MAX_IMAGE_BYTES} bytes",
    ),
    "wrong shape": (
        {"pixels": [[0] * 27] * 28},
        "pixels must be 28 rows of 28 numbers, got shape (28, 27)",
    ),
    "ragged": ({"pixels": [[0] * 28] * 27 + [[0] * 5]}, "pixels must be 28 rows of 28 numbers"),
    "strings": ({"pixels": [["0"] * 28] * 28}, "pixels must be numbers"),
    "null": ({"pixels": [[None] * 28] * 28}, "pixels must be numbers"),
    "NaN": ({"pixels": [[float("nan")] * 28] * 28}, "pixels must be finite numbers"),
    "out of range": ({"pixels": [[256] * 28] * 28}, "pixels must lie in 0-255, got 256 to 256"),
    "negative": ({"pixels": [[-1] * 28] * 28}, "pixels must lie in 0-255, got -1 to -1"),
    "neither field": ({}, 'give exactly one of "image" or "pixels", got 0'),
    "both fields": (
        {"image": "", "pixels": PIXELS},
        'give exactly one of "image" or "pixels", got 2',
    ),
    "unknown field": ({"img": ""}, "unknown field(s) ['img']"),
    "not an object": ("a string", 'expected an object with "image" or "pixels", got str'),
    "booleans": (
        {"pixels": [[True] + [0] * 27] + [[0] * 28] * 27},
        "pixels must be numbers, got bool",
    ),
    "huge integer": (
        {"pixels": [[10**400] + [0] * 27] + [[0] * 28] * 27},
        "pixels must lie in 0-255",
    ),
    **{
        name: ({"image": base64.b64encode(data).decode()}, f"inputs[0]: {HOSTILE[name]}")
        for name, data in hostile_images().items()
    },
}


def parse_and_prepare(model_input) -> list:
    """What the reader does with a served request before the CNN reads it."""
    return prepare_items(parse_request(model_input))


@pytest.mark.parametrize("name", BAD_ITEMS)
def test_a_bad_item_is_refused_before_the_cnn(name):
    item, message = BAD_ITEMS[name]
    with pytest.raises(InvalidInput) as error:
        parse_and_prepare([item])
    assert message in error.value.message and error.value.item == 0
    assert message.removeprefix("inputs[0]: ") in error.value.reason
    assert len(error.value.message) < 200


def test_an_item_is_an_image_file_or_pixels():
    assert parse_item({"image": base64.b64encode(b"abc").decode()}) == ImageFile(b"abc")
    pixels = parse_item({"pixels": PIXELS})
    assert isinstance(pixels, Pixels) and pixels.values.shape == (28, 28)


def test_invalid_input_keeps_its_short_message():
    error = InvalidInput("inputs[3]: pixels must be numbers")
    error.message = (
        f"Failed to predict data '{'x' * 10_000}'. Error: {error.message}"  # what MLflow does
    )
    assert json.loads(error.serialize_as_json())["message"] == "inputs[3]: pixels must be numbers"
    assert error.get_http_status_code() == 400


def test_a_request_is_limited_in_items_pixels_and_digits(monkeypatch):
    with pytest.raises(InvalidInput, match="inputs must be a list of items, got dict"):
        parse_request({"pixels": PIXELS})
    with pytest.raises(InvalidInput, match="at most 10000 items per request, got 10001"):
        parse_request([{"pixels": PIXELS}] * 10_001)
    one_digit = {"image": png_base64(np.pad(np.full((40, 20), 0), 30, constant_values=255))}
    with pytest.raises(InvalidInput, match="at most 1000 images per request, got 1001"):
        parse_request([one_digit] * 1_001)
    monkeypatch.setattr(items, "MAX_REQUEST_PIXELS", 3 * 100 * 80)  # three such images
    assert len(parse_and_prepare([one_digit] * 3)) == 3
    with pytest.raises(
        InvalidInput, match=r"inputs\[3\]: the request's images hold more than 24000"
    ):
        parse_and_prepare([one_digit] * 4)
    monkeypatch.setattr(items, "MAX_REQUEST_DIGITS", 2)
    with pytest.raises(InvalidInput, match=r"inputs\[2\]: the request holds more than 2 digits"):
        parse_and_prepare([{"pixels": PIXELS}] * 3)


@pytest.fixture(scope="module")
def champion(smoke_project):
    """The smoke run's registered champion, loaded in-process, and its store's URI."""
    uri = tracking_uri(smoke_project[0])
    mlflow.set_tracking_uri(uri)
    return mlflow.pyfunc.load_model(CHAMPION), uri


def test_pyfunc_reads_pixels_and_images_alike(champion, mnist_test):
    model, _ = champion
    images, labels = mnist_test
    inputs = [{"pixels": images[i].tolist()} for i in range(200)]
    predictions = model.predict(inputs)
    assert len(predictions) == 200
    read = np.array([p["digit"] for p in predictions])
    assert np.mean(read == labels[:200]) > 0.6  # a one-epoch smoke model
    for p in predictions[:5]:
        assert p["digits"] == str(p["digit"]) and p["boxes"] == [[0, 0, 28, 28]]
        assert p["confidence"] == max(p["probabilities"])
        assert sum(p["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    # The same digits drawn dark on light and 4x larger read the same in most cases.
    drawn_predictions = model.predict([{"image": png_base64(drawn(images[i]))} for i in range(50)])
    agreement = np.mean(
        [d["digit"] == p["digit"] for d, p in zip(drawn_predictions, predictions, strict=False)]
    )
    assert agreement > 0.8


def test_loading_the_same_files_again_reuses_their_reader(champion, tmp_path):
    # As a local Spark job's spark_udf does, once per partition: the CNN is loaded once.
    path = mlflow.artifacts.download_artifacts(CHAMPION, dst_path=str(tmp_path))
    first, again = mlflow.pyfunc.load_model(path), mlflow.pyfunc.load_model(path)
    assert reader_of(first) is reader_of(again)
    assert reader_of(first) is not reader_of(champion[0])  # other files, another reader
    assert again.predict([{"pixels": [[0.0] * 28] * 28}])[0]["digits"]


# --- the typed contract --------------------------------------------------------


def test_the_model_shows_its_typed_contract_and_an_example(champion, tmp_path):
    model, _ = champion
    (request,) = model.metadata.get_input_schema().to_dict()
    assert request["type"] == "object"
    assert request["properties"] == {
        "image": {"type": "binary", "required": False},
        "pixels": {"type": "array", "items": {"type": "array", "items": {"type": "double"}},
                   "required": False},
        "corners": {"type": "array", "items": {"type": "array", "items": {"type": "double"}},
                    "required": False},
    }  # fmt: skip
    (answer,) = model.metadata.get_output_schema().to_dict()
    assert {"read_as", "digit", "confidence", "digits", "boxes", "lines", "page"} <= set(
        answer["properties"]
    )
    # The input example, a drawn digit, is what MLflow's own tools try the model with.
    serving_example = Path(mlflow.artifacts.download_artifacts(CHAMPION)) / (
        "serving_input_example.json"
    )
    answer = tmp_path / "answer.json"
    mlflow.models.predict(
        CHAMPION, input_path=serving_example, output_path=answer, env_manager="local"
    )
    (prediction,) = json.loads(answer.read_text())["predictions"]
    assert 0 <= prediction["digit"] <= 9 and len(prediction["digits"]) == 1


def test_mlflow_itself_refuses_what_does_not_match_the_schema(champion):
    model, _ = champion
    python_model = model.unwrap_python_model()
    flat = {"pixels": [0.0] * 784}  # a list of numbers where the schema has a list of lists
    with pytest.raises(MlflowException, match="Failed to validate data against type hint"):
        type(python_model).predict.__wrapped__(python_model, None, [flat])  # MLflow's checks
    with pytest.raises(InvalidInput) as error:
        model.predict([{"pixels": PIXELS}, flat])  # answered by the reader's short message
    assert error.value.message == "inputs[1]: pixels must be 28 rows of 28 numbers"


def test_an_oversized_request_is_refused_before_mlflow_checks_its_items(champion, monkeypatch):
    """MLflow would check all 200,000 items against the schema first (seconds)."""
    checked = []
    original = DigitRequest.model_validate.__func__
    monkeypatch.setattr(
        DigitRequest, "model_validate",
        classmethod(lambda cls, *args, **kwargs: checked.append(1) or original(cls, *args, **kwargs)),
    )  # fmt: skip
    model, _ = champion
    with pytest.raises(InvalidInput, match="at most 10000 items per request, got 200000"):
        model.predict([{"pixels": PIXELS}] * 200_000)
    assert not checked
    model.predict([{"pixels": PIXELS}] * 2)
    assert len(checked) == 2  # what is within the limits, MLflow checks


def test_an_image_comes_as_base64_or_as_raw_bytes(champion, mnist_test):
    """Raw bytes as Spark's binaryFile gives them (a DataFrame column, as spark_udf hands
    it over), base64 as JSON carries them, in lines as MLflow writes binary values."""
    model, _ = champion
    png = encode(drawn(mnist_test[0][3]))
    as_bytes = model.predict([{"image": png}])
    as_base64 = model.predict([{"image": base64.b64encode(png).decode()}])
    in_lines = model.predict([{"image": base64.encodebytes(png).decode()}])
    as_column = model.predict(pd.DataFrame({"image": [png, png]}))
    assert as_bytes == as_base64 == in_lines == as_column[:1] == as_column[1:]


class CountingRecognizer(Recognizer):
    """The served recognizer, recording how many 28x28 digits each call of the CNN gets,
    and how many strips each call of the line model."""

    def __init__(self, recognizer: Recognizer) -> None:
        super().__init__(recognizer.model, recognizer.temperature, recognizer.line_model)
        self.calls: list[int] = []
        self.line_calls: list[int] = []

    def probabilities(self, digits):
        self.calls.append(len(digits))
        return super().probabilities(digits)

    def line_steps(self, strips):
        self.line_calls.append(len(strips))
        return super().line_steps(strips)


def test_a_request_goes_through_each_network_once(champion, mnist_test):
    served = champion[0].unwrap_python_model().reader
    reader = Reader(CountingRecognizer(served.recognizer))
    images = mnist_test[0]
    strip = Path(__file__).parents[2] / "docs" / "samples" / "7210.jpg"
    items = [
        {"pixels": images[0].tolist()},
        {"pixels": images[1].tolist()},
        {"pixels": images[0].tolist()},  # the same digit again
        {"image": png_base64(drawn(images[2]))},  # one digit: the whole image
        {"image": base64.b64encode(strip.read_bytes()).decode()},  # a line of four digits
    ]
    inputs = parse_and_prepare(items)
    together = [reading.export() for reading in reader.recognize(inputs)]
    # The CNN reads each item's ink whole, the line model each line's strip: each distinct
    # one once (the first digit is there twice).
    strips = {line.strip.pixels.tobytes() for item in inputs for line in item.lines if line.strip}
    assert reader.recognizer.calls == [len(items) - 1]
    assert reader.recognizer.line_calls == [len(strips)] and len(strips) >= 1
    assert together[0] == together[2] and len(together[4]["digits"]) == 4
    # The same answers as each item read alone, through the model in float32.
    for item, answer in zip(inputs, together, strict=True):
        alone = reader.recognize([item])[0].export()
        assert alone["digits"] == answer["digits"] and alone["digit"] == answer["digit"]
        np.testing.assert_allclose(alone["probabilities"], answer["probabilities"], atol=1e-5)


def test_the_cnn_reads_a_large_request_in_bounded_batches(champion, mnist_test, monkeypatch):
    served = champion[0].unwrap_python_model().reader.recognizer
    digits = list(mnist_test[0][:25] / 255.0)
    whole = served.probabilities(digits)
    calls = CountingRecognizer(served)
    monkeypatch.setattr(recognizer, "CNN_BATCH", 7)
    calls.model = CountingModel(served.model)
    np.testing.assert_allclose(calls.probabilities(digits), whole, atol=1e-5)
    assert calls.model.batches == [7, 7, 7, 4]


class CountingModel:
    """A Keras model, recording the size of each batch it reads."""

    def __init__(self, model) -> None:
        self.model, self.batches = model, []

    def predict_on_batch(self, batch):
        self.batches.append(len(batch))
        return self.model.predict_on_batch(batch)


@pytest.fixture(scope="module")
def server(model_server):
    return model_server


def post(server: str, body) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{server}/invocations", data, {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_sheet_is_read_line_by_line(champion, mnist_train):
    """Each line of a photographed sheet comes back with its digits, boxes and confidences,
    in reading order (what the smoke model reads is not checked: the benchmark measures it)."""
    model, _ = champion
    rng = np.random.default_rng(11)
    pool = DigitPool(*(array[:5000] for array in mnist_train))
    sheets = [make_image("sheet ruled", pool, rng) for _ in range(3)]
    items = [{"image": base64.b64encode(sheet.data).decode()} for sheet in sheets]
    for sheet, prediction in zip(sheets, model.predict(items), strict=True):
        lines = prediction["lines"]
        assert len(lines) == len(sheet.texts)
        assert prediction["digits"] == "\n".join(line["digits"] for line in lines)
        assert prediction["boxes"] == [box for line in lines for box in line["boxes"]]
        for line in lines:
            assert len(line["digits"]) == len(line["boxes"]) == len(line["confidences"])
            assert all(0 <= confidence <= 1 for confidence in line["confidences"])
            lefts = [x for x, _, _, _ in line["boxes"]]
            assert lefts == sorted(lefts)
        tops = [min(y for _, y, _, _ in line["boxes"]) for line in lines]
        assert tops == sorted(tops)


def test_a_phone_photo_is_read_on_its_sheet_in_the_photo_s_pixels(server, mnist_train):
    """Through `mlflow models serve`: the sheet's corners and each digit's quadrilateral, in
    the photo's pixels; each box holds its quadrilateral."""
    pool = DigitPool(*(array[:5000] for array in mnist_train))
    photo = phone_photo(pool, np.random.default_rng(21), turn=180.0)
    status, body = post(server, {"inputs": [{"image": base64.b64encode(photo.data).decode()}]})
    assert status == 200
    (prediction,) = body["predictions"]
    corners = np.array(prediction["page"])
    assert corners.shape == (4, 2)
    assert min(np.abs(np.roll(corners, k, axis=0) - photo.corners).max() for k in range(4)) < 12
    assert (
        len(prediction["quads"])
        == len(prediction["boxes"])
        == len(prediction["digits"].replace("\n", ""))
    )
    for (x, y, width, height), corners in zip(
        prediction["boxes"], prediction["quads"], strict=True
    ):
        quad = np.array(corners)
        assert quad.shape == (4, 2)
        assert np.allclose(quad.min(axis=0), [x, y], atol=1)
        assert np.allclose(quad.max(axis=0), [x + width, y + height], atol=1)
    for line in prediction["lines"]:
        assert len(line["quads"]) == len(line["digits"])


def test_the_served_request_takes_the_sheet_s_corners_from_the_person(server, mnist_train):
    """A page found wrong, corrected: the corners sent with the image are where it is read."""
    pool = DigitPool(*(array[:5000] for array in mnist_train))
    photo = phone_photo(pool, np.random.default_rng(21), turn=180.0)
    given = photo.corners + [[10, -8], [-6, 9], [7, 7], [-9, -6]]
    image = base64.b64encode(photo.data).decode()
    status, body = post(server, {"inputs": [{"image": image, "corners": given.tolist()}]})
    assert status == 200
    corners = np.array(body["predictions"][0]["page"])
    assert min(np.abs(np.roll(corners, k, axis=0) - given).max() for k in range(4)) < 1
    status, body = post(server, {"inputs": [{"image": image, "corners": [[0, 0]] * 3}]})
    assert status == 400 and "inputs[0]: corners must be 4 points" in body["message"]
    # Read each on its own: the corners hold, and bad ones fail their item only.
    items = [{"image": image, "corners": given.tolist()}, {"image": image, "corners": [[0, 0]]}]
    status, body = post(server, {"inputs": items, "params": {"errors": "item"}})
    corrected, failed = body["predictions"]
    assert status == 200 and corrected["error"] == ""
    assert np.abs(np.array(corrected["page"]) - np.array(corners)).max() < 1e-6
    assert failed["error"].startswith("corners must be 4 points") and failed["page"] is None


def test_served_model_answers_the_contract(server, champion, mnist_test):
    model, _ = champion
    images, _ = mnist_test
    strip = np.concatenate([drawn(images[i], 84) for i in range(5)], axis=1)
    inputs = [
        {"pixels": images[0].tolist()},
        {"image": png_base64(drawn(images[1]))},
        {"image": png_base64(np.pad(strip, 30, constant_values=255))},
    ]
    status, body = post(server, {"inputs": inputs})
    assert status == 200
    pixels, image, line = body["predictions"]
    assert set(pixels) == {
        "read_as", "digit", "confidence", "probabilities", "digits", "boxes", "quads", "lines",
        "page",
    }  # fmt: skip
    assert pixels["page"] is None and image["page"] is None and line["page"] is None
    # A pixels item and a drawn digit are one digit; a row of five is a line of writing.
    assert [a["read_as"] for a in (pixels, image, line)] == ["digit", "digit", "lines"]
    assert body["predictions"] == json.loads(
        json.dumps(model.predict(inputs))
    )  # same as in-process
    assert pixels["boxes"] == [[0, 0, 28, 28]] and len(pixels["probabilities"]) == 10
    assert len(image["digits"]) == 1 and len(image["boxes"]) == 1
    assert len(line["digits"]) == 5 and len(line["boxes"]) == 5
    assert [box[0] for box in line["boxes"]] == sorted(box[0] for box in line["boxes"])


def test_served_model_rejects_bad_input_with_400_and_keeps_answering(server):
    for name, (item, message) in BAD_ITEMS.items():
        status, body = post(server, {"inputs": [{"pixels": PIXELS}, item]})
        assert status == 400, name
        assert message.replace("inputs[0]", "inputs[1]") in body["message"], name
        assert len(body["message"]) < 200 and "stack_trace" not in body, name
    for body in (b"this is not JSON", {"instances": [1, 2]}, {"inputs": {"pixels": PIXELS}}):
        status, _ = post(server, body)
        assert status == 400, body
    status, body = post(server, {"inputs": [{"pixels": PIXELS}]})
    assert status == 200 and len(body["predictions"]) == 1


def test_served_model_answers_its_example_and_refuses_another_shape_with_400(server):
    example = Path(mlflow.artifacts.download_artifacts(CHAMPION)) / "serving_input_example.json"
    status, body = post(server, example.read_bytes())
    assert status == 200 and len(body["predictions"]) == 1
    huge_flat = {"pixels": [0.0] * 784, "note": "x" * 100_000}  # fails MLflow's own checks
    status, body = post(server, {"inputs": [{"pixels": PIXELS}, huge_flat]})
    assert status == 400 and body["message"].startswith("inputs[1]: unknown field(s) ['note']")
    assert len(body["message"]) < 200


def test_with_errors_item_a_bad_file_gets_its_error_and_the_rest_is_read(server):
    text = base64.b64encode(b"just some text").decode()
    body = {"inputs": [{"pixels": PIXELS}, {"image": text}], "params": {"errors": "item"}}
    status, answer = post(server, body)
    assert status == 200
    read, failed = answer["predictions"]
    assert read["error"] == "" and read["boxes"] == [[0, 0, 28, 28]]
    assert failed["error"].startswith("not an image") and failed["digit"] is None
    assert post(server, {"inputs": body["inputs"]})[0] == 400  # by default, the request fails


def test_one_small_request_of_many_marks_does_not_kill_the_server(server):
    """150 copies of a 136-byte PNG of a thin bar once made 48,150 digits for one model
    call, and TensorFlow aborted the server: now each is one long line, read in bounded
    batches. Confetti, a thousand marks in one image, is refused."""
    bar = Image.new("L", (640, 20), 255)
    bar.paste(0, (0, 9, 640, 11))
    thin_bar = base64.b64encode(encode(np.asarray(bar))).decode()
    assert post(server, {"inputs": [{"image": thin_bar}] * 150})[0] == 200
    confetti = base64.b64encode(hostile_images()["confetti"]).decode()
    status, body = post(server, {"inputs": [{"image": confetti}] * 150})
    limit = f"inputs[0]: more than {MAX_DIGITS_PER_IMAGE} digits in one image"
    assert status == 400 and body["message"] == limit
    assert post(server, {"inputs": [{"pixels": PIXELS}]})[0] == 200


def test_eight_concurrent_worst_uploads_stay_within_memory(server):
    """Eight clients at once, each with an image at the pixel limit: all are read, two
    at a time, and the server grows by at most 400 MB for each read it holds at once."""
    body = json.dumps({"inputs": [{"image": base64.b64encode(worst_image()).decode()}]}).encode()
    # The server itself (TensorFlow and the model: ~800 MB idle), not its launcher; its
    # high-water mark restarted so that only this burst counts, not earlier tests'.
    pid = listening_pid(int(server.rsplit(":", 1)[1]))
    before = restart_peak_memory(pid)
    with ThreadPoolExecutor(8) as clients:
        statuses = [status for status, _ in clients.map(lambda _: post(server, body), range(8))]
    assert statuses == [200] * 8
    assert before > 500
    assert memory_mb(pid)["peak"] - before < MAX_CONCURRENT_READS * 400
