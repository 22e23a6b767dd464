"""``/embed-v2`` and ``/embed-v2/tasks``: Twelve Labs' Embed API v2, and ``/embed`` and
``/embed/tasks``, its v1 (:mod:`vidsense.api.embeddings`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from vidsense.api import embeddings as api
from vidsense.api.embeddings import (
    Embeddings,
    EmbedRequest,
    EmbedTask,
    EmbedTaskList,
    EmbedTaskQuery,
)
from vidsense.api.wire import NOT_BLANK
from vidsense.server.deps import Svc

router = APIRouter(tags=["embeddings"])


@router.post("/embed-v2", response_model_exclude_none=True)
async def create_embeddings(body: EmbedRequest, svc: Svc) -> Embeddings:
    return await run_in_threadpool(api.create_embeddings, svc, body)


@router.post("/embed-v2/tasks", status_code=201, response_model_exclude_none=True)
def create_embed_task(body: EmbedRequest, svc: Svc) -> EmbedTask:
    return api.create_embed_task(svc, body)


@router.get("/embed-v2/tasks", response_model_exclude_none=True)
def list_embed_tasks(svc: Svc, query: Annotated[EmbedTaskQuery, Query()]) -> EmbedTaskList:
    return api.list_embed_tasks(svc, query)


@router.get("/embed-v2/tasks/{task_id}", response_model_exclude_none=True)
def get_embed_task(task_id: str, svc: Svc) -> EmbedTask:
    return api.get_embed_task(svc, task_id)


# -- v1 (``client.embed.create``, ``client.embed.tasks``) ----------------------------------------


@router.post("/embed")
async def create_embeddings_v1(
    svc: Svc,
    model_name: Annotated[str, Form(min_length=1, pattern=NOT_BLANK)],
    text: Annotated[str | None, Form()] = None,
    image_url: Annotated[str | None, Form()] = None,
    image_file: Annotated[UploadFile | None, File()] = None,
    audio_url: Annotated[str | None, Form()] = None,
    audio_file: Annotated[UploadFile | None, File()] = None,
    audio_start_offset_sec: Annotated[float | None, Form()] = None,
) -> dict[str, Any]:
    image = await image_file.read() if image_file is not None else None
    return await run_in_threadpool(
        api.create_embeddings_v1,
        svc,
        model_name,
        text=text,
        image_url=image_url,
        image_file=image,
        image_filename=image_file.filename if image_file is not None else None,
        audio=bool(audio_url) or audio_file is not None,
    )


@router.post("/embed/tasks", status_code=201)
async def create_embed_task_v1(
    svc: Svc,
    model_name: Annotated[str, Form(min_length=1, pattern=NOT_BLANK)],
    video_url: Annotated[str | None, Form()] = None,
    video_file: Annotated[UploadFile | None, File()] = None,
    video_start_offset_sec: Annotated[float | None, Form(ge=0)] = None,
    video_end_offset_sec: Annotated[float | None, Form(ge=0)] = None,
    video_clip_length: Annotated[float | None, Form()] = None,
    video_embedding_scope: Annotated[list[str] | None, Form()] = None,
) -> dict[str, Any]:
    return await run_in_threadpool(
        api.create_embed_task_v1,
        svc,
        model_name,
        video_url=video_url,
        video_file=video_file.file if video_file is not None else None,
        video_filename=video_file.filename if video_file is not None else None,
        start=video_start_offset_sec,
        end=video_end_offset_sec,
        clip_length=video_clip_length,
        scopes=video_embedding_scope,
    )


@router.get("/embed/tasks")
def list_embed_tasks_v1(svc: Svc, query: Annotated[EmbedTaskQuery, Query()]) -> dict[str, Any]:
    return api.list_embed_tasks_v1(svc, query)


@router.get("/embed/tasks/{task_id}/status")
def embed_task_status_v1(task_id: str, svc: Svc) -> dict[str, Any]:
    return api.embed_task_status_v1(svc, task_id)


@router.get("/embed/tasks/{task_id}")
def get_embed_task_v1(
    task_id: str,
    svc: Svc,
    embedding_option: Annotated[
        list[Literal["visual", "visual-text", "transcription"]] | None, Query()
    ] = None,
) -> dict[str, Any]:
    return api.embed_task_v1(svc, task_id, embedding_option)
