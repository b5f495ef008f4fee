"""A sheet of paper in a photo: its outline against the desk, its four corners, and the
page rectified (the perspective undone), with OpenCV.

The sheet is the largest bright quadrilateral whose four sides each stand out from what is
just outside them (the desk, a shadow's soft edge does not). Its corners are ordered
clockwise from the one nearest the photo's top-left; which way is up on the page is chosen
later, by what the CNN reads with most confidence (``prepare``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# The sheet is looked for at this many pixels on the photo's longest side, in photos at
# least MIN_PHOTO_SIDE pixels a side (smaller images are a drawing, a digit or a row).
FIND_SIZE = 640
MIN_PHOTO_SIDE = 320
# A sheet covers at least this fraction of the photo, and at most FILLS_FRAME of its
# width and height alike (beyond, the sheet fills the frame: read the photo as it is).
MIN_SHEET_AREA = 0.12
FILLS_FRAME = 0.97
# Each side of the sheet is brighter than the desk just outside it by this much (0-255),
# measured SIDE_BAND pixels inside and outside along its middle.
MIN_SIDE_CONTRAST = 12
SIDE_BAND = 4
# Edges are found at these strengths (Canny's upper threshold; the lower is half): a
# faint edge against a light desk, a strong one against a textured desk.
EDGE_THRESHOLDS = (20, 45, 100)
# The paper's brightness is taken from this fraction of the page's longest side around
# each pixel (at least MIN_PAPER_REACH pixels): wider than a stroke, narrower than a shadow's
# edge.
PAPER_REACH = 1 / 40
MIN_PAPER_REACH = 9
# A printed line runs straight along at least this fraction of the page's width or height,
# at least PRINTED_LINE dark; its darkness is its own along LOCAL_LINE_LENGTH of it.
PRINTED_LINE_LENGTH = 1 / 3
PRINTED_LINE = 0.05
LOCAL_LINE_LENGTH = 1 / 8
LINE_SLACK = 5
# Darker than this many times the printed line under it is a pen's stroke across it.
CROSSING = 2
# Darkness below this fraction of the ink's (the INK_PERCENTILE of the page's darkness) is
# paper: what is left of a printed line, noise.
RESIDUE_OF_INK = 0.25
INK_PERCENTILE = 99.5
# Marks smaller than this fraction of the page's longest side both ways are dots (dotted
# paper) or specks, not writing; up to twice that, those under DOT_OF_WRITING of the
# writing's marks (their WRITING_PERCENTILE, of the marks over twice DOT_SIZE).
DOT_SIZE = 0.009
DOT_OF_WRITING = 0.25
WRITING_PERCENTILE = 50
# This fraction of the page's longest side along its edges is paper, whatever is there.
EDGE = 0.012
# A binding's or a punch's holes: solid round or oblong marks (at least HOLE_FILL of their
# box and HOLE_SOLIDITY of their convex hull; at most HOLE_ASPECT times longer than wide),
# at most HOLE_SIZE of the page's longest side across, within HOLE_BAND of it from an
# edge, each with a twin as deep in and as large, within HOLE_ALIKE of the longest side.
HOLE_FILL = 0.6
HOLE_SOLIDITY = 0.85
HOLE_ALIKE = 0.002
HOLE_ASPECT = 2.5
HOLE_SIZE = 0.035
HOLE_BAND = 0.08
# A sheet's corners are 60-120 degrees: seen up to ~30 degrees off perpendicular.
MIN_CORNER_ANGLE, MAX_CORNER_ANGLE = 50.0, 130.0
# An outline of up to this many corners may be a sheet with a corner hidden (a thumb) or
# cut off by the frame, when at least VISIBLE_SIDE of each of its four sides shows.
MAX_OUTLINE_CORNERS = 8
VISIBLE_SIDE = 0.4
COMPLETED_AREA = 0.9
# ...and the outline of a sheet that things on the desk touch, of up to this many corners.
MAX_TOUCHED_CORNERS = 16
# An edge within this many pixels of the photo's border runs along the frame.
ON_BORDER = 3
# The finer outline that keeps a short cut (of the perimeter), for completing.
FINE_TOLERANCE = 0.004


@dataclass(frozen=True)
class Sheet:
    """A sheet of paper found in a photo.

    Attributes:
        corners: (4, 2) the sheet's corners (x, y) in the photo's pixels, clockwise from
            the page's top-left as it is read.
        size: (width, height) of the rectified page, in pixels.
        image: The rectified page as read (grey, uint8), once it is.
    """

    corners: np.ndarray
    size: tuple[int, int]
    image: np.ndarray | None = None

    @property
    def homography(self) -> np.ndarray:
        """The 3x3 map from the rectified page's pixels to the photo's."""
        width, height = self.size
        page = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
        return cv2.getPerspectiveTransform(page, self.corners.astype(np.float32))

    def to_photo(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) points of the rectified page in the photo's pixels."""
        return cv2.perspectiveTransform(
            np.asarray(points, dtype=np.float64).reshape(-1, 1, 2), self.homography
        ).reshape(-1, 2)

    def turned(self, quarters: int) -> Sheet:
        """The same sheet read turned ``quarters`` quarter turns anticlockwise (as
        ``np.rot90``): its corners start one further round per quarter, and its width and
        height swap on odd ones."""
        width, height = self.size
        size = (height, width) if quarters % 2 else (width, height)
        return Sheet(np.roll(self.corners, -quarters, axis=0), size)

    def in_original(self, scale: float, image: np.ndarray) -> Sheet:
        """This sheet of a photo reduced by ``scale``, in the original's pixels, with the
        ``image`` read of it."""
        return Sheet(self.corners / scale, self.size, image)


