"""OpenAI-compatible video chat against a real ``vidsense serve`` with the real ``openai``
client: answers, structured output, frames and clips as artifacts (signed URLs), files, bad
input in OpenAI's error envelope, and VLM Run-style requests: the Orion cookbook's response
models (frames, trims, highlights, typed artifact references) filled by the tools, requests
read as users phrase them, and what vidsense cannot do said plainly.

The topic video (three subjects, known chapter starts) is served to the server over a local
HTTP server; the server under test allows private addresses for that. The private-address
refusal is checked on an in-process app with the default rules.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import openai
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from tests.conftest import MediaCache
from tests.factory import join_shots, lavfi
from tests.library_support import ServerProcess, make_settings, shared_models, spoken_clip
from tests.sdk_support import invoice_image
from tests.writing_support import TOPICS, TopicVideo, make_topic_video
from vidsense.media.frames import extract_frames
from vidsense.server.app import create_app
from vidsense.times import hms

pytestmark = pytest.mark.models

KEY = "chat-test-key"


@dataclass
class Chat:
    server: ServerProcess
    client: Any
    """An ``openai.OpenAI`` (typed loosely: the messages carry vidsense's extra part kinds)."""
    truth: TopicVideo
    video_url: str
    media_url: str
    first: Any
    """The reply to the first question (which indexed the video)."""

    def ask(self, text: str, **kwargs: Any) -> Any:
        content = [{"type": "text", "text": text},
                   {"type": "video_url", "video_url": {"url": self.video_url}}]  # fmt: skip
        return self.client.chat.completions.create(
            model="vidsense-1", messages=[{"role": "user", "content": content}], **kwargs
        )

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, headers={"x-api-key": KEY}, timeout=120)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def chat(media: MediaCache, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chat]:
    truth = make_topic_video(media.root / "topics3.mp4", TOPICS[:3])
    (media.root / "notes.txt").write_text("this is not a video\n" * 50)
    files = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_Quiet, directory=str(media.root))
    )
    threading.Thread(target=files.serve_forever, daemon=True).start()
    media_url = f"http://127.0.0.1:{files.server_address[1]}"
    root = tmp_path_factory.mktemp("chat")
    models = shared_models(tmp_path_factory)
    server = ServerProcess(
        root / "data", models, VIDSENSE_FETCH__ALLOW_PRIVATE="true", VIDSENSE_API_KEY=KEY
    ).start()
    try:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, timeout=300)
        ready = Chat(server, client, truth, f"{media_url}/topics3.mp4", media_url, None)
        ready.first = ready.ask("Describe this video in 2-3 sentences.")
        yield ready
    finally:
        server.stop()
        files.shutdown()
        files.server_close()


def _download(url: str) -> bytes:
    response = httpx.get(url, timeout=60)  # no key: the URL is signed
    assert response.status_code == 200, response.text
    return response.content


def _duration(data: bytes, tmp: Path) -> float:
    path = tmp / "clip.mp4"
    path.write_bytes(data)
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(path)], capture_output=True, check=True, text=True,
    )  # fmt: skip
    return float(out.stdout.strip())


def _message(reply: Any) -> dict[str, Any]:
    data: dict[str, Any] = reply.choices[0].message.model_dump()
    return data


# -- answers -------------------------------------------------------------------------------


def test_describe_a_video(chat: Chat) -> None:
    reply = chat.first
    text = reply.choices[0].message.content
    assert text and len(text.split()) >= 8
    assert any(w in text.lower() for w in ("lighthouse", "volcano", "coffee"))
    assert reply.usage.total_tokens > 0
    extra = reply.model_dump()
    assert extra["session_id"] and extra["citations"]
    assert extra["vidsense"]["videos"][0]["duration"] == pytest.approx(72.0, abs=0.2)


def test_chat_videos_live_in_an_index_users_cannot_name(chat: Chat) -> None:
    with chat.http() as http:
        [own] = http.get("/v1/indexes", params={"index_name": "vidsense:chat"}).json()["data"]
        assert own["video_count"] >= 1  # the video the first question sent
        taken = http.post("/v1/indexes", json={"index_name": "vidsense:chat"})
        assert taken.status_code == 400 and taken.json()["code"] == "invalid_argument"
        assert "vidsense's own" in taken.json()["message"]
        mine = http.post("/v1/indexes", json={"index_name": "chat"})  # a user's own "chat"
        assert mine.status_code == 201, mine.text
        renamed = http.put(f"/v1/indexes/{mine.json()['_id']}", json={"index_name": "Vidsense:x"})
        assert renamed.status_code == 400


