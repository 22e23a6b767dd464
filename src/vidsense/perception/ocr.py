"""On-screen text: read the text in sampled frames, then follow it across frames into sightings.

Reading one image is the model's part: a :class:`~vidsense.models.base.TextReader` from
:meth:`OcrEntry.load() <vidsense.models.ocr.OcrEntry.load>` (Tesseract, RapidOCR or both,
as ``settings.models.ocr`` says) turns an RGB image into :class:`~vidsense.models.base.TextBox`
lines. What is here turns those readings into evidence:

* :class:`SightingTracker` takes ``(time, boxes)`` per sample in time order and merges the same
  text seen in consecutive samples into one :class:`TextSighting` with a time range.
* :func:`read_video_text` does both over a video, sampling frames from the one decode pass that
  also finds the shots (periodic samples plus one keyframe per shot). Samples that look the same
  as the last one read (a static slide) reuse its text instead of running OCR again.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time as clock
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vidsense.config import Settings
from vidsense.errors import InvalidArgument
from vidsense.media.decode import DecodedFrame, DecodeReport
from vidsense.media.probe import MediaInfo
from vidsense.models.base import Box, TextBox, TextReader
from vidsense.models.ocr import OcrEntry, normalize_text, similarity
from vidsense.perception.shots import ClosedShot

log = logging.getLogger(__name__)

OCR_MAX_SIDE = 1080
"""Frames are read at full resolution, scaled down only when their shorter side is longer than
this (pixels): 4K costs four times the pixels and reads no better. Smaller frames are not
scaled up: text is found on a :data:`~vidsense.models.ocr.DETECT_SIDE` copy anyway, and each
line is scaled to the recogniser's height on its own (see
:class:`~vidsense.models.ocr.RapidOcrReader`)."""


def ocr_factor(width: int, height: int) -> float:
    """How much to scale a ``width`` x ``height`` frame (pixels) for OCR (1.0 or less)."""
    short = min(width, height)
    return OCR_MAX_SIDE / short if short > OCR_MAX_SIDE else 1.0


@dataclass(frozen=True)
class TextSighting:
    """Text on screen from ``start`` (first sample it was seen in) to ``end`` (first sample it
    was no longer seen in, or the end of the video), both in seconds; ``box`` is where it was
    read with the most confidence, ``(x, y, width, height)`` in full-frame pixels."""

    text: str
    start: float
    end: float
    box: Box
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "box": list(self.box),
            "confidence": round(self.confidence, 3),
        }


# --------------------------------------------------------------------------- text helpers


_NUMBER = re.compile(r"\d+")


def same_text(a: str, b: str, *, threshold: float = 0.8) -> bool:
    """Whether two readings are the same on-screen text: at least ``threshold`` similar (see
    :func:`~vidsense.models.ocr.similarity`) and, when both hold the same count of numbers,
    the same numbers, so that "Slide 3 of 7" and "Slide 4 of 7" stay apart while
    "Hel1o World" joins "Hello World"."""
    if similarity(a, b) < threshold:
        return False
    numbers_a, numbers_b = _NUMBER.findall(a), _NUMBER.findall(b)
    return len(numbers_a) != len(numbers_b) or numbers_a == numbers_b


def looks_like_text(text: str, confidence: float, *, min_confidence: float = 0.5) -> bool:
    """False for readings that are most likely noise: below ``min_confidence`` (0..1), mostly
    punctuation, or a single character (two characters need a confidence of 0.9)."""
    stripped = "".join(text.split())
    if not stripped or confidence < min_confidence:
        return False
    alnum = sum(ch.isalnum() for ch in stripped)
    if alnum / len(stripped) < 0.6:
        return False
    return alnum >= 3 or (alnum == 2 and confidence >= 0.9)


def _overlap(a: Box, b: Box) -> float:
    """Intersection area over the smaller box's area (1.0 when one contains the other)."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    smaller = min(a[2] * a[3], b[2] * b[3])
    return (ix * iy) / smaller if smaller > 0 else 0.0


# --------------------------------------------------------------------------- tracking


@dataclass
class _Open:
    start: float
    last_seen: float
    reads: list[TextBox] = field(default_factory=list)
    missed_at: float | None = None  # first sample time it was not seen (while tolerated)
    misses: int = 0

    @property
    def text(self) -> str:
        return self.reads[-1].text


