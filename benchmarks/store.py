"""Store search speed: vector search at 100k and 1M vectors, FTS at ~100k segments.

Vector search (dim 384, float32 unit vectors, top 10), each as p50/p95 over ``--queries`` runs:

- ``store``: :meth:`SQLiteStore.search_vectors` end to end (snapshot check, persisted numpy
  matrix, owner lookup), after the cache is built; plus the first search after writing (cache
  built from the database) and the first search after reopening (cache files memory-mapped);
- ``numpy``: the brute-force reference, ``matrix @ q`` + ``argpartition`` on an in-memory array;
- ``sqlite-vec``: a ``vec0`` table (cosine) queried with ``MATCH ... AND k = 10``, when
  ``sqlite_vec`` and an SQLite that can load extensions (``pysqlite3``) are importable.

Full-text search: :meth:`SQLiteStore.search_text` on ``--fts-segments`` segments of 12 words
drawn from a Zipf-distributed 5000-word vocabulary, for two-word queries in ``any`` mode, and
for two words of one segment in ``all`` mode and as a ``phrase``.

    python benchmarks/store.py [--sizes 100000 1000000] [--queries 50] [--json]

sqlite-vec needs an SQLite with extension loading, which Python's own ``sqlite3`` here lacks:
``pip install --target /tmp/svlib sqlite-vec pysqlite3-binary`` and run with
``PYTHONPATH=/tmp/svlib``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from vidsense.store import Keyframe, Segment, VectorBatch, open_store
from vidsense.store.base import Store

DIM = 384
PER_VIDEO = 10_000
K = 10


def percentiles(times: list[float]) -> dict[str, float]:
    """p50 and p95 of ``times`` (seconds), in milliseconds."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": statistics.median(ordered) * 1e3, "p95_ms": p95 * 1e3}


