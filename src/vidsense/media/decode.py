"""One decode pass over a video, with small analysis frames and lazy full-resolution frames.

:class:`FrameSource` opens a video once. :meth:`FrameSource.frames` decodes it front to back and
yields :class:`DecodedFrame` objects: ``frame.small()`` is a ~256 px BGR image cut straight from
the decoded YUV planes (no scaler pass), ``frame.full()`` converts the same decoded picture to a
full-resolution RGB array only when a consumer asks for it. Shot detection, keyframe picking and
OCR sampling all read from this one stream, so nothing decodes the file twice.

:meth:`FrameSource.frames_at` serves sparse requests (a few timestamps, one frame every N
seconds) by seeking instead of decoding everything in between.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from vidsense.errors import CorruptMedia
from vidsense.media.probe import MediaInfo, probe

log = logging.getLogger(__name__)

ANALYSIS_WIDTH = 160
"""Target width of ``DecodedFrame.small()`` in pixels; the exact width is the frame's width
divided by a whole, even step (1920 -> 160, 1280 -> 160, 640 -> 160, 320 -> 160). Cut
detection is as exact at this size as at 256 px and costs half as much per frame."""

SeekMode = Literal["exact", "keyframe"]


def _rotate(image: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a decoded image ``rotation`` degrees counter-clockwise, as a player displays it."""
    turns = round(rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(image, k=turns)) if turns else image


def _range_lut() -> np.ndarray:
    """A 256x1x3 lookup table from limited-range (TV) YUV to full range: Y 16-235 -> 0-255,
    U/V 16-240 -> 0-255 around 128. OpenCV's YUV->BGR assumes full range, and black must come
    out black for fade detection and the black-frame test."""
    levels = np.arange(256, dtype=np.float32)
    luma = np.clip((levels - 16.0) * 255.0 / 219.0, 0, 255)
    chroma = np.clip((levels - 128.0) * 255.0 / 224.0 + 128.0, 0, 255)
    return np.stack([luma, chroma, chroma], axis=-1).reshape(256, 1, 3).round().astype(np.uint8)


_LIMITED_TO_FULL = _range_lut()


def _plane(frame: Any, index: int, rows: int, cols: int) -> np.ndarray:
    plane = frame.planes[index]
    return np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:rows, :cols]


