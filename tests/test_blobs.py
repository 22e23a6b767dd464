"""Blob store contract, run against every blob backend: a local folder and S3.

The S3 cases talk to a real S3-compatible HTTP server on a local port: moto's server
(``moto[server]``), a stand-in for AWS S3 or MinIO that speaks the same protocol, reached
through ``s3fs`` exactly as a real bucket would be. They are skipped when ``s3fs`` or moto is
not installed (``pip install -e '.[dev]'``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MediaCache
from tests.library_support import (
    free_port,
    make_settings,
    spoken_clip,
    wait_for,
)
from vidsense.errors import InvalidArgument, NotFound
from vidsense.jobs import EmbeddedExecutor
from vidsense.library import Library
from vidsense.store import BlobStore, FsspecBlobStore, LocalBlobStore, open_blobs


@pytest.fixture(scope="module")
def s3_server() -> Iterator[dict[str, str]]:
    """A moto S3 server on a free local port; yields s3fs storage options for it."""
    pytest.importorskip("s3fs")
    moto_server = pytest.importorskip("moto.server")
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield {"endpoint_url": f"http://127.0.0.1:{port}", "key": "test", "secret": "test"}
    finally:
        server.stop()


def s3(options: dict[str, str]) -> Any:
    """A new s3fs client of the test server (no cached listings)."""
    import s3fs

    return s3fs.S3FileSystem(**options, skip_instance_cache=True, use_listings_cache=False)


def s3_bucket(options: dict[str, str]) -> str:
    """A fresh bucket on the test server; returns its name."""
    name = f"vidsense-{secrets.token_hex(4)}"
    s3(options).mkdir(name)
    return name


@pytest.fixture(params=["local", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return open_blobs(tmp_path / "blobs")
    options = request.getfixturevalue("s3_server")
    url = f"s3://{s3_bucket(options)}/library"
    return open_blobs(url, cache_dir=tmp_path / "cache", options=options)


def test_round_trip_and_prefix_delete(blobs: BlobStore, tmp_path: Path) -> None:
    assert blobs.put_bytes("a/b/one.jpg", b"1") == "a/b/one.jpg"
    assert blobs.exists("a/b/one.jpg") and not blobs.exists("a/b/two.jpg")
    with blobs.open("a/b/one.jpg") as f:
        assert f.read() == b"1"
    assert blobs.path("a/b/one.jpg").read_bytes() == b"1"
    blobs.put_bytes("a/b/one.jpg", b"replaced")
    assert blobs.path("a/b/one.jpg").read_bytes() == b"replaced"  # never a stale copy
    src = tmp_path / "clip.mp4"
    src.write_bytes(b"video bytes")
    blobs.put_file("a/b/clip.mp4", src)
    assert src.exists() and blobs.path("a/b/clip.mp4").read_bytes() == b"video bytes"
    blobs.put_file("a/b2/moved.mp4", src, move=True)
    assert not src.exists() and blobs.exists("a/b2/moved.mp4")
    with pytest.raises(NotFound) as e:
        blobs.open("a/b/missing.jpg")
    assert e.value.code == "blob_not_found"
    with pytest.raises(NotFound):
        blobs.path("a/b/missing.jpg")
    with pytest.raises(NotFound):
        blobs.path("a/b")  # a folder is not a blob
    with pytest.raises(NotFound) as missing:
        blobs.put_file("a/c.mp4", tmp_path / "nope.mp4")
    assert missing.value.code == "file_not_found"
    assert blobs.delete_prefix("a/b") == 2  # a/b/, never a/b2/
    assert not blobs.exists("a/b/one.jpg") and blobs.exists("a/b2/moved.mp4")
    assert blobs.delete("a/b2/moved.mp4") and not blobs.delete("a/b2/moved.mp4")
    assert blobs.delete_prefix("nothing/here") == 0


def test_moving_a_downloaded_blob_moves_it(blobs: BlobStore) -> None:
    # What indexing does with an upload: path() for the tools, then move it to its video.
    blobs.put_bytes("i/uploads/x.mp4", b"upload")
    local = blobs.path("i/uploads/x.mp4")
    blobs.put_file("i/v/source.mp4", local, move=True)
    assert not blobs.exists("i/uploads/x.mp4")
    assert blobs.path("i/v/source.mp4").read_bytes() == b"upload"


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "./a", "a\\b", "a\x00b", "c:x"])
def test_bad_keys_are_refused(blobs: BlobStore, key: str) -> None:
    with pytest.raises(InvalidArgument):
        blobs.put_bytes(key, b"x")


def test_open_blobs_picks_the_backend(tmp_path: Path) -> None:
    assert isinstance(open_blobs(tmp_path / "a"), LocalBlobStore)
    assert isinstance(open_blobs(f"file://{tmp_path / 'b'}"), LocalBlobStore)
    memory = open_blobs("memory://vidsense-test", cache_dir=tmp_path / "cache")
    assert isinstance(memory, FsspecBlobStore)


@pytest.mark.models
def test_a_library_on_s3_indexes_and_serves_a_video(
    tmp_path: Path, media: MediaCache, s3_server: dict[str, str], models_dir: Path
) -> None:
    models = models_dir
    bucket = s3_bucket(s3_server)
    settings = make_settings(
        tmp_path / "data", models, blobs_url=f"s3://{bucket}/lib", s3=s3_server
    )
    library = Library.open(settings)
    try:
        index = library.create_index("cloud")
        with EmbeddedExecutor(library, 1):
            queued = library.submit_file(index.id, spoken_clip(media)).task

            def done() -> Any:
                task = library.get_task(queued.id)
                return task if task.status in ("ready", "failed") else None

            task = wait_for(done, 120, "indexing")
        assert task.status == "ready", task.error_message
        stored = s3(s3_server).find(f"{bucket}/lib/{index.id}")
        names = {Path(p).name for p in stored}
        assert {"source.mp4", "thumbnail.jpg"} <= names  # the video and its files are in S3
        assert not any("/uploads/" in p for p in stored)  # the upload moved, not copied
        path, media_type = library.video_file(index.id, task.video_id or "")
        assert media_type == "video/mp4" and path.read_bytes() == spoken_clip(media).read_bytes()
        library.delete_index(index.id)
        assert s3(s3_server).find(f"{bucket}/lib/{index.id}") == []
    finally:
        library.close()
