"""The holes along one edge of a sheet: a spiral binding's (with its wire coils, seen in
the photo) or a punch's."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

HOLES = ("spiral", "punched")


@dataclass(frozen=True)
class Holes:
    """Holes along one edge of a sheet: ``paper`` (H, W) is 1 where there is paper, 0
    through a hole; ``coils``, a spiral binding's wire through each hole: (N, 2, 2) the
    segment (x, y) from each hole's centre out past the edge, in the sheet's pixels."""

    paper: np.ndarray
    coils: np.ndarray | None
    wire: float


def holes_along_an_edge(shape: tuple[int, int], kind: str, rng: np.random.Generator) -> Holes:
    """A spiral binding's holes (a row of small round or oblong holes, each with its wire)
    or a punch's two or four holes, along the left or the top edge of a sheet."""
    height, width = shape
    along_top = rng.random() < 0.3
    length, across = (width, height) if along_top else (height, width)
    paper = np.ones(shape, dtype=np.float32)
    if kind == "spiral":
        radius = length * rng.uniform(0.006, 0.009)
        pitch = length * rng.uniform(0.026, 0.034)
        centres = np.arange(pitch, length - pitch / 2, pitch)
        inset = max(radius * 2.2, length * rng.uniform(0.015, 0.025))
    else:
        radius = length * rng.uniform(0.009, 0.012)
        spacing = length * (0.27 if rng.random() < 0.5 else rng.uniform(0.2, 0.24))
        count = 2 if rng.random() < 0.6 else 4
        centres = length / 2 + (np.arange(count) - (count - 1) / 2) * spacing
        inset = length * rng.uniform(0.035, 0.05)
    oblong = kind == "spiral" and rng.random() < 0.4
    points = [(inset, c) if not along_top else (c, inset) for c in centres]
    for x, y in points:
        axes = (int(radius * 1.6), int(radius * 0.8)) if oblong else (int(radius), int(radius))
        if along_top and oblong:
            axes = axes[::-1]
        cv2.ellipse(paper, (int(x), int(y)), axes, 0, 0, 360, 0.0, -1, cv2.LINE_AA)
    coils = None
    if kind == "spiral":
        reach = inset + radius * rng.uniform(2, 4)
        coils = np.array(
            [[[x, y], [x - reach, y] if not along_top else [x, y - reach]] for x, y in points],
            dtype=np.float32,
        )
    return Holes(paper, coils, radius * rng.uniform(0.4, 0.6))


def with_coils(
    image: np.ndarray, holes: Holes, homography: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A spiral binding's wire drawn from each hole out over the sheet's edge: metal grey
    or a coloured plastic, a lighter streak along it."""
    colour = np.array(
        [(0.55, 0.56, 0.58), (0.15, 0.15, 0.17), (0.7, 0.2, 0.2)][int(rng.integers(3))]
    )
    segments = cv2.perspectiveTransform(holes.coils.reshape(-1, 1, 2), homography).reshape(-1, 2, 2)
    scale = np.sqrt(abs(np.linalg.det(homography[:2, :2])))
    wire = max(2, round(holes.wire * scale))
    for (x0, y0), (x1, y1) in segments:
        ends = (round(x0), round(y0)), (round(x1), round(y1))
        cv2.line(image, *ends, colour.tolist(), wire, cv2.LINE_AA)
        cv2.line(image, *ends, (colour * 1.4).clip(0, 1).tolist(), max(1, wire // 3), cv2.LINE_AA)
    return image