def _end(s: _Open) -> float:
    return s.missed_at if s.missed_at is not None else s.last_seen


class SightingTracker:
    """Merges the text of consecutive samples into :class:`TextSighting` time ranges.

    Feed ``push(time, boxes)`` for every sample in time order (seconds), then :meth:`finish`.
    A line read in a sample continues the open sighting whose text is the same by
    :func:`same_text` (at least ``threshold`` similar, same numbers); a sighting ends at the
    first sample it is missing from, unless it is read again within ``patience`` samples (one
    misread does not split it).
    Readings that fail :func:`looks_like_text` are dropped; near-duplicate sightings that touch
    in time are merged; sightings seen in one sample only need ``single_confidence``.

    Args:
        threshold: similarity (0..1) for two readings to be the same text.
        min_confidence: readings below this confidence (0..1) are ignored.
        patience: samples a sighting may be missing from before it ends.
        single_confidence: the confidence a one-sample sighting needs to be kept.
    """

    def __init__(
        self,
        *,
        threshold: float = 0.8,
        min_confidence: float = 0.5,
        patience: int = 1,
        single_confidence: float = 0.75,
    ) -> None:
        self.threshold = threshold
        self.min_confidence = min_confidence
        self.patience = patience
        self.single_confidence = single_confidence
        self._open: list[_Open] = []
        self._closed: list[_Open] = []
        self._samples: list[float] = []
        self._last_time = -math.inf

    def push(self, time: float, boxes: Sequence[TextBox]) -> None:
        """Add one sample's lines; ``time`` (seconds) must not go backwards."""
        if time < self._last_time:
            raise InvalidArgument(
                f"samples must come in time order ({time} s after {self._last_time} s)"
            )
        self._last_time = time
        self._samples.append(time)
        floor = self.min_confidence
        kept = [b for b in boxes if looks_like_text(b.text, b.confidence, min_confidence=floor)]
        pairs = sorted(
            (
                (similarity(b.text, o.text), _overlap(b.box, o.reads[-1].box), bi, oi)
                for bi, b in enumerate(kept)
                for oi, o in enumerate(self._open)
                if same_text(b.text, o.text, threshold=self.threshold)
            ),
            reverse=True,
        )
        matched_boxes: set[int] = set()
        matched_open: set[int] = set()
        for _, _, bi, oi in pairs:
            if bi in matched_boxes or oi in matched_open:
                continue
            matched_boxes.add(bi)
            matched_open.add(oi)
            sighting = self._open[oi]
            sighting.reads.append(kept[bi])
            sighting.last_seen = time
            sighting.missed_at = None
            sighting.misses = 0
        still_open: list[_Open] = []
        for oi, sighting in enumerate(self._open):
            if oi not in matched_open:
                if sighting.missed_at is None:
                    sighting.missed_at = time
                sighting.misses += 1
                if sighting.misses > self.patience:
                    self._closed.append(sighting)
                    continue
            still_open.append(sighting)
        for bi, b in enumerate(kept):
            if bi not in matched_boxes:
                still_open.append(_Open(start=time, last_seen=time, reads=[b]))
        self._open = still_open

    def finish(self, end: float | None = None) -> list[TextSighting]:
        """Close everything still open at ``end`` (seconds; default: the last sample's time) and
        return all sightings, ordered by start."""
        stop = end if end is not None else self._last_time
        for still in self._open:
            if still.missed_at is None:
                still.missed_at = max(stop, still.last_seen)
            self._closed.append(still)
        self._open = []
        merged = self._merge_duplicates(sorted(self._closed, key=lambda s: s.start))
        out: list[TextSighting] = []
        for item in merged:
            sighting = self._summarise(item)
            if len(item.reads) == 1 and sighting.confidence < self.single_confidence:
                continue
            out.append(sighting)
        return sorted(out, key=lambda s: (s.start, s.box[1], s.box[0]))

    def _merge_duplicates(self, items: list[_Open]) -> list[_Open]:
        """Join sightings of near-identical text whose time ranges overlap or touch (``items``
        ordered by start)."""
        out: list[_Open] = []
        active: list[tuple[_Open, str]] = []  # merged sightings that may still touch the next
        for item in items:
            active = [(a, text) for a, text in active if _end(a) + 1e-6 >= item.start]
            text = self._best(item)
            for prev, prev_text in active:
                if same_text(prev_text, text, threshold=self.threshold):
                    end = _end(prev)
                    prev.reads.extend(item.reads)
                    prev.last_seen = max(prev.last_seen, item.last_seen)
                    prev.missed_at = max(end, _end(item))
                    break
            else:
                out.append(item)
                active.append((item, text))
        return out

    @staticmethod
    def _best(s: _Open) -> str:
        """The reading with the most support: confidence summed over identical readings."""
        votes: dict[str, float] = {}
        for read in s.reads:
            key = normalize_text(read.text)
            votes[key] = votes.get(key, 0.0) + read.confidence
        return max(votes, key=lambda k: votes[k])

    def _summarise(self, s: _Open) -> TextSighting:
        winner = self._best(s)
        agreeing = [r for r in s.reads if normalize_text(r.text) == winner]
        best = max(agreeing, key=lambda r: r.confidence)
        confidence = sum(r.confidence for r in agreeing) / len(agreeing)
        return TextSighting(best.text, s.start, _end(s), best.box, confidence)


