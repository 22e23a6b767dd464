"""``/indexes/{index_id}/videos``: list, get, delete, evidence, thumbnails, playback."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse

from vidsense.library import Library
from vidsense.server.deps import library
from vidsense.server.protocol import (
    Evidence,
    Listing,
    ShotItem,
    TextItem,
    Thumbnail,
    TranscriptItem,
    Video,
    listing,
    shots_out,
    text_out,
    transcript_out,
    video_out,
)

router = APIRouter(tags=["videos"])
Lib = Annotated[Library, Depends(library)]
VIDEO = "/indexes/{index_id}/videos/{video_id}"
TimeQ = Annotated[float | None, Query(ge=0, description="seconds from the start")]


@router.get("/indexes/{index_id}/videos")
def list_videos(
    index_id: str,
    lib: Lib,
    page: Annotated[int, Query(ge=1)] = 1,
    page_limit: Annotated[int, Query(ge=1, le=50)] = 10,
    sort_by: Literal["created_at", "updated_at", "filename", "duration"] = "created_at",
    sort_option: Literal["asc", "desc"] = "desc",
) -> Listing[Video]:
    found = lib.list_videos(
        index_id, page=page, page_limit=page_limit, sort_by=sort_by, sort_option=sort_option
    )
    return listing([video_out(v) for v in found.items], found)


@router.get(VIDEO)
def get_video(index_id: str, video_id: str, lib: Lib) -> Video:
    return video_out(lib.get_video(index_id, video_id))


@router.delete(VIDEO, status_code=204)
def delete_video(index_id: str, video_id: str, lib: Lib) -> Response:
    lib.delete_video(index_id, video_id)
    return Response(status_code=204)


@router.get(VIDEO + "/transcription")
def transcription(index_id: str, video_id: str, lib: Lib) -> Evidence[TranscriptItem]:
    return transcript_out(lib.transcription(index_id, video_id))


@router.get(VIDEO + "/text-in-video")
def text_in_video(index_id: str, video_id: str, lib: Lib) -> Evidence[TextItem]:
    return text_out(lib.text_in_video(index_id, video_id))


@router.get(VIDEO + "/logo")
def logo(index_id: str, video_id: str, lib: Lib) -> Evidence[TextItem]:
    return text_out(lib.logos(index_id, video_id))


@router.get(VIDEO + "/shots")
def shots(index_id: str, video_id: str, lib: Lib) -> Evidence[ShotItem]:
    return shots_out(lib.shots(index_id, video_id))


@router.get(VIDEO + "/thumbnail")
def thumbnail(
    index_id: str, video_id: str, request: Request, lib: Lib, time: TimeQ = None
) -> Thumbnail:
    lib.get_video(index_id, video_id)
    url = request.url.replace(path=request.url.path + ".jpg")
    return Thumbnail(thumbnail=str(url))


@router.get(VIDEO + "/thumbnail.jpg", response_class=FileResponse)
def thumbnail_jpeg(index_id: str, video_id: str, lib: Lib, time: TimeQ = None) -> FileResponse:
    path = lib.thumbnail(index_id, video_id, time)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})


@router.get(VIDEO + "/stream", response_class=FileResponse)
def stream(index_id: str, video_id: str, lib: Lib) -> FileResponse:
    """The stored video; honours ``Range`` (206 Partial Content) so players can seek."""
    path, media_type = lib.video_file(index_id, video_id)
    return FileResponse(path, media_type=media_type, headers={"Accept-Ranges": "bytes"})