def find_page(photo: np.ndarray) -> np.ndarray | None:
    """The four corners (x, y) of a sheet of paper in a photo (uint8, grey or RGB), in its
    pixels, clockwise from the one nearest the top-left; None when no sheet stands out
    from its surroundings, or it fills the frame."""
    if min(photo.shape[:2]) < MIN_PHOTO_SIDE:
        return None
    gray = photo if photo.ndim == 2 else cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    factor = FIND_SIZE / max(gray.shape)
    if factor < 1:
        gray = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    else:
        factor = 1.0
    # Writing and grain smoothed away; the sheet's edge, a step, stays.
    smooth = cv2.GaussianBlur(cv2.medianBlur(gray, 5), (0, 0), 1.5)
    # The largest outline, one completed from its sides counting as COMPLETED_AREA of its
    # area: where both fit the sheet, the one that shows its four corners.
    best, best_area = None, 0.0
    for quad, whole in _quadrilaterals(smooth):
        area = cv2.contourArea(quad) * (1.0 if whole else COMPLETED_AREA)
        if area > best_area and _stands_out(smooth, quad):
            best, best_area = quad, area
    if best is None:
        return None
    return clockwise(best / factor)


def rectified(photo: np.ndarray, sheet: Sheet) -> np.ndarray:
    """The sheet in the photo warped to a level rectangle of its ``size``: the perspective
    undone."""
    return cv2.warpPerspective(
        photo,
        sheet.homography,
        sheet.size,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def clean_page(gray: np.ndarray) -> np.ndarray:
    """A rectified page (float32 in [0, 1], dark ink on paper) with its light made even and
    its printed lines taken out: the page divided by the paper's own brightness around each
    pixel (a shadow darkens ink and paper alike), then long straight lines along its rows
    and columns (rules, a margin, a grid, the sheet's edge) subtracted from its darkness.
    A stroke that crosses a rule keeps what is darker than the rule."""
    height, width = gray.shape
    reach = max(MIN_PAPER_REACH, round(max(height, width) * PAPER_REACH))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))
    paper = cv2.GaussianBlur(cv2.dilate(gray, disc), (0, 0), reach / 2)
    darkness = 1.0 - np.clip(gray / np.maximum(paper, 1e-3), 0.0, 1.0)
    printed = np.maximum(_straight_lines(darkness, 0), _straight_lines(darkness, 1))
    # A stroke across a line is far darker than the line: it keeps all its darkness.
    written = np.where(darkness > CROSSING * printed, darkness, darkness - printed)
    # What is left of a line (its noise, JPEG's smear of its colour) is far fainter than ink.
    floor = RESIDUE_OF_INK * float(np.percentile(written, INK_PERCENTILE))
    written = np.clip(written - floor, 0.0, 1.0)
    # Dots, specks and a binding's holes are not writing; nor is what reaches in from the
    # edge (a thumb, the desk past a torn edge). The sheet's very edge, a sliver of the
    # desk perhaps, is paper.
    side = max(height, width)
    border = max(1, round(side * EDGE))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(
        (written > 0).astype(np.uint8), connectivity=8
    )
    dots = _dots(stats, round(side * DOT_SIZE))
    not_writing = (
        dots
        | _holes(labels, stats, side, among=~dots)
        | _from_the_edge(stats, border, labels.shape)
    )
    not_writing[0] = False  # the paper
    written[not_writing[labels]] = 0.0
    cleaned = 1.0 - written
    cleaned[:border], cleaned[-border:], cleaned[:, :border], cleaned[:, -border:] = 1, 1, 1, 1
    return cleaned