def test_the_shot_list_tells_a_dissolve(chat: Chat, media: MediaCache) -> None:
    # Two 3 s shots joined by a 1 s dissolve from 2.0 to 3.0 s: shot 2 starts at its middle.
    parts = [(lavfi(source, 3.0), 3.0, "null") for source in ("testsrc2", "smptebars")]
    media.get("chat_dissolve.mp4", lambda out: join_shots(out, parts, [("dissolve", 1.0)]))
    url = f"{chat.media_url}/chat_dissolve.mp4"
    content = [{"type": "text", "text": "List the shots"},
               {"type": "video_url", "video_url": {"url": url}}]  # fmt: skip
    reply = chat.client.chat.completions.create(
        model="vidsense-1", messages=[{"role": "user", "content": content}]
    )
    text = reply.choices[0].message.content
    time = r"00:00:(\d\d(?:\.\d+)?)"
    found = re.search(rf"Shot 2: {time}-{time} \(after a dissolve, {time}-{time}\)", text)
    assert found and "Shot 3" not in text, text
    start, _, lo, hi = (float(g) for g in found.groups())
    assert (start, lo, hi) == pytest.approx((2.5, 2.0, 3.0), abs=0.1)


class Chapter(BaseModel):
    start_time: str
    title: str


class Overview(BaseModel):
    topic: str
    summary: str
    chapters: list[Chapter]


def test_structured_overview_has_the_computed_chapter_starts(chat: Chat) -> None:
    content = [
        {"type": "text", "text": "Give the topic, a summary and the chapters of this video."},
        {"type": "video_url", "video_url": chat.video_url},  # the plain-string form
    ]
    reply = chat.client.beta.chat.completions.parse(
        model="vidsense-1",
        messages=[{"role": "user", "content": content}],
        response_format=Overview,
    )
    parsed = reply.choices[0].message.parsed
    assert parsed is not None and parsed.summary
    video_id = reply.model_dump(warnings=False)["vidsense"]["videos"][0]["video_id"]
    with chat.http() as h:
        computed = h.post("/v1/summarize", json={"video_id": video_id, "type": "chapter"}).json()
    starts = [hms(c["start_sec"]) for c in computed["chapters"]]
    assert [c.start_time for c in parsed.chapters] == starts
    assert starts == ["00:00:00", *(hms(b) for b in chat.truth.boundaries)]


def test_frames_at_chapter_starts_are_those_frames(chat: Chat, tmp_path: Path) -> None:
    reply = chat.ask("Show me a frame at the start of each chapter.")
    message = _message(reply)
    images = [a for a in message["artifacts"] if a["type"] == "image"]
    assert [a["time"] for a in images] == [0.0, *chat.truth.boundaries]
    for artifact in images:
        assert artifact["id"].startswith("img_") and "signature=" in artifact["url"]
        assert artifact["url"] in message["content"]
        got = cv2.imdecode(np.frombuffer(_download(artifact["url"]), np.uint8), cv2.IMREAD_COLOR)
        assert got is not None
        t = min(artifact["time"], chat.truth.duration - 0.05)
        [want_file] = extract_frames(chat.truth.path, tmp_path / artifact["id"], at=[t])
        want = cv2.imread(str(want_file.path))
        assert want is not None
        assert got.shape == want.shape
        assert float(np.abs(got.astype(int) - want.astype(int)).mean()) < 4.0


def test_trim_gives_a_fifteen_second_clip(chat: Chat, tmp_path: Path) -> None:
    message = _message(chat.ask("Trim this video from 00:30 to 00:45"))
    [clip] = message["artifacts"]
    assert clip["type"] == "video" and clip["id"].startswith("vid_")
    assert (clip["start"], clip["end"]) == (30.0, 45.0)
    assert _duration(_download(clip["url"]), tmp_path) == pytest.approx(15.0, abs=0.1)


