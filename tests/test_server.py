"""The HTTP API: the real app in-process (Starlette's TestClient, over httpx) and real
``vidsense serve`` processes driven with ``requests`` the way a Twelve Labs notebook is.
Real SQLite files, real generated clips, real models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient

from tests.conftest import MediaCache
from tests.database_support import DATABASES, database_url
from tests.library_support import (
    ServerProcess,
    make_settings,
    spoken_clip,
    wait_for,
)
from vidsense.server import create_app

pytestmark = pytest.mark.models


@pytest.fixture
def client(tmp_path: Path, models_dir: Path) -> Iterator[TestClient]:
    app = create_app(make_settings(tmp_path / "data", models_dir))
    with TestClient(app) as http:
        yield http


def ready(http: Any, task_id: str, timeout: float = 120.0, prefix: str = "/v1") -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        task: dict[str, Any] = http.get(f"{prefix}/tasks/{task_id}").json()
        return task if task["status"] in ("ready", "failed") else None

    result: dict[str, Any] = wait_for(check, timeout, f"task {task_id}")
    return result


def upload(http: TestClient, index_id: str, path: Path, name: str | None = None) -> Any:
    with path.open("rb") as f:
        return http.post(
            "/v1/tasks",
            data={"index_id": index_id},
            files={"video_file": (name or path.name, f, "video/mp4")},
        )


def test_errors_share_one_envelope(client: TestClient, tmp_path: Path) -> None:
    bad_json = client.post(
        "/v1/indexes", content=b'{"index_name": ', headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert bad_json.json()["code"] == "invalid_argument"
    assert "not valid JSON" in bad_json.json()["message"]

    missing = client.post("/v1/indexes", json={"engines": []})
    assert missing.status_code == 400 and missing.json() == {
        "code": "invalid_argument",
        "message": "index_name is required",
    }
    wrong = client.post(
        "/v1/indexes",
        json={
            "index_name": "x",
            "engines": [{"engine_name": "marengo2.6", "engine_options": ["smell"]}],
        },
    )
    assert wrong.status_code == 400 and "engines[0].engine_options" in wrong.json()["message"]
    bad_page = client.get("/v1/indexes", params={"page_limit": 0})
    assert bad_page.status_code == 400 and "page_limit" in bad_page.json()["message"]

    for path, code in [
        ("/v1/indexes/0123456789abcdef01234567", "index_not_found"),
        ("/v1.2/indexes/0123456789abcdef01234567/videos", "index_not_found"),
        ("/v1.3/tasks/0123456789abcdef01234567", "task_not_found"),
    ]:
        answer = client.get(path)
        assert answer.status_code == 404 and answer.json()["code"] == code, path
    index = client.post("/v1/indexes", json={"index_name": "errors"}).json()
    video = client.get(f"/v1/indexes/{index['_id']}/videos/0123456789abcdef01234567")
    assert video.status_code == 404 and video.json()["code"] == "video_not_found"
    taken = client.post("/v1.2/indexes", json={"index_name": "errors"})
    assert taken.status_code == 409 and taken.json()["code"] == "conflict"
    assert client.get("/v1/nothing-here").json()["code"] == "not_found"

    no_source = client.post("/v1/tasks", json={"index_id": index["_id"]})
    assert no_source.status_code == 400 and "video_file" in no_source.json()["message"]
    no_index = client.post("/v1/tasks", data={"video_url": "https://example.com/v.mp4"})
    assert no_index.status_code == 400 and no_index.json()["message"] == "index_id is required"
    for url in ("http://127.0.0.1:8000/v.mp4", "ftp://example.com/v.mp4"):
        blocked = client.post("/v1/tasks", json={"index_id": index["_id"], "video_url": url})
        assert blocked.status_code == 403 and blocked.json()["code"] == "url_not_allowed"
    not_url = client.post("/v1/tasks", json={"index_id": index["_id"], "video_url": "not a url"})
    assert not_url.status_code == 400 and not_url.json()["code"] == "invalid_argument"
    assert "is not a URL" in not_url.json()["message"]
    small = tmp_path / "small.mp4"
    small.write_bytes(b"\x00" * 5000)
    unknown = upload(client, "0123456789abcdef01234567", small)
    assert unknown.status_code == 404 and unknown.json()["code"] == "index_not_found"
    uploads = client.app.state.settings.data_dir / "uploads"
    assert not uploads.exists() or not list(uploads.iterdir())
    assert client.get("/v1/tasks").json()["page_info"]["total_results"] == 0


def test_index_resources(client: TestClient) -> None:
    created = client.post(
        "/v1/indexes",
        json={
            "index_name": "lectures",
            "models": [{"model_name": "marengo3.0", "model_options": ["visual"]}],
            "addons": ["thumbnail"],
        },
    )
    assert created.status_code == 201
    index = created.json()
    assert index["index_name"] == "lectures" and index["addons"] == ["thumbnail"]
    assert index["engines"][0]["engine_options"] == ["visual", "text_in_video", "logo"]
    assert (index["video_count"], index["total_duration"]) == (0, 0.0)
    for i in range(3):
        client.post("/v1/indexes", json={"index_name": f"extra-{i}"})
    page = client.get("/v1/indexes", params={"page": 2, "page_limit": 3}).json()
    assert page["page_info"] == {
        "page": 2,
        "limit_per_page": 3,
        "total_page": 2,
        "total_results": 4,
    }
    assert [i["index_name"] for i in page["data"]] == ["lectures"]  # newest first
    renamed = client.put(f"/v1/indexes/{index['_id']}", json={"index_name": "talks"})
    assert renamed.status_code == 200 and renamed.json()["index_name"] == "talks"
    assert client.delete(f"/v1/indexes/{index['_id']}").status_code == 204
    assert client.get(f"/v1/indexes/{index['_id']}").status_code == 404


def test_api_key_is_required_when_set(tmp_path: Path, models_dir: Path) -> None:
    settings = make_settings(tmp_path / "data", models_dir, api_key="first-key, second-key")
    with TestClient(create_app(settings, run_workers=False)) as http:
        assert http.get("/health").status_code == 200
        missing = http.get("/v1/indexes")
        assert missing.status_code == 401 and missing.json()["code"] == "api_key_missing"
        assert "x-api-key" in missing.json()["message"]
        wrong = http.get("/v1/indexes", headers={"x-api-key": "nope"})
        assert wrong.status_code == 401 and wrong.json()["code"] == "api_key_invalid"
        assert http.post("/v1.2/tasks", headers={"x-api-key": "nope"}).status_code == 401
        assert http.get("/v1/indexes", headers={"x-api-key": "second-key"}).status_code == 200
        bearer = http.get("/v1.3/indexes", headers={"authorization": "Bearer first-key"})
        assert bearer.status_code == 200


def test_upload_over_the_limit_is_refused(tmp_path: Path, models_dir: Path, clip: Path) -> None:
    settings = make_settings(tmp_path / "data", models_dir, max_upload_bytes=4096)
    with TestClient(create_app(settings, run_workers=False)) as http:
        index = http.post("/v1/indexes", json={"index_name": "small"}).json()
        answer = upload(http, index["_id"], clip)
        assert answer.status_code == 413 and answer.json()["code"] == "upload_too_large"
        assert not [p for p in (settings.data_dir / "uploads").iterdir()]
        assert http.get("/v1/tasks").json()["data"] == []


def test_upload_index_and_read_back(client: TestClient, clip: Path) -> None:
    index = client.post(
        "/v1/indexes",
        json={
            "index_name": "videos",
            "engines": [
                {
                    "engine_name": "marengo2.6",
                    "engine_options": ["visual", "conversation", "text_in_video", "logo"],
                }
            ],
        },
    ).json()
    index_id = index["_id"]
    created = upload(client, index_id, clip, name="../../etc/clip.mp4")
    assert created.status_code == 201, created.text
    task_id = created.json()["_id"]
    task = ready(client, task_id)
    assert task["status"] == "ready" and task["error"] is None, task
    assert task["progress"] == 100 and task["process"]["percentage"] == 100
    video_id = task["video_id"]
    assert task["metadata"]["filename"] == "clip.mp4"  # a name, never a path

    again = upload(client, index_id, clip, name="copy.mp4").json()
    assert again["_id"] == task_id and again["duplicate"] and again["video_id"] == video_id

    videos = client.get(f"/v1/indexes/{index_id}/videos").json()
    assert [v["_id"] for v in videos["data"]] == [video_id]
    meta = videos["data"][0]["metadata"]
    assert (meta["width"], meta["height"], meta["fps"]) == (320, 240, 15.0)
    assert meta["size"] == clip.stat().st_size and abs(meta["duration"] - 4.0) < 0.05
    one = client.get(f"/v1.2/indexes/{index_id}/videos/{video_id}").json()
    assert one["metadata"] == meta
    assert client.get(f"/v1/indexes/{index_id}").json()["video_count"] == 1

    base = f"/v1/indexes/{index_id}/videos/{video_id}"
    said = client.get(base + "/transcription").json()["data"]
    assert any("library" in line["value"].lower() for line in said)
    assert said[0]["words"] and said[0]["start"] < 1.2
    shown = client.get(base + "/text-in-video").json()["data"]
    assert any("LIBRARY" in t["value"].upper() for t in shown)
    shots = client.get(base + "/shots").json()["data"]
    assert [s["index"] for s in shots] == [0, 1] and abs(shots[1]["start"] - 2.0) < 0.1
    assert client.get(base + "/logo").json() == {"data": []}

    thumb = client.get(base + "/thumbnail", params={"time": 1.5}).json()["thumbnail"]
    assert thumb.endswith(f"{base}/thumbnail.jpg?time=1.5")
    image = client.get(thumb)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content[:2] == b"\xff\xd8"
    late = client.get(base + "/thumbnail.jpg", params={"time": 60})
    assert late.status_code == 400 and "time" in late.json()["message"]

    original = clip.read_bytes()
    whole = client.get(base + "/stream")
    assert whole.status_code == 200 and whole.content == original
    assert whole.headers["accept-ranges"] == "bytes"
    part = client.get(base + "/stream", headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.content == original[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(original)}"
    assert part.headers["content-type"] == "video/mp4"
    tail = client.get(base + "/stream", headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.content == original[-500:]

    listed = client.get("/v1/tasks", params={"index_id": index_id, "status": "ready"}).json()
    assert [t["_id"] for t in listed["data"]] == [task_id]
    bad = client.get("/v1/tasks", params={"status": "sleeping"})
    assert bad.status_code == 400 and "status" in bad.json()["message"]

    assert client.delete(base).status_code == 204
    assert client.get(base + "/stream").json()["code"] == "video_not_found"
    assert client.get(f"/v1/indexes/{index_id}").json()["video_count"] == 0


def test_text_file_named_mp4_is_refused_at_upload(tmp_path: Path, models_dir: Path) -> None:
    # No workers: the upload is checked when it is submitted, not when it is indexed. A file
    # that is not a video at all is refused (400, as the hosted APIs answer) and nothing stays.
    settings = make_settings(tmp_path / "data", models_dir)
    with TestClient(create_app(settings, run_workers=False)) as client:
        index_id = client.post("/v1/indexes", json={"index_name": "bad"}).json()["_id"]
        fake = tmp_path / "holiday.mp4"
        fake.write_text("Dear diary, today we went to the beach.\n" * 50)
        created = upload(client, index_id, fake)
        assert created.status_code == 400, created.text
        assert created.json() == {
            "code": "unsupported_media",
            "message": "holiday.mp4 is not a video (it looks like text data)",
        }
        assert client.get("/v1/tasks").json()["data"] == []
        assert client.get(f"/v1/indexes/{index_id}/videos").json()["data"] == []
        assert client.get(f"/v1/indexes/{index_id}").json()["video_count"] == 0
        data_dir = client.app.state.settings.data_dir
        kept = [p for p in data_dir.rglob("*") if p.is_file() and p.stat().st_size > 1000]
        assert not [p for p in kept if b"Dear diary" in p.read_bytes()[:100]]


def test_a_file_and_a_url_at_once_are_refused(tmp_path: Path, models_dir: Path, clip: Path) -> None:
    # Which one was meant cannot be told: 400, and neither is taken.
    settings = make_settings(tmp_path / "data", models_dir)
    with TestClient(create_app(settings, run_workers=False)) as client:
        index_id = client.post("/v1/indexes", json={"index_name": "both"}).json()["_id"]
        with clip.open("rb") as f:
            both = client.post(
                "/v1/tasks",
                data={"index_id": index_id, "video_url": "https://example.com/other.mp4"},
                files={"video_file": (clip.name, f, "video/mp4")},
            )
        assert both.status_code == 400, both.text
        assert both.json()["code"] == "invalid_argument"
        assert "not both" in both.json()["message"]
        assert client.get("/v1/tasks").json()["data"] == []
        staged = [p for p in settings.data_dir.rglob("*") if p.is_file() and p.suffix == ".mp4"]
        assert staged == []


def test_serve_refuses_a_public_address_without_a_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "vidsense.cli.main",
            "serve",
            "--host",
            "0.0.0.0",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 2
    assert "without an API key" in result.stderr and "--insecure" in result.stderr


def test_twelve_labs_notebook_against_a_real_server(
    tmp_path: Path, models_dir: Path, clip: Path
) -> None:
    server = ServerProcess(
        tmp_path / "data",
        models_dir,
        VIDSENSE_API_KEY="tlk_local",
        VIDSENSE_WORKER_PROCESSES="true",  # as deployed: the analysis in a child
    ).start("--workers", "1")
    try:
        # As in a Twelve Labs notebook: only the base URL differs.
        api = f"{server.url}/v1.2"
        headers = {"x-api-key": "tlk_local"}
        body = {
            "index_name": "notebook",
            "engines": [
                {
                    "engine_name": "marengo2.6",
                    "engine_options": ["visual", "conversation", "text_in_video", "logo"],
                },
                {"engine_name": "pegasus1", "engine_options": ["visual", "conversation"]},
            ],
        }
        response = requests.post(f"{api}/indexes", headers=headers, json=body, timeout=30)
        assert response.status_code == 201, response.text
        index_id = response.json()["_id"]
        with clip.open("rb") as f:
            response = requests.post(
                f"{api}/tasks",
                headers=headers,
                data={"index_id": index_id, "language": "en"},
                files={"video_file": f},
                timeout=60,
            )
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "pending"  # checked while the upload was answered
        task_id = response.json()["_id"]
        statuses = []
        while True:
            task = requests.get(f"{api}/tasks/{task_id}", headers=headers, timeout=30).json()
            statuses.append(task["status"])
            if task["status"] in ("ready", "failed"):
                break
            assert len(statuses) < 600, statuses
            time.sleep(0.2)
        assert task["status"] == "ready", task
        order = ["validating", "pending", "indexing", "ready"]
        assert set(statuses) <= set(order), statuses
        seen = [order.index(s) for s in statuses]
        assert seen == sorted(seen), statuses  # never backwards
        videos = requests.get(
            f"{api}/indexes/{index_id}/videos", headers=headers, timeout=30
        ).json()
        assert [v["_id"] for v in videos["data"]] == [task["video_id"]]
        transcript = requests.get(
            f"{api}/indexes/{index_id}/videos/{task['video_id']}/transcription",
            headers=headers,
            timeout=30,
        ).json()
        assert "library" in " ".join(line["value"] for line in transcript["data"]).lower()
        assert requests.get(f"{api}/indexes", timeout=30).status_code == 401

        # The CLI against the same server: adding the same file again indexes nothing new.
        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            env = {**os.environ, "VIDSENSE_SERVER": server.url, "VIDSENSE_API_KEY": "tlk_local"}
            return subprocess.run(
                [sys.executable, "-m", "vidsense.cli.main", *args],
                capture_output=True,
                text=True,
                timeout=120,
                env=env,
            )

        added = cli("add", "notebook", str(clip), "--json")
        assert added.returncode == 0, added.stderr
        assert [t["video_id"] for t in json.loads(added.stdout)] == [task["video_id"]]
        listed = json.loads(cli("videos", "notebook", "--json").stdout)
        assert [v["metadata"]["filename"] for v in listed] == [clip.name]
        refused = cli("index", "list", "--api-key", "wrong")
        assert refused.returncode == 1 and "[api_key_invalid]" in refused.stderr
    finally:
        server.stop()
    # A clean shutdown on SIGTERM (uvicorn re-raises the signal once it has shut down).
    assert server.proc is not None and server.proc.returncode in (0, -15)
    assert "Traceback" not in server.log.read_text()


@pytest.mark.parametrize("database", DATABASES)
def test_a_killed_server_retries_its_task_after_restart(
    tmp_path: Path, models_dir: Path, media: MediaCache, database: str
) -> None:
    long_clip = spoken_clip(
        media,
        "lib-long.mp4",
        duration=24.0,
        spoken="a longer recording about trains and the harbour",
    )
    with database_url(database, tmp_path / "data") as url:
        _kill_mid_task_then_retry(tmp_path, models_dir, long_clip, url)


def _kill_mid_task_then_retry(tmp_path: Path, models_dir: Path, long_clip: Path, url: str) -> None:
    """SIGKILL a server while it indexes; a second one retries the task once the lease ran out
    (3 s), and the video is indexed once."""
    env = {
        "VIDSENSE_TASK_LEASE_SECONDS": "3",
        "VIDSENSE_DATABASE_URL": url,
        "VIDSENSE_WORKER_PROCESSES": "true",  # the child dies with its server
    }
    first = ServerProcess(tmp_path / "data", models_dir, **env).start("--workers", "1")
    try:
        index_id = requests.post(
            f"{first.url}/v1/indexes", json={"index_name": "crash"}, timeout=30
        ).json()["_id"]
        with long_clip.open("rb") as f:
            task_id = requests.post(
                f"{first.url}/v1/tasks",
                data={"index_id": index_id},
                files={"video_file": f},
                timeout=60,
            ).json()["_id"]

        def indexing() -> bool:
            task = requests.get(f"{first.url}/v1/tasks/{task_id}", timeout=30).json()
            assert task["status"] not in ("ready", "failed"), task
            return bool(task["status"] == "indexing")

        wait_for(indexing, 60, "indexing to start", poll=0.1)
    finally:
        first.kill()

    second = ServerProcess(tmp_path / "data", models_dir, **env).start("--workers", "1")
    try:
        task = ready(requests, task_id, timeout=120, prefix=f"{second.url}/v1")
        assert task["status"] == "ready", task
        assert task["attempts"] == 2
        videos = requests.get(f"{second.url}/v1/indexes/{index_id}/videos", timeout=30).json()
        assert (
            len(videos["data"]) == 1 and abs(videos["data"][0]["metadata"]["duration"] - 24.0) < 0.1
        )
    finally:
        second.stop()
