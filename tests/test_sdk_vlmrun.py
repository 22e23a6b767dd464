"""The official ``vlmrun`` SDK (0.9.x) against a real ``vidsense serve`` at ``/v1``.

VLM Run's four entry points through the SDK calls a user writes: the client itself (it checks
the key on ``GET {base}/health``), files, domains and schemas; Requests (``video.generate`` and
``predictions``); the agent's chat completions as the Orion video cookbook calls them (every
section: describe, structured chapters, frames, trims, highlights, duration, generation, the
PIL-image and uploaded-file paths, artifact references); skills; and Executions
(``agent.execute`` over two videos and a still image, polled to completion, surviving a server
restart). Errors must come back in an envelope the SDK parses (``{"error": {"message", "type"}}``
or ``{"detail"}``) so that it raises its own exception with the server's message.

The cookbook's helper (``chat_completion``) is reproduced as the cookbook writes it: a fresh
``session_id`` in ``extra_body``, ``{"type": "image", "image": <data URI>}`` for PIL images,
``files.upload`` + ``{"type": "input_file", "file_id": ...}`` for local videos, and
``response_format={"type": "json_schema", "schema": ...}``.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import openai
import pytest
import requests
from PIL import Image
from pydantic import BaseModel, Field
from vlmrun.client import VLMRun
from vlmrun.client.exceptions import (
    APIError,
    AuthenticationError,
    ResourceNotFoundError,
    ValidationError,
)
from vlmrun.client.types import AgentExecutionConfig, AgentSkill, GenerationConfig
from vlmrun.common.image import encode_image
from vlmrun.common.utils import download_image
from vlmrun.types import FileUrl, MessageContent
from vlmrun.types.refs import ImageRef, VideoRef

from tests.conftest import MediaCache
from tests.library_support import spoken_clip
from tests.sdk_support import (
    FACTS_SCHEMA,
    GREEN,
    INVOICE_NUMBER,
    KEY,
    LEASE,
    NAVY,
    PRICE_SCHEMA,
    Clip,
    Served,
    close_to,
    corner_rgb,
    invoice_image,
    lighthouse_video,
    notes_file,
    probe_duration,
    probe_streams,
    says_price,
    seconds,
    serve,
    talk_video,
)

pytestmark = pytest.mark.models

MODEL = "vlmrun-orion-1:auto"


@dataclass
class Orion:
    served: Served
    client: VLMRun
    """Made with ``require_api_key=False`` so that only the constructor test depends on the
    ``/health`` check; the key is sent on every call all the same."""
    talk: Clip
    lighthouse: Clip
    invoice: Path

    @property
    def base(self) -> str:
        return self.served.url + "/v1"

    def url(self, path: Path) -> str:
        return self.served.files.url(path)


@pytest.fixture(scope="module")
def vr(media: MediaCache, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orion]:
    talk, lighthouse, invoice = talk_video(media), lighthouse_video(media), invoice_image(media)
    with serve(tmp_path_factory, media, "sdk-vlmrun", VIDSENSE_TASK_LEASE_SECONDS=LEASE) as served:
        client = VLMRun(
            api_key=KEY, base_url=served.url + "/v1", require_api_key=False, max_retries=2
        )
        yield Orion(served, client, talk, lighthouse, invoice)


# -- the cookbook's own helper and response models ---------------------------------------------


def chat_completion(
    vr: Orion,
    prompt: str,
    images: list[str | Image.Image] | None = None,
    videos: list[str | Path] | None = None,
    response_model: type[BaseModel] | None = None,
    model: str = MODEL,
    session_id: str | None = None,
    **extra: Any,
) -> tuple[Any, Any]:
    """The Orion cookbook's ``chat_completion``: returns the raw response and the answer (text,
    or the parsed ``response_model``)."""
    session_id = session_id or str(uuid.uuid4())
    content: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
    for image in images or []:
        if isinstance(image, Image.Image):
            content.append({"type": "image", "image": encode_image(image, format="JPEG")})
        else:
            content.append({"type": "image_url", "image_url": {"url": image}})
    for video in videos or []:
        if isinstance(video, Path):
            file = vr.client.files.upload(file=video, purpose="assistants")
            content.append({"type": "input_file", "file_id": file.id})
        else:
            content.append({"type": "video_url", "video_url": {"url": video}})
    kwargs: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": content}],
        "extra_body": {"session_id": session_id},
        **extra,
    }
    if response_model is not None:
        kwargs["response_format"] = {
            "type": "json_schema",
            "schema": response_model.model_json_schema(),
        }
    response = vr.client.agent.completions.create(**kwargs)
    text = response.choices[0].message.content
    if response_model is None:
        return response, text
    return response, response_model.model_validate_json(text)


class ParsedVideoResponse(BaseModel):
    class VideoChapter(BaseModel):
        start_time: str = Field(..., description="Start time of the chapter in HH:MM:SS format")
        end_time: str = Field(..., description="End time of the chapter in HH:MM:SS format")
        description: str = Field(..., description="Description of the chapter content")

    topic: str = Field(..., description="Main topic of the video")
    summary: str = Field(..., description="Summary of the video content")
    chapters: list[VideoChapter] = Field(default_factory=list, description="Video chapters")


class VideoFramesResponse(BaseModel):
    class VideoFrame(BaseModel):
        url: str = Field(..., description="URL of the video frame.")
        timestamp: str = Field(..., description="Timestamp of the frame in HH:MM:SS.MS format")

        @cached_property
        def image(self) -> Image.Image | None:
            return download_image(self.url)

    frames: list[VideoFrame] = Field(..., description="List of extracted frames")


class VideoTrimResponse(BaseModel):
    url: str = Field(..., description="URL of the trimmed video")
    start_time: str = Field(..., description="Start time of the trimmed segment")
    end_time: str = Field(..., description="End time of the trimmed segment")


class VideoHighlightsResponse(BaseModel):
    class VideoHighlight(BaseModel):
        start_time: str = Field(..., description="Start time of the highlight in HH:MM:SS.MS")
        end_time: str = Field(..., description="End time of the highlight in HH:MM:SS.MS")
        url: str = Field(..., description="URL of the extracted highlight video")
        description: str = Field(default="", description="Description of the highlight")

    highlights: list[VideoHighlight] = Field(..., description="List of extracted highlights")


class VideoUrlResponse(BaseModel):
    url: str = Field(..., description="Pre-signed URL to the video")


class VideoUrlListResponse(BaseModel):
    urls: list[VideoUrlResponse] = Field(..., description="List of pre-signed URLs to the videos")


class FrameWithRef(BaseModel):
    image: ImageRef = Field(..., description="The extracted frame")
    timestamp: str = Field(..., description="Timestamp of the frame in HH:MM:SS format")


class FramesAndClip(BaseModel):
    frames: list[FrameWithRef] = Field(..., description="The frames asked for")
    clip: VideoRef = Field(..., description="The trimmed clip")


def _download(url: str, tmp_path: Path, name: str) -> Path:
    response = requests.get(url, timeout=60)  # no key: artifact URLs are signed
    assert response.status_code == 200, response.text[:300]
    out = tmp_path / name
    out.write_bytes(response.content)
    return out


def _rgb(image: Image.Image) -> tuple[int, int, int]:
    return corner_rgb(np.asarray(image.convert("RGB")))


# -- the client, files, domains ----------------------------------------------------------------


def test_constructor_checks_the_key_on_health(vr: Orion) -> None:
    client = VLMRun(api_key=KEY, base_url=vr.base)  # GET {base}/health with the key
    assert client.healthcheck()
    with pytest.raises(AuthenticationError):
        VLMRun(api_key="not-the-key", base_url=vr.base, max_retries=1)


def test_files_upload_for_assistants(vr: Orion) -> None:
    uploaded = vr.client.files.upload(vr.talk.path, purpose="assistants")
    assert uploaded.id and uploaded.purpose == "assistants"
    assert uploaded.filename == vr.talk.path.name
    assert uploaded.bytes == vr.talk.path.stat().st_size
    assert vr.client.files.get(uploaded.id).filename == vr.talk.path.name
    assert uploaded.id in [f.id for f in vr.client.files.list(limit=100)]
    deleted = vr.client.files.delete(uploaded.id)  # the SDK reads the file back
    assert (deleted.id, deleted.filename) == (uploaded.id, vr.talk.path.name)
    assert uploaded.id not in [f.id for f in vr.client.files.list(limit=100)]


def test_domains_and_their_schemas(vr: Orion) -> None:
    domains = [d.domain for d in vr.client.list_domains()]
    assert "video.transcription" in domains and "video.summary" in domains
    schema = vr.client.get_schema("video.transcription")
    assert schema.domain == "video.transcription"
    assert "segments" in schema.json_schema["properties"]
    assert schema.schema_version and schema.schema_hash
    jsonschema.Draft202012Validator.check_schema(schema.json_schema)
    with pytest.raises(APIError) as err:
        vr.client.get_schema("video.no-such-domain")
    assert err.value.http_status in (400, 404) and "video.no-such-domain" in err.value.message


# -- Requests: video.generate and predictions ------------------------------------------------


def test_video_generate_and_predictions(vr: Orion) -> None:
    prediction = vr.client.video.generate(
        url=vr.url(vr.talk.path), domain="video.transcription", batch=True
    )
    assert prediction.status in ("enqueued", "pending", "running", "completed")
    done = vr.client.predictions.wait(prediction.id, timeout=180, sleep=1)
    segments = done.response["segments"]
    text = " ".join(s["text"] for s in segments).lower()
    assert says_price(text) and "password" in text
    pricing = next(s for s in segments if "pricing" in s["text"].lower())
    assert pricing["start"] == pytest.approx(vr.talk.line("pricing").start, abs=0.6)
    assert done.usage.element_type == "video"
    assert done.usage.duration_seconds in (20, 21)  # the SDK's field is an integer
    assert done.completed_at is not None
    assert prediction.id in [p.id for p in vr.client.predictions.list(limit=100)]


def test_video_generate_from_a_local_file(vr: Orion) -> None:
    """``file=Path`` uploads through ``files.upload`` and sends the ``file_id``."""
    prediction = vr.client.video.generate(
        file=vr.lighthouse.path, domain="video.summary", batch=True
    )
    done = vr.client.predictions.wait(prediction.id, timeout=180, sleep=1)
    assert "lighthouse" in done.response["summary"].lower()


# -- the agent's chat completions: the Orion video cookbook ----------------------------------


def test_cookbook_describe_a_video(vr: Orion) -> None:
    session = str(uuid.uuid4())
    response, text = chat_completion(
        vr,
        "Describe what happens in this video in 2-3 sentences.",
        videos=[vr.url(vr.talk.path)],
        session_id=session,
    )
    assert response.session_id == session  # the cookbook reads artifacts with it
    low = text.lower()
    assert len(text.split()) >= 8 and "pricing" in low and "support" in low


def test_cookbook_structured_chapters(vr: Orion) -> None:
    _, result = chat_completion(
        vr,
        "Parse this video and provide a detailed summary with topic, summary, and chapter "
        "breakdowns.",
        videos=[vr.url(vr.talk.path)],
        response_model=ParsedVideoResponse,
    )
    assert says_price(result.summary)
    starts = [seconds(c.start_time) for c in result.chapters]
    assert len(starts) == 2, result.chapters
    assert starts[0] == pytest.approx(0.0, abs=0.5)
    assert starts[1] == pytest.approx(10.0, abs=1.5)
    assert seconds(result.chapters[-1].end_time) == pytest.approx(vr.talk.duration, abs=1.0)


def test_cookbook_frames_at_given_times(vr: Orion) -> None:
    _, result = chat_completion(
        vr,
        "Sample frames at 00:02, 00:12 and 00:17 and return the frame URLs with timestamps.",
        videos=[vr.url(vr.talk.path)],
        response_model=VideoFramesResponse,
    )
    assert [seconds(f.timestamp) for f in result.frames] == pytest.approx([2, 12, 17], abs=0.5)
    colours = [_rgb(f.image) for f in result.frames]  # downloaded as the cookbook does
    assert close_to(colours[0], NAVY) and close_to(colours[1], GREEN), colours
    assert close_to(colours[2], GREEN), colours


def test_cookbook_trim(vr: Orion, tmp_path: Path) -> None:
    _, result = chat_completion(
        vr,
        "Trim this video from 00:05 to 00:15 and return the trimmed pre-signed video URL.",
        videos=[vr.url(vr.talk.path)],
        response_model=VideoTrimResponse,
    )
    assert seconds(result.start_time) == pytest.approx(5.0, abs=0.1)
    assert seconds(result.end_time) == pytest.approx(15.0, abs=0.1)
    clip = _download(result.url, tmp_path, "trim.mp4")
    assert probe_duration(clip) == pytest.approx(10.0, abs=0.3)
    assert "video" in probe_streams(clip)


def test_cookbook_highlights(vr: Orion, tmp_path: Path) -> None:
    _, result = chat_completion(
        vr,
        "Extract the 2 best/most interesting moments from this video as separate clips with "
        "timestamps and descriptions.",
        videos=[vr.url(vr.talk.path)],
        response_model=VideoHighlightsResponse,
    )
    assert len(result.highlights) == 2
    for i, h in enumerate(result.highlights):
        start, end = seconds(h.start_time), seconds(h.end_time)
        assert 0 <= start < end <= vr.talk.duration + 0.1
        assert h.description.strip()
        clip = _download(h.url, tmp_path, f"highlight{i}.mp4")
        assert probe_duration(clip) == pytest.approx(end - start, abs=0.5)


def test_cookbook_duration(vr: Orion) -> None:
    _, text = chat_completion(
        vr,
        "How long is this video in minutes and seconds? Also describe the video resolution "
        "and quality if you can determine it.",
        videos=[vr.url(vr.talk.path)],
    )
    assert re.search(r"\b20(\.\d+)? seconds|\b0?0:20\b", text), text
    assert "320" in text and "240" in text


def test_cookbook_generation_from_text_and_an_image(vr: Orion, tmp_path: Path) -> None:
    _, result = chat_completion(
        vr,
        "Generate a short video of this invoice sliding onto a desk. Return the proper "
        "presigned URL with https at starting.",
        images=[vr.url(vr.invoice)],
        response_model=VideoUrlListResponse,
    )
    assert result.urls
    video = _download(result.urls[0].url, tmp_path, "generated.mp4")
    assert "video" in probe_streams(video) and probe_duration(video) > 1.0


def test_cookbook_pil_image_part(vr: Orion) -> None:
    """``{"type": "image", "image": <data URI>}``: the cookbook's path for PIL images."""
    _, text = chat_completion(
        vr, "What is the invoice number on this page?", images=[Image.open(vr.invoice)]
    )
    assert INVOICE_NUMBER in text


