"""The OpenAPI document tells the truth and sits behind the key; wrong methods get 405 with
``Allow``; ``HEAD`` works on signed media URLs; and schemathesis, run over the document against
a real server (every check, the stateful phase included, on a throwaway data folder), finds no
server error and no answer that breaks the document."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.library_support import ServerProcess, make_settings, wait_for
from vidsense.api.envelopes import family_of
from vidsense.server import create_app

pytestmark = pytest.mark.models

KEY = "sk-openapi-test"
HEADERS = {"x-api-key": KEY}


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path_factory.mktemp("openapi") / "data", models_dir, api_key=KEY)
    with TestClient(create_app(settings)) as http:
        yield http


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_the_document_tells_the_truth(keyed: TestClient) -> None:
    doc = keyed.get("/openapi.json", headers=HEADERS).json()
    paths = doc["paths"]
    # Bodies of the routes that read their own: JSON and forms, with the fields they read.
    for path, kinds in [
        ("/v1/search", {"application/json", "multipart/form-data",
                        "application/x-www-form-urlencoded"}),
        ("/v1/tasks", {"application/json", "multipart/form-data",
                       "application/x-www-form-urlencoded"}),
        ("/v1/classify", {"application/json"}),
        ("/v1/classify/bulk", {"application/json"}),
        ("/v1/indexes/{index_id}/logos", {"multipart/form-data"}),
        ("/v1/files", {"multipart/form-data"}),
    ]:  # fmt: skip
        given = paths[path]["post"].get("requestBody")
        assert given and set(given["content"]) == kinds, path

    def body(path: str, kind: str) -> dict[str, Any]:
        return _resolve(doc, paths[path]["post"]["requestBody"]["content"][kind]["schema"])

    search = body("/v1/search", "application/json")
    assert "index_id" in search["required"]
    limit = search["properties"]["page_limit"]
    assert (limit["minimum"], limit["maximum"]) == (1, 50)
    task_form = body("/v1/tasks", "multipart/form-data")
    assert task_form["properties"]["video_file"] == {"type": "string", "format": "binary"}
    logo_form = body("/v1/indexes/{index_id}/logos", "multipart/form-data")
    assert set(logo_form["required"]) == {"name", "file"}
    for params in (
        paths["/v1/indexes"]["get"]["parameters"],
        paths["/v1/tasks"]["get"]["parameters"],
    ):
        page = next(p["schema"] for p in params if p["name"] == "page")
        assert (page["minimum"], page["maximum"]) == (1, 1_000_000)

    # Errors: never the framework's 422 validation answer; 400 and the rest in each family's
    # envelope; 401 everywhere but /health (a key is set).
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            assert "HTTPValidationError" not in str(responses), where
            envelope = "Error" if family_of(path) == "twelvelabs" else "OpenAIError"
            for status, answer in responses.items():
                if int(status) >= 400:
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/" + envelope), (where, status)
            if path != "/health":
                assert "401" in responses, where
            if method in ("post", "put"):
                assert {"400", "413"} <= set(responses), where
    tasks = paths["/v1/tasks"]["post"]["responses"]
    assert {"400", "401", "403", "404", "413", "422", "507"} <= set(tasks)
    assert "409" in paths["/v1/indexes"]["post"]["responses"]
    assert "422" in paths["/v1/chat/completions"]["post"]["responses"]
    assert "text/event-stream" in paths["/v1/generate"]["post"]["responses"]["200"]["content"]
    stream = paths["/v1/indexes/{index_id}/videos/{video_id}/stream"]
    assert set(stream) == {"get", "head"}
    assert "video/*" in stream["get"]["responses"]["200"]["content"]
    assert "403" in stream["get"]["responses"]  # a forged or expired signed URL
    assert doc["components"]["securitySchemes"]["apiKey"]["name"] == "x-api-key"
    assert paths["/health"]["get"]["security"] == []


def test_the_document_is_behind_the_key(
    tmp_path: Path, models_dir: Path, keyed: TestClient
) -> None:
    for path in ("/openapi.json", "/docs", "/redoc"):
        refused = keyed.get(path)
        assert refused.status_code == 401 and refused.json()["code"] == "api_key_missing", path
        assert keyed.get(path, headers=HEADERS).status_code == 200, path
    opened = make_settings(tmp_path / "a", models_dir, api_key=KEY, docs_public=True)
    with TestClient(create_app(opened, run_workers=False)) as http:
        assert http.get("/openapi.json").status_code == 200
        assert http.get("/v1/indexes").status_code == 401  # only the document opened
    open_server = make_settings(tmp_path / "b", models_dir)
    with TestClient(create_app(open_server, run_workers=False)) as http:
        doc = http.get("/openapi.json").json()
        assert "securitySchemes" not in doc.get("components", {})  # no key: none documented
        assert "401" not in doc["paths"]["/v1/indexes"]["get"]["responses"]


def test_a_wrong_method_is_405_naming_the_right_ones(keyed: TestClient) -> None:
    for method, path, allowed in [
        ("TRACE", "/v1/indexes", "GET, POST"),
        ("TRACE", "/health", "GET"),
        ("PATCH", "/v1/indexes/0123456789abcdef01234567", "GET, PUT, DELETE"),
        ("GET", "/v1/classify/bulk", "POST"),
        ("GET", "/v1/tasks/external-provider", "POST"),
        ("DELETE", "/v1/search", "POST"),
        ("PUT", "/v1/chat/completions", "POST"),
    ]:
        answer = keyed.request(method, path, headers=HEADERS)
        assert answer.status_code == 405, (method, path)
        assert answer.headers["allow"] == allowed, (method, path)
        body = answer.json()
        assert body.get("code", body.get("error", {}).get("code")) == "method_not_allowed"


def test_head_on_a_signed_stream_url(keyed: TestClient, clip: Path) -> None:
    index_id = keyed.post("/v1/indexes", json={"index_name": "head"}, headers=HEADERS).json()["_id"]
    with clip.open("rb") as f:
        task = keyed.post("/v1/tasks", data={"index_id": index_id}, headers=HEADERS,
                          files={"video_file": (clip.name, f, "video/mp4")}).json()  # fmt: skip

    def ready() -> dict[str, Any] | None:
        found: dict[str, Any] = keyed.get(f"/v1/tasks/{task['_id']}", headers=HEADERS).json()
        return found if found["status"] in ("ready", "failed") else None

    done = wait_for(ready, 180.0, "the clip to be indexed")
    assert done["status"] == "ready", done
    path = f"/v1/indexes/{index_id}/videos/{done['video_id']}/stream"
    signed = keyed.post("/v1/media/sign", json={"path": path}, headers=HEADERS).json()["url"]
    head = keyed.head(signed)  # no key: the signature opens it
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == clip.stat().st_size
    assert head.headers["content-type"] == "video/mp4" and head.headers["accept-ranges"] == "bytes"
    ranged = keyed.get(signed, headers={"range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100
    thumb = keyed.head(f"{path.rsplit('/', 1)[0]}/thumbnail.jpg", headers=HEADERS)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    forged = keyed.head(signed.replace("signature=", "signature=0"))
    assert forged.status_code == 403
    assert keyed.head(path).status_code == 401


SCHEMATHESIS = Path(__file__).with_name("schemathesis.toml")


GENERATOR_CRASHES = (
    "SystemError: AST constructor recursion depth mismatch",
    "in _lambda_description",  # Hypothesis' lambda-source cache read by two workers at once
)
"""Crashes of the test-case generator itself (Hypothesis describing a strategy's lambdas), not
findings about the server: a run that ends in one is made once more."""


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    tmp_path: Path, models_dir: Path
) -> None:
    # The renders and generated videos the fuzzer asks for are made while it runs, one at a
    # time, and each of at most 60 s: it asks for hours of black (valid specs), and each hour
    # is a minute of encoding beside the fuzzing. Those still queued at the end are not made.
    server = ServerProcess(
        tmp_path / "data",
        models_dir,
        VIDSENSE_API_KEY=KEY,
        VIDSENSE_LIMITS__RENDER_SECONDS="60",
        VIDSENSE_JOB_WORKERS="1",
    )
    server.start("--workers", "1", "--log-level", "info")
    try:
        started = time.monotonic()
        for _ in range(2):
            run = subprocess.run(
                [
                    str(Path(sys.executable).with_name("schemathesis")),  # the dev extra's
                    "--config-file", str(SCHEMATHESIS),
                    "run", f"{server.url}/openapi.json",
                    "-H", f"x-api-key: {KEY}",
                    "--checks", "all",
                    "--phases", "examples,coverage,fuzzing,stateful",
                    "--max-examples", "10",
                    "--seed", "15",
                    # One worker: with two, their threads share CPython 3.11's ast state and
                    # Hypothesis' lambda-source cache, and the generator crashed (see below)
                    # in 2 of 3 runs on a loaded machine; one is as fast (75 s vs 70 s).
                    "--workers", "1",
                    "--request-timeout", "60",
                    "--no-color",
                ],
                capture_output=True,
                text=True,
                timeout=600,
                cwd=tmp_path,
            )  # fmt: skip
            report = run.stdout + run.stderr
            # CPython 3.11's ast module can fail inside Hypothesis while it describes a
            # strategy (it parses lambdas' source, sometimes deep in a stack), and so can its
            # cache of those sources when two workers read it: a crash of the generator, not a
            # finding about the server. Such a run is made once more.
            crashed = any(crash in report for crash in GENERATOR_CRASHES)
            if run.returncode == 0 or not crashed or "Server error" in report:
                break
        took = time.monotonic() - started
        (tmp_path / "schemathesis.txt").write_text(report)
        assert run.returncode == 0, report[-8000:]
        found = re.search(r"(\d+) generated, (\d+) passed", report)
        assert found and found.group(1) == found.group(2) and int(found.group(1)) > 1000, report[
            -3000:
        ]
        assert "Stateful" in report and "Server error" not in report
        print(f"schemathesis: {found.group(1)} cases in {took:.0f} s")
        log = server.log.read_text()
        assert "Traceback" not in log and '" 500' not in log, log[-3000:]
        assert httpx.get(server.url + "/health").status_code == 200
    finally:
        server.stop()