def test_three_highlights_as_clips(chat: Chat, tmp_path: Path) -> None:
    message = _message(chat.ask("What are the three best highlights?"))
    clips = message["artifacts"]
    assert len(clips) == 3
    lines = [ln for ln in message["content"].splitlines() if ln.strip()]
    assert len(lines) == 3
    for clip, line in zip(clips, lines, strict=True):
        assert clip["url"] in line and len(line.split()) > 4  # a description with its clip
        length = clip["end"] - clip["start"]
        assert 0 < length <= 30.5
        assert _duration(_download(clip["url"]), tmp_path) == pytest.approx(length, abs=0.2)


def test_how_long_is_exact(chat: Chat) -> None:
    text = chat.ask("How long is this video, and what is its resolution?").choices[0]
    details = chat.first.model_dump()["vidsense"]["videos"][0]
    assert f"{details['duration']:.3f} seconds" in text.message.content
    assert "320x240" in text.message.content


def test_frames_as_images_follow_a_schema(chat: Chat, tmp_path: Path) -> None:
    frames = extract_frames(chat.truth.path, tmp_path, at=[1.0, 13.0, 25.0, 37.0, 49.0])
    # titles: "THE LIGHTHOUSE" 0.2-4 s, "VOLCANOES" 24.2-28 s, "COFFEE" 48.2-52 s
    parts: list[dict[str, Any]] = [{"type": "text", "text": "Caption these frames."}]
    for f in frames:
        uri = "data:image/jpeg;base64," + base64.b64encode(f.path.read_bytes()).decode()
        parts.append({"type": "image_url", "image_url": {"url": uri}})
    schema = {"type": "object", "properties": {"caption": {"type": "string"}},
              "required": ["caption"]}  # fmt: skip
    reply = chat.client.chat.completions.create(
        model="vidsense-1",
        messages=[{"role": "user", "content": parts}],
        response_format={"type": "json_schema", "json_schema": {"name": "c", "schema": schema}},
    )
    value = json.loads(reply.choices[0].message.content or "")
    assert value["caption"].strip() and "not in the video" not in value["caption"].lower()
    # "for each frame": one entry per image sent, read from that image alone
    parts = [
        {
            "type": "text",
            "text": "These are frames of a video, in order. For each frame, "
            "give the text written on screen (empty if none).",
        }
    ]
    parts += parts_of(frames, [0, 2, 3])  # 1 s, 25 s, 37 s
    schema = {"type": "object", "properties": {"on_screen": {"type": "array",
              "items": {"type": "string"}}}, "required": ["on_screen"]}  # fmt: skip
    reply = chat.client.chat.completions.create(
        model="vidsense-1",
        messages=[{"role": "user", "content": parts}],
        response_format={"type": "json_schema", "json_schema": {"name": "t", "schema": schema}},
    )
    on_screen = json.loads(reply.choices[0].message.content or "")["on_screen"]
    assert len(on_screen) == 3 and on_screen[2].strip() == "", on_screen  # 37 s: no title
    assert "LIGHTHOUSE" in on_screen[0].upper() and "VOLCANO" in on_screen[1].upper()
    assert not _message(reply)["artifacts"]  # the frames are the images sent, none are taken


def parts_of(frames: list[Any], which: list[int]) -> list[dict[str, Any]]:
    """``image_url`` parts (data URIs) of some of ``frames``."""
    out = []
    for n in which:
        data = base64.b64encode(frames[n].path.read_bytes()).decode()
        out.append({"type": "image_url", "image_url": {"url": "data:image/jpeg;base64," + data}})
    return out


def test_plain_question_and_stream(chat: Chat) -> None:
    question = "What is said about the volcano?"
    plain = chat.ask(question).choices[0].message.content
    assert plain and "volcano" in plain.lower()
    pieces = [
        c.choices[0].delta.content or "" for c in chat.ask(question, stream=True) if c.choices
    ]
    assert "".join(pieces).strip() == plain.strip()
    with chat.http() as h:
        content = [{"type": "text", "text": question},
                   {"type": "video_url", "video_url": {"url": chat.video_url}}]  # fmt: skip
        body = {"messages": [{"role": "user", "content": content}], "stream": True}
        raw = h.post("/v1/chat/completions", json=body).text
    assert raw.rstrip().endswith("data: [DONE]")


