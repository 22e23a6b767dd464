"""``/renders`` (timeline specs rendered as jobs) and ``/edits`` (reels, subtitles, reframes,
... as renders): create, follow, download (range requests), cancel, delete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from vidsense.api import renders as api
from vidsense.api.renders import EditList, Render, RenderDeleted, RenderList
from vidsense.server.deps import Svc
from vidsense.server.responses import media_file
from vidsense.studio.edits import EDITS

router = APIRouter(tags=["renders"])
SpecBody = Annotated[dict[str, Any], Body(description="a timeline spec (RenderSpec)")]
ParamsBody = Annotated[dict[str, Any], Body(description="the edit's parameters")]


@router.post("/renders", status_code=201)
async def create_render(spec: SpecBody, svc: Svc) -> Render:
    return await run_in_threadpool(api.create_render, svc, spec)


@router.get("/renders")
def list_renders(
    svc: Svc,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(description="the last id of the previous page")] = None,
) -> RenderList:
    return api.list_renders(svc, limit, after)


@router.get("/renders/{render_id}")
def get_render(render_id: str, svc: Svc) -> Render:
    return api.get_render(svc, render_id)


@router.get("/renders/{render_id}/content", response_class=FileResponse)
def render_content(render_id: str, svc: Svc) -> FileResponse:
    """The rendered file; honours ``Range`` (206 Partial Content) so players can seek."""
    found = api.render_content(svc, render_id)
    return media_file(found.path, found.media_type, found.filename)


@router.post("/renders/{render_id}/cancel")
def cancel_render(render_id: str, svc: Svc) -> Render:
    return api.cancel_render(svc, render_id)


@router.delete("/renders/{render_id}")
def delete_render(render_id: str, svc: Svc) -> RenderDeleted:
    return api.delete_render(svc, render_id)


@router.get("/edits")
def list_edits() -> EditList:
    return api.list_edits()


def _edit_route(name: str) -> Callable[[dict[str, Any], Svc], Awaitable[Render]]:
    async def create_edit(params: ParamsBody, svc: Svc) -> Render:
        return await run_in_threadpool(api.create_edit, svc, name, params)

    return create_edit


# One route per edit, so the document gives each its own parameters (EDITS' models); any
# other name is 404 edit_not_found.
for _name in EDITS:
    router.add_api_route(
        f"/edits/{_name}",
        _edit_route(_name),
        methods=["POST"],
        status_code=201,
        name=f"create_edit_{_name}",
        summary=f"Create Edit {_name.title()}",
    )


@router.post("/edits/{name}", status_code=201, include_in_schema=False)
async def create_edit(name: str, params: ParamsBody, svc: Svc) -> Render:
    return await run_in_threadpool(api.create_edit, svc, name, params)
