"""Shot boundaries and a representative keyframe per shot, from one decode pass.

PySceneDetect's detectors are fed the small frames of :class:`~vidsense.media.decode.FrameSource`
one at a time (they would otherwise open and decode the file themselves). While a shot is open,
:class:`ShotTracker` keeps its best-looking frames (sharp, not black, not flat) in a bounded set
of time bins, holding the decoded pictures; when the detector closes the shot, the chosen frames
are handed out at full resolution and the rest are released. Memory stays bounded however long a
shot runs.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np

from vidsense.media.decode import DecodedFrame, DecodeReport, FrameSource
from vidsense.media.probe import MediaInfo

DetectorName = Literal["content", "adaptive", "threshold"]
DETECTORS: tuple[DetectorName, ...] = ("content", "adaptive", "threshold")

_MICROS = Fraction(1, 1_000_000)


@dataclass(frozen=True)
class Shot:
    """A continuous camera shot, ``start`` inclusive to ``end`` exclusive, in seconds."""

    index: int
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, float]:
        return {"start": round(self.start, 3), "end": round(self.end, 3)}


@dataclass
class ClosedShot:
    """A shot that has ended, with the frames picked to represent it (in time order)."""

    shot: Shot
    keyframes: list[DecodedFrame]


def make_detector(
    name: DetectorName, fps: float, *, threshold: float | None = None, min_shot: float = 0.4
) -> Any:
    """A PySceneDetect detector. ``min_shot`` is the shortest shot in seconds."""
    from scenedetect.detectors import AdaptiveDetector, ContentDetector, ThresholdDetector

    min_frames = max(1, round(min_shot * (fps or 25.0)))
    if name == "content":
        return ContentDetector(threshold=threshold or 27.0, min_scene_len=min_frames)
    if name == "adaptive":
        return AdaptiveDetector(adaptive_threshold=threshold or 3.0, min_scene_len=min_frames)
    if name == "threshold":
        # Fades to/from black: the cut is placed in the middle of the dark stretch.
        return ThresholdDetector(
            threshold=threshold or 12.0, min_scene_len=min_frames, fade_bias=0.0
        )
    raise ValueError(f"unknown shot detector {name!r}; choose one of {', '.join(DETECTORS)}")


def frame_quality(gray: np.ndarray) -> float:
    """How good a frame is as a thumbnail: sharpness (Laplacian variance), zero for black or
    flat frames. Works on the small analysis image."""
    import cv2

    mean = float(gray.mean())
    spread = float(gray.std())
    sharpness = float(cv2.Laplacian(gray, cv2.CV_32F).var())
    score = math.log1p(sharpness) + 0.02 * spread
    if mean < 16 or mean > 245 or spread < 4:
        score *= 0.05  # black, white or flat: only if nothing better exists
    return score


@dataclass
class _Candidate:
    time: float
    score: float
    frame: DecodedFrame


@dataclass
class _Bins:
    """Best candidate per time bin of the open shot; bins double in width past ``limit``."""

    start: float
    width: float
    limit: int
    best: dict[int, _Candidate] = field(default_factory=dict)

    def offer(self, candidate: _Candidate) -> None:
        key = int((candidate.time - self.start) // self.width)
        held = self.best.get(key)
        if held is None or candidate.score > held.score:
            self.best[key] = candidate
        if len(self.best) > self.limit:
            self.width *= 2
            merged: dict[int, _Candidate] = {}
            for c in self.best.values():
                k = int((c.time - self.start) // self.width)
                if k not in merged or c.score > merged[k].score:
                    merged[k] = c
            self.best = merged

    def split(self, cut: float) -> list[_Candidate]:
        """Remove and return the candidates before ``cut``; the rest start a new shot at cut."""
        before = [c for c in self.best.values() if c.time < cut]
        after = [c for c in self.best.values() if c.time >= cut]
        self.start, self.best = cut, {}
        for c in after:
            self.offer(c)
        return sorted(before, key=lambda c: c.time)


def pick_representatives(candidates: list[_Candidate], shot: Shot, count: int) -> list[_Candidate]:
    """The best candidate in each of ``count`` equal parts of the shot, avoiding its edges
    (transitions) when something else is available."""
    if not candidates or count <= 0:
        return []
    edge = min(0.2, shot.duration * 0.1)
    picked: list[_Candidate] = []
    part = shot.duration / count
    for k in range(count):
        lo, hi = shot.start + k * part, shot.start + (k + 1) * part
        inside = [c for c in candidates if lo <= c.time < hi] if count > 1 else candidates
        if not inside:
            continue

        def weighted(c: _Candidate) -> float:
            near_edge = c.time < shot.start + edge or c.time > shot.end - edge
            return c.score * (0.6 if near_edge else 1.0)

        picked.append(max(inside, key=weighted))
    return picked


class ShotTracker:
    """Feed frames in decode order with :meth:`push`; closed shots come back as they end.

    Args:
        info: the probed video (fps and duration).
        detector: which PySceneDetect detector finds the cuts.
        keyframes_per_shot: representative frames to pick per shot (0 for none).
        threshold: the detector's threshold (its own default when None).
        min_shot: shortest shot, seconds.
    """

    def __init__(
        self,
        info: MediaInfo,
        *,
        detector: DetectorName = "content",
        keyframes_per_shot: int = 1,
        threshold: float | None = None,
        min_shot: float = 0.4,
        max_bins: int = 24,
    ) -> None:
        from scenedetect import FrameTimecode

        self._timecode = FrameTimecode
        self.info = info
        self._fps = info.fps or 25.0
        self._detector = make_detector(detector, self._fps, threshold=threshold, min_shot=min_shot)
        self._per_shot = keyframes_per_shot
        self._bins = _Bins(start=0.0, width=0.25, limit=max(4, max_bins))
        self._shot_start = 0.0
        self._last_time = 0.0
        self._count = 0
        self._candidate_step = min(0.1, min_shot / 3)
        self._next_candidate = 0.0

    def _tc(self, seconds: float) -> Any:
        from scenedetect.common import Timecode

        return self._timecode(
            Timecode(pts=round(seconds * 1_000_000), time_base=_MICROS), fps=self._fps
        )

    def push(self, frame: DecodedFrame) -> list[ClosedShot]:
        self._last_time = frame.time
        # Candidates every ~0.1 s are plenty (shots last at least ``min_shot``) and keep the
        # scoring cost off most frames.
        if self._per_shot and frame.time >= self._next_candidate:
            self._next_candidate = frame.time + self._candidate_step
            self._bins.offer(_Candidate(frame.time, frame_quality(frame.gray()), frame))
        cuts = self._detector.process_frame(self._tc(frame.time), frame.small())
        return [self._close(cut.seconds) for cut in cuts if cut.seconds > self._shot_start]

    def finish(self, end: float | None = None) -> list[ClosedShot]:
        """Close the last shot at ``end`` (default: just after the last frame pushed) and
        return what is left."""
        closed = [
            self._close(c.seconds)
            for c in self._detector.post_process(self._tc(self._last_time))
            if c.seconds > self._shot_start
        ]
        frame_time = 1.0 / self._fps
        stop = end if end is not None else self._last_time + frame_time
        if stop > self._shot_start:
            closed.append(self._close(stop))
        return closed

    def _close(self, cut: float) -> ClosedShot:
        shot = Shot(index=self._count, start=self._shot_start, end=cut)
        self._count += 1
        self._shot_start = cut
        chosen = pick_representatives(self._bins.split(cut), shot, self._per_shot)
        return ClosedShot(shot=shot, keyframes=[c.frame for c in chosen])


Progress = Callable[[float, float], None]
"""Called with (seconds processed, total seconds)."""


def scan_shots(
    path: str | Path,
    *,
    info: MediaInfo | None = None,
    detector: DetectorName = "content",
    keyframes_per_shot: int = 1,
    threshold: float | None = None,
    min_shot: float = 0.4,
    fast: bool = True,
    threads: int = 0,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    on_frame: Callable[[DecodedFrame], None] | None = None,
    report: DecodeReport | None = None,
) -> Iterator[ClosedShot]:
    """Decode ``path`` once and yield each shot as it closes, with its keyframes.

    ``on_frame`` sees every decoded frame too (e.g. periodic OCR samples from the same pass).
    ``report``, when given, is filled with what the decoder saw (frames, an early stop).
    Use :func:`detect_shots` for a plain list.
    """
    with FrameSource(path, info=info, fast=fast, threads=threads) as source:
        tracker = ShotTracker(
            source.info,
            detector=detector,
            keyframes_per_shot=keyframes_per_shot,
            threshold=threshold,
            min_shot=min_shot,
        )
        step = max(1.0, source.duration / 200)
        next_report = 0.0
        for frame in source.frames():
            if cancel is not None and cancel.is_set():
                return
            if on_frame is not None:
                on_frame(frame)
            yield from tracker.push(frame)
            if progress is not None and frame.time >= next_report:
                progress(frame.time, source.duration)
                next_report = frame.time + step
        if report is not None:
            report.__dict__.update(source.report.__dict__)
        end = source.duration if source.report.error is None else None
        yield from tracker.finish(end)
        if progress is not None:
            progress(source.duration, source.duration)


def detect_shots(
    path: str | Path,
    *,
    info: MediaInfo | None = None,
    detector: DetectorName = "content",
    threshold: float | None = None,
    min_shot: float = 0.4,
) -> list[Shot]:
    """Shots covering the whole video, in order (no keyframes kept)."""
    return [
        closed.shot
        for closed in scan_shots(
            path,
            info=info,
            detector=detector,
            keyframes_per_shot=0,
            threshold=threshold,
            min_shot=min_shot,
        )
    ]
