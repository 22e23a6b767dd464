"""The library service in-process: indexing into evidence, duplicates, failures, retries,
URL sources, the in-process client. Real SQLite files, real generated clips, real models."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import MediaCache
from tests.factory import run
from tests.library_support import (
    CAPTION,
    finished,
    make_settings,
    spoken_clip,
)
from vidsense import Client
from vidsense.errors import InvalidArgument, NotFound, SourceBlocked, SourceTooLarge
from vidsense.jobs import EmbeddedExecutor
from vidsense.library import Library
from vidsense.options import index_options
from vidsense.store import TaskRecord, utc_now

pytestmark = pytest.mark.models


class StatusLog:
    """Records, per task, each status the store wrote for it (through the store calls that
    change a task), so a test sees the order a task went through."""

    CALLS = (
        "enqueue_task",
        "mark_task_validated",
        "fail_task",
        "claim_task",
        "heartbeat",
        "finish_task",
    )

    def __init__(self, lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        for name in self.CALLS:
            monkeypatch.setattr(lib.store, name, self._recording(getattr(lib.store, name)))

    def _recording(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            task = call(*args, **kwargs)
            if isinstance(task, TaskRecord):
                with self._lock:
                    statuses = self.seen.setdefault(task.id, [])
                    if not statuses or statuses[-1] != task.status:
                        statuses.append(task.status)
            return task

        return recorded

    def __getitem__(self, task_id: str) -> list[str]:
        with self._lock:
            return list(self.seen.get(task_id, []))


def test_index_options_follow_twelve_labs_names() -> None:
    v12 = [
        {"engine_name": "marengo2.6", "engine_options": ["visual", "conversation"]},
        {"engine_name": "pegasus1.0", "engine_options": ["text_in_video"]},
    ]
    assert index_options(engines=v12) == ["visual", "conversation", "text_in_video"]
    models = [{"model_name": "marengo3.0", "model_options": ["visual", "audio"]}]
    assert index_options(models=models) == [
        "visual",
        "conversation",
        "text_in_video",
        "logo",
        "audio",
    ]
    assert index_options() == ["visual", "conversation", "text_in_video", "logo", "audio"]
    with pytest.raises(InvalidArgument, match=r"engines\[0\].engine_options.*'smell'"):
        index_options(engines=[{"engine_name": "x", "engine_options": ["smell"]}])


def test_upload_becomes_evidence(lib: Library, clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = lib.create_index("talks")
    log = StatusLog(lib, monkeypatch)
    stored_before_validated: list[str] = []
    mark_validated = lib.store.mark_task_validated

    def check_then_mark(task_id: str) -> TaskRecord:
        stored_before_validated.append(lib.store.get_task(task_id).status)
        return mark_validated(task_id)

    monkeypatch.setattr(lib.store, "mark_task_validated", check_then_mark)
    with EmbeddedExecutor(lib, 1):
        submission = lib.submit_file(index.id, clip)
        assert not submission.duplicate and submission.task.status == "pending"
        task = finished(lib, submission.task.id)
    assert task.status == "ready", task.error_message
    # The stored status went validating -> pending (at submission) -> indexing -> ready.
    assert stored_before_validated == ["validating"]
    assert log[task.id] == ["validating", "pending", "indexing", "ready"]
    assert task.progress == 100 and task.video_id is not None and task.attempts == 1

    sha = hashlib.sha256(clip.read_bytes()).hexdigest()
    video = lib.get_video(index.id, task.video_id)
    assert (video.filename, video.sha256, video.status) == (clip.name, sha, "ready")
    assert (video.width, video.height) == (320, 240) and video.duration == pytest.approx(4, 0.05)
    assert lib.get_index(index.id).video_count == 1

    transcript = lib.transcription(index.id, video.id)
    said = " ".join(s.text.lower() for s in transcript)
    assert "library" in said and "video" in said
    words = [w for s in transcript for w in s.data["words"]]
    assert words and all(0.0 <= w["start"] <= w["end"] <= 4.0 for w in words)
    assert 0.2 < words[0]["start"] < 1.2  # speech starts at 0.3 s

    texts = lib.text_in_video(index.id, video.id)
    seen = [t for t in texts if "LIBRARY" in t.text.upper()]
    assert seen, [t.text for t in texts]
    assert seen[0].start < 1.0 and 1.5 <= seen[0].end <= 2.2
    assert len(seen[0].data["box"]) == 4 and seen[0].data["confidence"] > 0.5

    shots = lib.shots(index.id, video.id)
    assert [s.data["index"] for s in shots] == [0, 1]
    assert shots[1].start == pytest.approx(2.0, abs=0.1)

    keyframes = lib.store.keyframes(video.id)
    assert len(keyframes) == 2
    assert all(lib.store.blobs.exists(k.blob_key) for k in keyframes)

    # Text vectors belong to the segments: the spoken sentence finds its own segment.
    from vidsense.models.text_embedding import TextEmbeddingEntry

    query = TextEmbeddingEntry(lib.settings).load().embed([CAPTION.lower()], kind="query")[0]
    hits = lib.store.search_vectors(index.id, "text", np.asarray(query), limit=3)
    owners = lib.store.get_segments([owner for owner, _ in hits])
    assert owners and {s.kind for s in owners.values()} <= {"transcript", "text", "visual"}
    assert owners[hits[0][0]].kind in ("transcript", "text")
    # What each shot's keyframe shows spans that shot, with its keyframe's image vector.
    shows = lib.video_segments(video.id, "visual")
    assert [(s.start, s.end) for s in shows] == [(s.start, s.end) for s in shots]
    image_owners, images = lib.video_vectors(video.id, "image")
    assert sorted(image_owners) == sorted(k.id for k in keyframes) and images.shape[1] == 1280

    path, media_type = lib.video_file(index.id, video.id)
    assert media_type == "video/mp4" and path.read_bytes() == clip.read_bytes()
    assert not lib.store.blobs.exists(f"{index.id}/uploads/{sha}.mp4")  # moved, not copied
    assert lib.thumbnail(index.id, video.id).read_bytes()[:2] == b"\xff\xd8"
    assert lib.thumbnail(index.id, video.id, 3.0).read_bytes()[:2] == b"\xff\xd8"
    with pytest.raises(InvalidArgument, match="time must be between 0"):
        lib.thumbnail(index.id, video.id, 99.0)

    lib.delete_video(index.id, video.id)
    assert not path.exists() and lib.list_videos(index.id).total == 0
    with pytest.raises(NotFound) as e:
        lib.get_video(index.id, video.id)
    assert e.value.code == "video_not_found"


def test_same_file_twice_is_not_duplicated(lib: Library, clip: Path) -> None:
    index = lib.create_index("dupes")
    first = lib.submit_file(index.id, clip)
    queued_again = lib.submit_file(index.id, clip)  # still pending
    assert queued_again.duplicate and queued_again.task.id == first.task.id
    with EmbeddedExecutor(lib, 1):
        task = finished(lib, first.task.id)
    assert task.status == "ready", task.error_message
    after = lib.submit_file(index.id, clip)
    assert after.duplicate and after.task.id == first.task.id
    assert after.task.video_id == task.video_id
    assert lib.list_videos(index.id).total == 1 and lib.list_tasks(index_id=index.id).total == 1
    # Another index is another library: the same file is indexed there too.
    other = lib.create_index("other")
    assert not lib.submit_file(other.id, clip).duplicate
    assert not list((lib.settings.data_dir / "uploads").iterdir())


@pytest.fixture(scope="module")
def bad_files(media: MediaCache, clip: Path) -> dict[str, Path]:
    def text(out: Path) -> None:
        out.write_text("this is a shopping list, not a video\n" * 20)

    def truncated(out: Path) -> None:
        data = clip.read_bytes()
        out.write_bytes(data[: len(data) // 3])

    def audio_only(out: Path) -> None:
        run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=2", str(out)])

    def zero_frames(out: Path) -> None:
        run(
            [
                *("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=64x64:d=1"),
                *("-frames:v", "0", "-c:v", "libx264", str(out)),
            ]
        )

    def photo(out: Path) -> None:  # a phone photo (forensics-samples-files)
        out.write_bytes(
            Path("/usr/share/forensics-samples/original-files/pic1/IMG_1054.JPG").read_bytes()
        )

    return {
        "text": media.get("lib-notes.mp4", text),
        "truncated": media.get("lib-half.mp4", truncated),
        "audio": media.get("lib-audio-only.mp4", audio_only),
        "zero": media.get("lib-zero-frames.mp4", zero_frames),
        "photo": media.get("lib-photo.jpg", photo),
    }


def test_bad_files_fail_at_validation_and_leave_nothing_listed(
    lib: Library, bad_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    index = lib.create_index("bad")
    log = StatusLog(lib, monkeypatch)
    # No worker runs: the submission itself checks the file and fails the task.
    done = {which: lib.submit_file(index.id, path).task for which, path in bad_files.items()}
    expected = {
        "text": ("unsupported_media", "not a video"),
        "truncated": ("corrupt_media", "cannot be read"),
        "audio": ("unsupported_media", "no video stream"),
        "zero": ("empty_media", "no frames"),
        "photo": ("unsupported_media", "still image"),
    }
    for which, (code, words) in expected.items():
        task = done[which]
        assert (task.status, task.error_code) == ("failed", code), (which, task)
        message = task.error_message or ""
        assert words in message and bad_files[which].name in message, message  # the user's name
        assert task.attempts == 0 and task.video_id is None
        assert log[task.id] == ["validating", "failed"]
        assert lib.get_task(task.id) == task
    assert lib.store.claim_task("w") is None  # nothing was queued
    assert lib.list_videos(index.id).total == 0 and lib.get_index(index.id).video_count == 0
    # The uploads are kept (to look at, or retry), under the index's folder.
    for task in done.values():
        assert task.source["blob"].startswith(f"{index.id}/uploads/")
        assert lib.store.blobs.exists(task.source["blob"])


def test_a_task_left_validating_is_queued_and_checked_by_a_worker(
    lib: Library, bad_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    index = lib.create_index("crash")

    def die(*args: object) -> TaskRecord:
        raise RuntimeError("the server died while checking the upload")

    with monkeypatch.context() as m:
        m.setattr(lib, "_validate_upload", die)
        with pytest.raises(RuntimeError):
            lib.submit_file(index.id, bad_files["text"])
    [orphan] = lib.list_tasks(index_id=index.id).items
    assert orphan.status == "validating"
    assert lib.store.claim_task("w", lease_seconds=60) is None  # maybe still being checked
    # Once it has been validating longer than the lease, a claim queues it and the worker
    # checks the file again, failing it as validation would have.
    with EmbeddedExecutor(lib, 1, lease_seconds=0.5, poll_seconds=0.1):
        task = finished(lib, orphan.id, timeout=30)
    assert (task.status, task.error_code, task.attempts) == ("failed", "unsupported_media", 1)
    assert "not a video" in (task.error_message or "")
    assert lib.list_videos(index.id).total == 0


def test_upload_over_the_limit_leaves_nothing(tmp_path: Path, models_dir: Path, clip: Path) -> None:
    settings = make_settings(tmp_path / "data", models_dir, max_upload_bytes=1000)
    library = Library.open(settings)
    try:
        index = library.create_index("small")
        with pytest.raises(SourceTooLarge) as e:
            library.submit_file(index.id, clip)
        assert (e.value.status, e.value.code) == (413, "upload_too_large")
        assert not list((settings.data_dir / "uploads").iterdir())
        assert library.list_tasks().total == 0
    finally:
        library.close()


def test_task_of_a_dead_worker_is_retried(lib: Library, clip: Path) -> None:
    index = lib.create_index("retry")
    queued = lib.submit_file(index.id, clip).task
    # A worker claims it and dies (no heartbeat): its lease runs out.
    claimed = lib.store.claim_task("dead-worker", lease_seconds=0.5)
    assert claimed is not None and claimed.id == queued.id
    with EmbeddedExecutor(lib, 1, lease_seconds=5):
        task = finished(lib, queued.id)
    assert task.status == "ready" and task.attempts == 2
    assert lib.list_videos(index.id).total == 1


def test_stopping_workers_hands_the_task_back(
    lib: Library, media: MediaCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_clip = spoken_clip(
        media,
        "lib-long.mp4",
        duration=24.0,
        spoken="a longer recording about trains and the harbour",
    )
    index = lib.create_index("stop")
    queued = lib.submit_file(index.id, long_clip).task
    from vidsense.perception import analyze as analysis

    analysing = threading.Event()
    real_analyze = analysis.analyze

    def analyze(*args: Any, **kwargs: Any) -> Any:
        analysing.set()
        return real_analyze(*args, **kwargs)

    monkeypatch.setattr(analysis, "analyze", analyze)
    executor = EmbeddedExecutor(lib, 1, lease_seconds=30)
    executor.start()
    try:
        assert analysing.wait(60), "analysis did not start"
    finally:
        executor.stop()
    stopped = lib.get_task(queued.id)
    assert stopped.status == "indexing" and stopped.lease_until is not None
    assert stopped.lease_until <= utc_now()  # handed back, not left to expire in 30 s
    assert lib.list_videos(index.id).total == 0  # nothing half-written
    with EmbeddedExecutor(lib, 1):
        task = finished(lib, queued.id)
    assert task.status == "ready", task.error_message
    assert len(lib.shots(index.id, task.video_id or "")) == 2


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_video_urls(
    tmp_path: Path, models_dir: Path, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = Library.open(make_settings(tmp_path / "blocked", models_dir))
    try:
        index = blocked.create_index("urls")
        for url in (
            "http://127.0.0.1:9/v.mp4",
            "http://[::1]/v.mp4",
            "file:///etc/passwd",
            "ftp://example.com/v.mp4",
        ):
            with pytest.raises(SourceBlocked) as e:
                blocked.submit_url(index.id, url)
            assert e.value.code == "url_not_allowed"
        assert blocked.list_tasks().total == 0
    finally:
        blocked.close()

    # Allowed private addresses (set explicitly): a worker downloads the file.
    settings = make_settings(tmp_path / "open", models_dir)
    settings.fetch.allow_private = True
    library = Library.open(settings)
    handler = partial(_Quiet, directory=str(clip.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        index = library.create_index("urls")
        url = f"http://127.0.0.1:{server.server_address[1]}/{clip.name}"
        log = StatusLog(library, monkeypatch)
        submission = library.submit_url(index.id, url)
        assert submission.task.status == "pending"  # its policy was checked at submission
        assert log[submission.task.id] == ["validating", "pending"]
        assert library.submit_url(index.id, url).task.id == submission.task.id
        with EmbeddedExecutor(library, 1):
            task = finished(library, submission.task.id)
        assert task.status == "ready", task.error_message
        # Downloading is part of indexing.
        assert log[task.id] == ["validating", "pending", "indexing", "ready"]
        video = library.get_video(index.id, task.video_id or "")
        assert video.filename == clip.name and video.duration == pytest.approx(4, 0.05)
        # The same bytes uploaded later are recognised by their hash.
        assert library.submit_file(index.id, clip).duplicate
    finally:
        server.shutdown()
        server.server_close()
        library.close()


def test_in_process_client(tmp_path: Path, models_dir: Path, clip: Path) -> None:
    with Client(settings=make_settings(tmp_path / "data", models_dir)) as client:
        assert client.in_process
        index = client.indexes.create("client", options=["visual", "conversation"])
        assert index.options == ["visual", "conversation"]
        created = client.tasks.create(index.id, file=clip)
        seen: list[str] = []
        task = client.tasks.wait(created.id, timeout=120, progress=lambda t: seen.append(t.status))
        assert task.status == "ready" and task.video_id and seen[-1] == "ready"
        assert task.metadata["duration"] == pytest.approx(4, 0.05)
        lines = client.videos.transcription(index.id, task.video_id)
        assert any("library" in line.value.lower() for line in lines)
        assert client.videos.text_in_video(index.id, task.video_id) == []  # not asked for
        assert [v.id for v in client.videos.all(index.id)] == [task.video_id]
        assert client.indexes.find("client").id == index.id
        with pytest.raises(NotFound) as e:
            client.indexes.get("0" * 24)
        assert (e.value.code, e.value.status) == ("index_not_found", 404)


def test_cli_in_process(tmp_path: Path, models_dir: Path) -> None:
    env = {
        **os.environ,
        "VIDSENSE_DATA_DIR": str(tmp_path / "data"),
        "VIDSENSE_MODELS__DIR": str(models_dir),
    }
    env.pop("VIDSENSE_SERVER", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "vidsense.cli.main", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    created = cli(
        "index", "create", "slides", "--option", "visual", "--option", "text_in_video", "--json"
    )
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["options"] == ["visual", "text_in_video"]
    assert [i["index_name"] for i in json.loads(cli("index", "list", "--json").stdout)] == [
        "slides"
    ]
    assert cli("videos", "slides", "--json").stdout.strip() == "[]"
    missing = cli("add", "nope", "clip.mp4")
    assert missing.returncode == 1 and "no index named 'nope' [index_not_found]" in missing.stderr
    assert cli("index", "delete", "slides").returncode == 0
    assert json.loads(cli("index", "list", "--json").stdout) == []
