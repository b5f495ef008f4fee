"""The GUI: `digit-pipeline app` as a real server on 127.0.0.1 with a smoke-trained
champion, its JSON API, and the page driven by a real headless Chromium (Playwright)."""

import base64
import io
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
import requests
from PIL import Image

from digit_pipeline.app.uploads import MAX_UPLOAD_BYTES
from digit_pipeline.generators.phone import phone_photo
from digit_pipeline.generators.photos import DigitPool, make_image
from digit_pipeline.reading.limits import MAX_CONCURRENT_READS, MAX_WAITING
from digit_pipeline.testing.browser import draw
from digit_pipeline.testing.images import HOSTILE, encode, enlarge, hostile_images, worst_image
from digit_pipeline.testing.project import CHAMPION, CHAMPION_ALIAS, MODEL_NAME, tracking_uri
from digit_pipeline.testing.servers import (
    digit_pipeline_app,
    listening_pid,
    memory_mb,
    send_chunked_until_answered,
)

STATIC = Path(__file__).resolve().parents[2] / "src" / "digit_pipeline" / "app" / "static"


def strip_of(images: np.ndarray, count: int) -> bytes:
    """MNIST test digits written in a row, dark on light, as a scan would show them."""
    row = np.concatenate([enlarge(d, 84) for d in images[:count]], axis=1)
    return encode(np.pad(255 - row, 30, constant_values=255))


@pytest.fixture(scope="module")
def own_folder(tmp_path_factory) -> Path:
    """Where the module's server keeps own digits."""
    return tmp_path_factory.mktemp("own_digits")


@pytest.fixture(scope="module")
def app_url(smoke_project, own_folder):
    env = {"MLFLOW_TRACKING_URI": tracking_uri(smoke_project[0])}
    with digit_pipeline_app(env, "--own-digits", str(own_folder)) as url:
        yield url


def predict(
    app_url: str, content: bytes, name: str = "digit.png", headers: dict | None = None
) -> requests.Response:
    return requests.post(
        f"{app_url}/api/predict", files={"file": (name, content)}, headers=headers, timeout=60
    )


# --- the API ------------------------------------------------------------------


def test_api_describes_the_model(app_url):
    model = requests.get(f"{app_url}/api/model", timeout=10).json()
    assert CHAMPION == f"models:/{model['name']}@{model['alias']}"
    assert model["version"] == 1 and 0.5 < model["test_accuracy"] <= 1
    assert model["max_upload_bytes"] == MAX_UPLOAD_BYTES


def test_api_reads_an_image_and_returns_what_the_model_saw(app_url, mnist_test):
    images, _ = mnist_test
    response = predict(
        app_url, strip_of(images, 4), name="../../etc/passwd"
    )  # a name, never a path
    assert response.status_code == 200
    body = response.json()
    assert {"digit", "confidence", "probabilities", "digits", "boxes", "input_image"} <= set(body)
    assert len(body["digits"]) == 4 and len(body["boxes"]) == 4
    header, encoded = body["input_image"].split(",", 1)
    assert header == "data:image/png;base64"
    seen = Image.open(io.BytesIO(base64.b64decode(encoded)))
    assert seen.size == (28, 28) and seen.mode == "L"


def test_api_reads_the_sheet_within_the_corners_given(app_url, mnist_train):
    photo = phone_photo(DigitPool(*(a[:5000] for a in mnist_train)), np.random.default_rng(9))
    given = photo.corners + [[15, 10], [-10, 12], [-12, -9], [8, -14]]
    files = {"file": ("desk.jpg", photo.data)}
    answer = requests.post(
        f"{app_url}/api/predict", files=files, data={"corners": json.dumps(given.tolist())},
        timeout=60,
    )  # fmt: skip
    assert answer.status_code == 200
    page = np.array(answer.json()["page"])
    assert min(np.abs(np.roll(page, k, axis=0) - given).max() for k in range(4)) < 1
    for bad in ("[[0, 0]]", "not json", "[[0, 0], [5, 0], [5, 5], [0, 5]]"):
        refused = requests.post(
            f"{app_url}/api/predict", files=files, data={"corners": bad}, timeout=60
        )
        assert refused.status_code == 400 and "corners must" in refused.json()["detail"]


