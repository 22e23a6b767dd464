"""Reading rendered files back, as a user's player would: streams and durations from ffprobe,
pictures at a time, the text on them (Tesseract), the colour of a patch."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from vidsense.media.decode import FrameSource
from vidsense.models.ocr import TesseractReader


def ffprobe(path: Path) -> dict[str, Any]:
    """ffprobe's streams (packets counted) and format, with ``video``/``audio``/``subtitle``
    keys for the first stream of each kind and each one's duration in seconds."""
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-print_format", "json",
         "-show_streams", "-show_format", str(path)],
        capture_output=True, check=True,
    )  # fmt: skip
    data = json.loads(proc.stdout)
    for stream in data["streams"]:
        kind = stream["codec_type"]
        data.setdefault(kind, stream)
        seconds = stream.get("duration")
        if seconds is None and "DURATION" in stream.get("tags", {}):
            h, m, s = stream["tags"]["DURATION"].split(":")
            seconds = int(h) * 3600 + int(m) * 60 + float(s) - max(0.0, float(stream["start_time"]))
        stream["seconds"] = float(seconds) if seconds is not None else None
    return data


def frame_at(path: Path, t: float) -> np.ndarray:
    """The RGB picture shown at ``t`` seconds."""
    with FrameSource(path) as source:
        for _, frame in source.frames_at([t]):
            return frame.full()
    raise AssertionError(f"no frame at {t}")


def text_in(reader: TesseractReader, image: np.ndarray) -> str:
    return " ".join(box.text for box in reader.read(image)).lower()


def mean_colour(image: np.ndarray, x: int, y: int, size: int = 10) -> np.ndarray:
    return np.asarray(image[y : y + size, x : x + size].reshape(-1, 3).mean(axis=0))


def subtitle_text(reader: TesseractReader, image: np.ndarray, *, share: float = 0.3) -> str:
    """What the white subtitles in the bottom ``share`` of a picture say: only white, grey-free
    pixels are kept (black on white for Tesseract), so a busy picture behind them does not
    count."""
    band = image[int(image.shape[0] * (1 - share)) :]
    spread = band.max(axis=2).astype(np.int16) - band.min(axis=2)
    white = (band > 225).all(axis=2) & (spread < 25)
    clean = np.full(band.shape, 255, dtype=np.uint8)
    clean[white] = 0
    return text_in(reader, np.ascontiguousarray(clean))