def test_stream_reports_progress_while_a_new_video_is_analysed(
    chat: Chat, media: MediaCache
) -> None:
    clip = spoken_clip(media, "chat-new.mp4", spoken="the harbour opens at dawn")
    uri = "data:video/mp4;base64," + base64.b64encode(clip.read_bytes()).decode()
    chunks = list(
        chat.client.chat.completions.create(
            model="vidsense-1",
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is said?"},
                        {"type": "video_url", "video_url": {"url": uri}},
                    ],
                }
            ],
            stream=True,
        )
    )
    progress = [c.model_dump()["choices"][0]["delta"].get("vidsense_progress") for c in chunks]
    stages = [p["stage"] for p in progress if p]
    assert "analysing" in stages and stages[-1] == "ready"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "opens at dawn" in text.lower()
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_follow_up_keeps_the_video_and_json_object(chat: Chat) -> None:
    first = chat.first.model_dump()
    reply = chat.client.chat.completions.create(
        model="vidsense-1",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Describe it."},
                    {"type": "video_url", "video_url": chat.video_url},
                ],
            },
            {"role": "assistant", "content": first["choices"][0]["message"]["content"]},
            {"role": "user", "content": "How long is it?"},
        ],
        response_format={"type": "json_object"},
        extra_body={"session_id": first["session_id"]},
    )
    value = json.loads(reply.choices[0].message.content or "")
    assert value["duration"] == pytest.approx(72.0, abs=0.2) and value["answer"]
    assert reply.model_dump()["session_id"] == first["session_id"]


def test_files_round_trip_and_chat_by_file_id(chat: Chat) -> None:
    with chat.truth.path.open("rb") as f:
        uploaded = chat.client.files.create(file=f, purpose="user_data")
    assert uploaded.id.startswith("file-") and uploaded.bytes == chat.truth.path.stat().st_size
    assert uploaded.id in [f.id for f in chat.client.files.list()]
    assert chat.client.files.retrieve(uploaded.id).filename == "topics3.mp4"
    assert chat.client.files.content(uploaded.id).read() == chat.truth.path.read_bytes()
    reply = chat.client.chat.completions.create(
        model="vidsense-1",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "How long is this video?"},
                    {"type": "file", "file": {"file_id": uploaded.id}},
                ],
            }
        ],
    )
    assert "72.0" in (reply.choices[0].message.content or "")  # same bytes, same video
    assert chat.client.files.delete(uploaded.id).deleted
    models = [m.id for m in chat.client.models.list()]
    assert "vidsense-1" in models and "vidsense-1-extractive" in models


def test_a_video_sent_keeps_the_name_its_sender_gave_it(tmp_path: Path, clip: Path) -> None:
    """What is handed to indexing names a video as its sender does: an upload by its own name
    (not the server's copy, ``file-<id>.bin``), a URL by its last part, a data URI (which has
    no name) by the copy's."""
    from vidsense.agent.files import FileStore
    from vidsense.agent.media import MediaResolver, SentVideo
    from vidsense.agent.messages import MediaRef
    from vidsense.library import Library

    settings = make_settings(tmp_path / "data", tmp_path / "models", chat_allow_file_urls=True)
    library = Library.open(settings)
    try:
        files = FileStore(tmp_path / "files", 10**8)
        with clip.open("rb") as f:
            record = files.create(f, "Holiday Talk.mp4", "user_data")
        media = MediaResolver(library, files)
        data = "data:video/mp4;base64," + base64.b64encode(clip.read_bytes()).decode()
        sent = media.locate(
            [
                MediaRef("file", file_id=record["id"]),
                MediaRef("video", url=clip.as_uri()),
                MediaRef("video", url=data),
            ]
        )
        assert all(isinstance(s, SentVideo) for s in sent)
        assert [s.filename for s in sent if isinstance(s, SentVideo)] == [
            "Holiday Talk.mp4",
            clip.name,
            sent[2].path.name,
        ]
        assert sent[0].path.name == f"{record['id']}.bin"
    finally:
        library.close()


# -- bad input -----------------------------------------------------------------------------


def _refused(chat: Chat, error: type[openai.APIStatusError], content: Any, **kw: Any) -> Any:
    with pytest.raises(error) as caught:
        chat.client.chat.completions.create(
            model="vidsense-1", messages=[{"role": "user", "content": content}], **kw
        )
    envelope = caught.value.response.json()["error"]
    assert set(envelope) == {"message", "type", "param", "code"} and envelope["message"]
    return envelope


