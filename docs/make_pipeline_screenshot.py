"""Make docs/pipeline.png, the README's picture of the pipelines: `kedro viz run` on the
project, the default pipeline laid out by kedro-viz, taken in the real Chromium.

    python docs/make_pipeline_screenshot.py      # from the project root, after `make test`
"""

import os
import socket
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from digit_pipeline.testing.browser import CHROMIUM, CHROMIUM_ARGS
from digit_pipeline.testing.servers import running_server

ROOT = Path(__file__).resolve().parents[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


port = next(filter(port_is_free, range(4141, 4241)))  # kedro-viz takes no port above 49151
kedro = str(Path(sys.executable).parent / "kedro")
command = [kedro, "viz", "run", "--no-browser", "--host", "127.0.0.1", "--port", str(port)]
env = {"KEDRO_DISABLE_TELEMETRY": "1", **os.environ}
with running_server(command, port, "/api/main", env=env, cwd=ROOT), sync_playwright() as p:
    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1800, "height": 1150})
    page.goto(f"http://127.0.0.1:{port}/")
    page.wait_for_selector(".pipeline-node", timeout=60_000)
    page.get_by_text("Dismiss", exact=True).click()  # the what's-new banner
    page.locator(".feature-hints__close").click()  # the feature tour's first card
    for label in ("Change to light theme", "Hide menu", "Turn minimap off"):
        page.get_by_label(label, exact=True).click()
    page.mouse.move(900, 10)  # no tooltip
    page.get_by_text("You can revisit these hints").wait_for(state="hidden", timeout=30_000)
    page.wait_for_timeout(1000)  # the layout's animation
    page.screenshot(path=str(ROOT / "docs" / "pipeline.png"))
    browser.close()
