"""``/embed-v2`` and ``/embed-v2/tasks``: Twelve Labs' Embed API v2
(:mod:`vidsense.api.embeddings`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from vidsense.api import embeddings as api
from vidsense.api.embeddings import (
    Embeddings,
    EmbedRequest,
    EmbedTask,
    EmbedTaskList,
    EmbedTaskQuery,
)
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
