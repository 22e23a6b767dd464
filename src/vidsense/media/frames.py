"""Still frames: sampling plans, JPEG files, thumbnails."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidsense.errors import InvalidArgument
from vidsense.media.decode import FrameSource, SeekMode, sample_times
from vidsense.media.probe import MediaInfo


@dataclass(frozen=True)
class FrameFile:
    """A frame written to disk: the time it shows (seconds) and where it is."""

    timestamp: float
    path: Path
    shot: int | None = None

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"timestamp": round(self.timestamp, 3), "path": str(self.path)}
        if self.shot is not None:
            data["shot"] = self.shot
        return data


def encode_jpeg(rgb: np.ndarray, *, quality: int = 90) -> bytes:
    """JPEG bytes of an RGB uint8 image."""
    import cv2

    ok, buffer = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise InvalidArgument("could not encode the frame as JPEG")
    return bytes(buffer)


def write_jpeg(rgb: np.ndarray, path: Path, *, quality: int = 90) -> Path:
    """Write an RGB image as JPEG, creating the folder; the file appears complete or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(encode_jpeg(rgb, quality=quality))
    tmp.replace(path)
    return path


def frame_name(timestamp: float, prefix: str = "frame") -> str:
    """A file name that sorts by time: ``frame_000012.345.jpg``."""
    return f"{prefix}_{timestamp:010.3f}.jpg"


def extract_frames(
    path: Path,
    out_dir: Path,
    *,
    info: MediaInfo | None = None,
    every: float | None = None,
    at: list[float] | None = None,
    count: int | None = None,
    width: int | None = None,
    mode: SeekMode = "exact",
) -> list[FrameFile]:
    """Write the frames a sampling request names (one of ``every``, ``at``, ``count``) as JPEGs.

    ``mode="keyframe"`` takes the keyframe at or before each time (fast, sparse sampling); the
    written timestamp is then the keyframe's own time. Duplicates (several requests landing on
    the same keyframe) are written once.
    """
    with FrameSource(path, info=info) as source:
        try:
            times = sample_times(source.duration, every=every, count=count, at=at)
        except ValueError as e:
            raise InvalidArgument(str(e)) from e
        if at is not None and len(times) < len(at):
            outside = sorted(set(at) - set(times))
            raise InvalidArgument(
                f"times outside the video (0 to {source.duration:.3f} s): "
                + ", ".join(f"{t:g}" for t in outside)
            )
        written: list[FrameFile] = []
        seen: set[int] = set()
        for requested, frame in source.frames_at(times, mode=mode):
            shown = frame.time if mode == "keyframe" else requested
            if mode == "keyframe":
                if frame.index in seen or any(abs(f.timestamp - shown) < 1e-3 for f in written):
                    continue
                seen.add(frame.index)
            target = out_dir / frame_name(shown)
            written.append(FrameFile(shown, write_jpeg(frame.full(width), target)))
        return written


def thumbnail(
    path: Path, at: float, out: Path, *, width: int | None = 480, info: MediaInfo | None = None
) -> FrameFile:
    """Write the frame displayed at ``at`` seconds as a JPEG ``width`` px wide."""
    with FrameSource(path, info=info) as source:
        if not 0.0 <= at <= source.duration:
            raise InvalidArgument(
                f"--at {at:g} is outside the video (0 to {source.duration:.3f} s)"
            )
        for _, frame in source.frames_at([at]):
            return FrameFile(at, write_jpeg(frame.full(width), out))
    raise InvalidArgument(f"no frame at {at:g} s")
