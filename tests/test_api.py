"""The request/response layer (:mod:`vidsense.api`) and the client's two transports over it:
the same answers and the same exception classes in-process and over real HTTP, on the
session's generated search library (``sl`` in ``tests/conftest.py``); the layer free of the
web framework; the error envelopes and stream encoders."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from tests.library_support import free_port, served
from tests.search_support import SearchLibrary
from vidsense.api.envelopes import read_error
from vidsense.api.streams import Stream, openai_error_event, twelvelabs_error_event
from vidsense.client import Client
from vidsense.client._local import LocalTransport
from vidsense.errors import (
    CorruptMedia,
    Gone,
    InvalidArgument,
    ModelNotInstalled,
    NotFound,
    ServerUnavailable,
    SignatureInvalid,
    SourceBlocked,
    VidsenseError,
    describe,
    from_answer,
    from_code,
)
from vidsense.server import create_app

pytestmark = pytest.mark.models

SRC = Path(__file__).resolve().parents[1] / "src" / "vidsense"
FRAMEWORK = ("fastapi", "starlette", "uvicorn", "vidsense.server")


# -- the layer stands without the web framework ------------------------------------------------


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_api_and_client_import_no_web_framework() -> None:
    for package in ("api", "client"):
        files = sorted((SRC / package).rglob("*.py"))
        assert files, package
        for path in files:
            bad = [m for m in _imports(path) if m.split(".")[0] in FRAMEWORK[:3]]
            bad += [m for m in _imports(path) if m.startswith("vidsense.server")]
            assert not bad, f"{path.relative_to(SRC)} imports {bad}"
    # And for real: every module of both imports with the framework unavailable.
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('fastapi', 'starlette', 'uvicorn'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import importlib, pkgutil, vidsense.api, vidsense.client, vidsense.client.resources\n"
        "for pkg in (vidsense.api, vidsense.client, vidsense.client.resources):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "assert not [m for m in sys.modules if m.startswith(('fastapi', 'vidsense.server'))]\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocker], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


# -- one error mapping, both ways ----------------------------------------------------------------


def _all_classes() -> list[type[VidsenseError]]:
    found: list[type[VidsenseError]] = [VidsenseError]
    for cls in found:
        found.extend(cls.__subclasses__())
    return found


def test_every_error_class_comes_back_as_itself() -> None:
    classes = _all_classes()
    assert {c.__name__ for c in classes} >= {
        "Gone",
        "ServerUnavailable",
        "TaskInterrupted",
        "MediaUnavailable",
        "SignatureInvalid",
    }
    for cls in classes:
        status, code, message = describe(cls("what went wrong"))
        back = from_answer(status, code, message)
        assert type(back) is cls and (back.status, back.code) == (status, code), cls
        assert back.message == "what went wrong"
    # A failed task's stored code (no status): its class, else invalid_argument keeping it.
    for cls in classes:
        if cls.__subclasses__() or cls is VidsenseError:
            continue
        assert type(from_code(cls.code, "x")) is cls, cls
    kept = from_code("too_many_attempts", "tried 3 times")
    assert (kept.status, kept.code, kept.message) == (400, "too_many_attempts", "tried 3 times")
    # A code of no class's own: the most general class with that status.
    assert type(from_answer(410, "page_token_expired", "x")) is Gone
    assert type(from_answer(503, "overloaded", "x")) is ServerUnavailable
    assert type(from_answer(503, "model_not_installed", "x")) is ModelNotInstalled
    assert type(from_answer(403, "anything", "x")) is SourceBlocked
    odd = from_answer(405, "method_not_allowed", "no")
    assert type(odd) is VidsenseError and odd.status == 405 and odd.code == "method_not_allowed"


def test_both_envelopes_are_read_back() -> None:
    twelve = read_error(410, {"code": "page_token_expired", "message": "expired"})
    assert isinstance(twelve, Gone) and twelve.code == "page_token_expired"
    openai = {
        "error": {
            "message": "bad schema",
            "type": "invalid_request_error",
            "param": "response_format",
            "code": "invalid_schema",
        }
    }
    found = read_error(400, openai)
    assert isinstance(found, InvalidArgument) and found.param == "response_format"
    assert (found.code, found.message) == ("invalid_schema", "bad schema")
    signed = read_error(403, {"error": {"message": "expired", "code": "signature_invalid"}})
    assert isinstance(signed, SignatureInvalid)
    assert isinstance(read_error(422, {"code": "corrupt_media", "message": "x"}), CorruptMedia)
    proxy = read_error(502, None, "<html>Bad Gateway</html>")
    assert proxy.code == "http_error" and "Bad Gateway" in proxy.message


# -- one encoder per stream format -------------------------------------------------------------


def _events() -> Iterator[dict[str, Any]]:
    yield {"event_type": "text_generation", "text": "café"}
    raise NotFound("no video 'x'", code="video_not_found")


def test_streams_end_in_the_family_error_event() -> None:
    sse = "".join(Stream(_events(), twelvelabs_error_event).chunks())
    assert sse.startswith('data: {"event_type": "text_generation", "text": "café"}\n\n')
    error = json.loads(sse.split("\n\n")[1].removeprefix("data: "))
    assert error == {
        "event_type": "error",
        "error": {"code": "video_not_found", "message": "no video 'x'", "status": 404},
    }
    assert sse.endswith("data: [DONE]\n\n")
    chat = "".join(Stream(_events(), openai_error_event).chunks())
    chunk = json.loads(chat.split("\n\n")[1].removeprefix("data: "))
    assert chunk["error"]["type"] == "not_found_error" and chunk["error"]["code"] == (
        "video_not_found"
    )
    lines = "".join(Stream(_events(), twelvelabs_error_event, "ndjson").chunks()).splitlines()
    assert [json.loads(line)["event_type"] for line in lines] == ["text_generation", "error"]
    assert Stream(_events(), twelvelabs_error_event, "ndjson").media_type == "application/x-ndjson"


# -- the two transports agree ------------------------------------------------------------------


@dataclass
class Server:
    url: str
    app: FastAPI


@pytest.fixture(scope="module")
def server(sl: SearchLibrary) -> Iterator[Server]:
    """A real uvicorn server on a free port (in a thread) over the library's data folder."""
    app = create_app(sl.library.settings, run_workers=False)
    with served(app) as url:
        yield Server(url, app)


