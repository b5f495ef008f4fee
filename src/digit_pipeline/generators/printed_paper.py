"""A written sheet in colour: its printed paper (plain, ruled with a margin, squared,
graph or dotted, in a few printed colours) and the pen's ink on it."""

from __future__ import annotations

import cv2
import numpy as np

PAPERS = ("plain", "ruled", "squared", "graph", "dotted")


PENS = {  # ink colour, and how solid the ink is
    "black pen": ((0.08, 0.08, 0.1), (0.95, 1.0)),
    "blue pen": ((0.1, 0.14, 0.45), (0.9, 1.0)),
    "pencil": ((0.3, 0.3, 0.32), (0.55, 0.8)),
}


RULE_BLUE = np.array([0.55, 0.7, 0.92])


MARGIN_RED = np.array([0.9, 0.35, 0.38])


GRID_COLOURS = (  # printed grids: blue, grey, green, orange
    np.array([0.55, 0.7, 0.92]),
    np.array([0.62, 0.66, 0.72]),
    np.array([0.55, 0.8, 0.6]),
    np.array([0.95, 0.68, 0.45]),
)


def coloured_sheet(
    ink: np.ndarray, paper: str, *, pitch: float, margin: float, pen: str, rng: np.random.Generator
) -> np.ndarray:
    """The written sheet in colour (H, W, 3) in [0, 1], lit evenly."""
    height, width = ink.shape
    white = rng.uniform(0.9, 0.98) * np.array([1.0, rng.uniform(0.97, 1.0), rng.uniform(0.9, 1.0)])
    image = np.ones((height, width, 3), dtype=np.float32) * white.astype(np.float32)
    thickness = max(1, round(pitch / 30))
    printed = np.zeros((height, width), dtype=np.float32)
    if paper == "ruled":
        for y in np.arange(pitch, height, pitch):
            printed[int(y) : int(y) + thickness] = 1.0
        image += printed[..., None] * rng.uniform(0.7, 1.0) * (RULE_BLUE - image)
        x = int(margin)
        image[:, x : x + thickness + 1] = MARGIN_RED * white
    elif paper == "graph":  # a fine grid, every fifth line bold
        cell = pitch * rng.uniform(0.2, 0.3)
        offset = rng.uniform(0, cell, size=2)
        for axis, size in ((0, height), (1, width)):
            for k, at in enumerate(np.arange(offset[axis], size, cell)):
                bold = thickness + (1 if k % 5 == 0 else 0)
                lines = (
                    printed[int(at) : int(at) + bold]
                    if axis == 0
                    else printed[:, int(at) : int(at) + bold]
                )
                lines[...] = np.maximum(lines, 1.0 if k % 5 == 0 else 0.6)
        colour = GRID_COLOURS[int(rng.integers(len(GRID_COLOURS)))]
        image += printed[..., None] * rng.uniform(0.5, 0.9) * (colour - image)
    elif paper in ("squared", "dotted"):
        cell = pitch / 2
        colour = GRID_COLOURS[0] if rng.random() < 0.5 else GRID_COLOURS[1]
        for y in np.arange(cell / 2, height, cell):
            if paper == "squared":
                printed[int(y) : int(y) + thickness] = 1.0
            else:
                for x in np.arange(cell / 2, width, cell):
                    cv2.circle(printed, (int(x), int(y)), thickness, 1.0, -1)
        if paper == "squared":
            for x in np.arange(cell / 2, width, cell):
                printed[:, int(x) : int(x) + thickness] = 1.0
        image += printed[..., None] * rng.uniform(0.6, 0.9) * (colour - image)
    colour, solid = PENS[pen]
    alpha = ink * rng.uniform(*solid)
    image += alpha[..., None] * (np.array(colour, dtype=np.float32) - image)
    return image
