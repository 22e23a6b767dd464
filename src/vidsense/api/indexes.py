"""Indexes, tasks, videos and their evidence (Twelve Labs v1.2 field names: ``_id``,
``index_name``, ``engines``, ``page_info``, ...), plus ``/health`` and signed media URLs.

Requests are validated here (a wrong field is ``InvalidArgument`` naming it), answered by the
:class:`~vidsense.library.Library`, and returned as the wire models below: the server's routers
and the in-process client call the same functions.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from vidsense import __version__
from vidsense.agent.media import RESERVED_PREFIX
from vidsense.api.limits import MAX_PAGE, MAX_PAGE_LIMIT
from vidsense.api.services import Services
from vidsense.api.wire import (
    NOT_BLANK,
    URL,
    Decoded,
    Listing,
    Lower,
    Wire,
    one_of_fields,
    page_info,
    validated,
)
from vidsense.errors import InvalidArgument, NotFound
from vidsense.library import StagedFile
from vidsense.models.whisper import LANGUAGE_HINT, known_languages
from vidsense.options import OPT_IN, OPTIONS, ModelOption, Option, model_analyzers
from vidsense.signing import UrlSigner
from vidsense.store import IndexRecord, Segment, TaskRecord, VideoRecord

T = TypeVar("T")

ENGINE_NAME = "vidsense"
"""The engine/model name indexes report: one local pipeline serves every option."""
FILE_FIELD = "video_file"
"""The form field a ``POST /tasks`` upload comes in."""

# -- requests --------------------------------------------------------------------------------------


class EngineSpec(Wire):
    """A v1.2 engine: ``{"engine_name": "marengo2.6", "engine_options": ["visual", ...]}``."""

    engine_name: str = ENGINE_NAME
    engine_options: list[Annotated[Option, Lower]] = Field(min_length=1)


class ModelSpec(Wire):
    """A 2026 model: ``{"model_name": "marengo3.0", "model_options": ["visual", "audio"]}``."""

    model_name: str = ENGINE_NAME
    model_options: list[Annotated[ModelOption, Lower]] = Field(min_length=1)


def _not_reserved(name: str) -> str:
    if name.strip().lower().startswith(RESERVED_PREFIX):
        raise ValueError(f"index names starting with {RESERVED_PREFIX!r} are vidsense's own")
    return name


IndexName = Annotated[
    str, Field(min_length=1, max_length=200, pattern=NOT_BLANK), AfterValidator(_not_reserved)
]
"""An index name a user may give: not in vidsense's own namespace (the chat's index)."""


class IndexCreate(Wire):
    """``POST /indexes``: a name and, optionally, ``engines`` (v1.2) or ``models`` (2026)."""

    index_name: IndexName
    engines: list[EngineSpec] | None = None
    models: list[ModelSpec] | None = None
    addons: list[Annotated[Literal["thumbnail"], Lower]] | None = None


class IndexUpdate(Wire):
    """``PUT /indexes/{id}``: the new name."""

    index_name: IndexName


class ExternalTaskCreate(Wire):
    """``POST /tasks/external-provider``: a page URL (YouTube, Vimeo, ...) for an index."""

    index_id: str = Field(min_length=1)
    url: HttpUrl
    language: Language | None = None


SortOption = Literal["asc", "desc"]


class ListQuery(BaseModel):
    """A listing's query: a filter vidsense does not apply (Twelve Labs' ``model_family``,
    ``created_at``, ``duration``, ...) is a 400 naming it, not silently ignored (which would
    answer a filtered list with everything)."""

    model_config = ConfigDict(extra="forbid")


class IndexQuery(ListQuery):
    """``GET /indexes``: one page (``page`` from 1, ``page_limit`` 1-50), newest first; only
    the index named ``index_name``, when given."""

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_limit: int = Field(default=10, ge=1, le=MAX_PAGE_LIMIT)
    sort_by: Literal["created_at", "updated_at", "index_name"] = "created_at"
    sort_option: SortOption = "desc"
    index_name: str | None = None


class VideoQuery(ListQuery):
    """``GET /indexes/{id}/videos``: one page of an index's videos, newest first; only those
    named ``filename``, when given."""

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_limit: int = Field(default=10, ge=1, le=MAX_PAGE_LIMIT)
    sort_by: Literal["created_at", "updated_at", "filename", "duration"] = "created_at"
    sort_option: SortOption = "desc"
    filename: str | None = None


class TaskQuery(ListQuery):
    """``GET /tasks``: tasks, optionally of one index and of a status or any of several
    (``status=ready&status=failed``), one page at a time."""

    index_id: str | None = None
    status: list[Literal["pending", "validating", "indexing", "ready", "failed"]] | None = None
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_limit: int = Field(default=10, ge=1, le=MAX_PAGE_LIMIT)
    sort_by: Literal["created_at", "updated_at"] = "created_at"
    sort_option: SortOption = "desc"


HttpUrl = Annotated[str, Field(pattern=URL)]
"""A URL: http(s) to a public address is taken (checked against the address rules, then
fetched while indexing); any other scheme or address is refused with ``403 url_not_allowed``,
text that is no URL at all with 400."""


def _language_pattern() -> str:
    """A language code speech recognition knows (either case), with an optional region
    ("en-US"): the schema says what the server takes, so a client (or a fuzzer) reading it
    sends no code the server then refuses. Any 2-3 letter code when the list is unknown."""
    known = known_languages()
    codes = (
        "(?:" + "|".join("".join(f"[{c}{c.upper()}]" for c in code) for code in sorted(known)) + ")"
        if known
        else "[A-Za-z]{2,3}"
    )
    return rf"^\s*{codes}(-[A-Za-z0-9]{{2,8}})?\s*$"


_LANGUAGE = _language_pattern()


def _known_language(value: str) -> str:
    if not re.fullmatch(_LANGUAGE, value):
        raise ValueError(f"not a language speech recognition knows; {LANGUAGE_HINT}")
    return value


Language = Annotated[
    str,
    AfterValidator(_known_language),
    Field(
        description="the spoken language: an ISO 639-1 code such as en (or en-US)",
        json_schema_extra={"pattern": _LANGUAGE},
    ),
]


class TaskBody(Wire):
    """``POST /tasks`` (multipart with a ``video_file``, url-encoded or JSON): the index and
    the video, as an uploaded file (forms) or a ``video_url`` (``url``)."""

    model_config = ConfigDict(json_schema_extra=one_of_fields("video_url", "url"))

    index_id: str = Field(min_length=1)
    video_url: HttpUrl | None = Field(default=None, description="an http(s) URL of a video file")
    url: HttpUrl | None = Field(default=None, description="the same as video_url")
    language: Language | None = None
    user_metadata: Annotated[dict[str, Any], Decoded] | None = Field(
        default=None, description="a JSON object kept with the video"
    )


@dataclass
class TaskForm:
    """The fields of a ``POST /tasks`` body (text, whatever the body's encoding) and the staged
    ``video_file`` if one came."""

    fields: dict[str, str] = field(default_factory=dict)
    file: StagedFile | None = None

    def get(self, name: str) -> str | None:
        """A field's value; None when absent or blank."""
        value = self.fields.get(name)
        return value if value is None or value.strip() else None


# -- responses -------------------------------------------------------------------------------------


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


class TimeRange(Wire):
    """A stretch of a video, ``start``/``end`` in seconds, with what was found there."""

    start: float
    end: float
    value: str = ""


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
    """A video of an index; ``transcription`` (what is said, by phrase) only when asked."""

    id: str = Field(alias="_id")
    index_id: str
    status: str
    metadata: VideoMetadata
    system_metadata: VideoMetadata
    user_metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: str
    updated_at: str
    indexed_at: str | None = None
    asset_id: str | None = None
    transcription: list[TimeRange] | None = None


class TaskError(Wire):
    """Why a task failed."""

    code: str
    message: str


class TaskProcess(Wire):
    """Indexing progress, as Twelve Labs reports it (``percentage`` 0-100)."""

    percentage: float


class Task(Wire):
    """An indexing task. ``status``: validating -> pending -> indexing -> ready or failed;
    ``progress`` is a percentage; ``error`` is set when it failed; ``system_metadata`` has the
    file's facts (``filename``; ``duration`` s, ``fps``, ``width``, ``height``, ``size`` once
    indexed), ``metadata`` the same plus where it came from."""

    id: str = Field(alias="_id")
    index_id: str
    video_id: str | None
    status: Literal["validating", "pending", "indexing", "ready", "failed"]
    progress: float
    process: TaskProcess
    error: TaskError | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    system_metadata: dict[str, Any] = Field(default_factory=dict)
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


class TranscriptItem(TimeRange):
    """A spoken phrase; ``words`` has each word's ``start``/``end`` (seconds) and
    ``probability``."""

    words: list[dict[str, Any]] = Field(default_factory=list)


class TextItem(TimeRange):
    """On-screen text; ``box`` is ``[x, y, width, height]`` in video pixels."""

    confidence: float | None = None
    box: list[int] | None = None


class ShotItem(TimeRange):
    """A shot; ``index`` counts from 0. ``transition`` is how it began: a ``cut``, or a
    ``dissolve`` or ``fade`` spanning ``transition_start`` to ``transition_end`` seconds (the
    shot's ``start`` is then the transition's middle); None for the first shot, and for videos
    indexed before transitions were kept."""

    index: int
    transition: Literal["cut", "dissolve", "fade"] | None = None
    transition_start: float | None = None
    transition_end: float | None = None


class Evidence(Wire, Generic[T]):
    """``{"data": [...]}``, as the Twelve Labs evidence routes answer."""

    data: list[T]


class Thumbnail(Wire):
    """Where the thumbnail JPEG is (``/thumbnail.jpg``, with ``?time=`` when asked)."""

    thumbnail: str


class Health(Wire):
    """``GET /health``: ``workers`` indexing in this process."""

    status: str
    version: str
    workers: int


# -- building them from records --------------------------------------------------------------------


def index_out(index: IndexRecord) -> Index:
    """The wire index. ``models`` and ``engines`` are the ones it was created with, as named
    (models created in 2026 terms are reported as engines too, with the v1.2 options they
    cover, and engines as models); an index created with neither reports one ``vidsense``
    model running every option it has."""
    options: list[Option] = [o for o in (*OPTIONS, *OPT_IN) if o in index.options]
    engines: list[EngineSpec] = []
    models: list[ModelSpec] = []
    for named in index.models or []:
        if "engine_name" in named:
            name, given = named["engine_name"], list(named["engine_options"])
            engines.append(
                EngineSpec.model_validate({"engine_name": name, "engine_options": given})
            )
            models.append(ModelSpec.model_validate({"model_name": name, "model_options": given}))
        else:
            name, given = named["model_name"], list(named["model_options"])
            models.append(ModelSpec.model_validate({"model_name": name, "model_options": given}))
            covered = model_analyzers(given)
            engines.append(
                EngineSpec.model_validate({"engine_name": name, "engine_options": covered})
            )
    if not models:
        engines = [EngineSpec(engine_name=ENGINE_NAME, engine_options=options)]
        models = [ModelSpec(model_name=ENGINE_NAME, model_options=[*options])]
    return Index(
        _id=index.id,
        index_name=index.name,
        engines=engines,
        models=models,
        options=[*options],
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
    system = {"filename": source.get("filename")}
    if video is not None:
        system.update(video_metadata(video).model_dump())
    return Task(
        _id=task.id,
        index_id=task.index_id,
        video_id=task.video_id,
        status=task.status,
        progress=progress,
        process=TaskProcess(percentage=progress),
        error=error,
        metadata=metadata,
        system_metadata=system,
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
                transition=s.data.get("transition"),
                transition_start=s.data.get("transition_start"),
                transition_end=s.data.get("transition_end"),
            )
            for i, s in enumerate(segments)
        ]
    )


