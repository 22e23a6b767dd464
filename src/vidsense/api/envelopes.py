"""The two error envelopes, written by the server and read back by the HTTP client:

- Twelve Labs' ``{"code": ..., "message": ...}`` (the library routes);
- OpenAI's ``{"error": {"message", "type", "param", "code"}}`` (chat, files, models, artifacts,
  VLM Run routes, generated videos, renders and edits: ``param`` names a spec's field).

Both come from :func:`vidsense.errors.describe` and go back through
:func:`vidsense.errors.from_answer`, so a client raises the class the server raised.
"""

from __future__ import annotations

import re
from typing import Any

from vidsense.errors import VidsenseError, describe, from_answer

OPENAI_PATHS = re.compile(
    r"^/v1/(chat/|models|files|artifacts|video/|videos|renders|edits|predictions|domains)"
    r"(/|$|\?)?"
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


def error_body(code: str, message: str) -> dict[str, Any]:
    """Twelve Labs' ``{"code", "message"}``."""
    return {"code": code, "message": message}


def openai_error(status: int, code: str, message: str, param: str | None) -> dict[str, Any]:
    """OpenAI's ``{"error": {"message", "type", "param", "code"}}``."""
    kind = _OPENAI_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_envelope(error: BaseException, openai: bool) -> tuple[int, dict[str, Any]]:
    """``(status, body)`` of the answer to ``error`` in the envelope of its route."""
    status, code, message = describe(error)
    if openai:
        return status, openai_error(status, code, message, getattr(error, "param", None))
    return status, error_body(code, message)


def read_error(status: int, body: Any, text: str = "") -> VidsenseError:
    """The exception an error answer stands for, from either envelope (or from ``text`` when
    the body is neither, as a proxy might answer)."""
    param = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
        param = body.get("param")
    if isinstance(body, dict) and "code" in body and "message" in body:
        code, message = str(body["code"]), str(body["message"])
    else:
        code, message = "http_error", text[:500] or f"HTTP {status}"
    return from_answer(status, code, message, param=param if isinstance(param, str) else None)
