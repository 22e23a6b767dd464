"""Streamed answers: the one server-sent-events encoder and the one NDJSON encoder.

A route that streams returns a :class:`Stream`: its events (dicts or wire models), the family's
way of reporting an error that happens mid-stream (Twelve Labs' ``error`` event, OpenAI's
error chunk), and the encoding. Server-sent events end with ``data: [DONE]`` (after an error
too); NDJSON is one JSON object per line and just ends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from vidsense.api.envelopes import openai_error
from vidsense.errors import describe

Encoding = Literal["sse", "ndjson"]
ErrorEvent = Callable[[BaseException], dict[str, Any]]
"""The event that reports an error raised while streaming."""
MEDIA_TYPES: dict[Encoding, str] = {"sse": "text/event-stream", "ndjson": "application/x-ndjson"}


def twelvelabs_error_event(error: BaseException) -> dict[str, Any]:
    """``{"event_type": "error", "error": {"code", "message", "status"}}``."""
    status, code, message = describe(error)
    return {"event_type": "error", "error": {"code": code, "message": message, "status": status}}


def openai_error_event(error: BaseException) -> dict[str, Any]:
    """OpenAI's error envelope as a chunk."""
    status, code, message = describe(error)
    return openai_error(status, code, message, getattr(error, "param", None))


def _payloads(events: Iterable[Any], error_event: ErrorEvent) -> Iterator[str]:
    """Each event as JSON text; an error ends the events with its error event."""
    try:
        for event in events:
            if isinstance(event, BaseModel):
                yield event.model_dump_json(by_alias=True, exclude_unset=True)
            else:
                yield json.dumps(event, ensure_ascii=False)
    except Exception as e:
        yield json.dumps(error_event(e), ensure_ascii=False)


def sse(events: Iterable[Any], error_event: ErrorEvent) -> Iterator[str]:
    """Server-sent events (``data: {...}``), then ``data: [DONE]``."""
    for payload in _payloads(events, error_event):
        yield f"data: {payload}\n\n"
    yield "data: [DONE]\n\n"


def ndjson(events: Iterable[Any], error_event: ErrorEvent) -> Iterator[str]:
    """Newline-delimited JSON: one event per line."""
    for payload in _payloads(events, error_event):
        yield payload + "\n"


ENCODERS: dict[Encoding, Callable[[Iterable[Any], ErrorEvent], Iterator[str]]] = {
    "sse": sse,
    "ndjson": ndjson,
}


@dataclass(frozen=True)
class Stream:
    """A streamed answer: ``events`` encoded as ``encoding``, an error mid-stream reported by
    ``error_event``. Iterating it blocks on the service, so the server iterates it on a
    worker thread."""

    events: Iterable[Any]
    error_event: ErrorEvent
    encoding: Encoding = "sse"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.encoding]

    def chunks(self) -> Iterator[str]:
        """The encoded stream, piece by piece."""
        return ENCODERS[self.encoding](self.events, self.error_event)
