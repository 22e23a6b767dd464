"""``/tasks``: submit a video (upload, URL, external page), follow and list tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor

from vidsense.api import indexes as api
from vidsense.api.indexes import ExternalTaskCreate, Task, TaskCreated, TaskQuery
from vidsense.api.wire import Listing
from vidsense.server.deps import Svc
from vidsense.server.forms import read_task_form

router = APIRouter(tags=["tasks"])


class _TaskId(StringConvertor):
    """A task id: any path segment but ``external-provider`` (so that ``GET
    /tasks/external-provider`` is the wrong method for that route, not an unknown task)."""

    regex = "(?!external-provider$)[^/]+"


register_url_convertor("task_id", _TaskId())


@router.post("/tasks", status_code=201)
async def create_task(request: Request, svc: Svc) -> TaskCreated:
    form = await read_task_form(request, svc.library)
    return await run_in_threadpool(api.create_task, svc, form)


@router.post("/tasks/external-provider", status_code=201)
def create_external_task(body: ExternalTaskCreate, svc: Svc) -> TaskCreated:
    return api.create_external_task(svc, body)


@router.get("/tasks/{task_id:task_id}")
def get_task(task_id: str, svc: Svc) -> Task:
    return api.get_task(svc, task_id)


@router.get("/tasks")
def list_tasks(svc: Svc, query: Annotated[TaskQuery, Query()]) -> Listing[Task]:
    """Tasks, optionally of one index and/or status, one page at a time."""
    return api.list_tasks(svc, query)
