"""Renders and edits: ``POST /v1/renders`` (a timeline spec, :mod:`vidsense.media.timeline`)
and ``POST /v1/edits/{name}`` (an edit's parameters, :mod:`vidsense.studio.edits`) answer a
render to follow at ``GET /v1/renders/{id}`` (``status`` and ``progress`` 0-100), whose file
is ``GET /v1/renders/{id}/content`` (range requests work); ``POST .../cancel`` stops one,
``DELETE`` removes it with its file. ``GET /v1/edits`` lists the edits and their parameters.

A bad spec or edit is a 400 whose ``param`` names the field (``clips[2].end``,
``video_id``); nothing is queued then. Specs sent over HTTP name library video ids, uploaded
file ids (``file-...``), earlier renders or generated videos and fonts by file name, never a
path on the server.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from vidsense.api.services import Services
from vidsense.api.wire import Wire
from vidsense.store import JobRecord
from vidsense.studio.edits import EDITS
from vidsense.studio.renders import RenderFile

# -- responses -------------------------------------------------------------------------------------


class RenderError(Wire):
    code: str
    message: str


class RenderOutput(Wire):
    """The rendered file as probed: seconds, pixels, frames per second, bytes."""

    duration: float
    frames: int
    width: int
    height: int
    fps: float
    codec: str
    container: str
    media_type: str
    audio: bool
    audio_duration: float | None = None
    subtitle_track: bool = False
    size: int


class Render(Wire):
    """A render: ``status`` is the job's (``enqueued``, ``pending``, ``running``,
    ``completed``, ``failed``), ``progress`` 0-100; ``planned`` is what a spec will make
    (duration, size, rate, codec), ``output`` what was made; times are ISO 8601 UTC."""

    id: str
    object: str = "render"
    status: str
    progress: int
    edit: str | None = None
    params: dict[str, Any] | None = None
    planned: dict[str, Any] | None = None
    output: RenderOutput | None = None
    error: RenderError | None = None
    content_url: str | None = None
    created_at: str
    updated_at: str
    completed_at: str | None = None


class RenderList(Wire):
    object: str = "list"
    data: list[Render]
    has_more: bool
    last_id: str | None = None


class RenderDeleted(Wire):
    id: str
    object: str = "render.deleted"
    deleted: bool = True


class EditInfo(Wire):
    name: str
    summary: str
    slow: bool = Field(description="built in the job (a reframe follows the subject)")
    parameters: dict[str, Any] = Field(description="JSON schema of the parameters")


class EditList(Wire):
    object: str = "list"
    data: list[EditInfo]


def render_out(job: JobRecord) -> Render:
    result = job.result or {}
    output = RenderOutput.model_validate(result) if job.status == "completed" and result else None
    return Render(
        id=job.id,
        status=job.status,
        progress=round(job.progress),
        edit=job.request.get("edit"),
        params=job.request.get("params"),
        planned=job.request.get("planned"),
        output=output,
        error=RenderError(code=job.error_code, message=job.error_message or "")
        if job.error_code
        else None,
        content_url=f"/v1/renders/{job.id}/content" if output is not None else None,
        created_at=job.created_at,
        updated_at=job.updated_at,
        completed_at=job.completed_at,
    )


# -- calls -----------------------------------------------------------------------------------------


def create_render(services: Services, spec: dict[str, Any]) -> Render:
    """Check a spec against its files and queue it."""
    job = services.renders.submit(spec)
    services.job_queued(job.id)
    return render_out(job)


def create_edit(services: Services, name: str, params: dict[str, Any]) -> Render:
    """Check an edit's parameters and queue it."""
    job = services.renders.submit_edit(name, params)
    services.job_queued(job.id)
    return render_out(job)


def get_render(services: Services, render_id: str) -> Render:
    return render_out(services.renders.get(render_id))


def list_renders(services: Services, limit: int = 20, after: str | None = None) -> RenderList:
    jobs = services.renders.list(limit=limit + 1, before=after)
    data = [render_out(j) for j in jobs[:limit]]
    return RenderList(data=data, has_more=len(jobs) > limit, last_id=data[-1].id if data else None)


def cancel_render(services: Services, render_id: str) -> Render:
    return render_out(services.renders.cancel(render_id))


def delete_render(services: Services, render_id: str) -> RenderDeleted:
    services.renders.delete(render_id)
    return RenderDeleted(id=render_id)


def render_content(services: Services, render_id: str) -> RenderFile:
    """The finished file (409 ``render_not_ready`` before)."""
    return services.renders.content(render_id)


def list_edits() -> EditList:
    return EditList(
        data=[
            EditInfo(
                name=e.name,
                summary=e.summary,
                slow=e.slow,
                parameters=e.params.model_json_schema(),
            )
            for e in EDITS.values()
        ]
    )
