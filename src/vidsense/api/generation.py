"""Generated videos in OpenAI's Videos API shape, as the ``openai`` SDK's ``client.videos``
calls it: ``POST /v1/videos`` (multipart or JSON: ``prompt``, ``model``, ``seconds`` as a
string, ``size`` ``WIDTHxHEIGHT``, optional ``input_reference`` image), ``GET /v1/videos/{id}``
(``status`` ``queued`` | ``in_progress`` | ``completed`` | ``failed``, ``progress`` 0-100),
``GET /v1/videos/{id}/content?variant=video|thumbnail|spritesheet``, ``GET /v1/videos``
(``after``, ``limit``, ``order``), ``DELETE /v1/videos/{id}``. Errors use OpenAI's envelope.

Each video adds ``vidsense``: what made it (the storyboard renderer says it is not a
generative model) and, once made, its scenes or the endpoint's id.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from vidsense.api.services import Services
from vidsense.api.wire import NOT_BLANK, Form, Upload, Wire, read_body
from vidsense.errors import InvalidArgument
from vidsense.store import JobRecord
from vidsense.studio.sources import FILE_ID
from vidsense.studio.videos import MAX_PROMPT, MAX_REFERENCE_BYTES, ReferenceImage, VideoFile

_STATUS = {
    "enqueued": "queued",
    "pending": "queued",
    "paused": "queued",
    "running": "in_progress",
    "completed": "completed",
    "failed": "failed",
}


# -- requests --------------------------------------------------------------------------------------


class VideoCreate(Wire):
    """``POST /v1/videos`` as OpenAI's SDK sends it (multipart, or JSON): the ``prompt``, and
    OpenAI's ``seconds`` and ``size`` (the generator may make others; the storyboard renderer
    makes 4, 8 or 12 seconds, sides of 128-1920 even pixels). ``input_reference`` is an image
    file, or ``{"file_id"}`` / ``{"image_url"}`` (a data: or http(s) URL)."""

    prompt: str = Field(max_length=MAX_PROMPT, json_schema_extra={"pattern": NOT_BLANK})
    model: str | None = Field(default=None, description="a storyboard model, or the generator's")
    seconds: str | int | None = Field(
        default=None, description="default 4", json_schema_extra={"enum": ["4", "8", "12"]}
    )
    size: str | None = Field(
        default=None,
        description="WIDTHxHEIGHT, default 720x1280",
        json_schema_extra={"enum": ["720x1280", "1280x720", "1024x1792", "1792x1024"]},
    )
    input_reference: dict[str, Any] | str | None = Field(
        default=None,
        description="an image file (multipart), or {file_id} of an uploaded image (or "
        "{image_url}: a data: or http(s) URL of one)",
        json_schema_extra={
            "anyOf": [
                {
                    "type": "object",
                    "properties": {"file_id": {"type": "string", "pattern": FILE_ID.pattern}},
                    "required": ["file_id"],
                },
                {"type": "null"},
            ]
        },
    )


# -- responses -------------------------------------------------------------------------------------


class VideoError(Wire):
    code: str
    message: str


class VideoGeneration(Wire):
    """OpenAI's ``Video`` (times are unix seconds) plus ``vidsense``."""

    id: str
    object: Literal["video"] = "video"
    created_at: int
    completed_at: int | None = None
    expires_at: int | None = None
    error: VideoError | None = None
    model: str
    progress: int
    prompt: str | None = None
    remixed_from_video_id: str | None = None
    seconds: str
    size: str
    status: str
    vidsense: dict[str, Any] = Field(default_factory=dict)


class VideoList(Wire):
    object: str = "list"
    data: list[VideoGeneration]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False


class VideoDeleted(Wire):
    id: str
    object: str = "video.deleted"
    deleted: bool = True


def _unix(moment: str | None) -> int | None:
    if not moment:
        return None
    return int(datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp())


