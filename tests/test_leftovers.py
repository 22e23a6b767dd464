"""Temporary files left by work killed mid-way are gone once the library opens again: an
upload cut off by a SIGKILLed ``vidsense serve``, and every other temporary name, after a lease;
nothing newer, nothing finished, no folder of a task still being indexed."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.library_support import ServerProcess, make_settings, wait_for
from vidsense.library import Library
from vidsense.library.leftovers import LEFTOVERS


def _age(path: Path, seconds: float) -> None:
    """Make ``path`` (and what is inside) look untouched for ``seconds``."""
    when = time.time() - seconds
    for inside in [path, *(path.rglob("*") if path.is_dir() else [])]:
        os.utime(inside, (when, when))


def _write(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_leftovers_older_than_a_lease_are_swept_on_open(tmp_path: Path, models_dir: Path) -> None:
    settings = make_settings(tmp_path / "data", models_dir, task_lease_seconds=60.0)
    data = settings.data_dir
    lib = Library.open(settings)
    index = lib.create_index("held")
    lib.store.enqueue_task(index.id, {"type": "url", "url": "https://example.com/v.mp4"})
    held = lib.store.claim_task("another-process", lease_seconds=3600.0)
    assert held is not None and held.status == "indexing"
    rendering = lib.store.submit_job("render", {"spec": {}})
    assert lib.store.claim_job("another-process", 3600.0, kinds=["render"]) is not None
    queued = lib.store.submit_job("render", {"spec": {}})  # not running: its folder is left over
    lib.close()

    stale = [
        _write(data / "uploads" / ".upload-k1ll3d.part", b"\0" * 4096),
        _write(data / "cache" / ".part-abc123"),
        _write(data / "chat-media" / "0f3a.mp4"),
        _write(data / "chat-media" / "slides-0f3a-1401" / "0000.png"),
        _write(data / "files" / "file-0123.part"),
        _write(data / "predictions" / ".pred_0123.json.part"),
        _write(data / "work" / "0123456789abcdef01234567" / "analysis" / "k.jpg"),
        _write(data / "work" / "thumb-0123-1401" / "t.jpg"),
        _write(data / "work" / queued.id / "output.mp4"),
    ]
    kept = [
        _write(data / "uploads" / "notes.txt"),  # not a temporary name
        _write(data / "cache" / "0f3a9.mp4"),  # a finished download
        _write(data / "files" / "file-0123.bin"),
        _write(data / "predictions" / "pred_0123.json"),
        _write(data / "work" / held.id / "analysis" / "k.jpg"),  # its task is being indexed
        _write(data / "work" / rendering.id / ".output.part.mp4"),  # a worker renders it
    ]
    for folder, _ in LEFTOVERS:
        for entry in (data / folder).iterdir():
            _age(entry, 120.0)  # killed two minutes ago
    fresh = [
        _write(data / "uploads" / ".upload-inflight.part"),  # another process writes it now
        _write(data / "chat-media" / "1b2c.mp4"),
    ]
    # A folder with one recent file is recent.
    busy_dir = data / "work" / "fedcba9876543210fedcba98"
    _write(busy_dir / "old.jpg")
    _age(busy_dir, 120.0)
    _write(busy_dir / "new.jpg")

    Library.open(settings).close()

    assert [p for p in stale if p.exists()] == []
    assert [p for p in kept + fresh if not p.exists()] == []
    assert busy_dir.exists()
    assert {folder for folder, _ in LEFTOVERS} == {
        "uploads",
        "cache",
        "chat-media",
        "files",
        "predictions",
        "work",
    }


def _slow_body(index_id: str, sent: threading.Event) -> Iterator[bytes]:
    boundary = b"--cut"
    yield boundary + b'\r\nContent-Disposition: form-data; name="index_id"\r\n\r\n'
    yield index_id.encode() + b"\r\n"
    yield (
        boundary + b'\r\nContent-Disposition: form-data; name="video_file"; '
        b'filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
    )
    for _ in range(8):
        yield b"\0" * (256 << 10)
    sent.set()
    time.sleep(30)  # the server is killed meanwhile
    yield b"\r\n--cut--\r\n"


@pytest.mark.models  # a real server on the prepared models folder, started twice
def test_an_upload_killed_mid_way_is_swept_at_the_next_start(
    tmp_path: Path, models_dir: Path
) -> None:
    data = tmp_path / "data"
    server = ServerProcess(data, models_dir, VIDSENSE_TASK_LEASE_SECONDS="1").start()
    sent = threading.Event()
    index = httpx.post(f"{server.url}/v1/indexes", json={"index_name": "cut"}).json()

    def upload() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server dies under it
            httpx.post(
                f"{server.url}/v1/tasks",
                content=_slow_body(index["_id"], sent),
                headers={"content-type": "multipart/form-data; boundary=cut"},
                timeout=60.0,
            )

    client = threading.Thread(target=upload, daemon=True)
    client.start()
    try:
        assert sent.wait(30.0)
        parts = wait_for(
            lambda: (
                [p for p in (data / "uploads").glob(".upload-*.part") if p.stat().st_size]
                if (data / "uploads").exists()
                else None
            ),
            30.0,
            "the upload's temporary file",
        )
        server.kill()
        assert all(p.exists() for p in parts)  # nothing ran to remove it
        time.sleep(1.5)  # past the lease
        server.start()
        assert [p for p in parts if p.exists()] == []
    finally:
        server.stop()
    client.join(5.0)


def test_an_expired_multipart_upload_is_removed_with_its_chunks(tmp_path: Path) -> None:
    """A session past its 24 hours is no longer listed, and the next session made (or
    listing) removes its folder with the chunks it still held; a live one stays."""
    import json

    from vidsense.agent.files import FileStore
    from vidsense.agent.multipart import MultipartUploads

    uploads = MultipartUploads(FileStore(tmp_path / "files", 10**6), 10**6, 1024)
    old = uploads.create("old.mp4", 5000, None)
    folder = uploads.root / old["upload_id"]
    _write(folder / "00001", b"x" * 1024)
    live = uploads.create("new.mp4", 10, None)
    assert [s["upload_id"] for s in uploads.list_active()] == [live["upload_id"], old["upload_id"]]
    record = json.loads((folder / "session.json").read_text())
    (folder / "session.json").write_text(json.dumps({**record, "expires": time.time() - 1}))
    assert uploads.get(old["upload_id"])["status"] == "expired"
    assert [s["upload_id"] for s in uploads.list_active()] == [live["upload_id"]]
    assert not folder.exists() and (uploads.root / live["upload_id"]).exists()
