"""Rendering a timeline spec into a video file: one ffmpeg run over one filter graph.

::

    RenderSpec ──check()──► Plan ──build_command()──► ffmpeg ──verify()──► RenderResult
    (timeline.py)  probes the files it names,      inputs + one filter   ffprobe of the output
                   names the field at fault,       graph + encoder args  against the Plan; a
                   lays clips on whole frames                            mismatch is an error

Every feature is a few nodes of the same graph, not a command of its own:

- each video clip is its own input, seeked before decoding (``-ss start -t span -i src``), so
  only the frames a clip shows (and those since the keyframe before it) are decoded; then
  ``setpts`` (speed) -> ``fps`` -> crop or pad to the output size -> exactly ``frames`` frames
  (``tpad`` + ``trim``); still images are fitted once, then looped; colour cards are ``color``
  sources;
- clips are concatenated; where a crossfade or a fade through black joins two, only the frames
  they share go through ``xfade`` (which blends in 4:4:4: sending whole clips through it would
  convert every frame twice), and their sound through ``acrossfade``;
- logos (``overlay``), text (``drawtext``) and burned subtitles (``ass``, so long lines wrap)
  are drawn on the joined picture; a soft subtitle track is another input;
- narration (espeak-ng speech or a file) is delayed to its time and mixed over the clips'
  sound, which a ``volume`` envelope ducks while a line is spoken.

Durations are whole output frames: clip boundaries on the output timeline are rounded to
frames once, cumulatively, so the whole output is within half a frame of the sum of the clips
minus the transition overlaps, and every audio clip is cut to the sample its frames end on.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from vidsense.errors import Cancelled, InvalidArgument, SourceNotFound, ToolFailed, VidsenseError
from vidsense.media.probe import MediaInfo, probe
from vidsense.media.subtitles import ass_colour, to_ass, to_srt, to_vtt
from vidsense.media.timeline import (
    DEFAULT_FONT,
    Anchor,
    ColorClip,
    FocusPoint,
    ImageClip,
    ImageOverlay,
    Motion,
    RenderSpec,
    TextOverlay,
    VideoClip,
    aspect_ratio,
    parse_colour,
    parse_spec,
)
from vidsense.media.tools import last_error_line, require_tool, run_tool

log = logging.getLogger(__name__)

AUDIO_RATE = 48_000
"""Sample rate (Hz) of rendered audio (stereo)."""

MOTION_ZOOM = 0.12
"""How much larger than the frame a moving still image is framed (0.12: 12 %)."""

DUCK_RAMP = 0.2
"""Seconds the clips' sound takes to duck under a narration line and to come back."""

RENDER_TIMEOUT = (300.0, 30.0)
"""A render is stopped after ``a + b * output seconds`` of wall time (a safety net: on 2 cores
a 720p render takes well under one second per output second)."""

Progress = Callable[[float], None]
"""Called with the fraction of the render done, 0 to 1."""

Resolver = Callable[[str], Path]
"""Turns a file the spec names (a clip's, logo's or narration's ``source``, a ``font``) into a
local path. The default takes it as a path; a service passes one that resolves video ids and
refuses anything else."""


@dataclass(frozen=True)
class FontFile:
    """A font file and the names libass knows it by."""

    path: Path
    family: str
    style: str

    @property
    def full_name(self) -> str:
        """``DejaVu Sans Bold``; just the family for a regular face."""
        if self.style.lower() in ("regular", "book", "normal", "roman"):
            return self.family
        return f"{self.family} {self.style}"


@dataclass(frozen=True)
class PlannedClip:
    """A clip laid on the output timeline. ``first_frame`` and ``frames`` count output frames;
    ``overlap`` is how many of them the transition into it shares with the clip before;
    ``start``/``source_end`` are seconds of the source the clip shows (0 for stills)."""

    index: int
    kind: Literal["video", "image", "color"]
    path: Path | None
    start: float
    source_end: float
    speed: float
    first_frame: int
    frames: int
    overlap: int
    transition: Literal["cut", "crossfade", "fade_black"]
    source_size: tuple[int, int]
    has_audio: bool
    volume: float = 1.0
    focus: tuple[FocusPoint, ...] = ()
    motion: Motion = "none"
    color: str = "black"

    @property
    def end_frame(self) -> int:
        return self.first_frame + self.frames


@dataclass(frozen=True)
class PlannedNarration:
    """A narration line: ``at`` and ``duration`` in output seconds; ``audio`` is the file
    mixed in (espeak-ng's WAV, or the given file)."""

    index: int
    at: float
    duration: float
    audio: Path
    volume: float


@dataclass(frozen=True)
class PlannedLogo:
    """An image overlay's file and the size (pixels) it is drawn at."""

    path: Path
    width: int
    height: int


@dataclass(frozen=True)
class Plan:
    """A spec checked against its files and laid on whole output frames."""

    spec: RenderSpec
    width: int
    height: int
    fps: Fraction
    clips: tuple[PlannedClip, ...]
    frames: int
    audio: bool
    narration: tuple[PlannedNarration, ...] = ()
    fonts: Mapping[str, FontFile] = field(default_factory=dict)
    logos: Mapping[int, PlannedLogo] = field(default_factory=dict)
    """Image overlays by their index in ``spec.overlays``."""

    @property
    def duration(self) -> float:
        """Output duration, seconds (whole frames)."""
        return float(self.frames / self.fps)

    @property
    def frame(self) -> float:
        """One output frame, seconds."""
        return float(1 / self.fps)

    def seconds(self, frames: int) -> float:
        return float(frames / self.fps)

    def output_time(self, clip: int, source_time: float) -> float:
        """Where ``source_time`` (seconds of clip ``clip``'s source; seconds since the clip
        starts for stills) lands on the output timeline."""
        c = self.clips[clip]
        return self.seconds(c.first_frame) + (source_time - c.start) / c.speed


@dataclass(frozen=True)
class RenderResult:
    """A rendered, probed file. Times are seconds, sizes pixels (``size`` bytes)."""

    path: Path
    duration: float
    frames: int
    width: int
    height: int
    fps: float
    codec: str
    audio: bool
    audio_duration: float | None
    subtitle_track: bool
    size: int
    elapsed: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "duration": round(self.duration, 3),
            "frames": self.frames,
            "width": self.width,
            "height": self.height,
            "fps": round(self.fps, 3),
            "codec": self.codec,
            "audio": self.audio,
            "audio_duration": round(self.audio_duration, 3) if self.audio_duration else None,
            "subtitle_track": self.subtitle_track,
            "size": self.size,
            "elapsed": round(self.elapsed, 3),
        }


# -- checking ----------------------------------------------------------------------------


def _default_resolve(source: str) -> Path:
    return Path(source).expanduser()


def _bad(param: str, message: str, *, code: str | None = None) -> InvalidArgument:
    return InvalidArgument(f"{param}: {message}", param=param, code=code)


def _local_file(resolve: Resolver, source: str, param: str) -> Path:
    try:
        path = resolve(source)
    except VidsenseError as e:
        raise _bad(param, e.message, code=e.code) from e
    if not path.is_file():
        raise _bad(param, f"no such file: {source}", code=SourceNotFound.code)
    return path


def _font(name: str | None, param: str, fonts: dict[str, FontFile], resolve: Resolver) -> FontFile:
    """The font a spec names (a font file, through ``resolve``), or DejaVu Sans Bold."""
    key = _font_key(name)
    if key in fonts:
        return fonts[key]
    if name is None:
        path = Path(DEFAULT_FONT)
        if not path.is_file():
            raise _bad(param, f"the default font {path} is missing (install fonts-dejavu-core)")
    else:
        try:
            path = resolve(name)
        except VidsenseError as e:
            raise _bad(param, e.message, code="font_not_found") from e
        if not path.is_file():
            raise _bad(param, f"no such font file: {name}", code="font_not_found")
    from PIL import ImageFont

    try:
        family, style = ImageFont.truetype(str(path), 12).getname()
    except OSError as e:
        raise _bad(param, f"{path.name} is not a font file TrueType or OpenType can read") from e
    found = FontFile(path, family or path.stem, style or "Regular")
    fonts[key] = found
    return found


