"""Wire models of the library API, with Twelve Labs v1.2 field names (``_id``, ``index_name``,
``engines``, ``page_info``, ...), and the functions that build them from library records.

Only pydantic here (no web framework), so :class:`vidsense.Client` parses answers with the
same models. Models accept extra fields, so a newer server never breaks an older client.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from vidsense.options import OPTIONS
from vidsense.store import IndexRecord, Page, Segment, TaskRecord, VideoRecord

T = TypeVar("T")

ENGINE_NAME = "vidsense"
"""The engine/model name indexes report: one local pipeline serves every option."""


class Wire(BaseModel):
    """Base of every wire model: ``_id``-style aliases in and out, extra fields kept."""

    model_config = ConfigDict(populate_by_name=True, extra="allow", protected_namespaces=())


# -- requests ----------------------------------------------------------------------------------


class EngineSpec(Wire):
    """A v1.2 engine: ``{"engine_name": "marengo2.6", "engine_options": ["visual", ...]}``."""

    engine_name: str = ENGINE_NAME
    engine_options: list[str] = Field(default_factory=list)


class ModelSpec(Wire):
    """A 2026 model: ``{"model_name": "marengo3.0", "model_options": ["visual", "audio"]}``."""

    model_name: str = ENGINE_NAME
    model_options: list[str] = Field(default_factory=list)


class IndexCreate(Wire):
    """``POST /indexes``: a name and, optionally, ``engines`` (v1.2) or ``models`` (2026)."""

    index_name: str = Field(min_length=1, max_length=200)
    engines: list[EngineSpec] | None = None
    models: list[ModelSpec] | None = None
    addons: list[str] | None = None


class IndexUpdate(Wire):
    """``PUT /indexes/{id}``: the new name."""

    index_name: str = Field(min_length=1, max_length=200)


class ExternalTaskCreate(Wire):
    """``POST /tasks/external-provider``: a page URL (YouTube, Vimeo, ...) for an index."""

    index_id: str
    url: str
    language: str | None = None


# -- responses ---------------------------------------------------------------------------------


class ErrorBody(Wire):
    """Every error: a stable machine-readable ``code`` and a message for people."""

    code: str
    message: str


class PageInfo(Wire):
    """Where a page sits in a listing (``page`` counts from 1)."""

    page: int
    limit_per_page: int
    total_page: int
    total_results: int


class Listing(Wire, Generic[T]):
    """One page of a listing."""

    data: list[T]
    page_info: PageInfo


class Index(Wire):
    """An index. ``total_duration`` is in seconds."""

    id: str = Field(alias="_id")
    index_name: str
    engines: list[EngineSpec]
    models: list[ModelSpec]
    options: list[str]
    addons: list[str]
    video_count: int
    total_duration: float
    created_at: str
    updated_at: str
    expires_at: str | None = None


class VideoMetadata(Wire):
    """Facts about a video file: ``duration`` seconds, ``fps`` frames per second, ``width``
    and ``height`` pixels (as displayed), ``size`` bytes."""

    filename: str
    duration: float
    fps: float
    width: int
    height: int
    size: int


class Video(Wire):
    """A video of an index."""

    id: str = Field(alias="_id")
    index_id: str
    status: str
    metadata: VideoMetadata
    system_metadata: VideoMetadata
    user_metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: str
    updated_at: str
    indexed_at: str | None = None


class TaskError(Wire):
    """Why a task failed."""

    code: str
    message: str


class TaskProcess(Wire):
    """Indexing progress, as Twelve Labs reports it (``percentage`` 0-100)."""

    percentage: float


class Task(Wire):
    """An indexing task. ``status``: validating -> pending -> indexing -> ready or failed;
    ``progress`` is a percentage; ``error`` is set when it failed."""

    id: str = Field(alias="_id")
    index_id: str
    video_id: str | None
    status: Literal["validating", "pending", "indexing", "ready", "failed"]
    progress: float
    process: TaskProcess
    error: TaskError | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    source_type: str | None = None
    attempts: int = 0
    created_at: str
    updated_at: str


class TaskCreated(Wire):
    """The answer to ``POST /tasks``: the task (an earlier one when ``duplicate``) and its
    video (``None`` until indexed)."""

    id: str = Field(alias="_id")
    video_id: str | None
    index_id: str
    status: str
    duplicate: bool = False


class TimeRange(Wire):
    """A stretch of a video, ``start``/``end`` in seconds, with what was found there."""

    start: float
    end: float
    value: str = ""


class TranscriptItem(TimeRange):
    """A spoken phrase; ``words`` has each word's ``start``/``end`` (seconds) and
    ``probability``."""

    words: list[dict[str, Any]] = Field(default_factory=list)


class TextItem(TimeRange):
    """On-screen text; ``box`` is ``[x, y, width, height]`` in video pixels."""

    confidence: float | None = None
    box: list[int] | None = None


class ShotItem(TimeRange):
    """A shot; ``index`` counts from 0."""

    index: int


class Evidence(Wire, Generic[T]):
    """``{"data": [...]}``, as the Twelve Labs evidence routes answer."""

    data: list[T]


class Thumbnail(Wire):
    """Where the thumbnail JPEG is (``/thumbnail.jpg``, with ``?time=`` when asked)."""

    thumbnail: str


class Health(Wire):
    """``GET /health``."""

    status: str
    version: str
    workers: int


class Deleted(Wire):
    """The answer to a successful DELETE (Twelve Labs answers 204; some clients want JSON)."""

    id: str = Field(alias="_id")
    deleted: bool = True


class SearchHit(Wire):
    """A moment that matches a search: ``start``/``end`` seconds in ``video_id``, ``score``
    0-100 with its ``confidence`` band, ``metadata`` saying what matched."""

    video_id: str
    start: float
    end: float
    score: float
    confidence: str
    rank: int
    thumbnail_url: str | None = None
    metadata: list[dict[str, Any]] = Field(default_factory=list)
    module_confidence: dict[str, str] = Field(default_factory=dict)
    transcription: str | None = None

    @property
    def text(self) -> str:
        """What matched, in words: the spoken or on-screen text (or label) of the hit."""
        if self.transcription:
            return self.transcription
        return next((str(m["text"]) for m in self.metadata if m.get("text")), "")


class VideoHits(Wire):
    """``group_by=video``: one video (``id``) and its matching moments, best first."""

    id: str
    rank: int
    clips: list[SearchHit] = Field(default_factory=list)


class SearchPool(Wire):
    """What a search covered: ``total_count`` videos, ``total_duration`` seconds."""

    total_count: int
    total_duration: float
    index_id: str


class SearchPageInfo(Wire):
    """Where a search page sits; ``next_page_token`` names the next one (None: last page)."""

    limit_per_page: int
    total_results: int
    page_expires_at: str | None = None
    next_page_token: str | None = None
    prev_page_token: str | None = None


class SearchPage(Wire):
    """One page of search results: moments (``group_by=clip``) or videos (``video``)."""

    search_pool: SearchPool
    data: list[SearchHit | VideoHits]
    page_info: SearchPageInfo
    visual_evidence: str | None = None

    @property
    def hits(self) -> list[SearchHit]:
        """Every moment on the page, in order (a video group's clips in its place)."""
        found: list[SearchHit] = []
        for item in self.data:
            found.extend(item.clips if isinstance(item, VideoHits) else [item])
        return found


class ClassClip(Wire):
    """A moment that puts a video in a class, found by ``prompt`` with ``option``."""

    start: float
    end: float
    score: float
    confidence: str
    thumbnail_url: str | None = None
    option: str
    prompt: str


class VideoClass(Wire):
    """A class a video belongs to: ``score`` 0-100, ``duration_ratio`` 0-1 of the video the
    class's moments cover; ``detailed_scores`` and ``clips`` when asked for."""

    name: str
    score: float
    duration_ratio: float
    detailed_scores: dict[str, float] | None = None
    clips: list[ClassClip] | None = None


class ClassifiedVideo(Wire):
    """The classes one video belongs to, best first."""

    video_id: str
    classes: list[VideoClass]


class ClassifyPage(Wire):
    """Classification results: the videos that belong to at least one class."""

    data: list[ClassifiedVideo]
    page_info: PageInfo


# -- building them from records ----------------------------------------------------------------


def page_info(page: Page[Any]) -> PageInfo:
    return PageInfo(
        page=page.page,
        limit_per_page=page.page_limit,
        total_page=page.total_pages,
        total_results=page.total,
    )


def index_out(index: IndexRecord) -> Index:
    options: list[str] = [o for o in OPTIONS if o in index.options]
    return Index(
        _id=index.id,
        index_name=index.name,
        engines=[EngineSpec(engine_name=ENGINE_NAME, engine_options=options)],
        models=[ModelSpec(model_name=ENGINE_NAME, model_options=options)],
        options=options,
        addons=index.addons,
        video_count=index.video_count,
        total_duration=round(index.total_duration, 3),
        created_at=index.created_at,
        updated_at=index.updated_at,
    )


def video_metadata(video: VideoRecord) -> VideoMetadata:
    return VideoMetadata(
        filename=video.filename,
        duration=round(video.duration, 3),
        fps=round(video.fps, 3),
        width=video.width,
        height=video.height,
        size=video.size,
    )


def video_out(video: VideoRecord) -> Video:
    meta = video_metadata(video)
    return Video(
        _id=video.id,
        index_id=video.index_id,
        status=video.status,
        metadata=meta,
        system_metadata=meta,
        user_metadata=video.metadata,
        created_at=video.created_at,
        updated_at=video.updated_at,
        indexed_at=video.updated_at if video.status == "ready" else None,
    )


def task_out(task: TaskRecord, video: VideoRecord | None = None) -> Task:
    """The wire task; ``video`` (when known) fills ``metadata`` with the file's facts."""
    source = task.source
    metadata: dict[str, Any] = {"filename": source.get("filename")}
    if source.get("url"):
        metadata["url"] = source["url"]
    if source.get("size"):
        metadata["size"] = source["size"]
    if video is not None:
        metadata.update(video_metadata(video).model_dump())
    error = (
        TaskError(code=task.error_code, message=task.error_message or task.error_code)
        if task.status == "failed" and task.error_code
        else None
    )
    progress = round(task.progress, 1)
    return Task(
        _id=task.id,
        index_id=task.index_id,
        video_id=task.video_id,
        status=task.status,
        progress=progress,
        process=TaskProcess(percentage=progress),
        error=error,
        metadata=metadata,
        source_type=source.get("type"),
        attempts=task.attempts,
        created_at=task.created_at,
        updated_at=task.updated_at,
    )


def task_created(task: TaskRecord, duplicate: bool) -> TaskCreated:
    return TaskCreated(
        _id=task.id,
        video_id=task.video_id,
        index_id=task.index_id,
        status=task.status,
        duplicate=duplicate,
    )


def transcript_out(segments: list[Segment]) -> Evidence[TranscriptItem]:
    return Evidence[TranscriptItem](
        data=[
            TranscriptItem(
                start=round(s.start, 3),
                end=round(s.end, 3),
                value=s.text,
                words=list(s.data.get("words", [])),
            )
            for s in segments
        ]
    )


def text_out(segments: list[Segment]) -> Evidence[TextItem]:
    return Evidence[TextItem](
        data=[
            TextItem(
                start=round(s.start, 3),
                end=round(s.end, 3),
                value=s.text,
                confidence=s.data.get("confidence"),
                box=s.data.get("box"),
            )
            for s in segments
        ]
    )


def shots_out(segments: list[Segment]) -> Evidence[ShotItem]:
    return Evidence[ShotItem](
        data=[
            ShotItem(
                start=round(s.start, 3),
                end=round(s.end, 3),
                index=int(s.data.get("index", i)),
            )
            for i, s in enumerate(segments)
        ]
    )


def listing(items: list[T], page: Page[Any]) -> Listing[T]:
    return Listing[T](data=items, page_info=page_info(page))


# -- grounded writing (Twelve Labs /gist, /summarize, /generate, /analyze) ----------------------


class GistRequest(Wire):
    """``POST /gist``: ``types`` of title, topic, hashtag."""

    video_id: str
    types: list[str] = Field(default_factory=lambda: ["title", "topic", "hashtag"])
    include_citations: bool = False


class SummarizeRequest(Wire):
    """``POST /summarize``: ``type`` summary | chapter | highlight, an optional ``prompt``."""

    video_id: str
    type: str = "summary"
    prompt: str | None = Field(default=None, max_length=20000)
    temperature: float | None = None
    max_tokens: int | None = None
    include_citations: bool = False


class GenerateRequest(Wire):
    """``POST /generate``: an open ``prompt``; ``stream`` answers as server-sent events."""

    video_id: str
    prompt: str
    temperature: float | None = None
    stream: bool = False
    include_citations: bool = False


class AnalyzeRequest(Wire):
    """``POST /analyze``: a ``prompt``, an optional JSON-schema ``response_format`` and a
    ``start_time``/``end_time`` window (seconds). ``video`` (2026 shape) may name the video as
    ``{"type": "video_id", "video_id": ...}`` instead of ``video_id``."""

    video_id: str | None = None
    video: dict[str, Any] | None = None
    prompt: str
    response_format: dict[str, Any] | None = None
    start_time: float | None = Field(default=None, ge=0)
    end_time: float | None = Field(default=None, gt=0)
    temperature: float | None = None
    max_tokens: int | None = None
    stream: bool = False
    include_citations: bool = False

    def target(self) -> str:
        """The video this request is about."""
        if self.video_id:
            return self.video_id
        video = self.video or {}
        found = video.get("video_id") or video.get("asset_id") or video.get("id")
        if not isinstance(found, str) or not found:
            from vidsense.errors import InvalidArgument

            raise InvalidArgument("video_id is required", param="video_id")
        return found
