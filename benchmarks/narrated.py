"""Narrated test videos for the benchmarks: espeak-ng speech, hard cuts, burned-in titles.

Shared by ``analyze.py`` and ``ingest.py`` so both measure the same kind of content.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.factory import Caption, Scene, make_speech, make_video  # noqa: E402

SOURCES = ["color=c=0x2050a0", "testsrc2", "color=c=0xa04020", "smptebars", "color=c=0x30a040"]
WORDS = ["harbour", "engine", "market", "river", "garden", "station", "library", "bridge",
         "castle", "theatre", "museum", "festival"]  # fmt: skip
TEMPLATES = [
    "The {a} opens early, so come before the crowds reach the {b}.",
    "Our guide explains why the old {a} was moved closer to the {b}.",
    "Few people know that the {a} once stood where the {b} is today.",
    "Take the second street on the left to find the {a} behind the {b}.",
    "In winter the {a} is quiet, but summer brings music to the {b}.",
    "Local bakers sell fresh bread near the {a} every Saturday.",
    "A narrow staircase climbs from the {b} up to the {a}.",
    "Tickets for the {a} also cover a boat trip along the {b}.",
]
SENTENCE_EVERY = 6.0
"""Seconds between sentence starts."""
SHOT_EVERY = 10.0
"""Seconds per shot; each shot has its own title."""
NOTE_EVERY = 5.0
"""Seconds per lower-third caption."""


def sentence(i: int, seed: int = 0) -> str:
    """Varied sentences: Whisper treats highly repetitive text as a decoding failure."""
    a = WORDS[(i + seed) % len(WORDS)]
    b = WORDS[(i * 5 + 3 + seed) % len(WORDS)]
    return TEMPLATES[(i * 3 + seed) % len(TEMPLATES)].format(a=a, b=b)


def make_narrated_video(
    out: Path, seconds: float, *, size: str, seed: int = 0, title: str = "CHAPTER"
) -> tuple[int, int]:
    """Write ``out`` (cached: kept if it exists); returns (sentences spoken, titles shown)."""
    sentences = int(seconds // SENTENCE_EVERY)
    shots = max(1, int(seconds // SHOT_EVERY))
    if out.exists():
        return sentences, shots
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="vidsense-bench-"))
    try:
        speech = work / "speech.wav"
        lines = [(SENTENCE_EVERY * i + 0.5, sentence(i, seed)) for i in range(sentences)]
        make_speech(speech, lines, seconds)
        step = seconds / shots
        scenes = [Scene(step, SOURCES[(i + seed) % len(SOURCES)]) for i in range(shots)]
        big = int(size.split("x")[1]) // 15
        captions = [
            Caption(
                f"{title} {i + 1} {WORDS[(i + seed) % len(WORDS)].upper()}",
                step * i,
                step * (i + 1) - 0.01,
                size=big,
                y="h/4",
            )
            for i in range(shots)
        ]
        captions += [
            Caption(
                f"Note {k + 1}: {WORDS[(k * 7 + seed) % len(WORDS)]} ahead",
                NOTE_EVERY * k,
                NOTE_EVERY * (k + 1) - 0.01,
                size=big * 5 // 9,
                y="h-h/9",
                box=True,
            )
            for k in range(int(seconds // NOTE_EVERY))
        ]
        tmp = work / out.name
        make_video(tmp, scenes, size=size, fps=30, captions=captions, audio=speech)
        tmp.replace(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return sentences, shots
