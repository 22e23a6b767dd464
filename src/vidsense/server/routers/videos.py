"""``/indexes/{index_id}/videos``: list, get, update (user metadata), delete, evidence, thumbnails,
playback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse

from vidsense.api import indexes as api
from vidsense.api.indexes import (
    SUBTITLE_FORMATS,
    Evidence,
    ShotItem,
    TextItem,
    Thumbnail,
    TranscriptItem,
    Video,
    VideoQuery,
    VideoUpdate,
)
from vidsense.api.wire import Listing
from vidsense.server.deps import Svc

router = APIRouter(tags=["videos"])
VIDEO = "/indexes/{index_id}/videos/{video_id}"
FORMATS = ["json", *SUBTITLE_FORMATS]
"""What a transcript downloads as (its own check answers ``invalid_format``)."""
TimeQ = Annotated[float | None, Query(ge=0, description="seconds from the start")]


@router.get("/indexes/{index_id}/videos")
def list_videos(index_id: str, svc: Svc, query: Annotated[VideoQuery, Query()]) -> Listing[Video]:
    return api.list_videos(svc, index_id, query)


@router.get(VIDEO)
def get_video(index_id: str, video_id: str, svc: Svc, transcription: bool = False) -> Video:
    return api.get_video(svc, index_id, video_id, transcription)


@router.patch(VIDEO, status_code=204)
@router.put(VIDEO, status_code=204)  # Twelve Labs v1.2's method
def update_video(index_id: str, video_id: str, body: VideoUpdate, svc: Svc) -> Response:
    api.update_video(svc, index_id, video_id, body)
    return Response(status_code=204)


@router.delete(VIDEO, status_code=204)
def delete_video(index_id: str, video_id: str, svc: Svc) -> Response:
    api.delete_video(svc, index_id, video_id)
    return Response(status_code=204)


@router.get(VIDEO + "/transcription", response_model=Evidence[TranscriptItem])
def transcription(
    index_id: str,
    video_id: str,
    svc: Svc,
    format: Annotated[
        str,
        Query(description="json (default), srt or vtt", json_schema_extra={"enum": FORMATS}),
    ] = "json",
) -> Evidence[TranscriptItem] | Response:
    if format == "json":
        return api.transcription(svc, index_id, video_id)
    found = api.transcription_file(svc, index_id, video_id, format)
    disposition = f'attachment; filename="{found.filename}"'
    return Response(
        found.text.encode("utf-8"),
        media_type=f"{found.media_type}; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


@router.get(VIDEO + "/text-in-video")
def text_in_video(index_id: str, video_id: str, svc: Svc) -> Evidence[TextItem]:
    return api.text_in_video(svc, index_id, video_id)


@router.get(VIDEO + "/logo")
def logo(index_id: str, video_id: str, svc: Svc) -> Evidence[TextItem]:
    return api.logo(svc, index_id, video_id)


@router.get(VIDEO + "/shots")
def shots(index_id: str, video_id: str, svc: Svc) -> Evidence[ShotItem]:
    return api.shots(svc, index_id, video_id)


@router.get(VIDEO + "/thumbnail")
def thumbnail(
    index_id: str, video_id: str, request: Request, svc: Svc, time: TimeQ = None
) -> Thumbnail:
    url = request.url.replace(path=request.url.path + ".jpg")
    return api.thumbnail(svc, index_id, video_id, str(url))


@router.get(VIDEO + "/thumbnail.jpg", response_class=FileResponse)
def thumbnail_jpeg(index_id: str, video_id: str, svc: Svc, time: TimeQ = None) -> FileResponse:
    path = api.thumbnail_file(svc, index_id, video_id, time)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})


@router.get(VIDEO + "/stream", response_class=FileResponse)
def stream(index_id: str, video_id: str, svc: Svc) -> FileResponse:
    """The stored video; honours ``Range`` (206 Partial Content) so players can seek, and
    ``HEAD`` (its size and type, no bytes)."""
    path, media_type = api.video_file(svc, index_id, video_id)
    return FileResponse(path, media_type=media_type, headers={"Accept-Ranges": "bytes"})


# HEAD (size and type, no bytes) on the files a browser loads, signed URLs included.
router.add_api_route(
    VIDEO + "/thumbnail.jpg", thumbnail_jpeg, methods=["HEAD"], response_class=FileResponse
)
router.add_api_route(VIDEO + "/stream", stream, methods=["HEAD"], response_class=FileResponse)
