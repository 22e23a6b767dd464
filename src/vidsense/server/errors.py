"""One error envelope for every failure: ``{"code": ..., "message": ...}`` (Twelve Labs style).

Request validation errors (FastAPI's 422) become ``400 invalid_argument`` naming the field;
framework HTTP errors (unknown route, wrong method) keep their status with a code; everything
else goes through :func:`vidsense.errors.describe`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vidsense.errors import InvalidArgument, VidsenseError, describe

log = logging.getLogger(__name__)

_HTTP_CODES = {
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts)


def validation_message(error: RequestValidationError) -> str:
    """One sentence naming each wrong field and what was wrong with it."""
    problems = []
    for item in error.errors():
        kind = str(item.get("type", ""))
        name = _field(tuple(item.get("loc", ())))
        if kind == "json_invalid":
            reason = item.get("ctx", {}).get("error", item.get("msg", ""))
            problems.append(f"the body is not valid JSON ({reason})")
        elif kind == "missing":
            problems.append(f"{name} is required")
        elif not name:
            problems.append(f"the body is invalid: {item.get('msg', '')}")
        else:
            problems.append(f"{name}: {item.get('msg', 'invalid value')}")
    return "; ".join(problems) or "the request is invalid"


def as_vidsense_error(exc: Exception) -> Exception:
    """Framework errors in the vidsense error tree; other errors unchanged."""
    if isinstance(exc, RequestValidationError):
        return InvalidArgument(validation_message(exc))
    if isinstance(exc, StarletteHTTPException):
        error = VidsenseError(str(exc.detail), code=_HTTP_CODES.get(exc.status_code, "http_error"))
        error.status = exc.status_code
        return error
    return exc


OPENAI_PATHS = re.compile(
    r"^/v1/(chat/|models|files|artifacts|video/|predictions|domains)(/|$|\?)?"
)
"""Routes that answer in OpenAI's error envelope (the Twelve Labs routes keep theirs)."""
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def openai_error(status: int, code: str, message: str, param: str | None) -> dict[str, Any]:
    """OpenAI's ``{"error": {"message", "type", "param", "code"}}``."""
    kind = _OPENAI_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


async def error_response(request: Request, exc: Exception) -> JSONResponse:
    """The one exception handler: any error -> ``{"code", "message"}`` with its status, or
    OpenAI's envelope on the OpenAI-compatible routes."""
    error = as_vidsense_error(exc)
    status, code, message = describe(error)
    if status >= 500 and not isinstance(exc, VidsenseError):
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if OPENAI_PATHS.match(request.url.path):
        param = getattr(error, "param", None)
        body = openai_error(status, code, message, param)
        return JSONResponse(body, status_code=status, headers=headers)
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Route every error of ``app`` through :func:`error_response`."""
    for kind in (VidsenseError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(kind, error_response)