def timed(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return percentiles(times)


def unit_rows(rng: np.random.Generator, n: int) -> npt.NDArray[np.float32]:
    m = rng.standard_normal((n, DIM), dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return m


def load_sqlite_vec() -> tuple[ModuleType, ModuleType] | None:
    try:
        import sqlite_vec  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        import pysqlite3.dbapi2 as driver  # type: ignore[import-not-found]
    except ImportError:
        import sqlite3 as driver
    if not hasattr(driver.Connection, "enable_load_extension"):
        return None
    return sqlite_vec, driver


def bench_vectors(root: Path, n: int, queries: int, rng: np.random.Generator) -> dict[str, Any]:
    result: dict[str, Any] = {"vectors": n, "dim": DIM}
    matrix = unit_rows(rng, n)
    picks = rng.integers(0, n, queries)
    qs = matrix[picks] + 0.02 * rng.standard_normal((queries, DIM), dtype=np.float32)

    url = f"sqlite:///{root / f'vec{n}.db'}"
    store = open_store(url, root / "blobs")
    idx = store.create_index(f"bench-{n}")
    owners: list[str] = []
    videos: list[str] = []
    start = time.perf_counter()
    for lo in range(0, n, PER_VIDEO):
        video = store.create_video(idx.id, filename=f"{lo}.mp4", sha256="0" * 64, duration=600)
        videos.append(video.id)
        rows = matrix[lo : lo + PER_VIDEO]
        frames = [Keyframe(video.id, i, float(i), f"k/{i}.jpg") for i in range(len(rows))]
        store.replace_evidence(
            video.id, [], frames, [VectorBatch("visual", [f.id for f in frames], rows)]
        )
        owners += [f.id for f in frames]
    result["insert_s"] = time.perf_counter() - start

    start = time.perf_counter()
    first = store.search_vectors(idx.id, "visual", qs[0], limit=K)
    result["first_search_after_write_s"] = time.perf_counter() - start
    store.close()
    store = open_store(url, root / "blobs")
    start = time.perf_counter()
    again = store.search_vectors(idx.id, "visual", qs[0], limit=K)
    result["first_search_after_reopen_s"] = time.perf_counter() - start
    assert again == first

    # Exactness: the store returns what the brute-force scan returns.
    for q in qs[:5]:
        got = [o for o, _ in store.search_vectors(idx.id, "visual", q, limit=K)]
        scores = matrix @ (q / np.linalg.norm(q))
        want = [owners[i] for i in np.argsort(-scores)[:K]]
        assert got == want, "store results differ from brute force"

    it = iter(qs.tolist() * 3)
    result["store"] = timed(
        lambda: store.search_vectors(idx.id, "visual", np.array(next(it)), limit=K), queries
    )
    one_video = [videos[len(videos) // 2]]
    result["store_one_video_filter"] = timed(
        lambda: store.search_vectors(
            idx.id, "visual", np.array(next(it)), limit=K, video_ids=one_video
        ),
        queries,
    )
    store.close()

    def numpy_top(q: npt.NDArray[np.float32]) -> npt.NDArray[np.intp]:
        scores = matrix @ q
        top = np.argpartition(-scores, K)[:K]
        return top[np.argsort(-scores[top])]

    it = iter(qs.tolist() * 3)
    result["numpy"] = timed(lambda: numpy_top(np.array(next(it), dtype=np.float32)), queries)

    loaded = load_sqlite_vec()
    if loaded is None:
        result["sqlite_vec"] = "not measured: sqlite_vec or an extension-loading sqlite missing"
        return result
    sqlite_vec, driver = loaded
    conn = driver.connect(str(root / f"sqlite-vec-{n}.db"))
    conn.enable_load_extension(True)
    sqlite_vec.load(conn)
    conn.execute(
        f"CREATE VIRTUAL TABLE v USING vec0(embedding float[{DIM}] distance_metric=cosine)"
    )
    start = time.perf_counter()
    for lo in range(0, n, PER_VIDEO):
        conn.executemany(
            "INSERT INTO v (rowid, embedding) VALUES (?, ?)",
            ((lo + i + 1, matrix[lo + i].tobytes()) for i in range(min(PER_VIDEO, n - lo))),
        )
    conn.commit()
    result["sqlite_vec_insert_s"] = time.perf_counter() - start
    got_rows = conn.execute(
        "SELECT rowid FROM v WHERE embedding MATCH ? AND k = ?", (qs[0].tobytes(), K)
    ).fetchall()
    result["sqlite_vec_agrees"] = [owners[r[0] - 1] for r in got_rows] == [o for o, _ in first]
    it = iter(qs.tolist() * 3)

    def vec0_query() -> None:
        q = np.array(next(it), dtype=np.float32)
        conn.execute(
            "SELECT rowid, distance FROM v WHERE embedding MATCH ? AND k = ?", (q.tobytes(), K)
        ).fetchall()

    result["sqlite_vec"] = timed(vec0_query, max(5, queries // 2))
    conn.close()
    return result


def bench_fts(root: Path, segments: int, queries: int, rng: np.random.Generator) -> dict[str, Any]:
    vocabulary = [f"w{i}" for i in range(5000)]
    ranks = np.arange(1, len(vocabulary) + 1)
    weights = 1.0 / ranks
    weights /= weights.sum()
    words = rng.choice(len(vocabulary), size=(segments, 12), p=weights)
    store: Store = open_store(f"sqlite:///{root / 'fts.db'}", root / "blobs")
    idx = store.create_index("fts")
    start = time.perf_counter()
    per_video = segments // 10
    for v in range(10):
        video = store.create_video(idx.id, filename=f"{v}.mp4", sha256="0" * 64, duration=3600)
        store.replace_evidence(
            video.id,
            [
                Segment(
                    video.id,
                    "transcript",
                    float(i),
                    float(i + 1),
                    " ".join(vocabulary[w] for w in words[v * per_video + i]),
                )
                for i in range(per_video)
            ],
        )
    result: dict[str, Any] = {"segments": segments, "insert_s": time.perf_counter() - start}
    # "any": two words of rank 10-2000 (hundreds to thousands of matching segments each);
    # "all" and "phrase": two words (apart / adjacent) taken from a random segment.
    pairs = rng.integers(10, 2000, size=(queries, 2))
    texts = iter(f"{vocabulary[a]} {vocabulary[b]}" for a, b in pairs)
    sampled = words[rng.integers(0, segments, size=queries)]
    both = iter(f"{vocabulary[row[1]]} {vocabulary[row[8]]}" for row in sampled)
    phrases = iter(" ".join(vocabulary[w] for w in row[3:5]) for row in sampled)
    result["any"] = timed(lambda: store.search_text(idx.id, next(texts), limit=K), queries)
    result["all"] = timed(
        lambda: store.search_text(idx.id, next(both), limit=K, mode="all"), queries
    )
    result["phrase"] = timed(
        lambda: store.search_text(idx.id, next(phrases), limit=K, mode="phrase"), queries
    )
    store.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--fts-segments", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: temp)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    report: dict[str, Any] = {"vectors": [], "fts": None}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        for n in args.sizes:
            report["vectors"].append(bench_vectors(root, n, args.queries, rng))
            for path in root.glob("*.db*"):
                if path.is_file():
                    path.unlink()
        if args.fts_segments:
            report["fts"] = bench_fts(root, args.fts_segments, args.queries, rng)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for r in report["vectors"]:
        print(f"vectors n={r['vectors']:,} dim={r['dim']} (insert {r['insert_s']:.1f} s)")
        print(
            f"  first search after write {r['first_search_after_write_s'] * 1e3:.0f} ms, "
            f"after reopen {r['first_search_after_reopen_s'] * 1e3:.0f} ms"
        )
        for name in ("store", "store_one_video_filter", "numpy", "sqlite_vec"):
            v = r[name]
            if isinstance(v, dict):
                print(f"  {name:24s} p50 {v['p50_ms']:8.1f} ms   p95 {v['p95_ms']:8.1f} ms")
            else:
                print(f"  {name:24s} {v}")
        if "sqlite_vec_insert_s" in r:
            print(
                f"  sqlite-vec insert {r['sqlite_vec_insert_s']:.1f} s, same top 10: "
                f"{r['sqlite_vec_agrees']}"
            )
    if report["fts"]:
        f = report["fts"]
        print(f"fts segments={f['segments']:,} (insert {f['insert_s']:.1f} s)")
        for mode in ("any", "all", "phrase"):
            print(f"  {mode:8s} p50 {f[mode]['p50_ms']:6.2f} ms   p95 {f[mode]['p95_ms']:6.2f} ms")


if __name__ == "__main__":
    main()