# -- health ----------------------------------------------------------------------------------------


def health(services: Services) -> Health:
    return Health(status="ok", version=__version__, workers=services.workers)


# -- indexes ---------------------------------------------------------------------------------------


def create_index(services: Services, body: IndexCreate) -> Index:
    engines = [e.model_dump() for e in body.engines] if body.engines is not None else None
    models = [m.model_dump() for m in body.models] if body.models is not None else None
    index = services.library.create_index(
        body.index_name, engines=engines, models=models, addons=body.addons
    )
    return index_out(index)


def list_indexes(services: Services, query: IndexQuery) -> Listing[Index]:
    asked = query.model_dump(exclude={"index_name"})
    found = services.library.list_indexes(**asked, name=query.index_name)
    return Listing[Index](data=[index_out(i) for i in found.items], page_info=page_info(found))


def get_index(services: Services, index_id: str) -> Index:
    return index_out(services.library.get_index(index_id))


def rename_index(services: Services, index_id: str, body: IndexUpdate) -> Index:
    return index_out(services.library.rename_index(index_id, body.index_name))


def delete_index(services: Services, index_id: str) -> None:
    services.library.delete_index(index_id)


# -- videos and their evidence ---------------------------------------------------------------------


def list_videos(services: Services, index_id: str, query: VideoQuery) -> Listing[Video]:
    """A page of an index's videos, each with the asset it was indexed from (if any)."""
    found = services.library.list_videos(index_id, **query.model_dump())
    videos = [video_out(v) for v in found.items]
    for video in videos:
        video.asset_id = asset_of(services, video.id)
    return Listing[Video](data=videos, page_info=page_info(found))


