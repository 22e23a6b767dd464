"""What the official SDKs' wire needs beyond their own suites (``tests/test_sdk_*.py``): every
route answers errors in its family's envelope, unknown routes and wrong methods included; a
trailing slash is served; the paths OpenAI's and VLM Run's SDKs share answer each in its shape;
artifact ids are VLM Run's (6 hex digits, unique in a session) and sent with the header case its
SDK reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.library_support import make_settings
from vidsense.agent import artifacts as artifacts_module
from vidsense.api.envelopes import family_of
from vidsense.server import create_app

VLMRUN = {"X-Client-Id": "python-sdk-0.9.2"}


@pytest.fixture
def http(tmp_path: Path, models_dir: Path) -> Iterator[TestClient]:
    with TestClient(
        create_app(make_settings(tmp_path / "data", models_dir), run_workers=False)
    ) as c:
        yield c


def _openai(body: Any, kind: str, mentions: str) -> None:
    assert set(body) == {"error"}, body
    assert body["error"]["type"] == kind and mentions in body["error"]["message"], body


def _twelvelabs(body: Any, code: str) -> None:
    assert set(body) == {"code", "message"} and body["code"] == code, body


def test_paths_map_to_their_family() -> None:
    assert family_of("/v1/openai/chat/completions") == "openai"
    assert family_of("/v1/files/file-1/content") == "openai"
    assert family_of("/v1/videos") == "openai"
    assert family_of("/v1/video/generate") == "vlmrun"  # a whole segment, not a prefix
    assert family_of("/v1/predictions") == "vlmrun"
    assert family_of("/v1/modelsx") == "twelvelabs"
    assert family_of("/v1.3/indexes/x/indexed-assets") == "twelvelabs"
    assert family_of("/v1/search") == "twelvelabs"
    for served_elsewhere in ("/v1/embeddings", "/v1/responses", "/v1/images/generations"):
        assert family_of(served_elsewhere) == "openai"  # not served: OpenAI's 404


def test_unknown_routes_and_wrong_methods_answer_in_the_family_envelope(http: TestClient) -> None:
    missing = http.get("/v1/openai/no-such-thing")
    assert missing.status_code == 404
    _openai(missing.json(), "not_found_error", "Not Found")
    embeddings = http.post("/v1/embeddings", json={"model": "x", "input": "hi"})
    assert embeddings.status_code == 404
    _openai(embeddings.json(), "not_found_error", "Not Found")
    wrong = http.delete("/v1/models")
    assert wrong.status_code == 405
    _openai(wrong.json(), "invalid_request_error", "Method Not Allowed")
    file = http.get("/v1/openai/files/file-000000000000000000000000")
    _openai(file.json(), "not_found_error", "file-000000000000000000000000")
    prediction = http.get("/v1/predictions/pred_0000")
    assert prediction.status_code == 404
    _openai(prediction.json(), "not_found_error", "pred_0000")
    for path in ("/v1.3/no-such-thing", "/v1.2/indexes/x/nothing-here"):
        answer = http.get(path)
        assert answer.status_code == 404
        _twelvelabs(answer.json(), "not_found")
    method = http.put("/v1.3/search")
    assert method.status_code == 405
    _twelvelabs(method.json(), "method_not_allowed")
    task = http.get("/v1.3/tasks/0123456789abcdef01234567")
    _twelvelabs(task.json(), "task_not_found")


def test_a_trailing_slash_is_served_not_redirected(http: TestClient) -> None:
    search = http.post("/v1.2/search/", json={"query": "x"}, follow_redirects=False)
    assert search.status_code == 400  # the route answered: index_id is missing
    _twelvelabs(search.json(), "invalid_argument")
    assert "index_id" in search.json()["message"]
    listed = http.get("/v1.3/indexes/", follow_redirects=False)
    assert listed.status_code == 200 and listed.json()["data"] == []


def test_health_under_the_api_base_checks_the_key(tmp_path: Path, models_dir: Path) -> None:
    settings = make_settings(tmp_path / "data", models_dir, api_key="k1")
    with TestClient(create_app(settings, run_workers=False)) as http:
        assert http.get("/health").status_code == 200  # the open one
        assert http.get("/v1/health", headers={"Authorization": "Bearer k1"}).json()["status"] == (
            "ok"
        )
        wrong = http.get("/v1/health", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        _openai(wrong.json(), "authentication_error", "key")


def test_files_speak_each_sdks_shape(http: TestClient, tmp_path: Path) -> None:
    note = tmp_path / "notes.txt"
    note.write_text("hello\n")
    with note.open("rb") as f:  # VLM Run: purpose in the query string, 201 only
        sent = http.post("/v1/files", params={"purpose": "assistants"}, files={"file": f})
    assert sent.status_code == 201 and sent.json()["purpose"] == "assistants"
    with note.open("rb") as f:  # OpenAI: purpose as a form field
        other = http.post("/v1/files", data={"purpose": "user_data"}, files={"file": f})
    assert other.status_code == 201 and other.json()["purpose"] == "user_data"
    with note.open("rb") as f:
        bad = http.post("/v1/files", data={"purpose": "gossip"}, files={"file": f})
    assert bad.status_code == 400
    _openai(bad.json(), "invalid_request_error", "gossip")
    assert bad.json()["error"]["param"] == "purpose"

    openai_list = http.get("/v1/files").json()
    assert openai_list["object"] == "list" and len(openai_list["data"]) == 2
    vlmrun_list = http.get("/v1/files", params={"skip": 0, "limit": 10}, headers=VLMRUN).json()
    # VLM Run's SDK refuses a purpose outside its list: only the assistants file is its.
    assert [f["id"] for f in vlmrun_list] == [sent.json()["id"]]
    assert http.get("/v1/files", params={"skip": 1}).json() == []
    agent_base = http.get("/v1/openai/files", headers=VLMRUN).json()
    assert agent_base["object"] == "list"  # VLM Run's agent base is an OpenAI client

    models = http.get("/v1/models", headers=VLMRUN).json()
    assert {"model": "vidsense-1", "domain": "video.transcription"} in models
    assert http.get("/v1/models").json()["object"] == "list"


def test_domains_schemas_and_predictions_in_vlmrun_shapes(http: TestClient) -> None:
    domains = http.get("/v1/domains").json()
    assert isinstance(domains, list) and "video.summary" in [d["domain"] for d in domains]
    schema = http.post("/v1/schema", json={"domain": "video.transcription", "config": {}}).json()
    assert schema["gql_stmt"] == "{ segments { start end text } }"
    assert re.fullmatch(r"[0-9a-f]{8}", schema["schema_hash"]) and schema["schema_version"]
    unknown = http.post("/v1/schema", json={"domain": "video.poetry"})
    assert unknown.status_code == 400
    _openai(unknown.json(), "invalid_request_error", "video.poetry")
    assert http.get("/v1/predictions", params={"skip": 0, "limit": 5}).json() == []


def test_artifact_ids_are_six_hex_unique_in_their_session(
    http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = http.app.state.services.chat.artifacts  # type: ignore[attr-defined]
    drawn = iter(["abc123", "abc123", "abc123", "def456"])
    monkeypatch.setattr(artifacts_module.secrets, "token_hex", lambda n: next(drawn))
    first, path = store.new("sess-1", "image")
    second, _ = store.new("sess-1", "image")  # abc123 is taken twice over: drawn again
    assert (first, second) == ("img_abc123", "img_def456")
    monkeypatch.undo()
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 64)
    clip, _ = store.new("sess-1", "video")
    assert re.fullmatch(r"vid_[0-9a-f]{6}", clip)
    got = http.get("/v1/artifacts", params={"object_id": first, "session_id": "sess-1"})
    assert got.status_code == 200
    assert (b"Content-Type", b"image/jpeg") in got.headers.raw  # the case VLM Run reads
    listed = http.get("/v1/artifacts/list", params={"session_id": "sess-1"}).json()
    # The clip is still empty (being written): not listed, not served.
    assert listed == {
        "namespace_id": "sess-1",
        "items": [{"object_id": first, "filename": f"{first}.jpg", "source": "store"}],
    }
    pending = http.get("/v1/artifacts", params={"object_id": clip, "session_id": "sess-1"})
    assert pending.status_code == 404
    _openai(pending.json(), "not_found_error", clip)
    both = http.get("/v1/artifacts/list", params={"session_id": "a", "execution_id": "b"})
    assert both.status_code == 400
