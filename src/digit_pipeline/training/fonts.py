"""The handwriting fonts that are other hands for the line model: those of Debian's
fonts-bwht, fonts-breip, fonts-femkeklaver, fonts-dancingscript and fonts-dkg-handwriting
(and no other font), each digit's glyph as ink."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# The Debian packages whose handwriting fonts are other hands (and no other font).
FONT_FOLDERS = (
    "/usr/share/fonts/opentype/bwht",  # fonts-bwht
    "/usr/share/fonts/truetype/breip",  # fonts-breip
    "/usr/share/fonts/truetype/femkeklaver",  # fonts-femkeklaver
    "/usr/share/fonts/opentype/dancingscript",  # fonts-dancingscript
    "/usr/share/fonts/truetype/fifthhorseman",  # fonts-dkg-handwriting
)


GLYPH_SIZE = 64


def font_files(folders: tuple[str, ...] = FONT_FOLDERS) -> list[Path]:
    """The permitted handwriting fonts installed here (none where the packages are not)."""
    return sorted(
        path
        for folder in folders
        for path in Path(folder).glob("*")
        if path.suffix in {".ttf", ".otf"}
    )


@functools.lru_cache(maxsize=64)
def font_digits(path: Path) -> tuple[np.ndarray, ...]:
    """Each digit 0-9 in a font, as ink cropped to itself (float32 in [0, 1])."""
    font = ImageFont.truetype(str(path), GLYPH_SIZE)
    glyphs = []
    for digit in "0123456789":
        canvas = Image.new("L", (GLYPH_SIZE * 2, GLYPH_SIZE * 2))
        ImageDraw.Draw(canvas).text((GLYPH_SIZE // 2, GLYPH_SIZE // 4), digit, fill=255, font=font)
        glyphs.append(cropped(np.asarray(canvas, dtype=np.float32) / 255))
    return tuple(glyphs)


def cropped(ink: np.ndarray) -> np.ndarray:
    rows, columns = np.flatnonzero(ink.max(axis=1) > 0.1), np.flatnonzero(ink.max(axis=0) > 0.1)
    if rows.size == 0:
        return np.ones((4, 2), np.float32)
    return np.ascontiguousarray(ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1])
