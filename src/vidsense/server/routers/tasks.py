"""``/tasks``: submit a video (upload, URL, external page), follow and list tasks."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from vidsense.errors import InvalidArgument
from vidsense.jobs import Executor
from vidsense.library import Library, Submission
from vidsense.server.deps import executor, library
from vidsense.server.forms import (
    FILE_FIELD,
    TaskForm,
    parse_json_form,
    parse_urlencoded_form,
    read_multipart,
    read_small_body,
)
from vidsense.server.protocol import (
    ExternalTaskCreate,
    Listing,
    Task,
    TaskCreated,
    listing,
    task_created,
    task_out,
)
from vidsense.store import TaskRecord

router = APIRouter(tags=["tasks"])
Lib = Annotated[Library, Depends(library)]
Exe = Annotated[Executor | None, Depends(executor)]


def _user_metadata(form: TaskForm) -> dict[str, Any] | None:
    text = form.get("user_metadata")
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as e:
        raise InvalidArgument(f"user_metadata must be a JSON object: {e}") from e
    if not isinstance(value, dict):
        raise InvalidArgument("user_metadata must be a JSON object")
    return value


def _submit(lib: Library, form: TaskForm) -> Submission:
    """Blocking part of ``POST /tasks`` (runs on a worker thread)."""
    index_id = form.get("index_id")
    try:
        if index_id is None:
            raise InvalidArgument("index_id is required")
        meta = _user_metadata(form)
        language = form.get("language")
        if form.file is not None:
            return lib.submit_upload(index_id, form.file, language=language, user_metadata=meta)
        url = form.get("video_url") or form.get("url")
        if url is None:
            raise InvalidArgument(
                f"send the video as {FILE_FIELD} (multipart/form-data) or as video_url"
            )
        return lib.submit_url(index_id, url, language=language, user_metadata=meta)
    finally:
        if form.file is not None:
            form.file.discard()  # a no-op once the library took it


def _task_view(lib: Library, task: TaskRecord) -> Task:
    video = None
    if task.video_id is not None:
        try:
            video = lib.store.get_video(task.video_id)
        except Exception:  # deleted meanwhile
            video = None
    return task_out(task, video)


@router.post("/tasks", status_code=201)
async def create_task(request: Request, lib: Lib, exe: Exe) -> TaskCreated:
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        length = request.headers.get("content-length")
        form = await read_multipart(
            lib,
            content_type,
            request.stream(),
            int(length) if length and length.isdigit() else None,
        )
    elif kind == "application/x-www-form-urlencoded":
        form = parse_urlencoded_form(await read_small_body(request.stream()))
    else:
        form = parse_json_form(await read_small_body(request.stream()))
    submission = await run_in_threadpool(_submit, lib, form)
    if exe is not None and not submission.duplicate:
        exe.submit(submission.task.id)
    return task_created(submission.task, submission.duplicate)


@router.post("/tasks/external-provider", status_code=201)
def create_external_task(body: ExternalTaskCreate, lib: Lib, exe: Exe) -> TaskCreated:
    submission = lib.submit_url(body.index_id, body.url, language=body.language, external=True)
    if exe is not None and not submission.duplicate:
        exe.submit(submission.task.id)
    return task_created(submission.task, submission.duplicate)


@router.get("/tasks/{task_id}")
def get_task(task_id: str, lib: Lib) -> Task:
    return _task_view(lib, lib.get_task(task_id))


@router.get("/tasks")
def list_tasks(
    lib: Lib,
    index_id: str | None = None,
    status: Literal["pending", "validating", "indexing", "ready", "failed"] | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_limit: Annotated[int, Query(ge=1, le=50)] = 10,
    sort_by: Literal["created_at", "updated_at"] = "created_at",
    sort_option: Literal["asc", "desc"] = "desc",
) -> Listing[Task]:
    """Tasks, optionally of one index and/or status, one page at a time."""
    found = lib.list_tasks(
        index_id=index_id,
        status=status,
        page=page,
        page_limit=page_limit,
        sort_by=sort_by,
        sort_option=sort_option,
    )
    return listing([_task_view(lib, t) for t in found.items], found)