def _from_the_edge(stats: np.ndarray, border: int, shape: tuple[int, int]) -> np.ndarray:
    """Of the marks on a page of ``shape`` (``cv2.connectedComponentsWithStats``'s
    ``stats``), those that reach its ``border`` pixels along its edges."""
    height, width = shape
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    right = left + stats[:, cv2.CC_STAT_WIDTH]
    bottom = top + stats[:, cv2.CC_STAT_HEIGHT]
    reaching = (left < border) | (top < border) | (right > width - border)
    return reaching | (bottom > height - border)


def _holes(labels: np.ndarray, stats: np.ndarray, side: int, among: np.ndarray) -> np.ndarray:
    """Of the marks ``among`` those on a page (``cv2.connectedComponentsWithStats``'s
    ``labels`` and ``stats``) whose longest side is ``side`` pixels, the holes of a spiral
    binding or a punch along its edges: solid, convex marks near an edge, each with a twin
    along the same edge (as deep in, as large). A bold digit near the edge has no twin so
    alike."""
    height, width = labels.shape
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    widths, heights = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    insets = np.stack([left, top, width - left - widths, height - top - heights], axis=1)
    edge, inset = insets.argmin(axis=1), insets.min(axis=1)
    longer, shorter = np.maximum(widths, heights), np.minimum(widths, heights)
    solid = stats[:, cv2.CC_STAT_AREA] >= HOLE_FILL * widths * heights
    candidates = among & (inset <= HOLE_BAND * side) & solid & (longer <= HOLE_SIZE * side)
    candidates &= longer <= HOLE_ASPECT * shorter
    candidates[0] = False  # the paper
    for label in np.flatnonzero(candidates):
        x, y, w, h = left[label], top[label], widths[label], heights[label]
        candidates[label] = _solidity(labels[y : y + h, x : x + w] == label) >= HOLE_SOLIDITY
    found = np.flatnonzero(candidates)
    holes = np.zeros(len(stats), bool)
    for label in found:
        twins = found[
            (found != label)
            & (edge[found] == edge[label])
            & (np.abs(inset[found] - inset[label]) <= HOLE_ALIKE * side)
            & (np.abs(widths[found] - widths[label]) <= HOLE_ALIKE * side)
            & (np.abs(heights[found] - heights[label]) <= HOLE_ALIKE * side)
        ]
        holes[label] = twins.size > 0
    return holes


