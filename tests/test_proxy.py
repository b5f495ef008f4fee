"""The proxy users deploy in front of `mlflow models serve` (deploy/nginx): a real nginx on
127.0.0.1 before a real scoring server of the smoke champion, attacked where MLflow's own
server answers badly."""

import base64
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from digit_pipeline.reading.limits import MAX_DIGITS_PER_IMAGE
from digit_pipeline.testing.images import hostile_images, worst_image
from digit_pipeline.testing.servers import free_port, running_server, send_chunked_until_answered

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "nginx"
NGINX = "/usr/sbin/nginx"
NJS_MODULE = "/usr/lib/nginx/modules/ngx_http_js_module.so"
PIXELS = [[0] * 28] * 28


@pytest.fixture(scope="module")
def proxy(model_server) -> Iterator[str]:
    """deploy/nginx as shipped, with its two addresses pointed at this test's ports."""
    missing = [path for path in (NGINX, NJS_MODULE) if not Path(path).exists()]
    if missing:
        message = f"missing {missing}: apt-get install nginx libnginx-mod-http-js"
        if os.environ.get("CI"):
            pytest.fail(message + " (.ci/run does)")
        pytest.skip(message)
    with tempfile.TemporaryDirectory(prefix="proxy-") as name:
        yield from _run_proxy(model_server, Path(name))


def _run_proxy(model_server: str, folder: Path) -> Iterator[str]:
    # nginx's prefix (temporary files, pid): its workers, run as nobody under root, write there.
    folder.chmod(0o755)
    for name in ("nginx.conf", "serving.conf", "check_request.js"):
        shutil.copy(DEPLOY / name, folder / name)
    port = free_port()
    serving = (folder / "serving.conf").read_text()
    for shipped, here in [
        ("server 127.0.0.1:5000;", f"server 127.0.0.1:{urlsplit(model_server).port};"),
        ("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{port};"),
    ]:
        assert shipped in serving
        serving = serving.replace(shipped, here)
    (folder / "serving.conf").write_text(serving)
    command = [NGINX, "-p", str(folder), "-e", "stderr", "-c", str(folder / "nginx.conf"),
               "-g", "daemon off;"]  # fmt: skip
    with running_server(command, port, "/ping", timeout=30):
        yield f"http://127.0.0.1:{port}"


def post(url: str, body, content_type: str | None = "application/json"):
    headers = {"Content-Type": content_type} if content_type else {}
    return requests.post(f"{url}/invocations", data=body, headers=headers, timeout=120)


def test_the_proxy_passes_requests_and_answers_through(proxy, model_server):
    body = json.dumps({"inputs": [{"pixels": PIXELS}]})
    through, direct = post(proxy, body), post(model_server, body)
    assert through.status_code == direct.status_code == 200
    assert through.json() == direct.json()
    chunked = post(proxy, iter([body[:100].encode(), body[100:].encode()]))  # no length
    assert chunked.status_code == 200 and chunked.json() == direct.json()
    refused = post(proxy, json.dumps({"inputs": [{"image": "%%%"}]}))
    assert refused.status_code == 400
    assert refused.json()["message"] == "inputs[0]: image is not valid base64"
    assert requests.get(f"{proxy}/health", timeout=10).status_code == 200


ATTACKS = {
    # What MLflow's scoring server answers with HTTP 500 (a RecursionError, a ValueError)...
    "JSON nested 1,000 deep": ('{"inputs": ' + "[" * 1000 + "]" * 1000 + "}", 400),
    "a 5,000-digit integer": ('{"inputs": [{"pixels": [[' + "9" * 5000 + "]]}]}", 400),
    # ...or with the whole body in its error message.
    "inputs not a list": (json.dumps({"inputs": {"pixels": PIXELS, "x": "y" * 100_000}}), 400),
    "not JSON": ("x" * 100_000, 400),
    "a body over the limit": ("x" * (15 * 1024 * 1024), 413),
}


@pytest.mark.parametrize("name", ATTACKS)
def test_bodies_that_mlflow_answers_badly_get_a_short_4xx(proxy, name):
    body, status = ATTACKS[name]
    answer = post(proxy, body)
    assert answer.status_code == status
    assert len(answer.content) < 300 and "stack_trace" not in answer.json()
    assert post(proxy, json.dumps({"inputs": [{"pixels": PIXELS}]})).status_code == 200


def test_a_body_without_length_is_cut_off_as_it_streams(proxy):
    answer, sent = send_chunked_until_answered(proxy, "/invocations", "application/json")
    assert answer.startswith(b"HTTP/1.1 413") and sent < 30 * 1024 * 1024


def test_a_body_needs_the_json_content_type(proxy):
    body = json.dumps({"inputs": [{"pixels": PIXELS}]})
    for content_type in (None, "text/plain", "text/csv"):
        answer = post(proxy, body, content_type)
        assert answer.status_code == 415 and "application/json" in answer.json()["message"]


def test_only_invocations_ping_and_health_are_exposed(proxy):
    for path in ("/docs", "/openapi.json", "/version", "/", "/invocations/../version"):
        answer = requests.get(f"{proxy}{path}", timeout=10)
        assert answer.status_code == 404 and answer.json()["error_code"] == "NOT_FOUND", path
    assert requests.get(f"{proxy}/invocations", timeout=10).status_code == 405
    assert requests.get(f"{proxy}/ping", timeout=10).headers["Server"] == "nginx"  # no version


def test_a_crafted_image_is_refused_through_the_proxy_too(proxy):
    confetti = base64.b64encode(hostile_images()["confetti"]).decode()
    answer = post(proxy, json.dumps({"inputs": [{"image": confetti}] * 150}))
    assert answer.status_code == 400
    limit = f"inputs[0]: more than {MAX_DIGITS_PER_IMAGE} digits in one image"
    assert answer.json()["message"] == limit


def test_more_connections_than_allowed_get_503_and_retry_after(proxy):
    """One client address may hold 4 connections: the others are refused at once."""
    body = json.dumps({"inputs": [{"image": base64.b64encode(worst_image()).decode()}]})
    with ThreadPoolExecutor(8) as clients:
        answers = list(clients.map(lambda _: post(proxy, body), range(8)))
    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) == {200, 503} and statuses.count(200) >= 4
    assert all(a.headers["Retry-After"] == "2" for a in answers if a.status_code == 503)


def test_too_many_requests_per_second_get_429_and_retry_after(proxy):
    """10 requests/s per client address, bursts of 20: 40 at once overrun it."""
    time.sleep(2.5)  # the bucket refilled, whatever the tests before took from it
    with requests.Session() as session:
        answers = [session.get(f"{proxy}/ping", timeout=10) for _ in range(40)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[:20] == [200] * 20 and 429 in statuses
    assert all(a.headers["Retry-After"] == "2" for a in answers if a.status_code == 429)
    time.sleep(2.5)  # the bucket refills for whatever runs next
    assert requests.get(f"{proxy}/ping", timeout=10).status_code == 200
