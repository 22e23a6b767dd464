"""Indexing jobs on every executor: worker threads in this process, and Ray.

The same job tests run against both (the ``executor`` fixture); Ray runs as a real local
cluster (``ray.init(num_cpus=2)``) started once for this module, and its analysis actors are
real Ray worker processes with the real bundled models. Skipped when Ray is not installed
(``pip install -e '.[ray]'``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MediaCache
from tests.library_support import finished, spoken_clip, wait_for
from vidsense.jobs import EXECUTORS, EmbeddedExecutor, RayExecutor, make_executor
from vidsense.jobs import ray as ray_executor
from vidsense.library import Library
from vidsense.store import utc_now

pytestmark = pytest.mark.models

ray = pytest.importorskip("ray")

MakeExecutor = Callable[..., EmbeddedExecutor]


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A local Ray cluster for this module; yields its address (for other processes). Its
    workers run at this process's priority: at Ray's default niceness (15) an actor gets a few
    percent of a core beside a busy test process, and a 5 s analysis takes minutes."""
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        _system_config={"worker_niceness": 0},
    )
    try:
        yield str(ray.get_runtime_context().gcs_address)
    finally:
        ray.shutdown()


PROCESSES = "embedded-processes"
"""The embedded executor analysing in its child processes (``worker_processes``)."""


@pytest.fixture(params=[*sorted(EXECUTORS), PROCESSES])
def executor(request: pytest.FixtureRequest) -> MakeExecutor:
    """Makes an executor of the parametrized kind: ``executor(library, workers, **options)``
    (the embedded one in the worker's thread, or in a child process per worker)."""
    if request.param == RayExecutor.NAME:
        request.getfixturevalue("ray_cluster")
    kind = EXECUTORS.get(request.param, EmbeddedExecutor)

    def make(library: Library, workers: int = 1, **options: Any) -> EmbeddedExecutor:
        library.settings.worker_processes = request.param == PROCESSES
        return kind(library, workers, **options)

    return make


def test_make_executor_follows_the_settings(lib: Library) -> None:
    assert type(make_executor(lib)) is EmbeddedExecutor
    lib.settings.executor = "ray"
    assert type(make_executor(lib)) is RayExecutor
    assert type(make_executor(lib, "embedded")) is EmbeddedExecutor


def test_upload_is_indexed_once(lib: Library, clip: Path, executor: MakeExecutor) -> None:
    index = lib.create_index("talks")
    with executor(lib):
        task = finished(lib, lib.submit_file(index.id, clip).task.id)
        assert task.status == "ready", task.error_message
        again = lib.submit_file(index.id, clip)
    assert again.duplicate and again.task.id == task.id
    video_id = task.video_id or ""
    assert [(round(s.start, 1), round(s.end, 1)) for s in lib.shots(index.id, video_id)] == [
        (0.0, 2.0),
        (2.0, 4.0),
    ]
    spoken = " ".join(s.text for s in lib.transcription(index.id, video_id)).lower()
    assert "library" in spoken and "video" in spoken
    assert "HELLO" in " ".join(s.text for s in lib.text_in_video(index.id, video_id))
    assert lib.list_videos(index.id).total == 1


def test_task_of_a_dead_worker_is_retried(lib: Library, clip: Path, executor: MakeExecutor) -> None:
    index = lib.create_index("retry")
    queued = lib.submit_file(index.id, clip).task
    # A worker claims it and dies (no heartbeat): its lease runs out.
    claimed = lib.store.claim_task("dead-worker", lease_seconds=0.5)
    assert claimed is not None and claimed.id == queued.id
    with executor(lib, lease_seconds=5):
        task = finished(lib, queued.id)
    assert task.status == "ready" and task.attempts == 2
    assert lib.list_videos(index.id).total == 1


def test_stopping_workers_hands_the_task_back(
    lib: Library, media: MediaCache, executor: MakeExecutor
) -> None:
    long_clip = spoken_clip(  # the same clip as test_library's (built once per session)
        media,
        "lib-long.mp4",
        duration=24.0,
        spoken="a longer recording about trains and the harbour",
    )
    index = lib.create_index("stop")
    queued = lib.submit_file(index.id, long_clip).task
    running = executor(lib, lease_seconds=30)
    running.start()
    try:
        wait_for(lambda: lib.get_task(queued.id).status == "indexing", 60, "a claim", 0.05)
        time.sleep(1.0)  # into the analysis (on the actor, for Ray)
    finally:
        stop_started = time.monotonic()
        running.stop()
    assert time.monotonic() - stop_started < 10.0  # the analysis stopped early
    stopped = lib.get_task(queued.id)
    assert stopped.status == "indexing" and stopped.lease_until is not None
    assert stopped.lease_until <= utc_now()  # handed back, not left to expire in 30 s
    assert lib.list_videos(index.id).total == 0  # nothing half-written
    with executor(lib):
        task = finished(lib, queued.id)
    assert task.status == "ready", task.error_message
    assert task.attempts == 2
    assert len(lib.shots(index.id, task.video_id or "")) == 2