def _solidity(mark: np.ndarray) -> float:
    """How much of its convex hull a mark fills: nearly all for a disc or an ellipse, less
    for strokes however bold (the inside of a bend, the gap of a loop)."""
    points = cv2.findNonZero(mark.astype(np.uint8))
    hull = cv2.convexHull(points)
    # Pixel centres: the hull runs half a pixel inside the mark's edge all round.
    area = cv2.contourArea(hull) + cv2.arcLength(hull, True) / 2 + 1
    return float(np.count_nonzero(mark)) / area


def _dots(stats: np.ndarray, size: int) -> np.ndarray:
    """Of the marks on a page (``cv2.connectedComponentsWithStats``'s ``stats``), those
    smaller than ``size`` pixels both ways, or than a quarter of the writing's marks (up
    to twice ``size``): the dots of dotted paper, specks."""
    widths, heights = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    sides = np.maximum(widths, heights)[1:]
    writing = sides[sides >= 2 * size]  # marks twice a dot's size at the page's scale
    if writing.size:
        typical = float(np.percentile(writing, WRITING_PERCENTILE))
        size = min(max(size, round(DOT_OF_WRITING * typical)), 2 * size)
    small = (widths < size) & (heights < size)
    small[0] = False  # the paper
    return small


def _straight_lines(darkness: np.ndarray, axis: int) -> np.ndarray:
    """The darkness of straight lines along ``axis`` (0: rows) for ``PRINTED_LINE_LENGTH``
    of the page, within ``LINE_SLACK`` pixels across (what perspective left of a tilt),
    each at its own darkness along ``LOCAL_LINE_LENGTH`` of it (light falls unevenly on a
    line: its darkest stretch would leave the rest of it behind)."""
    size = darkness.shape[1 - axis]
    length, local = (
        max(3, round(size * share)) for share in (PRINTED_LINE_LENGTH, LOCAL_LINE_LENGTH)
    )
    widened = cv2.dilate(darkness, _along(LINE_SLACK, 1 - axis))
    lines = cv2.morphologyEx(widened, cv2.MORPH_OPEN, _along(length, axis))
    nearby = cv2.morphologyEx(widened, cv2.MORPH_OPEN, _along(local, axis))
    return np.where(lines > PRINTED_LINE, np.maximum(lines, nearby), lines)


def _along(length: int, axis: int) -> np.ndarray:
    """A straight structuring element ``length`` pixels along ``axis`` (0: a row)."""
    return np.ones((1, length) if axis == 0 else (length, 1), np.uint8)


