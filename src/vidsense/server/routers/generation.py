"""``/videos``: generated videos in OpenAI's Videos API shape (what ``client.videos`` calls)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from vidsense.api import generation as api
from vidsense.api.generation import VideoDeleted, VideoGeneration, VideoList
from vidsense.server.deps import Svc
from vidsense.server.forms import read_form
from vidsense.server.responses import media_file
from vidsense.studio.videos import MAX_REFERENCE_BYTES, Variant

router = APIRouter(tags=["videos"])


@router.post("/videos")
async def create_video(request: Request, svc: Svc) -> VideoGeneration:
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
def get_video(video_id: str, svc: Svc) -> VideoGeneration:
    return api.get_video(svc, video_id)


@router.get("/videos/{video_id}/content", response_class=FileResponse)
def video_content(video_id: str, svc: Svc, variant: Variant = "video") -> FileResponse:
    found = api.video_content(svc, video_id, variant)
    return media_file(found.path, found.media_type, found.filename)


@router.delete("/videos/{video_id}")
def delete_video(video_id: str, svc: Svc) -> VideoDeleted:
    return api.delete_video(svc, video_id)