def get_video(
    services: Services, index_id: str, video_id: str, transcription: bool = False
) -> Video:
    """The video (with the asset it was indexed from, if any); with ``transcription``, what
    is said in it too (by phrase, seconds)."""
    video = video_out(services.library.get_video(index_id, video_id))
    video.asset_id = asset_of(services, video_id)
    if transcription:
        video.transcription = said(services, index_id, video_id)
    return video


def said(services: Services, index_id: str, video_id: str) -> list[TimeRange]:
    """What is said in a video, by phrase (``start``/``end`` seconds), for answers that
    carry it inline."""
    found = services.library.transcription(index_id, video_id)
    return [TimeRange(start=round(s.start, 3), end=round(s.end, 3), value=s.text) for s in found]


def asset_of(services: Services, video_id: str) -> str | None:
    """The asset a video was indexed from (its task has the video's id, see
    :mod:`vidsense.api.assets`), or None."""
    try:
        task = services.library.get_task(video_id)
    except NotFound:
        return None
    found = task.source.get("asset_id")
    return str(found) if found else None


class VideoUpdate(BaseModel):
    """``PATCH`` (or ``PUT``) ``/indexes/{index_id}/videos/{video_id}``: user metadata fields
    to set, a field given as null to remove (Twelve Labs' ``indexes.videos.update`` and
    ``indexes.indexed_assets.update``)."""

    model_config = ConfigDict(extra="allow")

    user_metadata: dict[str, str | int | float | bool | None] | None = None


