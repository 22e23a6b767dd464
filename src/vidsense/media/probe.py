"""What a media file is: container, streams, duration, rotation, bit rate.

The numbers come from ffprobe itself, so ``vidsense probe`` agrees with ``ffprobe`` on the same
file; the file's first bytes are sniffed so that a text file named ``.mp4`` is told apart from a
truncated MP4 (and is not a video whatever its name: ffmpeg would open some text as ANSI art).

A container's header can promise more than the file holds (the first 30% of a faststart MP4
still declares the whole duration), so :func:`probe` also checks that the data is there: in an
MP4/MOV the sample tables give every sample's byte range, compared with the file's size (a few
milliseconds); other containers are demuxed from near their declared end (no decoding). A file
cut short raises :class:`CorruptMedia` saying how much is readable, or, with
``allow_partial``, is described as its readable part with a note in :attr:`MediaInfo.partial`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from vidsense.errors import (
    CorruptMedia,
    EmptyMedia,
    SourceNotFound,
    UnsupportedMedia,
)
from vidsense.media.tools import last_error_line, run_tool

log = logging.getLogger(__name__)

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
        # The read may stop inside a multi-byte character: up to 3 bytes may be cut off.
        text = next((t for t in map(_utf8, (head, head[:-1], head[:-2], head[:-3])) if t), None)
        if text is None:
            return "unknown"
        lowered = text.lstrip().lower()
        return "html" if lowered.startswith(("<!doctype html", "<html")) else "text"
    return "unknown"


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


_NOT_VIDEO = frozenset({"text", "html"})
"""Sniffed kinds refused before ffprobe: it would open some text with an ANSI-art demuxer."""
_TEXT_DEMUXERS = frozenset({"tty", "bin", "xbin", "adf", "idf"})
"""ffmpeg demuxers that draw text files as video ("bin" is chosen by a ``.bin`` name alone)."""


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
    partial: str | None = None
    """Set when only part of the file is readable and it was probed with ``allow_partial``:
    what is missing. ``duration`` is then the readable part, not the header's."""

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


@dataclass(frozen=True)
class Readable:
    """How much of a file cut short can be read: up to ``end`` seconds of the ``declared``
    duration; ``size`` bytes are there, ``needed`` (when known) were promised."""

    end: float
    declared: float
    size: int
    needed: int | None = None

    def describe(self) -> str:
        missing = f" ({self.size:,} of {self.needed:,} bytes)" if self.needed else ""
        return f"the file ends at {self.end:.1f} s of {self.declared:.1f} s{missing}"


# -- MP4 / MOV: sample tables against the file's size ------------------------------------------