def _image_size(path: Path, param: str) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError) as e:
        raise _bad(param, f"{path.name} is not an image (PNG, JPEG, WebP, ...)") from e
    return int(width), int(height)


def _fps(value: float) -> Fraction:
    """A frame rate as a fraction: 29.97 -> 30000/1001, 25 -> 25."""
    return Fraction(value).limit_denominator(1001)


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def _output_size(spec: RenderSpec, first: tuple[int, int], yuv: bool) -> tuple[int, int]:
    out = spec.output
    width, height = out.width, out.height
    if out.aspect is not None:
        aw, ah = aspect_ratio(out.aspect)
        if width is not None and height is not None:
            if abs(width / height - aw / ah) > 0.01:
                raise _bad(
                    "output.aspect",
                    f"{out.aspect} disagrees with width {width} and height {height}; "
                    "give two of the three",
                )
        elif width is not None:
            height = round(width * ah / aw)
        elif height is not None:
            width = round(height * aw / ah)
        else:
            sw, sh = first
            # Keep as much of the first clip as the aspect allows (crop) or all of it (pad).
            inside = (sw / sh > aw / ah) == (out.fit == "crop")
            if inside:
                width, height = round(sh * aw / ah), sh
            else:
                width, height = sw, round(sw * ah / aw)
            if yuv:
                width, height = _even(width), _even(height)
    elif width is None and height is None:
        width, height = first
        if yuv:
            width, height = _even(width), _even(height)
    elif width is None:
        assert height is not None
        width = round(height * first[0] / first[1])
        if yuv:
            width = _even(width)
    elif height is None:
        height = round(width * first[1] / first[0])
        if yuv:
            height = _even(height)
    assert width is not None and height is not None
    for name, value in (("width", width), ("height", height)):
        if not 16 <= value <= 8192:
            raise _bad(f"output.{name}", f"{value} px is outside 16 to 8192")
        if yuv and value % 2:
            raise _bad(
                f"output.{name}",
                f"{value} px is odd; {spec.output.codec} stores colour at half resolution, so "
                "the size must be even",
            )
    if width * height > 8192 * 4320:
        raise _bad("output.width", f"{width}x{height} is more pixels than 8K (8192x4320)")
    return width, height