def test_bad_input_is_a_clear_4xx(chat: Chat) -> None:
    def video(url: str) -> list[dict[str, Any]]:
        return [{"type": "text", "text": "hi"}, {"type": "video_url", "video_url": {"url": url}}]

    missing = _refused(chat, openai.BadRequestError, video(chat.media_url + "/nope.mp4"))
    assert "404" in missing["message"]
    notes = _refused(chat, openai.APIStatusError, video(chat.media_url + "/notes.txt"))
    assert "not a video" in notes["message"] and "notes.txt" in notes["message"]  # its name
    bad = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "nonsense"}}}
    schema = _refused(chat, openai.BadRequestError, video(chat.video_url), response_format=bad)
    assert schema["code"] == "invalid_schema"
    unknown = [{"type": "text", "text": "hi"}, {"type": "file", "file": {"file_id": "file-x"}}]
    assert _refused(chat, openai.NotFoundError, unknown)["code"] == "file_not_found"
    with pytest.raises(openai.BadRequestError) as caught:
        chat.client.chat.completions.create(
            model="vidsense-1", messages=[{"role": "system", "content": "be brief"}]
        )
    assert "user message" in caught.value.response.json()["error"]["message"]


def test_artifact_signatures(chat: Chat) -> None:
    message = _message(chat.ask("Show me the frame at 00:05"))
    [frame] = message["artifacts"]
    assert frame["time"] == 5.0
    path = frame["url"].split("?")[0]
    session = path.split("/")[-2]
    assert httpx.get(path).status_code == 401  # no key, no signature
    with chat.http() as h:
        assert (
            h.get(f"/v1/artifacts?object_id={frame['id']}&session_id={session}").status_code == 200
        )
    forged = httpx.get(f"{path}?expires={int(time.time()) + 60}&signature={'0' * 64}")
    assert forged.status_code == 403 and forged.json()["error"]["type"] == "permission_error"
    past = int(time.time()) - 10
    local = "/v1/artifacts/" + "/".join(path.split("/")[-2:])
    sig = hmac.new(KEY.encode(), f"{local}\n{past}".encode(), hashlib.sha256).hexdigest()
    expired = httpx.get(f"{path}?expires={past}&signature={sig}")
    assert expired.status_code == 403 and "expired" in expired.json()["error"]["message"]
    beyond = _message(chat.ask("Show me the frame at 05:00"))
    assert not beyond["artifacts"] and "cannot" in beyond["content"]


def test_private_addresses_are_refused_by_default(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", tmp_path / "models")
    with TestClient(create_app(settings, run_workers=False)) as client:
        response = client.post(
            "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": [
                {"type": "video_url", "video_url": {"url": "http://127.0.0.1:9/v.mp4"}}]}]},
        )  # fmt: skip
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "url_not_allowed"
        # Twelve Labs routes keep their envelope.
        assert set(client.get("/v1/indexes/nope").json()) == {"code", "message"}


# -- VLM Run-style requests ----------------------------------------------------------------


def test_video_generate_and_predictions(chat: Chat) -> None:
    with chat.http() as h:
        domains = {d["domain"] for d in h.get("/v1/domains").json()}
        assert {"video.transcription", "video.summary"} <= domains
        ask = {"url": chat.video_url, "domain": "video.transcription"}
        done = h.post("/v1/video/generate", json=ask).json()
        assert done["status"] == "completed"
        segments = done["response"]["segments"]
        assert segments and all(s["end"] > s["start"] for s in segments)
        assert "lighthouse" in " ".join(s["text"] for s in segments).lower()
        queued = h.post(
            "/v1/video/generate",
            json={"url": chat.video_url, "batch": True,
                  "config": {"json_schema": {"type": "object",
                                             "properties": {"title": {"type": "string"}}}}},
        ).json()  # fmt: skip
        assert queued["status"] == "enqueued"
        deadline = time.monotonic() + 60
        while (found := h.get(f"/v1/predictions/{queued['id']}").json())["status"] in (
            "enqueued",
            "running",
        ):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert found["status"] == "completed"
        title = found["response"]["title"].lower()
        assert any(subject in title for subject in ("lighthouse", "volcano", "coffee")), title
        assert h.get("/v1/predictions/nope").json()["error"]["code"] == "prediction_not_found"


# -- requests read as users phrase them ------------------------------------------------------


