"""``/videos``: generated videos in OpenAI's Videos API shape (what ``client.videos`` calls)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from vidsense.api import generation as api
from vidsense.api.generation import Video, VideoDeleted, VideoList
from vidsense.server.deps import Svc
from vidsense.server.forms import read_form
from vidsense.studio.videos import MAX_REFERENCE_BYTES

router = APIRouter(tags=["videos"])


@router.post("/videos")
async def create_video(request: Request, svc: Svc) -> Video:
    form = await read_form(request, MAX_REFERENCE_BYTES)
    return await run_in_threadpool(api.create_video, svc, form)


@router.get("/videos")
def list_videos(
    svc: Svc,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
) -> VideoList:
    return api.list_videos(svc, after, limit, order)


@router.get("/videos/{video_id}")
def get_video(video_id: str, svc: Svc) -> Video:
    return api.get_video(svc, video_id)


@router.get("/videos/{video_id}/content", response_class=FileResponse)
def video_content(video_id: str, svc: Svc, variant: str = "video") -> FileResponse:
    found = api.video_content(svc, video_id, variant)
    return FileResponse(
        found.path,
        media_type=found.media_type,
        filename=found.filename,
        content_disposition_type="inline",
        headers={"Accept-Ranges": "bytes"},
    )


@router.delete("/videos/{video_id}")
def delete_video(video_id: str, svc: Svc) -> VideoDeleted:
    return api.delete_video(svc, video_id)