def test_api_gives_the_sheet_of_a_phone_photo_as_read(app_url, mnist_train):
    photo = phone_photo(DigitPool(*(a[:5000] for a in mnist_train)), np.random.default_rng(9))
    body = predict(app_url, photo.data, name="desk.jpg").json()
    assert np.array(body["page"]).shape == (4, 2)
    assert len(body["quads"]) == len(body["boxes"]) > 0
    header, encoded = body["page_image"].split(",", 1)
    assert header == "data:image/png;base64"
    assert Image.open(io.BytesIO(base64.b64decode(encoded))).mode == "L"
    flat = predict(app_url, strip_of(mnist_train[0], 3)).json()
    assert flat["page"] is None and flat["page_image"] is None


@pytest.mark.parametrize(
    "content, status, message",
    [
        (b"plain text, not an image", 400, "not an image"),
        (b"", 400, "the image is empty"),
        (encode(np.full((50, 50), 255)), 400, "no digit found"),
        (
            b"\x89PNG" + os.urandom(MAX_UPLOAD_BYTES),
            413,
            f"larger than the limit of {MAX_UPLOAD_BYTES} bytes",
        ),
    ],
    ids=["text", "empty", "blank", "too-large"],
)
def test_api_rejects_bad_uploads(app_url, content, status, message):
    response = predict(app_url, content)
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert requests.get(f"{app_url}/api/model", timeout=10).status_code == 200  # still up


@pytest.mark.parametrize("name", HOSTILE)
def test_api_answers_hostile_files_with_400(app_url, name):
    response = predict(app_url, hostile_images()[name])
    assert response.status_code == 400 and HOSTILE[name] in response.json()["detail"]


def test_an_upload_without_length_is_cut_off_as_it_streams(app_url):
    """A chunked body of unknown length is refused once past the limit, not read whole."""
    answer, sent = send_chunked_until_answered(
        app_url, "/api/predict", "multipart/form-data; boundary=x"
    )
    assert answer.startswith(b"HTTP/1.1 413")
    assert sent < 2 * MAX_UPLOAD_BYTES


def test_concurrent_worst_uploads_stay_within_memory_or_are_told_to_retry(app_url):
    """More clients than the server takes at once, each with an image at the pixel
    limit: those it takes are read, the others get 503 and Retry-After at once, and the
    server stays under 1.5 GB."""
    places = MAX_CONCURRENT_READS + MAX_WAITING  # the reader's gate: reading or waiting
    clients = places + 8
    image = worst_image()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda _: predict(app_url, image), range(clients)))
    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) == {200, 503} and statuses.count(200) >= places - 2
    assert all(a.headers["Retry-After"] == "2" for a in answers if a.status_code == 503)
    # The server itself (TensorFlow and the model: ~800 MB idle), not its launcher.
    assert 500 < memory_mb(listening_pid(urlsplit(app_url).port))["peak"] < 1_500


def test_requests_to_other_hosts_and_posts_from_other_origins_are_refused(app_url):
    digit = encode(255 - enlarge(np.eye(28) * 255, 84))
    assert (
        requests.get(app_url, headers={"Host": "attacker.example"}, timeout=10).status_code == 400
    )
    for headers in ({"Origin": "http://attacker.example"}, {"Sec-Fetch-Site": "cross-site"}):
        assert predict(app_url, digit, headers=headers).status_code == 403, headers
    same_origin = {"Origin": app_url, "Sec-Fetch-Site": "same-origin"}
    assert predict(app_url, digit, headers=same_origin).status_code == 200


