"""OpenCV or scikit-image for a sheet in a phone photo (issue #27): the same steps in each,
measured on generated photos (``digit_pipeline.generators.phone``, MNIST training digits).

    pip install -e ".[benchmarks]"     # scikit-image
    python benchmarks/page_libraries.py --photos 20

Steps: finding the sheet (Canny's edges, closed, their outlines' convex hulls simplified to
four corners: sheet found within 1% of the photo's diagonal, and milliseconds), rectifying
it (the perspective undone from a 2048-px photo to a 1600-px page), and taking its printed
lines out (a grey opening along rows and columns a third of the page long).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from digit_pipeline.extras import missing_extra

if message := missing_extra("benchmarks", "benchmarks/page_libraries.py"):
    sys.exit(f"Error: {message}")
from skimage import feature, measure, morphology, transform  # noqa: E402

from digit_pipeline.generators.phone import KINDS
from digit_pipeline.reading.images import geometry
from digit_pipeline.reading.images import sheet as finder
from digit_pipeline.reading.limits import WORKING_SIZE
from digit_pipeline.training.hardware import describe, detect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from phone_photos import CORNER_TOLERANCE, corner_error  # noqa: E402
from real_world import digit_pool  # noqa: E402


def smoothed(photo: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    factor = WORKING_SIZE / max(gray.shape)
    small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(cv2.medianBlur(small, 5), (0, 0), 1.5), factor


def find_with_skimage(photo: np.ndarray) -> np.ndarray | None:
    """``finder.find_sheet`` with scikit-image's Canny, outlines and polygon simplification."""
    smooth, factor = smoothed(photo)
    best, best_area = None, 0.0
    for high in finder.EDGE_THRESHOLDS:
        edges = feature.canny(smooth.astype(float), sigma=0.7, low_threshold=high / 2,
                              high_threshold=high)  # fmt: skip
        edges = morphology.dilation(edges, np.ones((3, 3), bool))
        for contour in measure.find_contours(edges.astype(float), 0.5):
            points = contour[:, ::-1].astype(np.float32)  # (row, column) -> (x, y)
            hull = cv2.convexHull(points).reshape(-1, 2)
            if len(hull) < 4 or cv2.contourArea(hull) < finder.MIN_SHEET_AREA * smooth.size:
                continue
            perimeter = cv2.arcLength(hull.reshape(-1, 1, 2), True)
            for tolerance in (0.01, 0.02, 0.04):
                polygon = measure.approximate_polygon(
                    np.vstack([hull, hull[:1]]), tolerance * perimeter
                )[:-1]
                if len(polygon) == 4:
                    quad = polygon.astype(np.float32)
                    area = cv2.contourArea(quad)
                    if (area > best_area and finder._plausible(quad, smooth.shape)
                            and finder._stands_out(smooth, quad)):  # fmt: skip
                        best, best_area = quad, area
                    break
    return None if best is None else geometry.clockwise(best / factor)


def rectify_with_skimage(photo: np.ndarray, sheet: finder.Sheet) -> np.ndarray:
    width, height = sheet.size
    mapping = transform.ProjectiveTransform()
    corners = np.float64([[0, 0], [width, 0], [width, height], [0, height]])
    mapping.estimate(corners, sheet.corners)
    return transform.warp(photo, mapping, output_shape=(height, width), order=1)


def lines_with_skimage(darkness: np.ndarray) -> np.ndarray:
    height, width = darkness.shape
    rows = morphology.opening(darkness, np.ones((1, round(width / 3)), bool))
    columns = morphology.opening(darkness, np.ones((round(height / 3), 1), bool))
    return np.maximum(rows, columns)


def lines_with_opencv(darkness: np.ndarray) -> np.ndarray:
    height, width = darkness.shape
    rows = cv2.morphologyEx(darkness, cv2.MORPH_OPEN, np.ones((1, round(width / 3)), np.uint8))
    columns = cv2.morphologyEx(darkness, cv2.MORPH_OPEN, np.ones((round(height / 3), 1), np.uint8))
    return np.maximum(rows, columns)


def timed(function, *args) -> tuple[object, float]:
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20, help="per kind (12 MP: a quarter)")
    return parser


def main() -> None:
    args = argument_parser().parse_args()
    cpu = describe(detect(), "-")
    print(f"CPU: {cpu['cpu']} ({cpu['cpu_flags']})")
    pool = digit_pool("tuning")
    found = {"OpenCV": [], "scikit-image": []}
    timings = {name: {key: [] for key in ("find", "rectify", "lines")} for name in found}
    for index, kind in enumerate(KINDS):
        rng = np.random.default_rng([3, index])
        count = max(1, args.photos // 4) if "12 MP" in kind else args.photos
        for _ in range(count):
            photo = KINDS[kind](pool, rng)
            image = Image.open(io.BytesIO(photo.data)).convert("RGB")
            scale = min(1.0, 2048 / max(image.size))
            image = image.resize((round(image.width * scale), round(image.height * scale)))
            pixels = np.asarray(image)
            truth = photo.corners * scale
            tolerance = CORNER_TOLERANCE * np.hypot(*pixels.shape[:2])
            for name, find in (("OpenCV", finder.find_sheet), ("scikit-image", find_with_skimage)):
                corners, elapsed = timed(find, pixels)
                timings[name]["find"].append(elapsed)
                error = float("inf") if corners is None else corner_error(corners, truth)
                found[name].append(error <= tolerance)
            width, height = finder.sheet_size(truth)
            fit = min(1.0, 1600 / max(width, height))
            sheet = finder.Sheet(truth, (round(width * fit), round(height * fit)))
            gray, elapsed = timed(finder.rectified, pixels, sheet)
            timings["OpenCV"]["rectify"].append(elapsed)
            timings["scikit-image"]["rectify"].append(timed(rectify_with_skimage, pixels, sheet)[1])
            darkness = 1 - gray.max(axis=2).astype(np.float32) / 255
            timings["OpenCV"]["lines"].append(timed(lines_with_opencv, darkness)[1])
            timings["scikit-image"]["lines"].append(timed(lines_with_skimage, darkness)[1])
    print(
        f"| library | sheet found ({len(found['OpenCV'])} photos) | find (ms) | rectify (ms)"
        " | printed lines (ms) |\n|---|---:|---:|---:|---:|"
    )
    for name, hits in found.items():
        ms = {key: 1000 * float(np.mean(values)) for key, values in timings[name].items()}
        print(
            f"| {name} | {np.mean(hits):.1%} | {ms['find']:.0f} | {ms['rectify']:.0f}"
            f" | {ms['lines']:.0f} |"
        )


if __name__ == "__main__":
    main()
