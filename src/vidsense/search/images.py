"""Image likeness without a visual model: perceptual hashes, colour histograms and ORB.

:class:`FrameFeatures` of a keyframe are computed from its JPEG blob the first time a query
needs them and kept in a bounded cache keyed by keyframe id (keyframe ids never change their
image). :func:`likeness` scores a query image against a keyframe on 0-1.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidsense.errors import InvalidArgument

_SIZE = 256  # frames are scaled to this width before ORB, for speed and scale invariance


def _cv2() -> Any:
    import cv2

    return cv2


@dataclass(frozen=True, eq=False)
class FrameFeatures:
    """``dhash``/``phash``: 64-bit perceptual hashes (bool arrays); ``hist``: normalised HSV
    histogram; ``orb``: ORB descriptors (``None`` for a featureless frame)."""

    dhash: np.ndarray
    phash: np.ndarray
    hist: np.ndarray
    orb: np.ndarray | None


def decode_image(data: bytes) -> np.ndarray:
    """RGB ``uint8`` pixels of an encoded image (JPEG, PNG, WebP...)."""
    cv2 = _cv2()
    try:  # OpenCV asserts rather than answering None on some inputs (an empty one)
        img = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR) if data else None
    except cv2.error:
        img = None
    if img is None:
        raise InvalidArgument("the query image could not be decoded (send a JPEG or PNG)")
    rgb: np.ndarray = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return rgb


def read_image(path: Path) -> np.ndarray:
    return decode_image(path.read_bytes())


def features(rgb: np.ndarray) -> FrameFeatures:
    """The likeness features of an RGB image."""
    cv2 = _cv2()
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(gray, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    dhash = (small[:, 1:] > small[:, :-1]).flatten()
    dct = cv2.dct(cv2.resize(gray, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32))
    low = dct[:8, :8].flatten()
    phash = low > np.median(low[1:])
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [12, 4, 4], [0, 180, 0, 256, 0, 256]).flatten()
    hist = hist / max(float(hist.sum()), 1.0)
    h, w = gray.shape
    scaled = cv2.resize(gray, (_SIZE, max(1, round(h * _SIZE / max(w, 1)))))
    # ORB ignores a 31 px margin; a border lets small crops (logos) keep their features.
    scaled = cv2.copyMakeBorder(scaled, 32, 32, 32, 32, cv2.BORDER_REPLICATE)
    orb = cv2.ORB_create(nfeatures=300)
    _, desc = orb.detectAndCompute(scaled, None)
    return FrameFeatures(dhash, phash, hist.astype(np.float32), desc)


def orb_similarity(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Share (0-1) of ``a``'s descriptors with a good match in ``b`` (Lowe's ratio test)."""
    if a is None or b is None or len(a) < 2 or len(b) < 2:
        return 0.0
    cv2 = _cv2()
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(a, b, k=2)
    good = sum(1 for p in pairs if len(p) == 2 and p[0].distance < 0.75 * p[1].distance)
    return min(1.0, good / max(10.0, 0.5 * len(a)))


def likeness(query: FrameFeatures, frame: FrameFeatures) -> float:
    """0-1: how much ``frame`` looks like ``query`` (hashes, colours, ORB features)."""
    dh = 1.0 - float(np.count_nonzero(query.dhash != frame.dhash)) / query.dhash.size
    ph = 1.0 - float(np.count_nonzero(query.phash != frame.phash)) / query.phash.size
    colour = float(np.minimum(query.hist, frame.hist).sum())  # histogram intersection
    orb = orb_similarity(query.orb, frame.orb)
    return 0.25 * dh + 0.25 * ph + 0.3 * colour + 0.2 * orb


class FeatureCache:
    """Features per key (a keyframe id), computed once by ``load`` and kept (LRU, bounded)."""

    def __init__(self, capacity: int = 20000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, FrameFeatures | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], np.ndarray]) -> FrameFeatures | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        try:
            found: FrameFeatures | None = features(load())
        except (OSError, InvalidArgument):
            found = None  # a missing or broken keyframe blob matches nothing
        with self._lock:
            self._items[key] = found
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return found