def update_video(services: Services, index_id: str, video_id: str, body: VideoUpdate) -> None:
    """Set (or, given null, remove) some of a video's user metadata fields."""
    services.library.update_video_metadata(index_id, video_id, body.user_metadata or {})


def delete_video(services: Services, index_id: str, video_id: str) -> None:
    services.library.delete_video(index_id, video_id)


def transcription(services: Services, index_id: str, video_id: str) -> Evidence[TranscriptItem]:
    return transcript_out(services.library.transcription(index_id, video_id))


@dataclass(frozen=True)
class SubtitleFile:
    """A transcript as a subtitle file: its text, media type and download name."""

    text: str
    media_type: str
    filename: str


SUBTITLE_FORMATS = ("srt", "vtt")


def transcription_file(services: Services, index_id: str, video_id: str, fmt: str) -> SubtitleFile:
    """What was said as SubRip (``srt``) or WebVTT (``vtt``) cues: at most two lines of 42
    characters each, a cue per sentence or less, at the words' own times."""
    from vidsense.media.subtitles import to_srt, to_vtt, word_cues
    from vidsense.studio.reel import words_of

    if fmt not in SUBTITLE_FORMATS:
        raise InvalidArgument(
            f"format: {fmt!r}; choose json, srt or vtt", param="format", code="invalid_format"
        )
    cues = word_cues(words_of(services.library.transcription(index_id, video_id)))
    if fmt == "srt":
        return SubtitleFile(to_srt(cues), "application/x-subrip", f"{video_id}.srt")
    return SubtitleFile(to_vtt(cues), "text/vtt", f"{video_id}.vtt")


def text_in_video(services: Services, index_id: str, video_id: str) -> Evidence[TextItem]:
    return text_out(services.library.text_in_video(index_id, video_id))


def logo(services: Services, index_id: str, video_id: str) -> Evidence[TextItem]:
    return text_out(services.library.logos(index_id, video_id))


def shots(services: Services, index_id: str, video_id: str) -> Evidence[ShotItem]:
    return shots_out(services.library.shots(index_id, video_id))


def thumbnail(services: Services, index_id: str, video_id: str, url: str) -> Thumbnail:
    """Where the video's thumbnail is: ``url``, the JPEG route (checked to exist)."""
    services.library.get_video(index_id, video_id)
    return Thumbnail(thumbnail=url)


def thumbnail_file(services: Services, index_id: str, video_id: str, at: float | None) -> Path:
    """The JPEG of the video's thumbnail, or of its frame at ``at`` seconds."""
    return services.library.thumbnail(index_id, video_id, at)


def video_file(services: Services, index_id: str, video_id: str) -> tuple[Path, str]:
    """The stored video and its media type."""
    return services.library.video_file(index_id, video_id)


# -- tasks -----------------------------------------------------------------------------------------


