"""A sheet of paper in a photo: its outline against the desk, its four corners, and the
page rectified (the perspective undone), with OpenCV.

The sheet is the largest bright quadrilateral whose four sides each stand out from what is
just outside them (the desk, a shadow's soft edge does not): an outline in the photo's
edges, completed where a thumb or the frame cuts it; where none is, four of the photo's
straight lines (what lies on the desk runs into its edge). Its corners are ordered
clockwise from the one nearest the photo's top-left; which way is up on the page is chosen
later, by what the CNN reads with most confidence (``prepare``).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import cv2
import numpy as np

from digit_pipeline.reading.images.geometry import clockwise
from digit_pipeline.reading.images.outline import (
    Side,
    completed,
    line_through,
    lines_of,
    meeting,
    on_frame,
    runs_along_which,
)
from digit_pipeline.reading.limits import WORKING_SIZE

# The sheet is looked for at the working size (``limits.WORKING_SIZE``), in photos at
# least MIN_PHOTO_SIDE pixels a side (smaller images are a drawing, a digit or a row).
MIN_PHOTO_SIDE = 320
# A sheet covers at least this fraction of the photo, and at most FILLS_FRAME of its
# width and height alike (beyond, the sheet fills the frame: read the photo as it is).
MIN_SHEET_AREA = 0.12
FILLS_FRAME = 0.97
# Each side of the sheet is brighter than the desk just outside it by this much (0-255),
# measured SIDE_BAND pixels inside and outside along its middle.
MIN_SIDE_CONTRAST = 12
SIDE_BAND = 4
# ...at 16 points along its middle, of which at least MIN_SIDE_SAMPLES in the photo (a
# side mostly beyond the frame is judged by what the photo shows of it).
MIN_SIDE_SAMPLES = 4
# Edges are found at these strengths, faintest first (Canny's upper threshold; the lower is
# half): a faint edge against a light desk, a strong one against a textured desk.
EDGE_THRESHOLDS = (20, 45, 100)
# A sheet's corners are 60-120 degrees: seen up to ~30 degrees off perpendicular.
MIN_CORNER_ANGLE, MAX_CORNER_ANGLE = 50.0, 130.0
# An outline of up to this many corners may be a sheet with a corner hidden (a thumb) or
# cut off by the frame (``outline.completed``); one completed counts as COMPLETED_AREA
# of its area.
MAX_OUTLINE_CORNERS = 8
COMPLETED_AREA = 0.9
# ...and the outline of a sheet that things on the desk touch, of up to this many corners
# (its sides broken by them: ``outline.sides``).
MAX_TOUCHED_CORNERS = 40
# The finer outline that keeps a short cut (of the perimeter), for completing.
FINE_TOLERANCE = 0.004
# The sheet's sides are fitted to the faintest edges within SIDE_FIT pixels of the
# outline's (at the working size), along their middle, where at least MIN_SIDE_POINTS of
# them lie; no corner moves more than MAX_FIT_MOVE of the diagonal.
SIDE_FIT = 3.0
MIN_SIDE_POINTS = 20
MAX_FIT_MOVE = 0.03
# Where no outline is a sheet (a textured desk or a shadow runs into its edge), the sheet
# is four of the photo's straight lines: edges straight for at least LINE_LENGTH of the
# working size (gaps up to LINE_GAP pixels; where no sheet is found so, up to WIDE_LINE_GAP
# in the faintest edge map: a side whose edge a desk nearly as light as the paper breaks
# into dashes), the LINE_CANDIDATES longest lines of them, none along a longer one within
# DISTINCT_LINES of the diagonal.
# Each side of the quadrilateral runs along edges for EDGE_SUPPORT of its length and
# stands out by LINE_CONTRAST (fainter than an outline must: its sides are straight); and
# by half that on average over each of its SIDE_PARTS, end to end (a striped page beside
# it is dark along half of it), both SIDE_BAND and WIDE_BAND pixels outside (a printed
# line on the paper is darker just beside it, not further out).
LINE_LENGTH = 0.08
LINE_VOTES = 30
LINE_GAP = 4
WIDE_LINE_GAP = 10
LINE_CANDIDATES = 16
DISTINCT_LINES = 0.04
EDGE_SUPPORT = 0.8
LINE_CONTRAST = 6
SIDE_PARTS = 4
WIDE_BAND = 12
# They are looked for only where a desk shows along the photo's frame: where more than a
# quarter of the band FRAME_BAND of the photo wide along its border is within LINE_CONTRAST
# of the paper (the photo's PAPER_PERCENTILE of brightness), the paper reaches the frame
# (a flat page, a scan, a digit on paper), and no sheet lies on a desk.
FRAME_BAND = 0.03
PAPER_PERCENTILE = 90


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


def find_sheet(photo: np.ndarray) -> np.ndarray | None:
    """The four corners (x, y) of a sheet of paper in a photo (uint8, grey or RGB), in its
    pixels, clockwise from the one nearest the top-left; None when no sheet stands out
    from its surroundings, or it fills the frame."""
    if min(photo.shape[:2]) < MIN_PHOTO_SIDE:
        return None
    gray = photo if photo.ndim == 2 else cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    factor = WORKING_SIZE / max(gray.shape)
    if factor < 1:
        gray = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    else:
        factor = 1.0
    # Writing and grain smoothed away; the sheet's edge, a step, stays.
    smooth = cv2.GaussianBlur(cv2.medianBlur(gray, 5), (0, 0), 1.5)
    edge_maps = [cv2.Canny(smooth, high / 2, high) for high in EDGE_THRESHOLDS]
    # The largest outline, one completed from its sides counting as COMPLETED_AREA of its
    # area: where both fit the sheet, the one that shows its four corners.
    best, best_area = None, 0.0
    for quad, whole in _quadrilaterals(edge_maps):
        area = cv2.contourArea(quad) * (1.0 if whole else COMPLETED_AREA)
        if area > best_area and _stands_out(smooth, quad):
            best, best_area = quad, area
    if best is None:
        best = _of_straight_lines(smooth, edge_maps)
    if best is None:
        return None
    return clockwise(fitted_sides(edge_maps[0], best) / factor)


def _of_straight_lines(smooth: np.ndarray, edge_maps: list[np.ndarray]) -> np.ndarray | None:
    """The largest quadrilateral of four straight lines in the photo's edges (one map per
    ``EDGE_THRESHOLDS``) whose sides run along edges (``EDGE_SUPPORT``) and stand out from
    what is outside them end to end (``SIDE_PARTS``), as scan apps find a page: where the
    sheet's outline runs into a desk's texture or a shadow's edge, its sides are still
    straight. Where no such quadrilateral bridges gaps of ``LINE_GAP``, the faintest map
    is looked at again bridging ``WIDE_LINE_GAP`` (only that one: a noisy photo's every
    map, so bridged, gives thousands of segments)."""
    if _paper_reaches_the_frame(smooth):
        return None
    near_edges = {}
    for gap, maps in ((LINE_GAP, edge_maps), (WIDE_LINE_GAP, edge_maps[:1])):
        found = [
            (cv2.contourArea(quad), quad, index)
            for index, edges in enumerate(maps)
            for quad in _quadrilaterals_of_lines(edges, gap)
        ]
        found = [item for item in found if item[0] >= MIN_SHEET_AREA * smooth.size]
        for _, quad, index in sorted(found, key=lambda item: -item[0]):
            if index not in near_edges:
                near_edges[index] = cv2.dilate(edge_maps[index], np.ones((5, 5), np.uint8))
            if _sides_hold(smooth, near_edges[index], quad):
                return quad
    return None


def _sides_hold(smooth: np.ndarray, near_edges: np.ndarray, quad: np.ndarray) -> bool:
    """Whether each side of a quadrilateral of straight lines stands out
    (``LINE_CONTRAST``), runs along ``near_edges`` (``EDGE_SUPPORT``) and stands out end to
    end, near and further out (``SIDE_PARTS``)."""
    return (
        _stands_out(smooth, quad, LINE_CONTRAST)
        and min(_edge_support(near_edges, quad)) >= EDGE_SUPPORT
        and all(_stands_out_along(smooth, quad, band) for band in (SIDE_BAND, WIDE_BAND))
    )


def _paper_reaches_the_frame(smooth: np.ndarray) -> bool:
    """Whether more than a quarter of the photo's border (a band ``FRAME_BAND`` of it wide)
    is as bright as its paper, within ``LINE_CONTRAST``: no desk round a sheet."""
    band = max(2, round(FRAME_BAND * max(smooth.shape)))
    frame = np.concatenate(
        [smooth[:band].ravel(), smooth[-band:].ravel(), smooth[:, :band].ravel(),
         smooth[:, -band:].ravel()]
    )  # fmt: skip
    paper = _level(smooth, PAPER_PERCENTILE / 100)
    return bool(_level(frame, 0.75) > paper - LINE_CONTRAST)


def _level(gray: np.ndarray, share: float) -> int:
    """The grey level (uint8) at or below which ``share`` of ``gray``'s pixels lie: a
    percentile from its histogram, ten times faster than sorting."""
    counts = cv2.calcHist([gray.reshape(-1, 1)], [0], None, [256], [0, 256]).ravel()
    return int(np.searchsorted(np.cumsum(counts), share * gray.size))


def _quadrilaterals_of_lines(edges: np.ndarray, gap: int) -> list[np.ndarray]:
    """Every plausible quadrilateral of four of the ``LINE_CANDIDATES`` longest straight
    lines in an edge map (``cv2.HoughLinesP``'s segments, bridging gaps up to ``gap``
    pixels, grouped into lines by ``outline.lines_of``), each side meeting the next round
    their middles."""
    segments = cv2.HoughLinesP(edges, 1, np.pi / 360, LINE_VOTES,
                               minLineLength=LINE_LENGTH * max(edges.shape), maxLineGap=gap)  # fmt: skip
    if segments is None:
        return []
    ends = [(s[:2], s[2:]) for s in segments.reshape(-1, 4).astype(np.float64)]
    lines = sorted(lines_of(ends, edges.shape), key=lambda line: -line.shown)
    lines = _distinct(lines, edges.shape, LINE_CANDIDATES)
    if len(lines) < 4:
        return []
    # Where each two lines meet (NaN: parallel), and every four taken round their middles.
    meets = np.full((len(lines), len(lines), 2), np.nan)
    for i, j in combinations(range(len(lines)), 2):
        corner = meeting(lines[i].line, lines[j].line)
        if corner is not None:
            meets[i, j] = meets[j, i] = corner
    middles = np.array([(line.start + line.end) / 2 for line in lines])
    fours = np.array(list(combinations(range(len(lines)), 4)))
    offsets = middles[fours] - middles[fours].mean(axis=1, keepdims=True)
    around = np.take_along_axis(
        fours, np.argsort(np.arctan2(offsets[..., 1], offsets[..., 0]), axis=1), axis=1
    )
    quads = meets[np.roll(around, 1, axis=1), around].astype(np.float32)
    quads = quads[~np.isnan(quads).any(axis=(1, 2))]
    return [quad for quad in quads if _plausible(quad, edges.shape)]


def _distinct(lines: list[Side], shape: tuple[int, int], count: int) -> list[Side]:
    """The first ``count`` of ``lines``, strongest first, leaving out those that run along
    a stronger one within ``DISTINCT_LINES`` of the photo's diagonal: of a printed page's
    stripes or a ruled desk, one line, so that the sheet's sides stay among the
    candidates."""
    reach = DISTINCT_LINES * np.hypot(*shape)
    kept: list[Side] = []
    kept_lines = np.empty((count, 3))
    for line in lines:
        if len(kept) == count:
            break
        if not runs_along_which(kept_lines[: len(kept)], line.start, line.end, reach).any():
            kept_lines[len(kept)] = line_through(*line.line)
            kept.append(line)
    return kept


def _edge_support(near_edges: np.ndarray, quad: np.ndarray) -> list[float]:
    """For each side of ``quad``, the fraction of its points in the photo that lie on
    ``near_edges`` (an edge map, dilated); 1 for a side hardly in the photo."""
    support = []
    for k in range(4):
        points = _along(quad[k], quad[(k + 1) % 4], 0.02, 0.98, 60)
        inside = _in_photo(points, near_edges.shape)
        hits = _sample(near_edges, points[inside]) > 0
        support.append(float(hits.mean()) if inside.sum() >= MIN_SIDE_SAMPLES else 1.0)
    return support


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


def sheet_size(corners: np.ndarray) -> tuple[float, float]:
    """(width, height) of the sheet in the photo's pixels: its opposite sides averaged."""
    sides = np.linalg.norm(corners - np.roll(corners, -1, axis=0), axis=1)
    return (sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2


def _quadrilaterals(edge_maps: list[np.ndarray]):
    """Every outline in the photo's edges (one map per ``EDGE_THRESHOLDS``) that is, or
    nearly is, a large convex quadrilateral: its four corners, float32 (4, 2), and whether
    the outline showed all four (False: completed from its sides, ``completed``)."""
    for edges in edge_maps:
        shape = edges.shape
        thick = cv2.dilate(edges, np.ones((3, 3), np.uint8))
        contours, _ = cv2.findContours(thick, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        yield from _quadrilaterals_of(contours, shape[0] * shape[1], shape)


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
            quad = completed(outline.reshape(-1, 2).astype(np.float64), shape)
            if quad is not None and _plausible(quad, shape):
                yield quad, False


def _hull_quadrilaterals(hull: np.ndarray, shape: tuple[int, int]):
    """The quadrilaterals of a large outline's convex hull: itself, when it is one whose
    corners are all in the photo; else completed from its sides (``completed``)."""
    perimeter = cv2.arcLength(hull, True)
    for tolerance in (0.01, 0.02, 0.04):
        polygon = cv2.approxPolyDP(hull, tolerance * perimeter, True).reshape(-1, 2)
        if len(polygon) > MAX_OUTLINE_CORNERS:
            continue
        if len(polygon) == 4 and not on_frame(polygon, shape):
            quad = polygon.astype(np.float32)
            if _plausible(quad, shape):
                yield quad, True
            return
        # Cut by a thumb or the frame: completed from its sides, the frame's cut kept
        # by a finer outline; a quadrilateral cut at the frame, as it is, after those.
        finer = cv2.approxPolyDP(hull, FINE_TOLERANCE * perimeter, True).reshape(-1, 2)
        for outline in (polygon, finer):
            if len(outline) <= MAX_OUTLINE_CORNERS:
                quad = completed(outline.astype(np.float64), shape)
                if quad is not None and _plausible(quad, shape):
                    yield quad, False
        if len(polygon) == 4 and _plausible(polygon.astype(np.float32), shape):
            yield polygon.astype(np.float32), False
        return


def fitted_sides(edges: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """``quad`` with each side fitted to the ``edges`` along it (a Canny map: the faintest
    the sheet was looked for in): the line through the edge pixels within ``SIDE_FIT``
    pixels of its middle nine tenths (Huber's fit, a stray stroke counts little), and the
    corners where those lines meet. An outline's polygon lies within a few pixels of the
    sheet's sides; the fit, within one, which a corner outside the frame, extended from a
    short side, needs most. A side with too few edge
    points (one along the frame) stays as it is; so does ``quad`` where a corner would
    move more than ``MAX_FIT_MOVE`` of the diagonal."""
    rows, columns = np.nonzero(edges)
    points = np.stack([columns, rows], axis=1).astype(np.float64)
    sides = []
    for k in range(4):
        a, b = quad[k].astype(np.float64), quad[(k + 1) % 4].astype(np.float64)
        length = np.linalg.norm(b - a)
        along = (b - a) / max(length, 1e-6)
        offsets = points - a
        t, off = offsets @ along, np.abs(offsets @ np.array([-along[1], along[0]]))
        near = points[(off <= SIDE_FIT) & (t > 0.05 * length) & (t < 0.95 * length)]
        if len(near) < MIN_SIDE_POINTS:
            sides.append((a, b))
            continue
        vx, vy, x0, y0 = cv2.fitLine(near.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01)
        start = np.array([x0[0], y0[0]], np.float64)
        sides.append((start, start + np.array([vx[0], vy[0]], np.float64)))
    corners = [meeting(sides[k - 1], sides[k]) for k in range(4)]
    if any(corner is None for corner in corners):
        return quad
    fitted = np.array(corners, dtype=np.float32)
    if np.abs(fitted - quad).max() > MAX_FIT_MOVE * np.hypot(*edges.shape):
        return quad
    return fitted


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


def _stands_out(smooth: np.ndarray, quad: np.ndarray, contrast: float = MIN_SIDE_CONTRAST) -> bool:
    """Whether each side of ``quad`` is brighter just inside than just outside, by
    ``contrast`` along its middle: the edge of a sheet, not of a shadow or a desk's
    pattern, judged where the photo shows it. A side with fewer than ``MIN_SIDE_SAMPLES``
    points in the photo (along the frame, or beyond it) counts."""
    return all(
        seen is None or np.median(seen) >= contrast
        for seen in _side_contrasts(smooth, quad, 0.2, 0.8, 16)
    )


def _stands_out_along(smooth: np.ndarray, quad: np.ndarray, band: int) -> bool:
    """Whether each of the ``SIDE_PARTS`` of each side of ``quad``, end to end, is brighter
    inside than ``band`` pixels outside by half ``LINE_CONTRAST`` on average: a side that
    runs on past the sheet's corner, along a line on the desk, does not."""
    return all(
        seen is None
        or all(part.mean() >= LINE_CONTRAST / 2 for part in np.array_split(seen, SIDE_PARTS))
        for seen in _side_contrasts(smooth, quad, 0.05, 0.95, 32, band=band)
    )


def _side_contrasts(
    smooth: np.ndarray,
    quad: np.ndarray,
    start: float,
    stop: float,
    count: int,
    *,
    band: int = SIDE_BAND,
) -> list[np.ndarray | None]:
    """For each side of ``quad``, how much brighter the photo is ``SIDE_BAND`` pixels inside
    it than ``band`` pixels outside, at ``count`` points from ``start`` to ``stop`` of its
    length, where the outside is in the photo; None for a side with fewer than
    ``MIN_SIDE_SAMPLES`` such points."""
    centre = quad.mean(axis=0)
    contrasts = []
    for k in range(4):
        a, b = quad[k], quad[(k + 1) % 4]
        points = _along(a, b, start, stop, count)
        normal = np.array([b[1] - a[1], a[0] - b[0]]) / max(np.linalg.norm(b - a), 1e-6)
        if np.dot(centre - (a + b) / 2, normal) < 0:
            normal = -normal  # pointing inside
        outside = points - band * normal
        seen = _in_photo(outside, smooth.shape)
        if seen.sum() < MIN_SIDE_SAMPLES:  # along the frame, or beyond it
            contrasts.append(None)
            continue
        inside = _sample(smooth, points[seen] + SIDE_BAND * normal)
        contrasts.append(inside - _sample(smooth, outside[seen]))
    return contrasts


def _along(a: np.ndarray, b: np.ndarray, start: float, stop: float, count: int) -> np.ndarray:
    """``count`` points (x, y) from ``start`` to ``stop`` of the way from ``a`` to ``b``."""
    return a + np.linspace(start, stop, count)[:, None] * (b - a)


def _in_photo(points: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    height, width = shape[:2]
    return (
        (points[:, 0] >= 0)
        & (points[:, 1] >= 0)
        & (points[:, 0] <= width - 1)
        & (points[:, 1] <= height - 1)
    )


def _sample(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    x = np.clip(np.round(points[:, 0]).astype(int), 0, image.shape[1] - 1)
    y = np.clip(np.round(points[:, 1]).astype(int), 0, image.shape[0] - 1)
    return image[y, x].astype(np.float32)


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
