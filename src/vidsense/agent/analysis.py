"""Twelve Labs' 2026 ``analyze`` over a video named as that API names it, and the job handler
of its asynchronous form (analyze tasks, jobs of kind :data:`KIND`).

A video is ``video_id`` (a library video), or ``video``: ``{"type": "video_id", "video_id"}``,
``{"type": "asset_id", "asset_id"}`` (an asset, see :meth:`~vidsense.agent.files.FileStore.
asset`), ``{"type": "url", "url"}`` or ``{"type": "base64_string", "base64_string"}``. The last
three are indexed on demand into the hidden chat index, once per content (a rerun of a task
finds them indexed and the answer cached).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from vidsense.agent.messages import MediaRef
from vidsense.errors import InvalidArgument, NotFound

if TYPE_CHECKING:
    from vidsense.agent.service import ChatService
    from vidsense.jobs.runs import Handler, JobRun

KIND: Literal["analysis"] = "analysis"
"""The job kind of an analyze task."""
VIDEO_TYPES = ("video_id", "asset_id", "url", "base64_string")
MISSING_VIDEO = (
    'video is required: {"type": "url", "url": ...}, {"type": "asset_id", "asset_id": ...}, '
    '{"type": "base64_string", ...} or video_id'
)


def require_video(video_id: str | None, video: Mapping[str, Any] | None) -> None:
    """``InvalidArgument`` naming ``video`` when a request names no video."""
    if not video_id and not (isinstance(video, Mapping) and video):
        raise InvalidArgument(MISSING_VIDEO, param="video")


def analyzed_video(chat: ChatService, video_id: str | None, video: Mapping[str, Any] | None) -> str:
    """The id of the library video a request is about, indexing a URL, asset or base64 video
    first (404 ``asset_not_found`` for an unknown asset; 400 for a URL that cannot be read or
    bytes that are not a video)."""
    require_video(video_id, video)
    if video_id:
        return video_id
    given = dict(video or {})
    kind = given.get("type") or next((k for k in VIDEO_TYPES if given.get(k)), None)
    if kind == "id":
        kind = "video_id"
    value = given.get(kind) if isinstance(kind, str) else None
    if kind == "video_id" and not value:
        value = given.get("id")
    if kind not in VIDEO_TYPES or not isinstance(value, str) or not value.strip():
        raise InvalidArgument(
            f"video.type must be one of {', '.join(VIDEO_TYPES)}, with that field set",
            param="video",
        )
    if kind == "video_id":
        return value
    if kind == "asset_id":
        try:
            chat.files.asset(value)
        except NotFound:
            # A video indexed through /tasks is an asset too: the official SDK's analyze
            # names videos only as assets, URLs or base64, not by video_id.
            if not _indexed(chat, value):
                raise
            return value
        ref = MediaRef("file", file_id=value)
    elif kind == "url":
        ref = MediaRef("video", url=value)
    else:
        payload = value if value.startswith("data:") else "data:video/mp4;base64," + value
        ref = MediaRef("video", url=payload)
    [found] = chat.media.locate([ref])
    return chat.media.index(found).video.id


def _indexed(chat: ChatService, video_id: str) -> bool:
    """Whether the library holds a video with this id."""
    try:
        chat.library.video_by_id(video_id)
    except NotFound:
        return False
    return True


def run_analysis(chat: ChatService, request: Mapping[str, Any]) -> dict[str, Any]:
    """Answer a checked analyze request (``prompt`` already read from ``prompt_v2``):
    ``{id, data, finish_reason, usage}`` as ``/analyze`` answers."""
    video_id = analyzed_video(chat, request.get("video_id"), request.get("video"))
    return chat.writing.analyze(
        video_id,
        str(request["prompt"]),
        request.get("response_format"),
        start_time=request.get("start_time"),
        end_time=request.get("end_time"),
        citations=bool(request.get("include_citations")),
    )


def analysis_handler(chat: ChatService) -> Handler:
    """The job handler that runs analyze tasks (for :func:`vidsense.jobs.runs.run_job`)."""

    def handle(run: JobRun) -> dict[str, Any]:
        return run_analysis(chat, run.job.request)

    return handle


__all__ = ["KIND", "VIDEO_TYPES", "analysis_handler", "analyzed_video", "run_analysis"]
