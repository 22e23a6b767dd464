"""Request bodies held to their route family's size (:func:`vidsense.api.limits.body_limit`)
and JSON bodies to :data:`~vidsense.api.limits.MAX_JSON_DEPTH`, before any route reads them.

A body whose ``Content-Length`` is over the limit is refused (``413 request_too_large``)
without reading a byte of it; one sent without a length is refused as soon as it passes the
limit. A JSON body is read whole (it is small), its depth checked and ``NaN``/``Infinity``
refused before the route parses it.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vidsense.api.limits import (
    body_limit,
    check_json_depth,
    check_json_numbers,
    too_large_message,
)
from vidsense.config import Settings
from vidsense.errors import SourceTooLarge


class BodyTooLarge(HTTPException):
    """A body passed its limit while a route was reading it (an HTTP error, so that the web
    framework's body reading hands it on untouched: ``413 request_too_large``)."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=413, detail=message)


def _is_json(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


class BodyLimit:
    """ASGI middleware holding every request body to its route family's limit."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "")
        limit, setting = body_limit(self.settings, scope["path"], content_type)
        message = too_large_message(limit, setting)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise SourceTooLarge(message, code="request_too_large")
        if _is_json(content_type):
            body = await _read_all(receive, limit, message)
            check_json_depth(body)
            check_json_numbers(body)
            await self.app(scope, _replay(body, receive), send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(message)
            return event

        await self.app(scope, counted, send)


async def _read_all(receive: Receive, limit: int, message: str) -> bytes:
    """The whole body, refused (``413``) once past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = event.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise SourceTooLarge(message, code="request_too_large")
        chunks.append(chunk)
        if not event.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then what the connection says next (its
    disconnect)."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
