"""The official ``openai`` SDK against a real ``vidsense serve`` at ``/v1`` (and at ``/v1/openai``,
VLM Run's agent base, which serves the same routes).

Chat completions with a ``video_url`` part, with frames sent as images (the universal fallback
when a server has no ``video_url``), with structured output (``chat.completions.parse``) and
streamed with usage; files and OpenAI's own ``file`` content part; models; the Videos API
(``client.videos``: create, poll, download_content, list, delete) served by the built-in
storyboard generator; and errors in OpenAI's ``{"error": {"message", "type", "param", "code"}}``
envelope on every route of the family, 404s included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import openai
import pytest
from pydantic import BaseModel

from tests.conftest import MediaCache
from tests.sdk_support import (
    KEY,
    Clip,
    Served,
    frame_base64,
    invoice_image,
    lighthouse_video,
    notes_file,
    probe_duration,
    probe_streams,
    says_hours,
    says_price,
    serve,
    talk_video,
)

pytestmark = pytest.mark.models


@dataclass
class Api:
    served: Served
    client: openai.OpenAI
    talk: Clip
    lighthouse: Clip

    def url(self, path: Path) -> str:
        return self.served.files.url(path)

    def ask(self, text: str, video: Path | None = None, **kwargs: Any) -> Any:
        url = self.url(video or self.talk.path)
        content = [{"type": "text", "text": text}, {"type": "video_url", "video_url": {"url": url}}]
        return self.client.chat.completions.create(
            model="vidsense-1", messages=[{"role": "user", "content": content}], **kwargs
        )


@pytest.fixture(scope="module")
def api(media: MediaCache, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    talk, lighthouse = talk_video(media), lighthouse_video(media)
    with serve(tmp_path_factory, media, "sdk-openai") as served:
        client = openai.OpenAI(base_url=served.url + "/v1", api_key=KEY, max_retries=1, timeout=300)
        yield Api(served, client, talk, lighthouse)


def _error(err: openai.APIStatusError, kind: str, mentions: str) -> None:
    """OpenAI's envelope: the SDK hands ``error``'s inner object over as ``body``."""
    body = err.body
    assert isinstance(body, dict) and set(body) >= {"message", "type", "param", "code"}, body
    assert body["type"] == kind, body
    assert mentions in body["message"], body


# -- chat ------------------------------------------------------------------------------------


def test_models(api: Api) -> None:
    models = list(api.client.models.list())
    assert models and all(m.object == "model" and m.owned_by for m in models)
    assert "vidsense-1" in [m.id for m in models]
    assert api.client.models.retrieve("vidsense-1").id == "vidsense-1"
    with pytest.raises(openai.NotFoundError) as err:
        api.client.models.retrieve("gpt-5")
    assert err.value.code == "model_not_found" and "vidsense-1" in err.value.message


def test_chat_with_a_video_url(api: Api) -> None:
    reply = api.ask("How much does the plan cost per month?")
    text = reply.choices[0].message.content or ""
    assert says_price(text)
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.completion_tokens > 0
    assert reply.object == "chat.completion" and reply.id
    # n: as many choices as asked, each the same answer (the evidence does not change).
    two = api.ask("How much does the plan cost per month?", n=2)
    assert [c.index for c in two.choices] == [0, 1]
    assert {c.message.content for c in two.choices} == {text}
    assert (
        two.usage is not None and two.usage.completion_tokens == 2 * reply.usage.completion_tokens
    )


class PlanFacts(BaseModel):
    monthly_price: str
    support_hours: str
    monthly_price_usd: float


def test_structured_output_with_parse(api: Api) -> None:
    question = "What does the plan cost per month, and when is support open?"
    content = [{"type": "text", "text": question},
               {"type": "video_url", "video_url": {"url": api.url(api.talk.path)}}]  # fmt: skip
    reply = api.client.chat.completions.parse(
        model="vidsense-1",
        messages=[{"role": "user", "content": content}],
        response_format=PlanFacts,
    )
    facts = reply.choices[0].message.parsed
    assert facts is not None
    assert says_price(facts.monthly_price) and not says_hours(facts.monthly_price)
    assert says_hours(facts.support_hours)
    assert facts.monthly_price_usd == 20.0  # the number in the line that says the price


def test_frames_as_images_with_a_schema(api: Api) -> None:
    """The fallback for servers without ``video_url``: frames as ``image_url`` parts."""
    times = [2.0, 12.0, 17.0]
    parts: list[dict[str, Any]] = [
        {"type": "text", "text": "These are three frames of a video, in order. For each frame, "
                                 "give the text written on screen (empty if none)."},
    ]  # fmt: skip
    uris = ["data:image/jpeg;base64," + frame_base64(api.talk.path, t) for t in times]
    parts += [{"type": "image_url", "image_url": {"url": uri}} for uri in uris]
    schema = {
        "type": "object",
        "properties": {"on_screen": {"type": "array", "items": {"type": "string"}}},
        "required": ["on_screen"],
    }
    reply = api.client.chat.completions.create(
        model="vidsense-1",
        messages=[{"role": "user", "content": parts}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "frames", "schema": schema},
        },
    )
    on_screen = json.loads(reply.choices[0].message.content or "{}")["on_screen"]
    assert len(on_screen) == 3, on_screen
    assert "PRICING" in on_screen[0].upper() and "PLANS" in on_screen[0].upper()
    assert "SUPPORT" in on_screen[1].upper() and "HOURS" in on_screen[1].upper()
    assert on_screen[2].strip() == ""


def test_streaming_with_usage(api: Api) -> None:
    chunks = list(
        api.ask("When is support open?", stream=True, stream_options={"include_usage": True})
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert says_hours(text)
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    assert all(c.id == chunks[0].id for c in chunks)


def test_files_and_the_file_content_part(api: Api) -> None:
    with api.lighthouse.path.open("rb") as f:
        uploaded = api.client.files.create(file=f, purpose="user_data")
    assert uploaded.object == "file" and uploaded.status in ("uploaded", "processed")
    assert uploaded.bytes == api.lighthouse.path.stat().st_size
    assert uploaded.id in [f.id for f in api.client.files.list()]
    assert api.client.files.retrieve(uploaded.id).filename == api.lighthouse.path.name
    assert api.client.files.content(uploaded.id).read() == api.lighthouse.path.read_bytes()
    reply = api.client.chat.completions.create(
        model="vidsense-1",
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "When was the lighthouse built?"},
            {"type": "file", "file": {"file_id": uploaded.id}},
        ]}],
    )  # fmt: skip
    text = reply.choices[0].message.content or ""
    assert "1850" in text or "eighteen fifty" in text.lower()
    deleted = api.client.files.delete(uploaded.id)
    assert deleted.deleted and deleted.id == uploaded.id
    with pytest.raises(openai.NotFoundError) as err:
        api.client.files.retrieve(uploaded.id)
    _error(err.value, "not_found_error", uploaded.id)


def test_the_vlm_run_agent_base_serves_the_same_routes(api: Api) -> None:
    agent = openai.OpenAI(base_url=api.served.url + "/v1/openai", api_key=KEY, max_retries=1)
    assert "vidsense-1" in [m.id for m in agent.models.list()]
    reply = agent.chat.completions.create(
        model="vlmrun-orion-1:auto",
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "How much does the plan cost per month?"},
            {"type": "video_url", "video_url": {"url": api.url(api.talk.path)}},
        ]}],
    )  # fmt: skip
    assert says_price(reply.choices[0].message.content or "")
    with pytest.raises(openai.NotFoundError) as err:
        agent.files.retrieve("file-0000000000")
    _error(err.value, "not_found_error", "file-0000000000")


# -- videos (generation) ---------------------------------------------------------------------


def test_videos_create_poll_download_list_delete(api: Api, tmp_path: Path) -> None:
    job = api.client.videos.create(
        prompt="A lighthouse on a cliff at dusk. Then its lamp turns on.",
        seconds="4",
        size="1280x720",
    )
    assert job.object == "video" and job.status in ("queued", "in_progress", "completed")
    assert job.seconds == "4" and job.size == "1280x720" and 0 <= job.progress <= 100
    done = api.client.videos.poll(job.id, poll_interval_ms=500)
    assert done.status == "completed", done.error
    assert done.progress == 100 and done.completed_at is not None
    out = tmp_path / "generated.mp4"
    api.client.videos.download_content(done.id).write_to_file(out)
    assert probe_duration(out) == pytest.approx(4.0, abs=0.1)
    capture = cv2.VideoCapture(str(out))
    size = (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    capture.release()
    assert size == (1280, 720)
    assert "audio" in probe_streams(out)  # narrated
    thumb = api.client.videos.download_content(done.id, variant="thumbnail").read()
    assert thumb[:3] == b"\xff\xd8\xff" or thumb[:8] == b"\x89PNG\r\n\x1a\n"
    assert job.id in [v.id for v in api.client.videos.list()]
    deleted = api.client.videos.delete(job.id)
    assert deleted.deleted and deleted.object == "video.deleted"
    with pytest.raises(openai.NotFoundError) as err:
        api.client.videos.retrieve(job.id)
    _error(err.value, "not_found_error", job.id)


def test_videos_create_from_an_input_reference(api: Api, media: MediaCache, tmp_path: Path) -> None:
    with invoice_image(media).open("rb") as image:
        job = api.client.videos.create(
            prompt="This invoice on a desk.", input_reference=image, seconds="4", size="1280x720"
        )
    done = api.client.videos.poll(job.id, poll_interval_ms=500)
    assert done.status == "completed", done.error
    out = tmp_path / "from-image.mp4"
    api.client.videos.download_content(done.id).write_to_file(out)
    capture = cv2.VideoCapture(str(out))
    capture.set(cv2.CAP_PROP_POS_MSEC, 2000)
    ok, frame = capture.read()
    capture.release()
    assert ok and frame.mean() > 150  # the white page fills the picture


# -- errors ----------------------------------------------------------------------------------


def test_errors_in_openai_envelope(api: Api, media: MediaCache) -> None:
    with pytest.raises(openai.NotFoundError) as nf:
        api.client.videos.retrieve("video_0000000000")
    _error(nf.value, "not_found_error", "video_0000000000")
    missing = api.served.files.base + "/no-such-video.mp4"
    with pytest.raises(openai.BadRequestError) as bad:
        api.client.chat.completions.create(
            model="vidsense-1",
            messages=[{"role": "user", "content": [
                {"type": "text", "text": "Describe."},
                {"type": "video_url", "video_url": {"url": missing}},
            ]}],
        )  # fmt: skip
    _error(bad.value, "invalid_request_error", "no-such-video.mp4")
    notes = notes_file(media)
    with pytest.raises(openai.BadRequestError) as bad:
        api.ask("Describe.", video=notes)
    _error(bad.value, "invalid_request_error", "not a video")
    with pytest.raises(openai.BadRequestError) as bad:
        api.ask(
            "Price?",
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "x", "schema": {"type": "money"}},
            },
        )
    _error(bad.value, "invalid_request_error", "money")
    with pytest.raises(openai.BadRequestError) as bad:
        api.ask("Price?", n=0)
    assert bad.value.body["param"] == "n"
    with pytest.raises(openai.BadRequestError) as bad:
        api.client.videos.create(prompt="x", seconds="7")
    _error(bad.value, "invalid_request_error", "seconds")
    assert bad.value.body["param"] == "seconds"
    wrong = openai.OpenAI(base_url=api.served.url + "/v1", api_key="not-the-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as auth:
        wrong.models.list()
    _error(auth.value, "authentication_error", "key")
