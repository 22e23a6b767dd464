"""A generated search library shared by ``tests/test_search.py`` and
``benchmarks/search_quality.py``: ten 12-second 320x240 clips, each with two spoken sentences
(espeak-ng) and two burned-in captions, indexed through the real :class:`Library` path.

Sentences and captions come in near-miss pairs across videos (the same sentence with one key
noun changed), so a search has to get the noun right to put the right moment first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import MediaCache
from tests.factory import Caption, Scene, make_speech, make_video
from vidsense.config import Settings
from vidsense.jobs import EmbeddedExecutor
from vidsense.library import Library
from vidsense.search import Clip, SearchRequest, SearchService

DURATION = 12.0
HALF = DURATION / 2
SPEECH_AT = (0.5, HALF + 0.5)
CAPTION_AT = ((0.3, HALF - 0.3), (HALF + 0.3, DURATION - 0.3))

# (sentence, paraphrased query) per video and half.
SPEECH: list[tuple[tuple[str, str], tuple[str, str]]] = [
    (
        ("The chef slices fresh tomatoes for the summer salad.", "cook cutting tomatoes"),
        ("Our train to Berlin leaves from platform nine at noon.", "the Berlin train departs"),
    ),
    (
        ("The chef slices fresh onions for the summer salad.", "cook chopping onions"),
        ("Our train to Paris leaves from platform nine at noon.", "train for Paris departing"),
    ),
    (
        ("The doctor says you should drink more water every day.", "physician recommends water"),
        ("A small red boat drifted slowly across the lake.", "red boat floating on a lake"),
    ),
    (
        ("The doctor says you should drink more coffee every day.", "doctor advises coffee"),
        ("A small red kite drifted slowly across the sky.", "a red kite flying in the sky"),
    ),
    (
        (
            "The museum opens a new exhibition about ancient Egypt next month.",
            "museum show about Egypt",
        ),
        ("My grandmother grows roses in her garden behind the house.", "grandma growing roses"),
    ),
    (
        (
            "The museum opens a new exhibition about ancient Rome next month.",
            "museum show about Rome",
        ),
        ("My grandmother keeps chickens in her garden behind the house.", "grandma's chickens"),
    ),
    (
        ("The football team won the championship after a long season.", "football title win"),
        ("Please remember to charge your phone before the flight.", "charge the phone to fly"),
    ),
    (
        ("The basketball team won the championship after a long season.", "basketball title"),
        ("Please remember to charge your laptop before the flight.", "charge the laptop to fly"),
    ),
    (
        ("Heavy snow closed the mountain road for three days.", "snowfall shut the road"),
        ("The bakery sells warm bread and croissants every morning.", "bakery with fresh bread"),
    ),
    (
        ("Heavy rain flooded the mountain road for three days.", "rain flooding the road"),
        ("The bakery sells warm cookies and muffins every morning.", "bakery selling muffins"),
    ),
]
CAPTIONS: list[tuple[str, str]] = [
    ("FRESH TOMATOES", "PLATFORM NINE"),
    ("FRESH ONIONS", "PLATFORM FOUR"),
    ("DRINK WATER", "RED BOAT"),
    ("DRINK COFFEE", "RED KITE"),
    ("ANCIENT EGYPT", "ROSE GARDEN"),
    ("ANCIENT ROME", "CHICKEN COOP"),
    ("FOOTBALL CUP", "PHONE CHARGER"),
    ("BASKETBALL CUP", "LAPTOP BATTERY"),
    ("ROAD CLOSED", "WARM BREAD"),
    ("ROAD FLOODED", "SWEET MUFFINS"),
]
COLOURS: list[tuple[str, str]] = [
    ("navy", "0x1b4d2b"),
    ("maroon", "0x204060"),
    ("darkgreen", "0x603020"),
    ("indigo", "0x305030"),
    ("darkslategray", "0x502050"),
    ("saddlebrown", "0x203050"),
    ("darkolivegreen", "0x402060"),
    ("midnightblue", "0x604010"),
    ("darkred", "0x106050"),
    ("purple", "0x205020"),
]


@dataclass(frozen=True)
class Truth:
    """Where something is in the library: video number (0-9) and ``start``/``end`` seconds."""

    video: int
    start: float
    end: float
    text: str
    query: str = ""


@dataclass
class SearchLibrary:
    library: Library
    index_id: str
    video_ids: list[str]
    speech: list[Truth]
    captions: list[Truth]
    clips: list[Path]
    build_seconds: float

    def video_number(self, video_id: str) -> int:
        return self.video_ids.index(video_id)


def _clip(media: MediaCache, n: int) -> tuple[Path, list[Truth]]:
    spoken_truth: list[Truth] = []

    def build(out: Path) -> None:
        wav = out.with_suffix(".wav")
        lines = [(at, SPEECH[n][i][0]) for i, at in enumerate(SPEECH_AT)]
        make_speech(wav, lines, DURATION)
        scenes = [
            Scene(
                HALF,
                f"color=c={COLOURS[n][i]}",
                [Caption(CAPTIONS[n][i], *CAPTION_AT[i], size=28)],
            )
            for i in range(2)
        ]
        make_video(out, scenes, size="320x240", fps=15, audio=wav)

    path = media.get(f"search-{n}.mp4", build)
    # espeak starts the sound a few tens of ms after the requested time.
    for i, at in enumerate(SPEECH_AT):
        sentence, query = SPEECH[n][i]
        spoken_truth.append(Truth(n, at, at + 4.0, sentence, query))
    return path, spoken_truth


def build_search_library(media: MediaCache, settings: Settings, workers: int = 2) -> SearchLibrary:
    """Generate the clips (cached in ``media``) and index them through the real task path."""
    started = time.monotonic()
    clips: list[Path] = []
    speech: list[Truth] = []
    captions: list[Truth] = []
    for n in range(len(SPEECH)):
        path, said = _clip(media, n)
        clips.append(path)
        speech.extend(said)
        for i, (start, end) in enumerate(CAPTION_AT):
            captions.append(Truth(n, start, end, CAPTIONS[n][i], CAPTIONS[n][i]))
    lib = Library.open(settings)
    index = lib.create_index("search-quality")
    with EmbeddedExecutor(lib, workers):
        tasks = [lib.submit_file(index.id, p).task.id for p in clips]
        deadline = time.monotonic() + 600
        video_ids: list[str] = []
        for task_id in tasks:
            while True:
                task = lib.get_task(task_id)
                if task.status in ("ready", "failed"):
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"task {task_id} did not finish")
                time.sleep(0.2)
            if task.status != "ready" or task.video_id is None:
                raise AssertionError(f"indexing failed: {task.error_code} {task.error_message}")
            video_ids.append(task.video_id)
    return SearchLibrary(
        lib, index.id, video_ids, speech, captions, clips, time.monotonic() - started
    )


FUSED = ("visual", "conversation", "text_in_video")
"""The web UI's default search options."""


