"""Twelve Labs' Embed API v2: ``POST /embed-v2`` (a text, an image or a video, answered now)
and ``/embed-v2/tasks`` (a video, answered later by the job workers: the ``embedding``
handler, :mod:`vidsense.agent.embedding`).

Vectors come from vidsense's own models (:mod:`vidsense.search.embeddings`): a text and a
video's ``transcription`` moments in the text embedder's space, an image and a video's
``visual`` moments in the image model's. Each vector names its space in ``embedding_model``.
``model_name`` is accepted and not used; ``embedding_dimension`` must be left out or match.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vidsense.agent.embedding import KIND, check_video_request, embed_video, embedding_out
from vidsense.agent.messages import MediaRef
from vidsense.api.limits import MAX_PAGE
from vidsense.api.services import Services
from vidsense.api.wire import PageInfo, Wire
from vidsense.errors import InvalidArgument
from vidsense.search.embeddings import image_embedding, text_embedding
from vidsense.search.images import decode_image
from vidsense.store import JobRecord

InputType = Literal["text", "image", "video", "audio", "text_image", "multi_input"]
TEXT_CHARS = 2000
"""The longest text embedded (longer is an error, or cut when ``auto_truncate``)."""
NOT_OFFERED = {
    "audio": "audio files are not embedded: vidsense keeps no audio embeddings; send the "
    "video instead (its transcription is embedded)",
    "text_image": "a text and an image are not embedded together: vidsense has no shared "
    "text-image space offline; embed each on its own",
    "multi_input": "several inputs are not embedded together: vidsense has no shared "
    "text-image space offline; embed each on its own",
}


class EmbedRequest(Wire):
    """``POST /embed-v2`` and ``/embed-v2/tasks``: ``input_type`` and the part it names:
    ``text: {"input_text"}``, ``image: {"media_source": {"url" | "base64_string" |
    "asset_id"}}`` or ``video: {"media_source", "start_sec", "end_sec", "segmentation",
    "embedding_option", "embedding_scope", "embedding_type"}``."""

    model_config = ConfigDict(strict=True)

    input_type: InputType
    model_name: str = Field(min_length=1)
    text: dict[str, Any] | None = None
    image: dict[str, Any] | None = None
    video: dict[str, Any] | None = None
    audio: dict[str, Any] | None = None
    auto_truncate: bool | None = None
    embedding_dimension: int | None = Field(default=None, ge=1)
    embedding_uncertainty: bool | None = None


class EmbeddingData(Wire):
    """One vector (``EmbeddingData``): unit length; ``embedding_model`` names its space."""

    embedding: list[float]
    embedding_option: str | None = None
    embedding_scope: str | None = None
    start_sec: float | None = None
    end_sec: float | None = None
    embedding_model: str


class Embeddings(Wire):
    """``EmbeddingSuccessResponse``: the vectors, and for a video what was embedded."""

    data: list[EmbeddingData]
    metadata: dict[str, Any] | None = None


class EmbedTaskError(Wire):
    message: str
    code: str | None = None


class EmbedTask(Wire):
    """An embed task (``EmbeddingTaskResponse``): ``processing``, then ``ready`` with
    ``data``, or ``failed`` with ``error``."""

    id: str = Field(alias="_id")
    model_name: str | None = None
    status: Literal["processing", "ready", "failed"]
    created_at: str
    updated_at: str
    data: list[EmbeddingData] | None = None
    metadata: dict[str, Any] | None = None
    error: EmbedTaskError | None = None


class EmbedTaskList(Wire):
    data: list[EmbedTask]
    page_info: PageInfo


class EmbedTaskQuery(BaseModel):
    """``GET /embed-v2/tasks``: one page (``page`` from 1, ``page_limit`` 1-50), newest
    first, optionally of one ``status``."""

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_limit: int = Field(default=10, ge=1, le=50)
    status: Literal["processing", "ready", "failed"] | None = None


def _refuse_unoffered(body: EmbedRequest) -> None:
    if body.input_type in NOT_OFFERED:
        raise InvalidArgument(NOT_OFFERED[body.input_type], param="input_type")
    if body.embedding_uncertainty:
        raise InvalidArgument(
            "embedding_uncertainty is not offered: vidsense's models give no per-dimension "
            "uncertainty",
            param="embedding_uncertainty",
        )


def _part(body: EmbedRequest) -> dict[str, Any]:
    part = getattr(body, body.input_type)
    if not isinstance(part, dict) or not part:
        raise InvalidArgument(f"input_type {body.input_type} needs {body.input_type!r} set",
                              param=body.input_type)  # fmt: skip
    return part


def _check_dimension(body: EmbedRequest, found: list[dict[str, Any]]) -> None:
    if body.embedding_dimension is None:
        return
    sizes = {len(f["embedding"]) for f in found}
    if sizes and sizes != {body.embedding_dimension}:
        raise InvalidArgument(
            f"embedding_dimension {body.embedding_dimension} is not offered: these vectors "
            f"have {', '.join(map(str, sorted(sizes)))} dimensions (leave it out)",
            param="embedding_dimension",
        )


def _text(services: Services, body: EmbedRequest) -> list[dict[str, Any]]:
    given = _part(body).get("input_text")
    if not isinstance(given, str) or not given.strip():
        raise InvalidArgument("text.input_text must be a non-empty string",
                              param="text.input_text")  # fmt: skip
    if len(given) > TEXT_CHARS:
        if not body.auto_truncate:
            raise InvalidArgument(
                f"text.input_text is longer than {TEXT_CHARS} characters (set auto_truncate "
                "to embed its beginning)",
                param="text.input_text",
            )
        given = given[:TEXT_CHARS]
    return [embedding_out(text_embedding(services.settings, given))]


def _image(services: Services, body: EmbedRequest) -> list[dict[str, Any]]:
    source = _part(body).get("media_source")
    given = {k: v for k, v in source.items() if isinstance(v, str) and v} if isinstance(
        source, dict
    ) else {}  # fmt: skip
    if "url" in given:
        ref = MediaRef("image", url=given["url"])
    elif "base64_string" in given:
        data = given["base64_string"]
        ref = MediaRef("image", url=data if data.startswith("data:") else
                       "data:image/jpeg;base64," + data)  # fmt: skip
    elif "asset_id" in given:
        ref = MediaRef("file", file_id=given["asset_id"])
    else:
        raise InvalidArgument("image.media_source must give url, base64_string or asset_id",
                              param="image.media_source")  # fmt: skip
    path, _ = services.chat.media.local_file(ref)
    pixels = decode_image(path.read_bytes())
    return [embedding_out(image_embedding(services.settings, pixels))]


def create_embeddings(services: Services, body: EmbedRequest) -> Embeddings:
    """Embed a text, an image or a video now (a new video is indexed first: a long one is
    better sent as a task)."""
    _refuse_unoffered(body)
    metadata = None
    if body.input_type == "text":
        found = _text(services, body)
    elif body.input_type == "image":
        found = _image(services, body)
    else:
        made = embed_video(services.chat, check_video_request(_part(body)))
        found, metadata = made["data"], made["metadata"]
    _check_dimension(body, found)
    return Embeddings.model_validate({"data": found, "metadata": metadata})


_STATUS: dict[str, Literal["processing", "ready", "failed"]] = {
    "enqueued": "processing",
    "pending": "processing",
    "paused": "processing",
    "running": "processing",
    "completed": "ready",
    "failed": "failed",
}


def embed_task_out(job: JobRecord) -> EmbedTask:
    result = job.result or {}
    status = _STATUS[job.status]
    return EmbedTask.model_validate(
        {
            "_id": job.id,
            "model_name": job.request.get("model_name"),
            "status": status,
            "created_at": job.created_at,
            "updated_at": job.updated_at,
            "data": result.get("data") if status == "ready" else None,
            "metadata": result.get("metadata") if status == "ready" else None,
            "error": {"message": job.error_message or job.error_code, "code": job.error_code}
            if status == "failed"
            else None,
        }
    )


def create_embed_task(services: Services, body: EmbedRequest) -> EmbedTask:
    """Check a video request as ``/embed-v2`` does, then queue it for the job workers."""
    _refuse_unoffered(body)
    if body.input_type != "video":
        raise InvalidArgument(
            "embed tasks take videos (input_type video); embed a text or an image with "
            "POST /embed-v2",
            param="input_type",
        )
    check_video_request(_part(body))
    if body.embedding_dimension is not None:
        raise InvalidArgument(
            "embedding_dimension is not offered: a video's vectors have the dimensions of "
            "their spaces (384 transcription, 1280 visual; leave it out)",
            param="embedding_dimension",
        )
    request = {"model_name": body.model_name, "video": _part(body)}
    job = services.library.submit_job(KIND, request)
    services.job_queued(job.id)
    return embed_task_out(job)


def get_embed_task(services: Services, task_id: str) -> EmbedTask:
    return embed_task_out(services.library.get_job(task_id, KIND))


def list_embed_tasks(services: Services, query: EmbedTaskQuery) -> EmbedTaskList:
    """Embed tasks, newest first (an empty page past the last)."""
    lib = services.library
    jobs: list[JobRecord] = []
    while batch := lib.list_jobs(kind=KIND, skip=len(jobs), limit=1000):  # a store page
        jobs += batch
    wanted = [j for j in jobs if query.status is None or _STATUS[j.status] == query.status]
    skip = (query.page - 1) * query.page_limit
    page = wanted[skip : skip + query.page_limit]
    return EmbedTaskList(
        data=[embed_task_out(j) for j in page],
        page_info=PageInfo(
            page=query.page,
            limit_per_page=query.page_limit,
            total_page=max(1, math.ceil(len(wanted) / query.page_limit)),
            total_results=len(wanted),
        ),
    )


__all__ = [
    "EmbedRequest",
    "EmbedTask",
    "EmbedTaskList",
    "EmbedTaskQuery",
    "Embeddings",
    "create_embed_task",
    "create_embeddings",
    "get_embed_task",
    "list_embed_tasks",
]