@dataclass(eq=False)
class DecodedFrame:
    """One decoded picture. ``time`` is seconds from the start of the video.

    Holding a ``DecodedFrame`` keeps the decoder's picture alive, so a consumer can decide late
    (e.g. when a shot ends) which frame it wants at full resolution.
    """

    index: int
    time: float
    key_frame: bool
    _frame: Any = field(repr=False)
    _rotation: int = field(default=0, repr=False)
    _small: np.ndarray | None = field(default=None, repr=False)
    _gray: np.ndarray | None = field(default=None, repr=False)
    _converting: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _converted(self, **options: Any) -> np.ndarray:
        """The picture converted by swscale (PyAV's ``reformat`` options), one conversion of
        this frame at a time: PyAV keeps one scaler per frame and runs it without the GIL, so
        two threads converting one frame at once (a consumer's thumbnail while another reads
        its text) crashed the process in libswscale."""
        with self._converting:
            image: np.ndarray = self._frame.reformat(**options).to_ndarray()
            return image

    def small(self) -> np.ndarray:
        """BGR uint8 image about :data:`ANALYSIS_WIDTH` px wide (aspect kept, rotation applied)."""
        if self._small is None:
            self._small = _rotate(self._make_small(), self._rotation)
        return self._small

    def _make_small(self) -> np.ndarray:
        import cv2

        f = self._frame
        width, height = f.width, f.height
        step = max(1, round(width / ANALYSIS_WIDTH))
        step += step % 2  # even, so the half-size chroma planes subsample by a whole step too
        if f.format.name in ("yuv420p", "yuvj420p"):
            # Subsample the planes directly: ~0.1 ms instead of ~1 ms for a 1080p swscale pass.
            y = _plane(f, 0, height, width)[::step, ::step]
            u = _plane(f, 1, (height + 1) // 2, (width + 1) // 2)[:: step // 2, :: step // 2]
            v = _plane(f, 2, (height + 1) // 2, (width + 1) // 2)[:: step // 2, :: step // 2]
            rows, cols = min(y.shape[0], u.shape[0]), min(y.shape[1], u.shape[1])
            yuv = np.empty((rows, cols, 3), dtype=np.uint8)
            yuv[:, :, 0] = y[:rows, :cols]
            yuv[:, :, 1] = u[:rows, :cols]
            yuv[:, :, 2] = v[:rows, :cols]
            if f.format.name == "yuv420p" and getattr(f, "color_range", 1) != 2:  # 2 = JPEG/full
                yuv = cv2.LUT(yuv, _LIMITED_TO_FULL)
            self._gray = _rotate(yuv[:, :, 0].copy(), self._rotation)
            return cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR)
        small_w = max(2, width // step) & ~1
        small_h = max(2, round(height * small_w / width)) & ~1
        return self._converted(
            width=small_w, height=small_h, format="bgr24", interpolation="FAST_BILINEAR"
        )

    def gray(self) -> np.ndarray:
        """Luma of :meth:`small` as a 2-D uint8 array (the decoded Y plane when available)."""
        import cv2

        if self._gray is None:
            small = self.small()
            if self._gray is None:
                self._gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        return self._gray

    def luma(self, width: int) -> np.ndarray:
        """The decoded luma (Y) plane taken every ``step`` pixels, ``step`` the whole number
        that brings the frame's width nearest ``width`` px (at least 1), rotation applied: a
        cheap grayscale picture fine enough to see a line of text change (uint8, 2-D)."""
        f = self._frame
        step = max(1, round(f.width / max(1, width)))
        if f.format.name in ("yuv420p", "yuvj420p", "yuv422p", "yuv444p", "gray"):
            y = _plane(f, 0, f.height, f.width)[::step, ::step]
            return _rotate(np.ascontiguousarray(y), self._rotation)
        image = self._converted(
            width=max(2, f.width // step), height=max(2, f.height // step), format="gray"
        )
        return _rotate(image, self._rotation)

    def full(self, width: int | None = None) -> np.ndarray:
        """RGB uint8 image at full resolution, or scaled to ``width`` px (aspect kept)."""
        f = self._frame
        if width is not None and width < f.width:
            height = max(2, round(f.height * width / f.width) // 2 * 2)
            image = self._converted(
                width=width, height=height, format="rgb24", interpolation="AREA"
            )
        else:
            image = self._converted(format="rgb24")
        return _rotate(image, self._rotation)


@dataclass
class DecodeReport:
    """What a pass decoded: frame count, last frame time (s), and why it stopped early.

    ``damaged`` is True when a demux or decode error stopped the pass (the data is bad from
    ``error_at`` on), False when the stream merely ended before the declared duration (which
    the probe has already checked the file's data against)."""

    frames: int = 0
    last_time: float = 0.0
    error: str | None = None
    error_at: float | None = None
    damaged: bool = False

    def decoded_until(self, fps: float) -> float:
        """Seconds of video decoded: the last frame's time plus one frame."""
        return self.last_time + (1.0 / fps if fps else 0.0) if self.frames else 0.0


class FrameSource:
    """A video opened for decoding. Use as a context manager.

    Args:
        path: a local video file.
        info: its probe result (probed here when not given, a file cut short as its readable
            part).
        threads: decoder threads; 0 means one per core.
        fast: skip the in-loop deblocking filter while decoding (about 10% faster on H.264,
            slightly blockier pictures; fine for analysis, off for frames shown to people).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        info: MediaInfo | None = None,
        threads: int = 0,
        fast: bool = False,
    ) -> None:
        import av

        self.path = Path(path)
        # A reader reads what is there: whether a file cut short may be used at all is decided
        # where it is taken in (the library's probe, :func:`~vidsense.perception.analyze`).
        self.info = info or probe(self.path, allow_partial=True)
        self.report = DecodeReport()
        try:
            self._container = av.open(str(self.path))
        except av.error.FFmpegError as e:
            raise CorruptMedia(f"cannot open {self.path.name}: {e}") from e
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        # One decoder thread per core: libavcodec's automatic count (cores + 1) measured ~15%
        # slower on 2 cores for 1080p H.264.
        self._stream.thread_count = threads or (os.cpu_count() or 1)
        if fast:
            self._stream.codec_context.options = {"skip_loop_filter": "all"}
        self._time_base = float(self._stream.time_base or 0) or 1.0 / 90000
        start = self._container.start_time
        self._origin = (start / 1_000_000) if start is not None else 0.0
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._container.close()
                self._closed = True

    @property
    def duration(self) -> float:
        return self.info.duration

    def _time(self, frame: Any) -> float:
        if frame.pts is None:
            return float(frame.time or 0.0)
        return max(0.0, float(frame.pts) * self._time_base - self._origin)

    def _wrap(self, index: int, frame: Any) -> DecodedFrame:
        return DecodedFrame(
            index=index,
            time=self._time(frame),
            key_frame=bool(frame.key_frame),
            _frame=frame,
            _rotation=self.info.rotation,
        )

    def _decode(self) -> Iterator[Any]:
        """Decoded frames from the current position; a decode error ends the stream and is
        recorded in :attr:`report` rather than raised, so what decoded can still be analysed."""
        import av

        demux = self._container.demux(self._stream)
        following: Any = None  # a packet read ahead, not decoded yet
        while True:
            try:
                packet = following if following is not None else next(demux)
                following = None
                if packet.is_corrupt and packet.size:
                    following = next(demux, None)
            except StopIteration:
                return
            except av.error.FFmpegError as e:
                self._record_error(e)
                return
            if not packet.size and packet.pts is not None:
                # An empty packet with a time repeats the frame before (Ogg Theora writes one
                # for each unchanged frame); sent to the decoder it would read as the end of
                # the stream. Only the demuxer's last packet (no time) drains the decoder.
                continue
            if packet.is_corrupt and packet.size and (following is None or not following.size):
                # The file ends inside this packet: decoding it would only fail, and lose the
                # frames other decoder threads still hold. Those frames are whole: drain them.
                yield from self._drain()
                self._record_error(EOFError("the file ends inside a frame (cut short)"))
                return
            try:
                decoded = packet.decode()
            except av.error.FFmpegError as e:
                self._record_error(e)
                return
            yield from decoded

    def _drain(self) -> Iterator[Any]:
        import av

        try:
            yield from self._stream.codec_context.decode(None)
        except av.error.FFmpegError as e:
            log.info("%s: draining the decoder: %s", self.path.name, e)

    def _record_error(self, error: Exception) -> None:
        self.report.error = str(error)
        self.report.error_at = self.report.last_time
        self.report.damaged = True
        log.warning(
            "%s: decoding stopped at %.2f s: %s", self.path.name, self.report.last_time, error
        )

    def frames(self, *, every: float | None = None) -> Iterator[DecodedFrame]:
        """Every frame, front to back, or only the first frame at or after each multiple of
        ``every`` seconds (the decoder still runs on every frame; see :meth:`frames_at` to skip).
        """
        next_time = 0.0
        for index, frame in enumerate(self._decode()):
            decoded = self._wrap(index, frame)
            self.report.frames += 1
            self.report.last_time = decoded.time
            if every is not None:
                if decoded.time + 1e-6 < next_time:
                    continue
                next_time = (math.floor(decoded.time / every + 1e-9) + 1) * every
            yield decoded
        self._check_truncated()

    def _check_truncated(self) -> None:
        frame_time = 1.0 / self.info.fps if self.info.fps else 0.1
        missing = self.info.duration - self.report.last_time
        if self.report.error is None and missing > max(1.0, 3 * frame_time):
            self.report.error = (
                f"stream ended at {self.report.last_time:.2f} s of {self.info.duration:.2f} s"
            )
            self.report.error_at = self.report.last_time
        if self.report.frames == 0:
            raise CorruptMedia(
                f"{self.path.name}: no frame could be decoded"
                + (f" ({self.report.error})" if self.report.error else "")
            )

    def frames_at(
        self, times: Sequence[float], *, mode: SeekMode = "exact"
    ) -> Iterator[tuple[float, DecodedFrame]]:
        """For each requested time (seconds), the frame displayed at that time.

        ``mode="exact"`` yields the last frame whose timestamp is <= t, seeking to the keyframe
        before t when t is far ahead and decoding forward from there. ``mode="keyframe"`` yields
        the keyframe at or before t instead (decoding keyframes only: much faster for sparse
        sampling; the frame's own ``time`` says where it really is). Yields ``(t, frame)`` in
        ascending t; times past the end get the last frame.
        """
        wanted = sorted(max(0.0, t) for t in times)
        if not wanted:
            return
        if mode == "keyframe":
            yield from self._keyframes_at(wanted)
            return
        yield from self._exact_at(wanted)

    def _seek(self, t: float) -> None:
        import av

        target = int((t + self._origin) / self._time_base)
        try:
            self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
        except av.error.FFmpegError as e:
            raise CorruptMedia(f"cannot seek to {t:.2f} s in {self.path.name}: {e}") from e

    def _exact_at(self, wanted: list[float]) -> Iterator[tuple[float, DecodedFrame]]:
        # Between requests, decoding forward beats seeking while the gap is under a keyframe
        # interval (learned from the keyframes seen, at least 2 s).
        gop = 2.0
        last_key: float | None = None
        frames: Iterator[Any] = iter(())
        prev: DecodedFrame | None = None  # last frame at or before the current target
        ahead: DecodedFrame | None = None  # first frame decoded past it, if any
        exhausted = True
        index = 0
        for t in wanted:
            if ahead is not None and ahead.time > t + 1e-6 and prev is not None:
                yield t, prev  # t falls between two frames already decoded
                continue
            if exhausted and ahead is None and prev is not None and t >= prev.time:
                yield t, prev  # past the end of the stream
                continue
            position = ahead or prev
            if exhausted or position is None or t < position.time or t - position.time > gop:
                self._seek(t)
                frames, prev, ahead, exhausted = self._decode(), None, None, False
            elif ahead is not None:
                prev, ahead = ahead, None
            for raw in frames:
                frame = self._wrap(index, raw)
                index += 1
                if frame.key_frame:
                    if last_key is not None and frame.time > last_key:
                        gop = max(gop, frame.time - last_key)
                    last_key = frame.time
                if frame.time > t + 1e-6:
                    ahead = frame
                    break
                prev = frame
            else:
                exhausted = True  # past the end: the last frame stays on screen
            shown = prev or ahead
            if shown is None:
                raise CorruptMedia(f"{self.path.name}: no frame could be decoded near {t:.2f} s")
            yield t, shown

    def _keyframes_at(self, wanted: list[float]) -> Iterator[tuple[float, DecodedFrame]]:
        self._stream.codec_context.skip_frame = "NONKEY"
        try:
            index = 0
            for t in wanted:
                self._seek(t)
                for raw in self._decode():
                    frame = self._wrap(index, raw)
                    index += 1
                    yield t, frame
                    break
        finally:
            self._stream.codec_context.skip_frame = "DEFAULT"


def sample_times(
    duration: float,
    *,
    every: float | None = None,
    count: int | None = None,
    at: Iterable[float] | None = None,
) -> list[float]:
    """The timestamps (seconds) a sampling request names, clipped to ``[0, duration)``.

    ``every``: 0, every, 2*every, ...; ``count``: evenly spaced centres of ``count`` equal parts.
    """
    if at is not None:
        return sorted(t for t in at if 0.0 <= t <= duration)
    if every is not None:
        if every <= 0:
            raise ValueError("every must be positive")
        n = math.floor(duration / every - 1e-9) + 1
        return [round(k * every, 6) for k in range(n)]
    if count is not None:
        if count <= 0:
            raise ValueError("count must be positive")
        return [round((k + 0.5) * duration / count, 6) for k in range(count)]
    raise ValueError("one of every, count or at is required")