def _same_frame(data: bytes, truth: TopicVideo, t: float, tmp: Path) -> None:
    """``data`` (a JPEG) is the video's frame at ``t`` seconds."""
    got = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert got is not None
    [want_file] = extract_frames(truth.path, tmp / f"want-{t}", at=[min(t, truth.duration - 0.05)])
    want = cv2.imread(str(want_file.path))
    assert want is not None and got.shape == want.shape
    assert float(np.abs(got.astype(int) - want.astype(int)).mean()) < 4.0


def test_frames_at_listed_times_are_that_many_frames(chat: Chat, tmp_path: Path) -> None:
    message = _message(chat.ask("frames at 00:05, 00:15, 00:25"))
    assert [a["type"] for a in message["artifacts"]] == ["image"] * 3
    assert [a["time"] for a in message["artifacts"]] == [5.0, 15.0, 25.0]
    colours = []
    for artifact in message["artifacts"]:
        data = _download(artifact["url"])
        _same_frame(data, chat.truth, artifact["time"], tmp_path)
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        colours.append(tuple(int(c) for c in image[200:230, 20:60].reshape(-1, 3).mean(axis=0)))
    assert len(set(colours)) == 3  # three different shots


def test_frames_every_n_seconds_inside_a_span(chat: Chat) -> None:
    message = _message(chat.ask("Take a frame every 5 seconds between 0:10 and 0:30"))
    assert [a["time"] for a in message["artifacts"]] == [10.0, 15.0, 20.0, 25.0, 30.0]


def test_the_last_seconds_and_a_clip_about_a_subject(chat: Chat, tmp_path: Path) -> None:
    [last] = _message(chat.ask("Trim the last 5 seconds"))["artifacts"]
    assert (last["start"], last["end"]) == (pytest.approx(67.0, abs=0.2), 72.0)
    assert _duration(_download(last["url"]), tmp_path) == pytest.approx(5.0, abs=0.2)
    message = _message(chat.ask("Clip the part where they talk about coffee beans"))
    [clip] = message["artifacts"]
    coffee = 48.0  # the third topic, 48-72 s
    assert coffee <= clip["start"] < clip["end"] <= 72.0
    assert "coffee" in message["content"].lower()


class VideoFrame(BaseModel):
    url: str = Field(..., description="URL of the video frame.")
    timestamp: str = Field(..., description="Timestamp of the frame in HH:MM:SS.MS format")


class VideoFramesResponse(BaseModel):
    frames: list[VideoFrame] = Field(..., description="List of extracted frames")


class VideoTrimResponse(BaseModel):
    url: str = Field(..., description="URL of the trimmed video")
    start_time: str = Field(..., description="Start time of the trimmed segment")
    end_time: str = Field(..., description="End time of the trimmed segment")


class VideoHighlight(BaseModel):
    start_time: str = Field(..., description="Start time of the highlight in HH:MM:SS.MS")
    end_time: str = Field(..., description="End time of the highlight in HH:MM:SS.MS")
    url: str = Field(..., description="URL of the extracted highlight video")
    description: str = Field(default="", description="Description of the highlight")


class VideoHighlightsResponse(BaseModel):
    highlights: list[VideoHighlight] = Field(..., description="List of extracted highlights")


class ImageRef(BaseModel):  # VLM Run's typed references, as their SDK writes them
    id: str = Field(..., pattern=r"^img_[0-9a-f]{6,32}$")


class VideoRef(BaseModel):
    id: str = Field(..., pattern=r"^vid_[0-9a-f]{6,32}$")


class FrameWithRef(BaseModel):
    image: ImageRef = Field(..., description="The extracted frame")
    timestamp: str = Field(..., description="Timestamp of the frame in HH:MM:SS format")


class FramesAndClip(BaseModel):
    frames: list[FrameWithRef] = Field(..., description="The frames asked for")
    clip: VideoRef = Field(..., description="The trimmed clip")


def _with_schema(chat: Chat, prompt: str, model: type[BaseModel]) -> tuple[dict[str, Any], Any]:
    """The Orion cookbook's call: ``response_format={"type": "json_schema", "schema": ...}``."""
    reply = chat.ask(
        prompt, response_format={"type": "json_schema", "schema": model.model_json_schema()}
    )
    message = _message(reply)
    return {**message, "session_id": reply.model_dump()["session_id"]}, model.model_validate_json(
        message["content"]
    )