@pytest.fixture(scope="module")
def clients(sl: SearchLibrary, server: Server) -> Iterator[dict[str, Client]]:
    local = Client(settings=sl.library.settings)
    remote = Client(server.url)
    yield {"in-process": local, "http": remote}
    local.close()
    remote.close()


def _same(local: Any, remote: Any, *, without: tuple[str, ...] = ()) -> dict[str, Any]:
    """Both answers are the same model with the same fields (``without`` aside)."""
    assert type(local) is type(remote), (type(local), type(remote))
    a = local.model_dump(mode="json", by_alias=True)
    b = remote.model_dump(mode="json", by_alias=True)
    for name in without:
        a.pop(name, None)
        b.pop(name, None)
    assert a == b
    found: dict[str, Any] = a
    return found


def test_library_answers_are_the_same_objects(
    clients: dict[str, Client], sl: SearchLibrary
) -> None:
    local, remote = clients["in-process"], clients["http"]
    index = _same(local.indexes.get(sl.index_id), remote.indexes.get(sl.index_id))
    assert index["_id"] == sl.index_id and index["video_count"] == 10
    listed = _same(
        local.videos.list(sl.index_id, page_limit=3), remote.videos.list(sl.index_id, page_limit=3)
    )
    assert listed["page_info"] == {
        "page": 1,
        "limit_per_page": 3,
        "total_page": 4,
        "total_results": 10,
    }
    video_id = sl.video_ids[4]
    said = [
        _same(a, b)
        for a, b in zip(
            local.videos.transcription(sl.index_id, video_id),
            remote.videos.transcription(sl.index_id, video_id),
            strict=True,
        )
    ]
    assert "roses" in said[1]["value"] and said[1]["start"] == pytest.approx(6.5, abs=1.0)
    tasks = _same(
        local.tasks.list(index_id=sl.index_id, status="ready"),
        remote.tasks.list(index_id=sl.index_id, status="ready"),
    )
    assert tasks["page_info"]["total_results"] == 10
    # Tasks name their video's facts the same way in both (the in-process client once did not).
    first = tasks["data"][0]
    assert first["metadata"]["duration"] == pytest.approx(12.0, abs=0.1)
    assert local.health().version == remote.health().version


