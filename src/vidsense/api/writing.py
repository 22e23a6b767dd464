"""Grounded writing about one video, in Twelve Labs' shapes: ``/gist``, ``/summarize``,
``/generate``, ``/analyze`` and its asynchronous form ``/analyze/tasks`` (a durable job of
kind ``analysis``, run by the job workers: ``queued`` -> ``processing`` -> ``ready`` |
``failed``).

Every time in an answer comes from evidence (:mod:`vidsense.language`). Streaming answers
(``stream: true``) are Twelve Labs' stream events (``stream_start``, ``text_generation``,
``stream_end``) as a :class:`~vidsense.api.streams.Stream`; an error mid-stream becomes an
``error`` event.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vidsense.agent.analysis import KIND as ANALYSIS_KIND
from vidsense.agent.analysis import analyzed_video, require_video
from vidsense.api.limits import MAX_PAGE
from vidsense.api.services import Services
from vidsense.api.streams import Stream, twelvelabs_error_event
from vidsense.api.wire import NOT_BLANK, Lower, PageInfo, Wire, one_of_fields, page_info
from vidsense.errors import Conflict, InvalidArgument
from vidsense.language.schema import response_format
from vidsense.store import JobRecord, Page

# -- requests --------------------------------------------------------------------------------------


Prompt = Annotated[str, Field(min_length=1, max_length=20000, pattern=NOT_BLANK)]
"""An instruction: some text that is not only spaces, up to 20,000 characters."""


GistType = Literal["title", "topic", "hashtag"]
GIST_TYPES: tuple[GistType, ...] = ("title", "topic", "hashtag")


class GistRequest(Wire):
    """``POST /gist``: ``types`` of title, topic, hashtag."""

    video_id: str = Field(min_length=1)
    types: list[Annotated[GistType, Lower]] = Field(
        default_factory=lambda: list(GIST_TYPES), min_length=1
    )
    include_citations: bool = False


class SummarizeRequest(Wire):
    """``POST /summarize``: ``type`` summary | chapter | highlight, an optional ``prompt``."""

    video_id: str = Field(min_length=1)
    type: Annotated[Literal["summary", "chapter", "highlight"], Lower] = "summary"
    prompt: str | None = Field(default=None, max_length=20000)
    temperature: float | None = None
    max_tokens: int | None = None
    include_citations: bool = False


class GenerateRequest(Wire):
    """``POST /generate``: an open ``prompt``; ``stream`` answers as stream events."""

    video_id: str = Field(min_length=1)
    prompt: Prompt
    temperature: float | None = None
    stream: bool = False
    include_citations: bool = False


class AnalyzeRequest(Wire):
    """``POST /analyze``: a ``prompt`` (or Twelve Labs' ``prompt_v2`` ``{"input_text"}``), an
    optional ``response_format`` (see :func:`vidsense.language.schema.response_format`) and a
    ``start_time``/``end_time`` window (seconds). The video is ``video_id``, or ``video`` in
    the 2026 shape: ``{"type": "video_id", "video_id"}``, ``{"type": "asset_id", "asset_id"}``,
    ``{"type": "url", "url"}`` or ``{"type": "base64_string", "base64_string"}`` (the last
    three indexed on demand, once per content). ``model_name`` is accepted and not used."""

    model_config = ConfigDict(
        strict=True,  # JSON: no text where a number belongs, no 0 for false
        json_schema_extra={
            "allOf": [one_of_fields("video_id", "video"), one_of_fields("prompt", "prompt_v2")]
        },
    )

    video_id: str | None = Field(default=None, min_length=1)
    video: dict[str, Any] | None = Field(default=None, json_schema_extra={"minProperties": 1})
    prompt: str | None = Field(
        default=None, max_length=20000, json_schema_extra={"pattern": NOT_BLANK}
    )
    prompt_v2: dict[str, Any] | None = Field(
        default=None,
        description='{"input_text"}: the prompt, when prompt is not given',
    )
    model_name: str | None = None
    response_format: dict[str, Any] | None = None
    start_time: float | None = Field(default=None, ge=0)
    end_time: float | None = Field(default=None, gt=0)
    temperature: float | None = None
    max_tokens: int | None = None
    stream: bool = False
    include_citations: bool = False

    def require_video(self) -> None:
        """``InvalidArgument`` naming ``video`` when the request names no video."""
        require_video(self.video_id, self.video)

    def question(self) -> str:
        """The prompt: ``prompt``, else ``prompt_v2.input_text``."""
        text = self.prompt
        if not text and isinstance(self.prompt_v2, dict):
            text = self.prompt_v2.get("input_text")
        if not isinstance(text, str) or not text.strip():
            raise InvalidArgument("prompt (or prompt_v2.input_text) is required", param="prompt")
        return text


class AnalyzeTaskCreate(AnalyzeRequest):
    """``POST /analyze/tasks``: an :class:`AnalyzeRequest` answered later (``stream`` is not
    used), with the caller's ``custom_id``."""

    custom_id: str | None = Field(default=None, max_length=200)
    analysis_mode: str | None = None


class AnalyzeTaskQuery(BaseModel):
    """``GET /analyze/tasks``: one page (``page`` from 1, ``page_limit`` 1-50), newest
    first."""

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_limit: int = Field(default=10, ge=1, le=50)


# -- responses -------------------------------------------------------------------------------------


class Usage(Wire):
    """Words written (``output_tokens``)."""

    output_tokens: int


class Citation(Wire):
    """A piece of evidence an answer used: ``start``/``end`` seconds, its ``type`` (speech,
    text, audio, ...) and ``text``."""

    start: float
    end: float
    type: str
    text: str


class Gist(Wire):
    """``/gist``: the ``types`` asked for; ``citations`` when asked."""

    id: str
    title: str | None = None
    topics: list[str] | None = None
    hashtags: list[str] | None = None
    usage: Usage
    citations: list[Citation] | None = None


class Chapter(Wire):
    """A chapter: ``start``/``end`` whole seconds, ``start_sec``/``end_sec`` exact seconds."""

    chapter_number: int
    start: int
    end: int
    start_sec: float
    end_sec: float
    chapter_title: str
    chapter_summary: str


class Highlight(Wire):
    """A highlight: ``start``/``end`` whole seconds, ``start_sec``/``end_sec`` exact seconds."""

    start: int
    end: int
    start_sec: float
    end_sec: float
    highlight: str
    highlight_summary: str


class Summary(Wire):
    """``/summarize``: ``summary``, ``chapters`` or ``highlights`` as ``summarize_type`` says."""

    id: str
    summarize_type: str
    summary: str | None = None
    chapters: list[Chapter] | None = None
    highlights: list[Highlight] | None = None
    usage: Usage
    citations: list[Citation] | None = None


class Generated(Wire):
    """``/generate``: the answer in ``data``."""

    id: str
    data: str
    usage: Usage
    citations: list[Citation] | None = None


class Analysis(Generated):
    """``/analyze``: ``data`` is text, or the JSON text the ``response_format`` asked for."""

    finish_reason: str


AnalyzeTaskStatus = Literal["queued", "pending", "processing", "ready", "failed", "canceled"]


class AnalyzeTaskCreated(Wire):
    task_id: str
    status: AnalyzeTaskStatus


class AnalyzeTaskResult(Wire):
    """What an analyze task wrote: ``data`` as ``/analyze`` answers it."""

    generation_id: str
    data: str
    finish_reason: str
    usage: Usage


class AnalyzeTaskError(Wire):
    code: str
    message: str


class AnalyzeTask(Wire):
    """An asynchronous analysis: its ``status``, the request's ``custom_id`` and video, and
    (``ready``) its ``result`` or (``failed``) its ``error``; times are ISO 8601 UTC."""

    task_id: str
    status: AnalyzeTaskStatus
    custom_id: str | None = None
    video_source: dict[str, Any] | None = None
    request_params: dict[str, Any] = Field(default_factory=dict)
    result: AnalyzeTaskResult | None = None
    error: AnalyzeTaskError | None = None
    created_at: str
    completed_at: str | None = None


class AnalyzeTaskList(Wire):
    data: list[AnalyzeTask]
    page_info: PageInfo


# -- calls -----------------------------------------------------------------------------------------


def gist(services: Services, body: GistRequest) -> Gist:
    result = services.writing.gist(body.video_id, body.types, citations=body.include_citations)
    return Gist.model_validate(result)


def summarize(services: Services, body: SummarizeRequest) -> Summary:
    result = services.writing.summarize(
        body.video_id, body.type, body.prompt, citations=body.include_citations
    )
    return Summary.model_validate(result)


def generate(services: Services, body: GenerateRequest) -> Generated | Stream:
    """The answer, or (``stream``) its stream events."""
    svc = services.writing
    if body.stream:
        svc.video(body.video_id)  # a bad id fails before the stream starts
        events = svc.stream(body.video_id, body.prompt, citations=body.include_citations)
        return Stream(events, twelvelabs_error_event, "ndjson")
    result = svc.generate(body.video_id, body.prompt, citations=body.include_citations)
    return Generated.model_validate(result)


def analyze(services: Services, body: AnalyzeRequest) -> Analysis | Stream:
    """The analysis, or (``stream``) the same as stream events: ``stream_start``, the whole
    text in one ``text_generation``, ``stream_end`` with usage (and citations when asked)."""
    svc = services.writing
    # Everything the request can get wrong is refused before a video is fetched or indexed.
    response_format(body.response_format)
    body.require_video()
    prompt = body.question()
    video_id = analyzed_video(services.chat, body.video_id, body.video)

    def run() -> Analysis:
        result = svc.analyze(
            video_id,
            prompt,
            body.response_format,
            start_time=body.start_time,
            end_time=body.end_time,
            citations=body.include_citations,
        )
        return Analysis.model_validate(result)

    if not body.stream:
        return run()
    svc.video(video_id)  # a bad id fails before the stream starts

    def events() -> Iterator[dict[str, Any]]:
        result = run()
        yield {"event_type": "stream_start", "metadata": {"generation_id": result.id}}
        yield {"event_type": "text_generation", "text": result.data}
        end: dict[str, Any] = {"event_type": "stream_end", "finish_reason": "stop"}
        end["metadata"] = {"generation_id": result.id, "usage": result.usage.model_dump()}
        if result.citations is not None:
            end["citations"] = [c.model_dump() for c in result.citations]
        yield end

    return Stream(events(), twelvelabs_error_event, "ndjson")


# -- asynchronous analysis -----------------------------------------------------------------------

_TASK_STATUS: dict[str, AnalyzeTaskStatus] = {
    "enqueued": "queued",
    "pending": "pending",
    "paused": "pending",
    "running": "processing",
    "completed": "ready",
    "failed": "failed",
}


def _task_status(job: JobRecord) -> AnalyzeTaskStatus:
    if job.status == "failed" and job.error_code == "cancelled":
        return "canceled"
    return _TASK_STATUS[job.status]


class AnalyzeTaskCanceled(Wire):
    task_id: str
    status: Literal["canceled"] = "canceled"


def cancel_analyze_task(services: Services, task_id: str) -> AnalyzeTaskCanceled:
    """``POST /analyze/tasks/{id}/cancel``: stop a task that has not ended (cancelling one
    cancelled before answers the same); one that ended is a 400."""
    job = services.library.get_job(task_id, ANALYSIS_KIND)
    if _task_status(job) != "canceled":
        if job.status in ("completed", "failed"):
            raise InvalidArgument(
                f"the task has ended ({_task_status(job)}): only a queued, pending or "
                "processing task can be cancelled",
                param="task_id",
            )
        try:
            services.library.cancel_job(task_id, "the task was cancelled")
        except Conflict:  # it ended meanwhile
            return cancel_analyze_task(services, task_id)
    return AnalyzeTaskCanceled(task_id=task_id)


def delete_analyze_task(services: Services, task_id: str) -> None:
    """``DELETE /analyze/tasks/{id}``: forget a task that has ended (ready, failed or
    canceled); one still queued or running is a 400 (cancel it first)."""
    job = services.library.get_job(task_id, ANALYSIS_KIND)
    if job.status not in ("completed", "failed"):
        raise InvalidArgument(
            f"the task is {_task_status(job)}: only a task that has ended can be deleted "
            "(cancel it first)",
            param="task_id",
        )
    services.library.delete_job(task_id)


def analyze_task_out(job: JobRecord) -> AnalyzeTask:
    request = job.request
    result = job.result or {}
    done = job.status == "completed" and "data" in result
    video = request.get("video") or {"type": "video_id", "video_id": request.get("video_id")}
    return AnalyzeTask(
        task_id=job.id,
        status=_task_status(job),
        custom_id=request.get("custom_id"),
        video_source=video,
        request_params={k: v for k, v in request.items() if k not in ("video", "video_id")},
        result=AnalyzeTaskResult(
            generation_id=result["id"],
            data=result["data"],
            finish_reason=result.get("finish_reason", "stop"),
            usage=Usage.model_validate(result["usage"]),
        )
        if done
        else None,
        error=AnalyzeTaskError(code=job.error_code, message=job.error_message or job.error_code)
        if job.status == "failed" and job.error_code
        else None,
        created_at=job.created_at,
        completed_at=job.completed_at,
    )


def create_analyze_task(services: Services, body: AnalyzeTaskCreate) -> AnalyzeTaskCreated:
    """Check the request as ``/analyze`` does, then queue it for the job workers (the
    ``analysis`` handler, :mod:`vidsense.agent.analysis`, answers it)."""
    response_format(body.response_format)
    body.require_video()
    request = body.model_dump(exclude_none=True, exclude={"stream", "prompt_v2"})
    request["prompt"] = body.question()
    job = services.library.submit_job(ANALYSIS_KIND, request)
    services.job_queued(job.id)
    return AnalyzeTaskCreated(task_id=job.id, status=_TASK_STATUS[job.status])


def get_analyze_task(services: Services, task_id: str) -> AnalyzeTask:
    return analyze_task_out(services.library.get_job(task_id, ANALYSIS_KIND))


def list_analyze_tasks(services: Services, query: AnalyzeTaskQuery) -> AnalyzeTaskList:
    """Analyze tasks, newest first (an empty page past the last)."""
    lib = services.library
    skip = (query.page - 1) * query.page_limit
    jobs = lib.list_jobs(kind=ANALYSIS_KIND, skip=skip, limit=query.page_limit)
    total = skip + len(jobs)
    if len(jobs) == query.page_limit:  # more may follow: count them, a store page at a time
        while more := lib.list_jobs(kind=ANALYSIS_KIND, skip=total, limit=1000):
            total += len(more)
    return AnalyzeTaskList(
        data=[analyze_task_out(j) for j in jobs],
        page_info=page_info(Page(jobs, total, query.page, query.page_limit)),
    )
