"""Search latency over 100 hours of synthetic evidence in a SQLite store.

100 one-hour videos: a transcript segment every 4 s (sentences from a word list, with timed
words), a text sighting every 20 s, an audio event every 10 s, a keyframe every 3 s (one shot
each), 384-d unit vectors for every text segment and keyframe. Queries run through
:class:`~vidsense.search.SearchService` (the real query embedder included; each query is new,
so no cache helps), per option and for a 4-option ``or`` query; p50/p95 in milliseconds,
beside a brute-force numpy scan (``matrix @ q`` + argpartition) over the same text vectors, and
the median milliseconds of each stage of a request (``SearchResult.timings``: query embedding,
each full-text list, the vector search, reading its hits, the on-screen text scan, scoring each
option, waiting for reads still running); the reads of a request run on several threads at
once, so stages add up to more than the total. ``--runs N`` repeats the timed queries N times
and prints the median of each figure over the runs.

    python benchmarks/search.py [--hours 100] [--queries 40] [--runs 3] [--database-url URL]
        [--keep DIR]

``--database-url`` runs it on another store (``postgresql://...``; give it an empty database:
the benchmark writes an index there and deletes it afterwards). ``--keep DIR`` keeps the
populated store in DIR and reuses it on the next run (SQLite). The size of the store (database
plus vector files) is printed too, as vectors per GB.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from vidsense.config import Settings
from vidsense.library import Library
from vidsense.search import SearchRequest, SearchService
from vidsense.store import Keyframe, Segment, VectorBatch

WORDS = [
    "market",
    "price",
    "team",
    "season",
    "river",
    "road",
    "city",
    "people",
    "water",
    "music",
    "night",
    "morning",
    "train",
    "station",
    "doctor",
    "museum",
    "garden",
    "kitchen",
    "recipe",
    "bread",
    "coffee",
    "football",
    "basketball",
    "phone",
    "laptop",
    "battery",
    "flight",
    "weather",
    "snow",
    "rain",
    "mountain",
    "lake",
    "boat",
    "kite",
    "camera",
    "light",
    "story",
    "school",
    "teacher",
    "student",
    "engineer",
    "project",
    "budget",
    "meeting",
    "report",
    "customer",
    "product",
    "sale",
    "window",
    "door",
    "house",
    "family",
    "friend",
    "dinner",
    "lunch",
    "summer",
    "winter",
    "holiday",
    "beach",
    "forest",
]
GLUE = [
    "the",
    "a",
    "our",
    "their",
    "this",
    "that",
    "with",
    "for",
    "about",
    "after",
    "before",
    "and",
    "then",
    "very",
]
LABELS = ["Speech", "Music", "Applause", "Laughter", "Dog", "Car", "Silence", "Crowd"]


def sentence(rng: random.Random, n: int = 10) -> str:
    return " ".join(rng.choice(WORDS if i % 2 else GLUE) for i in range(n)).capitalize() + "."


def unit(rng: np.random.Generator, n: int, dim: int = 384) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def populate(lib: Library, hours: float) -> tuple[str, np.ndarray]:
    rng, nrng = random.Random(7), np.random.default_rng(7)
    index = lib.create_index("bench")
    videos = max(1, round(hours))
    all_text: list[np.ndarray] = []
    for v in range(videos):
        video = lib.store.create_video(
            index.id, filename=f"v{v}.mp4", sha256=f"{v:064x}", duration=3600.0, status="ready"
        )
        segments: list[Segment] = []
        for t in range(0, 3600, 4):
            text = sentence(rng)
            words = [
                {"word": w, "start": t + i * 0.35, "end": t + i * 0.35 + 0.3, "probability": 1}
                for i, w in enumerate(text.split())
            ]
            segments.append(Segment(video.id, "transcript", t, t + 3.8, text, {"words": words}))
        for t in range(0, 3600, 20):
            text = " ".join(rng.choice(WORDS) for _ in range(2)).upper()
            segments.append(Segment(video.id, "text", t, t + 5, text, {"box": [0, 0, 10, 10]}))
        for t in range(0, 3600, 10):
            label = rng.choice(LABELS)
            segments.append(Segment(video.id, "audio_event", t, t + 2, label, {"label": label}))
        keyframes = []
        for i, t in enumerate(range(0, 3600, 3)):
            segments.append(Segment(video.id, "shot", t, t + 3, "", {"index": i}))
            keyframes.append(Keyframe(video.id, i, t + 1.5, f"{index.id}/{video.id}/k{i}.jpg"))
        texts = [s for s in segments if s.kind in ("transcript", "text", "audio_event")]
        text_vectors = unit(nrng, len(texts))
        all_text.append(text_vectors)
        lib.store.replace_evidence(
            video.id,
            segments,
            keyframes,
            [
                VectorBatch("text", [s.id for s in texts], text_vectors),
                VectorBatch("visual", [k.id for k in keyframes], unit(nrng, len(keyframes))),
            ],
        )
    return index.id, np.concatenate(all_text)


def pct(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


PLANS = {
    "conversation": ("conversation",),
    "text_in_video": ("text_in_video",),
    "visual": ("visual",),
    "logo": ("logo",),
    "audio": ("audio",),
    "or(4 options)": ("conversation", "text_in_video", "visual", "audio"),
}
STAGES = ("embed", "fts", "vectors", "segments", "fuzzy", "rank", "wait", "other")
"""Columns of the per-stage table (``fts`` and ``vectors`` add up their kinds and spaces,
``rank`` every option's scoring less its waits, ``other``: checks, pool, sightings, combine)."""


def stage_row(timings: dict[str, float]) -> dict[str, float]:
    """One request's timings (seconds) folded into the :data:`STAGES` columns (ms)."""
    row = dict.fromkeys(STAGES, 0.0)
    for name, seconds in timings.items():
        head = name.split(":")[0]
        if head in row and head != "other":
            row[head] += seconds * 1000
        elif name in ("checks", "pool", "sightings", "combine"):
            row["other"] += seconds * 1000
    row["rank"] = max(0.0, row["rank"] - row["wait"])
    return row


def run_plans(
    service: SearchService, index_id: str, queries: int, seed: int
) -> dict[str, tuple[float, float, dict[str, float]]]:
    """Per plan: p50 and p95 ms, and the median ms of each stage."""
    rng = random.Random(seed)
    found = {}
    for name, options in PLANS.items():
        times, rows = [], []
        for q in range(queries):
            query = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {name} {seed} {q}"
            t0 = time.perf_counter()
            result = service.run(SearchRequest(index_id, query, options, threshold="none"))
            times.append((time.perf_counter() - t0) * 1000)
            rows.append(stage_row(result.timings))
        p50, p95 = pct(times)
        found[name] = (p50, p95, {k: statistics.median(r[k] for r in rows) for k in STAGES})
    return found


def brute_force(matrix: np.ndarray, queries: int) -> tuple[float, float]:
    times = []
    nrng = np.random.default_rng(3)
    for _ in range(queries):
        q = unit(nrng, 1)[0]
        t0 = time.perf_counter()
        scores = matrix @ q
        top = np.argpartition(-scores, 100)[:100]
        top[np.argsort(-scores[top])]
        times.append((time.perf_counter() - t0) * 1000)
    return pct(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=100)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--runs", type=int, default=1, help="repeat the timed queries N times")
    parser.add_argument(
        "--database-url", default=None, help="store URL (default: SQLite in a temporary folder)"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep (and reuse) the store here")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        folder = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        lib = Library.open(Settings(data_dir=folder, database_url=args.database_url))
        stack.callback(lib.close)
        print(f"store: {type(lib.store).__name__}")
        kept = [i for i in lib.list_indexes(page_limit=50).items if i.name == "bench"]
        if args.keep and kept and args.database_url is None:
            index_id, matrix = kept[0].id, text_matrix(lib, kept[0].id)
            print(f"reusing the store in {folder}; {len(matrix)} text vectors")
        else:
            started = time.monotonic()
            index_id, matrix = populate(lib, args.hours)
            print(
                f"populated {args.hours:g} h in {time.monotonic() - started:.0f} s; "
                f"{len(matrix)} text vectors"
            )
            if args.database_url:
                stack.callback(lib.delete_index, index_id)
        report_size(lib, folder, args.hours)
        service = SearchService(lib)
        service.run(SearchRequest(index_id, "warm up", ("text_in_video",)))  # builds caches
        runs = [run_plans(service, index_id, args.queries, seed) for seed in range(args.runs)]
        brute = [brute_force(matrix, args.queries) for _ in range(args.runs)]
        note = f" (medians of {args.runs} runs)" if args.runs > 1 else ""
        print(f"\nlatency, ms{note}")
        print(f"{'option':16} {'p50':>7} {'p95':>7}   " + " ".join(f"{s:>8}" for s in STAGES))
        for name in PLANS:
            p50 = statistics.median(r[name][0] for r in runs)
            p95 = statistics.median(r[name][1] for r in runs)
            stages = [statistics.median(r[name][2][s] for r in runs) for s in STAGES]
            print(f"{name:16} {p50:7.1f} {p95:7.1f}   " + " ".join(f"{v:8.1f}" for v in stages))
        p50 = statistics.median(b[0] for b in brute)
        p95 = statistics.median(b[1] for b in brute)
        print(f"{'numpy brute':16} {p50:7.1f} {p95:7.1f}   (text vectors, top 100)")
        conversation = statistics.median(r["conversation"][0] for r in runs)
        print(f"conversation p50 / numpy brute p50: {conversation / p50:.1f}x")


def text_matrix(lib: Library, index_id: str) -> np.ndarray:
    """The text vectors of a kept store (for the brute-force reference)."""
    parts = []
    for video in lib.ready_videos(index_id):
        parts.append(lib.video_vectors(video.id, "text")[1])
    return np.concatenate(parts)


def report_size(lib: Library, data_dir: Path, hours: float) -> None:
    """Print the store's size on disk (database + vector files) and vectors per GB."""
    files = sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())
    database = 0
    if "postgres" in lib.settings.store_url:
        import psycopg

        with psycopg.connect(lib.settings.store_url) as conn:
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
            database = int(row[0]) if row else 0
    videos = max(1, round(hours))
    # per hour: a transcript segment / 4 s, a sighting / 20 s, an event / 10 s (text vectors),
    # a keyframe / 3 s (visual vectors)
    vectors = videos * (900 + 180 + 360 + 1200)
    total = files + database
    print(
        f"store size: {total / 1e9:.2f} GB (files {files / 1e9:.2f} GB, "
        f"database {database / 1e9:.2f} GB); {vectors} vectors of 384 floats with their "
        f"evidence: {vectors / (total / 1e9):,.0f} vectors per GB"
    )


if __name__ == "__main__":
    main()
