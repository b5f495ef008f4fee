"""What is around the sheet in a phone photo: the desk (wood, mats, greys, some as light as
the paper), things lying on it, a thumb over the sheet, and the room's uneven light."""

from __future__ import annotations

import cv2
import numpy as np

# Desk colours (RGB in [0, 1]) and whether the desk has a wood grain.
DESKS = {
    "dark wood": ((0.33, 0.2, 0.11), True),
    "light wood": ((0.68, 0.52, 0.34), True),
    "grey": ((0.42, 0.42, 0.44), False),
    "black": ((0.1, 0.1, 0.11), False),
    "green mat": ((0.18, 0.38, 0.26), False),
    "light grey": ((0.72, 0.72, 0.7), False),
    "white": ((0.86, 0.86, 0.84), False),
    "pale wood": ((0.84, 0.77, 0.66), True),
}


# Desks as light as the paper: a sheet on them shows little edge.
PALE_DESKS = ("white", "pale wood")


SKIN = np.array([0.82, 0.62, 0.52])


def things_on(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two to four things lying on the desk where they fall (the sheet is laid over them):
    a pen, a phone, a sticky note, a mug's rim, a printed page."""
    height, width = image.shape[:2]
    for _ in range(int(rng.integers(2, 5))):
        thing = str(rng.choice(["pen", "phone", "note", "mug", "printed page"]))
        centre = (float(rng.uniform(0, width)), float(rng.uniform(0, height)))
        angle = float(rng.uniform(0, 180))
        size = min(width, height)
        if thing == "pen":
            colour = [(0.1, 0.1, 0.12), (0.15, 0.2, 0.6), (0.8, 0.75, 0.2)][int(rng.integers(3))]
            box = (centre, (size * rng.uniform(0.35, 0.5), size * 0.025), angle)
        elif thing == "phone":
            colour, box = (0.06, 0.06, 0.07), (centre, (size * 0.2, size * 0.4), angle)
        elif thing == "note":
            colour, box = (0.95, 0.9, 0.45), (centre, (size * 0.22, size * 0.22), angle)
        elif thing == "printed page":
            colour, box = (0.93, 0.93, 0.92), (centre, (size * 0.6, size * 0.8), angle)
        else:
            radius = int(size * rng.uniform(0.1, 0.14))
            cv2.circle(image, (int(centre[0]), int(centre[1])), radius, (0.85, 0.85, 0.83),
                       int(size * 0.02), cv2.LINE_AA)  # fmt: skip
            continue
        corners = cv2.boxPoints(box).astype(np.int32)
        cv2.fillConvexPoly(image, corners, colour, cv2.LINE_AA)
        if thing == "printed page":  # lines of small print across it
            page = np.zeros(image.shape[:2], np.uint8)
            cv2.fillConvexPoly(page, corners, 1)
            ink = np.zeros_like(page)
            pitch = max(6, int(size * 0.02))
            for y in range(0, height, pitch):
                ink[y : y + max(1, pitch // 4)] = 1
            printed = (page & ink).astype(bool)
            image[printed] = (0.35, 0.35, 0.37)
    return image


def with_thumb(
    image: np.ndarray, corner: np.ndarray, centre: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A thumb over a sheet's ``corner``: a skin-coloured ellipse, darker to its rim,
    reaching over the corner from outside the sheet (away from its ``centre``)."""
    height, width = image.shape[:2]
    angle = np.arctan2(corner[1] - centre[1], corner[0] - centre[0]) + rng.uniform(-0.5, 0.5)
    outward = np.array([np.cos(angle), np.sin(angle)])
    long = rng.uniform(0.12, 0.18) * min(width, height)
    short = long * rng.uniform(0.5, 0.65)
    middle = corner + outward * long * rng.uniform(0.2, 0.5)
    y, x = np.mgrid[:height, :width].astype(np.float32)
    along = (x - middle[0]) * outward[0] + (y - middle[1]) * outward[1]
    across = -(x - middle[0]) * outward[1] + (y - middle[1]) * outward[0]
    reach = (along / long) ** 2 + (across / short) ** 2  # below 1: the thumb
    shade = np.clip(1.0 - 0.35 * reach, 0.0, 1.0)[..., None]
    skin = SKIN * rng.uniform(0.85, 1.1) * shade
    inside = cv2.GaussianBlur((reach < 1).astype(np.float32), (0, 0), 2.0)[..., None]
    return image + inside * (skin.astype(np.float32) - image)


def desk_image(desk: str, photo_size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """The desk's surface: its colour, a wood grain or a fine texture."""
    width, height = photo_size
    colour, grain = DESKS[desk]
    small = (max(8, width // 8), max(8, height // 8))
    texture = rng.normal(0.0, 1.0, (small[1], small[0])).astype(np.float32)
    texture = cv2.resize(cv2.GaussianBlur(texture, (0, 0), 1.5), photo_size)
    if grain:
        y, x = np.mgrid[:height, :width].astype(np.float32)
        angle = rng.uniform(0, np.pi)
        along = np.cos(angle) * x + np.sin(angle) * y
        period = rng.uniform(0.015, 0.04) * width
        texture = np.sin(2 * np.pi * along / period + 3 * texture) + 0.3 * texture
    shade = 1.0 + rng.uniform(0.04, 0.1) * texture
    return np.asarray(colour, dtype=np.float32) * shade[..., None]


def uneven_light(photo_size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """How much light falls on each pixel: a gradient, darker corners, and a soft shadow
    (a hand, a phone) across part of the frame."""
    width, height = photo_size
    y, x = np.mgrid[:height, :width].astype(np.float32)
    u, v = x / max(photo_size), y / max(photo_size)
    angle = rng.uniform(0, 2 * np.pi)
    light = 1.0 - rng.uniform(0.0, 0.2) * (0.5 + 0.5 * (np.cos(angle) * u + np.sin(angle) * v))
    r2 = ((x - width / 2) ** 2 + (y - height / 2) ** 2) / (width**2 + height**2) * 4
    light *= 1.0 - rng.uniform(0.1, 0.35) * r2  # vignetting
    if rng.random() < 0.8:
        angle = rng.uniform(0, 2 * np.pi)
        through = rng.uniform(0.25, 0.75, size=2) * photo_size
        side = np.cos(angle) * (x - through[0]) + np.sin(angle) * (y - through[1])
        softness = rng.uniform(0.01, 0.06) * max(photo_size)
        depth = rng.uniform(0.25, 0.5)
        light *= 1.0 - depth / (1.0 + np.exp(-side / softness))
    return light