def page_size(corners: np.ndarray) -> tuple[float, float]:
    """(width, height) of the sheet in the photo's pixels: its opposite sides averaged."""
    sides = np.linalg.norm(corners - np.roll(corners, -1, axis=0), axis=1)
    return (sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2


def _quadrilaterals(smooth: np.ndarray):
    """Every outline in the photo's edges that is, or nearly is, a large convex
    quadrilateral: its four corners, float32 (4, 2), and whether the outline showed all
    four (False: completed from its sides, ``_completed``)."""
    image_area = smooth.shape[0] * smooth.shape[1]
    for high in EDGE_THRESHOLDS:
        edges = cv2.dilate(cv2.Canny(smooth, high / 2, high), np.ones((3, 3), np.uint8))
        contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        yield from _quadrilaterals_of(contours, image_area, smooth.shape)


def _quadrilaterals_of(contours, image_area: int, shape: tuple[int, int]):
    for contour in contours:
        hull = cv2.convexHull(contour)
        if cv2.contourArea(hull) < MIN_SHEET_AREA * image_area:
            continue
        yield from _hull_quadrilaterals(hull, shape)
        # Things touching the sheet (a note, a pen) stretch its hull: its own outline
        # keeps the sheet's sides, and the corners where they meet the things.
        outline = cv2.approxPolyDP(contour, 0.01 * cv2.arcLength(hull, True), True)
        if len(outline) <= MAX_TOUCHED_CORNERS:
            quad = _completed(outline.reshape(-1, 2).astype(np.float64), shape)
            if quad is not None and _plausible(quad, shape):
                yield quad, False


def _hull_quadrilaterals(hull: np.ndarray, shape: tuple[int, int]):
    """The quadrilaterals of a large outline's convex hull: itself, when it is one whose
    corners are all in the photo; else completed from its sides (``_completed``)."""
    perimeter = cv2.arcLength(hull, True)
    for tolerance in (0.01, 0.02, 0.04):
        polygon = cv2.approxPolyDP(hull, tolerance * perimeter, True).reshape(-1, 2)
        if len(polygon) > MAX_OUTLINE_CORNERS:
            continue
        if len(polygon) == 4 and not _on_frame(polygon, shape):
            quad = polygon.astype(np.float32)
            if _plausible(quad, shape):
                yield quad, True
            return
        # Cut by a thumb or the frame: completed from its sides, the frame's cut kept
        # by a finer outline; a quadrilateral cut at the frame, as it is, after those.
        finer = cv2.approxPolyDP(hull, FINE_TOLERANCE * perimeter, True).reshape(-1, 2)
        for outline in (polygon, finer):
            if len(outline) <= MAX_OUTLINE_CORNERS:
                quad = _completed(outline.astype(np.float64), shape)
                if quad is not None and _plausible(quad, shape):
                    yield quad, False
        if len(polygon) == 4 and _plausible(polygon.astype(np.float32), shape):
            yield polygon.astype(np.float32), False
        return


def _on_frame(polygon: np.ndarray, shape: tuple[int, int]) -> bool:
    """Whether a corner of ``polygon`` lies on the photo's border (the frame cut it)."""
    return any(_frame_sides(point, shape) for point in polygon)


def _frame_sides(point: np.ndarray, shape: tuple[int, int]) -> set[str]:
    """The sides of the photo that ``point`` (x, y) lies on, within ``ON_BORDER`` pixels."""
    height, width = shape
    x, y = point
    near = {"left": x <= ON_BORDER, "right": x >= width - 1 - ON_BORDER,
            "top": y <= ON_BORDER, "bottom": y >= height - 1 - ON_BORDER}  # fmt: skip
    return {side for side, on in near.items() if on}


def _completed(polygon: np.ndarray, shape: tuple[int, int]) -> np.ndarray | None:
    """The quadrilateral of an outline's four longest edges that do not run along the
    photo's border, each extended to meet the next: a sheet whose corner a thumb hides, or
    the frame cuts off. None when a side would show less than ``VISIBLE_SIDE`` of itself."""
    ends = list(zip(polygon, np.roll(polygon, -1, axis=0), strict=True))
    inner = [k for k, (a, b) in enumerate(ends) if not _along_border(a, b, shape)]
    if len(inner) < 4:
        return None
    longest = sorted(inner, key=lambda k: -np.linalg.norm(ends[k][1] - ends[k][0]))[:4]
    sides = [ends[k] for k in sorted(longest)]
    corners = [_meeting(sides[k - 1], sides[k]) for k in range(4)]
    if any(corner is None for corner in corners):
        return None
    quad = np.array(corners, dtype=np.float32)
    for k, (a, b) in enumerate(sides):
        full = np.linalg.norm(quad[(k + 1) % 4] - quad[k])
        if np.linalg.norm(b - a) < VISIBLE_SIDE * full:
            return None
    return quad


def _along_border(a: np.ndarray, b: np.ndarray, shape: tuple[int, int]) -> bool:
    """Whether the edge from ``a`` to ``b`` (x, y) runs along one side of the photo."""
    return bool(_frame_sides(a, shape) & _frame_sides(b, shape))


def _meeting(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]):
    """Where the lines through two edges meet; None when they are (nearly) parallel."""
    (a, b), (c, d) = first, second
    along, across = b - a, d - c
    cross = along[0] * across[1] - along[1] * across[0]
    if abs(cross) < 1e-6 * np.linalg.norm(along) * np.linalg.norm(across):
        return None
    t = ((c[0] - a[0]) * across[1] - (c[1] - a[1]) * across[0]) / cross
    return a + t * along


