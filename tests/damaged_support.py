"""Videos cut short or damaged on purpose, from one known 20 s clip: the first 30% or 70% of
its bytes (faststart, index first, and plain, index last), and a copy whose middle tenth is
overwritten. What ffmpeg itself decodes from each is the reference for "how much is readable".
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

from tests.conftest import MediaCache
from tests.factory import Scene, make_speech, make_video, run

LENGTH = 20.0
"""Seconds in the intact clip (four 5 s shots)."""
FPS = 25
SPOKEN_LATE = "said near the end"
"""Spoken at 15 s: past the damage, so never part of a damaged file's readable part."""


def twenty_seconds(media: MediaCache) -> dict[str, Path]:
    """The intact clip as ``plain`` (index at the end) and ``faststart`` (index first)."""

    def build(out: Path) -> None:
        speech = out.with_suffix(".wav")
        make_speech(speech, [(1.0, "the whole file"), (15.0, SPOKEN_LATE)], LENGTH)
        sources = ["testsrc2", "smptebars", "rgbtestsrc", "testsrc"]
        make_video(
            out,
            [Scene(LENGTH / 4, s) for s in sources],
            size="160x120",
            fps=FPS,
            audio=speech,
        )

    plain = media.get("twenty.mp4", build)

    def moved(out: Path) -> None:
        run(
            [
                *("ffmpeg", "-v", "error", "-y", "-i", str(plain), "-c", "copy"),
                *("-movflags", "+faststart", str(out)),
            ]
        )

    return {"plain": plain, "faststart": media.get("twenty-faststart.mp4", moved)}


def cut(source: Path, fraction: float, out: Path) -> Path:
    """The first ``fraction`` of ``source``'s bytes, as a transfer killed part-way leaves it."""
    data = source.read_bytes()
    out.write_bytes(data[: int(len(data) * fraction)])
    return out


def corrupt_middle(source: Path, out: Path) -> Path:
    """``source`` with bytes 45%-55% replaced by noise (same size, index intact)."""
    data = bytearray(source.read_bytes())
    noise = random.Random(15)
    start, end = int(len(data) * 0.45), int(len(data) * 0.55)
    data[start:end] = bytes(noise.randrange(256) for _ in range(end - start))
    out.write_bytes(bytes(data))
    return out


def ffmpeg_decodes_until(path: Path) -> float:
    """Seconds of video ffmpeg's own decoder gets out of ``path`` (last frame + one frame)."""
    proc = subprocess.run(
        [
            *("ffprobe", "-v", "quiet", "-select_streams", "v:0"),
            *("-show_entries", "frame=pts_time", "-of", "csv=p=0", str(path)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    fields = (line.strip().strip(",") for line in proc.stdout.splitlines())
    times = [float(t) for t in fields if t and t != "N/A"]
    return max(times) + 1.0 / FPS if times else 0.0