def test_cookbook_uploaded_file_part(vr: Orion) -> None:
    """A local video: ``files.upload`` then ``{"type": "input_file", "file_id": ...}``."""
    _, text = chat_completion(vr, "When was the lighthouse built?", videos=[vr.lighthouse.path])
    assert "1850" in text or "eighteen fifty" in text.lower()


def test_cookbook_streaming(vr: Orion) -> None:
    stream = vr.client.agent.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "How much does the plan cost per month?"},
            {"type": "video_url", "video_url": {"url": vr.url(vr.talk.path)}},
        ]}],
        stream=True,
    )  # fmt: skip
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert says_price(text)


def test_artifact_references_fill_image_and_video_refs(vr: Orion) -> None:
    response, result = chat_completion(
        vr,
        "Take frames at 00:03 and 00:13, and trim a clip from 00:10 to 00:15.",
        videos=[vr.url(vr.talk.path)],
        response_model=FramesAndClip,
    )
    session = response.session_id
    assert [seconds(f.timestamp) for f in result.frames] == pytest.approx([3, 13], abs=0.5)
    for frame, want in zip(result.frames, (NAVY, GREEN), strict=True):
        assert re.fullmatch(r"img_[0-9a-f]{6}", frame.image.id)
        image = vr.client.artifacts.get(object_id=frame.image.id, session_id=session)
        assert isinstance(image, Image.Image) and close_to(_rgb(image), want)
    assert re.fullmatch(r"vid_[0-9a-f]{6}", result.clip.id)
    clip = vr.client.artifacts.get(object_id=result.clip.id, session_id=session)
    assert isinstance(clip, Path) and probe_duration(clip) == pytest.approx(5.0, abs=0.3)
    listed = vr.client.artifacts.list(session_id=session)
    assert listed.namespace_id == session
    ids = {item.object_id for item in listed.items}
    assert ids >= {f.image.id for f in result.frames} | {result.clip.id}


