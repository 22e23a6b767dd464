"""Search latency over 100 hours of synthetic evidence in a SQLite store.

100 one-hour videos: a transcript segment every 4 s (sentences from a word list, with timed
words), a text sighting every 20 s, an audio event every 10 s, a keyframe every 3 s (one shot
each), 384-d unit vectors for every text segment and keyframe. Queries run through
:class:`~vidsense.search.SearchService` (the real query embedder included; each query is new,
so no cache helps), per option and for a 4-option ``or`` query, each option searched once
first (what the first search of an option loads once is not counted); p50/p95 in
milliseconds, and p50 as a ratio to a brute-force numpy scan (``einsum`` + argpartition)
over the same text vectors timed just before each query (so that both see the same load), and
the median milliseconds of each stage of a request (``SearchResult.timings``: query embedding,
each full-text list, the vector search, reading its hits, the on-screen text scan, scoring each
option, waiting for reads still running); the reads of a request run on several threads at
once, so stages add up to more than the total. ``--runs N`` repeats the timed queries N times
and prints the median of each figure over the runs.

    python benchmarks/search.py [--hours 100] [--queries 40] [--runs 3] [--database-url URL]
        [--database-url URL2 ...] [--keep DIR]

``--database-url`` runs it on another store (``postgresql://...``; give it an empty database:
the benchmark writes an index there and deletes it afterwards; its HNSW indexes are built once
after the rows are loaded); given more than once (``sqlite``
names the default store), each store is measured in turn and the figures are printed side by
side. ``--keep DIR`` keeps the populated SQLite store in DIR and reuses it on the next run. The
size of the store (database plus vector files) is printed too, as vectors per GB.
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
    hnsw: list[str] = []
    for v in range(videos):
        if v == 1 and "postgres" in lib.settings.store_url:
            hnsw = set_aside_hnsw(lib, index.id)
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
    if hnsw:
        rebuild_hnsw(lib, hnsw)
    return index.id, np.concatenate(all_text)


def set_aside_hnsw(lib: Library, index_id: str) -> list[str]:
    """Drop the index's HNSW indexes (PostgreSQL) and return their definitions: a bulk load is
    many times faster when the graph is built once after the rows are in (pgvector's advice)
    than when every insert updates it."""
    import psycopg

    with psycopg.connect(lib.settings.store_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'vectors' "
            "AND indexname LIKE %s",
            (f"vectors_hnsw_{index_id}_%",),
        ).fetchall()
        for name, _ in rows:
            conn.execute(f"DROP INDEX {name}")
    return [definition for _, definition in rows]


def rebuild_hnsw(lib: Library, definitions: list[str]) -> None:
    """Build the HNSW indexes set aside by :func:`set_aside_hnsw` (in memory when they fit) and
    refresh the planner's statistics."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(lib.settings.store_url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '2GB'")
        for definition in definitions:
            conn.execute(definition)  # type: ignore[arg-type]
        conn.execute("ANALYZE")  # as after any bulk load: plans from the loaded tables' statistics
    print(f"built {len(definitions)} HNSW indexes in {time.monotonic() - started:.0f} s")


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
    service: SearchService, index_id: str, queries: int, seed: int, matrix: np.ndarray
) -> dict[str, tuple[float, float, dict[str, float], float, float]]:
    """Per plan: p50 and p95 ms, the median ms of each stage, the median ms of the numpy
    brute-force reference (:func:`brute_force`) timed just before each of the plan's queries
    (so that a search and its reference see the same load), and the median CPU ms of a query
    (every thread of the process: on a loaded machine a steadier figure than wall time)."""
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    found = {}
    for name, options in PLANS.items():
        times, rows, brute, cpu = [], [], [], []
        for q in range(queries):
            query = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {name} {seed} {q}"
            brute.append(brute_force(matrix, unit(nrng, 1)[0]))
            t0, c0 = time.perf_counter(), time.process_time()
            result = service.run(SearchRequest(index_id, query, options, threshold="none"))
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            rows.append(stage_row(result.timings))
        p50, p95 = pct(times)
        stages = {k: statistics.median(r[k] for r in rows) for k in STAGES}
        found[name] = (p50, p95, stages, statistics.median(brute), statistics.median(cpu))
    return found


