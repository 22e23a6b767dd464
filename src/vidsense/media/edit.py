"""Cutting clips and pulling audio out of videos (ffmpeg does the work). A cut that must be
exact is a one-clip render (:mod:`vidsense.media.render`); a stream copy is plain ffmpeg."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from vidsense.errors import CorruptMedia, InvalidArgument, ToolFailed
from vidsense.media.probe import MediaInfo, probe
from vidsense.media.tools import last_error_line, run_tool

log = logging.getLogger(__name__)

TrimMode = Literal["auto", "copy", "accurate"]
SPEECH_RATE = 16_000
"""Sample rate (Hz) of the mono audio handed to speech and audio-event models."""


@dataclass(frozen=True)
class Clip:
    """A trimmed clip: where it is, what was asked, and how it was cut."""

    path: Path
    start: float
    end: float
    method: Literal["copy", "reencode"]
    duration: float

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "start": self.start,
            "end": self.end,
            "method": self.method,
            "duration": round(self.duration, 3),
        }


def keyframe_before(path: Path, t: float) -> float | None:
    """Time (seconds) of the last video keyframe at or before ``t``, from packet flags only."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        base = float(stream.time_base or 0) or 1.0 / 90000
        origin = (container.start_time or 0) / 1_000_000
        container.seek(int((t + origin) / base), stream=stream, backward=True, any_frame=False)
        best: float | None = None
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            pt = packet.pts * base - origin
            if pt > t + 1e-6:
                break
            if packet.is_keyframe:
                best = pt
        return best


def trim(
    path: Path,
    start: float,
    end: float,
    out: Path,
    *,
    mode: TrimMode = "auto",
    info: MediaInfo | None = None,
) -> Clip:
    """Cut ``[start, end)`` seconds of ``path`` into ``out``.

    ``copy`` copies the streams (fast, lossless; the clip starts at the keyframe before
    ``start``), ``accurate`` re-encodes (duration within one frame of ``end - start``), ``auto``
    copies when ``start`` falls on a keyframe and the copied clip's length is within one frame
    of what was asked (B-frames can make a copied end overshoot), and re-encodes otherwise.
    """
    info = info or probe(path)
    if start < 0 or end <= start:
        raise InvalidArgument(f"need 0 <= start < end, got start={start:g}, end={end:g}")
    if start >= info.duration:
        raise InvalidArgument(
            f"start {start:g} s is past the end of the video ({info.duration:.3f} s)"
        )
    end = min(end, info.duration)
    frame = 1.0 / info.fps if info.fps else 0.04
    if mode == "copy":
        return _cut(path, start, end, out, "copy", fps=info.fps)
    if mode == "auto":
        key = keyframe_before(path, start)
        if key is not None and abs(key - start) < frame / 2:
            clip = _cut(path, start, end, out, "copy", fps=info.fps)
            if abs(clip.duration - (end - start)) <= frame + 1e-3:
                return clip
            log.info(
                "stream copy of %s ran %.3f s, not %.3f s: re-encoding",
                path.name,
                clip.duration,
                end - start,
            )
    return _cut(path, start, end, out, "reencode")


def _cut(
    path: Path,
    start: float,
    end: float,
    out: Path,
    method: Literal["copy", "reencode"],
    *,
    fps: float = 0.0,
) -> Clip:
    out.parent.mkdir(parents=True, exist_ok=True)
    if method == "reencode":
        return _render_cut(path, start, end, out)
    tmp = out.with_name(f".{out.stem}.part{out.suffix}")
    args = [
        "ffmpeg", "-v", "error", "-y", "-ss", f"{start:.6f}", "-i", str(path),
        "-t", f"{end - start:.6f}", "-map", "0:v:0", "-map", "0:a:0?",
        "-c", "copy", "-avoid_negative_ts", "make_zero",
    ]  # fmt: skip
    if fps:
        # With B-frames a copied cut by time alone overshoots by a few frames.
        args += ["-frames:v", str(max(1, round((end - start) * fps)))]
    args += ["-movflags", "+faststart", str(tmp)]
    proc = run_tool(args, timeout=max(60.0, (end - start) * 10))
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise ToolFailed(f"ffmpeg could not cut {path.name}: {last_error_line(proc.stderr)}")
    os.replace(tmp, out)
    return Clip(path=out, start=start, end=end, method=method, duration=probe(out).video_duration)


def _render_cut(path: Path, start: float, end: float, out: Path) -> Clip:
    """An exact cut: a one-clip timeline through the render engine (x264 ultrafast, CRF 18,
    the source's frame rate, sound kept), written as MP4 whatever ``out`` is called."""
    from vidsense.media.render import render

    spec = {
        "clips": [{"kind": "video", "source": str(path), "start": start, "end": end}],
        "output": {"codec": "h264", "preset": "ultrafast", "crf": 18},
    }
    rendered = out.with_name(f".{out.stem}.cut.mp4")
    try:
        result = render(spec, rendered)
        os.replace(rendered, out)
    finally:
        rendered.unlink(missing_ok=True)
    return Clip(path=out, start=start, end=end, method="reencode", duration=result.duration)


def extract_audio(
    path: Path, *, sample_rate: int = SPEECH_RATE, start: float = 0.0, end: float | None = None
) -> np.ndarray:
    """Mono float32 samples in [-1, 1] at ``sample_rate`` Hz; empty when there is no audio.
    A file cut short gives the audio that is there."""
    info = probe(path, allow_partial=True)
    if not info.has_audio:
        return np.zeros(0, dtype=np.float32)
    args = ["ffmpeg", "-v", "error", "-nostdin", "-ss", f"{start:.6f}", "-i", str(path)]
    if end is not None:
        args += ["-t", f"{max(0.0, end - start):.6f}"]
    args += ["-vn", "-ac", "1", "-ar", str(sample_rate), "-f", "s16le", "-acodec", "pcm_s16le", "-"]
    proc = run_tool(args, timeout=max(120.0, info.duration))
    if proc.returncode != 0 and not proc.stdout:
        raise CorruptMedia(
            f"cannot decode the audio of {path.name}: {last_error_line(proc.stderr)}"
        )
    samples = np.frombuffer(proc.stdout, dtype="<i2").astype(np.float32) / 32768.0
    return samples


def write_wav(samples: np.ndarray, out: Path, *, sample_rate: int = SPEECH_RATE) -> Path:
    """Write mono float samples as 16-bit PCM WAV."""
    import wave

    out.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return out
