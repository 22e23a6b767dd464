"""Where the subject of a shot is, over time: the path a vertical (or square) crop follows.

The span is sampled every ``every`` seconds (decoded once, front to back). In each sample the
subject is, in order of preference:

1. **faces** (dlib's HOG detector, when the faces model is installed): the centre of the faces
   found, weighted by their area;
2. **on-screen text**: the centre of the largest text box the video's evidence shows at that
   time (from indexing; none for a plain file);
3. **motion**: the centroid of the pixels that changed since the previous sample;
4. otherwise where it was last seen (the centre at first).

The positions are then smoothed forwards and backwards (no lag) with a time constant of
:data:`SMOOTHING` seconds, so the crop glides instead of jumping, and returned as the render
spec's focus points (fractions of the source frame).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from vidsense.errors import Cancelled
from vidsense.media.timeline import FocusPoint
from vidsense.models.faces import FaceModel

log = logging.getLogger(__name__)

Subject = Literal["faces", "text", "motion"]
SUBJECTS: tuple[Subject, ...] = ("faces", "text", "motion")
SMOOTHING = 0.6
"""Time constant (seconds) of the zero-lag smoothing of the subject's path."""
SAMPLE_WIDTH = 640
"""Width (px) samples are decoded at for face detection and motion."""
MOTION_LEVEL = 30
"""Luma change (0-255) that counts a pixel as moving."""
MOTION_SHARE = 0.003
"""Share of the picture that must move for motion to place the subject."""


@dataclass(frozen=True)
class TextBox:
    """On-screen text shown from ``start`` to ``end`` seconds, its box ``(x, y, w, h)`` as
    fractions of the frame."""

    start: float
    end: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class SubjectSample:
    """Where the subject was at ``time`` seconds (fractions of the frame) and what placed it."""

    time: float
    x: float
    y: float
    found: Literal["faces", "text", "motion", "held"]


def _faces(model: FaceModel, rgb: np.ndarray) -> tuple[float, float] | None:
    height, width = rgb.shape[:2]
    found = [d for d in model.detect(rgb, upsample=1 if width < 500 else 0) if d.width >= 20]
    if not found:
        return None
    weights = np.array([d.width * d.height for d in found], dtype=np.float64)
    xs = np.array([(d.box[0] + d.box[2]) / 2 / width for d in found])
    ys = np.array([(d.box[1] + d.box[3]) / 2 / height for d in found])
    return float(xs @ weights / weights.sum()), float(ys @ weights / weights.sum())


def _text(boxes: Sequence[TextBox], t: float) -> tuple[float, float] | None:
    shown = [b for b in boxes if b.start <= t <= b.end]
    if not shown:
        return None
    x, y, w, h = max(shown, key=lambda b: b.box[2] * b.box[3]).box
    return x + w / 2, y + h / 2


def _motion(gray: np.ndarray, before: np.ndarray | None) -> tuple[float, float] | None:
    if before is None or before.shape != gray.shape:
        return None
    moved = np.abs(gray.astype(np.int16) - before.astype(np.int16)) > MOTION_LEVEL
    if moved.mean() < MOTION_SHARE:
        return None
    rows, cols = np.nonzero(moved)
    return float(cols.mean() + 0.5) / gray.shape[1], float(rows.mean() + 0.5) / gray.shape[0]


def smooth(times: Sequence[float], values: Sequence[float], tau: float = SMOOTHING) -> list[float]:
    """``values`` sampled at ``times`` smoothed forwards then backwards (zero lag) with an
    exponential of time constant ``tau`` seconds, after a 3-point median (one stray sample
    does not move the crop)."""
    v = list(values)
    if len(v) >= 3:
        v = [v[0]] + [sorted(v[i - 1 : i + 2])[1] for i in range(1, len(v) - 1)] + [v[-1]]
    if tau <= 0 or len(v) < 2:
        return v
    out = list(v)
    for i in range(1, len(out)):
        a = 1.0 - math.exp(-(times[i] - times[i - 1]) / tau)
        out[i] = out[i - 1] + a * (out[i] - out[i - 1])
    for i in range(len(out) - 2, -1, -1):
        a = 1.0 - math.exp(-(times[i + 1] - times[i]) / tau)
        out[i] = out[i + 1] + a * (out[i] - out[i + 1])
    return out


def follow_subject(
    path: Path,
    start: float,
    end: float,
    *,
    follow: Sequence[Subject] = SUBJECTS,
    faces: FaceModel | None = None,
    text_boxes: Sequence[TextBox] = (),
    every: float = 0.5,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[SubjectSample]:
    """Where the subject is every ``every`` seconds of ``[start, end)`` of ``path`` (see the
    module docstring), before smoothing. ``faces`` is the face detector to use (None: no face
    search); ``progress`` gets fractions 0-1."""
    from vidsense.media.decode import FrameSource

    count = max(2, math.ceil((end - start) / every) + 1)
    times = [min(end, start + i * every) for i in range(count)]
    samples: list[SubjectSample] = []
    last = (0.5, 0.5)
    before: np.ndarray | None = None
    use_faces = "faces" in follow and faces is not None
    with FrameSource(path, threads=1) as source:
        for n, (t, frame) in enumerate(source.frames_at(times)):
            if cancel is not None and cancel.is_set():
                raise Cancelled("the reframe was cancelled")
            gray = frame.gray()
            place: tuple[float, float] | None = None
            found: Literal["faces", "text", "motion", "held"] = "held"
            if use_faces:
                assert faces is not None
                place = _faces(faces, frame.full(SAMPLE_WIDTH))
                found = "faces"
            if place is None and "text" in follow:
                place, found = _text(text_boxes, t), "text"
            if place is None and "motion" in follow:
                place, found = _motion(gray, before), "motion"
            if place is None:
                place, found = last, "held"
            last = place
            before = gray
            samples.append(SubjectSample(t, place[0], place[1], found))
            if progress is not None:
                progress((n + 1) / len(times))
    return samples


def focus_path(samples: Sequence[SubjectSample], tau: float = SMOOTHING) -> list[FocusPoint]:
    """The smoothed subject path as focus points (times on the source)."""
    times = [s.time for s in samples]
    xs = smooth(times, [s.x for s in samples], tau)
    ys = smooth(times, [s.y for s in samples], tau)
    return [
        FocusPoint(time=t, x=min(1.0, max(0.0, x)), y=min(1.0, max(0.0, y)))
        for t, x, y in zip(times, xs, ys, strict=True)
    ]
