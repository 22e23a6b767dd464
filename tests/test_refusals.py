"""Nothing half-written stays behind: a corpus of refused requests against a real
``vidsense serve``, with the data folder listed after each one; an upload cut before its
closing boundary is refused, not indexed as a whole file; a client that walks away mid-upload
leaves no file, no traceback and no 500 in the log."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.http_support import RawConnection, multipart
from tests.library_support import ServerProcess, make_settings, wait_for
from vidsense.errors import InvalidArgument
from vidsense.library import Library

KIB = 1 << 10
NOTES = b"Dear diary, today we went to the beach.\n" * 200
_DATABASE = ("vidsense.db", "vidsense.db-wal", "vidsense.db-shm")


def listing(data_dir: Path) -> set[str]:
    """Every file under the data folder but the database and the server's log."""
    return {
        str(p.relative_to(data_dir))
        for p in data_dir.rglob("*")
        if p.is_file() and p.name not in _DATABASE and not p.name.startswith("server-")
    }


@pytest.fixture
def server(tmp_path: Path, models_dir: Path) -> Iterator[ServerProcess]:
    served = ServerProcess(
        tmp_path / "data",
        models_dir,
        VIDSENSE_MAX_UPLOAD_BYTES=str(512 * KIB),
        VIDSENSE_LIMITS__DATA_URI_BYTES=str(96 * KIB),
    ).start("--no-index", "--log-level", "info")
    try:
        yield served
    finally:
        served.stop()


def _chat(media: str, kind: str = "video_url") -> dict[str, Any]:
    part = {"type": kind, kind: {"url": media}}
    return {"messages": [{"role": "user", "content": [{"type": "text", "text": "what?"}, part]}]}


