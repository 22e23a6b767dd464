"""Signed media URLs on a key-guarded app (in-process, Starlette's TestClient): ``POST
/v1/media/sign`` gives a URL that opens a video's stream or thumbnail without the key (with
range requests), for GET/HEAD and that one path only, until it expires."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import MediaCache
from tests.library_support import make_settings, shared_models, spoken_clip, wait_for
from vidsense.errors import SignatureInvalid
from vidsense.server import create_app
from vidsense.signing import UrlSigner

pytestmark = pytest.mark.models

KEY = "signing-test-key"
AUTH = {"x-api-key": KEY}


@pytest.fixture(scope="module")
def guarded(
    media: MediaCache, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, str]]:
    """A key-guarded app with one indexed clip: the client (no key by default) and the clip's
    video path ``/v1/indexes/{index_id}/videos/{video_id}``."""
    clip = spoken_clip(media)
    models = shared_models(tmp_path_factory)
    settings = make_settings(tmp_path_factory.mktemp("signing") / "data", models, api_key=KEY)
    with TestClient(create_app(settings)) as http:
        index_id = http.post("/v1/indexes", json={"index_name": "signed"}, headers=AUTH).json()[
            "_id"
        ]
        with clip.open("rb") as f:
            task = http.post(
                "/v1/tasks",
                data={"index_id": index_id},
                files={"video_file": (clip.name, f, "video/mp4")},
                headers=AUTH,
            ).json()

        def ready() -> dict[str, Any] | None:
            found: dict[str, Any] = http.get(f"/v1/tasks/{task['_id']}", headers=AUTH).json()
            return found if found["status"] in ("ready", "failed") else None

        done = wait_for(ready, 180, "the clip to be indexed")
        assert done["status"] == "ready", done
        yield http, f"/v1/indexes/{index_id}/videos/{done['video_id']}"


def _sign(http: TestClient, path: str, **extra: Any) -> str:
    response = http.post("/v1/media/sign", json={"path": path, **extra}, headers=AUTH)
    assert response.status_code == 200, response.text
    url: str = response.json()["url"]
    assert url.startswith(path.split("?")[0] + "?") and "signature=" in url
    return url


def test_signed_stream_opens_without_a_key_with_ranges(guarded: tuple[TestClient, str]) -> None:
    http, video = guarded
    assert http.get(video + "/stream").status_code == 401
    url = _sign(http, video + "/stream")
    whole = http.get(url)
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    part = http.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert part.content == whole.content[:100]


def test_signed_thumbnail_keeps_its_time(guarded: tuple[TestClient, str]) -> None:
    http, video = guarded
    url = _sign(http, video + "/thumbnail.jpg?time=1.500")
    assert "time=1.500&expires=" in url
    image = http.get(url)
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"


def test_forged_expired_and_misused_signatures(guarded: tuple[TestClient, str]) -> None:
    http, video = guarded
    url = _sign(http, video + "/stream")
    path, _, query = url.partition("?")
    params = dict(p.split("=") for p in query.split("&"))
    tampered = params["signature"][:-1] + ("0" if params["signature"][-1] != "0" else "1")
    forged = http.get(f"{path}?expires={params['expires']}&signature={tampered}")
    assert forged.status_code == 403 and forged.json()["code"] == "signature_invalid"
    later = http.get(f"{path}?expires={int(params['expires']) + 1}&signature={params['signature']}")
    assert later.status_code == 403  # the expiry is signed too

    past = int(time.time()) - 10
    old = UrlSigner(KEY).signature(path, past)
    expired = http.get(f"{path}?expires={past}&signature={old}")
    assert expired.status_code == 403 and "expired" in expired.json()["message"]

    # a signature opens its own path only
    for other in (video, video + "/thumbnail.jpg", video + "/transcription", "/v1/indexes"):
        assert http.get(f"{other}?{query}").status_code == 403, other
    # reads only: a signature is no key for writes
    assert http.delete(f"{video}?{query}").status_code == 401
    assert http.post(f"/v1/indexes?{query}", json={"index_name": "x"}).status_code == 401
    assert http.get(video, headers=AUTH).status_code == 200  # still there


def test_only_video_media_paths_are_signed(guarded: tuple[TestClient, str]) -> None:
    http, video = guarded
    for path in (
        "/v1/indexes",
        video,
        video + "/transcription",
        video + "/stream/../../../indexes",
        "/v1/artifacts/s/img_123456",
        "http://elsewhere.example" + video + "/stream",
        "/v2" + video.removeprefix("/v1") + "/stream",
    ):
        refused = http.post("/v1/media/sign", json={"path": path}, headers=AUTH)
        assert refused.status_code == 400, path
        assert refused.json()["code"] == "invalid_argument"
    assert http.post("/v1/media/sign", json={"path": video + "/stream"}).status_code == 401
    assert _sign(http, "/v1.3" + video.removeprefix("/v1") + "/stream")


def test_without_keys_the_plain_path_comes_back(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", tmp_path / "models")
    with TestClient(create_app(settings, run_workers=False)) as http:
        path = "/v1/indexes/i/videos/v/stream"
        answer = http.post("/v1/media/sign", json={"path": path}).json()
        assert answer == {"url": path, "expires_at": None}


def test_signer_round_trip() -> None:
    signer = UrlSigner(KEY)
    query = signer.sign("/a/b", 60)
    expires, signature = (p.split("=")[1] for p in query.split("&"))
    signer.verify("/a/b", expires, signature)
    for path, when, sig in (("/a/c", expires, signature), ("/a/b", expires, None)):
        with pytest.raises(SignatureInvalid):
            signer.verify(path, when, sig)
    with pytest.raises(SignatureInvalid):
        UrlSigner("another key").verify("/a/b", expires, signature)
