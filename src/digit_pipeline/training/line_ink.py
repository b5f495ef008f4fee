"""A written line's ink as the pen lays it and a camera or scanner gives it back: the
pen's evenness, the reader's levelling, a printed rule, blur, resolution, noise, JPEG."""

from __future__ import annotations

import cv2
import numpy as np


def with_pen(ink: np.ndarray, pen: str, rng: np.random.Generator) -> np.ndarray:
    """Ink as the pen lays it: a ballpoint's a little uneven, a pencil's grey and grainy,
    a felt pen's full."""
    if pen == "pencil":
        grain = rng.uniform(0.6, 1.0, ink.shape).astype(np.float32)
        return ink * grain * rng.uniform(0.55, 0.9)
    if pen == "ballpoint":
        return ink * rng.uniform(0.75, 1.0)
    return np.minimum(ink * 1.2, 1.0)


def levelled(ink: np.ndarray) -> np.ndarray:
    """Ink stretched so that its strokes reach 1, as the reader levels each mark's ink
    (``reading.images.ink.extract_ink``) before it finds the line: a faint pencil's too."""
    strokes = ink[ink > 0.15]
    if strokes.size == 0:
        return ink
    return np.clip(ink / max(float(np.percentile(strokes, 90)), 0.3), 0.0, 1.0)


def degraded(ink: np.ndarray, height: float, rng: np.random.Generator) -> np.ndarray:
    """The line as a camera or scanner gives it: a printed rule under or through it, blur,
    a lower resolution, noise, JPEG."""
    if rng.random() < 0.2:
        row = int(
            height * (1.6 + rng.uniform(0.0, 0.25))
            if rng.random() < 0.7
            else height * rng.uniform(0.8, 1.3)
        )
        thickness = int(rng.integers(1, 3))
        columns = np.flatnonzero(ink.max(axis=0) > 0.3)
        if columns.size:  # as far as the writing goes, and a little further
            reach = slice(
                max(0, int(columns[0] - rng.uniform(0, height))),
                int(columns[-1] + rng.uniform(0, height)),
            )
            band = ink[row : row + thickness, reach]
            ink[row : row + thickness, reach] = np.maximum(band, rng.uniform(0.2, 0.5))
    if rng.random() < 0.3:
        ink = cv2.GaussianBlur(ink, (0, 0), rng.uniform(0.3, 0.04 * height))
    if rng.random() < 0.15:
        small = rng.uniform(0.5, 0.8)
        h, w = ink.shape
        ink = cv2.resize(
            cv2.resize(
                ink, (max(1, int(w * small)), max(1, int(h * small))), interpolation=cv2.INTER_AREA
            ),
            (w, h),
        )
    if rng.random() < 0.3:
        ink = ink + rng.normal(0, rng.uniform(0.02, 0.06), ink.shape).astype(np.float32)
    ink = np.clip(ink, 0, 1)
    if rng.random() < 0.2:
        paper = (255 - ink * 255).astype(np.uint8)
        _, data = cv2.imencode(".jpg", paper, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(20, 85))])
        ink = 1 - cv2.imdecode(data, cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255
    return ink
