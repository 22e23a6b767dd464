"""Limits and malformed input, tried from outside against a real server on a socket: every
malformed request is a 400 naming what is wrong, in its route's envelope, on a connection the
server keeps open; bodies over their family's limit are 413 before they are read; a data: URI
is capped before it is decoded (never the 1 GiB of memory a 200 MB one used to take)."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.http_support import RawConnection, multipart
from tests.library_support import ServerProcess, make_settings, served
from vidsense.config import LimitSettings, Settings
from vidsense.server import create_app

KIB = 1 << 10
DEEP = "[" * 100_000 + "]" * 100_000  # what made the JSON parser recurse until it failed
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Settings:
    root = tmp_path_factory.mktemp("limits")
    return make_settings(
        root / "data",
        models_dir,
        max_upload_bytes=512 * KIB,
        limits=LimitSettings(form_bytes=256 * KIB, chat_bytes=512 * KIB, data_uri_bytes=96 * KIB),
    )


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    with served(create_app(settings, run_workers=False)) as url:
        yield url


@pytest.fixture(scope="module")
def index_id(server: str) -> str:
    made = httpx.post(f"{server}/v1/indexes", json={"index_name": "limits"})
    assert made.status_code == 201, made.text
    return str(made.json()["_id"])


def _error(answer: Any) -> tuple[str, str]:
    """``(code, message)`` from either envelope."""
    body = answer.json()
    body = body.get("error", body)
    return body["code"], body["message"]


MALFORMED: list[tuple[str, str, str, dict[str, str], str, str]] = [
    # (what, method, path, headers, body, words the 400's message must hold)
    ("page 2^63 on indexes", "GET", "/v1/indexes?page=9223372036854775808", {}, "", "page"),
    ("page 2^63 on tasks", "GET", "/v1/tasks?page=9223372036854775808", {}, "", "page"),
    ("page 2^64 on videos", "GET", "/v1/indexes/{index}/videos?page=18446744073709551616",
     {}, "", "page"),
    ("page_limit 0 on indexes", "GET", "/v1/indexes?page_limit=0", {}, "", "page_limit"),
    ("deep JSON to search", "POST", "/v1/search", JSON,
     '{"index_id": "{index}", "query": "x", "filter": ' + DEEP + "}", "deeper than 64"),
    ("deep JSON to tasks", "POST", "/v1/tasks", JSON,
     '{"index_id": "{index}", "user_metadata": ' + DEEP + "}", "deeper than 64"),
    ("deep JSON to classify", "POST", "/v1/classify", JSON,
     '{"video_ids": ["a"], "classes": ' + DEEP + "}", "deeper than 64"),
    ("deep JSON to indexes", "POST", "/v1/indexes", JSON, '{"index_name": ' + DEEP + "}",
     "deeper than 64"),
    ("deep JSON to chat", "POST", "/v1/chat/completions", JSON, '{"messages": ' + DEEP + "}",
     "deeper than 64"),
    ("deep user_metadata in a form", "POST", "/v1/tasks",
     {"content-type": "application/x-www-form-urlencoded"},
     "index_id={index}&video_url=https%3A%2F%2Fexample.com%2Fv.mp4&user_metadata="
     + "%5B" * 100_000, "user_metadata"),
    ("NaN in user_metadata", "POST", "/v1/tasks", JSON,
     '{"index_id": "{index}", "video_url": "https://example.com/v.mp4", '
     '"user_metadata": {"a": NaN}}', "NaN"),
    ("page_limit [5] to search", "POST", "/v1/search", JSON,
     '{"index_id": "{index}", "query": "x", "page_limit": [5]}', "page_limit"),
    ("page_limit 0 to search", "POST", "/v1/search", JSON,
     '{"index_id": "{index}", "query": "x", "page_limit": 0}', "page_limit"),
    ("page_limit 51 to search", "POST", "/v1/search", JSON,
     '{"index_id": "{index}", "query": "x", "page_limit": 51}', "page_limit"),
    ('threshold "high" to classify', "POST", "/v1/classify/bulk", JSON,
     '{"index_id": "{index}", "classes": [{"name": "a", "prompts": ["b"]}], '
     '"threshold": "high"}', "threshold"),
    ("threshold score null to classify", "POST", "/v1/classify/bulk", JSON,
     '{"index_id": "{index}", "classes": [{"name": "a", "prompts": ["b"]}], '
     '"threshold": {"min_video_score": null}}', "threshold.min_video_score"),
    ('threshold score "high" to classify', "POST", "/v1/classify/bulk", JSON,
     '{"index_id": "{index}", "classes": [{"name": "a", "prompts": ["b"]}], '
     '"threshold": {"min_clip_score": "high"}}', "threshold.min_clip_score"),
    ("a chat message without content", "POST", "/v1/chat/completions", JSON,
     '{"model": "vidsense-1", "messages": [{"role": "user"}]}', "needs content"),
    ("an empty file purpose", "POST", "/v1/files", {}, "", "purpose"),
]  # fmt: skip


@pytest.mark.parametrize("case", MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_input_is_a_400_on_a_connection_kept_open(
    server: str,
    index_id: str,
    case: tuple[str, str, str, dict[str, str], str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    what, method, path, headers, text, words = case
    body = text.replace("{index}", index_id).encode()
    if what == "an empty file purpose":
        body, kind = multipart({"purpose": ""}, {"file": ("notes.txt", b"hello")})
        headers = {"content-type": kind}
    with caplog.at_level(logging.INFO), RawConnection(server) as conn:
        answer = conn.request(method, path.replace("{index}", index_id), body, headers)
        assert answer.status == 400, (what, answer.body[:300])
        code, message = _error(answer)
        assert code == "invalid_argument" and words in message, (what, message)
        openai = path.startswith(("/v1/chat", "/v1/files"))
        assert ("error" in answer.json()) == openai, what  # the route's own envelope
        assert answer.headers.get("connection") != "close", what
        health = conn.request("GET", "/health")  # the same connection still serves
        assert health.status == 200 and health.json()["status"] == "ok", what
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], what


def test_bodies_over_their_family_limit_are_refused_unread(
    server: str, settings: Settings, index_id: str
) -> None:
    def refused(path: str, body: bytes, headers: dict[str, str], setting: str) -> None:
        with RawConnection(server) as conn:
            # Only the head is sent: the answer must not wait for a body it will not read.
            conn.send_head("POST", path, headers, len(body))
            answer = conn.answer("POST")
        assert answer.status == 413, (path, answer.body[:200])
        code, message = _error(answer)
        assert code == "request_too_large" and setting in message, (path, message)

    big_json = json.dumps({"index_name": "x" * (1 << 20)}).encode()
    refused("/v1/indexes", big_json, JSON, "VIDSENSE_LIMITS__JSON_BYTES")
    query = {"query_media_file": ("q.jpg", b"\0" * 300_000)}
    image, kind = multipart({"index_id": index_id}, query)
    refused("/v1/search", image, {"content-type": kind}, "VIDSENSE_LIMITS__FORM_BYTES")
    refused("/v1.2/classify", b"{" + b" " * 300_000 + b"}", JSON, "VIDSENSE_LIMITS__FORM_BYTES")
    chat = json.dumps({"messages": [{"role": "user", "content": "x" * 600_000}]}).encode()
    refused("/v1/chat/completions", chat, JSON, "VIDSENSE_LIMITS__CHAT_BYTES")
    video = {"type": "base64_string", "base64_string": "A" * 600_000}  # a video sent inline
    analyze = json.dumps({"video": video, "prompt": "What happens?"}).encode()
    refused("/v1.3/analyze", analyze, JSON, "VIDSENSE_LIMITS__CHAT_BYTES")
    refused("/v1.3/analyze/tasks", analyze, JSON, "VIDSENSE_LIMITS__CHAT_BYTES")
    bundle = {"type": "inline", "source": {"data": "A" * 600_000}}  # an inline skill's base64 zip
    execute = json.dumps({"config": {"skills": [bundle]}, "inputs": {}}).encode()
    refused("/v1/agent/execute", execute, JSON, "VIDSENSE_LIMITS__CHAT_BYTES")
    upload, kind = multipart({"index_id": index_id}, {"video_file": ("v.mp4", b"\0" * (6 << 20))})
    refused("/v1/tasks", upload, {"content-type": kind}, "VIDSENSE_MAX_UPLOAD_BYTES")

    # Sent without a length (chunked), a body is refused once it passes the limit.
    def chunks() -> Iterator[bytes]:
        yield b'{"index_name": "'
        for _ in range(40):
            yield b"x" * 64 * KIB
        yield b'"}'

    answer = httpx.post(f"{server}/v1/indexes", content=chunks(), headers=JSON)
    assert answer.status_code == 413 and answer.json()["code"] == "request_too_large"
    # Under the limits, the same routes answer as usual.
    ok = httpx.post(f"{server}/v1/indexes", json={"index_name": "y" * 200})
    assert ok.status_code == 201
    assert not list((settings.data_dir / "uploads").glob("*"))


def _chat(url: str, media: str, kind: str = "video_url") -> httpx.Response:
    part = {"type": kind, kind: {"url": media}}
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": "what?"}, part]}]}
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60)


def test_data_uris_are_capped_before_decoding_and_refused_media_is_not_kept(
    server: str, settings: Settings
) -> None:
    chat_media = settings.data_dir / "chat-media"
    payload = base64.b64encode(b"\0" * (200 * KIB)).decode()
    over = _chat(server, f"data:video/mp4;base64,{payload}")
    assert over.status_code == 413, over.text
    error = over.json()["error"]
    assert error["code"] == "data_uri_too_large"
    assert "VIDSENSE_LIMITS__DATA_URI_BYTES" in error["message"] and "/v1/files" in error["message"]

    notes = base64.b64encode(b"Dear diary, today we went to the beach.\n" * 500).decode()
    text = _chat(server, f"data:video/mp4;base64,{notes}")
    assert text.status_code == 400 and text.json()["error"]["code"] == "unsupported_media"
    image = _chat(server, f"data:image/png;base64,{notes}", kind="image_url")
    assert image.status_code == 400 and "image 1" in image.json()["error"]["message"]
    assert not chat_media.exists() or not list(chat_media.rglob("*")), list(chat_media.rglob("*"))


def _rss(pid: int) -> int:
    """Resident memory of a process, bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_a_200_mb_data_uri_costs_no_memory(tmp_path: Path, models_dir: Path) -> None:
    # A real vidsense serve with the default limits: the 200 MB body is refused by its length
    # at once; one sent without a length is read only up to the chat limit (64 MiB).
    server = ServerProcess(tmp_path / "data", models_dir).start("--no-index")
    try:
        assert server.proc is not None
        before = _rss(server.proc.pid)
        head = b'{"model": "vidsense-1", "messages": [{"role": "user", "content": [{"type": '
        head += b'"video_url", "video_url": {"url": "data:video/mp4;base64,'
        size = 200 << 20
        started = time.monotonic()
        with RawConnection(server.url) as conn:
            conn.send_head("POST", "/v1/chat/completions", JSON, size)
            conn.send_bytes(head)
            answer = conn.answer("POST")
        assert answer.status == 413 and _error(answer)[0] == "request_too_large"
        assert time.monotonic() - started < 5.0
        with RawConnection(server.url) as conn:
            conn.send_head("POST", "/v1/chat/completions", {**JSON, "Transfer-Encoding": "chunked"},
                           length=None)  # fmt: skip
            sent, block = 0, b"A" * (1 << 20)
            try:
                conn.send_bytes(b"%x\r\n%s\r\n" % (len(head), head))
                while sent < 100 << 20:
                    conn.send_bytes(b"%x\r\n%s\r\n" % (len(block), block))
                    sent += len(block)
            except OSError:
                pass  # the server answered and closed while more was coming
            answer = conn.answer("POST")
        assert answer.status == 413 and _error(answer)[0] == "request_too_large"
        grown = _rss(server.proc.pid) - before
        assert grown < 256 << 20, f"the server grew by {grown >> 20} MiB"
        assert httpx.get(server.url + "/health").status_code == 200
        assert not (tmp_path / "data" / "chat-media").exists()
    finally:
        server.stop()