_MAX_MOOV = 256 << 20
"""Largest index (moov box, bytes) read for the check; beyond it the generic check runs."""


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """``(type, payload start, box end)`` of the ISO-BMFF boxes in ``data[start:end]``."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1 and pos + 16 <= end:
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < header:
            return
        yield kind, pos + header, pos + size
        pos += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(((a, b) for k, a, b in _boxes(data, start, end) if k == kind), None)


def _top_level(path: Path, size: int) -> tuple[tuple[int, int] | None, int]:
    """(the moov box's (start, end) in the file, or None; where the last box says it ends)."""
    moov: tuple[int, int] | None = None
    pos = 0
    with path.open("rb") as f:
        while pos + 8 <= size:
            f.seek(pos)
            head = f.read(16)
            box, kind = struct.unpack_from(">I4s", head)
            if box == 1 and len(head) == 16:
                box = struct.unpack_from(">Q", head, 8)[0]
            elif box == 0:
                box = size - pos
            if box < 8:
                break
            if kind == b"moov":
                moov = (pos, pos + box)
            pos += box
    return moov, pos


def _u32(data: bytes, offset: int, count: int, kind: str = ">u4") -> np.ndarray:
    return np.frombuffer(data, dtype=kind, count=count, offset=offset).astype(np.int64)


def _table(data: bytes, box: tuple[int, int] | None, columns: int, kind: str = ">u4") -> np.ndarray:
    """A full box's table of ``columns`` 32-bit numbers per entry (after version and count)."""
    if box is None:
        return np.zeros((0, columns), np.int64)
    count = struct.unpack_from(">I", data, box[0] + 4)[0]
    return _u32(data, box[0] + 8, count * columns, kind).reshape(-1, columns)


@dataclass(frozen=True)
class _Samples:
    """One track's samples in decode order: where each one's bytes end in the file, and when
    it stops being shown (seconds, as ffmpeg presents it)."""

    handler: bytes
    byte_ends: np.ndarray
    shown_until: np.ndarray


def _samples(data: bytes, trak: tuple[int, int]) -> _Samples | None:
    """The samples of one track; None when the track keeps them elsewhere (fragments) or its
    tables are of a kind not read here."""
    mdia = _child(data, *trak, b"mdia")
    hdlr = _child(data, *mdia, b"hdlr") if mdia else None
    mdhd = _child(data, *mdia, b"mdhd") if mdia else None
    minf = _child(data, *mdia, b"minf") if mdia else None
    stbl = _child(data, *minf, b"stbl") if minf else None
    if hdlr is None or mdhd is None or stbl is None:
        return None
    tables = {k: (a, b) for k, a, b in _boxes(data, *stbl)}
    chunk_box = tables.get(b"stco") or tables.get(b"co64")
    if b"stsz" not in tables or chunk_box is None:
        return None
    at = tables[b"stsz"][0]
    uniform, count = struct.unpack_from(">II", data, at + 4)
    sizes = np.full(count, uniform, np.int64) if uniform else _u32(data, at + 12, count)
    offsets = _table(data, chunk_box, 1, ">u8" if b"co64" in tables else ">u4")[:, 0]
    runs = _table(data, tables.get(b"stsc"), 3)
    steps = _table(data, tables.get(b"stts"), 2)
    if count == 0 or offsets.size == 0 or runs.size == 0 or steps.size == 0:
        return None
    # Samples per chunk: each stsc run holds from its first chunk up to the next run's.
    firsts = np.clip(runs[:, 0] - 1, 0, offsets.size)
    per_chunk = np.repeat(runs[:, 1], np.diff(np.append(firsts, offsets.size)).clip(0))
    chunk = np.repeat(np.arange(per_chunk.size), per_chunk)[:count]
    sizes = sizes[: chunk.size]
    before = np.cumsum(sizes) - sizes  # the track's bytes before each sample
    chunk_first = np.cumsum(per_chunk) - per_chunk  # each chunk's first sample
    byte_ends = offsets[chunk] + before - before[chunk_first[chunk]] + sizes
    # Presentation: decode time, plus the composition offset (ctts), minus where the edit list
    # starts the media (B-frame delay, audio priming).
    deltas = np.repeat(steps[:, 1], steps[:, 0])
    deltas = np.pad(deltas, (0, max(0, sizes.size - deltas.size)), mode="edge")[: sizes.size]
    shown = np.cumsum(deltas)
    ctts = tables.get(b"ctts")
    if ctts is not None:
        offsets_kind = ">i4" if data[ctts[0]] == 1 else ">u4"
        pairs = _table(data, ctts, 2, offsets_kind)
        composition = np.repeat(pairs[:, 1], pairs[:, 0])[: sizes.size]
        shown[: composition.size] += composition
    edts = _child(data, *trak, b"edts")
    elst = _child(data, *edts, b"elst") if edts else None
    if elst is not None:
        wide = data[elst[0]] == 1
        entries = _table(data, elst, 5 if wide else 3, ">i4")
        starts = entries[:, 2] << 32 | entries[:, 3] & 0xFFFFFFFF if wide else entries[:, 1]
        media_start = next((int(t) for t in starts if t >= 0), 0)
        shown -= media_start
    version = data[mdhd[0]]
    timescale = struct.unpack_from(">I", data, mdhd[0] + (20 if version == 1 else 12))[0] or 1
    return _Samples(data[hdlr[0] + 8 : hdlr[0] + 12], byte_ends, shown / timescale)


class _NoSampleTables(Exception):
    """The moov box does not list the samples (fragmented MP4, or an index too large)."""


def _mp4_readable(path: Path, size: int, duration: float) -> Readable | None:
    """The readable part of an MP4/MOV cut short, None when whole; raises
    :class:`_NoSampleTables` when the sample tables cannot tell."""
    moov, last_end = _top_level(path, size)
    if moov is None or moov[1] > size or moov[1] - moov[0] > _MAX_MOOV:
        raise _NoSampleTables
    with path.open("rb") as f:
        f.seek(moov[0])
        data = f.read(moov[1] - moov[0])
    needed = last_end if last_end > size else 0
    until: dict[bytes, float] = {}  # handler -> what its complete samples show (seconds)
    for kind, start, stop in _boxes(data, 8, len(data)):
        track = _samples(data, (start, stop)) if kind == b"trak" else None
        if track is None or track.handler not in (b"vide", b"soun"):
            continue
        needed = max(needed, int(track.byte_ends.max()))
        whole = np.flatnonzero(track.byte_ends > size)
        complete = track.shown_until[: whole[0]] if whole.size else track.shown_until
        shown = float(complete.max()) if complete.size else 0.0
        until[track.handler] = min(until.get(track.handler, shown), shown)
    if not until:
        raise _NoSampleTables
    if needed <= size:
        return None
    # Where the picture stops is what a viewer sees (the sound may stop a few frames apart).
    end = until.get(b"vide", min(until.values()))
    return Readable(end=min(end, duration), declared=duration, size=size, needed=needed)


# -- any container: demux (no decoding) from near the declared end -----------------------------


def _last_packet_end(path: Path, start: float | None) -> float:
    """Seconds (from the container's start) where the last packet read ends, demuxing from
    ``start`` (None: from the beginning) to the end of the file or the first error."""
    import av

    end = 0.0
    try:
        with av.open(str(path)) as container:
            origin = (container.start_time or 0) / 1_000_000
            if start is not None:
                container.seek(int((start + origin) * 1_000_000), backward=True)
            for packet in container.demux():
                stamp = packet.pts if packet.pts is not None else packet.dts
                if stamp is None or packet.time_base is None:
                    continue
                seconds = float((stamp + (packet.duration or 0)) * packet.time_base) - origin
                end = max(end, seconds)
    except av.error.FFmpegError as e:
        log.info("%s: demuxing stopped at %.2f s: %s", path.name, end, e)
    return end


def _demuxed_readable(path: Path, size: int, duration: float, fps: float) -> Readable | None:
    """The readable part when no packet reaches near the declared end, else None."""
    slack = max(1.0, 3.0 / fps if fps else 0.0)
    if _last_packet_end(path, max(0.0, duration - 2 * slack)) >= duration - slack:
        return None
    end = _last_packet_end(path, None)
    return None if end >= duration - slack else Readable(end, duration, size)


def readable(path: Path, container: str, duration: float, fps: float = 0.0) -> Readable | None:
    """How much of ``path`` can be read when its container promises more (``duration``
    seconds) than the file holds; None when it is whole."""
    size = path.stat().st_size
    if container in ("mp4", "mov", "m4v", "3gp") or container.startswith("mov,"):
        with contextlib.suppress(_NoSampleTables):
            return _mp4_readable(path, size, duration)
    return _demuxed_readable(path, size, duration, fps)


def probe(path: str | Path, *, allow_partial: bool = False) -> MediaInfo:
    """Probe a local video file.

    Raises :class:`~vidsense.errors.SourceNotFound`, :class:`UnsupportedMedia` (not a video,
    audio only), :class:`CorruptMedia` (a video container ffprobe cannot read, or a file cut
    short: see :func:`readable`) or :class:`EmptyMedia` (a video stream with no frames). With
    ``allow_partial`` (default off) a file cut short is described as its readable part
    (``duration``, ``frame_count``) and :attr:`MediaInfo.partial` says what is missing.
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
    if kind in _NOT_VIDEO:
        raise UnsupportedMedia(f"{path.name} is not a video (it looks like {kind} data)")

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
        if kind in ("image", "unknown"):
            raise UnsupportedMedia(f"{path.name} is not a video (it looks like {kind} data)")
        if kind in ("mp4", "mov") and _top_level(path, size)[0] is None:
            reason += "; its index (moov box) is missing: the file was cut short or never finished"
        raise CorruptMedia(f"{path.name} looks like {kind} but cannot be read: {reason}")
    data = json.loads(proc.stdout or b"{}")
    fmt: dict[str, Any] = data.get("format", {})
    demuxers = set(str(fmt.get("format_name", "")).split(","))
    if demuxers & _TEXT_DEMUXERS:
        raise UnsupportedMedia(f"{path.name} is not a video (it looks like {kind} data)")
    if kind == "image" or any(d == "image2" or d.endswith("_pipe") for d in demuxers):
        raise UnsupportedMedia(f"{path.name} is a still image, not a video")
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
    container = _container(str(fmt.get("format_name", kind)), path)
    video_duration = _float(video.get("duration")) or duration
    partial: str | None = None
    cut = readable(path, str(fmt.get("format_name", kind)), duration, fps)
    if cut is not None:
        if not allow_partial or cut.end <= 0.0:
            raise CorruptMedia(f"{path.name} is cut short: {cut.describe()}")
        partial = f"only part of the file is there: {cut.describe()}"
        duration, video_duration = cut.end, min(video_duration, cut.end)
        frame_count = min(frame_count, int(cut.end * fps)) if frame_count and fps else None

    tags: dict[str, Any] = {**fmt.get("tags", {}), **video.get("tags", {})}
    return MediaInfo(
        path=str(path),
        container=container,
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
        video_duration=video_duration,
        has_audio=audio is not None,
        audio=AudioInfo(
            codec=str(audio.get("codec_name", "unknown")),
            sample_rate=_int(audio.get("sample_rate")) or 0,
            channels=_int(audio.get("channels")) or 0,
        )
        if audio is not None
        else None,
        creation_time=tags.get("creation_time"),
        partial=partial,
    )
