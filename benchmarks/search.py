"""Search latency over 100 hours of synthetic evidence in a SQLite store.

100 one-hour videos: a transcript segment every 4 s (sentences from a word list, with timed
words), a text sighting every 20 s, an audio event every 10 s, a keyframe every 3 s (one shot
each), 384-d unit vectors for every text segment and keyframe. Queries run through
:class:`~vidsense.search.SearchService` (the real query embedder included; each query is new,
so no cache helps), per option and for a 4-option ``or`` query; p50/p95 in milliseconds,
beside a brute-force numpy scan (``matrix @ q`` + argpartition) over the same text vectors.

    python benchmarks/search.py [--hours 100] [--queries 40] [--database-url URL]

``--database-url`` runs it on another store (``postgresql://...``; give it an empty database:
the benchmark writes an index there and deletes it afterwards). The size of the store (database
plus vector files) is printed too, as vectors per GB.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=100)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument(
        "--database-url", default=None, help="store URL (default: SQLite in a temporary folder)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lib = Library.open(Settings(data_dir=Path(tmp), database_url=args.database_url))
        print(f"store: {type(lib.store).__name__}")
        started = time.monotonic()
        index_id, matrix = populate(lib, args.hours)
        print(
            f"populated {args.hours:g} h in {time.monotonic() - started:.0f} s; "
            f"{len(matrix)} text vectors"
        )
        report_size(lib, Path(tmp), args.hours)
        service = SearchService(lib)
        rng = random.Random(11)
        service.run(SearchRequest(index_id, "warm up", ("text_in_video",)))  # builds caches
        plans = {
            "conversation": ("conversation",),
            "text_in_video": ("text_in_video",),
            "visual": ("visual",),
            "logo": ("logo",),
            "audio": ("audio",),
            "or(4 options)": ("conversation", "text_in_video", "visual", "audio"),
        }
        print(f"{'option':16} {'p50 ms':>8} {'p95 ms':>8}")
        for name, options in plans.items():
            times = []
            for q in range(args.queries):
                query = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {name} {q}"
                t0 = time.perf_counter()
                service.run(SearchRequest(index_id, query, options, threshold="none"))
                times.append((time.perf_counter() - t0) * 1000)
            p50, p95 = pct(times)
            print(f"{name:16} {p50:8.1f} {p95:8.1f}")
        times = []
        nrng = np.random.default_rng(3)
        for _ in range(args.queries):
            q = unit(nrng, 1)[0]
            t0 = time.perf_counter()
            scores = matrix @ q
            top = np.argpartition(-scores, 100)[:100]
            top[np.argsort(-scores[top])]
            times.append((time.perf_counter() - t0) * 1000)
        p50, p95 = pct(times)
        print(f"{'numpy brute':16} {p50:8.1f} {p95:8.1f}   (text vectors, top 100)")
        if args.database_url:
            lib.delete_index(index_id)
        lib.close()


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
