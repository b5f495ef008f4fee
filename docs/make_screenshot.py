"""Make docs/gui.png, the README's picture of the GUI: start `digit-pipeline app` with the
registered champion, draw a 7, upload docs/samples/7210.jpg, take a screenshot.

    python docs/make_screenshot.py      # from the project root, after `make run`
"""

from pathlib import Path

from playwright.sync_api import sync_playwright

from digit_pipeline.testing.browser import CHROMIUM, CHROMIUM_ARGS, draw
from digit_pipeline.testing.servers import digit_pipeline_app

ROOT = Path(__file__).resolve().parents[1]

SEVEN = [[(70, 60), (210, 60), (130, 240)]]

with digit_pipeline_app() as url, sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(url)
    page.set_input_files("#file", str(ROOT / "docs" / "samples" / "7210.jpg"))
    page.wait_for_selector(".box")
    photo_reading = page.locator("#model-input").get_attribute("src")
    draw(page, "#pad", SEVEN)  # the reading panel then shows the drawing
    page.wait_for_function(
        "previous => document.getElementById('model-input').src !== previous", arg=photo_reading
    )
    page.wait_for_timeout(400)  # the bars' width transition
    page.screenshot(path=str(ROOT / "docs" / "gui.png"), full_page=True)
    browser.close()