def test_a_schema_of_frame_urls_is_filled_by_the_frames(chat: Chat, tmp_path: Path) -> None:
    message, got = _with_schema(
        chat,
        "Sample frames at 00:05, 00:15 and 00:25 and return the frame URLs with timestamps.",
        VideoFramesResponse,
    )
    # as the field's description asks: HH:MM:SS.MS
    assert [f.timestamp for f in got.frames] == ["00:00:05.000", "00:00:15.000", "00:00:25.000"]
    assert [f.url for f in got.frames] == [a["url"] for a in message["artifacts"]]
    for frame, t in zip(got.frames, (5.0, 15.0, 25.0), strict=True):
        _same_frame(_download(frame.url), chat.truth, t, tmp_path)  # signed: no key sent


def test_a_trim_schema_gets_the_clip_and_its_times(chat: Chat, tmp_path: Path) -> None:
    _, got = _with_schema(
        chat,
        "Trim this video from 00:30 to 00:45 seconds and return the trimmed pre-signed video URL.",
        VideoTrimResponse,
    )
    assert (got.start_time, got.end_time) == ("00:00:30", "00:00:45")
    assert _duration(_download(got.url), tmp_path) == pytest.approx(15.0, abs=0.1)


def test_a_highlights_schema_gets_clips_with_their_times(chat: Chat, tmp_path: Path) -> None:
    message, got = _with_schema(
        chat,
        "Extract the 2 best/most interesting moments from this video as separate clips with "
        "timestamps and descriptions.",
        VideoHighlightsResponse,
    )
    assert len(got.highlights) == 2
    for item, artifact in zip(got.highlights, message["artifacts"], strict=True):
        assert item.url == artifact["url"] and item.description.strip()
        times = (hms(artifact["start"], ms=True), hms(artifact["end"], ms=True))
        assert (item.start_time, item.end_time) == times
        length = artifact["end"] - artifact["start"]
        assert 0 < length <= 30.5
        assert _duration(_download(item.url), tmp_path) == pytest.approx(length, abs=0.3)


def test_typed_references_name_the_artifacts(chat: Chat) -> None:
    message, got = _with_schema(
        chat, "Take frames at 00:03 and 00:13, and trim a clip from 00:10 to 00:15.", FramesAndClip
    )
    assert [f.timestamp for f in got.frames] == ["00:00:03", "00:00:13"]
    listed = {a["id"]: a for a in message["artifacts"]}
    assert [listed[f.image.id]["time"] for f in got.frames] == [3.0, 13.0]
    assert (listed[got.clip.id]["start"], listed[got.clip.id]["end"]) == (10.0, 15.0)
    with chat.http() as h:
        for object_id, kind in [(got.frames[0].image.id, "image/jpeg"), (got.clip.id, "video/mp4")]:
            where = {"object_id": object_id, "session_id": message["session_id"]}
            found = h.get("/v1/artifacts", params=where)
            assert found.status_code == 200 and found.headers["content-type"] == kind


def test_a_schema_asking_for_urls_is_never_filled_with_text(chat: Chat) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _with_schema(chat, "Describe this video.", VideoTrimResponse)
    error = caught.value.response.json()["error"]
    assert error["code"] == "schema_not_followed" and "url" in error["message"]


def test_questions_are_read_from_the_whole_request(chat: Chat) -> None:
    about = chat.ask("What is said about the volcano?").choices[0].message.content or ""
    transcript = chat.ask("What is said in the video?").choices[0].message.content or ""
    assert "volcano" in about.lower() and len(about) < len(transcript) / 2
    assert "lighthouse" in transcript.lower() and "coffee" in transcript.lower()
    for question in ("How long did the volcano erupt for?", "What is said about coffee?"):
        details = chat.ask(question).model_dump()["vidsense"]
        assert details["tools"] == ["answer"]  # the writer's, not metadata or transcript
    details = chat.ask("How long is this video?").model_dump()["vidsense"]
    assert details["tools"] == ["metadata"]


def test_a_title_and_the_chapters_asked_together_are_each_given_once(chat: Chat) -> None:
    """ "Give this video a title and list its chapters": the writer is asked for the title
    alone (its clause), the chapters come from their tool; each chapter is listed once."""
    reply = chat.ask("Give this video a title and list its chapters with times.")
    text = reply.choices[0].message.content or ""
    title = chat.ask("Give this video a title.").choices[0].message.content or ""
    assert title and text.startswith(title), (title, text)
    video_id = reply.model_dump(warnings=False)["vidsense"]["videos"][0]["video_id"]
    with chat.http() as h:
        computed = h.post("/v1/summarize", json={"video_id": video_id, "type": "chapter"}).json()
    for chapter in computed["chapters"]:
        listed = f"{chapter['chapter_title']}:"  # "1. 00:00:00-00:00:24 The Lighthouse: ..."
        assert text.count(listed) == 1, (listed, text)