def test_search_and_classify_answers_are_the_same_objects(
    clients: dict[str, Client], sl: SearchLibrary
) -> None:
    local, remote = clients["in-process"], clients["http"]
    pages = [
        c.search(sl.index_id, "grandma growing roses", options=["conversation"], page_limit=2)
        for c in (local, remote)
    ]
    for a, b in zip(pages[0].hits, pages[1].hits, strict=True):
        hit = _same(a, b, without=("thumbnail_url",))
        assert set(hit) >= {"video_id", "start", "end", "score", "confidence", "rank"}
    assert pages[0].hits[0].video_id == sl.video_ids[4]
    # Thumbnail links differ only in where the API answers.
    assert pages[1].hits[0].thumbnail_url == remote.base_url + pages[0].hits[0].thumbnail_url  # type: ignore[operator]
    _same(pages[0].search_pool, pages[1].search_pool)
    infos = [p.page_info for p in pages]
    _same(*infos, without=("next_page_token", "page_expired_at", "page_expires_at"))
    classified = [
        c.classify(
            {"Travel": ["a train leaving for a city"]},
            index_id=sl.index_id,
            include_clips=True,
            show_detailed_score=True,
        )
        for c in (local, remote)
    ]
    for a, b in zip(classified[0].data, classified[1].data, strict=True):
        assert a.video_id == b.video_id
        for ca, cb in zip(a.classes, b.classes, strict=True):
            found = _same(ca, cb, without=("clips",))
            assert set(found["detailed_scores"]) == {"max_score", "avg_score", "normalized_score"}
            assert [c.start for c in ca.clips or []] == [c.start for c in cb.clips or []]
    assert {v.video_id for v in classified[0].data} >= {sl.video_ids[0], sl.video_ids[1]}


def test_errors_are_the_same_class_in_process_and_over_http(
    clients: dict[str, Client], sl: SearchLibrary, server: Server
) -> None:
    local_pages = clients["in-process"]._transport
    assert isinstance(local_pages, LocalTransport)
    stores = {
        "in-process": local_pages.services.search.pages,
        "http": server.app.state.services.search.pages,
    }
    for mode, client in clients.items():
        with pytest.raises(NotFound) as unknown:
            client.indexes.get("0" * 24)
        assert unknown.value.code == "index_not_found", mode
        with pytest.raises(InvalidArgument) as named:
            client.indexes.create("")
        assert "index_name" in named.value.message, mode
        with pytest.raises(InvalidArgument) as status:
            client.tasks.list(status="sleeping")
        assert "status" in status.value.message, mode
        with pytest.raises(InvalidArgument) as option:
            client.search(sl.index_id, "roses", options=["smell"])
        assert "smell" in option.value.message, mode
        # An expired page token is Gone (410) whichever way it is asked for.
        first = client.search(sl.index_id, "bakery", threshold="none", page_limit=1)
        token = first.page_info.next_page_token
        assert token, mode
        pages = stores[mode]
        clock = pages.clock
        pages.clock = lambda clock=clock: clock() + 7200  # type: ignore[method-assign]
        try:
            with pytest.raises(Gone) as gone:
                client.search_next(token)
        finally:
            pages.clock = clock  # type: ignore[method-assign]
        assert gone.value.code == "page_token_expired" and gone.value.status == 410, mode


