"""Contract tests for the storage layer, run against every backend: SQLite and PostgreSQL.

Each test talks to the :class:`~vidsense.store.base.Store` interface only. SQLite runs on real
database files in ``tmp_path``. PostgreSQL runs when ``VIDSENSE_TEST_DATABASE_URL`` names a
reachable server (``scripts/postgres.sh start`` prints one), each test in a fresh schema that is
dropped afterwards; otherwise its cases are skipped.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import numpy.typing as npt
import pytest

from tests.database_support import DATABASES, PG_URL, pg_admin
from vidsense.errors import Conflict, InvalidArgument, NotFound, VidsenseError
from vidsense.store import (
    FaceRecord,
    Keyframe,
    LocalBlobStore,
    Segment,
    Store,
    VectorBatch,
    VideoRecord,
    open_store,
    video_prefix,
)

BACKENDS = DATABASES


@dataclass
class Backend:
    """Opens the same store (database + blobs) as often as a test needs, like separate
    processes would."""

    name: str
    root: Path
    schema: str = ""

    def url(self) -> str:
        if self.name == "sqlite":
            return f"sqlite:///{self.root / 'vidsense.db'}"
        if self.name == "postgresql":
            options = quote(f"-c search_path={self.schema},public")
            return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options={options}"
        raise AssertionError(self.name)

    def open(self, max_attempts: int = 3) -> Store:
        return open_store(self.url(), self.root / "blobs", max_attempts=max_attempts)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param != "postgresql":
        yield Backend(request.param, tmp_path)
        return
    admin: Any = pg_admin()
    schema = f"test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield Backend("postgresql", tmp_path, schema)
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    s = backend.open()
    yield s
    s.close()


def add_video(
    store: Store, index_id: str, name: str = "a.mp4", duration: float = 10.0
) -> VideoRecord:
    return store.create_video(
        index_id,
        filename=name,
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        duration=duration,
        fps=30.0,
        width=1280,
        height=720,
        size=1000,
        metadata={"source": name},
    )


def unit(rng: np.random.Generator, n: int, dim: int) -> npt.NDArray[np.float32]:
    m = rng.standard_normal((n, dim)).astype(np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return m


# -- indexes -----------------------------------------------------------------------------------


def test_index_crud(store: Store) -> None:
    idx = store.create_index("lectures", ["visual", "conversation"], ["thumbnail"])
    assert len(idx.id) == 24 and int(idx.id, 16) >= 0
    assert (idx.name, idx.options, idx.addons) == (
        "lectures",
        ["visual", "conversation"],
        ["thumbnail"],
    )
    assert idx.created_at.endswith("Z") and idx.video_count == 0
    assert store.get_index(idx.id) == idx

    renamed = store.update_index(idx.id, name="talks")
    assert renamed.name == "talks" and renamed.updated_at > idx.updated_at
    assert renamed.created_at == idx.created_at

    store.delete_index(idx.id)
    with pytest.raises(NotFound) as e:
        store.get_index(idx.id)
    assert (e.value.status, e.value.code) == (404, "index_not_found")
    with pytest.raises(NotFound):
        store.delete_index(idx.id)


def test_index_names_are_unique(store: Store) -> None:
    a = store.create_index("alpha")
    b = store.create_index("beta")
    with pytest.raises(Conflict) as e:
        store.create_index("alpha")
    assert (e.value.status, e.value.code) == (409, "conflict") and "alpha" in e.value.message
    with pytest.raises(Conflict):
        store.update_index(b.id, name="alpha")
    assert store.update_index(a.id, name="alpha").name == "alpha"  # renaming to itself is fine
    with pytest.raises(InvalidArgument):
        store.create_index("   ")
    store.delete_index(a.id)
    assert store.create_index("alpha").name == "alpha"  # a deleted name is free again


def test_index_pagination_and_sorting(store: Store) -> None:
    names = ["delta", "alpha", "echo", "charlie", "bravo"]
    ids = [store.create_index(n).id for n in names]

    first = store.list_indexes(page=1, page_limit=2)
    assert first.total == 5 and first.total_pages == 3
    newest_first = [
        i.name for p in (1, 2, 3) for i in store.list_indexes(page=p, page_limit=2).items
    ]
    assert newest_first == names[::-1]
    assert store.list_indexes(page=4, page_limit=2).items == []

    by_name = store.list_indexes(page_limit=10, sort_by="index_name", sort_option="asc")
    assert [i.name for i in by_name.items] == sorted(names)
    oldest = store.list_indexes(page_limit=10, sort_option="asc")
    assert [i.name for i in oldest.items] == names

    store.update_index(ids[2], name="echo2")
    recent = store.list_indexes(page_limit=1, sort_by="updated_at", sort_option="desc")
    assert recent.items[0].name == "echo2"

    with pytest.raises(InvalidArgument):
        store.list_indexes(sort_by="name; DROP TABLE indexes")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        store.list_indexes(page=0)


# -- videos ------------------------------------------------------------------------------------


def test_video_crud_counts_and_listing(store: Store) -> None:
    idx = store.create_index("library")
    other = store.create_index("other")
    videos = [add_video(store, idx.id, f"v{i}.mp4", duration=d) for i, d in enumerate([30, 10, 20])]
    assert videos[0].status == "pending" and videos[0].metadata == {"source": "v0.mp4"}

    got = store.get_index(idx.id)
    assert (got.video_count, got.total_duration) == (3, 60.0)
    assert store.get_video(videos[1].id) == videos[1]
    with pytest.raises(NotFound) as e:
        store.get_video(videos[1].id, index_id=other.id)
    assert e.value.code == "video_not_found"

    page = store.list_videos(idx.id, page_limit=2, sort_by="duration", sort_option="asc")
    assert page.total == 3 and [v.duration for v in page.items] == [10, 20]
    assert [v.duration for v in store.list_videos(idx.id, page=2, page_limit=2).items] == [30]
    assert store.list_videos(other.id).total == 0
    with pytest.raises(NotFound):
        store.list_videos("0" * 24)

    ready = store.set_video_status(videos[0].id, "ready")
    assert ready.status == "ready" and ready.updated_at >= videos[0].updated_at
    updated = store.update_video(videos[0].id, metadata={"speaker": "Ada"})
    assert updated.metadata == {"speaker": "Ada"} and updated.filename == "v0.mp4"
    with pytest.raises(InvalidArgument):
        store.set_video_status(videos[0].id, "done")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        store.update_video(videos[0].id, metadata={"bad": object()})
    with pytest.raises(NotFound) as e:
        add_video(store, "f" * 24)
    assert e.value.code == "index_not_found"

    store.delete_video(videos[0].id)
    with pytest.raises(NotFound):
        store.get_video(videos[0].id)
    assert store.get_index(idx.id).video_count == 2


def test_find_video_by_hash(store: Store) -> None:
    a = store.create_index("a")
    b = store.create_index("b")
    first = add_video(store, a.id, "same.mp4")
    add_video(store, a.id, "same.mp4")  # a second copy: the oldest is the one found
    digest = hashlib.sha256(b"same.mp4").hexdigest()
    assert store.find_video_by_hash(a.id, digest) == first
    assert store.find_video_by_hash(a.id, digest.upper()) == first
    assert store.find_video_by_hash(b.id, digest) is None
    assert store.find_video_by_hash(a.id, "0" * 64) is None
    with pytest.raises(InvalidArgument):
        store.create_video(a.id, filename="x", sha256="not-a-hash", duration=1)


# -- evidence ----------------------------------------------------------------------------------


def evidence(
    video: VideoRecord, texts: list[str], dim: int = 8, seed: int = 0
) -> tuple[list[Segment], list[Keyframe], VectorBatch]:
    """Transcript segments, one keyframe per segment (with its blob) and text vectors."""
    segments = [
        Segment(video.id, "transcript", float(i * 5), float(i * 5 + 4), t, {"n": i})
        for i, t in enumerate(texts)
    ]
    keyframes = [
        Keyframe(
            video.id,
            i,
            float(i * 5 + 2),
            f"{video_prefix(video.index_id, video.id)}kf/{seed}-{i}.jpg",
        )
        for i in range(len(texts))
    ]
    vectors = VectorBatch(
        "text", [s.id for s in segments], unit(np.random.default_rng(seed), len(texts), dim)
    )
    return segments, keyframes, vectors


def test_replace_evidence_replaces_everything(store: Store) -> None:
    idx = store.create_index("i")
    video = add_video(store, idx.id)
    segs, kfs, vecs = evidence(video, ["hello world", "second line"], seed=1)
    for kf in kfs:
        store.blobs.put_bytes(kf.blob_key, b"jpeg")
    store.replace_evidence(video.id, segs, kfs, [vecs])
    assert store.segments(video.id) == segs
    assert store.keyframes(video.id) == kfs
    assert store.search_vectors(idx.id, "text", vecs.vectors[1])[0][0] == segs[1].id

    new_segs, new_kfs, new_vecs = evidence(video, ["fresh words"], seed=2)
    store.blobs.put_bytes(new_kfs[0].blob_key, b"jpeg")
    shot = Segment(video.id, "shot", 0.0, 4.0)
    store.replace_evidence(video.id, [*new_segs, shot], new_kfs, [new_vecs])

    assert store.segments(video.id) == [*new_segs, shot]  # by start, end, then insertion
    assert store.segments(video.id, "shot") == [shot]
    assert store.keyframes(video.id) == new_kfs
    assert not any(store.blobs.exists(k.blob_key) for k in kfs)  # old keyframe files removed
    assert store.blobs.exists(new_kfs[0].blob_key)
    assert store.get_segments([segs[0].id, new_segs[0].id]) == {new_segs[0].id: new_segs[0]}
    assert store.get_keyframes([new_kfs[0].id]) == {new_kfs[0].id: new_kfs[0]}
    assert store.search_text(idx.id, "hello") == []
    assert [s.id for s, _ in store.search_text(idx.id, "fresh")] == [new_segs[0].id]
    hits = store.search_vectors(idx.id, "text", vecs.vectors[1], limit=5)
    assert [owner for owner, _ in hits] == [new_segs[0].id]


def test_replace_evidence_failure_keeps_old_evidence(store: Store) -> None:
    idx = store.create_index("i")
    video = add_video(store, idx.id, "v.mp4")
    other = add_video(store, idx.id, "other.mp4")
    segs, kfs, vecs = evidence(video, ["the original transcript", "more words"], dim=8)
    store.replace_evidence(video.id, segs, kfs, [vecs])
    other_segs, _, other_vecs = evidence(other, ["other video"], dim=8, seed=3)
    store.replace_evidence(other.id, other_segs, [], [other_vecs])

    def intact() -> None:
        assert store.segments(video.id) == segs
        assert store.keyframes(video.id) == kfs
        assert [s.id for s, _ in store.search_text(idx.id, "original")] == [segs[0].id]
        assert store.search_vectors(idx.id, "text", vecs.vectors[0], limit=1)[0][0] == segs[0].id

    # Fails mid-transaction, after the old rows were deleted and the new segments inserted: the
    # new text vectors have 4 dimensions where the index holds 8.
    new_segs, new_kfs, bad_vecs = evidence(video, ["replacement"], dim=4)
    with pytest.raises(InvalidArgument, match="dimension"):
        store.replace_evidence(video.id, new_segs, new_kfs, [bad_vecs])
    intact()

    # Fails mid-transaction: a segment id already belongs to another video.
    clash = Segment(video.id, "transcript", 0.0, 1.0, "clash", id=other_segs[0].id)
    with pytest.raises(InvalidArgument, match="already used"):
        store.replace_evidence(video.id, [new_segs[0], clash])
    intact()

    # Refused before anything is touched.
    for bad in (
        [Segment(video.id, "subtitle", 0.0, 1.0, "x")],  # type: ignore[arg-type]
        [Segment(video.id, "transcript", 5.0, 1.0, "ends first")],
        [Segment(other.id, "transcript", 0.0, 1.0, "wrong video")],
        [Segment(video.id, "transcript", 0.0, 1.0, "x", {"not json": {1, 2}})],
    ):
        with pytest.raises(InvalidArgument):
            store.replace_evidence(video.id, bad)
    with pytest.raises(InvalidArgument):
        store.replace_evidence(video.id, [], [Keyframe(video.id, 0, 1.0, "../escape.jpg")])
    with pytest.raises(InvalidArgument):  # a vector for something that is not in the evidence
        store.replace_evidence(
            video.id, new_segs, [], [VectorBatch("text", ["nope"], vecs.vectors[:1])]
        )
    intact()
    with pytest.raises(NotFound):
        store.replace_evidence("0" * 24, [])


def test_search_text_ranking_phrase_and_filters(store: Store) -> None:
    idx = store.create_index("i")
    a = add_video(store, idx.id, "a.mp4")
    b = add_video(store, idx.id, "b.mp4")
    texts_a = [
        "the quick brown fox jumps over the lazy dog",
        "today we discuss pricing for the enterprise plan",
        "the weather is nice and the sky is blue",
        "a plan without a price is no plan at all",
    ]
    segs_a, _, _ = evidence(a, texts_a)
    slide = Segment(a.id, "text", 0.0, 3.0, "Enterprise Pricing Plans")
    store.replace_evidence(a.id, [*segs_a, slide])
    segs_b, _, _ = evidence(b, ["the lazy dog sleeps while a quick fox runs"])
    store.replace_evidence(b.id, segs_b)

    hits = store.search_text(idx.id, "enterprise pricing plans", kinds=["transcript"])
    assert hits[0][0].id == segs_a[1].id  # stemming: plans -> plan, pricing -> price
    assert all(score > 0 for _, score in hits)
    assert [sc for _, sc in hits] == sorted((sc for _, sc in hits), reverse=True)
    assert store.search_text(idx.id, "enterprise pricing plans", kinds=["text"])[0][0] == slide
    assert {s.id for s, _ in store.search_text(idx.id, "PRICE", kinds=["transcript"])} == {
        segs_a[1].id,
        segs_a[3].id,
    }

    phrase = store.search_text(idx.id, "lazy dog", mode="phrase")
    assert {s.id for s, _ in phrase} == {segs_a[0].id, segs_b[0].id}
    assert store.search_text(idx.id, "dog lazy", mode="phrase") == []
    assert store.search_text(idx.id, "fox sky", mode="all") == []
    assert len(store.search_text(idx.id, "fox sky", mode="any")) == 3

    only_b = store.search_text(idx.id, "lazy dog", video_ids=[b.id])
    assert [s.id for s, _ in only_b] == [segs_b[0].id]
    assert store.search_text(idx.id, "lazy dog", video_ids=[]) == []
    assert len(store.search_text(idx.id, "the", limit=2)) == 2

    other = store.create_index("other")
    assert store.search_text(other.id, "lazy dog") == []
    store.delete_video(b.id)  # deleted evidence leaves the full-text index too
    assert [s.id for s, _ in store.search_text(idx.id, "sleeps")] == []


@pytest.mark.parametrize("mode", ["any", "all", "phrase"])
def test_search_text_user_input_is_never_syntax(store: Store, mode: str) -> None:
    idx = store.create_index("i")
    video = add_video(store, idx.id)
    segs, _, _ = evidence(video, ['he said "near" the fox (and the dog)', "NEAR the end, OR NOT"])
    store.replace_evidence(video.id, segs)
    queries = [
        '"',
        '"unbalanced quote',
        "fox*",
        "*",
        "NEAR(fox dog)",
        "NEAR(fox dog, 2)",
        "(fox OR",
        "fox AND",
        "AND",
        "OR NOT",
        "-fox",
        "text:fox",
        "^fox",
        "fox + dog",
        "{text}: fox",
        "' OR 1=1; --",
        "\x00fox",
        "",
        "   ",
        "ünïcödé ПРИВЕТ 中文",
    ]
    for query in queries:
        store.search_text(idx.id, query, mode=mode)  # type: ignore[arg-type]
    found = store.search_text(idx.id, "NEAR(fox dog)", mode=mode)  # type: ignore[arg-type]
    if mode != "phrase":
        assert found and found[0][0].id == segs[0].id
    assert store.search_text(idx.id, "NEAR OR NOT", mode="all")[0][0].id == segs[1].id


# -- vectors -----------------------------------------------------------------------------------


def brute_force(matrix: np.ndarray, owners: list[str], query: np.ndarray, k: int) -> list[str]:
    scores = matrix @ (query / np.linalg.norm(query))
    return [owners[i] for i in np.argsort(-scores)[:k]]


def test_vector_search_returns_nearest(store: Store, backend: Backend) -> None:
    rng = np.random.default_rng(7)
    idx = store.create_index("i")
    all_owners: list[str] = []
    all_vectors: list[np.ndarray] = []
    videos = []
    for v in range(12):  # one write + one search per video: appends, then merges, the cache
        video = add_video(store, idx.id, f"{v}.mp4")
        videos.append(video)
        segs = [Segment(video.id, "caption", float(i), float(i + 1), f"c{i}") for i in range(30)]
        kfs = [Keyframe(video.id, i, float(i), f"k/{video.id}/{i}.jpg") for i in range(5)]
        text = unit(rng, 30, 32)
        visual = unit(rng, 5, 16)
        store.replace_evidence(
            video.id,
            segs,
            kfs,
            [
                VectorBatch("text", [s.id for s in segs], text * 3.0),
                VectorBatch("visual", [k.id for k in kfs], visual),
            ],
        )
        all_owners += [s.id for s in segs]
        all_vectors.append(text)
        query = text[3] + 0.05 * rng.standard_normal(32).astype(np.float32)
        hits = store.search_vectors(idx.id, "text", query, limit=5)
        assert hits[0][0] == segs[3].id and 0.9 < hits[0][1] <= 1.0 + 1e-5
        matrix = np.concatenate(all_vectors)
        assert [o for o, _ in hits] == brute_force(matrix, all_owners, query, 5)

    query = rng.standard_normal(32).astype(np.float32)
    assert [o for o, _ in store.search_vectors(idx.id, "text", query, limit=10)] == brute_force(
        matrix, all_owners, query, 10
    )
    scores = [s for _, s in store.search_vectors(idx.id, "text", query, limit=10)]
    assert scores == sorted(scores, reverse=True)

    # Filtering by video searches only those videos' vectors.
    chosen = {videos[2].id, videos[5].id}
    hits = store.search_vectors(idx.id, "text", query, limit=100, video_ids=list(chosen))
    owners_in = set(store.get_segments([o for o, _ in hits]))
    assert len(hits) == 60 and {store.get_segments([o])[o].video_id for o in owners_in} == chosen
    assert store.search_vectors(idx.id, "text", query, video_ids=[]) == []

    # The visual space is separate, with its own dimension; keyframes own its vectors.
    visual_hit = store.search_vectors(idx.id, "visual", rng.standard_normal(16), limit=1)
    assert visual_hit and visual_hit[0][0] in store.get_keyframes([visual_hit[0][0]])
    with pytest.raises(InvalidArgument, match="dimension"):
        store.search_vectors(idx.id, "text", np.ones(16))
    with pytest.raises(InvalidArgument):
        store.search_vectors(idx.id, "text", np.zeros(32))

    # Deleting and replacing vectors is seen at once; more than a quarter dead rewrites the cache.
    for video in videos[:4]:
        store.delete_video(video.id)
    live = [i for i, o in enumerate(all_owners) if i >= 4 * 30]
    owners, matrix = [all_owners[i] for i in live], matrix[live]
    assert [o for o, _ in store.search_vectors(idx.id, "text", query, limit=10)] == brute_force(
        matrix, owners, query, 10
    )
    target = owners[0]
    new = -query / np.linalg.norm(query)
    store.put_vectors(
        store.get_segments([target])[target].video_id, VectorBatch("text", [target], new[None, :])
    )
    assert store.search_vectors(idx.id, "text", -query, limit=1)[0][0] == target
    # That video's vectors are no longer one run of ids; filtering by it still finds them all.
    target_video = store.get_segments([target])[target].video_id
    hits = store.search_vectors(idx.id, "text", -query, limit=100, video_ids=[target_video])
    assert hits[0][0] == target and len(hits) == 30
    with pytest.raises(InvalidArgument):
        store.put_vectors(
            videos[5].id, VectorBatch("text", [target], new[None, :])
        )  # not its segment

    # Another process sees the same vectors, and the cache files are only a cache.
    other = backend.open()
    try:
        assert other.search_vectors(idx.id, "text", query, limit=10) == store.search_vectors(
            idx.id, "text", query, limit=10
        )
    finally:
        other.close()
    empty = store.create_index("empty")
    assert store.search_vectors(empty.id, "text", query) == []


def test_vector_writes_by_another_process_are_seen(backend: Backend) -> None:
    rng = np.random.default_rng(3)
    a, b = backend.open(), backend.open()
    try:
        idx = a.create_index("i")
        v1, v2 = add_video(a, idx.id, "1.mp4"), add_video(a, idx.id, "2.mp4")
        s1, _, vec1 = evidence(v1, ["one", "two"], dim=16, seed=1)
        a.replace_evidence(v1.id, s1, [], [vec1])
        assert a.search_vectors(idx.id, "text", vec1.vectors[0], limit=1)[0][0] == s1[0].id

        s2 = [Segment(v2.id, "caption", 0.0, 1.0, "x")]
        target = unit(rng, 1, 16)
        b.replace_evidence(v2.id, s2, [], [VectorBatch("text", [s2[0].id], target)])  # append
        assert a.search_vectors(idx.id, "text", target[0], limit=1)[0][0] == s2[0].id
        b.delete_video(v2.id)  # delete
        assert s2[0].id not in {o for o, _ in a.search_vectors(idx.id, "text", target[0], limit=5)}
        b.replace_evidence(v1.id, s1[:1], [], [VectorBatch("text", [s1[0].id], target)])  # both
        [(owner, score)] = a.search_vectors(idx.id, "text", target[0], limit=5)
        assert owner == s1[0].id and score == pytest.approx(1.0)
    finally:
        a.close()
        b.close()


# -- tasks -------------------------------------------------------------------------------------


def test_claims_from_two_workers_never_share_a_task(backend: Backend) -> None:
    first, second = backend.open(), backend.open()  # two connections to one file, like processes
    try:
        idx = first.create_index("i")
        queued = {first.enqueue_task(idx.id, {"url": f"file:///{i}.mp4"}).id for i in range(40)}
        claimed: dict[str, list[str]] = {"w1": [], "w2": []}

        def work(store: Store, worker: str) -> None:
            while (task := store.claim_task(worker, lease_seconds=60)) is not None:
                claimed[worker].append(task.id)
                store.finish_task(task.id, worker, "ready")

        threads = [
            threading.Thread(target=work, args=(first, "w1")),
            threading.Thread(target=work, args=(second, "w2")),
            threading.Thread(target=work, args=(first, "w3")),
        ]
        claimed["w3"] = []
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        got = claimed["w1"] + claimed["w2"] + claimed["w3"]
        assert sorted(got) == sorted(queued)  # every task once, none twice
        done = first.list_tasks(index_id=idx.id, status="ready", page_limit=100)
        assert done.total == 40 and all(t.attempts == 1 and t.progress == 100 for t in done.items)
    finally:
        first.close()
        second.close()


def test_many_threads_claiming_never_share_a_task(backend: Backend) -> None:
    """Eight workers (threads, each on its own store and connections) drain one queue: every
    task is claimed exactly once (PostgreSQL: FOR UPDATE SKIP LOCKED)."""
    setup = backend.open()
    idx = setup.create_index("queue")
    queued = {setup.enqueue_task(idx.id, {"n": n}).id for n in range(40)}
    stores = [backend.open() for _ in range(8)]
    claimed: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(store: Store, name: str) -> None:
        try:
            while (task := store.claim_task(name)) is not None:
                with lock:
                    claimed.append(task.id)
                store.finish_task(task.id, name, "ready")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s, f"w{i}")) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in stores:
        s.close()
    assert not errors
    assert sorted(claimed) == sorted(queued)  # each exactly once
    assert setup.list_tasks(status="ready", page_limit=100).total == 40
    setup.close()


def test_expired_lease_is_reclaimed_by_another_connection(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    try:
        idx = first.create_index("i")
        task = first.enqueue_task(idx.id, {"url": "x"})
        held = first.claim_task("dead-worker", lease_seconds=0.2)
        assert held is not None and held.id == task.id
        assert second.claim_task("w2") is None  # the lease still holds
        time.sleep(0.3)
        again = second.claim_task("w2")
        assert again is not None and again.id == task.id
        assert (again.lease_owner, again.attempts) == ("w2", 2)
        with pytest.raises(Conflict):
            first.heartbeat(task.id, "dead-worker", 50)
    finally:
        first.close()
        second.close()


def test_tasks_are_claimed_oldest_first_and_listed(store: Store) -> None:
    idx = store.create_index("i")
    other = store.create_index("j")
    tasks = [store.enqueue_task(idx.id, {"n": i}) for i in range(3)]
    store.enqueue_task(other.id, {"n": 9})
    assert tasks[0].status == "pending" and tasks[0].attempts == 0 and tasks[0].source == {"n": 0}
    claimed = store.claim_task("w")
    assert claimed is not None and claimed.id == tasks[0].id
    assert (claimed.status, claimed.attempts, claimed.lease_owner) == ("indexing", 1, "w")
    assert claimed.lease_until is not None and claimed.lease_until > claimed.updated_at

    assert store.list_tasks().total == 4
    assert store.list_tasks(index_id=idx.id).total == 3
    assert [t.id for t in store.list_tasks(status="indexing").items] == [tasks[0].id]
    newest = store.list_tasks(index_id=idx.id, page_limit=2)
    assert [t.id for t in newest.items] == [tasks[2].id, tasks[1].id]
    assert [t.id for t in store.list_tasks(index_id=idx.id, page=2, page_limit=2).items] == [
        tasks[0].id
    ]
    with pytest.raises(NotFound) as e:
        store.get_task("0" * 24)
    assert e.value.code == "task_not_found"
    with pytest.raises(InvalidArgument):
        store.finish_task(claimed.id, "w", "failed")  # a failure needs a code


def test_expired_lease_is_reclaimed_and_the_old_worker_is_refused(store: Store) -> None:
    idx = store.create_index("i")
    video = add_video(store, idx.id)
    task = store.enqueue_task(idx.id, {"url": "x"})
    first = store.claim_task("w1", lease_seconds=1.0)
    assert first is not None and first.attempts == 1
    assert store.claim_task("w2") is None  # leased
    store.heartbeat(task.id, "w1", 10, lease_seconds=0.1, video_id=video.id)

    time.sleep(0.2)  # w1 "crashed": its lease runs out
    second = store.claim_task("w2", lease_seconds=60)
    assert second is not None and second.id == task.id
    assert (second.attempts, second.lease_owner, second.video_id) == (2, "w2", video.id)
    assert second.progress == 10  # progress so far is kept for the retry to see

    with pytest.raises(Conflict) as e:
        store.heartbeat(task.id, "w1", 50)
    assert (e.value.status, e.value.code) == (409, "lease_lost")
    with pytest.raises(Conflict):
        store.finish_task(task.id, "w1", "ready")

    beat = store.heartbeat(task.id, "w2", 75.5)
    assert beat.progress == 75.5
    assert beat.lease_until and second.lease_until and beat.lease_until > second.lease_until
    with pytest.raises(InvalidArgument):
        store.heartbeat(task.id, "w2", 101)
    done = store.finish_task(task.id, "w2", "ready")
    assert (done.status, done.progress, done.lease_owner) == ("ready", 100, None)
    assert store.get_video(video.id).status == "ready"
    with pytest.raises(Conflict):
        store.heartbeat(task.id, "w2", 100)  # finished: nobody holds it


def test_heartbeat_keeps_the_task(store: Store) -> None:
    idx = store.create_index("i")
    task = store.enqueue_task(idx.id, {})
    store.claim_task("w1", lease_seconds=0.2)
    time.sleep(0.1)
    store.heartbeat(task.id, "w1", 40, lease_seconds=30)
    time.sleep(0.2)
    assert store.claim_task("w2") is None
    assert store.get_task(task.id).progress == 40


def test_too_many_attempts_fails_the_task(backend: Backend) -> None:
    store = backend.open(max_attempts=2)
    try:
        idx = store.create_index("i")
        video = add_video(store, idx.id)
        task = store.enqueue_task(idx.id, {}, video_id=video.id)
        later = store.enqueue_task(idx.id, {})
        for attempt in (1, 2):
            claimed = store.claim_task(f"w{attempt}", lease_seconds=0.05)
            assert claimed is not None and (claimed.id, claimed.attempts) == (task.id, attempt)
            time.sleep(0.1)
        nxt = store.claim_task("w3")
        assert nxt is not None and nxt.id == later.id  # the worn-out task is skipped, and failed
        failed = store.get_task(task.id)
        assert (failed.status, failed.error_code, failed.attempts) == (
            "failed",
            "too_many_attempts",
            2,
        )
        assert failed.error_message and "max_attempts=2" in failed.error_message
        assert store.get_video(video.id).status == "failed"
        assert store.claim_task("w4") is None
    finally:
        store.close()


def test_finish_failed_records_the_error(store: Store) -> None:
    idx = store.create_index("i")
    task = store.enqueue_task(idx.id, {})
    store.claim_task("w")
    failed = store.finish_task(
        task.id, "w", "failed", error_code="corrupt_media", error_message="bad file"
    )
    assert (failed.status, failed.error_code, failed.error_message) == (
        "failed",
        "corrupt_media",
        "bad file",
    )
    assert store.claim_task("w") is None  # failed is final


def test_validating_tasks_are_never_claimed_until_validated(store: Store) -> None:
    idx = store.create_index("i")
    checking = store.enqueue_task(idx.id, {"n": 0}, status="validating")
    queued = store.enqueue_task(idx.id, {"n": 1})
    assert (checking.status, queued.status) == ("validating", "pending")
    assert [t.id for t in store.list_tasks(status="validating").items] == [checking.id]
    claimed = store.claim_task("w", lease_seconds=60)
    assert claimed is not None and claimed.id == queued.id  # the older task is still checked
    assert store.claim_task("w2", lease_seconds=60) is None
    assert store.get_task(checking.id).status == "validating"

    validated = store.mark_task_validated(checking.id)
    assert (validated.status, validated.attempts, validated.lease_owner) == ("pending", 0, None)
    assert validated.updated_at >= checking.updated_at
    with pytest.raises(Conflict) as e:
        store.mark_task_validated(checking.id)  # already pending
    assert (e.value.status, e.value.code) == (409, "task_state")
    again = store.claim_task("w2", lease_seconds=60)
    assert again is not None and (again.id, again.status) == (checking.id, "indexing")
    with pytest.raises(Conflict) as e:
        store.mark_task_validated(checking.id)  # claimed
    assert e.value.code == "task_state"
    with pytest.raises(NotFound) as e:
        store.mark_task_validated("0" * 24)
    assert e.value.code == "task_not_found"
    with pytest.raises(InvalidArgument):
        store.enqueue_task(idx.id, {}, status="indexing")  # type: ignore[arg-type]
    assert store.list_tasks().total == 2


def test_fail_task_fails_only_unclaimed_tasks(store: Store) -> None:
    idx = store.create_index("i")
    video = add_video(store, idx.id)
    bad = store.enqueue_task(idx.id, {"n": 0}, status="validating", video_id=video.id)
    failed = store.fail_task(bad.id, "unsupported_media", "notes.mp4 is not a video")
    assert (failed.status, failed.error_code, failed.error_message) == (
        "failed",
        "unsupported_media",
        "notes.mp4 is not a video",
    )
    assert (failed.attempts, failed.lease_owner, failed.progress) == (0, None, 0)
    assert store.get_video(video.id).status == "failed"  # as finish_task does
    assert store.claim_task("w") is None  # failed is final
    for change in (
        lambda: store.fail_task(bad.id, "corrupt_media", "again"),
        lambda: store.mark_task_validated(bad.id),
    ):
        with pytest.raises(Conflict) as e:
            change()
        assert e.value.code == "task_state"

    queued = store.enqueue_task(idx.id, {"n": 1})  # pending may fail too: nobody holds it
    assert store.fail_task(queued.id, "empty_media", "no frames").status == "failed"

    held = store.enqueue_task(idx.id, {"n": 2})
    assert store.claim_task("w") is not None
    with pytest.raises(Conflict) as e:
        store.fail_task(held.id, "corrupt_media", "its worker decides")
    assert e.value.code == "task_state"
    assert store.get_task(held.id).status == "indexing"
    with pytest.raises(NotFound) as e:
        store.fail_task("0" * 24, "corrupt_media", "x")
    assert e.value.code == "task_not_found"
    with pytest.raises(InvalidArgument):
        store.fail_task(store.enqueue_task(idx.id, {}, status="validating").id, "", "no code")


def test_a_task_left_validating_past_the_lease_is_queued_by_a_claim(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    try:
        idx = first.create_index("i")
        orphan = first.enqueue_task(idx.id, {"n": 0}, status="validating")  # then "crashed"
        fresh = first.enqueue_task(idx.id, {"n": 1}, status="validating")
        assert second.claim_task("w", lease_seconds=60) is None  # both younger than the lease
        time.sleep(0.3)
        checking = first.enqueue_task(idx.id, {"n": 2}, status="validating")
        claimed = second.claim_task("w", lease_seconds=0.2)
        assert claimed is not None and (claimed.id, claimed.attempts) == (orphan.id, 1)
        assert first.get_task(fresh.id).status == "pending"  # queued too, claimed next
        assert first.get_task(checking.id).status == "validating"  # its check goes on
        with pytest.raises(Conflict):
            first.mark_task_validated(fresh.id)  # its checker, had it lived, learns the news
        assert first.mark_task_validated(checking.id).status == "pending"
        nxt = second.claim_task("w2", lease_seconds=60)
        assert nxt is not None and nxt.id == fresh.id
    finally:
        first.close()
        second.close()


# -- deletes, reopening ------------------------------------------------------------------------


def test_deleting_cascades_to_evidence_tasks_and_blobs(store: Store) -> None:
    idx = store.create_index("i")
    keep = store.create_index("keep")
    video = add_video(store, idx.id)
    kept_video = add_video(store, keep.id)
    segs, kfs, vecs = evidence(video, ["to be deleted"])
    prefix = video_prefix(idx.id, video.id)
    store.blobs.put_bytes(prefix + "source.mp4", b"video")
    outside = f"shared/{video.id}.jpg"  # a keyframe stored outside the video's folder
    store.blobs.put_bytes(outside, b"jpeg")
    kfs = [*kfs, Keyframe(video.id, 9, 9.0, outside)]
    store.replace_evidence(video.id, segs, kfs, [vecs])
    kept_segs, _, kept_vecs = evidence(kept_video, ["to be deleted too? no"], seed=5)
    store.replace_evidence(kept_video.id, kept_segs, [], [kept_vecs])
    store.blobs.put_bytes(video_prefix(keep.id, kept_video.id) + "source.mp4", b"video")
    task = store.enqueue_task(idx.id, {}, video_id=video.id)

    second = add_video(store, idx.id, "b.mp4")
    store.blobs.put_bytes(video_prefix(idx.id, second.id) + "source.mp4", b"b")
    second_task = store.enqueue_task(idx.id, {}, video_id=second.id)
    store.delete_video(second.id)
    assert not store.blobs.exists(video_prefix(idx.id, second.id) + "source.mp4")
    assert store.get_task(second_task.id).video_id is None  # the task's history stays

    store.delete_index(idx.id)
    for lookup in (
        lambda: store.get_video(video.id),
        lambda: store.get_task(task.id),
        lambda: store.segments(video.id),
        lambda: store.search_text(idx.id, "deleted"),
        lambda: store.search_vectors(idx.id, "text", vecs.vectors[0]),
    ):
        with pytest.raises(NotFound):
            lookup()
    assert store.get_segments([s.id for s in segs]) == {}
    assert not store.blobs.exists(prefix + "source.mp4")
    assert not store.blobs.exists(outside)
    assert not any(store.blobs.exists(k.blob_key) for k in kfs)

    # The other index is untouched.
    assert store.blobs.exists(video_prefix(keep.id, kept_video.id) + "source.mp4")
    assert [s.id for s, _ in store.search_text(keep.id, "deleted")] == [kept_segs[0].id]
    assert (
        store.search_vectors(keep.id, "text", kept_vecs.vectors[0], limit=1)[0][0]
        == kept_segs[0].id
    )
    assert store.list_tasks().total == 0


# -- what keyframes show, faces and people ------------------------------------------------------


def face(
    video: VideoRecord,
    at: float,
    vector: list[float],
    person: str | None,
    *,
    score: float = 1.0,
    chip: bytes = b"jpeg",
) -> FaceRecord:
    """A face at ``at`` seconds standing for the 2 s around it, with a 4-d embedding."""
    return FaceRecord(
        video.id,
        int(at // 2),
        at,
        max(0.0, at - 1.0),
        at + 1.0,
        (0.1, 0.2, 0.3, 0.5),
        score,
        np.array(vector, dtype=np.float32),
        chip,
        person,
    )


def test_visual_evidence_is_searchable_text_and_image_vectors(store: Store) -> None:
    idx = store.create_index("i")
    video = add_video(store, idx.id)
    shows = [
        Segment(video.id, "visual", 0.0, 4.0, "animal, dog (Samoyed, white wolf)", {"shot": 0}),
        Segment(video.id, "visual", 4.0, 9.5, "food, fruit (Granny Smith)", {"shot": 1}),
    ]
    frames = [Keyframe(video.id, 0, 2.0, "kf/0.jpg"), Keyframe(video.id, 1, 6.0, "kf/1.jpg")]
    images = unit(np.random.default_rng(7), 2, 1280)
    texts = unit(np.random.default_rng(8), 2, 8)
    store.replace_evidence(
        video.id,
        shows,
        frames,
        [
            VectorBatch("image", [f.id for f in frames], images),
            VectorBatch("text", [s.id for s in shows], texts),
        ],
    )
    found = store.search_text(idx.id, "dog", kinds=["visual"])
    assert [(s.start, s.end, s.data) for s, _ in found] == [(0.0, 4.0, {"shot": 0})]
    assert [s.id for s, _ in store.search_text(idx.id, "granny smith", kinds=["visual"])] == [
        shows[1].id
    ]
    assert store.search_text(idx.id, "dog", kinds=["transcript"]) == []
    # Image vectors (1280-d) live beside the text vectors (8-d) of the same index.
    hits = store.search_vectors(idx.id, "image", images[1], limit=2)
    assert hits[0][0] == frames[1].id and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert store.search_vectors(idx.id, "text", texts[0], limit=1)[0][0] == shows[0].id
    owners, matrix = store.video_vectors(video.id, "image")
    assert owners == [f.id for f in frames] and matrix.shape == (2, 1280)


def test_faces_group_into_people_and_follow_the_evidence(store: Store) -> None:
    idx = store.create_index("i")
    other_index = store.create_index("other")
    first, second = add_video(store, idx.id, "a.mp4"), add_video(store, idx.id, "b.mp4")
    ann, bob = new_person_id(), new_person_id()
    store.replace_evidence(
        first.id,
        [],
        faces=[
            face(first, 1.0, [1, 0, 0, 0], ann, score=0.5, chip=b"ann-weak"),
            face(first, 3.0, [0.9, 0.1, 0, 0], ann, score=1.5, chip=b"ann-best"),
            face(first, 5.0, [0, 1, 0, 0], bob),
        ],
    )
    store.replace_evidence(second.id, [], faces=[face(second, 7.0, [1.1, 0, 0, 0], ann)])
    people = {p.id: p for p in store.people(idx.id)}
    assert list(people) == [ann, bob]  # most faces first
    assert (people[ann].face_count, people[ann].video_count) == (3, 2)
    assert people[ann].centroid == pytest.approx([1.0, 1 / 30, 0, 0], abs=1e-6)
    assert people[ann].name is None
    assert store.person_thumbnail(idx.id, ann) == b"ann-best"  # the best-scoring face
    seen = store.faces(idx.id, person_id=ann)
    assert [(f.video_id, f.time, f.start, f.end) for f in seen] == [
        (first.id, 1.0, 0.0, 2.0),
        (first.id, 3.0, 2.0, 4.0),
        (second.id, 7.0, 6.0, 8.0),
    ]
    assert seen[0].box == pytest.approx((0.1, 0.2, 0.3, 0.5))
    assert [f.person_id for f in store.faces(idx.id, video_id=first.id)] == [ann, ann, bob]
    assert store.people(other_index.id) == []

    named = store.rename_person(idx.id, ann, "  Ann   Smith ")
    assert named.name == "Ann Smith" and store.get_person(idx.id, ann).name == "Ann Smith"
    with pytest.raises(InvalidArgument):
        store.rename_person(idx.id, ann, "   ")
    with pytest.raises(NotFound) as missing:
        store.get_person(other_index.id, ann)  # people belong to one index
    assert missing.value.code == "person_not_found"

    # Re-indexing the first video without Bob: Bob is gone, Ann keeps her name and one face
    # from each video.
    store.replace_evidence(first.id, [], faces=[face(first, 2.0, [1, 0, 0, 0], ann)])
    people = {p.id: p for p in store.people(idx.id)}
    assert list(people) == [ann]
    assert (people[ann].face_count, people[ann].name) == (2, "Ann Smith")
    # Deleting the second video takes its faces with it.
    store.delete_video(second.id)
    assert [f.time for f in store.faces(idx.id)] == [2.0]
    assert store.get_person(idx.id, ann).video_count == 1


def test_reassigning_and_deleting_people(store: Store) -> None:
    idx = store.create_index("i")
    video = add_video(store, idx.id)
    ann, bob = new_person_id(), new_person_id()
    faces = [
        face(video, 1.0, [1, 0, 0, 0], ann),
        face(video, 3.0, [0, 1, 0, 0], ann),
        face(video, 5.0, [0, 1, 0, 0], bob),
    ]
    store.replace_evidence(video.id, [], faces=faces)
    store.rename_person(idx.id, bob, "Bob")
    # Regrouping: the face at 3 s was Bob's; Ann's only other face moves to a new person.
    carl = new_person_id()
    store.assign_people(idx.id, {faces[1].id: bob, faces[0].id: carl})
    people = {p.id: p for p in store.people(idx.id)}
    assert set(people) == {bob, carl}  # Ann was left without faces
    assert (people[bob].name, people[bob].face_count) == ("Bob", 2)
    assert people[bob].centroid == pytest.approx([0, 1, 0, 0])
    with pytest.raises(InvalidArgument):
        store.assign_people(idx.id, {"f" * 24: bob})  # not a face of this index
    store.delete_person(idx.id, bob)
    assert [f.time for f in store.faces(idx.id)] == [1.0]
    assert [p.id for p in store.people(idx.id)] == [carl]
    with pytest.raises(NotFound):
        store.delete_person(idx.id, bob)
    store.delete_index(idx.id)
    with pytest.raises(NotFound):
        store.people(idx.id)


def test_bad_faces_are_refused_before_anything_is_written(store: Store) -> None:
    idx = store.create_index("i")
    video = add_video(store, idx.id)
    other = add_video(store, idx.id, "other.mp4")
    kept = face(video, 1.0, [1, 0, 0, 0], new_person_id())
    store.replace_evidence(video.id, [Segment(video.id, "shot", 0, 2)], faces=[kept])
    store.replace_evidence(other.id, [], faces=[face(other, 1.0, [0, 1, 0, 0], None)])
    for bad in (
        face(video, 1.0, [float("nan"), 0, 0, 0], None),
        face(video, 1.0, [1, 0, 0, 0], "not-an-id"),
        FaceRecord(video.id, 0, 1.0, 2.0, 1.0, (0, 0, 1, 1), 1.0, np.ones(4, np.float32)),
        FaceRecord(video.id, 0, 1.0, 0.0, 2.0, (0, 0, 1.5, 1), 1.0, np.ones(4, np.float32)),
        face(video, 1.0, [1, 0, 0], None),  # another dimension than the index's faces
    ):
        with pytest.raises(InvalidArgument):
            store.replace_evidence(video.id, [], faces=[bad])
    assert [f.id for f in store.faces(idx.id, video_id=video.id)] == [kept.id]
    assert len(store.segments(video.id)) == 1


def new_person_id() -> str:
    return secrets.token_hex(12)


def test_reopening_keeps_everything(backend: Backend) -> None:
    store = backend.open()
    idx = store.create_index("persist", ["visual"])
    video = add_video(store, idx.id)
    segs, kfs, vecs = evidence(video, ["durable words"], dim=8)
    store.replace_evidence(video.id, segs, kfs, [vecs])
    store.blobs.put_bytes(kfs[0].blob_key, b"jpeg")
    task = store.enqueue_task(idx.id, {"url": "x"}, video_id=video.id)
    hits = store.search_vectors(idx.id, "text", vecs.vectors[0])
    store.close()
    with pytest.raises(VidsenseError):
        store.get_index(idx.id)  # closed

    for _ in range(2):  # migrations are idempotent
        again = backend.open()
        assert again.get_index(idx.id).video_count == 1
        assert again.get_video(video.id) == video
        assert again.segments(video.id) == segs and again.keyframes(video.id) == kfs
        assert again.get_task(task.id).source == {"url": "x"}
        assert [s.id for s, _ in again.search_text(idx.id, "durable")] == [segs[0].id]
        assert again.search_vectors(idx.id, "text", vecs.vectors[0]) == hits
        assert again.blobs.path(kfs[0].blob_key).read_bytes() == b"jpeg"
        again.close()


def test_vector_cache_is_rebuilt_from_the_database(backend: Backend, tmp_path: Path) -> None:
    store = backend.open()
    idx = store.create_index("i")
    video = add_video(store, idx.id)
    segs, _, vecs = evidence(video, ["a", "b", "c"], dim=8)
    store.replace_evidence(video.id, segs, [], [vecs])
    expected = store.search_vectors(idx.id, "text", vecs.vectors[1], limit=3)
    store.close()
    for path in tmp_path.rglob("*.npy"):  # damage the cache: it is only a cache
        path.write_bytes(b"garbage")
    store = backend.open()
    try:
        assert store.search_vectors(idx.id, "text", vecs.vectors[1], limit=3) == expected
    finally:
        store.close()


def test_newer_schema_is_refused(backend: Backend) -> None:
    if backend.name != "sqlite":
        pytest.skip("writes the version table directly")
    import sqlite3

    backend.open().close()
    with sqlite3.connect(backend.root / "vidsense.db") as conn:
        conn.execute("INSERT INTO schema_version VALUES (999, 'future', 'now')")
    conn.close()
    with pytest.raises(VidsenseError) as e:
        backend.open()
    assert e.value.code == "schema_too_new"


def test_full_text_search_is_kept_through_the_upgrade_to_scoped_search(tmp_path: Path) -> None:
    """A database written before full-text search was scoped by index and kind (schema 4)
    finds the same words after the upgrade, and keeps its index up to date after it."""
    import sqlite3

    from vidsense.store.migrations import MIGRATIONS, SQLITE, migrate

    path = tmp_path / "vidsense.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, SQLITE, [m for m in MIGRATIONS if m.version <= 4])
    now = "2026-01-01T00:00:00Z"
    for index_id in ("a" * 24, "b" * 24):
        conn.execute(
            "INSERT INTO indexes VALUES (?, ?, '[]', '[]', ?, ?)", (index_id, index_id, now, now)
        )
        conn.execute(
            "INSERT INTO videos VALUES "
            "(?, ?, 'v.mp4', 'x', 'ready', 10, 30, 64, 48, 1, '{}', ?, ?)",
            (f"v{index_id[0]}", index_id, now, now),
        )
        for n, (kind, text) in enumerate(
            [("transcript", "the lighthouse was built in 1850"), ("text", "LIGHTHOUSE")]
        ):
            conn.execute(
                "INSERT INTO segments (id, video_id, index_id, kind, start_time, end_time, text, "
                "data) VALUES (?, ?, ?, ?, ?, ?, ?, '{}')",
                (f"{index_id[0]}{n}", f"v{index_id[0]}", index_id, kind, n, n + 1.0, text),
            )
    conn.close()
    store = open_store(f"sqlite:///{path}", tmp_path / "blobs")
    try:
        a, b = "a" * 24, "b" * 24
        assert sorted(s.id for s, _ in store.search_text(a, "lighthouse")) == ["a0", "a1"]
        assert [s.id for s, _ in store.search_text(b, "lighthouse", kinds=["text"])] == ["b1"]
        video = add_video(store, a, "new.mp4")
        segs, _, _ = evidence(video, ["a new lighthouse keeper"])
        store.replace_evidence(video.id, segs, [], [])
        found = store.search_text(a, "keeper lighthouse", kinds=["transcript"])
        assert [s.id for s, _ in found] == [segs[0].id, "a0"]
        store.delete_video("va")
        assert [s.id for s, _ in store.search_text(a, "lighthouse")] == [segs[0].id]
    finally:
        store.close()


def test_full_text_rows_follow_segment_text_kind_and_index(tmp_path: Path) -> None:
    """Segments without text have no full-text row (migration 8); a segment whose text, kind or
    index changes is found under the new ones only, and the full-text index stays consistent."""
    import sqlite3

    store = open_store(f"sqlite:///{tmp_path / 'vidsense.db'}", tmp_path / "blobs")
    try:
        a, b = store.create_index("a").id, store.create_index("b").id
        video = add_video(store, a, "v.mp4")
        segs, _, _ = evidence(video, ["the harbour at dawn"])
        shot = Segment(video.id, "shot", 0.0, 5.0, "", {"index": 0})
        store.replace_evidence(video.id, [*segs, shot], [], [])
        conn = sqlite3.connect(tmp_path / "vidsense.db", isolation_level=None)
        rows = conn.execute("SELECT COUNT(*) FROM segments_fts").fetchone()[0]
        assert rows == 1  # the shot has no text: no row
        conn.execute(
            "UPDATE segments SET text = 'HARBOUR MASTER', kind = 'text' WHERE id = ?", (shot.id,)
        )
        assert [s.id for s, _ in store.search_text(a, "master", kinds=["text"])] == [shot.id]
        assert store.search_text(a, "master", kinds=["shot"]) == []
        conn.execute("UPDATE segments SET index_id = ? WHERE id = ?", (b, shot.id))
        assert store.search_text(a, "master") == []
        assert [s.id for s, _ in store.search_text(b, "master")] == [shot.id]
        conn.execute("UPDATE segments SET text = '' WHERE id = ?", (shot.id,))
        assert store.search_text(b, "master") == []
        assert [s.id for s, _ in store.search_text(a, "harbour")] == [segs[0].id]
        check = "INSERT INTO segments_fts(segments_fts, rank) VALUES ('integrity-check', 1)"
        conn.execute(check)  # raises when the index and its content disagree
        conn.close()
        store.delete_video(video.id)
        assert store.search_text(a, "harbour") == []
    finally:
        store.close()


def test_open_store_urls(tmp_path: Path) -> None:
    with pytest.raises(VidsenseError) as e:  # nothing listens there
        open_store("postgresql://user@127.0.0.1:1/vidsense?connect_timeout=2", tmp_path)
    assert e.value.code in ("store_unavailable", "backend_not_available")
    for bad in ("mysql://x", "sqlite://", "sqlite:///:memory:", "vidsense.db"):
        with pytest.raises(InvalidArgument):
            open_store(bad, tmp_path)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        open_store("sqlite:///rel/v.db", tmp_path / "blobs").close()
    finally:
        os.chdir(cwd)
    assert (tmp_path / "rel" / "v.db").is_file()


# -- blobs -------------------------------------------------------------------------------------


BLOB_BACKENDS = ["local"]


@pytest.fixture(params=BLOB_BACKENDS)
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> LocalBlobStore:
    assert request.param == "local"
    return LocalBlobStore(tmp_path / "blobs")


def test_blob_round_trip_and_prefix_delete(blobs: LocalBlobStore, tmp_path: Path) -> None:
    assert blobs.put_bytes("a/b/one.jpg", b"1") == "a/b/one.jpg"
    assert blobs.exists("a/b/one.jpg") and not blobs.exists("a/b/two.jpg")
    with blobs.open("a/b/one.jpg") as f:
        assert f.read() == b"1"
    blobs.put_bytes("a/b/one.jpg", b"replaced")
    assert blobs.path("a/b/one.jpg").read_bytes() == b"replaced"

    src = tmp_path / "clip.mp4"
    src.write_bytes(b"x" * 100_000)
    blobs.put_file("a/b/clip.mp4", src)
    assert src.exists() and blobs.path("a/b/clip.mp4").read_bytes() == src.read_bytes()
    blobs.put_file("a/b2/moved.mp4", src, move=True)
    assert not src.exists() and blobs.exists("a/b2/moved.mp4")
    assert not [p for p in blobs.root.rglob(".tmp-*")]  # no temporary files left behind

    with pytest.raises(NotFound) as e:
        blobs.open("a/b/missing.jpg")
    assert e.value.code == "blob_not_found"
    with pytest.raises(NotFound):
        blobs.path("a/b/missing.jpg")

    assert blobs.delete_prefix("a/b") == 2  # a/b/, never a/b2/
    assert not blobs.exists("a/b/one.jpg") and blobs.exists("a/b2/moved.mp4")
    assert blobs.delete_prefix("a/b/") == 0
    assert blobs.delete("a/b2/moved.mp4") and not blobs.delete("a/b2/moved.mp4")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/etc/passwd",
        "../x",
        "a/../../x",
        "a/../b",
        "./a",
        "a//b",
        "a/",
        "a\x00b",
        "a\\..\\b",
        "C:/x",
        "..",
    ],
)
def test_blob_keys_that_escape_are_refused(blobs: LocalBlobStore, key: str) -> None:
    for call in (
        lambda: blobs.put_bytes(key, b"x"),
        lambda: blobs.open(key),
        lambda: blobs.exists(key),
        lambda: blobs.delete(key),
    ):
        with pytest.raises(InvalidArgument):
            call()
    if key != "a/":  # "a/" is a valid folder prefix
        with pytest.raises(InvalidArgument):
            blobs.delete_prefix(key or "/")


def test_blob_symlink_out_of_the_root_is_refused(blobs: LocalBlobStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (blobs.root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidArgument, match="outside"):
        blobs.put_bytes("link/x.jpg", b"x")
    assert not (outside / "x.jpg").exists()


def test_searches_run_while_another_thread_writes(store: Store) -> None:
    rng = np.random.default_rng(11)
    idx = store.create_index("i")
    video = add_video(store, idx.id)
    errors: list[BaseException] = []
    stop = threading.Event()

    def search() -> None:
        try:
            while not stop.is_set():
                store.search_vectors(idx.id, "text", rng.standard_normal(8), limit=3)
                store.search_text(idx.id, "word")
        except BaseException as e:  # reported below
            errors.append(e)

    reader = threading.Thread(target=search)
    reader.start()
    try:
        for i in range(15):
            segs = [Segment(video.id, "transcript", 0.0, 1.0, f"word {i}") for _ in range(20)]
            store.replace_evidence(
                video.id, segs, [], [VectorBatch("text", [s.id for s in segs], unit(rng, 20, 8))]
            )
    finally:
        stop.set()
        reader.join(10)
    assert not errors
    last = store.segments(video.id)
    hits = store.search_vectors(idx.id, "text", rng.standard_normal(8), limit=50)
    assert {o for o, _ in hits} == {s.id for s in last}


def test_postgresql_searches_with_pgvector_hnsw_when_the_server_has_it(tmp_path: Path) -> None:
    """With the ``vector`` extension available (``scripts/postgres.sh install`` provides one),
    vectors live in pgvector columns behind an HNSW index, and search agrees with an exact scan."""
    admin: Any = pg_admin()
    with admin:
        found = admin.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchone()
    if not found:
        pytest.skip("this PostgreSQL server has no pgvector extension")
    backend = Backend("postgresql", tmp_path, f"test_{secrets.token_hex(6)}")
    admin = pg_admin()
    with admin:
        admin.execute(f"CREATE SCHEMA {backend.schema}")
        try:
            store = backend.open()
            try:
                assert getattr(store, "pgvector", False), "the store did not take up pgvector"
                rng = np.random.default_rng(5)
                idx = store.create_index("hnsw")
                video = add_video(store, idx.id)
                segs = [
                    Segment(video.id, "transcript", i, i + 1.0, f"line {i}") for i in range(300)
                ]
                matrix = unit(rng, 300, 16)
                store.replace_evidence(
                    video.id, segs, [], [VectorBatch("text", [s.id for s in segs], matrix)]
                )
                indexes = admin.execute(
                    "SELECT indexdef FROM pg_indexes WHERE schemaname = %s", (backend.schema,)
                ).fetchall()
                assert any("hnsw" in row[0] for row in indexes), indexes
                for _ in range(5):
                    q = unit(rng, 1, 16)[0]
                    hits = store.search_vectors(idx.id, "text", q, limit=5)
                    exact = [segs[i].id for i in np.argsort(-(matrix @ q))[:5]]
                    assert [o for o, _ in hits][:3] == exact[:3]
            finally:
                store.close()
        finally:
            admin.execute(f"DROP SCHEMA {backend.schema} CASCADE")


# -- the numpy vector cache (used by the SQLite backend) --------------------------------------


def test_vector_cache_repairs_gaps_left_by_other_processes(tmp_path: Path) -> None:
    from vidsense.store.vectors import SpaceMatrix, VectorSource

    rng = np.random.default_rng(5)
    rows = {i: v for i, v in enumerate(unit(rng, 9, 4), start=1)}  # row id -> vector
    snapshot = {"max": 0}

    def select(ids: list[int]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        ids = sorted(i for i in ids if i <= snapshot["max"])
        return np.array(ids, dtype=np.int64), np.array([rows[i] for i in ids], dtype=np.float32)

    source = VectorSource(
        rows_after=lambda after: select([i for i in rows if i > after]),
        live_ids=lambda: select(list(rows))[0],
        rows_by_id=lambda ids: select(ids.tolist()),
    )

    def refresh(matrix: SpaceMatrix, upto: int) -> None:
        snapshot["max"] = upto
        matrix.refresh(0, upto, source)

    folder = tmp_path / "cache"
    a, b = SpaceMatrix(folder, 4), SpaceMatrix(folder, 4)
    refresh(a, 2)  # writes rows 1-2
    refresh(b, 4)  # loads 1-2, writes 3-4
    refresh(a, 5)  # writes 3-5 (overlaps 3-4)
    refresh(b, 8)  # writes 5-8 (overlaps 3-5)
    refresh(b, 9)  # writes 9-9
    # Kept: 1-2, 3-5 and 9-9 (5-8 overlaps 3-5): rows 6-8 are in no kept file.
    assert sorted(p.name.split(".")[0] for p in folder.glob("*.f32.npy")) == [
        f"{lo:016d}-{hi:016d}" for lo, hi in [(1, 2), (3, 4), (3, 5), (5, 8), (9, 9)]
    ]
    fresh = SpaceMatrix(folder, 4)
    refresh(fresh, 9)
    query = rows[7]
    hits = fresh.search(query, 9)
    assert hits[0][0] == 7 and sorted(row for row, _ in hits) == list(range(1, 10))
    # The repair rewrote the cache as one file holding every row.
    [merged] = folder.glob("*.f32.npy")
    assert np.load(merged).shape == (9, 4)
    only = fresh.search(query, 9, ranges=np.array([[2, 2], [7, 8]], dtype=np.int64))
    assert only[0][0] == 7 and sorted(row for row, _ in only) == [2, 7, 8]


def test_id_ranges() -> None:
    from vidsense.store.vectors import id_ranges

    ids = np.array([1, 2, 3, 7, 9, 10], dtype=np.int64)
    assert id_ranges(ids).tolist() == [[1, 3], [7, 7], [9, 10]]
    assert id_ranges(ids[:0]).shape == (0, 2)