def _plausible(quad: np.ndarray, shape: tuple[int, int]) -> bool:
    """Convex, with corners a sheet seen at an angle can have, not filling the frame."""
    if not cv2.isContourConvex(quad.reshape(-1, 1, 2)):
        return False
    span = quad.max(axis=0) - quad.min(axis=0)
    if span[0] >= FILLS_FRAME * shape[1] and span[1] >= FILLS_FRAME * shape[0]:
        return False
    for k in range(4):
        a, b = quad[k - 1] - quad[k], quad[(k + 1) % 4] - quad[k]
        cosine = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-6)
        if (
            not MIN_CORNER_ANGLE
            <= np.degrees(np.arccos(np.clip(cosine, -1, 1)))
            <= MAX_CORNER_ANGLE
        ):
            return False
    return True


def _stands_out(smooth: np.ndarray, quad: np.ndarray) -> bool:
    """Whether each side of ``quad`` is brighter just inside than just outside: the edge of
    a sheet, not of a shadow or a desk's pattern. A side along the photo's border counts."""
    centre = quad.mean(axis=0)
    height, width = smooth.shape
    for k in range(4):
        a, b = quad[k], quad[(k + 1) % 4]
        along = np.linspace(0.2, 0.8, 16)[:, None]
        points = a + along * (b - a)
        normal = np.array([b[1] - a[1], a[0] - b[0]]) / max(np.linalg.norm(b - a), 1e-6)
        if np.dot(centre - (a + b) / 2, normal) < 0:
            normal = -normal  # pointing inside
        inside = _sample(smooth, points + SIDE_BAND * normal)
        outside_points = points - SIDE_BAND * normal
        beyond = (
            (outside_points[:, 0] < 0)
            | (outside_points[:, 1] < 0)
            | (outside_points[:, 0] > width - 1)
            | (outside_points[:, 1] > height - 1)
        )
        if beyond.mean() > 0.5:
            continue
        outside = _sample(smooth, outside_points)
        if np.median(inside[~beyond] - outside[~beyond]) < MIN_SIDE_CONTRAST:
            return False
    return True


def _sample(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    x = np.clip(np.round(points[:, 0]).astype(int), 0, image.shape[1] - 1)
    y = np.clip(np.round(points[:, 1]).astype(int), 0, image.shape[0] - 1)
    return image[y, x].astype(np.float32)


def clockwise(quad: np.ndarray) -> np.ndarray:
    """The corners clockwise (as seen, y down), starting from the one nearest the top-left."""
    centre = quad.mean(axis=0)
    order = np.argsort(np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0]))
    quad = quad[order]
    start = int(np.argmin(quad.sum(axis=1)))
    return np.roll(quad, -start, axis=0).astype(np.float64)


def given_corners(corners: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Corners a person gave for the sheet in a photo of ``shape`` (its pixels), clockwise
    from the one nearest the top-left.

    Raises:
        ValueError: Not a convex quadrilateral of at least ``MIN_SHEET_AREA`` of the photo,
            or a corner further outside the photo than half its size.
    """
    height, width = shape[:2]
    quad = clockwise(np.asarray(corners, dtype=np.float64))
    outline = quad.astype(np.float32).reshape(-1, 1, 2)
    if (
        not cv2.isContourConvex(outline)
        or cv2.contourArea(outline) < MIN_SHEET_AREA * width * height
    ):
        raise ValueError(
            f"corners must outline a convex quadrilateral covering at least "
            f"{MIN_SHEET_AREA:.0%} of the image"
        )
    if (quad < -np.array([width, height]) / 2).any() or (
        quad > 1.5 * np.array([width, height])
    ).any():
        raise ValueError("corners must lie within the image (or half its size beyond)")
    return quad