def _data(kind: str, data: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def test_refused_requests_leave_nothing_in_the_data_folder(server: ServerProcess) -> None:
    url, data_dir = server.url, server.data_dir
    index_id = httpx.post(f"{url}/v1/indexes", json={"index_name": "corpus"}).json()["_id"]
    video = ("holiday.mp4", b"\0\0\0\x18ftypmp42" + bytes(range(256)) * 64)

    def upload(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> httpx.Response:
        body, kind = multipart(fields, files)
        return httpx.post(f"{url}/v1/tasks", content=body, headers={"content-type": kind})

    def cut_upload() -> httpx.Response:
        body, kind = multipart({"index_id": index_id}, {"video_file": video})
        cut = body[: body.rindex(b"\r\n--")]  # the file's bytes, then nothing: no boundary
        return httpx.post(f"{url}/v1/tasks", content=cut, headers={"content-type": kind})

    def two_files() -> httpx.Response:
        body, kind = multipart({"index_id": index_id}, {"video_file": video})
        second = body.replace(b"--vidsenseBoundary--", body.split(b"\r\n", 1)[1])
        return httpx.post(f"{url}/v1/tasks", content=b"--vidsenseBoundary\r\n" + second,
                          headers={"content-type": kind})  # fmt: skip

    def post(path: str, **kwargs: Any) -> Callable[[], httpx.Response]:
        return lambda: httpx.post(f"{url}{path}", timeout=60, **kwargs)

    nan = '{"where": NaN}'
    corpus: list[tuple[str, Callable[[], httpx.Response], int]] = [
        ("NaN in user_metadata", lambda: upload(
            {"index_id": index_id, "user_metadata": nan}, {"video_file": video}), 400),
        ("user_metadata not an object", lambda: upload(
            {"index_id": index_id, "user_metadata": "[1, 2]"}, {"video_file": video}), 400),
        ("user_metadata after the file", post(
            "/v1/tasks", content=_file_then_field(index_id, video, "user_metadata", nan),
            headers={"content-type": "multipart/form-data; boundary=vidsenseBoundary"}), 400),
        ("an unknown language", lambda: upload(
            {"index_id": index_id, "language": "xx-nonsense-1"}, {"video_file": video}), 400),
        ("a language speech recognition does not know", lambda: upload(
            {"index_id": index_id, "language": "zz"}, {"video_file": video}), 400),
        ("an unknown index", lambda: upload(
            {"index_id": "0123456789abcdef01234567"}, {"video_file": video}), 404),
        ("an empty file", lambda: upload({"index_id": index_id}, {"video_file": ("e.mp4", b"")}),
         422),
        ("a file over the limit", lambda: upload(
            {"index_id": index_id}, {"video_file": ("big.mp4", b"\0" * (600 * KIB))}), 413),
        ("a body cut before its closing boundary", cut_upload, 400),
        ("two video files", two_files, 400),
        ("deep JSON", post("/v1/tasks", content=b'{"index_id": ' + b"[" * 5000 + b"]" * 5000
                           + b"}", headers={"content-type": "application/json"}), 400),
        ("NaN in a generate body", post(
            "/v1/generate", content=b'{"video_id": "v", "prompt": "hi", "temperature": NaN}',
            headers={"content-type": "application/json"}), 400),
        ("Infinity in a new index", post(
            "/v1/indexes", content=b'{"index_name": "nan", "x": -Infinity}',
            headers={"content-type": "application/json"}), 400),
        ("NaN in chat", post(
            "/v1/chat/completions", content=b'{"model": "m", "messages": [], "temperature": NaN}',
            headers={"content-type": "application/json"}), 400),
        ("a loopback video_url", post("/v1/tasks", json={
            "index_id": index_id, "video_url": "http://127.0.0.1:9/v.mp4"}), 403),
        ("chat: text as a video", post("/v1/chat/completions",
                                       json=_chat(_data("video/mp4", NOTES))), 400),
        ("chat: text as an image", post("/v1/chat/completions",
                                        json=_chat(_data("image/png", NOTES), "image_url")), 400),
        ("chat: a data URI over the limit", post("/v1/chat/completions",
                                                 json=_chat(_data("video/mp4", b"\0" * 150_000))),
         413),
        ("chat: an empty data URI", post("/v1/chat/completions",
                                         json=_chat("data:video/mp4;base64,")), 422),
        ("video/generate: text as a video", post("/v1/video/generate", json={
            "domain": "video.transcription", "url": _data("video/mp4", NOTES)}), 400),
        ("files: an empty purpose", post("/v1/files", data={"purpose": ""},
                                         files={"file": ("a.txt", b"hello")}), 400),
        ("files: no file", post("/v1/files", data={"purpose": "assistants"}), 400),
        ("files: over the limit", post("/v1/files", data={"purpose": "assistants"},
                                       files={"file": ("big.bin", b"\0" * (600 * KIB))}), 413),
        ("logos: not an image", post(f"/v1/indexes/{index_id}/logos", data={"name": "Acme"},
                                     files={"file": ("logo.png", NOTES)}), 400),
        ("search: a query image that is text", post(
            "/v1/search", data={"index_id": index_id, "query_media_type": "image"},
            files={"query_media_file": ("q.jpg", NOTES)}), 400),
    ]  # fmt: skip
    before = listing(data_dir)
    for what, send, status in corpus:
        answer = send()
        assert answer.status_code == status, (what, answer.text[:300])
        assert listing(data_dir) == before, (what, listing(data_dir) - before)
    assert httpx.get(f"{url}/v1/tasks").json()["page_info"]["total_results"] == 0
    log = server.log.read_text()
    assert "Traceback" not in log and '" 500' not in log and "ERROR" not in log, log[-3000:]


def test_a_client_that_aborts_an_upload_leaves_no_trace(server: ServerProcess) -> None:
    url = server.url
    index_id = httpx.post(f"{url}/v1/indexes", json={"index_name": "abort"}).json()["_id"]
    before = listing(server.data_dir)
    body, kind = multipart({"index_id": index_id}, {"video_file": ("v.mp4", b"\0" * (400 * KIB))})
    for sent in (len(body) // 2, len(body) - 10):  # mid-file, and just before the boundary
        with RawConnection(url) as conn:
            conn.send_head("POST", "/v1/tasks", {"content-type": kind}, len(body))
            conn.send_bytes(body[:sent])
        wait_for(lambda: listing(server.data_dir) == before, 10.0, "the upload to be removed")
    assert httpx.get(f"{url}/health").status_code == 200
    assert httpx.get(f"{url}/v1/tasks").json()["page_info"]["total_results"] == 0
    log = server.log.read_text()
    assert "Traceback" not in log and '" 500' not in log and "ERROR" not in log, log[-3000:]


def _file_then_field(index_id: str, video: tuple[str, bytes], name: str, value: str) -> bytes:
    """A form whose text field comes after the file (refused only once the file is on disk)."""
    body, _ = multipart({"index_id": index_id}, {"video_file": video})
    tail = (
        f'--vidsenseBoundary\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        "--vidsenseBoundary--\r\n"
    ).encode()
    return body.replace(b"--vidsenseBoundary--\r\n", tail)


def test_an_upload_cut_before_its_closing_boundary_is_refused(server: ServerProcess) -> None:
    url = server.url
    index_id = httpx.post(f"{url}/v1/indexes", json={"index_name": "cut"}).json()["_id"]
    payload = b"\0\0\0\x18ftypmp42" + b"\x01" * (300 * KIB)
    body, kind = multipart({"index_id": index_id}, {"video_file": ("talk.mp4", payload)})
    for cut in (body[: len(body) // 3], body[: body.rindex(b"--vidsenseBoundary--")]):
        answer = httpx.post(f"{url}/v1/tasks", content=cut, headers={"content-type": kind})
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == "invalid_argument"
        assert "closing boundary" in answer.json()["message"]
    tasks = httpx.get(f"{url}/v1/tasks").json()
    assert tasks["page_info"]["total_results"] == 0
    # The whole body is accepted: the cut was the only thing wrong.
    whole = httpx.post(f"{url}/v1/tasks", content=body, headers={"content-type": kind})
    assert whole.status_code == 201, whole.text


def test_a_file_refused_after_it_was_stored_is_removed(tmp_path: Path, models_dir: Path) -> None:
    # The store refuses the task last (its source must be JSON); the upload, moved into the
    # blob store a moment before, must not stay there with no task.
    lib = Library.open(make_settings(tmp_path / "data", models_dir))
    try:
        index = lib.create_index("late")
        sample = tmp_path / "clip.mp4"
        sample.write_bytes(b"\0\0\0\x18ftypmp42" + b"\x02" * 4096)
        staged = lib.stage_file(sample)
        with pytest.raises(InvalidArgument):
            lib.submit_upload(index.id, staged, user_metadata={"where": float("nan")})
        uploads = lib.settings.blobs_dir / index.id / "uploads"
        assert not uploads.exists() or not list(uploads.iterdir())
        assert not staged.path.exists()
        # The same file, with good metadata, is taken.
        again = lib.submit_upload(index.id, lib.stage_file(sample), user_metadata={"ok": 1})
        assert json.loads(json.dumps(again.task.source["user_metadata"])) == {"ok": 1}
        assert len(list(uploads.iterdir())) == 1
    finally:
        lib.close()
