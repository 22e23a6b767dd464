"""Grounded writing about one video, in Twelve Labs' shapes: ``/gist``, ``/summarize``,
``/generate`` and ``/analyze``.

Every time in an answer comes from evidence (:mod:`vidsense.language`). Streaming answers
(``stream: true``) are Twelve Labs' stream events (``stream_start``, ``text_generation``,
``stream_end``) as a :class:`~vidsense.api.streams.Stream`; an error mid-stream becomes an
``error`` event.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from vidsense.api.services import Services
from vidsense.api.streams import Stream, twelvelabs_error_event
from vidsense.api.wire import NOT_BLANK, Lower, Wire, one_of_fields
from vidsense.errors import InvalidArgument

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


class VideoRef(Wire):
    """The 2026 way to name a video: ``{"type": "video_id", "video_id": ...}`` (or
    ``asset_id``, or ``id``)."""

    model_config = ConfigDict(json_schema_extra=one_of_fields("video_id", "asset_id", "id"))

    type: str | None = None
    video_id: str | None = Field(default=None, min_length=1)
    asset_id: str | None = Field(default=None, min_length=1)
    id: str | None = Field(default=None, min_length=1)


class AnalyzeRequest(Wire):
    """``POST /analyze``: a ``prompt``, an optional ``response_format`` (see
    :func:`vidsense.language.schema.response_format`) and a ``start_time``/``end_time`` window
    (seconds). ``video`` (2026 shape) may name the video as ``{"type": "video_id",
    "video_id": ...}`` instead of ``video_id``."""

    model_config = ConfigDict(json_schema_extra=one_of_fields("video_id", "video"))

    video_id: str | None = Field(default=None, min_length=1)
    video: VideoRef | None = None
    prompt: Prompt
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
        video = self.video or VideoRef()
        found = video.video_id or video.asset_id or video.id
        if not found:
            raise InvalidArgument("video_id is required", param="video_id")
        return found


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
        return Stream(events, twelvelabs_error_event)
    result = svc.generate(body.video_id, body.prompt, citations=body.include_citations)
    return Generated.model_validate(result)


def analyze(services: Services, body: AnalyzeRequest) -> Analysis | Stream:
    """The analysis, or (``stream``) the same as stream events: ``stream_start``, the whole
    text in one ``text_generation``, ``stream_end`` with usage (and citations when asked)."""
    svc = services.writing
    video_id = body.target()

    def run() -> Analysis:
        result = svc.analyze(
            video_id,
            body.prompt,
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

    return Stream(events(), twelvelabs_error_event)