# -- skills ----------------------------------------------------------------------------------


def _skill_folder(
    root: Path, name: str, description: str, schema: dict[str, Any] | None, body: str
) -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    front = f"---\nname: {name}\ndescription: {description}\n---\n\n{body}\n"
    (folder / "SKILL.md").write_text(front)
    if schema is not None:
        (folder / "schema.json").write_text(json.dumps(schema, indent=2))
    return folder


def _zip(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    out = tmp_path / name
    with zipfile.ZipFile(out, "w") as z:
        for arcname, text in files.items():
            z.writestr(arcname, text)
    return out


def test_skill_from_a_folder_lookup_and_download(vr: Orion, tmp_path: Path) -> None:
    folder = _skill_folder(
        tmp_path, "media-facts", "Facts from videos and images", FACTS_SCHEMA,
        "For every file, report what is written on screen and what is said.",
    )  # fmt: skip
    ref = vr.client.skills.create_from_directory(folder)
    assert ref.type == "skill_reference" and ref.skill_id
    info = vr.client.skills.get(id=ref.skill_id)
    assert info.name == "media-facts" and info.description == "Facts from videos and images"
    assert info.skill_version
    assert vr.client.skills.get(name="media-facts").id == ref.skill_id
    assert "media-facts" in [s.name for s in vr.client.skills.list(limit=100)]
    bundle = requests.get(vr.client.skills.download(ref.skill_id).download_url, timeout=30)
    assert bundle.status_code == 200
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as z:
        assert z.read("SKILL.md").decode() == (folder / "SKILL.md").read_text()
        assert json.loads(z.read("schema.json")) == FACTS_SCHEMA


def test_skill_update_makes_a_version_and_pins_keep_theirs(vr: Orion, tmp_path: Path) -> None:
    first = _skill_folder(
        tmp_path / "v1", "pinned", "First wording", PRICE_SCHEMA, "Give the price."
    )
    ref = vr.client.skills.create_from_directory(first)
    v1 = vr.client.skills.get(id=ref.skill_id).skill_version
    second = _skill_folder(tmp_path / "v2", "pinned", "Second wording", PRICE_SCHEMA, "Price only.")
    archive = _zip(tmp_path, "pinned-v2.zip", {p.name: p.read_text() for p in second.iterdir()})
    uploaded = vr.client.files.upload(archive, purpose="assistants")
    updated = vr.client.skills.update(ref.skill_id, file_id=uploaded.id, description="Second")
    assert updated.skill_version and updated.skill_version != v1
    assert vr.client.skills.get(name="pinned", skill_version=v1).description == "First wording"
    assert vr.client.skills.get(name="pinned").description == "Second"


def test_skill_from_a_prompt_replaces_the_domain(vr: Orion) -> None:
    """``skills.create(prompt, json_schema)``, then ``config.skills`` on ``video.generate``, and
    ``video.execute`` by the skill's name."""
    skill = vr.client.skills.create(
        prompt="Extract the monthly price of the plan from a product video.",
        json_schema=PRICE_SCHEMA,
        name="price-only",
    )
    assert skill.name == "price-only" and skill.id
    prediction = vr.client.video.generate(
        url=vr.url(vr.talk.path),
        config=GenerationConfig(skills=[AgentSkill(skill_name="price-only")]),
        batch=True,
    )
    done = vr.client.predictions.wait(prediction.id, timeout=180, sleep=1)
    jsonschema.validate(done.response, PRICE_SCHEMA)
    assert says_price(done.response["monthly_price"])
    # video.execute runs the skill by its name, as a prediction of that name.
    executed = vr.client.video.execute(name="price-only", url=vr.url(vr.talk.path), batch=True)
    done = vr.client.predictions.wait(executed.id, timeout=180, sleep=1)
    assert done.status == "completed" and done.domain == "price-only", done
    jsonschema.validate(done.response, PRICE_SCHEMA)
    assert says_price(done.response["monthly_price"])
    with pytest.raises(ResourceNotFoundError):
        vr.client.video.execute(name="no-such-skill", url=vr.url(vr.talk.path), batch=True)


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"schema.json": json.dumps(PRICE_SCHEMA)}, "SKILL.md"),
        ({"SKILL.md": "no front matter here\n"}, "front matter"),
        ({"SKILL.md": "---\nname: escape\ndescription: x\n---\n", "../evil.txt": "x"}, "../"),
        (
            {"SKILL.md": "---\nname: bad-schema\ndescription: x\n---\n",
             "schema.json": json.dumps({"type": "object", "properties": {"a": {"type": "money"}}})},
            "schema",
        ),
    ],
    ids=["no-skill-md", "no-front-matter", "path-escape", "invalid-schema"],
)  # fmt: skip
def test_bad_skill_bundles_are_refused(
    vr: Orion, tmp_path: Path, files: dict[str, str], problem: str
) -> None:
    uploaded = vr.client.files.upload(_zip(tmp_path, "bad.zip", files), purpose="assistants")
    with pytest.raises(ValidationError) as err:
        vr.client.skills.create(file_id=uploaded.id, name="bad", description="bad")
    assert problem in err.value.message
    assert "bad" not in [s.name for s in vr.client.skills.list(limit=100)]


