"""Videos whose subjects change at known cuts, for the writing tests and
``benchmarks/writing.py``.

A video is a list of topics. Each topic is spoken about (espeak-ng) for ``seconds_per_topic``,
opens with its title on screen, and is filmed in ``shots_per_topic`` shots, so there are cuts
inside topics as well as between them: a chapter finder has to pick the cuts where the subject
changes. Each topic states one key fact (a number and a noun) that a summary should keep.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.factory import Caption, Scene, make_speech, make_video


@dataclass(frozen=True)
class Topic:
    title: str
    fact: str
    """The key fact, said once in the topic."""
    fact_terms: tuple[str, ...]
    """Words a summary must contain to count as keeping the fact."""
    nouns: tuple[str, ...]
    """The topic's vocabulary, for varied sentences."""


TOPICS: list[Topic] = [
    Topic(
        "THE LIGHTHOUSE",
        "The lighthouse on the northern cliff was built in eighteen fifty.",
        ("lighthouse",),
        ("lighthouse", "lamp", "keeper", "cliff", "beacon", "lens", "tower", "fog horn"),
    ),
    Topic(
        "VOLCANOES",
        "The volcano erupted for forty days and buried three villages in ash.",
        ("volcano",),
        ("volcano", "lava", "crater", "magma", "ash cloud", "eruption", "summit", "geologist"),
    ),
    Topic(
        "COFFEE",
        "Coffee beans are roasted at two hundred degrees for twelve minutes.",
        ("coffee",),
        ("coffee", "espresso", "roaster", "bean", "barista", "grinder", "crema", "farmer"),
    ),
    Topic(
        "HONEY BEES",
        "A single honey bee colony can hold sixty thousand bees in summer.",
        ("bee",),
        ("honey bee", "hive", "queen", "pollen", "beekeeper", "nectar", "honeycomb", "swarm"),
    ),
    Topic(
        "THE RAILWAY",
        "The mountain railway climbs nine hundred metres through seven tunnels.",
        ("railway",),
        ("railway", "locomotive", "tunnel", "station", "carriage", "signal", "track", "driver"),
    ),
    Topic(
        "CHESS",
        "The chess champion won the final game in forty one moves.",
        ("chess",),
        ("chess", "bishop", "knight", "checkmate", "grandmaster", "pawn", "rook", "opening"),
    ),
    Topic(
        "GLACIERS",
        "The glacier has retreated two kilometres since nineteen eighty.",
        ("glacier",),
        (
            "glacier",
            "ice sheet",
            "crevasse",
            "meltwater",
            "moraine",
            "iceberg",
            "snowfield",
            "climber",
        ),
    ),
    Topic(
        "BREAD BAKING",
        "The baker lets the sourdough rise for eighteen hours before baking.",
        ("sourdough",),
        ("sourdough", "oven", "flour", "dough", "crust", "yeast", "baker", "loaf"),
    ),
    Topic(
        "THE ORCHESTRA",
        "The orchestra rehearsed the symphony for six weeks before the premiere.",
        ("orchestra",),
        (
            "orchestra",
            "violin",
            "conductor",
            "symphony",
            "cello",
            "trumpet",
            "concert hall",
            "score",
        ),
    ),
    Topic(
        "SAILING",
        "The sailors crossed the Atlantic in twenty three days without an engine.",
        ("atlantic",),
        ("sailboat", "mast", "harbour", "sailor", "compass", "wind", "anchor", "rudder"),
    ),
]

TEMPLATES = [
    "Every morning the {a} is checked carefully before anyone touches the {b}.",
    "Our guide explains how the {a} and the {b} work together.",
    "Few visitors realise how old the {a} really is.",
    "You can see the {a} clearly from here, just beside the {b}.",
    "Experts say the {a} matters more than the {b}.",
    "In the past the {a} was much smaller than it is today.",
    "Children love asking questions about the {a}.",
    "The {b} was repaired last year after a long winter.",
    "People travel a long way to see the {a} for themselves.",
    "A new book tells the story of the {a} and its {b}.",
]
SENTENCE_EVERY = 4.0
"""Seconds between sentence starts."""
SOURCES = ["color=c=0x2050a0", "color=c=0xa04020", "color=c=0x30a040", "color=c=0x806020",
           "color=c=0x603080", "color=c=0x208080"]  # fmt: skip


def topic_sentences(topic: Topic, count: int, seed: int = 0) -> list[str]:
    """``count`` sentences about ``topic``; the key fact is the second one."""
    out = []
    n = len(topic.nouns)
    for i in range(count):
        a = topic.nouns[(i + seed) % n]
        b = topic.nouns[(i * 3 + 1 + seed) % n]
        if b == a:
            b = topic.nouns[(i * 3 + 2 + seed) % n]
        out.append(TEMPLATES[(i * 7 + seed) % len(TEMPLATES)].format(a=a, b=b))
    if count >= 2:
        out[1] = topic.fact
    elif count == 1:
        out[0] = topic.fact
    return out


@dataclass(frozen=True)
class TopicVideo:
    path: Path
    topics: list[Topic]
    boundaries: list[float]
    """Times (seconds) where the subject changes (the truth for chapters)."""
    cuts: list[float]
    """Every shot cut, including those inside topics."""
    duration: float
    lines: list[tuple[float, str]]
    """``(start, sentence)`` as spoken."""


def make_topic_video(
    out: Path,
    topics: list[Topic],
    *,
    seconds_per_topic: float = 24.0,
    shots_per_topic: int = 2,
    size: str = "320x240",
    fps: int = 15,
) -> TopicVideo:
    """Write ``out`` (kept if it exists) and say where its topics and cuts are."""
    duration = seconds_per_topic * len(topics)
    per_topic = max(1, int(seconds_per_topic // SENTENCE_EVERY))
    lines: list[tuple[float, str]] = []
    for k, topic in enumerate(topics):
        for i, sentence in enumerate(topic_sentences(topic, per_topic, seed=k)):
            lines.append((k * seconds_per_topic + i * SENTENCE_EVERY + 0.4, sentence))
    shot = seconds_per_topic / shots_per_topic
    cuts = [round(shot * i, 3) for i in range(1, shots_per_topic * len(topics))]
    boundaries = [round(seconds_per_topic * k, 3) for k in range(1, len(topics))]
    video = TopicVideo(out, topics, boundaries, cuts, duration, lines)
    if out.exists():
        return video
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="vidsense-topics-"))
    try:
        speech = work / "speech.wav"
        make_speech(speech, lines, duration)
        scenes = [
            Scene(shot, SOURCES[i % len(SOURCES)]) for i in range(shots_per_topic * len(topics))
        ]
        big = int(size.split("x")[1]) // 10
        captions = [
            Caption(t.title, k * seconds_per_topic + 0.2, k * seconds_per_topic + 4.0, size=big)
            for k, t in enumerate(topics)
        ]
        tmp = work / out.name
        make_video(tmp, scenes, size=size, fps=fps, captions=captions, audio=speech)
        tmp.replace(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return video
