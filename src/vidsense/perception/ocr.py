"""On-screen text: read the text in sampled frames, then follow it across frames into sightings.

Reading one image is the model's part: a :class:`~vidsense.models.base.TextReader` from
:meth:`OcrEntry.load() <vidsense.models.ocr.OcrEntry.load>` (Tesseract, RapidOCR or both,
as ``settings.models.ocr`` says) turns an RGB image into :class:`~vidsense.models.base.TextBox`
lines. What is here turns those readings into evidence:

* :class:`SightingTracker` takes ``(time, boxes)`` per sample in time order and merges the same
  text seen in consecutive samples into one :class:`TextSighting` with a time range.
* :func:`read_video_text` does both over a video, sampling frames from the one decode pass that
  also finds the shots (periodic samples plus one keyframe per shot), on a thread of its own
  beside the decoder. Text is read only where it can have changed: a sample that looks the same
  as the last one read (a static slide) reuses its lines, one that changed in a few places (a
  new caption, a bullet) has only those places read. Deciding that is cheap and sequential;
  the reads themselves run on ``settings.models.ocr_workers`` threads (moving pictures, read
  whole at every sample, keep both cores busy).
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys
import threading
import time as clock
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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


CHANGE_WIDTH = 480
"""Width (px) of the luma picture samples are compared on (the decoded Y plane taken every
few pixels: 1920 -> 480): fine enough that a changed digit of a 1080p caption changes dozens
of its pixels, cheap enough to compare at every sample."""
CHANGE_LEVEL = 32
"""Grey levels (0-255) a pixel must change by to count as changed (compression noise does
not)."""
CHANGE_PIXELS = 4
"""Changed pixels a sample may have and still count as the picture already read."""
PARTIAL_MAX = 0.4
"""When the changed regions cover more than this share of the picture (a cut, a moving
picture), the whole picture is read again; otherwise only the changed regions are, and the
lines elsewhere are kept as read."""
CHANGE_MARGIN = 0.05
"""Margin added around a changed region before it is read, as a share of the picture's height
(the detector needs background around text: with less, it cuts lines short and they are misread)."""
MAX_PENDING = 8
"""Samples handed to the reader and not yet read; past this the decoder waits."""
SPARE_NICE = 10
"""Niceness (Linux) added to the reading threads after the first: they read with the CPU time
the rest of the process leaves, so that a second thread speeds up the reads of moving pictures
without slowing the work beside it (speech, the critical path of a talk over still slides)."""


def same_picture(a: np.ndarray, b: np.ndarray, *, level: int = 24, pixels: int = 3) -> bool:
    """True when two small grayscale frames differ in at most ``pixels`` pixels by more than
    ``level`` grey levels: compression noise passes, a new caption (even a small one) does not."""
    if a.shape != b.shape:
        return False
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return int(np.count_nonzero(diff > level)) <= pixels


def changed_regions(
    a: np.ndarray,
    b: np.ndarray,
    *,
    level: int = CHANGE_LEVEL,
    pixels: int = CHANGE_PIXELS,
) -> list[Box] | None:
    """Where two grayscale pictures of the same size differ: boxes ``(x, y, width, height)``
    in their pixels around each group of pixels changed by more than ``level`` grey levels
    (pixels a few apart are one group, so a changed word is one box). ``[]`` when at most
    ``pixels`` pixels changed; None when the sizes differ (everything changed)."""
    import cv2

    if a.shape != b.shape:
        return None
    mask = (cv2.absdiff(a, b) > level).astype(np.uint8)
    if cv2.countNonZero(mask) <= pixels:
        return []
    grouped = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 5)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    return [
        (int(stats[i, 0]), int(stats[i, 1]), int(stats[i, 2]), int(stats[i, 3]))
        for i in range(1, count)
    ]


def _touches(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _grow(regions: list[Box], lines: Sequence[TextBox], width: int, height: int) -> list[Box]:
    """``regions`` widened to cover every line they touch and merged where they overlap,
    clipped to the picture: each region then holds whole lines."""
    out = [_clip(r, width, height) for r in regions]
    changed = True
    while changed:
        changed = False
        for line in lines:
            for i, region in enumerate(out):
                if _touches(region, line.box) and _union_box(region, line.box) != region:
                    out[i] = _clip(_union_box(region, line.box), width, height)
                    changed = True
        merged: list[Box] = []
        for region in out:
            for i, other in enumerate(merged):
                if _touches(region, other):
                    merged[i] = _union_box(region, other)
                    changed = True
                    break
            else:
                merged.append(region)
        out = merged
    return out


def _union_box(a: Box, b: Box) -> Box:
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return (x0, y0, x1 - x0, y1 - y0)


def _clip(box: Box, width: int, height: int) -> Box:
    x0, y0 = max(0, box[0]), max(0, box[1])
    x1, y1 = min(width, box[0] + box[2]), min(height, box[1] + box[3])
    return (x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def ocr_image(frame: DecodedFrame, width: int, factor: float) -> np.ndarray:
    """The RGB image OCR reads for ``frame`` (decoded ``width`` pixels wide): full resolution,
    area-averaged down by ``factor`` when it is below 1, rotated as displayed."""
    if factor < 1.0:
        return frame.full(max(2, round(width * factor)))
    return frame.full()


_Lines = Future[list[TextBox]]
"""A picture's lines (full-frame pixels, as displayed), once a reading thread has read them."""


