"""A full disk and a read-only data folder, made for real: the data folder on a small tmpfs
mount filled to the last byte (skipped where the tests may not mount one), a server whose
file-size limit (``RLIMIT_FSIZE``) makes large writes fail, and a tmpfs mounted read-only.

A write that does not fit is ``507 insufficient_storage`` with one log line, the server stays up
and works again once there is room; a read-only data folder stops ``vidsense serve`` with one
line naming it."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.http_support import multipart
from tests.library_support import ServerProcess

KIB = 1 << 10


@contextlib.contextmanager
def tmpfs(where: Path, size: str, *, read_only: bool = False) -> Iterator[bool]:
    """A tmpfs of ``size`` mounted at ``where`` for the block; yields False (nothing mounted)
    where this machine does not let the tests mount one."""
    where.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    try:
        yield made.returncode == 0
    finally:
        if made.returncode == 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def fill(folder: Path) -> Path:
    """Write a file in ``folder`` until its file system has no byte left; returns it."""
    filler = folder / "filler.bin"
    block = b"\0" * (1 << 20)
    with filler.open("wb", buffering=0) as out:
        while True:
            try:
                out.write(block)
            except OSError as e:
                assert e.errno == errno.ENOSPC
                if len(block) == 1:
                    break
                block = block[: len(block) // 2]
    return filler


def _upload(url: str, index_id: str, size: int) -> httpx.Response:
    data = b"\0\0\0\x18ftypmp42" + os.urandom(size)
    body, kind = multipart({"index_id": index_id}, {"video_file": ("talk.mp4", data)})
    return httpx.post(f"{url}/v1/tasks", content=body, headers={"content-type": kind}, timeout=60)


def _check_full_answers(server: ServerProcess, answers: list[httpx.Response]) -> None:
    for answer in answers:
        assert answer.status_code == 507, answer.text
        body = answer.json()
        assert body["code"] == "insufficient_storage" and "storage is full" in body["message"]
    assert httpx.get(server.url + "/health").json()["status"] == "ok"  # still up
    log = server.log.read_text()
    assert "Traceback" not in log and "internal_error" not in log, log[-3000:]
    lines = [line for line in log.splitlines() if "[insufficient_storage]" in line]
    assert len(lines) == len(answers), lines  # one line per refusal, no more


def test_a_full_disk_is_507_and_the_server_stays_up(tmp_path: Path, models_dir: Path) -> None:
    disk = tmp_path / "disk"
    with tmpfs(disk, "24m") as mounted:
        if not mounted:
            pytest.skip("this machine does not let the tests mount a tmpfs")
        server = ServerProcess(disk / "data", models_dir).start("--no-index")
        try:
            url = server.url
            index_id = httpx.post(f"{url}/v1/indexes", json={"index_name": "full"}).json()["_id"]
            filler = fill(disk)
            answers = [_upload(url, index_id, 200 * KIB)]
            # The database fills too: one of these writes finds no room for its pages.
            for n in range(400):
                made = httpx.post(f"{url}/v1/indexes", json={"index_name": f"n{n}-" + "x" * 190})
                assert made.status_code in (201, 507), made.text
                if made.status_code == 507:
                    answers.append(made)
                    break
            assert len(answers) == 2, "the database never ran out of room"
            assert not list((disk / "data" / "uploads").glob("*"))  # nothing half-written
            _check_full_answers(server, answers)
            filler.unlink()  # room again: the same requests work
            assert _upload(url, index_id, 200 * KIB).status_code == 201
            again = httpx.post(f"{url}/v1/indexes", json={"index_name": "room-again"})
            assert again.status_code == 201
        finally:
            server.stop()


def test_a_file_too_large_to_write_is_507(tmp_path: Path, models_dir: Path) -> None:
    # Needs no privileges: the server may not write a file past 1 MiB (RLIMIT_FSIZE; Python
    # ignores SIGXFSZ, so the write fails with EFBIG, as a full quota would).
    server = ServerProcess(tmp_path / "data", models_dir)
    server.start("--no-index", limit_file_size=1 << 20)
    try:
        url = server.url
        index_id = httpx.post(f"{url}/v1/indexes", json={"index_name": "full"}).json()["_id"]
        answer = _upload(url, index_id, 2 << 20)
        assert not list((tmp_path / "data" / "uploads").glob("*"))
        _check_full_answers(server, [answer])
        assert _upload(url, index_id, 200 * KIB).status_code == 201
    finally:
        server.stop()


def test_a_read_only_data_folder_stops_serve_with_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    with tmpfs(folder, "1m", read_only=True) as mounted:
        if not mounted:
            pytest.skip("this machine does not let the tests mount a read-only tmpfs")
        result = subprocess.run(
            [sys.executable, "-m", "vidsense.cli.main", "serve", "--data-dir", str(folder)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "HOME": str(tmp_path)},
        )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("error: the data folder") and str(folder) in lines[0]
    assert "Read-only file system" in lines[0] and lines[0].endswith("[storage_unavailable]")