def test_what_vidsense_cannot_do_is_said_plainly(chat: Chat) -> None:
    for request in ("Translate the audio into Spanish", "Remove the background"):
        text = chat.ask(request).choices[0].message.content or ""
        assert text.startswith("I cannot do that:") and "I can describe" in text
        assert "not in the video" not in text
    gif = _message(chat.ask("Make a GIF of 0:05 to 0:10"))
    assert gif["content"].startswith("Making a GIF is not something I can do in chat yet")
    assert not gif["artifacts"]


def _probe(data: bytes, tmp: Path) -> tuple[float, int, int, list[str]]:
    """``(duration, width, height, stream kinds)`` of an MP4 (ffprobe)."""
    path = tmp / "probe.mp4"
    path.write_bytes(data)
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_type,width,"
         "height", "-of", "json", str(path)], capture_output=True, check=True, text=True,
    )  # fmt: skip
    info = json.loads(out.stdout)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    kinds = [s["codec_type"] for s in info["streams"]]
    return float(info["format"]["duration"]), video["width"], video["height"], kinds


class VideoUrl(BaseModel):
    url: str = Field(..., description="Pre-signed URL to the video")


class VideoUrlListResponse(BaseModel):
    urls: list[VideoUrl] = Field(..., description="List of pre-signed URLs to the videos")


def test_generation_from_text_and_an_image(chat: Chat, media: MediaCache, tmp_path: Path) -> None:
    """The cookbook's section 7: the configured generator (here the built-in storyboard
    renderer) makes the video; the schema's URL is its artifact."""
    invoice = invoice_image(media)
    reply = chat.client.chat.completions.create(
        model="vidsense-1",
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "Generate a short video of this invoice sliding onto a "
             "desk. Return the proper presigned URL with https at starting."},
            {"type": "image_url", "image_url": {"url": f"{chat.media_url}/{invoice.name}"}},
        ]}],
        response_format={"type": "json_schema",
                         "schema": VideoUrlListResponse.model_json_schema()},
    )  # fmt: skip
    got = VideoUrlListResponse.model_validate_json(reply.choices[0].message.content or "")
    [made] = reply.model_dump()["choices"][0]["message"]["artifacts"]
    assert [u.url for u in got.urls] == [made["url"]]
    length, width, height, kinds = _probe(_download(made["url"]), tmp_path)
    assert length == pytest.approx(4.0, abs=0.1) and (width, height) == (1280, 720)
    assert "video" in kinds
    assert reply.model_dump()["vidsense"]["tools"] == ["generate"]
    text = chat.client.chat.completions.create(
        model="vidsense-1",
        messages=[{"role": "user", "content": "Make an 8 second video of waves on a beach"}],
    )
    message = _message(text)
    assert (
        "storyboard renderer" in message["content"]
        and "not a generative model" in (message["content"])
    )
    [clip] = message["artifacts"]
    assert _probe(_download(clip["url"]), tmp_path)[0] == pytest.approx(8.0, abs=0.1)


def test_edits_are_rendered_by_the_render_engine(chat: Chat, tmp_path: Path) -> None:
    reel = _message(chat.ask("Make a 20 second highlight reel of this video with subtitles"))
    [made] = reel["artifacts"]
    assert "20 second highlight reel with subtitles" in reel["content"]
    length, width, height, _ = _probe(_download(made["url"]), tmp_path)
    assert length == pytest.approx(20.0, abs=0.5) and (width, height) == (320, 240)
    fast = _message(chat.ask("Speed it up 2x"))
    [made] = fast["artifacts"]
    assert _probe(_download(made["url"]), tmp_path)[0] == pytest.approx(36.0, abs=0.5)
    tall = _message(chat.ask("Make 0:00-0:20 vertical for TikTok"))
    [made] = tall["artifacts"]
    length, width, height, _ = _probe(_download(made["url"]), tmp_path)
    assert length == pytest.approx(20.0, abs=0.2)
    assert height > width and abs(width / height - 9 / 16) < 0.02