def brute_force(matrix: np.ndarray, query: np.ndarray) -> float:
    """Milliseconds of the reference: the 100 text vectors nearest ``query`` by a brute-force
    numpy scan on one thread (``einsum`` + argpartition + sorting the 100; not ``matrix @ q``,
    whose OpenBLAS threads would spin on after it, through the search timed next)."""
    t0 = time.perf_counter()
    scores = np.einsum("ij,j->i", matrix, query)
    top = np.argpartition(-scores, 100)[:100]
    top[np.argsort(-scores[top])]
    return (time.perf_counter() - t0) * 1000


Figures = dict[str, tuple[float, float, float, float]]
"""Per plan: p50 ms, p95 ms, p50 / the numpy reference's p50, CPU ms per query (p50); medians
over the runs."""


def measure(url: str | None, args: argparse.Namespace) -> Figures:
    """Populate (or reuse) a store at ``url`` (None: SQLite), time the plans, print its table."""
    with contextlib.ExitStack() as stack:
        keep = args.keep if url is None else None
        folder = keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        lib = Library.open(Settings(data_dir=folder, database_url=url))
        stack.callback(lib.close)
        print(f"\nstore: {type(lib.store).__name__}")
        kept = [i for i in lib.list_indexes(page_limit=50).items if i.name == "bench"]
        if keep and kept:
            index_id, matrix = kept[0].id, text_matrix(lib, kept[0].id)
            print(f"reusing the store in {folder}; {len(matrix)} text vectors")
        else:
            started = time.monotonic()
            index_id, matrix = populate(lib, args.hours)
            print(
                f"populated {args.hours:g} h in {time.monotonic() - started:.0f} s; "
                f"{len(matrix)} text vectors"
            )
            if url:
                stack.callback(lib.delete_index, index_id)
        report_size(lib, folder, args.hours)
        service = SearchService(lib)
        # Steady state: the first search of an option loads what it needs once (caches, the
        # visual option's WordNet), which is not the latency of a search.
        for name, options in PLANS.items():
            service.run(SearchRequest(index_id, f"warm up {name}", options))
        runs = [run_plans(service, index_id, args.queries, s, matrix) for s in range(args.runs)]
        note = f" (medians of {args.runs} runs)" if args.runs > 1 else ""
        print(
            f"\nlatency, ms{note}; x ref: p50 / the numpy reference's p50 in the same run; "
            "cpu: CPU ms of a query, all threads"
        )
        head = f"{'option':16} {'p50':>7} {'p95':>7} {'x ref':>6} {'cpu':>6}   "
        print(head + " ".join(f"{s:>8}" for s in STAGES))
        figures: Figures = {}
        for name in PLANS:
            p50 = statistics.median(r[name][0] for r in runs)
            p95 = statistics.median(r[name][1] for r in runs)
            ratio = p50 / statistics.median(r[name][3] for r in runs)
            cpu = statistics.median(r[name][4] for r in runs)
            stages = [statistics.median(r[name][2][s] for r in runs) for s in STAGES]
            figures[name] = (p50, p95, ratio, cpu)
            print(
                f"{name:16} {p50:7.1f} {p95:7.1f} {ratio:6.2f} {cpu:6.1f}   "
                + " ".join(f"{v:8.1f}" for v in stages)
            )
        brute = statistics.median(r[name][3] for r in runs for name in PLANS)
        print(f"{'numpy reference':16} {brute:7.1f}           (text vectors, top 100)")
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=100)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--runs", type=int, default=1, help="repeat the timed queries N times")
    parser.add_argument(
        "--database-url",
        action="append",
        default=None,
        help="store URL; give it twice or more to compare stores ('sqlite': the default "
        "SQLite in a temporary folder)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep (and reuse) the store here")
    args = parser.parse_args()
    urls = [None if u in (None, "sqlite") else u for u in (args.database_url or [None])]
    found = [(url, measure(url, args)) for url in urls]
    if len(found) > 1:
        names = ["SQLite" if url is None else url.split(":")[0] for url, _ in found]
        print("\np50 / p95 ms (x ref, cpu ms) side by side")
        print(f"{'option':16} " + " ".join(f"{n:>32}" for n in names))
        for plan in PLANS:
            cells = [
                f"{f[plan][0]:.1f} / {f[plan][1]:.1f} ({f[plan][2]:.2f}x, {f[plan][3]:.0f})"
                for _, f in found
            ]
            print(f"{plan:16} " + " ".join(f"{c:>32}" for c in cells))


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