def _speech(text: str, voice: str, rate: int) -> bytes:
    """espeak-ng's WAV bytes for ``text``."""
    binary = require_tool("espeak-ng")
    try:
        proc = subprocess.run(
            [binary, "-v", voice, "-s", str(rate), "--stdout", text],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise ToolFailed("espeak-ng took longer than 120 s") from e
    if proc.returncode != 0 or not proc.stdout:
        raise InvalidArgument(
            f"espeak-ng could not speak with voice {voice!r}: {last_error_line(proc.stderr)}",
            param="audio.narration.voice",
        )
    return proc.stdout


def _fix_wav(data: bytes) -> tuple[bytes, float]:
    """espeak-ng's ``--stdout`` WAV with a true header (it streams one with placeholder sizes,
    which ffmpeg then reads as corrupt), and its duration in seconds."""
    with wave.open(io.BytesIO(data)) as w:
        rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
    pcm = data[44:]
    pcm = pcm[: len(pcm) - len(pcm) % (width * channels)]
    fixed = io.BytesIO()
    with wave.open(fixed, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(pcm)
    return fixed.getvalue(), float(len(pcm)) / float(rate * width * channels)


def speak(text: str, *, voice: str = "en-us", rate: int = 160) -> tuple[bytes, float]:
    """espeak-ng speaking ``text`` (``rate`` words per minute): a WAV file's bytes and how
    long it lasts, seconds. An unknown voice raises
    :class:`~vidsense.errors.InvalidArgument`."""
    return _fix_wav(_speech(text, voice, rate))


def audio_duration(path: Path) -> float:
    """Duration (seconds) of the first audio stream of a file, from ffprobe; a file with no
    sound ffmpeg can read raises :class:`~vidsense.errors.InvalidArgument`."""
    proc = run_tool(
        [
            "ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
            "stream=duration:format=duration", "-of", "json", str(path),
        ],
        timeout=60,
    )  # fmt: skip
    data = json.loads(proc.stdout or b"{}") if proc.returncode == 0 else {}
    streams = data.get("streams") or []
    if not streams:
        reason = last_error_line(proc.stderr) if proc.returncode else "it has no sound"
        raise InvalidArgument(f"{path.name} is not an audio file ffmpeg can read: {reason}")
    seconds = streams[0].get("duration") or data.get("format", {}).get("duration")
    return float(seconds or 0.0)


def check(
    spec: RenderSpec | Mapping[str, Any] | str,
    *,
    resolve: Resolver | None = None,
    work: Path | None = None,
) -> Plan:
    """Check a spec against the files it names and lay it on whole output frames.

    Every problem raises :class:`~vidsense.errors.InvalidArgument` whose ``param`` names the
    field (``clips[2].end``, ``overlays[0].font``, ``output.width``). Narration text is spoken
    once here (espeak-ng takes ~50 ms a sentence) to learn how long it lasts; the WAVs are
    kept in ``work`` when given (:func:`render` passes its working folder) and thrown away
    otherwise.
    """
    spec = parse_spec(spec)
    resolve = resolve or _default_resolve
    out = spec.output
    infos, sizes, paths = _open_clips(spec, resolve)
    fps = _output_fps(spec, next((infos[i] for i in sorted(infos)), None))
    first_size = next((sizes[i] for i in sorted(sizes)), None) or (1280, 720)
    width, height = _output_size(spec, first_size, out.codec in ("h264", "vp9"))
    _check_crf(spec)
    clips = _lay_out(spec, fps, infos, sizes, paths)
    frames = clips[-1].end_frame
    total, frame = float(frames / fps), float(1 / fps)
    fonts: dict[str, FontFile] = {}
    logos = _check_overlays(spec, width, height, total, frame, fonts, resolve)
    _check_subtitles(spec, total, frame, fonts, resolve)
    narration = _plan_narration(spec, total, frame, resolve, work)
    has_audio = out.codec in ("h264", "vp9") and (
        bool(narration) or (spec.audio.source == "keep" and any(c.has_audio for c in clips))
    )
    return Plan(
        spec=spec,
        width=width,
        height=height,
        fps=fps,
        clips=tuple(clips),
        frames=frames,
        audio=has_audio,
        narration=tuple(narration),
        fonts=fonts,
        logos=logos,
    )


def _open_clips(
    spec: RenderSpec, resolve: Resolver
) -> tuple[dict[int, MediaInfo], dict[int, tuple[int, int]], dict[int, Path]]:
    """Each video clip's probe, each clip's picture size (as displayed) and file, by index."""
    infos: dict[int, MediaInfo] = {}
    sizes: dict[int, tuple[int, int]] = {}
    paths: dict[int, Path] = {}
    probed: dict[Path, MediaInfo] = {}
    for i, clip in enumerate(spec.clips):
        if isinstance(clip, VideoClip):
            path = _local_file(resolve, clip.source, f"clips[{i}].source")
            if path not in probed:
                try:
                    probed[path] = probe(path)
                except VidsenseError as e:
                    raise _bad(f"clips[{i}].source", e.message, code=e.code) from e
            infos[i], paths[i] = probed[path], path
            sizes[i] = probed[path].display_size
        elif isinstance(clip, ImageClip):
            paths[i] = _local_file(resolve, clip.source, f"clips[{i}].source")
            sizes[i] = _image_size(paths[i], f"clips[{i}].source")
    return infos, sizes, paths


def _output_fps(spec: RenderSpec, first_video: MediaInfo | None) -> Fraction:
    """The asked rate, or the first video clip's (at most 60 fps; 15 for GIF and WebP), or 30
    (15 for GIF and WebP)."""
    out = spec.output
    animation = out.codec in ("gif", "webp")
    if out.fps is not None:
        fps = _fps(out.fps)
    elif first_video is not None and first_video.fps > 0:
        fps = min(_fps(min(first_video.fps, 60.0)), Fraction(15) if animation else Fraction(60))
    else:
        fps = Fraction(15) if animation else Fraction(30)
    if out.codec == "gif" and fps > 50:
        # GIF counts delays in hundredths of a second, and players slow faster ones down.
        raise _bad("output.fps", f"{float(fps):g} fps is too fast for a GIF (at most 50)")
    return fps


def _check_overlays(
    spec: RenderSpec,
    width: int,
    height: int,
    total: float,
    frame: float,
    fonts: dict[str, FontFile],
    resolve: Resolver,
) -> dict[int, PlannedLogo]:
    """Overlay times inside the output, positions inside the frame, fonts and images readable;
    the image overlays' files and drawn sizes by index."""
    logos: dict[int, PlannedLogo] = {}
    for i, overlay in enumerate(spec.overlays):
        where = f"overlays[{i}]"
        if overlay.start >= total:
            raise _bad(f"{where}.start", f"{overlay.start:g} s is past the end ({total:.3f} s)")
        if overlay.end is not None and overlay.end > total + frame / 2:
            raise _bad(f"{where}.end", f"{overlay.end:g} s is past the end ({total:.3f} s)")
        for axis, value, limit in (("x", overlay.x, width), ("y", overlay.y, height)):
            if value is not None and not -limit < value < limit:
                raise _bad(f"{where}.{axis}", f"{value} px puts it outside the {limit} px frame")
        if isinstance(overlay, TextOverlay):
            _font(overlay.font, f"{where}.font", fonts, resolve)
            continue
        path = _local_file(resolve, overlay.source, f"{where}.source")
        lw, lh = _image_size(path, f"{where}.source")
        if overlay.scale is not None:
            target = max(1, round(width * overlay.scale))
            lw, lh = target, max(1, round(lh * target / lw))
        if lw > width or lh > height:
            raise _bad(f"{where}.scale", f"the image ({lw}x{lh}) is larger than the frame")
        logos[i] = PlannedLogo(path, lw, lh)
    return logos


def _check_subtitles(
    spec: RenderSpec, total: float, frame: float, fonts: dict[str, FontFile], resolve: Resolver
) -> None:
    """Lines in order, not overlapping, inside the output; a font to burn them with; a
    container that can carry a track."""
    subs = spec.subtitles
    if subs is None:
        return
    codec = spec.output.codec
    if subs.mode == "track" and codec in ("gif", "webp"):
        raise _bad("subtitles.mode", f"a {codec} file cannot carry a subtitle track; burn them")
    if subs.mode == "burn":
        _font(subs.font, "subtitles.font", fonts, resolve)
    previous_end = 0.0
    for i, line in enumerate(subs.lines):
        if line.start < previous_end - 1e-6:
            raise _bad(
                f"subtitles.lines[{i}].start",
                f"{line.start:g} s overlaps the line before, which ends at {previous_end:g} s "
                "(lines must be in order and not overlap)",
            )
        if line.end > total + frame / 2:
            raise _bad(
                f"subtitles.lines[{i}].end", f"{line.end:g} s is past the end ({total:.3f} s)"
            )
        previous_end = line.end


def _check_crf(spec: RenderSpec) -> None:
    out = spec.output
    limit = {"h264": 51, "vp9": 63, "webp": 63, "gif": 63}[out.codec]
    if out.crf is not None and out.crf > limit:
        raise _bad("output.crf", f"{out.crf} is outside 0 to {limit} for {out.codec}")
    if out.crf is not None and out.codec == "gif":
        raise _bad("output.crf", "a GIF has no quality setting (it uses a 256-colour palette)")


def _lay_out(
    spec: RenderSpec,
    fps: Fraction,
    infos: Mapping[int, MediaInfo],
    sizes: Mapping[int, tuple[int, int]],
    paths: Mapping[int, Path],
) -> list[PlannedClip]:
    """Clip durations and transitions checked, and boundaries rounded to whole frames."""
    durations: list[float] = []
    for i, clip in enumerate(spec.clips):
        if isinstance(clip, VideoClip):
            info = infos[i]
            frame = 1.0 / info.fps if info.fps else 0.04
            if clip.start >= info.duration:
                raise _bad(
                    f"clips[{i}].start",
                    f"{clip.start:g} s is past the end of the video ({info.duration:.3f} s)",
                )
            end = info.duration if clip.end is None else clip.end
            if end > info.duration + frame / 2:
                raise _bad(
                    f"clips[{i}].end",
                    f"{end:g} s is past the end of the video ({info.duration:.3f} s)",
                )
            end = min(end, info.duration)
            durations.append((end - clip.start) / clip.speed)
        else:
            durations.append(clip.duration)

    overlaps = [c.transition.overlap for c in spec.clips]
    if spec.clips[0].transition.kind != "cut":
        raise _bad("clips[0].transition.kind", "the first clip has nothing to transition from")
    for i in range(1, len(durations)):
        t = overlaps[i]
        if t > min(durations[i - 1], durations[i]) + 1e-9:
            raise _bad(
                f"clips[{i}].transition.duration",
                f"{t:g} s is longer than the clip{' before' if durations[i - 1] < t else ''} "
                f"({min(durations[i - 1], durations[i]):.3f} s)",
            )
        if i + 1 < len(durations) and t + overlaps[i + 1] > durations[i] + 1e-9:
            raise _bad(
                f"clips[{i + 1}].transition.duration",
                f"the transitions into and out of clips[{i}] ({t:g} s + {overlaps[i + 1]:g} s) "
                f"overlap: the clip lasts {durations[i]:.3f} s",
            )

    planned: list[PlannedClip] = []
    start_exact = 0.0
    previous_end = 0
    for i, clip in enumerate(spec.clips):
        start_exact -= overlaps[i]
        first = round(start_exact * fps)
        end_exact = start_exact + durations[i]
        last = round(end_exact * fps)
        overlap = previous_end - first if i else 0
        if last - first < 1:
            raise _bad(f"clips[{i}]", f"lasts less than one output frame ({float(1 / fps):.3f} s)")
        if clip.transition.kind != "cut" and i and overlap < 1:
            raise _bad(f"clips[{i}].transition.duration", "is shorter than one output frame")
        frames = last - first
        if isinstance(clip, VideoClip):
            info = infos[i]
            planned.append(
                PlannedClip(
                    index=i,
                    kind="video",
                    path=paths[i],
                    start=clip.start,
                    source_end=clip.start + float(frames / fps) * clip.speed,
                    speed=clip.speed,
                    first_frame=first,
                    frames=frames,
                    overlap=overlap,
                    transition=clip.transition.kind,
                    source_size=sizes[i],
                    has_audio=info.has_audio,
                    volume=clip.volume,
                    focus=tuple(clip.focus),
                )
            )
        else:
            planned.append(
                PlannedClip(
                    index=i,
                    kind=clip.kind,
                    path=paths.get(i),
                    start=0.0,
                    source_end=float(frames / fps),
                    speed=1.0,
                    first_frame=first,
                    frames=frames,
                    overlap=overlap,
                    transition=clip.transition.kind,
                    source_size=sizes.get(i, (0, 0)),
                    has_audio=False,
                    focus=(clip.focus,) if isinstance(clip, ImageClip) and clip.focus else (),
                    motion=clip.motion if isinstance(clip, ImageClip) else "none",
                    color=clip.color if isinstance(clip, ColorClip) else "black",
                )
            )
        start_exact = end_exact
        previous_end = last
    return planned


def _plan_narration(
    spec: RenderSpec, total: float, frame: float, resolve: Resolver, work: Path | None
) -> list[PlannedNarration]:
    lines = spec.audio.narration
    if not lines:
        return []
    if spec.output.codec in ("gif", "webp"):
        raise _bad("audio.narration", f"a {spec.output.codec} file has no sound")
    own_work = work is None
    folder = Path(tempfile.mkdtemp(prefix="vidsense-narration-")) if work is None else work
    try:
        planned: list[PlannedNarration] = []
        for i, line in enumerate(lines):
            where = f"audio.narration[{i}]"
            if line.at >= total:
                raise _bad(f"{where}.at", f"{line.at:g} s is past the end ({total:.3f} s)")
            if line.text is not None:
                try:
                    data = _speech(line.text, line.voice, line.rate)
                except InvalidArgument as e:
                    raise _bad(f"{where}.voice", e.message) from e
                data, duration = _fix_wav(data)
                path = folder / f"narration{i}.wav"
                path.write_bytes(data)
            else:
                assert line.source is not None
                path = _local_file(resolve, line.source, f"{where}.source")
                try:
                    duration = audio_duration(path)
                except InvalidArgument as e:
                    raise _bad(f"{where}.source", e.message) from e
            if line.at + duration > total + frame:
                raise _bad(
                    f"{where}.at",
                    f"the narration lasts {duration:.2f} s, so from {line.at:g} s it runs past "
                    f"the end of the {total:.3f} s video",
                )
            if planned and line.at < planned[-1].at + planned[-1].duration:
                before = planned[-1]
                raise _bad(
                    f"{where}.at",
                    f"{line.at:g} s overlaps narration[{i - 1}], which speaks until "
                    f"{before.at + before.duration:.2f} s",
                )
            planned.append(PlannedNarration(i, line.at, duration, path, line.volume))
        return planned
    finally:
        if own_work:
            shutil.rmtree(folder, ignore_errors=True)


# -- the filter graph ------------------------------------------------------------------


def _num(value: float) -> str:
    """A number for a filter argument (no exponent, no trailing zeros)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _ff_colour(text: str) -> str:
    r, g, b, alpha = parse_colour(text)
    return f"0x{r:02x}{g:02x}{b:02x}@{_num(alpha)}"


def _lerp_expression(points: Sequence[tuple[float, float]]) -> str:
    """A piecewise-linear function of ``t`` through ``(t, value)`` points (held flat before the
    first and after the last), as an ffmpeg expression."""
    if len(points) == 1:
        return _num(round(points[0][1]))
    expression = _num(round(points[-1][1]))
    for (t0, v0), (t1, v1) in reversed(list(itertools.pairwise(points))):
        slope = (v1 - v0) / (t1 - t0) if t1 > t0 else 0.0
        piece = f"{_num(v0)}+({_num(slope)})*(t-{_num(t0)})"
        expression = f"if(lt(t\\,{_num(t1)})\\,{piece}\\,{expression})"
    return f"if(lt(t\\,{_num(points[0][0])})\\,{_num(points[0][1])}\\,{expression})"


def _fit(plan: Plan, clip: PlannedClip, width: int, height: int) -> list[str]:
    """Filters that bring a ``clip.source_size`` picture to ``width`` x ``height``: crop to the
    aspect around the focus then scale, or scale to fit then pad."""
    sw, sh = clip.source_size
    out = plan.spec.output
    if (sw, sh) == (width, height):
        return ["setsar=1"]
    if out.fit == "pad":
        scale = min(width / sw, height / sh)
        fw, fh = min(width, _even(sw * scale)), min(height, _even(sh * scale))
        return [
            f"scale={fw}:{fh}:flags=bicubic",
            f"pad={width}:{height}:{(width - fw) // 2}:{(height - fh) // 2}:"
            f"color={_ff_colour(out.pad_color)}",
            "setsar=1",
        ]
    scale = max(width / sw, height / sh)
    cw, ch = min(sw, round(width / scale)), min(sh, round(height / scale))
    filters: list[str] = []
    if (cw, ch) != (sw, sh):
        points = [((p.time - clip.start) / clip.speed, p.x, p.y) for p in clip.focus] or [
            (0.0, 0.5, 0.5)
        ]
        xs = [(t, min(max(x * sw - cw / 2, 0.0), sw - cw)) for t, x, _ in points]
        ys = [(t, min(max(y * sh - ch / 2, 0.0), sh - ch)) for t, _, y in points]
        filters.append(f"crop={cw}:{ch}:{_lerp_expression(xs)}:{_lerp_expression(ys)}")
    if (cw, ch) != (width, height):
        filters.append(f"scale={width}:{height}:flags=bicubic")
    filters.append("setsar=1")
    return filters


def _motion(motion: Motion, width: int, height: int, seconds: float) -> list[str]:
    """Filters that move over a still framed at ``(1 + MOTION_ZOOM)`` times the output size
    (see :func:`_still_size`) for ``seconds``, ending at ``width`` x ``height``."""
    p = f"min(t/{_num(seconds)}\\,1)"
    if motion in ("zoom_in", "zoom_out"):
        grow = p if motion == "zoom_in" else f"(1-{p})"
        return [
            f"scale=w='2*trunc({width}*(1+{MOTION_ZOOM}*{grow})/2)'"
            f":h='2*trunc({height}*(1+{MOTION_ZOOM}*{grow})/2)':eval=frame:flags=bicubic",
            f"crop={width}:{height}",
        ]
    x, y = "(iw-ow)/2", "(ih-oh)/2"
    if motion == "pan_left":
        x = f"(iw-ow)*(1-{p})"
    elif motion == "pan_right":
        x = f"(iw-ow)*{p}"
    elif motion == "pan_up":
        y = f"(ih-oh)*(1-{p})"
    elif motion == "pan_down":
        y = f"(ih-oh)*{p}"
    return [f"crop={width}:{height}:'{x}':'{y}'"]


def _still_size(motion: Motion, width: int, height: int) -> tuple[int, int]:
    """The size a still is framed at: the output's, or larger by ``MOTION_ZOOM`` to move in."""
    if motion == "none":
        return width, height
    return _even(width * (1 + MOTION_ZOOM)), _even(height * (1 + MOTION_ZOOM))


def _tempo(speed: float) -> list[str]:
    """``atempo`` filters for a speed (each takes 0.5 to 100; slower speeds chain two)."""
    if abs(speed - 1.0) < 1e-9:
        return []
    if speed < 0.5:
        root = math.sqrt(speed)
        return [f"atempo={_num(root)}", f"atempo={_num(root)}"]
    return [f"atempo={_num(speed)}"]


def _place(
    overlay: TextOverlay | ImageOverlay, w: str, h: str, big_w: str, big_h: str
) -> tuple[str, str]:
    """x and y of the top-left corner of something ``w`` x ``h`` placed as ``overlay`` says in
    a ``big_w`` x ``big_h`` frame (filter expressions)."""
    anchor: Anchor = overlay.position
    margin = overlay.margin
    column = "center" if anchor in ("top", "center", "bottom") else anchor.split("-")[-1]
    row = "center" if anchor in ("left", "center", "right") else anchor.split("-")[0]
    xs = {"left": f"{margin}", "center": f"({big_w}-{w})/2", "right": f"{big_w}-{w}-{margin}"}
    ys = {"top": f"{margin}", "center": f"({big_h}-{h})/2", "bottom": f"{big_h}-{h}-{margin}"}
    x = str(overlay.x) if overlay.x is not None else xs[column]
    y = str(overlay.y) if overlay.y is not None else ys[row]
    return x, y


def _enable(start: float, end: float | None) -> str:
    if end is None:
        return f"gte(t\\,{_num(start)})"
    return f"gte(t\\,{_num(start)})*lt(t\\,{_num(end)})"


class _Graph:
    """Builds one ffmpeg command: inputs in order, filter chains joined into one graph.

    Each ``*_chain`` method adds the nodes of one part of the timeline and returns the label of
    its output pad (``[v3]``); :meth:`command` writes the graph script and the encoder
    arguments. Helper files (text, subtitles, linked fonts) go in ``work``, a folder with a
    plain path, so that no filter argument needs escaping.
    """

    def __init__(self, plan: Plan, work: Path) -> None:
        self.plan = plan
        self.work = work
        self.inputs: list[list[str]] = []
        self.chains: list[str] = []
        fps = plan.fps
        self.rate = f"{fps.numerator}/{fps.denominator}"
        self.frame_tb = f"{fps.denominator}/{fps.numerator}"
        self.program_audio = plan.audio and plan.spec.audio.source == "keep"
        self.fonts = _link_fonts(plan, work)

    def input(self, *args: str) -> int:
        self.inputs.append(list(args))
        return len(self.inputs) - 1

    def chain(self, source: str, filters: Sequence[str], label: str) -> str:
        self.chains.append(f"{source}{','.join(filters) or 'null'}[{label}]")
        return f"[{label}]"

    def samples(self, frame: int) -> int:
        """The audio sample output frame ``frame`` starts on."""
        return round(frame * AUDIO_RATE / self.plan.fps)

    def silence(self, count: int, label: str) -> str:
        return self.chain(
            "",
            [
                f"anullsrc=r={AUDIO_RATE}:cl=stereo",
                "aformat=sample_fmts=fltp:channel_layouts=stereo",
                f"atrim=end_sample={count}",
            ],
            label,
        )

    # -- clips -------------------------------------------------------------------------

    def clip_chains(self, c: PlannedClip) -> tuple[str, str]:
        """``[v<i>]`` with exactly ``c.frames`` frames at the output size and rate, and
        ``[a<i>]`` with the samples those frames span (empty when the output has no sound
        from the clips)."""
        plan, fps = self.plan, self.plan.fps
        w, h = plan.width, plan.height
        exact = ["tpad=stop_mode=clone:stop_duration=2", f"trim=end_frame={c.frames}"]
        count = self.samples(c.end_frame) - self.samples(c.first_frame)
        audio = ""
        if c.kind == "video":
            assert c.path is not None
            span = float((c.frames + 2) / fps) * c.speed
            seek = ["-ss", _num(c.start)] if c.start > 0 else []
            k = self.input(*seek, "-t", _num(span), "-i", str(c.path))
            speed = "" if c.speed == 1.0 else f"/{_num(c.speed)}"
            filters = [f"setpts=(PTS-STARTPTS){speed}", f"fps={self.rate}", *_fit(plan, c, w, h)]
            video = self.chain(f"[{k}:v:0]", [*filters, "format=yuv420p", *exact], f"v{c.index}")
            if self.program_audio and c.has_audio:
                volume = [f"volume={_num(c.volume)}"] if c.volume != 1.0 else []
                audio = self.chain(
                    f"[{k}:a:0]",
                    [
                        "asetpts=PTS-STARTPTS",
                        f"aresample={AUDIO_RATE}",
                        *_tempo(c.speed),
                        *volume,
                        "aformat=sample_fmts=fltp:channel_layouts=stereo",
                        "apad",
                        f"atrim=end_sample={count}",
                    ],
                    f"a{c.index}",
                )
        elif c.kind == "image":
            assert c.path is not None
            k = self.input("-i", str(c.path))
            sw, sh = _still_size(c.motion, w, h)
            motion = [] if c.motion == "none" else _motion(c.motion, w, h, plan.seconds(c.frames))
            # The still is fitted once, then repeated: scaling runs on one picture, not on
            # every frame (unless it moves).
            filters = [
                "trim=end_frame=1",
                *_fit(plan, c, sw, sh),
                "format=yuv420p",
                f"loop=loop={c.frames + 1}:size=1:start=0",
                f"setpts=N*{fps.denominator}/{fps.numerator}/TB",
                *motion,
                "setsar=1",
                f"fps={self.rate}",
                "format=yuv420p",
            ]
            video = self.chain(f"[{k}:v:0]", [*filters, *exact], f"v{c.index}")
        else:
            seconds = _num(plan.seconds(c.frames + 2))
            card = f"color=c={_ff_colour(c.color)}:s={w}x{h}:r={self.rate}:d={seconds}"
            video = self.chain("", [card, "format=yuv420p", "setsar=1", *exact], f"v{c.index}")
        if self.program_audio and not audio:
            audio = self.silence(count, f"a{c.index}")
        return video, audio

    def timeline(self) -> tuple[str, str]:
        """Every clip joined into one picture and one sound track.

        Video: each clip is split into the frames a transition shares with its neighbours
        (head, tail) and the frames it shows alone (body); only the overlaps go through
        ``xfade`` (which works in 4:4:4, so every frame through it would be converted twice),
        and bodies and blended overlaps are concatenated in order. Sound: each clip is
        appended to the track so far, by ``concat`` after a cut or ``acrossfade``.
        """
        clips = self.plan.clips
        segments: list[str] = []
        audio = ""
        tail = ""
        for c in clips:
            video, clip_audio = self.clip_chains(c)
            head = c.overlap if c.index and c.transition != "cut" else 0
            after = clips[c.index + 1] if c.index + 1 < len(clips) else None
            tail_frames = after.overlap if after is not None and after.transition != "cut" else 0
            body = c.frames - head - tail_frames
            parts = [
                (name, start, end)
                for name, start, end in (
                    ("h", 0, head),
                    ("b", head, head + body),
                    ("t", head + body, c.frames),
                )
                if end > start
            ]
            pads = self._split(video, c.index, parts)
            if head:
                kind = "fade" if c.transition == "crossfade" else "fadeblack"
                segments.append(
                    self.chain(
                        f"{tail}{pads['h']}",
                        [
                            f"xfade=transition={kind}:duration={_num(self.plan.seconds(head))}"
                            ":offset=0",
                            "format=yuv420p",
                        ],
                        f"x{c.index}",
                    )
                )
            if body:
                segments.append(pads["b"])
            tail = pads.get("t", "")
            if not self.program_audio:
                continue
            if not audio:
                audio = clip_audio
            elif c.transition == "cut":
                audio = self.chain(f"{audio}{clip_audio}", ["concat=n=2:v=0:a=1"], f"ja{c.index}")
            else:
                start = self.samples(c.first_frame)
                overlap = self.samples(c.first_frame + c.overlap) - start
                audio = self.chain(
                    f"{audio}{clip_audio}",
                    [f"acrossfade=ns={overlap}:c1=tri:c2=tri"],
                    f"ja{c.index}",
                )
        if len(segments) == 1:
            return segments[0], audio
        # concat counts time in microseconds: back to one tick a frame.
        video = self.chain(
            "".join(segments),
            [f"concat=n={len(segments)}:v=1:a=0", f"settb={self.frame_tb}", "format=yuv420p"],
            "joined",
        )
        return video, audio

    def _split(
        self, video: str, index: int, parts: Sequence[tuple[str, int, int]]
    ) -> dict[str, str]:
        """Pads for the ``(name, start_frame, end_frame)`` parts of a clip's frames."""
        if len(parts) == 1 and parts[0][1] == 0:
            return {parts[0][0]: video}
        names = "][".join(f"{name}{index}" for name, _, _ in parts)
        self.chain(video, [f"split={len(parts)}"], names)
        return {
            name: self.chain(
                f"[{name}{index}]",
                [f"trim=start_frame={start}:end_frame={end}", "setpts=PTS-STARTPTS"],
                f"{name}{index}p",
            )
            for name, start, end in parts
        }

    # -- on top of the picture -----------------------------------------------------------

    def overlay_chains(self, video: str) -> str:
        """Logos and text drawn in the order the spec lists them."""
        for i, overlay in enumerate(self.plan.spec.overlays):
            enable = _enable(overlay.start, overlay.end)
            if isinstance(overlay, ImageOverlay):
                logo = self.plan.logos[i]
                k = self.input("-i", str(logo.path))
                prepared = [
                    "trim=end_frame=1",
                    f"scale={logo.width}:{logo.height}:flags=bicubic",
                    "format=rgba",
                ]
                if overlay.opacity < 1.0:
                    prepared.append(f"colorchannelmixer=aa={_num(overlay.opacity)}")
                pad = self.chain(f"[{k}:v:0]", prepared, f"logo{i}")
                x, y = _place(overlay, str(logo.width), str(logo.height), "main_w", "main_h")
                video = self.chain(
                    f"{video}{pad}",
                    [f"overlay=x={x}:y={y}:eof_action=repeat:enable='{enable}'"],
                    f"ov{i}",
                )
                continue
            text_file = self.work / f"text{i}.txt"
            text_file.write_text(overlay.text.strip("\n"), encoding="utf-8")
            x, y = _place(overlay, "text_w", "text_h", "w", "h")
            args = [
                f"fontfile={self.fonts[_font_key(overlay.font)]}",
                f"textfile={text_file}",
                "expansion=none",
                f"fontsize={overlay.size}",
                f"fontcolor={_ff_colour(overlay.color)}",
                f"x={x}",
                f"y={y}",
                f"enable='{enable}'",
            ]
            if overlay.box:
                args += [
                    "box=1",
                    f"boxcolor={_ff_colour(overlay.box_color)}",
                    f"boxborderw={max(4, overlay.size // 5)}",
                ]
            video = self.chain(video, ["drawtext=" + ":".join(args)], f"tx{i}")
        return video

    def subtitle_chains(self, video: str) -> tuple[str, int | None]:
        """Burned subtitles drawn over ``video``, or the input index of a soft track."""
        subs = self.plan.spec.subtitles
        if subs is None:
            return video, None
        if subs.mode == "track":
            webm = self.plan.spec.output.codec == "vp9"
            track = self.work / ("subtitles.vtt" if webm else "subtitles.srt")
            track.write_text(to_vtt(subs.lines) if webm else to_srt(subs.lines), encoding="utf-8")
            return video, self.input("-i", str(track))
        font = self.plan.fonts[_font_key(subs.font)]
        script = self.work / "subtitles.ass"
        script.write_text(
            to_ass(
                subs.lines,
                width=self.plan.width,
                height=self.plan.height,
                font_name=font.full_name,
                size=subs.size,
                colour=ass_colour(*parse_colour(subs.color)),
                outline_colour=ass_colour(*parse_colour(subs.outline_color)),
                position=subs.position,
                margin=subs.margin,
            ),
            encoding="utf-8",
        )
        return self.chain(video, [f"ass={script}:fontsdir={self.work / 'fonts'}"], "subs"), None

    # -- sound -------------------------------------------------------------------------

    def audio_out(self, program: str) -> None:
        """``[aout]``: the clips' sound (or silence), ducked under the narration and mixed
        with it, cut to the sample the last frame ends on."""
        plan = self.plan
        total = self.samples(plan.frames)
        base = program or self.silence(total, "silence")
        if not plan.narration:
            self.chain(base, [f"atrim=end_sample={total}"], "aout")
            return
        duck = plan.spec.audio.duck
        if program and duck < 1.0:
            self_ramp = _num(DUCK_RAMP)
            shapes = [
                f"clip((t-{_num(n.at - DUCK_RAMP)})/{self_ramp}\\,0\\,1)"
                f"*clip(({_num(n.at + n.duration + DUCK_RAMP)}-t)/{self_ramp}\\,0\\,1)"
                for n in plan.narration
            ]
            inside = shapes[0]
            for shape in shapes[1:]:
                inside = f"max({inside}\\,{shape})"
            base = self.chain(
                base, [f"volume=volume='1-{_num(1.0 - duck)}*{inside}':eval=frame"], "ducked"
            )
        voices = []
        for n in plan.narration:
            k = self.input("-i", str(n.audio))
            volume = [f"volume={_num(n.volume)}"] if n.volume != 1.0 else []
            voices.append(
                self.chain(
                    f"[{k}:a:0]",
                    [
                        f"aresample={AUDIO_RATE}",
                        "aformat=sample_fmts=fltp:channel_layouts=stereo",
                        *volume,
                        f"adelay=delays={round(n.at * AUDIO_RATE)}S:all=1",
                    ],
                    f"voice{n.index}",
                )
            )
        self.chain(
            base + "".join(voices),
            [
                f"amix=inputs={1 + len(voices)}:duration=first:dropout_transition=0:normalize=0",
                f"atrim=end_sample={total}",
            ],
            "aout",
        )

    # -- the command -------------------------------------------------------------------

    def command(self, out: Path) -> list[str]:
        plan = self.plan
        video, audio = self.timeline()
        video = self.overlay_chains(video)
        video, track = self.subtitle_chains(video)
        if plan.spec.output.codec == "gif":
            # One palette for the whole animation, from the frames themselves.
            self.chain(video, ["split"], "g1][g2")
            self.chain("[g1]", ["palettegen=stats_mode=diff"], "palette")
            self.chain(
                "[g2][palette]",
                ["paletteuse=dither=bayer:bayer_scale=3:diff_mode=rectangle"],
                "vout",
            )
        else:
            self.chain(video, ["format=yuv420p"], "vout")
        if plan.audio:
            self.audio_out(audio)
        script = self.work / "graph.txt"
        script.write_text(";\n".join(self.chains), encoding="utf-8")
        args = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y"]
        for input_args in self.inputs:
            args += input_args
        args += ["-filter_complex_script", str(script), "-map", "[vout]"]
        if plan.audio:
            args += ["-map", "[aout]"]
        if track is not None:
            args += ["-map", f"{track}:s:0"]
        args += _encoder_args(plan, track is not None)
        args += ["-map_metadata", "-1", "-map_chapters", "-1", "-progress", "pipe:1"]
        args += ["-stats_period", "0.25", "-nostats"]
        return [*args, str(out)]


def _font_key(font: str | None) -> str:
    """Where a spec's font is filed in :attr:`Plan.fonts` (the default font under "")."""
    return font or ""


def _link_fonts(plan: Plan, work: Path) -> dict[str, Path]:
    """The plan's fonts linked into ``work/fonts`` under plain names (libass is pointed at
    that folder)."""
    folder = work / "fonts"
    folder.mkdir(exist_ok=True)
    linked: dict[str, Path] = {}
    for n, (key, font) in enumerate(plan.fonts.items()):
        target = folder / f"font{n}{font.path.suffix.lower() or '.ttf'}"
        try:
            target.symlink_to(font.path.resolve())
        except OSError:
            shutil.copyfile(font.path, target)
        linked[key] = target
    return linked


def build_command(plan: Plan, out: Path, work: Path) -> list[str]:
    """The ffmpeg command that renders ``plan`` into ``out``, with its helper files (the
    filter graph script, text, subtitles, linked fonts) written into ``work``."""
    return _Graph(plan, work).command(out)


_VP9_SPEED = {"ultrafast": 8, "superfast": 8, "veryfast": 7, "faster": 6, "fast": 5,
              "medium": 4, "slow": 2}  # fmt: skip


def _encoder_args(plan: Plan, track: bool) -> list[str]:
    out = plan.spec.output
    rate = f"{plan.fps.numerator}/{plan.fps.denominator}"
    audio = ["-c:a", "aac", "-b:a", f"{out.audio_bitrate}k"] if plan.audio else []
    if out.codec == "h264":
        crf = out.crf if out.crf is not None else 23
        args = [
            "-c:v", "libx264", "-preset", out.preset, "-crf", str(crf),
            "-pix_fmt", "yuv420p", "-r", rate, *audio,
        ]  # fmt: skip
        if track:
            args += ["-c:s", "mov_text", "-metadata:s:s:0", f"language={_subs_language(plan)}"]
        return [*args, "-movflags", "+faststart", "-f", "mp4"]
    if out.codec == "vp9":
        args = [
            "-c:v", "libvpx-vp9", "-crf", str(out.crf if out.crf is not None else 32), "-b:v", "0",
            "-deadline", "realtime", "-cpu-used", str(_VP9_SPEED[out.preset]), "-row-mt", "1",
            "-pix_fmt", "yuv420p", "-r", rate,
        ]  # fmt: skip
        if plan.audio:
            args += ["-c:a", "libopus", "-b:a", f"{out.audio_bitrate}k"]
        if track:
            args += ["-c:s", "webvtt", "-metadata:s:s:0", f"language={_subs_language(plan)}"]
        return [*args, "-f", "webm"]
    if out.codec == "gif":
        return ["-c:v", "gif", "-loop", "0", "-f", "gif"]
    quality = 100 - (out.crf if out.crf is not None else 25)
    return ["-c:v", "libwebp_anim", "-quality", str(quality), "-loop", "0", "-f", "webp"]


def _subs_language(plan: Plan) -> str:
    return plan.spec.subtitles.language if plan.spec.subtitles else "und"


# -- running and checking the output ----------------------------------------------------


def _run_ffmpeg(
    args: Sequence[str],
    seconds: float,
    log_path: Path,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> None:
    """Run the render, reporting ``out_time`` from ``-progress pipe:1`` as a fraction of
    ``seconds`` (capped at 0.99: the output is checked before it is done) and killing ffmpeg
    when ``cancel`` is set, or when it runs past :data:`RENDER_TIMEOUT`."""
    deadline = time.monotonic() + RENDER_TIMEOUT[0] + RENDER_TIMEOUT[1] * seconds
    argv = [require_tool(args[0]), *args[1:]]
    done_seconds = [0.0]
    with log_path.open("wb") as errors:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
        )

        def read() -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                key, _, value = raw.decode("ascii", "replace").strip().partition("=")
                if key == "out_time_us" and value.lstrip("-").isdigit():
                    done_seconds[0] = max(done_seconds[0], int(value) / 1e6)

        reader = threading.Thread(target=read, name="render-progress", daemon=True)
        reader.start()
        reported = 0.0
        try:
            while True:
                try:
                    proc.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if cancel is not None and cancel.is_set():
                    raise Cancelled("the render was cancelled")
                if time.monotonic() > deadline:
                    raise ToolFailed(f"ffmpeg took too long to render {seconds:.1f} s of video")
                fraction = min(0.99, done_seconds[0] / seconds) if seconds > 0 else 0.0
                if progress is not None and fraction >= reported + 0.01:
                    reported = fraction
                    progress(fraction)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            reader.join(timeout=5)
            if proc.stdout is not None:
                proc.stdout.close()
    if proc.returncode != 0:
        message = last_error_line(log_path.read_bytes())
        raise ToolFailed(f"ffmpeg could not render the timeline: {message}")


@dataclass(frozen=True)
class OutputInfo:
    """What a rendered file holds, read back from the file. Times are seconds."""

    container: str
    codec: str
    width: int
    height: int
    frames: int
    fps: float
    video_duration: float
    audio_codec: str | None
    audio_duration: float | None
    subtitle_codec: str | None
    cues: tuple[tuple[float, float], ...]
    """``(start, end)`` of each subtitle cue, seconds from the first video frame."""


def _stream_seconds(stream: Mapping[str, Any]) -> float | None:
    """How long a stream plays: ``duration``, or Matroska's ``DURATION`` tag (the end time,
    ``00:00:20.033000000``) less the stream's start (WebM shifts video by the audio codec's
    delay, a few milliseconds)."""
    if stream.get("duration") not in (None, "N/A"):
        return float(stream["duration"])
    tag = (stream.get("tags") or {}).get("DURATION")
    if not tag:
        return None
    hours, minutes, secs = tag.split(":")
    end = int(hours) * 3600 + int(minutes) * 60 + float(secs)
    return end - max(0.0, float(stream.get("start_time") or 0.0))


def subtitle_cues(path: Path, stream: int, origin: float = 0.0) -> list[tuple[float, float]]:
    """``(start, end)`` seconds of each cue in subtitle stream ``stream`` (an ffprobe index),
    measured from ``origin``; MP4's empty filler samples between cues are skipped."""
    proc = run_tool(
        [
            "ffprobe", "-v", "error", "-select_streams", str(stream), "-print_format", "json",
            "-show_entries", "packet=pts_time,duration_time,size", str(path),
        ],
        timeout=60,
    )  # fmt: skip
    packets = json.loads(proc.stdout or b"{}").get("packets", [])
    return [
        (float(p["pts_time"]) - origin, float(p["pts_time"]) + float(p["duration_time"]) - origin)
        for p in packets
        if int(p.get("size") or 0) > 2
    ]


def _webp_info(path: Path) -> OutputInfo:
    """An animated WebP's canvas size, frame count and duration, from its RIFF chunks (ffmpeg
    cannot read animated WebP back). An animation whose frames are all alike is written as a
    still picture (one ``VP8``/``VP8L`` image, no timing): its ``container`` is ``webp-still``
    and its duration 0."""
    data = path.read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ToolFailed(f"{path.name} is not a WebP file")
    width = height = frames = 0
    millis = 0
    still = True
    pos = 12
    while pos + 8 <= len(data):
        kind, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = data[pos + 8 : pos + 8 + size]
        if kind == b"VP8X":
            width = 1 + int.from_bytes(body[4:7], "little")
            height = 1 + int.from_bytes(body[7:10], "little")
        elif kind == b"ANMF":
            still = False
            frames += 1
            millis += int.from_bytes(body[12:15], "little")
        elif kind == b"VP8 " and not width and len(body) >= 10:
            width = int.from_bytes(body[6:8], "little") & 0x3FFF
            height = int.from_bytes(body[8:10], "little") & 0x3FFF
        elif kind == b"VP8L" and not width and len(body) >= 5:
            bits = int.from_bytes(body[1:5], "little")
            width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        pos += 8 + size + (size & 1)
    if still:
        return OutputInfo("webp-still", "webp", width, height, 1, 0.0, 0.0, None, None, None, ())
    seconds = millis / 1000
    return OutputInfo("webp", "webp", width, height, frames, frames / seconds if seconds else 0.0,
                      seconds, None, None, None, ())  # fmt: skip


def inspect_output(path: Path) -> OutputInfo:
    """Read a rendered file back: ffprobe with packets counted (demuxing only), or the RIFF
    chunks of an animated WebP."""
    if path.read_bytes()[:4] == b"RIFF":
        return _webp_info(path)
    proc = run_tool(
        [
            "ffprobe", "-v", "error", "-count_packets", "-print_format", "json",
            "-show_format", "-show_streams", str(path),
        ],
        timeout=120,
    )  # fmt: skip
    if proc.returncode != 0:
        raise ToolFailed(f"the rendered file cannot be read: {last_error_line(proc.stderr)}")
    data = json.loads(proc.stdout or b"{}")
    streams: list[dict[str, Any]] = data.get("streams", [])
    fmt: dict[str, Any] = data.get("format", {})
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None:
        raise ToolFailed("the rendered file has no video stream")
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    subs = next((s for s in streams if s.get("codec_type") == "subtitle"), None)
    frames = int(video.get("nb_read_packets") or video.get("nb_frames") or 0)
    fps_text = str(video.get("avg_frame_rate") or "0/1")
    fps = float(Fraction(fps_text)) if fps_text not in ("0/0", "0/1") else 0.0
    duration = _stream_seconds(video) or float(fmt.get("duration") or 0.0)
    origin = max(0.0, float(video.get("start_time") or 0.0))
    return OutputInfo(
        container=str(fmt.get("format_name", "")),
        codec=str(video.get("codec_name")),
        width=int(video.get("width") or 0),
        height=int(video.get("height") or 0),
        frames=frames,
        fps=fps,
        video_duration=duration,
        audio_codec=str(audio.get("codec_name")) if audio else None,
        audio_duration=_stream_seconds(audio) if audio else None,
        subtitle_codec=str(subs.get("codec_name")) if subs else None,
        cues=tuple(subtitle_cues(path, int(subs["index"]), origin)) if subs else (),
    )


_CODEC_NAMES = {"h264": "h264", "vp9": "vp9", "gif": "gif", "webp": "webp"}
_AUDIO_PACKET = {"aac": 1024 / AUDIO_RATE, "opus": 0.02}
"""Seconds of one audio packet: an audio stream can only end on a packet boundary."""


def verify(plan: Plan, info: OutputInfo) -> list[str]:
    """What in ``info`` disagrees with ``plan`` (empty when the file is what was planned):
    codec, exact size, exact frame count, duration within one frame, the frame rate, audio
    present when planned and within one frame of the video (or one audio packet, whichever
    is longer), and each subtitle cue in the track."""
    codec = plan.spec.output.codec
    frame = plan.frame
    problems: list[str] = []
    if info.codec != _CODEC_NAMES[codec]:
        problems.append(f"video codec {info.codec}, not {codec}")
    if (info.width, info.height) != (plan.width, plan.height):
        problems.append(f"size {info.width}x{info.height}, not {plan.width}x{plan.height}")
    # An animated WebP stores a run of identical frames as one longer frame.
    frames_ok = info.frames <= plan.frames if codec == "webp" else info.frames == plan.frames
    if not frames_ok:
        problems.append(f"{info.frames} frames, not {plan.frames}")
    if info.container == "webp-still":
        pass  # every frame alike: a still picture has no duration to compare
    elif abs(info.video_duration - plan.duration) > frame + 1e-3:
        problems.append(f"video lasts {info.video_duration:.3f} s, not {plan.duration:.3f} s")
    if codec in ("h264", "vp9") and abs(info.fps - float(plan.fps)) > 0.01:
        problems.append(f"{info.fps:.3f} fps, not {float(plan.fps):.3f}")
    if plan.audio and info.audio_duration is None:
        problems.append("no audio stream")
    elif not plan.audio and info.audio_codec is not None:
        problems.append("an audio stream that was not planned")
    elif info.audio_duration is not None:
        slack = max(frame, _AUDIO_PACKET.get(info.audio_codec or "", frame)) + 1e-3
        if abs(info.audio_duration - info.video_duration) > slack:
            problems.append(
                f"audio lasts {info.audio_duration:.3f} s but video {info.video_duration:.3f} s"
            )
    subs = plan.spec.subtitles
    if subs is not None and subs.mode == "track":
        wanted = [(line.start, line.end) for line in subs.lines]
        if len(info.cues) != len(wanted) or any(
            abs(a - b) > 0.002
            for cue, line in zip(info.cues, wanted, strict=False)
            for a, b in zip(cue, line, strict=True)
        ):
            problems.append(f"subtitle cues at {list(info.cues)}, not {wanted}")
    elif info.subtitle_codec is not None:
        problems.append("a subtitle track that was not planned")
    return problems


def _unsafe_path(path: Path) -> bool:
    """Whether ``path`` holds a character an ffmpeg filter argument cannot take unescaped."""
    return any(ch in str(path) for ch in ":,;'[]\\ ")


def render(
    spec: RenderSpec | Mapping[str, Any] | str,
    out: Path,
    *,
    resolve: Resolver | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    work_root: Path | None = None,
) -> RenderResult:
    """Render ``spec`` into ``out`` (its suffix must be the codec's container: ``.mp4`` for
    h264, ``.webm``, ``.gif``, ``.webp``) and check the file against the plan.

    ``progress`` is called with fractions 0 to 1 from the calling thread; when ``cancel`` is
    set ffmpeg is stopped and :class:`Cancelled` raised. Bad specs raise
    :class:`~vidsense.errors.InvalidArgument` naming the field before anything runs; a file
    that does not match the plan (size, frames, duration, streams) raises
    :class:`~vidsense.errors.ToolFailed` (``render_mismatch``). ``out`` appears complete or
    not at all; helper files live in a folder under ``work_root`` (the system's temporary
    folder by default) that is removed afterwards.
    """
    started = time.perf_counter()
    spec = parse_spec(spec)
    out = Path(out)
    container = spec.output.container
    if out.suffix.lower() != f".{container}":
        raise _bad(
            "output.codec", f"{spec.output.codec} is written as .{container}, not {out.name}"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="vidsense-render-", dir=work_root))
    if _unsafe_path(work) and work_root is not None:
        # Filter arguments cannot take these characters: use the system's temporary folder.
        shutil.rmtree(work, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix="vidsense-render-"))
    if _unsafe_path(work):
        shutil.rmtree(work, ignore_errors=True)
        raise ToolFailed(f"the render's working folder {work} has characters filters cannot take")
    part = out.with_name(f".{out.stem}.part.{container}")
    try:
        plan = check(spec, resolve=resolve, work=work)
        if cancel is not None and cancel.is_set():
            raise Cancelled("the render was cancelled")
        args = build_command(plan, part, work)
        log.info(
            "rendering %d clips into %s: %.3f s, %dx%d at %s fps, %s",
            len(plan.clips), out.name, plan.duration, plan.width, plan.height,
            _num(float(plan.fps)), spec.output.codec,
        )  # fmt: skip
        _run_ffmpeg(args, plan.duration, work / "ffmpeg.log", progress, cancel)
        info = inspect_output(part)
        problems = verify(plan, info)
        if problems:
            raise ToolFailed(
                "the rendered file is not what was planned: " + "; ".join(problems),
                code="render_mismatch",
            )
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    if progress is not None:
        progress(1.0)
    return RenderResult(
        path=out,
        duration=info.video_duration,
        frames=info.frames,
        width=info.width,
        height=info.height,
        fps=float(plan.fps),
        codec=spec.output.codec,
        audio=info.audio_codec is not None,
        audio_duration=info.audio_duration,
        subtitle_track=info.subtitle_codec is not None,
        size=out.stat().st_size,
        elapsed=time.perf_counter() - started,
    )
