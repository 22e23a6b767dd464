"""Twelve Labs' Embed API v2 over a video, and the job handler of its asynchronous form (embed
tasks, jobs of kind :data:`KIND`).

The video is ``media_source``: ``{"url"}``, ``{"asset_id"}`` (an asset, or a video indexed
through ``/tasks``) or ``{"base64_string"}``, indexed on demand into the hidden chat index once
per content, as an analysis does (:func:`vidsense.agent.analysis.analyzed_video`). Its vectors
come from what that indexing stored (:mod:`vidsense.search.embeddings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from vidsense.agent.analysis import analyzed_video
from vidsense.errors import InvalidArgument
from vidsense.search.embeddings import OPTIONS, SCOPES, moments, video_embeddings

if TYPE_CHECKING:
    from vidsense.agent.service import ChatService
    from vidsense.jobs.runs import Handler, JobRun
    from vidsense.search.embeddings import Embedding

KIND: Literal["embedding"] = "embedding"
"""The job kind of an embed task."""
DEFAULT_OPTIONS = OPTIONS
DEFAULT_SCOPES = SCOPES
NOT_KEPT = {
    "audio": "vidsense keeps no audio embeddings (sounds are kept as labelled audio events); "
    "ask for 'visual' and/or 'transcription'",
}


def _names(given: Any, allowed: tuple[str, ...], default: tuple[str, ...], param: str) -> list[str]:
    if given is None:
        return list(default)
    if not isinstance(given, list) or not given or not all(isinstance(g, str) for g in given):
        raise InvalidArgument(f"{param} must be a list of: {', '.join(allowed)}", param=param)
    for name in given:
        if name in NOT_KEPT:
            raise InvalidArgument(NOT_KEPT[name], param=param)
        if name not in allowed:
            raise InvalidArgument(
                f"{param} {name!r} is not one of: {', '.join(allowed)}", param=param
            )
    return list(dict.fromkeys(given))


def _seconds(value: Any, param: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InvalidArgument(f"{param} must be a number of seconds >= 0", param=param)
    return float(value)


def check_video_request(video: Any) -> dict[str, Any]:
    """The ``video`` part of an embed request, checked before any media is fetched: what
    :func:`embed_video` reads (400 ``invalid_argument`` naming the field at fault)."""
    if not isinstance(video, Mapping):
        raise InvalidArgument(
            'video is required: {"media_source": {"url" | "asset_id" | "base64_string"}}',
            param="video",
        )
    source = video.get("media_source")
    if not isinstance(source, Mapping) or not any(
        isinstance(source.get(k), str) and source.get(k)
        for k in ("url", "asset_id", "base64_string")
    ):
        raise InvalidArgument(
            "video.media_source must give one of url, asset_id or base64_string",
            param="video.media_source",
        )
    types = video.get("embedding_type")
    if types is not None and (not isinstance(types, list) or set(types) - {"separate_embedding"}):
        raise InvalidArgument(
            "embedding_type can only be 'separate_embedding': visual and transcription vectors "
            "live in different spaces (the image model's and the text embedder's), so there "
            "is no fused vector",
            param="video.embedding_type",
        )
    start = _seconds(video.get("start_sec"), "video.start_sec")
    end = _seconds(video.get("end_sec"), "video.end_sec")
    if start is not None and end is not None and end <= start:
        raise InvalidArgument("video.end_sec must come after start_sec", param="video.end_sec")
    fixed = minimum = None
    segmentation = video.get("segmentation")
    if segmentation is not None:
        strategy = segmentation.get("strategy") if isinstance(segmentation, Mapping) else None
        inner = segmentation.get(strategy) if isinstance(strategy, str) else None
        if strategy == "fixed" and isinstance(inner, Mapping):
            fixed = _seconds(inner.get("duration_sec"), "video.segmentation.fixed.duration_sec")
        elif strategy == "dynamic" and isinstance(inner, Mapping):
            minimum = _seconds(
                inner.get("min_duration_sec"), "video.segmentation.dynamic.min_duration_sec"
            )
        else:
            raise InvalidArgument(
                'video.segmentation is {"strategy": "fixed", "fixed": {"duration_sec": N}} or '
                '{"strategy": "dynamic", "dynamic": {"min_duration_sec": N}}',
                param="video.segmentation",
            )
        if fixed is not None and fixed <= 0:
            raise InvalidArgument(
                "fixed.duration_sec must be above 0", param="video.segmentation.fixed.duration_sec"
            )
    return {
        "media_source": dict(source),
        "start_sec": start,
        "end_sec": end,
        "fixed": fixed,
        "min_duration": minimum,
        "options": _names(
            video.get("embedding_option"), OPTIONS, DEFAULT_OPTIONS, "video.embedding_option"
        ),
        "scopes": _names(
            video.get("embedding_scope"), SCOPES, DEFAULT_SCOPES, "video.embedding_scope"
        ),
    }


def embedding_out(found: Embedding) -> dict[str, Any]:
    """One vector as Embed API v2's ``EmbeddingData`` (plus ``embedding_model``: its space)."""
    out: dict[str, Any] = {
        "embedding": [round(float(x), 7) for x in found.vector],
        "embedding_option": found.option,
        "embedding_scope": found.scope,
        "embedding_model": found.model,
    }
    if found.start is not None:
        out["start_sec"] = round(found.start, 3)
        out["end_sec"] = round(float(found.end or found.start), 3)
    return out


def embed_video(chat: ChatService, checked: Mapping[str, Any]) -> dict[str, Any]:
    """``{data, metadata}`` for a checked video request (:func:`check_video_request`),
    indexing the video first when it is new."""
    source = checked["media_source"]
    video_id = analyzed_video(chat, None, source)
    library = chat.library
    video = library.video_by_id(video_id)
    start = min(checked["start_sec"] or 0.0, video.duration)
    end = min(checked["end_sec"] or video.duration, video.duration)
    shots = library.video_segments(video_id, "shot")
    windows = moments(
        [(s.start, s.end) for s in shots],
        start,
        end,
        fixed=checked["fixed"],
        min_duration=checked["min_duration"],
    )
    sentences = None
    if "transcription" in checked["options"]:
        evidence = chat.writing.evidence(video_id)  # the transcript as whole sentences
        kept, matrix = evidence.matrix([i for i in evidence.items if i.type == "speech"])
        sentences = ([(i.start, i.end) for i in kept], matrix)
    found = video_embeddings(
        library, video_id, windows, shots, sentences, checked["options"], checked["scopes"]
    )
    metadata: dict[str, Any] = {
        "input_type": "video",
        "input_url": source.get("url"),
        "input_filename": video.filename,
        "clip_length": int(checked["fixed"]) if checked["fixed"] else None,
        "embedding_scopes": checked["scopes"],
        "embedding_options": checked["options"],
        "duration": round(video.duration, 3),
        "start_offset_sec": round(start, 3),
        "end_offset_sec": round(end, 3),
        "video_id": video_id,
    }
    return {"data": [embedding_out(f) for f in found], "metadata": metadata}


def embedding_handler(chat: ChatService) -> Handler:
    """The job handler that runs embed tasks (for :func:`vidsense.jobs.runs.run_job`)."""

    def handle(run: JobRun) -> dict[str, Any]:
        return embed_video(chat, check_video_request(run.job.request.get("video")))

    return handle


__all__ = ["KIND", "check_video_request", "embed_video", "embedding_handler", "embedding_out"]
