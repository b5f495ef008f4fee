"""Phone photos of a written sheet lying on a desk, made from MNIST digits: the sheet seen
at an angle (a keystone, up to 30 degrees off perpendicular), turned any way in the frame,
on a textured desk of some colour, in uneven light with a shadow across it, blurred, noisy
and saved as JPEG, with no EXIF to say which way is up.

The paper is plain, ruled (light blue rules and a red margin), squared, graph (a fine grid,
every fifth line bold) or dotted, in any of a few printed colours and pitches, and may have
the holes of a spiral binding or a punch along one edge; the pen black, blue or a faint
pencil; the desk may be as light as the paper, or busy with things beside the sheet. Make
tuning photos from MNIST's training digits only.

    photo = phone_photo(pool, rng, paper="ruled")
    photo.data      # JPEG bytes
    photo.texts     # each line's digits, top to bottom as the sheet is written
    photo.corners   # the sheet's corners in the photo: top-left, top-right, bottom-right,
                    # bottom-left of the page as written
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np
from PIL import Image

from digit_pipeline.generators.paper import Paper
from digit_pipeline.generators.pen import DigitPool, Style
from digit_pipeline.generators.photos import write_line

PAPERS = ("plain", "ruled", "squared", "graph", "dotted")
HOLES = ("spiral", "punched")
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
SKIN = np.array([0.82, 0.62, 0.52])
# Photos: about 1200x920 (a phone's photo as sent) or 12 MP (4000x3000, as taken).
SIZES = {"phone": (1200, 920), "12 MP": (4000, 3000)}


@dataclass(frozen=True)
class PhonePhoto:
    """A generated phone photo of a written sheet.

    Attributes:
        data: The JPEG file.
        texts: Each line's digits, as the sheet is read (top to bottom).
        corners: (4, 2) the sheet's corners in the photo's pixels (x, y): top-left,
            top-right, bottom-right, bottom-left of the page as written.
        sources: The pool's indexes of the digits, in reading order.
    """

    data: bytes
    texts: list[str]
    corners: np.ndarray
    sources: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def phone_photo(
    pool: DigitPool,
    rng: np.random.Generator,
    *,
    paper: str = "ruled",
    desk: str | None = None,
    pen: str | None = None,
    size: str = "phone",
    lines: tuple[int, int] = (3, 5),
    digits: tuple[int, int] = (4, 7),
    turn: float | None = None,
    tilt: float | None = None,
    texts: list[str] | None = None,
    thumb: bool = False,
    corner_out: bool = False,
    holes: str | None = None,
    busy: bool = False,
) -> PhonePhoto:
    """A photo of a sheet of ``paper`` holding ``lines`` lines of ``digits`` digits each
    (ranges, inclusive), on ``desk``, written with ``pen`` (random when None), turned by
    ``turn`` degrees in the frame (a few, when None) and seen ``tilt`` degrees off
    perpendicular (0-30, when None); with ``thumb``, a thumb holds one corner down; with
    ``corner_out``, one corner is outside the frame; ``holes`` (``HOLES``) along the edge
    the sheet was bound or filed by; with ``busy``, things lie on the desk beside the sheet
    (a pen, a phone, a note, a mug, another printed page). Given ``texts``, a careful writer wrote
    those lines (as ``digit-pipeline collect`` asks)."""
    photo_size = SIZES[size]
    line_count = len(texts) if texts else int(rng.integers(lines[0], lines[1] + 1))
    # The sheet's size in its own pixels, about as many as it covers in the photo.
    aspect = rng.uniform(1.25, 1.45) if rng.random() < 0.7 else rng.uniform(0.7, 0.8)
    page_height = int(min(photo_size) * rng.uniform(0.75, 0.95) * (1 if aspect < 1 else 1.05))
    page_width = int(page_height / aspect)
    rows = max(2 * line_count + 2, int(rng.uniform(1.6, 2.6) * line_count + 3))
    pitch = page_height / rows
    page_sheet = Paper(page_height, page_width, rng)
    margin = page_width * rng.uniform(0.1, 0.17)
    pen_name = pen or str(rng.choice(list(PENS)))
    style = replace(Style.random(rng), faint=False, careful=bool(texts))  # faint: a pencil
    read_as, sources = [], []
    first = int(rng.integers(1, max(2, rows - 2 * line_count)))
    slots = sorted(rng.choice(np.arange(first, rows - 1), size=line_count, replace=False))
    for line, slot in enumerate(slots):
        height = pitch * rng.uniform(0.6, 0.85)
        count = int(rng.integers(digits[0], digits[1] + 1))
        left = margin + height * rng.uniform(0.4, 1.5)
        if texts:
            count = len(texts[line])
            height = min(height, (page_width * 0.95 - left) / (count * 1.2))
        count = min(count, int((page_width * 0.95 - left) / (height * 1.15)))
        written = write_line(
            page_sheet, pool, count=count, height=height, baseline=pitch * (slot + 1) - 2,
            left=left, style=style, rng=rng, text=texts[line] if texts else None,
        )  # fmt: skip
        read_as.append(pool.text(written))
        sources.extend(written)
    page = _paper(page_sheet.ink, paper, pitch=pitch, margin=margin, pen=pen_name, rng=rng)
    corners = _placed_corners(page.shape[1], page.shape[0], photo_size, rng, turn=turn, tilt=tilt)
    if corner_out:
        corners = _one_corner_out(corners, photo_size, rng)
    held = corners[int(rng.integers(4))] if thumb else None
    desk = desk or str(rng.choice([d for d in DESKS if d not in PALE_DESKS]))
    punched = _holes(page.shape[:2], holes, rng) if holes else None
    photo = _photograph(page, corners, photo_size, desk, rng, thumb=held, holes=punched, busy=busy)
    return PhonePhoto(photo, read_as, corners, tuple(sources))


def _paper(
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


def _placed_corners(
    width: int,
    height: int,
    photo_size: tuple[int, int],
    rng: np.random.Generator,
    *,
    turn: float | None,
    tilt: float | None,
) -> np.ndarray:
    """Where the sheet's corners land in the photo: the sheet turned in its plane, the
    camera ``tilt`` degrees off its perpendicular, the whole within the frame."""
    turn = rng.uniform(-8, 8) if turn is None else turn
    tilt = rng.uniform(0, 30) if tilt is None else tilt
    # The sheet in its plane, centred, turned; then tilted about an axis in its plane.
    x = np.array([-1, 1, 1, -1]) * width / 2
    y = np.array([-1, -1, 1, 1]) * height / 2
    angle = np.deg2rad(turn)
    points = np.stack(
        [np.cos(angle) * x - np.sin(angle) * y, np.sin(angle) * x + np.cos(angle) * y, 0 * x]
    )
    axis_angle = rng.uniform(0, 2 * np.pi)
    axis = np.array([np.cos(axis_angle), np.sin(axis_angle), 0.0]) * np.deg2rad(tilt)
    rotation, _ = cv2.Rodrigues(axis)
    points = rotation @ points
    focal = 1.2 * max(width, height)  # a phone's wide lens, the sheet at arm's length
    projected = focal * points[:2] / (points[2] + 1.6 * focal)
    # Scale and place it to cover much of the frame, keeping a margin of desk.
    span = projected.max(axis=1) - projected.min(axis=1)
    fit = min(photo_size[0] / span[0], photo_size[1] / span[1]) * rng.uniform(0.72, 0.9)
    projected *= fit
    low, high = projected.min(axis=1), projected.max(axis=1)
    room = np.array(photo_size) - (high - low)
    offset = -low + room * rng.uniform(0.2, 0.8, size=2)
    return (projected + offset[:, None]).T.astype(np.float32)


def _one_corner_out(
    corners: np.ndarray, photo_size: tuple[int, int], rng: np.random.Generator
) -> np.ndarray:
    """The sheet moved towards one side of the frame until the corner nearest that side is
    beyond it, by 30-70% of how much further out it lies than the next corner: the others
    stay within."""
    axis, far = int(rng.integers(2)), bool(rng.integers(2))
    sign = 1.0 if far else -1.0
    along = sign * corners[:, axis]  # how far each corner lies towards that side
    first, second = np.sort(along)[::-1][:2]
    side = photo_size[axis] if far else 0.0
    shift = sign * side + (first - second) * rng.uniform(0.3, 0.7) - first
    moved = corners.copy()
    moved[:, axis] += sign * shift
    return moved


def _photograph(
    page: np.ndarray,
    corners: np.ndarray,
    photo_size: tuple[int, int],
    desk: str,
    rng: np.random.Generator,
    *,
    thumb: np.ndarray | None = None,
    holes: Holes | None = None,
    busy: bool = False,
) -> bytes:
    """The sheet laid on the desk at ``corners``, through its ``holes`` (if any), a thumb
    over the corner at ``thumb`` (if any), lit and photographed: a JPEG file."""
    width, height = photo_size
    source = np.float32(
        [[0, 0], [page.shape[1], 0], [page.shape[1], page.shape[0]], [0, page.shape[0]]]
    )
    homography = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(page, homography, photo_size, flags=cv2.INTER_AREA)
    paper = np.ones(page.shape[:2], dtype=np.float32) if holes is None else holes.paper
    cover = cv2.warpPerspective(paper, homography, photo_size, flags=cv2.INTER_LINEAR)
    image = _desk(desk, photo_size, rng)
    if busy:
        image = _things_on(image, rng)
    image += cover[..., None] * (warped - image)
    if holes is not None and holes.coils is not None:
        image = _coils(image, holes, homography, rng)
    if thumb is not None:
        image = _with_thumb(image, thumb, corners.mean(axis=0), rng)
    image *= _light(photo_size, rng)[..., None]
    if rng.random() < 0.3:  # glare: a bright patch washing out part of the sheet
        y, x = np.mgrid[:height, :width].astype(np.float32)
        cx, cy, r = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height, 0.15 * width
        image += (rng.uniform(0.1, 0.25) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / r**2))[
            ..., None
        ]
    sigma = rng.uniform(0.4, 1.1) * max(photo_size) / 1200
    image = cv2.GaussianBlur(image, (0, 0), sigma)
    image += rng.normal(0.0, rng.uniform(0.008, 0.025), image.shape).astype(np.float32)
    photo = Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8), mode="RGB")
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=int(rng.integers(70, 93)))
    return buffer.getvalue()


@dataclass(frozen=True)
class Holes:
    """Holes along one edge of a sheet: ``paper`` (H, W) is 1 where there is paper, 0
    through a hole; ``coils``, a spiral binding's wire through each hole: (N, 2, 2) the
    segment (x, y) from each hole's centre out past the edge, in the sheet's pixels."""

    paper: np.ndarray
    coils: np.ndarray | None
    wire: float


def _holes(shape: tuple[int, int], kind: str, rng: np.random.Generator) -> Holes:
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


def _coils(
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


def _things_on(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
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


def _with_thumb(
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


def _desk(desk: str, photo_size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
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


def _light(photo_size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
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


KINDS: dict[str, Callable[[DigitPool, np.random.Generator], PhonePhoto]] = {
    "ruled, dark desk": lambda p, r: phone_photo(p, r, paper="ruled", desk="dark wood"),
    "ruled, any desk": lambda p, r: phone_photo(p, r, paper="ruled"),
    "plain, light desk": lambda p, r: phone_photo(p, r, paper="plain", desk="light grey"),
    "squared": lambda p, r: phone_photo(p, r, paper="squared"),
    "dotted, pencil": lambda p, r: phone_photo(p, r, paper="dotted", pen="pencil"),
    "turned any way": lambda p, r: phone_photo(p, r, turn=r.uniform(0, 360)),
    "thumb over a corner": lambda p, r: phone_photo(p, r, thumb=True),
    "corner out of the frame": lambda p, r: phone_photo(p, r, corner_out=True),
    "paper close to the desk's colour": lambda p, r: phone_photo(
        p, r, paper="plain", desk=str(r.choice(PALE_DESKS))
    ),
    "busy desk": lambda p, r: phone_photo(p, r, busy=True),
    "spiral": lambda p, r: phone_photo(p, r, holes="spiral"),
    "punched": lambda p, r: phone_photo(p, r, holes="punched"),
    "graph": lambda p, r: phone_photo(p, r, paper="graph"),
    "12 MP, 20 lines": lambda p, r: phone_photo(p, r, size="12 MP", lines=(20, 20), digits=(4, 8)),
}
