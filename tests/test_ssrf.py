"""The real HTTP app against an attacker's site: every route that fetches a URL the user names
(``/tasks`` ``video_url``, ``/tasks/external-provider``, chat ``video_url``,
``/v1/video/generate``, search ``query_media_url``) is steered, through a page yt-dlp reads, to
a private canary that must see no request.

The site (127.0.0.1) is marked public through the settings' address policy
(``fetch.allow_networks``); the canary (127.0.0.2) is not. Each route gets its own ``/flip/``
page: the server's first request gets HTML, yt-dlp's re-read of the page gets a redirect to
the canary.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import MediaCache
from tests.factory import Scene, make_video
from tests.library_support import make_settings, wait_for
from tests.ssrf_support import PRIVATE, Site, attack_site
from vidsense.server import create_app

pytest.importorskip("yt_dlp")


@pytest.fixture(scope="module")
def site(media: MediaCache) -> Iterator[Site]:
    clip = media.get(
        "ssrf-clip.mp4", lambda out: make_video(out, [Scene(1.0, "testsrc2")], size="160x120")
    )
    with attack_site(clip) as served:
        yield served


@pytest.fixture
def http(tmp_path: Path, models_dir: Path, site: Site) -> Iterator[TestClient]:
    settings = make_settings(tmp_path / "data", models_dir, fetch=site.fetch_settings())
    with TestClient(create_app(settings)) as client:
        yield client


def _refused(site: Site, page: str, answer: dict[str, Any]) -> None:
    """What the user sees, and that the attack went as far as yt-dlp and no further."""
    assert answer["code"] == "url_not_allowed", answer
    assert PRIVATE in answer["message"]
    assert site.hits[page] == 2  # read by the server, then by yt-dlp (which got the redirect)
    assert site.canary_hits == []


def _failed_task(http: TestClient, task_id: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        task: dict[str, Any] = http.get(f"/v1/tasks/{task_id}").json()
        return task if task["status"] in ("ready", "failed") else None

    task: dict[str, Any] = wait_for(check, 60.0, f"task {task_id}")
    assert task["status"] == "failed", task
    return task


def test_task_video_url(http: TestClient, site: Site) -> None:
    index = http.post("/v1/indexes", json={"index_name": "ssrf"}).json()
    page = "/flip/tasks"
    created = http.post("/v1/tasks", json={"index_id": index["_id"], "video_url": site.url + page})
    assert created.status_code == 201  # the URL itself is public: refused while fetching
    _refused(site, page, _failed_task(http, created.json()["_id"])["error"])


def test_task_external_provider(http: TestClient, site: Site) -> None:
    index = http.post("/v1/indexes", json={"index_name": "ssrf"}).json()
    page = "/flip/external"
    created = http.post(
        "/v1/tasks/external-provider", json={"index_id": index["_id"], "url": site.url + page}
    )
    assert created.status_code == 201
    _refused(site, page, _failed_task(http, created.json()["_id"])["error"])


def test_chat_video_url(http: TestClient, site: Site) -> None:
    page = "/flip/chat"
    video = {"type": "video_url", "video_url": {"url": site.url + page}}
    answer = http.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, video]}]},
    )
    assert answer.status_code == 403
    _refused(site, page, answer.json()["error"])


@pytest.mark.models
def test_video_generate(http: TestClient, site: Site) -> None:
    page = "/flip/generate"
    answer = http.post("/v1/video/generate", json={"url": site.url + page})
    assert answer.status_code == 403
    _refused(site, page, answer.json()["error"])
    # A callback to the private address is refused when the request comes in.
    hook = http.post(
        "/v1/video/generate",
        json={"url": site.url + "/clip.mp4", "callback_url": f"{site.canary_url}/hook"},
    )
    assert hook.status_code == 403 and hook.json()["error"]["code"] == "url_not_allowed"
    # A public callback is POSTed the finished prediction (through the same checked client).
    done = http.post(
        "/v1/video/generate",
        json={"url": site.url + "/clip.mp4", "callback_url": site.url + "/hook/generate"},
    )
    assert done.status_code == 200 and done.json()["status"] == "completed", done.json()
    assert done.json()["usage"]["duration_seconds"] == pytest.approx(1.0, abs=0.05)
    wait_for(lambda: site.hits["/hook/generate"] or None, 10.0, "the callback")
    assert site.canary_hits == []


def test_search_query_media_url(http: TestClient, site: Site) -> None:
    index = http.post("/v1/indexes", json={"index_name": "ssrf"}).json()
    page = "/flip/search"
    answer = http.post(
        "/v1/search",
        data={
            "index_id": index["_id"],
            "search_options": "visual",
            "query_media_type": "image",
            "query_media_url": site.url + page,
        },
    )
    assert answer.status_code == 403
    _refused(site, page, answer.json())
