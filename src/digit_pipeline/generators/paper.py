"""A sheet of paper being written on: ink is laid on it, printed rules too, then it is lit
and photographed."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


class Paper:
    """A sheet of paper being written on: ink is laid on it, then it is lit and photographed."""

    def __init__(self, height: int, width: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.ink = np.zeros((height, width), dtype=np.float32)
        self.rules = np.zeros((height, width), dtype=np.float32)

    def write(self, alpha: np.ndarray, top: int, left: int) -> None:
        """Lay a digit's ink with its top-left corner at (top, left), clipped to the page."""
        h, w = alpha.shape
        y0, x0 = max(top, 0), max(left, 0)
        y1, x1 = min(top + h, self.ink.shape[0]), min(left + w, self.ink.shape[1])
        if y0 < y1 and x0 < x1:
            region = self.ink[y0:y1, x0:x1]
            np.maximum(region, alpha[y0 - top : y1 - top, x0 - left : x1 - left], out=region)

    def rule(self, spacing: float, vertical: bool = False, offset: float = 0.0) -> None:
        """Printed lines every ``spacing`` pixels, thin and lighter than the pen."""
        thickness = self.rng.choice([1, 1, 2])
        strength = self.rng.uniform(0.35, 0.6)
        length = self.ink.shape[0] if vertical else self.ink.shape[1]
        across = self.ink.shape[1] if vertical else self.ink.shape[0]
        for position in np.arange(offset % spacing, across, spacing):
            start = int(position)
            if vertical:
                self.rules[:length, start : start + thickness] = strength
            else:
                self.rules[start : start + thickness, :length] = strength

    def photograph(
        self, paper: float, uneven: float, tilt: float, noise: float, quality: int
    ) -> bytes:
        """The page as a JPEG photograph, the paper filling the frame: coloured ink and
        paper, the writing tilted by ``tilt`` degrees, light falling off by up to ``uneven``, sensor noise, JPEG compression."""
        rng = self.rng
        height, width = self.ink.shape
        ink, rules = (_tilt(layer, tilt) for layer in (self.ink, self.rules))
        ink_colour = np.array(rng.choice([[0.08, 0.08, 0.1], [0.1, 0.15, 0.45], [0.2, 0.2, 0.22]]))
        paper_colour = paper * np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 1.0)])
        rule_colour = np.array([0.45, 0.6, 0.85]) * paper
        image = paper_colour * np.ones((height, width, 3))
        image += rules[..., None] * (rule_colour - image)
        image += ink[..., None] * (ink_colour - image)
        y, x = np.mgrid[:height, :width] / max(height, width)
        angle, cy, cx = rng.uniform(0, 2 * np.pi), rng.uniform(0, 1), rng.uniform(0, 1)
        gradient = (np.cos(angle) * x + np.sin(angle) * y) - (
            np.cos(angle) * cx + np.sin(angle) * cy
        )
        spot = np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 0.3)
        light = 1.0 - uneven * (0.5 + 0.5 * np.clip(gradient, -1, 1)) * (1.0 - 0.5 * spot)
        image = image * light[..., None] + rng.normal(0.0, noise, image.shape)
        photo = Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8), mode="RGB")
        buffer = io.BytesIO()
        photo.save(buffer, format="JPEG", quality=quality)
        return buffer.getvalue()


def _tilt(layer: np.ndarray, degrees: float) -> np.ndarray:
    """A layer of the page turned by ``degrees`` anticlockwise about its centre."""
    turned = Image.fromarray(layer, mode="F").rotate(degrees, Image.Resampling.BILINEAR)
    return np.asarray(turned)