def test_an_unreachable_server_is_server_unavailable() -> None:
    with (
        Client(f"http://127.0.0.1:{free_port()}") as client,
        pytest.raises(ServerUnavailable) as caught,
    ):
        client.indexes.list()
    assert caught.value.status == 503 and "cannot reach" in caught.value.message


def test_wire_body_is_the_model_the_client_reads(
    clients: dict[str, Client], sl: SearchLibrary, server: Server
) -> None:
    # What the server writes is exactly the model in-process (fields set, aliases), so a
    # client parsing it gets what the in-process client gets.
    body = {"index_id": sl.index_id, "query": "museum", "search_options": ["conversation"]}
    sent = httpx.post(server.url + "/v1/search", json=body, timeout=60).json()
    page = clients["in-process"].search(sl.index_id, "museum", options=["conversation"])
    local = page.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert set(sent) == set(local) and set(sent["page_info"]) == set(local["page_info"])
    assert [h["video_id"] for h in sent["data"]] == [h["video_id"] for h in local["data"]]
    assert set(sent["data"][0]) == set(local["data"][0])


@pytest.mark.models
def test_an_unguarded_script_with_the_in_process_client_runs_once(
    tmp_path: Path, models_dir: Path, clip: Path
) -> None:
    """A user's script in the README's style, with no ``if __name__ == "__main__":`` guard,
    indexes a video with the in-process client and waits for it: the script runs once (a
    spawned analysis process would import it again and create the task again) and the video
    is ready."""
    script = tmp_path / "index_it.py"
    script.write_text(
        "import os\n"
        "print('started', os.getpid(), flush=True)\n"
        "from vidsense import Client\n"
        "client = Client()\n"
        "index = client.indexes.create('mine')\n"
        f"task = client.tasks.create(index.id, file={str(clip)!r})\n"
        "print('done', client.tasks.wait(task.id, timeout=120).status, flush=True)\n"
    )
    env = {
        **os.environ,
        "VIDSENSE_DATA_DIR": str(tmp_path / "data"),
        "VIDSENSE_MODELS__DIR": str(models_dir),
    }
    env.pop("VIDSENSE_WORKER_PROCESSES", None)
    ran = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    lines = [line for line in ran.stdout.splitlines() if line.startswith(("started", "done"))]
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert len(lines) == 2 and lines[1] == "done ready", ran.stdout


def test_embeddings_are_the_same_in_process_and_over_http(
    clients: dict[str, Client], sl: SearchLibrary
) -> None:
    """``embed_text``/``embed_video`` (the Embed API's vectors) agree between the transports,
    and a spoken sentence's paraphrase is nearest the moment that says it, over 3 videos."""
    local, remote = clients["in-process"], clients["http"]
    moments = []
    for n in range(3):
        mine = local.embed_video(sl.video_ids[n], moment=6)
        assert mine == remote.embed_video(sl.video_ids[n], moment=6)
        assert mine["metadata"]["video_id"] == sl.video_ids[n]
        said = [d for d in mine["data"] if d["embedding_option"] == "transcription"]
        assert [(d["embedding_scope"], d["start_sec"], d["end_sec"]) for d in said] == [
            ("clip", 0, 6), ("clip", 6, 12), ("asset", 0, 12)
        ]  # fmt: skip
        moments += [(n, d) for d in said if d["embedding_scope"] == "clip"]
    for truth in [t for t in sl.speech if t.video < 3]:
        query = local.embed_text(truth.query)
        assert query == remote.embed_text(truth.query)
        vector = query["data"][0]["embedding"]
        n, best = max(moments, key=lambda m: float(np.dot(m[1]["embedding"], vector)))
        assert (n, best["start_sec"] < truth.end and best["end_sec"] > truth.start) == (
            truth.video,
            True,
        ), (truth.query, n, best["start_sec"])