def create_task(services: Services, form: TaskForm) -> TaskCreated:
    """``POST /tasks``: the staged ``video_file`` or a ``video_url`` for ``index_id`` (both:
    400). The staged file is taken by the library or deleted, whatever happens; a file that is
    not a video at all is refused (400 ``unsupported_media``), no task made."""
    lib = services.library
    try:
        body = validated(TaskBody, {k: v for k, v in form.fields.items() if v.strip()})
        index_id, meta, language = body.index_id, body.user_metadata, body.language
        if form.file is not None and (body.video_url or body.url):
            raise InvalidArgument(
                f"send the video as {FILE_FIELD} or as video_url, not both", param="video_url"
            )
        if form.file is not None:
            sub = lib.submit_upload(
                index_id, form.file, language=language, user_metadata=meta, refuse_unsupported=True
            )
        else:
            url = body.video_url or body.url
            if url is None:
                raise InvalidArgument(
                    f"send the video as {FILE_FIELD} (multipart/form-data) or as video_url"
                )
            sub = lib.submit_url(index_id, url, language=language, user_metadata=meta)
    finally:
        if form.file is not None:
            form.file.discard()  # a no-op once the library took it
    if not sub.duplicate:
        services.queued(sub.task.id)
    return task_created(sub.task, sub.duplicate)


def create_task_from_file(services: Services, fields: dict[str, str], path: Path) -> TaskCreated:
    """:func:`create_task` with a local file as the ``video_file`` (copied in; the original is
    left alone): what an upload is, without HTTP."""
    index_id = fields.get("index_id")
    if index_id:  # refuse an unknown index before copying the file
        services.library.get_index(index_id)
    return create_task(services, TaskForm(fields, services.library.stage_file(path)))


def create_external_task(services: Services, body: ExternalTaskCreate) -> TaskCreated:
    sub = services.library.submit_url(
        body.index_id, body.url, language=body.language, external=True
    )
    if not sub.duplicate:
        services.queued(sub.task.id)
    return task_created(sub.task, sub.duplicate)


def _task_view(services: Services, task: TaskRecord) -> Task:
    video = None
    if task.video_id is not None:
        try:
            video = services.library.video_by_id(task.video_id)
        except NotFound:  # deleted meanwhile
            video = None
    return task_out(task, video)


def get_task(services: Services, task_id: str) -> Task:
    return _task_view(services, services.library.get_task(task_id))


def list_tasks(services: Services, query: TaskQuery) -> Listing[Task]:
    found = services.library.list_tasks(**query.model_dump())
    tasks = [_task_view(services, t) for t in found.items]
    return Listing[Task](data=tasks, page_info=page_info(found))


# -- signed media URLs -----------------------------------------------------------------------------

MEDIA_PATH = re.compile(
    r"^(?:/v1(?:\.\d+)?/indexes/[^/?#]+/videos/[^/?#]+/(?:stream|thumbnail\.jpg)"
    r"|/v1/(?:renders|videos)/[^/?#]+/content)$"
)
"""The paths that may be signed: a video's stream and its thumbnails/keyframe images, a
render's or generated video's file."""
DEFAULT_SIGNED_SECONDS = 6 * 3600
MAX_SIGNED_SECONDS = 24 * 3600


class SignRequest(BaseModel):
    """``POST /media/sign``."""

    path: str = Field(
        description="an API path such as /v1/indexes/{index_id}/videos/{video_id}/stream "
        "(a query string such as ?time=3.5 is kept)",
        pattern=MEDIA_PATH.pattern.removesuffix("$") + r"(\?[^#]*)?$",
    )
    expires_in: int = Field(default=DEFAULT_SIGNED_SECONDS, ge=60, le=MAX_SIGNED_SECONDS)


class SignedUrl(BaseModel):
    url: str = Field(description="the path with expires and signature added")
    expires_at: int | None = Field(description="unix seconds; null when no key is needed")


def sign_media(signer: UrlSigner | None, body: SignRequest) -> SignedUrl:
    """A URL for a video's stream or thumbnail that opens without a key until it expires (the
    path itself when the server needs no key: ``signer`` None)."""
    parts = urlsplit(body.path)
    if parts.scheme or parts.netloc or parts.fragment or not MEDIA_PATH.match(parts.path):
        raise InvalidArgument(
            "path must be a video's stream or thumbnail.jpg, "
            "like /v1/indexes/{index_id}/videos/{video_id}/stream",
            param="path",
        )
    if signer is None:
        return SignedUrl(url=body.path, expires_at=None)
    # the server checks the decoded path it receives; sign that one
    expires_at = int(time.time()) + body.expires_in
    signature = signer.signature(unquote(parts.path), expires_at)
    query = "&".join(
        p for p in parts.query.split("&") if p and p.split("=")[0] not in ("expires", "signature")
    )
    url = f"{parts.path}?{query + '&' if query else ''}expires={expires_at}&signature={signature}"
    return SignedUrl(url=url, expires_at=expires_at)