# --------------------------------------------------------------------------- video


def same_picture(a: np.ndarray, b: np.ndarray, *, level: int = 24, pixels: int = 3) -> bool:
    """True when two small grayscale frames differ in at most ``pixels`` pixels by more than
    ``level`` grey levels: compression noise passes, a new caption (even a small one) does not."""
    if a.shape != b.shape:
        return False
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return int(np.count_nonzero(diff > level)) <= pixels


def ocr_image(frame: DecodedFrame, width: int, factor: float) -> np.ndarray:
    """The RGB image OCR reads for ``frame`` (decoded ``width`` pixels wide): full resolution,
    area-averaged down by ``factor`` when it is below 1, rotated as displayed."""
    if factor < 1.0:
        return frame.full(max(2, round(width * factor)))
    return frame.full()


@dataclass
class _Read:
    """One sample: its time (s), the small grayscale picture whose text ``boxes`` hold."""

    time: float
    gray: np.ndarray
    boxes: list[TextBox]


@dataclass
class OcrStats:
    """What a :func:`read_video_text` run did: samples taken, OCR runs, OCR seconds."""

    samples: int = 0
    ocr_runs: int = 0
    ocr_seconds: float = 0.0


Progress = Callable[[float, float], None]
"""Called with (seconds processed, total seconds)."""


