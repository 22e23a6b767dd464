"""One exception handler: every failure answers in the envelope of its route's family
(:func:`vidsense.api.envelopes.family_of`: ``{"code", "message"}`` on Twelve Labs' routes,
OpenAI's on the OpenAI and VLM Run routes), unknown routes and wrong methods included.

Request validation errors (FastAPI's 422) become ``400 invalid_argument`` naming the field;
framework HTTP errors (unknown route, wrong method) keep their status with a code; everything
else goes through :func:`vidsense.errors.describe`.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vidsense.api.envelopes import error_envelope, family_of
from vidsense.api.wire import validation_message
from vidsense.errors import InvalidArgument, VidsenseError

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
        return InvalidArgument(validation_message(exc.errors()))
    if isinstance(exc, StarletteHTTPException):
        error = VidsenseError(str(exc.detail), code=_HTTP_CODES.get(exc.status_code, "http_error"))
        error.status = exc.status_code
        return error
    return exc


async def error_response(request: Request, exc: Exception) -> JSONResponse:
    """The one exception handler: any error -> its envelope, with its status."""
    error = as_vidsense_error(exc)
    status, body = error_envelope(error, family_of(request.url.path))
    if status >= 500 and not isinstance(exc, VidsenseError):
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Route every error of ``app`` through :func:`error_response`."""
    for kind in (VidsenseError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(kind, error_response)
