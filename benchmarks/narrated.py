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


LESSON_SLIDE = 12.0
"""Seconds per slide of :func:`make_lesson_video`."""
LESSON_BULLET = 3.0
"""Seconds between the bullets of a slide appearing (the first shows with the title)."""


def make_lesson_video(out: Path, seconds: float, *, size: str) -> tuple[int, int]:
    """A lesson recording, cached at ``out``: static slides (a plain background, a title, and
    three bullets revealed one by one, :data:`LESSON_BULLET` s apart), a hard cut per slide
    every :data:`LESSON_SLIDE` s, narration every :data:`SENTENCE_EVERY` s. Returns
    (sentences spoken, lines of text shown)."""
    sentences = int(seconds // SENTENCE_EVERY)
    slides = max(1, int(seconds // LESSON_SLIDE))
    if out.exists():
        return sentences, slides * 4
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="vidsense-bench-"))
    try:
        speech = work / "speech.wav"
        lines = [(SENTENCE_EVERY * i + 0.5, sentence(i, 3)) for i in range(sentences)]
        make_speech(speech, lines, seconds)
        step = seconds / slides
        backgrounds = ["color=c=0xf4f1e8", "color=c=0x1e2a44", "color=c=0xffffff"]
        scenes = [Scene(step, backgrounds[i % len(backgrounds)]) for i in range(slides)]
        height = int(size.split("x")[1])
        captions: list[Caption] = []
        for i in range(slides):
            ink = "white" if i % len(backgrounds) == 1 else "black"
            start, end = step * i, step * (i + 1) - 0.01
            words = [WORDS[(i * 3 + k) % len(WORDS)] for k in range(4)]
            captions.append(
                Caption(
                    f"Lesson {i + 1}: the {words[0]}",
                    start,
                    end,
                    size=height // 14,
                    x="w/12",
                    y="h/10",
                    color=ink,
                )
            )
            for k in range(3):
                captions.append(
                    Caption(
                        f"- the {words[k + 1]} and its {WORDS[(i + k * 5) % len(WORDS)]}",
                        start + LESSON_BULLET * k,
                        end,
                        size=height // 24,
                        x="w/10",
                        y=f"h*{0.35 + 0.15 * k:.2f}",
                        color=ink,
                    )
                )
        tmp = work / out.name
        make_video(tmp, scenes, size=size, fps=30, captions=captions, audio=speech)
        tmp.replace(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return sentences, len(captions)
