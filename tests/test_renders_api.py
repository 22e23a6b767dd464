"""Renders, edits and generated videos over HTTP, against the real app with its job workers:
specs checked at once (a 400 naming the field, nothing queued), followed to the end, the
file downloaded with a range request and probed; cancel and delete; subtitles downloaded as
SRT and WebVTT; ``/v1/videos`` with the storyboard generator and with the ``openai`` one
forwarding to a small local server that speaks the Videos API (a fake, at the one boundary
that cannot run here: no text-to-video model is reachable).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from tests.conftest import MediaCache
from tests.factory import run
from tests.library_support import make_settings, spoken_clip, wait_for
from tests.render_support import ffprobe
from tests.test_server import ready, upload
from vidsense.jobs.runs import claim, run_job
from vidsense.library import Library
from vidsense.server import create_app
from vidsense.studio.renders import Renders
from vidsense.studio.sources import Sources
from vidsense.studio.videos import generate_video

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("renders-api")
    app = create_app(make_settings(root / "data", models_dir, job_workers=1))
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def logo_id(http: TestClient, tmp_path_factory: pytest.TempPathFactory) -> str:
    logo = tmp_path_factory.mktemp("logo") / "logo.png"
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=magenta:s=200x100",
         "-frames:v", "1", str(logo)])  # fmt: skip
    with logo.open("rb") as f:
        answer = http.post("/v1/files", files={"file": ("logo.png", f)}, data={"purpose": "vision"})
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["id"])


@pytest.fixture(scope="module")
def video_id(http: TestClient, media: MediaCache) -> str:
    """An indexed 4 s clip in which "the library keeps every video" is said from 0.3 s."""
    index = http.post("/v1/indexes", json={"index_name": "renders"}).json()
    created = upload(http, index["_id"], spoken_clip(media)).json()
    task = ready(http, created["_id"], timeout=300)
    assert task["status"] == "ready", task
    return str(task["video_id"])


def finished(http: TestClient, path: str, timeout: float = 300.0) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        body: dict[str, Any] = http.get(path).json()
        return body if body["status"] in ("completed", "failed") else None

    found: dict[str, Any] = wait_for(check, timeout, path, poll=0.3)
    return found


def _error(answer: Any, status: int, param: str | None, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    error: dict[str, Any] = answer.json()["error"]
    assert (error["param"], error["code"]) == (param, code), error
    assert error["type"] == "invalid_request_error" if status == 400 else True
    return error


# -- renders ---------------------------------------------------------------------------------


def test_a_spec_is_rendered_followed_and_downloaded_with_ranges(
    http: TestClient, video_id: str, logo_id: str, tmp_path: Path
) -> None:
    spec = {
        "clips": [
            {"kind": "video", "source": video_id, "start": 0.5, "end": 2.5},
            {
                "kind": "color",
                "color": "black",
                "duration": 1.0,
                "transition": {"kind": "fade_black", "duration": 0.4},
            },
        ],
        "overlays": [
            {"kind": "image", "source": logo_id, "position": "top-left"},
            {"kind": "text", "text": "THE END", "font": "DejaVuSans.ttf", "start": 2.0},
        ],
        "output": {"width": 480, "aspect": "16:9"},
    }
    created = http.post("/v1/renders", json=spec)
    assert created.status_code == 201, created.text
    render = created.json()
    assert render["id"].startswith("render_") and render["status"] == "enqueued"
    assert render["planned"] == {"duration": 2.6, "width": 480, "height": 270, "fps": 15.0,
                                 "codec": "h264"}  # fmt: skip
    done = finished(http, f"/v1/renders/{render['id']}")
    assert done["status"] == "completed", done["error"]
    assert done["progress"] == 100
    output = done["output"]
    assert (output["width"], output["height"], output["duration"]) == (480, 270, 2.6)
    assert output["audio"] and output["media_type"] == "video/mp4"
    url = done["content_url"]
    whole = http.get(url)
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert len(whole.content) == output["size"]
    part = http.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole.content[100:200]
    out = tmp_path / "render.mp4"
    out.write_bytes(whole.content)
    data = ffprobe(out)
    assert data["video"]["seconds"] == pytest.approx(2.6, abs=1 / 15)
    assert render["id"] in [r["id"] for r in http.get("/v1/renders").json()["data"]]


def test_bad_specs_are_400s_naming_the_field_and_queue_nothing(
    http: TestClient, video_id: str
) -> None:
    before = http.get("/v1/renders?limit=100").json()["data"]
    clip = {"kind": "video", "source": video_id}
    cases = [
        ({"clips": [{"kind": "video", "source": "0" * 24}]}, "clips[0].source", "video_not_found"),
        ({"clips": [{**clip, "end": 9.5}]}, "clips[0].end", "invalid_argument"),
        ({"clips": [clip], "overlays": [{"kind": "text", "text": "hi", "font": "Nope.ttf"}]},
         "overlays[0].font", "font_not_found"),
        ({"clips": [{"kind": "video", "source": "/etc/passwd"}]}, "clips[0].source",
         "source_not_allowed"),
        ({"clips": [{"kind": "image", "source": "file-" + "0" * 24, "duration": 1}]},
         "clips[0].source", "file_not_found"),
        ({"clips": [clip], "output": {"codec": "mpeg2"}}, "output.codec", "invalid_argument"),
        # five hours of black, past the 4 h of limits.render_seconds
        ({"clips": [{"kind": "color", "duration": 3600}] * 5}, "clips", "render_too_long"),
    ]  # fmt: skip
    for spec, param, code in cases:
        error = _error(http.post("/v1/renders", json=spec), 400, param, code)
        assert error["message"].startswith(param), error
    assert http.get("/v1/renders?limit=100").json()["data"] == before
    _error(http.get("/v1/renders/render_" + "0" * 24), 404, None, "render_not_found")


def test_cancel_stops_a_render_and_delete_removes_it(http: TestClient) -> None:
    slow = {"clips": [{"kind": "color", "color": "navy", "duration": 300}],
            "overlays": [{"kind": "text", "text": "%{pts}", "start": 0}],
            "output": {"width": 1920, "height": 1080, "preset": "slow"}}  # fmt: skip
    render = http.post("/v1/renders", json=slow).json()
    wait_for(lambda: http.get(f"/v1/renders/{render['id']}").json()["status"] == "running",
             60, "the render to start")  # fmt: skip
    cancelled = http.post(f"/v1/renders/{render['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "failed"
    assert cancelled.json()["error"]["code"] == "cancelled"
    _error(http.get(f"/v1/renders/{render['id']}/content"), 409, None, "render_not_ready")
    _error(http.post(f"/v1/renders/{render['id']}/cancel"), 409, None, "job_state")
    deleted = http.delete(f"/v1/renders/{render['id']}").json()
    assert deleted == {"id": render["id"], "object": "render.deleted", "deleted": True}
    _error(http.get(f"/v1/renders/{render['id']}"), 404, None, "render_not_found")
    # the worker is free again: a short render completes
    quick = http.post("/v1/renders", json={"clips": [{"kind": "color", "duration": 0.5}]})
    assert finished(http, f"/v1/renders/{quick.json()['id']}")["status"] == "completed"


# -- edits and subtitles -------------------------------------------------------------------


def test_edits_are_listed_and_run_as_renders(
    http: TestClient, video_id: str, tmp_path: Path
) -> None:
    names = [e["name"] for e in http.get("/v1/edits").json()["data"]]
    assert {"reel", "subtitles", "reframe", "speed", "animation", "concat", "slideshow",
            "watermark", "trim"} <= set(names)  # fmt: skip
    created = http.post("/v1/edits/subtitles", json={"video_id": video_id, "mode": "track"})
    assert created.status_code == 201, created.text
    assert created.json()["edit"] == "subtitles"
    done = finished(http, f"/v1/renders/{created.json()['id']}")
    assert done["status"] == "completed", done["error"]
    assert done["output"]["subtitle_track"] is True
    out = tmp_path / "subs.mp4"
    out.write_bytes(http.get(done["content_url"]).content)
    assert ffprobe(out)["subtitle"]["codec_name"] == "mov_text"
    _error(http.post("/v1/edits/speed", json={"video_id": video_id, "speed": 10}), 400,
           "speed", "invalid_argument")  # fmt: skip
    _error(http.post("/v1/edits/reel", json={"video_id": "f" * 24}), 400, "video_id",
           "video_not_found")  # fmt: skip
    _error(http.post("/v1/edits/explode", json={}), 404, None, "edit_not_found")


def test_the_transcript_downloads_as_srt_and_vtt(http: TestClient, video_id: str) -> None:
    index_id = http.get("/v1/indexes?page_limit=50").json()["data"][0]["_id"]
    base = f"/v1/indexes/{index_id}/videos/{video_id}/transcription"
    srt = http.get(base, params={"format": "srt"})
    assert srt.status_code == 200 and srt.headers["content-type"].startswith("application/x-subrip")
    assert srt.text.startswith("1\n00:00:00,") and "library" in srt.text.lower()
    vtt = http.get(base, params={"format": "vtt"})
    assert vtt.text.startswith("WEBVTT") and " --> " in vtt.text and "video" in vtt.text.lower()
    assert http.get(base).json()["data"][0]["value"]  # JSON stays the default
    bad = http.get(base, params={"format": "doc"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_format"


# -- the job, run directly -----------------------------------------------------------------------


def test_a_render_handed_back_at_shutdown_starts_again(lib: Library, tmp_path: Path) -> None:
    renders = Renders(lib, Sources(lib))
    job = renders.submit({"clips": [{"kind": "color", "color": "navy", "duration": 2.0}]})
    first = claim(lib, "worker-a", 30.0, kinds=["render"])
    assert first is not None and first.job.id == job.id
    first.cancel.set()  # the server is stopping
    run_job(first, {"render": renders.run})
    assert lib.get_job(job.id).status == "pending"
    again = claim(lib, "worker-b", 30.0, kinds=["render"])
    assert again is not None and again.job.attempts == 2
    run_job(again, {"render": renders.run})
    done = lib.get_job(job.id)
    assert done.status == "completed" and done.result is not None
    assert done.result["duration"] == pytest.approx(2.0) and done.result["frames"] == 60
    assert renders.content(job.id).path.is_file()


# -- generated videos ----------------------------------------------------------------------------


def test_a_storyboard_from_json_with_a_data_url_image(http: TestClient, tmp_path: Path) -> None:
    image = tmp_path / "white.png"
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=white:s=320x240",
         "-frames:v", "1", str(image)])  # fmt: skip
    data_url = "data:image/png;base64," + base64.b64encode(image.read_bytes()).decode()
    created = http.post("/v1/videos", json={
        "prompt": "A white page. It waits on a desk. Nothing moves.", "seconds": "8",
        "size": "640x360", "input_reference": {"image_url": data_url},
    })  # fmt: skip
    assert created.status_code == 200, created.text
    video = created.json()
    assert video["object"] == "video" and video["status"] == "queued"
    assert (video["seconds"], video["size"], video["model"]) == ("8", "640x360", "storyboard")
    done = finished(http, f"/v1/videos/{video['id']}")
    assert done["status"] == "completed", done["error"]
    about = done["vidsense"]
    assert about["generative_model"] is False and "not a generative" in about["description"]
    assert [s["text"] for s in about["scenes"]] == [
        "A white page.", "It waits on a desk.", "Nothing moves.",
    ]  # fmt: skip
    out = tmp_path / "board.mp4"
    out.write_bytes(http.get(f"/v1/videos/{video['id']}/content").content)
    probed = ffprobe(out)
    assert probed["video"]["seconds"] == pytest.approx(8.0, abs=1 / 30)
    assert (probed["video"]["width"], probed["video"]["height"]) == (640, 360)
    assert probed["audio"]["seconds"] == pytest.approx(8.0, abs=1 / 30)
    sheet = http.get(f"/v1/videos/{video['id']}/content", params={"variant": "spritesheet"})
    assert sheet.headers["content-type"] == "image/jpeg" and sheet.content[:3] == b"\xff\xd8\xff"
    bad = http.post("/v1/videos", data={"prompt": "x", "size": "640by360"})
    _error(bad, 400, "size", "invalid_argument")
    _error(http.post("/v1/videos", data={"prompt": "x", "seconds": "7"}), 400, "seconds",
           "invalid_argument")  # fmt: skip


class _FakeVideos(BaseHTTPRequestHandler):
    """A stand-in for a hosted text-to-video endpoint speaking OpenAI's Videos API: a job is
    queued, in progress at 50 %, then completed with a 2 s clip it made with ffmpeg."""

    clip: Path
    jobs: ClassVar[dict[str, dict[str, Any]]] = {}
    received: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        import email.parser
        import email.policy

        length = int(self.headers["content-length"])
        raw = f"content-type: {self.headers['content-type']}\n\n".encode() + self.rfile.read(length)
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        fields = {
            part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
            for part in message.iter_parts()
        }
        self.received.append(fields)
        if fields.get("seconds") == b"99":
            self._json(400, {"error": {"message": "seconds must be 4, 8 or 12",
                                       "type": "invalid_request_error", "param": "seconds",
                                       "code": "invalid_value"}})  # fmt: skip
            return
        job = {"id": f"remote_{len(self.jobs)}", "object": "video", "status": "queued",
               "progress": 0, "model": fields["model"].decode(), "polls": 0}  # fmt: skip
        self.jobs[job["id"]] = job
        self._json(200, job)

    def do_GET(self) -> None:
        parts = self.path.split("?")[0].strip("/").split("/")
        job = self.jobs.get(parts[2]) if len(parts) >= 3 else None
        if job is None:
            self._json(404, {"error": {"message": "no such video", "code": "not_found"}})
            return
        if len(parts) == 4:
            data = self.clip.read_bytes()
            self.send_response(200)
            self.send_header("content-type", "video/mp4")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        job["polls"] += 1
        job.update({1: {"status": "in_progress", "progress": 50}}.get(
            job["polls"], {"status": "completed", "progress": 100}))  # fmt: skip
        self._json(200, job)


@pytest.fixture
def fake_endpoint(tmp_path: Path) -> Iterator[tuple[str, type[_FakeVideos]]]:
    clip = tmp_path / "remote.mp4"
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=2",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)])  # fmt: skip
    handler = type("Handler", (_FakeVideos,), {"clip": clip, "jobs": {}, "received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_the_openai_generator_forwards_and_follows_the_job(
    fake_endpoint: tuple[str, type[_FakeVideos]], tmp_path: Path, models_dir: Path
) -> None:
    url, endpoint = fake_endpoint
    settings = make_settings(tmp_path / "data", models_dir, job_workers=1, workers=1)
    settings.videos.generator = "openai"
    settings.videos.base_url = url
    settings.videos.poll_seconds = 0.1
    image = tmp_path / "ref.png"
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=64x64",
         "-frames:v", "1", str(image)])  # fmt: skip
    with TestClient(create_app(settings)) as client:
        with image.open("rb") as f:
            form = {"prompt": "A red square", "model": "sora-2", "seconds": "4", "size": "320x240"}
            reference = {"input_reference": ("ref.png", f, "image/png")}
            created = client.post("/v1/videos", data=form, files=reference)
        assert created.status_code == 200, created.text
        video = created.json()
        assert video["model"] == "sora-2" and video["vidsense"]["generator"] == "openai"
        done = finished(client, f"/v1/videos/{video['id']}", timeout=120)
        assert done["status"] == "completed", done["error"]
        assert done["vidsense"]["endpoint_video_id"] == "remote_0"
        sent = endpoint.received[0]
        assert (sent["prompt"], sent["model"], sent["seconds"], sent["size"]) == (
            b"A red square", b"sora-2", b"4", b"320x240")  # fmt: skip
        assert sent["input_reference"] == image.read_bytes()
        content = client.get(f"/v1/videos/{video['id']}/content").content
        assert content == (tmp_path / "remote.mp4").read_bytes()
        thumb = client.get(f"/v1/videos/{video['id']}/content?variant=thumbnail")
        assert thumb.content[:3] == b"\xff\xd8\xff"  # made here from the clip
        refused = client.post("/v1/videos", data={"prompt": "x", "seconds": "99"})
        failed = finished(client, f"/v1/videos/{refused.json()['id']}", timeout=60)
        assert failed["status"] == "failed"
        assert "seconds must be 4, 8 or 12" in failed["error"]["message"]


def test_generate_video_for_chat(lib: Library, tmp_path: Path) -> None:
    made = generate_video(lib, "A harbour at dawn. Boats leave.", tmp_path / "made.mp4",
                          seconds=10, size="320x180")  # fmt: skip
    assert made.path == tmp_path / "made.mp4" and made.path.is_file()
    assert made.seconds == pytest.approx(8.0, abs=1 / 30)  # the storyboard's nearest length
    assert made.metadata["generator"] == "storyboard" and not made.metadata["generative_model"]
    assert ffprobe(made.path)["video"]["width"] == 320