@dataclass(frozen=True)
class Quality:
    """Search quality figures over the library's known moments (shares are 0-1)."""

    speech_top1: float
    speech_top5: float
    caption_top1: float
    start_within_1s: float
    misses: list[str]
    fused_top1: float = 0.0
    """Share of all the queries (speech and captions) ranked first by the web UI's default,
    visual + conversation + text_in_video fused."""


def _rank(hits: list[tuple[str, float, float]], truth: Truth, video_ids: list[str]) -> int | None:
    for rank, (video_id, start, end) in enumerate(hits, 1):
        if video_id == video_ids[truth.video] and start < truth.end and truth.start < end:
            return rank
    return None


def measure_quality(service: SearchService, sl: SearchLibrary) -> Quality:
    """Paraphrased speech queries (conversation) and exact captions (text_in_video)."""
    misses: list[str] = []
    top1 = top5 = caption1 = near = 0
    for truth in sl.speech:
        result = service.run(
            SearchRequest(sl.index_id, truth.query, ("conversation",), threshold="none")
        )
        hits = [(c.video_id, c.start, c.end) for c in result.items if isinstance(c, Clip)]
        rank = _rank(hits[:5], truth, sl.video_ids)
        top1 += rank == 1
        top5 += rank is not None
        if rank == 1:
            near += abs(hits[0][1] - truth.start) <= 1.0
        else:
            misses.append(f"speech {truth.query!r} rank={rank}")
    for truth in sl.captions:
        result = service.run(
            SearchRequest(sl.index_id, truth.query, ("text_in_video",), threshold="none")
        )
        hits = [(c.video_id, c.start, c.end) for c in result.items if isinstance(c, Clip)]
        rank = _rank(hits[:1], truth, sl.video_ids)
        caption1 += rank == 1
        if rank == 1:
            near += abs(hits[0][1] - truth.start) <= 1.0
        else:
            misses.append(f"caption {truth.query!r}")
    fused = 0
    for truth in [*sl.speech, *sl.captions]:
        result = service.run(SearchRequest(sl.index_id, truth.query, FUSED, threshold="none"))
        hits = [(c.video_id, c.start, c.end) for c in result.items if isinstance(c, Clip)]
        fused += _rank(hits[:1], truth, sl.video_ids) == 1
        if _rank(hits[:1], truth, sl.video_ids) != 1:
            misses.append(f"fused {truth.query!r}")
    n, m = len(sl.speech), len(sl.captions)
    return Quality(
        top1 / n, top5 / n, caption1 / m, near / max(1, top1 + caption1), misses, fused / (n + m)
    )