def test_a_stop_ends_while_the_actor_cannot_start(
    lib: Library, clip: Path, ray_cluster: str
) -> None:
    lib.settings.ray_cpus = 64  # more than the cluster has: Ray keeps the actor pending
    index = lib.create_index("pending")
    queued = lib.submit_file(index.id, clip).task
    running = RayExecutor(lib, 1, lease_seconds=30)
    running.start()
    try:
        wait_for(lambda: lib.get_task(queued.id).status == "indexing", 60, "a claim", 0.05)
        time.sleep(1.0)
    finally:
        stop_started = time.monotonic()
        running.stop()
    assert time.monotonic() - stop_started < 10.0
    stopped = lib.get_task(queued.id)
    assert stopped.status == "indexing" and stopped.attempts == 1
    assert stopped.lease_until is not None and stopped.lease_until <= utc_now()  # handed back


def test_an_actor_that_never_starts_hands_the_task_back(
    lib: Library, clip: Path, ray_cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ray_executor, "_START_SECONDS", 1.0)
    lib.settings.ray_cpus = 64
    index = lib.create_index("never")
    with RayExecutor(lib, 1):
        task = finished(lib, lib.submit_file(index.id, clip).task.id, timeout=60)
    # Each claim waited a second for an actor, handed the task back, and the claim after the
    # last allowed one failed it.
    assert task.status == "failed" and task.error_code == "too_many_attempts"
    assert lib.list_videos(index.id).total == 0


def test_ray_actors_stay_warm_across_videos(
    lib: Library, media: MediaCache, clip: Path, ray_cluster: str
) -> None:
    other = spoken_clip(media, "jobs-other.mp4", spoken="a second video", colour="maroon")
    index = lib.create_index("warm")
    with RayExecutor(lib, 1) as running:
        first = finished(lib, lib.submit_file(index.id, clip).task.id)
        [before] = running.actor_stats()
        second = finished(lib, lib.submit_file(index.id, other).task.id)
        [after] = running.actor_stats()
    assert (first.status, second.status) == ("ready", "ready")
    assert after["pid"] == before["pid"] != os.getpid()  # analysed in the actor's process
    assert (before["analysed"], after["analysed"]) == (1, 2)
    assert before["models"] and after["models"] == before["models"]  # loaded once, kept


def test_analysis_processes_stay_warm_and_a_dead_one_is_replaced(
    lib: Library, media: MediaCache, clip: Path
) -> None:
    """With ``worker_processes`` each worker analyses in a child process that keeps its models
    from one video to the next; a child killed mid-analysis hands the task back, and a fresh
    child indexes it (a second attempt)."""
    long_clip = spoken_clip(  # the same clip as test_library's (built once per session)
        media,
        "lib-long.mp4",
        duration=24.0,
        spoken="a longer recording about trains and the harbour",
    )
    other = spoken_clip(media, "jobs-other.mp4", spoken="a second video", colour="maroon")
    lib.settings.worker_processes = True
    index = lib.create_index("processes")
    with EmbeddedExecutor(lib, 1, lease_seconds=5) as running:
        first = finished(lib, lib.submit_file(index.id, clip).task.id)
        [child] = running.analysis_pids()
        second = finished(lib, lib.submit_file(index.id, other).task.id)
        assert running.analysis_pids() == [child] != [os.getpid()]  # one warm child
        queued = lib.submit_file(index.id, long_clip).task
        wait_for(lambda: lib.get_task(queued.id).progress > 11.0, 60, "the analysis", 0.05)
        os.kill(child, signal.SIGKILL)
        third = finished(lib, queued.id)
        [fresh] = running.analysis_pids()
    assert (first.status, second.status) == ("ready", "ready")
    assert third.status == "ready", third.error_message
    assert third.attempts == 2 and fresh != child
    spoken = " ".join(s.text for s in lib.transcription(index.id, third.video_id or "")).lower()
    assert "harbour" in spoken or "harbor" in spoken
    assert lib.list_videos(index.id).total == 3


def test_add_folder_with_ray_indexes_every_video(
    tmp_path: Path, models_dir: Path, media: MediaCache, clip: Path, ray_cluster: str
) -> None:
    folder = tmp_path / "incoming"
    (folder / "more").mkdir(parents=True)
    (folder / "a.mp4").write_bytes(clip.read_bytes())
    other = spoken_clip(media, "jobs-other.mp4", spoken="a second video", colour="maroon")
    (folder / "more" / "b.mov").write_bytes(other.read_bytes())
    (folder / "notes.txt").write_text("not a video")
    env = {
        **os.environ,
        "VIDSENSE_DATA_DIR": str(tmp_path / "data"),
        "VIDSENSE_MODELS__DIR": str(models_dir),
        "VIDSENSE_RAY_ADDRESS": ray_cluster,  # join this module's cluster
    }
    env.pop("VIDSENSE_SERVER", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "vidsense.cli.main", *args],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
        )

    assert cli("index", "create", "batch").returncode == 0
    added = cli("add", "batch", str(folder), "--executor", "ray", "--workers", "2", "--json")
    assert added.returncode == 0, added.stderr[-3000:]
    tasks = json.loads(added.stdout)
    assert [t["status"] for t in tasks] == ["ready", "ready"]
    listed = json.loads(cli("videos", "batch", "--json").stdout)
    assert sorted(v["system_metadata"]["filename"] for v in listed) == ["a.mp4", "b.mov"]


def test_add_rejects_an_unknown_executor(tmp_path: Path, clip: Path) -> None:
    env = {**os.environ, "VIDSENSE_DATA_DIR": str(tmp_path / "data")}
    env.pop("VIDSENSE_SERVER", None)
    done = subprocess.run(
        [sys.executable, "-m", "vidsense.cli.main", "add", "x", str(clip), "--executor", "dask"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode != 0 and "unknown executor 'dask'" in done.stderr