def test_openapi_describes_the_upload_and_its_errors(app_url):
    operation = requests.get(f"{app_url}/openapi.json", timeout=10).json()["paths"]["/api/predict"]
    form = operation["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary"
    assert {"200", "400", "403", "413", "503"} <= set(operation["post"]["responses"])
    reading = operation["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert reading == {"$ref": "#/components/schemas/ReadingAnswer"}


def test_api_needs_a_file_field(app_url):
    for kwargs in (
        {"data": {"file": "not a file"}},
        {"files": {"image": ("a.png", b"x")}},
        {"data": b"raw"},
    ):
        response = requests.post(f"{app_url}/api/predict", timeout=10, **kwargs)
        assert response.status_code == 400, kwargs
        assert "field 'file'" in response.json()["detail"]


def test_page_needs_nothing_from_the_internet(app_url):
    page = requests.get(app_url, timeout=10)
    assert page.status_code == 200 and "<canvas" in page.text
    assets = sorted(path.name for path in STATIC.iterdir())
    assert {"index.html", "app.js", "style.css"} <= set(assets)
    for asset in assets:
        text = (STATIC / asset).read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), asset
        assert not re.search(r"""(from|import)\s*\(?\s*["'](https?:)?//""", text), asset
        assert "@import" not in text and "url(http" not in text, asset
        assert requests.get(f"{app_url}/static/{asset}", timeout=10).status_code == 200
    assert requests.get(f"{app_url}/static/../__init__.py", timeout=10).status_code == 404


# --- own digits through the API ----------------------------------------------


def keep(app_url: str, fields: dict, files: dict, headers: dict | None = None) -> requests.Response:
    return requests.post(
        f"{app_url}/api/own-digits", data=fields, files=files, headers=headers, timeout=30
    )


def test_api_gives_the_image_of_each_digit_read(app_url, mnist_test):
    images, _ = mnist_test
    (line,) = predict(app_url, strip_of(images, 3)).json()["lines"]
    assert len(line["images"]) == len(line["boxes"]) == len(line["digits"])
    for url in line["images"]:
        digit = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
        assert digit.size == (28, 28)


def test_a_corrupt_labels_file_is_named_not_a_crash(app_url, own_folder):
    """Data on disk that cannot be read gets the answer `kedro run` gives: the file named,
    and what is wrong with it; the server answers again once the file is mended."""
    labels = own_folder / "labels.csv"
    kept = labels.read_bytes() if labels.exists() else None
    labels.write_bytes(b"\x00\xff not, a labels file\n\x00\x01\x02")
    try:
        for method, path in (("get", "/api/own-digits"), ("get", "/api/own-digits/x/digit")):
            answer = getattr(requests, method)(f"{app_url}{path}", timeout=30)
            assert answer.status_code == 500, path
            assert str(labels) in answer.json()["detail"] and "labels" in answer.json()["detail"]
    finally:
        if kept is None:
            labels.unlink()
        else:
            labels.write_bytes(kept)
    listed = requests.get(f"{app_url}/api/own-digits", timeout=30).json()
    assert listed["folder"] == str(own_folder)


def test_api_keeps_lists_serves_and_forgets_an_own_digit(app_url, own_folder, mnist_test):
    images, _ = mnist_test
    before = requests.get(f"{app_url}/api/own-digits", timeout=30).json()["counts"]["4"]
    answer = keep(
        app_url, {"label": "4", "source": "photo"},
        {"digit": ("digit.png", encode(images[4])), "crop": ("crop.png", encode(255 - images[4]))},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    sample_id = answer.json()["sample_id"]
    assert answer.json()["counts"]["4"] == before + 1
    listed = requests.get(f"{app_url}/api/own-digits", timeout=30).json()
    assert listed["samples"][0] == {**listed["samples"][0], "sample_id": sample_id, "label": 4}
    kept = requests.get(f"{app_url}/api/own-digits/{sample_id}/digit", timeout=30)
    assert kept.headers["content-type"] == "image/png"
    assert (np.asarray(Image.open(io.BytesIO(kept.content))) == images[4]).all()
    assert requests.get(f"{app_url}/api/own-digits/{sample_id}/crop", timeout=30).ok
    assert sample_id in (own_folder / "labels.csv").read_text()

    assert requests.delete(f"{app_url}/api/own-digits/{sample_id}", timeout=30).status_code == 204
    assert sample_id not in (own_folder / "labels.csv").read_text()
    assert requests.delete(f"{app_url}/api/own-digits/{sample_id}", timeout=30).status_code == 404
    assert (
        requests.get(f"{app_url}/api/own-digits/{sample_id}/digit", timeout=30).status_code == 404
    )


@pytest.mark.parametrize(
    "fields, files, message",
    [
        ({"label": "12", "source": "drawn"}, {"digit": np.zeros((28, 28), np.uint8)}, "the label must be a digit"),
        ({"label": "3", "source": "camera"}, {"digit": np.zeros((28, 28), np.uint8)}, "the source must be one of"),
        ({"label": "3", "source": "drawn"}, {"digit": np.zeros((30, 28), np.uint8)}, "must be 28x28 pixels, got 28x30"),
        ({"label": "3", "source": "drawn"}, {"digit": b"not a png"}, "the digit is not a readable image"),
        ({"label": "3", "source": "drawn"}, {}, "expected a file in the field 'digit'"),
        ({"label": "3", "source": "photo"}, {"digit": np.zeros((28, 28), np.uint8), "crop": b"GIF89a broken"}, "the crop is not a readable image"),
    ],
    ids=["label", "source", "size", "not-an-image", "no-digit", "bad-crop"],
)  # fmt: skip
def test_api_refuses_bad_own_digits_and_keeps_nothing(app_url, fields, files, message):
    count = len(requests.get(f"{app_url}/api/own-digits", timeout=30).json()["samples"])
    files = {
        name: (f"{name}.png", encode(content) if isinstance(content, np.ndarray) else content)
        for name, content in files.items()
    }
    answer = keep(app_url, fields, files)
    assert answer.status_code == 400 and message in answer.json()["detail"]
    assert len(requests.get(f"{app_url}/api/own-digits", timeout=30).json()["samples"]) == count


def test_own_digits_cannot_be_kept_or_deleted_from_another_origin(app_url):
    other = {"Origin": "http://evil.example"}
    answer = keep(
        app_url, {"label": "1", "source": "drawn"},
        {"digit": ("d.png", encode(np.zeros((28, 28), np.uint8)))}, headers=other,
    )  # fmt: skip
    assert answer.status_code == 403
    assert (
        requests.delete(f"{app_url}/api/own-digits/x", headers=other, timeout=30).status_code == 403
    )


# --- the page in a real browser -----------------------------------------------


@pytest.fixture
def page(browser, app_url):
    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    page.goto(app_url)
    page.wait_for_function("document.getElementById('model-info').textContent.startsWith('Model:')")
    yield page
    page.close()


def reading(page) -> str:
    page.wait_for_function("document.getElementById('digit').textContent !== '–'", timeout=15_000)
    return page.locator("#digit").inner_text()


def test_page_names_the_model(page):
    assert re.fullmatch(
        rf"Model: {re.escape(MODEL_NAME)} version 1 \(@{re.escape(CHAMPION_ALIAS)}\), test accuracy \d+\.\d\d%",
        page.locator("#model-info").inner_text(),
    )


def test_drawing_a_one_is_read_while_drawing(page):
    draw(page, "#pad", [[(140, 40), (142, 140), (140, 240)]])
    assert reading(page) == "1"
    bars = page.locator("#bars li")
    assert bars.count() == 10
    widths = [float(bars.nth(i).locator(".value").inner_text().rstrip("%")) for i in range(10)]
    assert sum(widths) == pytest.approx(100, abs=1) and max(widths) == widths[1]
    assert page.locator("#model-input").get_attribute("src").startswith("data:image/png;base64,")
    page.click("#undo")
    page.wait_for_function("document.getElementById('digit').textContent === '–'")


def test_drawing_a_seven_shows_a_prediction_and_ten_bars(page):
    draw(page, "#pad", [[(70, 60), (210, 60), (130, 240)]])
    assert reading(page) in "0123456789"
    assert page.locator("#bars li").count() == 10 and page.locator("#bars").is_visible()
    assert "% sure" in page.locator("#confidence").inner_text()
    assert "lines" not in page.locator("#digit").get_attribute("class")


def test_uploading_a_strip_shows_boxes_and_digits(page, tmp_path, mnist_test):
    images, labels = mnist_test
    path = tmp_path / "strip.png"
    path.write_bytes(strip_of(images, 5))
    page.set_input_files("#file", str(path))
    page.wait_for_selector(".box")
    assert page.locator(".box").count() == 5
    read = page.locator("#digits-read").inner_text()
    assert re.fullmatch(r"Digits read: \d[\d ]*", read)  # spaces where the model sees them
    digits = read.removeprefix("Digits read: ").replace(" ", "")
    assert [page.locator(".box span").nth(i).inner_text() for i in range(5)] == list(digits)
    assert page.locator("#error").is_hidden()


def test_uploading_a_sheet_shows_its_lines(page, tmp_path, mnist_train):
    rng = np.random.default_rng(4)
    sheet = make_image("sheet plain", DigitPool(*(a[:5000] for a in mnist_train)), rng)
    path = tmp_path / "sheet.jpg"
    path.write_bytes(sheet.data)
    page.set_input_files("#file", str(path))
    page.wait_for_selector(".box")
    read = page.locator("#digits-read").inner_text()
    lines = read.removeprefix("Digits read:").strip().split("\n")
    digits = [line.replace(" ", "") for line in lines]
    assert len(lines) == len(sheet.texts) and all(line.isdigit() for line in digits)
    assert page.locator(".box").count() == sum(map(len, digits))
    # The answer is the sheet's lines, never one digit for the whole photo.
    answer = page.locator("#digit")
    assert "lines" in answer.get_attribute("class")
    assert answer.inner_text().split() == " ".join(lines).split()
    assert page.locator("#confidence").inner_text() == f"{len(lines)} lines read"
    assert page.locator("#bars").is_hidden() and page.locator("#model-input").is_hidden()
    assert page.locator("#keep-drawn").is_hidden()
    # Each box says how sure the model is; the doubtful ones (under 80%) are marked.
    for index in range(page.locator(".box").count()):
        box = page.locator(".box").nth(index)
        sure = float(box.get_attribute("data-confidence"))
        assert ("doubtful" in box.get_attribute("class")) == (sure < 0.8)
        assert abs(float(box.get_attribute("title").removesuffix("% sure")) - 100 * sure) <= 0.5
    assert page.locator("#copy").is_visible()
    # Download CSV: one row per line, its numbers in cells, as the page shows them.
    with page.expect_download() as download:
        page.locator("#download-csv").click()
    rows = Path(download.value.path()).read_text().splitlines()
    assert download.value.suggested_filename == "sheet.csv"
    numbers = [[int(number) for number in line.split()] for line in lines]
    assert [[int(cell) for cell in row.split(",")] for row in rows] == numbers


def test_uploading_a_phone_photo_outlines_the_sheet_and_shows_it_rectified(
    page, tmp_path, mnist_train
):
    photo = phone_photo(DigitPool(*(a[:5000] for a in mnist_train)), np.random.default_rng(8))
    path = tmp_path / "desk.jpg"
    path.write_bytes(photo.data)
    page.set_input_files("#file", str(path))
    page.wait_for_selector(".box")
    # The sheet's outline is drawn on the photo, in its pixels, where the sheet lies.
    points = page.locator("#outline .page-outline").get_attribute("points").split()
    outline = np.array([[float(v) for v in point.split(",")] for point in points])
    assert outline.shape == (4, 2)
    assert min(np.abs(np.roll(outline, k, axis=0) - photo.corners).max() for k in range(4)) < 12
    # Each digit has its quadrilateral on the photo and its box with the digit read.
    boxes = page.locator(".box").count()
    read = page.locator("#digits-read").inner_text().removeprefix("Digits read:").split()
    assert boxes == len("".join(read)) > 0 and page.locator("#outline .quad").count() == boxes
    assert "on-sheet" in page.locator(".box").first.get_attribute("class")
    # The sheet as read is shown beside the photo, upright and level.
    assert page.locator("#sheet-figure").is_visible()
    sheet = page.locator("#sheet-image").get_attribute("src")
    assert sheet.startswith("data:image/png;base64,")
    width, height = Image.open(io.BytesIO(base64.b64decode(sheet.split(",")[1]))).size
    sides = np.linalg.norm(photo.corners - np.roll(photo.corners, -1, axis=0), axis=1)
    assert sorted([width, height]) == pytest.approx(
        sorted([sides[[0, 2]].mean(), sides[[1, 3]].mean()]), rel=0.05
    )
    # And its digits can be kept, each cut from the photo where it was read.
    assert page.locator("#photo-digits li").count() == boxes


def test_dragging_a_corner_of_the_sheet_reads_the_photo_again_there(page, tmp_path, mnist_train):
    photo = phone_photo(DigitPool(*(a[:5000] for a in mnist_train)), np.random.default_rng(8))
    path = tmp_path / "desk.jpg"
    path.write_bytes(photo.data)
    page.set_input_files("#file", str(path))
    page.wait_for_selector("#outline .corner")
    assert page.locator("#outline .corner").count() == 4
    assert page.locator("#corners-hint").is_visible()

    def outline() -> np.ndarray:
        points = page.locator("#outline .page-outline").get_attribute("points").split()
        return np.array([[float(v) for v in point.split(",")] for point in points])

    found = outline()
    # Drag the first corner 30 screen pixels right and 20 down, and let go.
    page.locator("#outline .corner").first.scroll_into_view_if_needed()
    handle = page.locator("#outline .corner").first.bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 15, y + 10)
    page.mouse.move(x + 30, y + 20)
    page.mouse.up()
    scale = page.evaluate(
        "document.getElementById('photo').naturalWidth / document.getElementById('photo').clientWidth"
    )
    # Read again: the server's sheet is the corners as dragged (its outline, redrawn).
    page.wait_for_function(
        "() => document.querySelector('#outline .page-outline') &&"
        f" !document.querySelector('#outline .page-outline').getAttribute('points')"
        f".startsWith('{found[0][0]:g},{found[0][1]:g}') && document.querySelector('.box')"
    )
    page.wait_for_selector("#outline .corner")
    moved = outline()
    shift = moved - found
    assert np.allclose(shift[0], [30 * scale, 20 * scale], atol=2 * scale)
    assert np.abs(shift[1:]).max() < 1
    assert page.locator(".box").count() > 0


def test_a_flat_scan_has_no_sheet_outline(page, tmp_path, mnist_test):
    path = tmp_path / "strip.png"
    path.write_bytes(strip_of(mnist_test[0], 3))
    page.set_input_files("#file", str(path))
    page.wait_for_selector(".box")
    assert page.locator("#outline polygon").count() == 0
    assert page.locator("#sheet-figure").is_hidden()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("notes.txt", b"these are words, not digits", "Not a readable image: not an image"),
        (
            "huge.png",
            b"\x89PNG" + bytes(MAX_UPLOAD_BYTES),
            "File too large: the file is larger than the limit",
        ),
    ],
    ids=["text-file", "oversized"],
)
def test_uploading_a_bad_file_shows_an_error(page, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    page.set_input_files("#file", str(path))
    page.wait_for_selector("#error:not([hidden])")
    assert message in page.locator("#error").inner_text()


def test_unreachable_server_is_reported(page):
    page.route("**/api/predict", lambda route: route.abort())
    draw(page, "#pad", [[(140, 40), (140, 240)]])
    page.wait_for_selector("#error:not([hidden])")
    assert "Server unreachable" in page.locator("#error").inner_text()


# --- keeping your own digits in the page -----------------------------------------


def own_count(page, digit: int | str) -> int:
    return int(page.locator(f'#own-counts td[data-digit="{digit}"]').inner_text())


def kept_rows(own_folder: Path) -> list[dict]:
    return pd.read_csv(own_folder / "labels.csv").to_dict("records")


def test_a_drawn_digit_is_kept_as_read_or_as_corrected(page, own_folder):
    page.wait_for_selector('#own-counts td[data-digit="all"]')
    draw(page, "#pad", [[(140, 40), (142, 140), (140, 240)]])
    read = int(reading(page))
    before = own_count(page, read)
    page.click("#keep-yes")
    page.wait_for_function(
        "document.getElementById('keep-status').textContent.startsWith('Kept your')"
    )
    assert own_count(page, read) == before + 1
    assert page.locator("#digit").inner_text() == "–"  # the pad is cleared for the next one

    draw(page, "#pad", [[(70, 60), (210, 60), (130, 240)]])
    reading(page)
    sevens = own_count(page, 7)
    page.locator("#keep-fix button", has_text="7").click()
    page.wait_for_function(
        "document.getElementById('keep-status').textContent.startsWith('Kept your 7')"
    )
    assert own_count(page, 7) == sevens + 1
    first, second = kept_rows(own_folder)[-2:]
    assert (first["label"], second["label"]) == (read, 7)
    assert first["source"] == second["source"] == "drawn"
    assert Image.open(own_folder / second["crop"]).size == (280, 280)  # the drawing itself
    assert Image.open(own_folder / second["digit"]).size == (28, 28)


def test_the_digits_of_a_photo_are_kept_corrected_or_left_out(
    page, tmp_path, own_folder, mnist_test
):
    images, labels = mnist_test
    path = tmp_path / "strip.png"
    path.write_bytes(strip_of(images, 3))
    page.set_input_files("#file", str(path))
    page.wait_for_selector("#photo-digits li")
    tiles = page.locator("#photo-digits li")
    assert tiles.count() == 3
    read = page.locator("#digits-read").inner_text()[-3:]
    corrected = (int(read[1]) + 1) % 10
    tiles.nth(1).locator("select").select_option(str(corrected))
    tiles.nth(2).locator("input").uncheck()
    before = len(kept_rows(own_folder)) if (own_folder / "labels.csv").exists() else 0
    page.click("#keep-all")
    page.wait_for_function(
        "document.getElementById('keep-status').textContent === 'Kept 2 digits of the photo.'"
    )
    rows = kept_rows(own_folder)
    assert len(rows) == before + 2
    assert [row["label"] for row in rows[-2:]] == [int(read[0]), corrected]
    assert {row["source"] for row in rows[-2:]} == {"photo"}
    # The crops are cut from the photo at the digits' boxes: about a digit's size.
    for row in rows[-2:]:
        width, height = Image.open(own_folder / row["crop"]).size
        assert 20 <= width <= 100 and 40 <= height <= 100
    assert page.locator("#keep-photo").is_hidden()


def test_kept_digits_can_be_looked_through_and_deleted(page, own_folder, mnist_test):
    images, _ = mnist_test
    keep(app_url=page.url.rstrip("/"), fields={"label": "2", "source": "drawn"},
         files={"digit": ("d.png", encode(images[1]))})  # fmt: skip
    page.reload()
    page.wait_for_selector("#own-samples li", state="attached")  # inside the closed details
    page.click("#own-browse summary")
    samples = page.locator("#own-samples li")
    count = samples.count()
    assert count == len(kept_rows(own_folder))
    newest = samples.first.get_attribute("data-id")
    # Its image, the 28x28 the model read, served by the app.
    page.wait_for_function(
        "() => { const image = document.querySelector('#own-samples li img');"
        " return image.complete && image.naturalWidth === 28; }"
    )
    samples.first.locator("button").click()
    page.wait_for_function(f"document.querySelectorAll('#own-samples li').length === {count - 1}")
    assert newest not in {row["sample_id"] for row in kept_rows(own_folder)}
    assert not list(own_folder.glob(f"images/{newest}*"))
