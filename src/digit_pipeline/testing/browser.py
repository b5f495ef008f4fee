"""A real headless browser for the GUI's tests: Debian's Chromium, and a mouse that draws."""

# Debian's Chromium, as root, with no network but loopback: these flags keep it quiet.
CHROMIUM = "/usr/bin/chromium"


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def draw(
    page, canvas_selector: str, strokes: list[list[tuple[float, float]]], size: float = 280
) -> None:
    """Draw strokes with the mouse on a canvas; points in the canvas's own pixels (0-size)."""
    box = page.locator(canvas_selector).bounding_box()
    scale = box["width"] / size
    for stroke in strokes:
        page.mouse.move(box["x"] + stroke[0][0] * scale, box["y"] + stroke[0][1] * scale)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=8)
        page.mouse.up()