class VideoTextReader:
    """Reads a video's text from the frames of a decode pass that someone else runs.

    Hand it every decoded frame (:meth:`on_frame`, e.g. as ``scan_shots(on_frame=...)``) and
    every closed shot (:meth:`on_shot`), then call :meth:`finish` for the sightings. It reads a
    frame every ``every`` seconds and each shot's keyframes; a sample whose small grayscale
    picture matches the last one read reuses that reading instead of running OCR. Frames are
    read at full resolution, scaled down to :data:`OCR_MAX_SIDE` when larger; sighting boxes
    are in full-resolution pixels, as displayed.

    Args:
        settings: picks the reader (``settings.models.ocr``) unless ``reader`` is given.
        info: the probed video (size, rotation, duration).
        every: seconds between periodic samples.
        reader: the text reader to use (default: ``OcrEntry(settings).load()``).
        stats: filled with sample counts and OCR time, when given (also :attr:`stats`).
    """

    def __init__(
        self,
        settings: Settings,
        info: MediaInfo,
        *,
        every: float = 1.0,
        reader: TextReader | None = None,
        stats: OcrStats | None = None,
    ) -> None:
        if not (math.isfinite(every) and every > 0):
            raise InvalidArgument(f"every must be a positive number of seconds, not {every}")
        self.info = info
        self.every = every
        self.reader = reader or OcrEntry(settings).load()
        self.stats = stats if stats is not None else OcrStats()
        self._scale = ocr_factor(info.width, info.height)
        self._results: list[tuple[float, list[TextBox]]] = []
        self._recent: list[_Read] = []  # samples of the open shot, for its keyframes to reuse
        self._next_time = 0.0

    def on_frame(self, frame: DecodedFrame) -> None:
        """Offer a decoded frame (in decode order); the first one at or after each multiple of
        ``every`` seconds is read."""
        if frame.time + 1e-6 < self._next_time:
            return
        self._next_time = (math.floor(frame.time / self.every + 1e-9) + 1) * self.every
        self._read(frame, self._recent[-1:])

    def on_shot(self, closed: ClosedShot) -> None:
        """Read a closed shot's keyframes (unless already sampled or unchanged from a sample
        next to them)."""
        recent = self._recent
        for frame in closed.keyframes:
            if not any(abs(r.time - frame.time) < 1e-6 for r in recent):
                self._read(frame, sorted(recent, key=lambda r: abs(r.time - frame.time))[:2])
        recent[:] = [r for r in recent if r.time >= closed.shot.end]

    def finish(
        self, report: DecodeReport | None = None, *, cancelled: bool = False
    ) -> list[TextSighting]:
        """The sightings, ordered by start. Text still on screen at the end lasts until the
        video's duration, or until the last decoded frame when ``report`` says decoding stopped
        early, or until the last sample when ``cancelled``."""
        tracker = SightingTracker()
        for t, boxes in sorted(self._results, key=lambda item: item[0]):
            tracker.push(t, boxes)
        end: float | None
        if cancelled:
            end = None
        elif report is None or report.error is None:
            end = self.info.duration
        else:
            end = report.last_time + (1.0 / self.info.fps if self.info.fps else 0.0)
        sightings = tracker.finish(end)
        stats = self.stats
        log.info(
            "%s: %d text sightings from %d samples, %d read by %s (%.0f ms each)%s",
            Path(self.info.path).name,
            len(sightings),
            stats.samples,
            stats.ocr_runs,
            self.reader.NAME,
            1000 * stats.ocr_seconds / max(1, stats.ocr_runs),
            " (cancelled)" if cancelled else "",
        )
        return sightings

    def _read(self, frame: DecodedFrame, candidates: Sequence[_Read]) -> None:
        gray = frame.gray()
        done = next((r for r in candidates if same_picture(gray, r.gray)), None)
        if done is not None:
            # Keep comparing against the picture that was read, so slow drift still shows.
            current = _Read(frame.time, done.gray, done.boxes)
        else:
            image = ocr_image(frame, self.info.width, self._scale)
            back = self.info.display_size[0] / image.shape[1]
            started = clock.perf_counter()
            boxes = self.reader.read(image)
            self.stats.ocr_seconds += clock.perf_counter() - started
            self.stats.ocr_runs += 1
            if back != 1.0:
                boxes = [b.scaled(back) for b in boxes]
            current = _Read(frame.time, gray, boxes)
        self.stats.samples += 1
        self._results.append((frame.time, current.boxes))
        self._recent.append(current)
        del self._recent[:-64]  # long shots: older samples are just not offered for reuse


def read_video_text(
    path: str | Path,
    settings: Settings,
    *,
    every: float = 1.0,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    reader: TextReader | None = None,
    stats: OcrStats | None = None,
) -> list[TextSighting]:
    """The text shown in a video, as sightings with time ranges (seconds), from one decode pass
    that also finds the shots (see :class:`VideoTextReader`).

    Start and end are within ``every`` seconds of when the text appeared and disappeared.
    ``progress`` is called with (seconds decoded, duration); when ``cancel`` is set, the
    sightings up to that point are returned (text still on screen ends at the last sample).
    """
    from vidsense.media.probe import probe
    from vidsense.perception.shots import scan_shots

    if not (math.isfinite(every) and every > 0):
        raise InvalidArgument(f"every must be a positive number of seconds, not {every}")
    text_reader = reader or OcrEntry(settings).load()
    info = probe(path)
    video = VideoTextReader(settings, info, every=every, reader=text_reader, stats=stats)
    report = DecodeReport()
    for closed in scan_shots(
        path,
        info=info,
        keyframes_per_shot=1,
        threads=settings.decode_threads,
        progress=progress,
        cancel=cancel,
        on_frame=video.on_frame,
        report=report,
    ):
        video.on_shot(closed)
    return video.finish(report, cancelled=cancel is not None and cancel.is_set())
