"""One way to fail: every error answers in the envelope of its route's family
(:func:`vidsense.api.envelopes.family_of`: ``{"code", "message"}`` on Twelve Labs' routes,
OpenAI's on the OpenAI and VLM Run routes), unknown routes and wrong methods included, on a
connection that stays open.

Request validation errors (FastAPI's 422) become ``400 invalid_argument`` naming the field;
framework HTTP errors (unknown route, wrong method) keep their status and headers (``Allow``)
with a code; everything else goes through :func:`vidsense.errors.describe`, so a full disk is
``507 insufficient_storage``. What is logged: one line per server-side failure the code knows
(a full disk, a tool that failed), a traceback only for an error nobody expected, nothing for
a client that went away mid-request.

:func:`install` puts the handlers on the app and :class:`ErrorBoundary` around it: the web
framework's own last-resort handler answers 500 and then re-raises, so that the server logs the
error a second time and drops the connection.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vidsense.api.envelopes import error_envelope, family_of
from vidsense.api.wire import validation_error
from vidsense.errors import SourceTooLarge, VidsenseError, describe, storage_error

log = logging.getLogger(__name__)

_HTTP_CODES = {
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
}


def as_vidsense_error(exc: Exception) -> Exception:
    """Framework errors in the vidsense error tree; other errors unchanged."""
    if isinstance(exc, RequestValidationError):
        return validation_error(exc.errors())
    if isinstance(exc, StarletteHTTPException):
        kind = SourceTooLarge if exc.status_code == 413 else VidsenseError
        error = kind(str(exc.detail), code=_HTTP_CODES.get(exc.status_code, "http_error"))
        error.status = exc.status_code
        return error
    return exc


def _log_failure(request: Request, exc: Exception, status: int, code: str, message: str) -> None:
    """One line for a server-side failure vidsense knows; a traceback for anything else."""
    if status < 500:
        return
    if isinstance(exc, VidsenseError) or storage_error(exc) is not None:
        log.warning("%s %s: %s [%s]", request.method, request.url.path, message, code)
    else:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at the request's path (a route per method may share
    a path, and the framework's ``Allow`` names only the first one's)."""
    found = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            found.append(method)
    return found


async def error_response(request: Request, exc: Exception) -> JSONResponse:
    """The one exception handler: any error -> its envelope, with its status."""
    error = as_vidsense_error(exc)
    status, body = error_envelope(error, family_of(request.url.path))
    _, code, message = describe(error)
    _log_failure(request, exc, status, code, message)
    headers: dict[str, str] = {}
    if isinstance(exc, StarletteHTTPException) and exc.headers:
        headers.update(exc.headers)
    if status == 405:
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, headers=headers or None)


class ErrorBoundary:
    """ASGI middleware around the app: an error no route handler answered gets its envelope
    here (instead of the framework's 500 that re-raises); a client that went away gets
    nothing, and nothing is logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except ClientDisconnect:
            return
        except Exception as exc:
            request = Request(scope, receive)
            if started:  # too late for an answer: say what happened, once
                _, code, message = describe(exc)
                _log_failure(request, exc, 500, code, message)
                return
            response = await error_response(request, exc)
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Route every error of ``app`` through :func:`error_response`."""
    for kind in (VidsenseError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(kind, error_response)
    app.add_middleware(ErrorBoundary)
