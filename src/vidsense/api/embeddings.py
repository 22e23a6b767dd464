"""Twelve Labs' Embed API v2: ``POST /embed-v2`` (a text, an image or a video, answered now)
and ``/embed-v2/tasks`` (a video, answered later by the job workers: the ``embedding``
handler, :mod:`vidsense.agent.embedding`); and the v1 API its SDK still calls
(``client.embed.create``, ``client.embed.tasks``): ``POST /embed`` (a text or an image, as a
form) and ``/embed/tasks`` (a video sent as a file or a URL, in ``video_clip_length`` clips),
the same vectors in v1's shapes, from the same jobs.

Vectors come from vidsense's own models (:mod:`vidsense.search.embeddings`): a text and a
video's ``transcription`` moments in the text embedder's space, an image and a video's
``visual`` moments in the image model's. Each vector names its space in ``embedding_model``.
``model_name`` is accepted and not used; ``embedding_dimension`` must be left out or match.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field

from vidsense.agent.embedding import KIND, check_video_request, embed_video, embedding_out
from vidsense.agent.messages import MediaRef
from vidsense.api.limits import MAX_PAGE
from vidsense.api.services import Services
from vidsense.api.wire import TIME, PageInfo, Wire, moment, page_info, page_of
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
    """``GET /embed-v2/tasks`` (and v1's ``/embed/tasks``): one page (``page`` from 1,
    ``page_limit`` 1-50), newest first, optionally of one ``status`` and created from
    ``started_at`` until before ``ended_at``."""

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_limit: int = Field(default=10, ge=1, le=50)
    status: Literal["processing", "ready", "failed"] | None = None
    started_at: str | None = Field(
        default=None, description="created at or after (RFC 3339)", json_schema_extra=TIME
    )
    ended_at: str | None = Field(
        default=None, description="created before (RFC 3339)", json_schema_extra=TIME
    )


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


def _text_vector(services: Services, given: Any, param: str, truncate: bool) -> dict[str, Any]:
    if not isinstance(given, str) or not given.strip():
        raise InvalidArgument(f"{param} must be a non-empty string", param=param)
    if len(given) > TEXT_CHARS:
        if not truncate:
            raise InvalidArgument(
                f"{param} is longer than {TEXT_CHARS} characters (set auto_truncate "
                "to embed its beginning)",
                param=param,
            )
        given = given[:TEXT_CHARS]
    return embedding_out(text_embedding(services.settings, given))


def _text(services: Services, body: EmbedRequest) -> list[dict[str, Any]]:
    given = _part(body).get("input_text")
    return [_text_vector(services, given, "text.input_text", bool(body.auto_truncate))]


def _image_vector(services: Services, ref: MediaRef) -> dict[str, Any]:
    path, _ = services.chat.media.local_file(ref)
    return embedding_out(image_embedding(services.settings, decode_image(path.read_bytes())))


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
    return [_image_vector(services, ref)]


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


def _task_page(services: Services, query: EmbedTaskQuery) -> tuple[list[JobRecord], PageInfo]:
    """One page of embed tasks, newest first (empty past the last), and where it sits."""
    lib = services.library
    after, before = moment(query.started_at, "started_at"), moment(query.ended_at, "ended_at")
    jobs: list[JobRecord] = []
    while batch := lib.list_jobs(  # a store page
        kind=KIND, created_after=after, created_before=before, skip=len(jobs), limit=1000
    ):
        jobs += batch
    wanted = [j for j in jobs if query.status is None or _STATUS[j.status] == query.status]
    page = page_of(wanted, query.page, query.page_limit)
    return page.items, page_info(page)


def list_embed_tasks(services: Services, query: EmbedTaskQuery) -> EmbedTaskList:
    """Embed tasks, newest first (an empty page past the last)."""
    page, info = _task_page(services, query)
    return EmbedTaskList(data=[embed_task_out(j) for j in page], page_info=info)


# -- Embed API v1 --------------------------------------------------------------------------------

V1_SCOPES = {"clip": "clip", "video": "asset"}
"""v1's ``video_embedding_scope`` names and v2's."""
V1_OPTIONS = {"visual": "visual", "visual-text": "visual", "transcription": "transcription"}
"""v1's ``embedding_option`` names (Marengo 2.7 said ``visual-text``) and vidsense's."""
V1_CLIP_SECONDS = 6.0
"""v1's default ``video_clip_length``."""


def _v1_segment(data: Mapping[str, Any]) -> dict[str, Any]:
    """A v2 ``EmbeddingData`` as v1's segment (``float``, offsets, ``video`` for the asset)."""
    out: dict[str, Any] = {"float": data["embedding"], "embedding_model": data["embedding_model"]}
    if data.get("embedding_option"):
        out["embedding_option"] = data["embedding_option"]
    if data.get("embedding_scope"):
        out["embedding_scope"] = "video" if data["embedding_scope"] == "asset" else "clip"
    if data.get("start_sec") is not None:
        out["start_offset_sec"] = data["start_sec"]
        out["end_offset_sec"] = data["end_sec"]
    return out


