"""What a media file is: container, streams, duration, rotation, bit rate.

The numbers come from ffprobe itself, so ``vidsense probe`` agrees with ``ffprobe`` on the same
file; the file's first bytes are sniffed so that a text file named ``.mp4`` is told apart from a
truncated MP4.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from vidsense.errors import (
    CorruptMedia,
    EmptyMedia,
    SourceNotFound,
    UnsupportedMedia,
)
from vidsense.media.tools import last_error_line, run_tool

# Leading bytes of the containers ffmpeg reads that people upload; anything else that ffprobe
# cannot open is reported as "not a video" rather than "corrupt".
_MAGIC: list[tuple[int, bytes, str]] = [
    (4, b"ftyp", "mp4"),
    (4, b"moov", "mov"),
    (4, b"mdat", "mov"),
    (4, b"free", "mov"),
    (4, b"wide", "mov"),
    (0, b"\x1a\x45\xdf\xa3", "matroska"),
    (0, b"RIFF", "avi"),
    (0, b"FLV", "flv"),
    (0, b"OggS", "ogg"),
    (0, b"\x00\x00\x01\xba", "mpeg"),
    (0, b"\x00\x00\x01\xb3", "mpeg"),
    (0, b"\x30\x26\xb2\x75", "asf"),
    (0, b"GIF8", "gif"),
]


def sniff(path: Path) -> str:
    """Best guess of what a file holds from its first bytes: a container name, or one of
    ``"empty"``, ``"text"``, ``"html"``, ``"image"``, ``"unknown"``."""
    with path.open("rb") as f:
        head = f.read(4096)
    if not head:
        return "empty"
    for offset, magic, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return kind
    if head[0] == 0x47 and (len(head) < 189 or head[188] == 0x47):
        return "mpegts"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff")):
        return "image"
    if b"\x00" not in head:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            return "unknown"
        lowered = text.lstrip().lower()
        return "html" if lowered.startswith(("<!doctype html", "<html")) else "text"
    return "unknown"


@dataclass(frozen=True)
class AudioInfo:
    codec: str
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class MediaInfo:
    """A probed video file. Times are seconds, rates frames per second, sizes bytes.

    ``duration`` is the container's (what ffprobe's format section says); ``video_duration``
    the video stream's own. ``rotation`` is degrees counter-clockwise, as ffprobe reports it.
    """

    path: str
    container: str
    duration: float
    fps: float
    width: int
    height: int
    rotation: int
    codec: str
    pix_fmt: str | None
    bit_rate: int | None
    size: int
    frame_count: int | None
    video_duration: float
    has_audio: bool
    audio: AudioInfo | None
    creation_time: str | None

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) as a player shows the video, after rotation."""
        if self.rotation % 180:  # quarter turn: width and height swap
            return self.height, self.width
        return self.width, self.height

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["audio_codec"] = self.audio.codec if self.audio else None
        data["audio_sample_rate"] = self.audio.sample_rate if self.audio else None
        return data


def _rate(text: str | None) -> float:
    if not text or text in ("0/0", "0/1"):
        return 0.0
    try:
        return float(Fraction(text))
    except (ValueError, ZeroDivisionError):
        return 0.0


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _rotation(stream: dict[str, Any]) -> int:
    """Display rotation in degrees counter-clockwise, as ffprobe reports it (-90, 90, 180)."""
    for side in stream.get("side_data_list", []) or []:
        if "rotation" in side:
            return _normal_angle(round(float(side["rotation"])))
    rotate = stream.get("tags", {}).get("rotate")
    # The legacy tag counts clockwise.
    return _normal_angle(-int(rotate)) if rotate is not None else 0


def _normal_angle(degrees: int) -> int:
    """Fold an angle into (-180, 180]."""
    folded = degrees % 360
    return folded - 360 if folded > 180 else folded


def _container(format_name: str, path: Path) -> str:
    names = format_name.split(",")
    ext = path.suffix.lower().lstrip(".")
    if ext in names:
        return ext
    return names[0]


def probe(path: str | Path) -> MediaInfo:
    """Probe a local video file.

    Raises :class:`~vidsense.errors.SourceNotFound`, :class:`UnsupportedMedia` (not a video,
    audio only), :class:`CorruptMedia` (a video container ffprobe cannot read) or
    :class:`EmptyMedia` (a video stream with no frames).
    """
    path = Path(path)
    if not path.exists():
        raise SourceNotFound(f"no such file: {path}")
    if not path.is_file():
        raise UnsupportedMedia(f"not a file: {path}")
    size = path.stat().st_size
    kind = sniff(path)
    if kind == "empty":
        raise EmptyMedia(f"{path.name} is empty (0 bytes)")

    proc = run_tool(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            "-i",
            str(path),
        ],
        timeout=60,
    )
    if proc.returncode != 0:
        reason = last_error_line(proc.stderr, str(path))
        if kind in ("text", "html", "image", "unknown"):
            raise UnsupportedMedia(f"{path.name} is not a video (it looks like {kind} data)")
        raise CorruptMedia(f"{path.name} looks like {kind} but cannot be read: {reason}")
    data = json.loads(proc.stdout or b"{}")
    fmt: dict[str, Any] = data.get("format", {})
    streams: list[dict[str, Any]] = data.get("streams", [])
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
        ),
        None,
    )
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and not streams and not _float(fmt.get("duration")):
        raise EmptyMedia(f"{path.name} holds no frames (a {kind} file with no streams)")
    if video is None:
        what = "an audio-only file" if audio is not None else f"{kind} data with no video stream"
        raise UnsupportedMedia(f"{path.name} has no video stream ({what})")

    fps = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))
    duration = _float(fmt.get("duration")) or _float(video.get("duration")) or 0.0
    frame_count = _int(video.get("nb_frames"))
    if frame_count == 0 or duration <= 0.0 or not video.get("width"):
        raise EmptyMedia(f"{path.name} has a video stream with no frames")

    tags: dict[str, Any] = {**fmt.get("tags", {}), **video.get("tags", {})}
    return MediaInfo(
        path=str(path),
        container=_container(str(fmt.get("format_name", kind)), path),
        duration=duration,
        fps=fps,
        width=int(video["width"]),
        height=int(video["height"]),
        rotation=_rotation(video),
        codec=str(video.get("codec_name", "unknown")),
        pix_fmt=video.get("pix_fmt"),
        bit_rate=_int(fmt.get("bit_rate")) or _int(video.get("bit_rate")),
        size=size,
        frame_count=frame_count,
        video_duration=_float(video.get("duration")) or duration,
        has_audio=audio is not None,
        audio=AudioInfo(
            codec=str(audio.get("codec_name", "unknown")),
            sample_rate=_int(audio.get("sample_rate")) or 0,
            channels=_int(audio.get("channels")) or 0,
        )
        if audio is not None
        else None,
        creation_time=tags.get("creation_time"),
    )
