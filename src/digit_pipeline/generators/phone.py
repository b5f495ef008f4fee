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

from digit_pipeline.generators.desk import (
    DESKS,
    PALE_DESKS,
    desk_image,
    things_on,
    uneven_light,
    with_thumb,
)
from digit_pipeline.generators.holes import Holes, holes_along_an_edge, with_coils
from digit_pipeline.generators.paper import Paper
from digit_pipeline.generators.pen import DigitPool, Style
from digit_pipeline.generators.photos import write_line
from digit_pipeline.generators.printed_paper import PENS, coloured_sheet

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
    page = coloured_sheet(page_sheet.ink, paper, pitch=pitch, margin=margin, pen=pen_name, rng=rng)
    corners = _placed_corners(page.shape[1], page.shape[0], photo_size, rng, turn=turn, tilt=tilt)
    if corner_out:
        corners = _one_corner_out(corners, photo_size, rng)
    held = corners[int(rng.integers(4))] if thumb else None
    desk = desk or str(rng.choice([d for d in DESKS if d not in PALE_DESKS]))
    punched = holes_along_an_edge(page.shape[:2], holes, rng) if holes else None
    photo = _photograph(page, corners, photo_size, desk, rng, thumb=held, holes=punched, busy=busy)
    return PhonePhoto(photo, read_as, corners, tuple(sources))


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
    image = desk_image(desk, photo_size, rng)
    if busy:
        image = things_on(image, rng)
    image += cover[..., None] * (warped - image)
    if holes is not None and holes.coils is not None:
        image = with_coils(image, holes, homography, rng)
    if thumb is not None:
        image = with_thumb(image, thumb, corners.mean(axis=0), rng)
    image *= uneven_light(photo_size, rng)[..., None]
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