@dataclass
class _Read:
    """One sample: its time (s), the luma picture (:data:`CHANGE_WIDTH`) whose text ``lines``
    will hold (full-frame pixels, as displayed) once read. The luma is known at once; the lines
    come from a reading thread (an unchanged sample shares the future of the read it repeats)."""

    time: float
    luma: np.ndarray
    lines: _Lines

    @property
    def boxes(self) -> list[TextBox]:
        """The lines, waiting for them to be read (raises what reading raised)."""
        return self.lines.result()


@dataclass
class OcrStats:
    """What a :func:`read_video_text` run did: samples taken, whole pictures read
    (``ocr_runs``), changed regions read (``region_reads``, samples where only part of the
    picture changed), the seconds spent reading summed over the reading threads
    (``ocr_seconds``) and the wall seconds in which at least one of them was reading
    (``ocr_wall_seconds``, at most ``ocr_seconds``; less when reads overlapped)."""

    samples: int = 0
    ocr_runs: int = 0
    ocr_seconds: float = 0.0
    region_reads: int = 0
    ocr_wall_seconds: float = 0.0


Progress = Callable[[float, float], None]
"""Called with (seconds processed, total seconds)."""


class VideoTextReader:
    """Reads a video's text from the frames of a decode pass that someone else runs.

    Hand it every decoded frame (:meth:`on_frame`, e.g. as ``scan_shots(on_frame=...)``) and
    every closed shot (:meth:`on_shot`), then call :meth:`finish` for the sightings. It reads a
    frame every ``every`` seconds and each shot's keyframes, on threads of its own (the decoder
    goes on meanwhile; at most :data:`MAX_PENDING` samples wait). Text is read only where it
    can have changed: each sample's luma picture (:data:`CHANGE_WIDTH`) is compared with the
    picture last read; unchanged, its lines are the last reading's (the sightings go on);
    changed in a few places, only those regions (widened to the lines they touch) are read and
    the other lines kept; changed over more than :data:`PARTIAL_MAX` of it, the whole picture
    is read. Frames are read at full resolution, scaled down to :data:`OCR_MAX_SIDE` when
    larger; sighting boxes are in full-resolution pixels, as displayed. Use it as a context
    manager so that its threads stop on an error.

    The comparisons run one sample at a time, in time order, on one thread; the reads they ask
    for run on ``workers`` threads. A whole read needs nothing from the read before it, so
    consecutive whole reads (a moving picture) overlap; a partial read's regions depend on
    the previous sample's lines, so deciding one waits for them. The sightings are the same
    whatever ``workers`` is.

    Args:
        settings: picks the reader (``settings.models.ocr``) unless ``reader`` is given, and
            the reading threads (``settings.models.ocr_workers``) unless ``workers`` is.
        info: the probed video (size, rotation, duration).
        every: seconds between periodic samples.
        reader: the text reader to use (default: ``OcrEntry(settings).load()``); it must
            allow ``workers`` callers at once (the readers of :mod:`vidsense.models.ocr` do).
        stats: filled with sample counts and OCR time, when given (also :attr:`stats`).
        workers: reads run at once (threads, at least 1).
    """

    def __init__(
        self,
        settings: Settings,
        info: MediaInfo,
        *,
        every: float = 1.0,
        reader: TextReader | None = None,
        stats: OcrStats | None = None,
        workers: int | None = None,
    ) -> None:
        if not (math.isfinite(every) and every > 0):
            raise InvalidArgument(f"every must be a positive number of seconds, not {every}")
        threads = settings.models.ocr_workers if workers is None else workers
        if threads < 1:
            raise InvalidArgument(f"OCR needs at least one reading thread, not {threads}")
        self.info = info
        self.every = every
        self.workers = threads
        self.reader = reader or OcrEntry(settings).load()
        self.stats = stats if stats is not None else OcrStats()
        self._scale = ocr_factor(info.width, info.height)
        self._results: list[tuple[float, _Lines]] = []
        self._recent: list[_Read] = []  # samples of the open shot, for its keyframes to reuse
        self._next_time = 0.0
        self._slots = threading.BoundedSemaphore(MAX_PENDING)
        # One thread compares samples in order; ``threads`` more read them.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vidsense-ocr")
        self._readers = ThreadPoolExecutor(
            threads, thread_name_prefix="vidsense-ocr-read", initializer=self._start_reader
        )
        self._started = 0
        self._lock = threading.Lock()  # guards _failed, the timing fields below and stats' times
        self._reading = 0  # reads running now
        self._busy_since = 0.0  # perf_counter when the running reads began (while _reading > 0)
        self._failed: BaseException | None = None
        self._stopped = False

    def __enter__(self) -> VideoTextReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the threads (samples not yet read are dropped)."""
        self._stopped = True
        # The comparing thread first: once it is done nothing waits on a read or asks for one.
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._readers.shutdown(wait=True, cancel_futures=True)

    def on_frame(self, frame: DecodedFrame) -> None:
        """Offer a decoded frame (in decode order); the first one at or after each multiple of
        ``every`` seconds is read."""
        if frame.time + 1e-6 < self._next_time:
            return
        self._next_time = (math.floor(frame.time / self.every + 1e-9) + 1) * self.every
        self._submit(self._sample, frame)

    def on_shot(self, closed: ClosedShot) -> None:
        """Read a closed shot's keyframes (unless already sampled or unchanged from a sample
        next to them)."""
        self._submit(self._keyframes, closed)

    def _start_reader(self) -> None:
        """Run in each reading thread as it starts: the threads after the first yield to the
        rest of the process (see :data:`SPARE_NICE`)."""
        with self._lock:
            first = self._started == 0
            self._started += 1
        if not first and sys.platform.startswith("linux"):  # elsewhere a thread id is no pid
            tid = threading.get_native_id()
            try:
                os.setpriority(
                    os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + SPARE_NICE
                )
            except OSError:  # not allowed here: the thread reads at the usual priority
                log.debug("could not lower the priority of an OCR reading thread")

    def _fail(self, error: BaseException) -> None:
        """Keep the first error, for the decoding thread's next call and :meth:`finish`."""
        with self._lock:
            if self._failed is None:
                self._failed = error

    def _submit(self, work: Callable[[Any], list[_Lines]], item: Any) -> None:
        if self._failed is not None:
            raise self._failed
        self._slots.acquire()

        def run() -> None:
            reads: list[_Lines] = []
            try:
                if self._failed is None and not self._stopped:
                    reads = work(item)
            except BaseException as e:  # handed to the decoding thread at its next call
                self._fail(e)
            finally:
                self._release_when_read(reads)

        try:
            self._pool.submit(run)
        except RuntimeError:  # closed
            self._slots.release()

    def _release_when_read(self, reads: list[_Lines]) -> None:
        """Free the item's slot once the reads it asked for are done (at once when none)."""
        left = [len(reads)]
        if not reads:
            self._slots.release()
            return

        def one_done(_: _Lines) -> None:
            with self._lock:
                left[0] -= 1
                last = left[0] == 0
            if last:
                self._slots.release()

        for read in reads:
            read.add_done_callback(one_done)

    def _sample(self, frame: DecodedFrame) -> list[_Lines]:
        return self._read(frame, self._recent[-1:])

    def _keyframes(self, closed: ClosedShot) -> list[_Lines]:
        recent = self._recent
        reads: list[_Lines] = []
        for frame in closed.keyframes:
            if not any(abs(r.time - frame.time) < 1e-6 for r in recent):
                nearest = sorted(recent, key=lambda r: abs(r.time - frame.time))[:2]
                reads += self._read(frame, nearest)
        recent[:] = [r for r in recent if r.time >= closed.shot.end]
        return reads

    def finish(
        self, report: DecodeReport | None = None, *, cancelled: bool = False
    ) -> list[TextSighting]:
        """Wait for the samples still being read (dropped when ``cancelled``) and return the
        sightings, ordered by start. Text still on screen at the end lasts until the video's
        duration, or until the last decoded frame when ``report`` says decoding stopped early,
        or until the last sample when ``cancelled``. Raises what reading raised."""
        if cancelled:
            self.close()
        else:
            self._pool.shutdown(wait=True)
            self._readers.shutdown(wait=True)
        if self._failed is not None:
            raise self._failed
        tracker = SightingTracker()
        for t, lines in sorted(self._results, key=lambda item: item[0]):
            if lines.cancelled():  # not read before a cancel: dropped
                continue
            tracker.push(t, lines.result())
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
            "%s: %d text sightings from %d samples, %d read whole and %d in part by %s "
            "(%.1f s on %d threads, %.1f s wall)%s",
            Path(self.info.path).name,
            len(sightings),
            stats.samples,
            stats.ocr_runs,
            stats.region_reads,
            self.reader.NAME,
            stats.ocr_seconds,
            self.workers,
            stats.ocr_wall_seconds,
            " (cancelled)" if cancelled else "",
        )
        return sightings

    def _read(self, frame: DecodedFrame, candidates: Sequence[_Read]) -> list[_Lines]:
        """Compare ``frame`` with ``candidates`` (samples read before it), note it as a sample
        and ask for the read it needs; returns that read (none when the picture is unchanged)."""
        luma = frame.luma(CHANGE_WIDTH)
        best: tuple[_Read, list[Box]] | None = None
        for read in candidates:
            regions = changed_regions(luma, read.luma)
            if regions is not None and (best is None or _area(regions) < _area(best[1])):
                best = read, regions
        width, height = self.info.display_size
        reads: list[_Lines] = []
        if best is not None and not best[1]:
            # Keep comparing against the picture that was read, so slow drift still shows.
            current = _Read(frame.time, best[0].luma, best[0].lines)
        else:
            factor = width / luma.shape[1]
            regions = []
            partial = False
            if best is not None:
                margin = max(8, round(CHANGE_MARGIN * height))
                scaled = [
                    (
                        round(x * factor) - margin,
                        round(y * factor) - margin,
                        round(w * factor) + 2 * margin,
                        round(h * factor) + 2 * margin,
                    )
                    for x, y, w, h in best[1]
                ]
                # Growing the regions over the lines they touch only adds to them: when they
                # already cover too much, the whole picture is read without waiting for the
                # previous sample's lines.
                limit = PARTIAL_MAX * width * height
                if _covered([_clip(r, width, height) for r in scaled], width, height) <= limit:
                    regions = _grow(scaled, best[0].boxes, width, height)
                    partial = _area(regions) <= limit
            if best is not None and partial:
                kept = [b for b in best[0].boxes if not any(_touches(b.box, r) for r in regions)]
                reference = best[0].luma.copy()
                for x, y, w, h in regions:
                    x0, y0 = math.floor(x / factor), math.floor(y / factor)
                    x1, y1 = math.ceil((x + w) / factor), math.ceil((y + h) / factor)
                    reference[y0:y1, x0:x1] = luma[y0:y1, x0:x1]
                lines = self._readers.submit(self._read_part, frame, regions, kept)
                current = _Read(frame.time, reference, lines)
                self.stats.region_reads += 1
            else:
                lines = self._readers.submit(self._read_pixels, frame, None)
                current = _Read(frame.time, luma, lines)
                self.stats.ocr_runs += 1
            lines.add_done_callback(self._check)
            reads.append(lines)
        self.stats.samples += 1
        self._results.append((frame.time, current.lines))
        self._recent.append(current)
        del self._recent[:-64]  # long shots: older samples are just not offered for reuse
        return reads

    def _check(self, read: _Lines) -> None:
        """Hand a read's error to the decoding thread even when no later sample waits on it."""
        error = None if read.cancelled() else read.exception()
        if error is not None:
            self._fail(error)

    def _read_part(
        self, frame: DecodedFrame, regions: list[Box], kept: list[TextBox]
    ) -> list[TextBox]:
        """The lines in ``regions`` of ``frame`` with the ``kept`` ones from elsewhere, in
        reading order."""
        lines = self._read_pixels(frame, regions)
        return sorted(kept + lines, key=lambda b: (b.box[1], b.box[0]))

    def _read_pixels(self, frame: DecodedFrame, regions: list[Box] | None) -> list[TextBox]:
        """The lines of ``frame`` (in ``regions`` only, display pixels, when given), boxes in
        display pixels."""
        if self._failed is not None:
            return []  # not read: finish raises the error instead of giving sightings
        image = ocr_image(frame, self.info.width, self._scale)
        back = self.info.display_size[0] / image.shape[1]
        with self._lock:
            started = clock.perf_counter()
            if self._reading == 0:
                self._busy_since = started
            self._reading += 1
        try:
            if regions is None:
                boxes = self.reader.read(image)
            else:
                inside = [
                    (
                        math.floor(x / back),
                        math.floor(y / back),
                        math.ceil(w / back),
                        math.ceil(h / back),
                    )
                    for x, y, w, h in regions
                ]
                boxes = self.reader.read_regions(image, inside)
        finally:
            with self._lock:
                ended = clock.perf_counter()
                self._reading -= 1
                self.stats.ocr_seconds += ended - started
                if self._reading == 0:
                    self.stats.ocr_wall_seconds += ended - self._busy_since
        return [b.scaled(back) for b in boxes] if back != 1.0 else boxes


def _covered(regions: Sequence[Box], width: int, height: int) -> int:
    """Pixels of a ``width`` x ``height`` picture inside at least one of ``regions``."""
    mask = np.zeros((height, width), dtype=np.bool_)
    for x, y, w, h in regions:
        mask[y : y + h, x : x + w] = True
    return int(np.count_nonzero(mask))


def _area(regions: Sequence[Box]) -> int:
    return sum(w * h for _, _, w, h in regions)


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
    with VideoTextReader(settings, info, every=every, reader=text_reader, stats=stats) as video:
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
