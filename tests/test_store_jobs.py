"""Contract tests for skills and durable jobs in the store, run on SQLite and PostgreSQL.

Skills are versioned rows with their bundle in the blob store; jobs (agent executions today)
share the indexing tasks' lease scheme: claimed oldest first, renewed by heartbeats, claimed
again after their worker died, failed after ``max_attempts`` claims.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.database_support import DATABASES, database_url
from vidsense.errors import Conflict, InvalidArgument, NotFound
from vidsense.store import Store, open_store

SCHEMA = {"type": "object", "properties": {"price": {"type": "string"}}}


@dataclass
class Backend:
    url: str
    root: Path

    def open(self, max_attempts: int = 3) -> Store:
        return open_store(self.url, self.root / "blobs", max_attempts=max_attempts)


@pytest.fixture(params=DATABASES)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with database_url(request.param, tmp_path) as url:
        yield Backend(url, tmp_path)


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    s = backend.open()
    yield s
    s.close()


def _blob(store: Store, key: str) -> bytes:
    with store.blobs.open(key) as f:
        return f.read()


# -- skills ------------------------------------------------------------------------------------


def test_a_skill_is_stored_with_its_bundle(store: Store) -> None:
    first = store.create_skill("price-reader", "Reads prices", SCHEMA, b"zip one")
    assert first.id.startswith("skill_") and first.version == 1 and first.name == "price-reader"
    assert (first.description, first.schema, first.size) == ("Reads prices", SCHEMA, 7)
    assert first.created_at == first.updated_at and first.created_at.endswith("Z")
    assert _blob(store, first.bundle_key) == b"zip one"
    assert store.get_skill(first.id) == first
    assert store.find_skill("price-reader") == first
    plain = store.create_skill("no-schema", "", None, b"zip")
    assert plain.schema is None and plain.id != first.id


def test_updates_add_versions_and_old_ones_stay(store: Store) -> None:
    v1 = store.create_skill("pinned", "First wording", SCHEMA, b"first")
    time.sleep(0.01)
    v2 = store.add_skill_version(v1.id, "Second wording", None, b"second")
    assert (v2.id, v2.name, v2.version, v2.schema) == (v1.id, "pinned", 2, None)
    assert v2.created_at == v1.created_at and v2.updated_at > v1.updated_at
    assert store.get_skill(v1.id) == v2  # latest
    assert store.get_skill(v1.id, 1) == v1  # pinned
    assert store.find_skill("pinned", 1).description == "First wording"
    assert store.find_skill("pinned").description == "Second wording"
    assert _blob(store, store.get_skill(v1.id, 1).bundle_key) == b"first"
    assert _blob(store, v2.bundle_key) == b"second"
    with pytest.raises(NotFound) as e:
        store.get_skill(v1.id, 3)
    assert e.value.code == "skill_not_found" and "version 3" in e.value.message
    with pytest.raises(NotFound) as e:
        store.find_skill("nobody")
    assert "'nobody'" in e.value.message
    with pytest.raises(NotFound):
        store.add_skill_version("skill_" + "0" * 24, "x", None, b"x")
    with pytest.raises(InvalidArgument):
        store.get_skill(v1.id, 0)


def test_a_taken_name_is_refused_and_leaves_no_file(store: Store, backend: Backend) -> None:
    store.create_skill("taken", "one", None, b"one")
    files = sorted(p.name for p in (backend.root / "blobs").rglob("*.zip"))
    with pytest.raises(Conflict) as e:
        store.create_skill("taken", "two", None, b"two")
    assert (e.value.status, e.value.code) == (409, "skill_exists") and "'taken'" in e.value.message
    assert sorted(p.name for p in (backend.root / "blobs").rglob("*.zip")) == files
    with pytest.raises(InvalidArgument):
        store.create_skill(" ", "blank", None, b"x")
    with pytest.raises(InvalidArgument):
        store.create_skill("empty", "no bundle", None, b"")


def test_skills_are_listed_by_version_or_latest(store: Store) -> None:
    a = store.create_skill("alpha", "a1", None, b"a")
    time.sleep(0.01)
    b = store.create_skill("beta", "b1", None, b"b")
    time.sleep(0.01)
    a2 = store.add_skill_version(a.id, "a2", None, b"a2")
    every = store.list_skills()
    assert [(s.name, s.version) for s in every] == [("beta", 1), ("alpha", 2), ("alpha", 1)]
    latest = store.list_skills(latest_only=True, order_by="updated_at")
    assert [(s.name, s.version) for s in latest] == [("alpha", 2), ("beta", 1)]
    by_name = store.list_skills(order_by="name", descending=False, latest_only=True)
    assert [s.id for s in by_name] == [a2.id, b.id]
    assert [s.version for s in store.list_skills(limit=1, offset=1)] == [2]
    assert store.list_skills(offset=5) == []
    with pytest.raises(InvalidArgument):
        store.list_skills(limit=0)
    with pytest.raises(InvalidArgument):
        store.list_skills(order_by="size")  # type: ignore[arg-type]


def test_concurrent_updates_get_distinct_versions(backend: Backend) -> None:
    setup = backend.open()
    skill = setup.create_skill("busy", "v1", None, b"1")
    stores = [backend.open() for _ in range(4)]
    made: list[int] = []
    errors: list[BaseException] = []

    def update(s: Store, n: int) -> None:
        try:
            for k in range(3):
                made.append(s.add_skill_version(skill.id, f"{n}.{k}", None, b"x").version)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=update, args=(s, n)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in stores:
        s.close()
    assert not errors
    assert sorted(made) == list(range(2, 14))
    assert setup.get_skill(skill.id).version == 13
    setup.close()


# -- jobs --------------------------------------------------------------------------------------


def test_jobs_are_claimed_oldest_first_and_finished(store: Store) -> None:
    jobs = [store.submit_job("execution", {"n": n}) for n in range(3)]
    first = jobs[0]
    assert first.id.startswith("exec_") and len(first.id) == 5 + 24
    assert (first.status, first.attempts, first.request, first.result) == (
        "enqueued", 0, {"n": 0}, None,
    )  # fmt: skip
    claimed = store.claim_job("w1")
    assert claimed is not None and claimed.id == first.id
    assert (claimed.status, claimed.attempts, claimed.lease_owner) == ("running", 1, "w1")
    assert claimed.lease_until is not None and claimed.lease_until > claimed.updated_at
    beat = store.heartbeat_job(first.id, "w1", 40)
    assert beat.progress == 40
    done = store.finish_job(first.id, "w1", "completed", result={"response": {"a": 1}})
    assert (done.status, done.progress, done.result, done.lease_owner) == (
        "completed", 100, {"response": {"a": 1}}, None,
    )  # fmt: skip
    assert done.completed_at is not None and done.completed_at >= done.created_at
    second = store.claim_job("w2")
    assert second is not None and second.id == jobs[1].id
    failed = store.finish_job(
        second.id, "w2", "failed", error_code="schema_not_followed", error_message="no"
    )
    assert (failed.status, failed.error_code, failed.error_message) == (
        "failed", "schema_not_followed", "no",
    )  # fmt: skip
    with pytest.raises(InvalidArgument):
        store.finish_job(jobs[2].id, "w3", "failed")  # a failure needs a code
    with pytest.raises(Conflict) as e:
        store.finish_job(jobs[2].id, "w3", "completed")  # never claimed
    assert e.value.code == "lease_lost"


def test_a_job_of_a_dead_worker_is_claimed_again(backend: Backend) -> None:
    first, second = backend.open(), backend.open()  # two connections, like two processes
    try:
        job = first.submit_job("execution", {"inputs": ["a.mp4"]})
        held = first.claim_job("dead-worker", lease_seconds=0.2)
        assert held is not None and held.id == job.id
        first.heartbeat_job(job.id, "dead-worker", 30, lease_seconds=0.2)
        assert second.claim_job("w2") is None  # the lease still holds
        time.sleep(0.3)  # the worker died: no more heartbeats
        again = second.claim_job("w2", lease_seconds=60)
        assert again is not None and again.id == job.id
        assert (again.lease_owner, again.attempts, again.progress) == ("w2", 2, 30)
        with pytest.raises(Conflict) as e:
            first.heartbeat_job(job.id, "dead-worker", 50)
        assert e.value.code == "lease_lost" and "w2" in e.value.message
        with pytest.raises(Conflict):
            first.finish_job(job.id, "dead-worker", "completed", result={})
        done = second.finish_job(job.id, "w2", "completed", result={"ok": True})
        assert first.get_job(job.id) == done
    finally:
        first.close()
        second.close()


def test_a_handed_back_job_is_pending_and_claimed_first(store: Store) -> None:
    older = store.submit_job("execution", {"n": 1})
    newer = store.submit_job("execution", {"n": 2})
    store.claim_job("w1")
    store.heartbeat_job(older.id, "w1", 55)
    back = store.release_job(older.id, "w1")
    assert (back.status, back.lease_owner, back.progress) == ("pending", None, 55)
    with pytest.raises(Conflict):
        store.heartbeat_job(older.id, "w1", 60)
    again = store.claim_job("w2")
    assert again is not None and (again.id, again.attempts) == (older.id, 2)
    assert store.get_job(newer.id).status == "enqueued"


def test_too_many_attempts_fails_the_job(backend: Backend) -> None:
    store = backend.open(max_attempts=2)
    try:
        job = store.submit_job("execution", {})
        later = store.submit_job("execution", {})
        for attempt in (1, 2):
            claimed = store.claim_job(f"w{attempt}", lease_seconds=0.05)
            assert claimed is not None and (claimed.id, claimed.attempts) == (job.id, attempt)
            time.sleep(0.1)
        nxt = store.claim_job("w3")
        assert nxt is not None and nxt.id == later.id
        worn = store.get_job(job.id)
        assert (worn.status, worn.error_code, worn.attempts) == ("failed", "too_many_attempts", 2)
        assert worn.completed_at is not None and "max_attempts=2" in (worn.error_message or "")
    finally:
        store.close()


def test_kinds_pause_resume_and_fail(store: Store) -> None:
    render = store.submit_job("render", {"spec": 1})
    paused = store.submit_job("execution", {"n": 1}, status="paused")
    assert render.id.startswith("render_") and paused.status == "paused"
    assert store.claim_job("w", kinds=["execution"]) is None  # paused is never claimed
    resumed = store.resume_job(paused.id)
    assert resumed.status == "enqueued"
    assert store.pause_job(render.id).status == "paused"
    claimed = store.claim_job("w", kinds=["execution", "prediction"])
    assert claimed is not None and claimed.id == paused.id
    with pytest.raises(Conflict) as e:
        store.pause_job(paused.id)  # running
    assert e.value.code == "job_state"
    failed = store.fail_job(render.id, "cancelled", "the user cancelled it")
    assert (failed.status, failed.error_code) == ("failed", "cancelled")
    with pytest.raises(Conflict):
        store.fail_job(paused.id, "cancelled", "running jobs are the worker's")
    assert store.claim_job("w", kinds=[]) is None
    with pytest.raises(InvalidArgument):
        store.submit_job("sleep", {})  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        store.submit_job("execution", {"bad": {1, 2}})


def test_cancel_stops_a_held_job_and_delete_removes_any(store: Store) -> None:
    queued = store.submit_job("render", {"n": 1})
    held = store.submit_job("video_generation", {"n": 2})
    claimed = store.claim_job("w", kinds=["video_generation"])
    assert claimed is not None and claimed.id == held.id
    cancelled = store.cancel_job(held.id, "the user stopped it")
    assert (cancelled.status, cancelled.error_code) == ("failed", "cancelled")
    assert cancelled.error_message == "the user stopped it" and cancelled.lease_owner is None
    with pytest.raises(Conflict) as e:
        store.heartbeat_job(held.id, "w", 50.0)  # the worker learns it lost the job
    assert e.value.code == "lease_lost"
    with pytest.raises(Conflict) as e:
        store.finish_job(held.id, "w", "completed", result={"late": True})
    assert e.value.code == "lease_lost"
    with pytest.raises(Conflict) as e:
        store.cancel_job(held.id, "again")  # already ended
    assert e.value.code == "job_state"
    assert store.cancel_job(queued.id, "not wanted").status == "failed"
    assert store.claim_job("w") is None  # a cancelled job is never claimed
    running = store.submit_job("render", {"n": 3})
    assert store.claim_job("w2") is not None
    gone = store.delete_job(running.id)
    assert gone.id == running.id and gone.status == "running"
    with pytest.raises(NotFound) as nf:
        store.get_job(running.id)
    assert nf.value.code == "job_not_found"
    with pytest.raises(NotFound):
        store.heartbeat_job(running.id, "w2", 10.0)
    with pytest.raises(NotFound):
        store.delete_job(running.id)
    assert {j.id for j in store.list_jobs(limit=10)} == {queued.id, held.id}


def test_jobs_are_listed_with_filters(store: Store) -> None:
    made = []
    for n in range(5):
        made.append(store.submit_job("execution" if n != 2 else "render", {"n": n}))
        time.sleep(0.01)
    claimed = store.claim_job("w", kinds=["execution"])
    assert claimed is not None and claimed.id == made[0].id
    newest = [j.id for j in store.list_jobs(kind="execution")]
    assert newest == [made[4].id, made[3].id, made[1].id, made[0].id]
    assert [j.id for j in store.list_jobs(kind="execution", skip=1, limit=2)] == newest[1:3]
    assert [j.id for j in store.list_jobs(status="running")] == [made[0].id]
    assert [j.id for j in store.list_jobs(descending=False, limit=2)] == [made[0].id, made[1].id]
    window = store.list_jobs(created_after=made[1].created_at, created_before=made[3].created_at)
    assert [j.id for j in window] == [made[2].id, made[1].id]
    offset_form = made[1].created_at.replace("Z", "+00:00")
    assert len(store.list_jobs(created_after=offset_form)) == 4
    assert store.get_job(made[2].id, kind="render").request == {"n": 2}
    with pytest.raises(NotFound) as e:
        store.get_job(made[2].id, kind="execution")
    assert e.value.code == "execution_not_found" and made[2].id in e.value.message
    with pytest.raises(NotFound) as e:
        store.get_job("exec-0000000000")
    assert (e.value.status, e.value.code) == (404, "job_not_found")
    with pytest.raises(InvalidArgument):
        store.list_jobs(status="done")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        store.list_jobs(created_after="yesterday")


def test_many_workers_never_share_a_job(backend: Backend) -> None:
    """Eight workers, each on its own store, drain one queue (PostgreSQL: SKIP LOCKED)."""
    setup = backend.open()
    queued = {setup.submit_job("execution", {"n": n}).id for n in range(40)}
    stores = [backend.open() for _ in range(8)]
    claimed: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(s: Store, name: str) -> None:
        try:
            while (job := s.claim_job(name)) is not None:
                with lock:
                    claimed.append(job.id)
                s.finish_job(job.id, name, "completed", result={"by": name})
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
    assert len(setup.list_jobs(status="completed", limit=100)) == 40
    setup.close()


def test_reopening_keeps_skills_and_jobs(backend: Backend) -> None:
    first = backend.open()
    skill = first.create_skill("kept", "kept", SCHEMA, b"bundle")
    job = first.submit_job("execution", {"skill": skill.id})
    first.close()
    again = backend.open()
    try:
        assert again.get_skill(skill.id) == skill
        assert again.get_job(job.id) == job
    finally:
        again.close()