def create_embeddings_v1(
    services: Services,
    model_name: str,
    *,
    text: str | None = None,
    image_url: str | None = None,
    image_file: bytes | None = None,
    image_filename: str | None = None,
    audio: bool = False,
) -> dict[str, Any]:
    """``POST /embed``: a text and/or an image (``image_url`` or ``image_file``) embedded now,
    as v1's ``EmbeddingResponse``. Audio is refused as in v2."""
    if audio:
        raise InvalidArgument(NOT_OFFERED["audio"], param="audio_file")
    if text is None and not image_url and image_file is None:
        raise InvalidArgument("give text, image_url or image_file", param="text")
    out: dict[str, Any] = {"model_name": model_name}
    if text is not None:
        out["text_embedding"] = {
            "segments": [_v1_segment(_text_vector(services, text, "text", False))]
        }
    if image_file is not None:
        vector = embedding_out(image_embedding(services.settings, decode_image(image_file)))
        metadata = {"input_filename": image_filename or "image"}
    elif image_url:
        vector = _image_vector(services, MediaRef("image", url=image_url))
        metadata = {"input_url": image_url}
    else:
        return out
    out["image_embedding"] = {"segments": [_v1_segment(vector)], "metadata": metadata}
    return out


def create_embed_task_v1(
    services: Services,
    model_name: str,
    *,
    video_url: str | None = None,
    video_file: BinaryIO | None = None,
    video_filename: str | None = None,
    start: float | None = None,
    end: float | None = None,
    clip_length: float | None = None,
    scopes: list[str] | None = None,
) -> dict[str, Any]:
    """``POST /embed/tasks``: queue a video (a URL, or a file kept as an asset first) for
    embedding in ``clip_length`` clips (default 6 s); ``{"_id"}``."""
    wrong = [s for s in scopes or () if s not in V1_SCOPES]
    if wrong:
        raise InvalidArgument(
            f"video_embedding_scope {wrong[0]!r} is not one of: clip, video",
            param="video_embedding_scope",
        )
    if clip_length is not None and not 2.0 <= clip_length <= 10.0:
        raise InvalidArgument("video_clip_length must be 2 to 10 seconds",
                              param="video_clip_length")  # fmt: skip
    if video_file is None and not video_url:
        raise InvalidArgument("give video_file or video_url", param="video_file")
    video: dict[str, Any] = {
        "media_source": {"url": video_url},
        "start_sec": start,
        "end_sec": end,
        "segmentation": {
            "strategy": "fixed",
            "fixed": {"duration_sec": clip_length or V1_CLIP_SECONDS},
        },
        "embedding_scope": sorted({V1_SCOPES[s] for s in scopes or ["clip"]}),
    }
    # the rest of the request is checked before an uploaded file is kept
    check_video_request({**video, "media_source": {"url": video_url or "(the file sent)"}})
    if video_file is not None:
        from vidsense.api.assets import create_asset

        asset = create_asset(services, "direct", file=video_file, filename=video_filename)
        video["media_source"] = {"asset_id": asset.id}
    job = services.library.submit_job(KIND, {"model_name": model_name, "video": video})
    services.job_queued(job.id)
    return {"_id": job.id}


def _v1_task(job: JobRecord, options: list[str] | None = None) -> dict[str, Any]:
    """An embed task in v1's shape, read from the job: ``video_embedding`` holds ``metadata``
    once ready, and ``segments`` (of the ``options`` asked, all when empty) when ``options``
    is given (a status or a listing carries no vectors)."""
    status = _STATUS[job.status]
    out: dict[str, Any] = {
        "_id": job.id,
        "model_name": job.request.get("model_name"),
        "status": status,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }
    result = job.result or {}
    if status == "ready":
        meta = result.get("metadata") or {}
        embedding: dict[str, Any] = {
            "metadata": {
                "input_url": meta.get("input_url"),
                "input_filename": meta.get("input_filename"),
                "video_clip_length": meta.get("clip_length"),
                "video_embedding_scope": [
                    "video" if s == "asset" else s for s in meta.get("embedding_scopes") or []
                ],
                "video_embedding_option": meta.get("embedding_options"),
                "duration": meta.get("duration"),
            }
        }
        if options is not None:
            embedding["segments"] = [
                _v1_segment(d)
                for d in result.get("data") or []
                if not options or d.get("embedding_option") in options
            ]
        out["video_embedding"] = embedding
    elif status == "failed":
        out["error"] = {"message": job.error_message or job.error_code, "code": job.error_code}
    return out


def embed_task_v1(
    services: Services, task_id: str, options: Sequence[str] | None
) -> dict[str, Any]:
    """``GET /embed/tasks/{id}``: the task with its segments (only ``options`` when given:
    ``visual``, ``visual-text`` or ``transcription``; no audio vectors are kept)."""
    wanted = [V1_OPTIONS[option] for option in options or ()]
    return _v1_task(services.library.get_job(task_id, KIND), wanted)


def embed_task_status_v1(services: Services, task_id: str) -> dict[str, Any]:
    """``GET /embed/tasks/{id}/status``: the task without its vectors."""
    return _v1_task(services.library.get_job(task_id, KIND))


def list_embed_tasks_v1(services: Services, query: EmbedTaskQuery) -> dict[str, Any]:
    """``GET /embed/tasks``: a page of tasks without their vectors."""
    page, info = _task_page(services, query)
    return {"data": [_v1_task(j) for j in page], "page_info": info.model_dump()}


__all__ = [
    "EmbedRequest",
    "EmbedTask",
    "EmbedTaskList",
    "EmbedTaskQuery",
    "Embeddings",
    "create_embed_task",
    "create_embed_task_v1",
    "create_embeddings",
    "create_embeddings_v1",
    "embed_task_status_v1",
    "embed_task_v1",
    "get_embed_task",
    "list_embed_tasks",
    "list_embed_tasks_v1",
]