# -- executions ------------------------------------------------------------------------------


class MediaInputs(BaseModel):
    talk: MessageContent
    lighthouse: MessageContent
    invoice: MessageContent


def _file_url(url: str) -> MessageContent:
    return MessageContent(type="file_url", file_url=FileUrl(url=url))


def test_execute_a_skill_over_two_videos_and_an_image(vr: Orion, tmp_path: Path) -> None:
    folder = _skill_folder(
        tmp_path, "media-facts-exec", "Facts from videos and images", FACTS_SCHEMA,
        "For every file, report its kind, what is written on screen, what is said, and when "
        "speech begins.",
    )  # fmt: skip
    ref = vr.client.skills.create_from_directory(folder)
    inputs = MediaInputs(
        talk=_file_url(vr.url(vr.talk.path)),
        lighthouse=_file_url(vr.url(vr.lighthouse.path)),
        invoice=_file_url(vr.url(vr.invoice)),
    )
    started = vr.client.agent.execute(
        name="media-facts-exec",
        inputs=inputs,
        config=AgentExecutionConfig(skills=[ref]),
        batch=True,
    )
    assert started.status in ("enqueued", "pending", "running")
    done = vr.client.executions.wait(started.id, timeout=300, sleep=1)
    assert done.id == started.id and done.completed_at is not None
    jsonschema.validate(done.response, FACTS_SCHEMA)
    talk, lighthouse, invoice = done.response["files"]
    assert (talk["kind"], lighthouse["kind"], invoice["kind"]) == ("video", "video", "image")
    assert says_price(talk["spoken_text"]) and "PRICING" in talk["on_screen_text"].upper()
    assert talk["speech_starts_at"] == pytest.approx(vr.talk.lines[0].start, abs=0.6)
    assert "lighthouse" in lighthouse["spoken_text"].lower()
    assert lighthouse["speech_starts_at"] == pytest.approx(vr.lighthouse.lines[0].start, abs=0.6)
    assert INVOICE_NUMBER in invoice["on_screen_text"] and invoice["speech_starts_at"] is None
    assert started.id in [e.id for e in vr.client.executions.list(limit=100)]
    assert vr.client.executions.get(started.id).status == "completed"
    assert vr.client.artifacts.list(execution_id=started.id).namespace_id == started.id


