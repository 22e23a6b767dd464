"""The colours a picture is made of, named with the basic colour words people use.

Each pixel of a small copy of the picture (64 x 36, area-averaged, so noise and fine texture
average out) gets one of :data:`NAMES` from its hue, saturation and value (HSV, 0-360 degrees
and 0-1): dark pixels are black, unsaturated ones white or grey by lightness, and the rest are
named by hue band. The bands follow the basic colour terms' foci (Berlin and Kay's eleven):
red below 15 degrees and from 345, orange to 40, yellow to 70, green to 170, blue to 260,
purple to 290, pink to 345; dark oranges and yellows (to 50 degrees, value 0.6 or less) are
brown, and light reds pink.

A video's colours are its keyframes' colours, each weighted by the seconds of the shot it
stands for (:func:`video_colours`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

NAMES = (
    "black", "white", "grey", "red", "orange", "yellow", "green", "blue", "purple", "pink",
    "brown",
)  # fmt: skip
"""Every colour name a pixel may get."""

DARK = 0.18
"""Below this value (0-1) a pixel is black, whatever its hue."""
GREY = 0.18
"""Below this saturation (0-1) a pixel is white (value above :data:`WHITE`) or grey."""
WHITE = 0.85
BROWN_HUES = (15, 50)
BROWN_VALUE = 0.6
BROWN_SATURATION = 0.35
"""A pixel of a hue in :data:`BROWN_HUES` (orange to dark yellow, degrees) at or below
:data:`BROWN_VALUE` and at least this saturated reads as brown (a dark red stays red)."""
HUES = ((15, "red"), (40, "orange"), (70, "yellow"), (170, "green"), (260, "blue"),
        (290, "purple"), (345, "pink"), (361, "red"))  # fmt: skip
"""Upper hue bound (degrees, exclusive) of each band, in order."""
PINK_SATURATION = 0.5
PINK_VALUE = 0.7
"""A red pixel less saturated than this and brighter than that is pink (light red)."""
SIZE = (64, 36)
"""The picture is read at this many pixels (width, height)."""


def colour_shares(rgb: np.ndarray) -> dict[str, float]:
    """The share (0-1) of an RGB ``uint8`` picture each colour name covers; names with no
    pixel are left out."""
    import cv2

    small = cv2.resize(rgb, SIZE, interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV_FULL).reshape(-1, 3).astype(np.float32)
    hue, sat, val = hsv[:, 0] * (360.0 / 256.0), hsv[:, 1] / 255.0, hsv[:, 2] / 255.0
    bands = np.searchsorted([upper for upper, _ in HUES], hue, side="right")
    names = np.array([name for _, name in HUES])[bands]
    lo, hi = BROWN_HUES
    brown = (hue >= lo) & (hue < hi) & (val <= BROWN_VALUE) & (sat >= BROWN_SATURATION)
    names = np.where(brown, "brown", names)
    pale = (names == "red") & (sat < PINK_SATURATION) & (val > PINK_VALUE)
    names = np.where(pale, "pink", names)
    names = np.where(sat < GREY, np.where(val > WHITE, "white", "grey"), names)
    names = np.where(val < DARK, "black", names)
    found, counts = np.unique(names, return_counts=True)
    return {str(n): float(c) / len(names) for n, c in zip(found, counts, strict=True)}


def video_colours(
    frames: Iterable[tuple[Path, float]], *, least: float = 0.05
) -> list[tuple[str, float]]:
    """The colours of a video from its keyframes ``(JPEG path, seconds it stands for)``: each
    name with its share of the video's picture (0-1), most first, those under ``least`` left
    out. No readable frame gives an empty list."""
    import cv2

    total: dict[str, float] = {}
    weight = 0.0
    for path, seconds in frames:
        try:
            data = np.frombuffer(Path(path).read_bytes(), dtype=np.uint8)
        except OSError:  # gone: the others still count
            continue
        bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
        if bgr is None:  # not an image
            continue
        shares = colour_shares(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        seconds = max(seconds, 1e-3)
        weight += seconds
        for name, share in shares.items():
            total[name] = total.get(name, 0.0) + share * seconds
    if weight <= 0:
        return []
    ranked = sorted(((n, s / weight) for n, s in total.items()), key=lambda p: -p[1])
    return [(n, s) for n, s in ranked if s >= least]