def video_out(job: JobRecord) -> VideoGeneration:
    request, result = job.request, job.result or {}
    status = _STATUS.get(job.status, "queued")
    details: dict[str, Any] = {"generator": request.get("generator")}
    if result.get("metadata"):
        details.update(result["metadata"])
    if status == "completed":
        details["duration"] = result.get("seconds")
    return VideoGeneration(
        id=job.id,
        created_at=_unix(job.created_at) or 0,
        completed_at=_unix(job.completed_at) if status in ("completed", "failed") else None,
        error=VideoError(code=job.error_code, message=job.error_message or "")
        if status == "failed" and job.error_code
        else None,
        model=str(result.get("model") or request.get("model") or ""),
        progress=100 if status == "completed" else round(job.progress),
        prompt=request.get("prompt"),
        seconds=str(request.get("seconds")),
        size=str(request.get("size")),
        status=status,
        vidsense=details,
    )


def _reference(services: Services, form: Form) -> ReferenceImage | None:
    """The ``input_reference`` of a request: an uploaded image, or ``{"file_id"}`` (a
    ``/v1/files`` id) or ``{"image_url"}`` (a data URL, or an http(s) URL fetched under the
    address policy), as JSON or as ``input_reference[file_id]`` form fields."""
    value: Any = form.fields.get("input_reference")
    for key in ("file_id", "image_url"):
        nested = form.fields.get(f"input_reference[{key}]")
        if nested:
            value = {key: nested}
    if value is None or value == "":
        return None
    if isinstance(value, Upload):
        if len(value.data) > MAX_REFERENCE_BYTES:
            raise InvalidArgument(
                f"input_reference: the image is over {MAX_REFERENCE_BYTES // 1024**2} MB",
                param="input_reference",
            )
        return ReferenceImage(value.data, value.filename or "reference")
    if isinstance(value, str):
        text = value.strip()
        if FILE_ID.match(text):
            value = {"file_id": text}
        else:
            try:
                value = json.loads(text)
            except ValueError:
                value = {"image_url": text}
    if not isinstance(value, dict):
        raise InvalidArgument(
            'input_reference: send an image file, or {"file_id"} or {"image_url"}',
            param="input_reference",
        )
    if value.get("file_id"):
        path = services.sources(str(value["file_id"]))
        return ReferenceImage(path.read_bytes(), path.name)
    url = str(value.get("image_url") or "")
    if url.startswith("data:"):
        _, _, encoded = url.partition(",")
        try:
            return ReferenceImage(base64.b64decode(encoded, validate=True), "reference")
        except (binascii.Error, ValueError) as e:
            raise InvalidArgument(
                "input_reference: the data URL is not base64", param="input_reference"
            ) from e
    if url.startswith(("http://", "https://")):
        from vidsense.media.source import fetch_url

        path = fetch_url(url, services.settings)
        return ReferenceImage(path.read_bytes(), path.name)
    raise InvalidArgument(
        "input_reference: give file_id or image_url (a data: or http(s) URL)",
        param="input_reference",
    )


def create_video(services: Services, form: Form) -> VideoGeneration:
    """Check a generation request and queue it."""
    body = read_body(VideoCreate, form)
    fields = form.fields
    model = fields.get("model")
    seconds = fields.get("seconds")
    size = fields.get("size")
    job = services.videos.create(
        body.prompt,
        model=str(model) if model not in (None, "") else None,
        seconds=None if seconds in (None, "") else str(seconds),
        size=str(size) if size not in (None, "") else None,
        image=_reference(services, form),
    )
    services.job_queued(job.id)
    return video_out(job)


def get_video(services: Services, video_id: str) -> VideoGeneration:
    return video_out(services.videos.get(video_id))


def list_videos(
    services: Services, after: str | None = None, limit: int = 20, order: str = "desc"
) -> VideoList:
    jobs, more = services.videos.list(after=after, limit=limit, order=order)
    data = [video_out(j) for j in jobs]
    return VideoList(
        data=data,
        first_id=data[0].id if data else None,
        last_id=data[-1].id if data else None,
        has_more=more,
    )


def delete_video(services: Services, video_id: str) -> VideoDeleted:
    services.videos.delete(video_id)
    return VideoDeleted(id=video_id)


def video_content(services: Services, video_id: str, variant: str = "video") -> VideoFile:
    return services.videos.content(video_id, variant)
