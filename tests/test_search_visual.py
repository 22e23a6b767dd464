"""Visual search with a CLIP-family model configured: keyframe vectors written at indexing,
``visual`` text queries and image queries served by them, through the real app.

The model is the tiny random one of ``tests/clip_support.py`` (no real weights ship offline):
its vectors are a fixed random projection of a 16x16 thumbnail, which is enough to find a
frame's own shot among distinct pictures, and to check that text queries are ranked by the
image-text cosine, but says nothing about meaning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.clip_support import make_tiny_clip
from tests.conftest import MediaCache
from tests.factory import Scene, make_video
from tests.library_support import make_settings, shared_models, wait_for
from vidsense.config import ModelSettings
from vidsense.library import Library
from vidsense.media.frames import thumbnail
from vidsense.models.base import VisualEmbedder
from vidsense.models.visual import VisualEntry
from vidsense.search.images import read_image
from vidsense.server import create_app

pytestmark = pytest.mark.models

# Three 4 s clips of two 2 s shots each, every shot a different picture.
CLIPS: dict[str, list[str]] = {
    "visual-bars.mp4": ["smptebars", "color=c=red"],
    "visual-test.mp4": ["testsrc2", "color=c=0x1b4d2b"],
    "visual-rgb.mp4": ["rgbtestsrc", "color=c=yellow"],
}
SHOT = 2.0


@dataclass
class VisualLibrary:
    http: TestClient
    library: Library
    embedder: VisualEmbedder
    index_id: str
    video_ids: dict[str, str]  # clip name -> video id
    paths: dict[str, Path]


def _clip(media: MediaCache, name: str) -> Path:
    def build(out: Path) -> None:
        make_video(out, [Scene(SHOT, s) for s in CLIPS[name]], size="320x240", fps=15)

    return media.get(name, build)


@pytest.fixture(scope="module")
def vl(media: MediaCache, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VisualLibrary]:
    root = tmp_path_factory.mktemp("search-visual")
    models = shared_models(tmp_path_factory)
    clip_model = make_tiny_clip(root / "tiny-clip")
    settings = make_settings(
        root / "data", models, models=ModelSettings(dir=models, visual=clip_model)
    )
    paths = {name: _clip(media, name) for name in CLIPS}
    with TestClient(create_app(settings)) as http:
        created = http.post(
            "/v1/indexes",
            json={
                "index_name": "visual",
                "models": [{"model_name": "marengo3.0", "model_options": ["visual"]}],
            },
        )
        assert created.status_code == 201, created.text
        index_id = created.json()["_id"]
        tasks = {}
        for name, path in paths.items():
            with path.open("rb") as f:
                sent = http.post(
                    "/v1/tasks",
                    data={"index_id": index_id},
                    files={"video_file": (name, f, "video/mp4")},
                )
            assert sent.status_code in (200, 201), sent.text
            tasks[name] = sent.json()["_id"]
        video_ids = {}
        for name, task_id in tasks.items():
            task = _ready(http, task_id)
            assert task["status"] == "ready", task
            video_ids[name] = task["video_id"]
        yield VisualLibrary(
            http,
            http.app.state.services.library,  # type: ignore[attr-defined]
            VisualEntry(settings).load(),
            index_id,
            video_ids,
            paths,
        )


def _ready(http: TestClient, task_id: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        task: dict[str, Any] = http.get(f"/v1/tasks/{task_id}").json()
        return task if task["status"] in ("ready", "failed") else None

    found: dict[str, Any] = wait_for(check, 120.0, f"task {task_id}")
    return found


def _search(vl: VisualLibrary, **body: Any) -> dict[str, Any]:
    reply = vl.http.post("/v1/search", json={"index_id": vl.index_id, **body})
    assert reply.status_code == 200, reply.text
    found: dict[str, Any] = reply.json()
    return found


def test_keyframes_have_visual_vectors(vl: VisualLibrary) -> None:
    store = vl.library.store
    for name, video_id in vl.video_ids.items():
        keyframes = store.keyframes(video_id)
        # Each of the two shots has at least one keyframe.
        assert {k.shot_index for k in keyframes} >= {0, 1}, name
        pixels = [read_image(store.blobs.path(k.blob_key)) for k in keyframes]
        for keyframe, vector in zip(keyframes, vl.embedder.embed_images(pixels), strict=True):
            # The stored vector of the keyframe is its image's embedding: it is its own
            # nearest neighbour, at cosine 1.
            hits = store.search_vectors(vl.index_id, "visual", vector, limit=1)
            assert hits and hits[0][1] == pytest.approx(1.0, abs=1e-3), (name, keyframe)
            nearest = store.get_keyframes([hits[0][0]])[hits[0][0]]
            assert nearest.video_id == video_id and nearest.time == keyframe.time


def test_visual_text_search_uses_clip(vl: VisualLibrary) -> None:
    query = "a red dog on the beach"
    body = _search(vl, query=query, search_options=["visual"], threshold="none", page_limit=50)
    assert body["visual_evidence"] == "clip"
    assert body["data"], body
    for hit in body["data"]:
        assert set(hit["module_confidence"]) == {"visual"}
        assert hit["metadata"][0]["type"] == "visual" and "keyframe_time" in hit["metadata"][0]
        assert hit["start"] <= hit["metadata"][0]["keyframe_time"] <= hit["end"]
    # The top hit is the keyframe whose image is nearest the query text in CLIP space.
    store = vl.library.store
    frames = [k for v in vl.video_ids.values() for k in store.keyframes(v)]
    images = vl.embedder.embed_images([read_image(store.blobs.path(k.blob_key)) for k in frames])
    best = frames[int(np.argmax(images @ vl.embedder.embed_texts([query])[0]))]
    top = body["data"][0]
    assert top["video_id"] == best.video_id
    assert top["metadata"][0]["keyframe_time"] == pytest.approx(best.time, abs=1e-3)


@pytest.mark.parametrize(
    ("name", "at"), [("visual-bars.mp4", 3.0), ("visual-test.mp4", 1.0), ("visual-rgb.mp4", 0.8)]
)
def test_a_frame_finds_its_shot_with_clip(
    vl: VisualLibrary, tmp_path: Path, name: str, at: float
) -> None:
    frame = tmp_path / "frame.jpg"
    thumbnail(vl.paths[name], at, frame, width=320)
    with frame.open("rb") as f:
        reply = vl.http.post(
            "/v1/search",
            data={"index_id": vl.index_id, "query_media_type": "image", "search_options": "visual"},
            files={"query_media_file": ("frame.jpg", f, "image/jpeg")},
        )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["visual_evidence"] == "clip"
    top = body["data"][0]
    assert top["video_id"] == vl.video_ids[name]
    shot = int(at // SHOT)
    assert top["start"] == pytest.approx(shot * SHOT, abs=0.2)
    assert top["end"] == pytest.approx((shot + 1) * SHOT, abs=0.2)
    assert top["score"] >= 80 and top["metadata"][0]["type"] == "visual"
    # The same picture beats every other shot of the library.
    others = [
        h
        for h in body["data"][1:]
        if (h["video_id"], h["start"]) != (top["video_id"], top["start"])
    ]
    assert all(h["score"] < top["score"] for h in others)