def test_execute_an_inline_skill_on_an_uploaded_file(vr: Orion, tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {"invoice_number": {"type": "string"}, "total": {"type": "string"}},
        "required": ["invoice_number", "total"],
    }
    folder = _skill_folder(
        tmp_path, "invoice-reader", "Read an invoice", schema,
        "Give the invoice number and the total amount.",
    )  # fmt: skip
    uploaded = vr.client.files.upload(vr.invoice, purpose="assistants")
    started = vr.client.agent.execute(
        inputs={"files": [{"type": "input_file", "file_id": uploaded.id}]},  # the CLI's shape
        config=AgentExecutionConfig(skills=[AgentSkill.from_directory(folder)]),
        batch=True,
    )
    done = vr.client.executions.wait(started.id, timeout=120, sleep=1)
    jsonschema.validate(done.response, schema)
    assert done.response["invoice_number"] == INVOICE_NUMBER
    assert "86" in done.response["total"]


# -- errors ----------------------------------------------------------------------------------


def _parsed(error: APIError, status: int, mentions: str) -> None:
    """The SDK raised with the server's own message (its envelope was understood)."""
    assert error.http_status == status, error
    assert not str(error.message).startswith(f"{status} Client Error"), error.message
    assert mentions in str(error.message), error.message


def test_unknown_ids_raise_the_sdk_errors_with_the_servers_message(vr: Orion) -> None:
    calls = {
        "pred_0000000000": lambda: vr.client.predictions.get("pred_0000000000"),
        "file-0000000000": lambda: vr.client.files.get("file-0000000000"),
        "skill-0000000000": lambda: vr.client.skills.get(id="skill-0000000000"),
        "exec-0000000000": lambda: vr.client.executions.get("exec-0000000000"),
        "img_000000": lambda: vr.client.artifacts.get(
            object_id="img_000000", session_id=str(uuid.uuid4())
        ),
    }
    for bad, call in calls.items():
        with pytest.raises(ResourceNotFoundError) as err:
            call()
        _parsed(err.value, 404, bad)


def test_bad_requests_to_the_agent(vr: Orion, media: MediaCache) -> None:
    missing = vr.served.files.base + "/no-such-video.mp4"
    with pytest.raises(openai.BadRequestError) as err:
        chat_completion(vr, "Describe this video.", videos=[missing])
    assert "no-such-video.mp4" in err.value.message
    with pytest.raises(openai.BadRequestError) as err:
        vr.client.agent.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": [
                {"type": "text", "text": "Price?"},
                {"type": "video_url", "video_url": {"url": vr.url(vr.talk.path)}},
            ]}],
            response_format={"type": "json_schema", "schema": {"type": "money"}},
        )  # fmt: skip
    assert "schema" in err.value.message
    uploaded = vr.client.files.upload(notes_file(media), purpose="assistants")
    with pytest.raises(ValidationError) as bad:
        vr.client.video.generate(file=uploaded.id, domain="video.transcription", batch=True)
    _parsed(bad.value, 400, "not a video")
    _parsed(bad.value, 400, notes_file(media).name)  # the name it was uploaded with


def test_an_execution_survives_a_server_restart(vr: Orion, media: MediaCache) -> None:
    """Executions are durable tasks: one killed mid-way resumes when the server comes back."""
    clip = spoken_clip(
        media, "sdk-restart.mp4", spoken="the harbour opens at seven", caption="HARBOUR"
    )
    started = vr.client.agent.execute(
        inputs={"file": {"type": "file_url", "file_url": {"url": vr.url(clip)}}},
        config=AgentExecutionConfig(
            prompt="What is said in this video?",
            json_schema={
                "type": "object",
                "properties": {"spoken_text": {"type": "string"}},
                "required": ["spoken_text"],
            },
        ),
        batch=True,
    )
    vr.served.server.kill()
    vr.served.server.start()
    done = vr.client.executions.wait(started.id, timeout=180, sleep=1)
    assert re.search(r"\bharbou?r\b", done.response["spoken_text"].lower())  # Whisper: "harbor"
