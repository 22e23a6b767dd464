"""Which API family each route belongs to, and the error envelope each family answers in:

- Twelve Labs' ``{"code": ..., "message": ...}`` (indexes, tasks, videos, search, writing,
  assets: every route not named in :data:`ROUTE_FAMILIES`);
- OpenAI's ``{"error": {"message", "type", "param", "code"}}`` (chat, models, files, generated
  videos, renders and edits (``param`` names a spec's field), and everything under VLM Run's
  agent base ``/v1/openai``);
- VLM Run's REST routes, whose SDK reads ``error.message`` and ``error.type`` (OpenAI's shape,
  so one writer serves both).

Every error a route answers, 404s and 405s from the router included, is written by
:func:`error_envelope` for the family :func:`family_of` finds for its path. Envelopes come from
:func:`vidsense.errors.describe` and go back through :func:`vidsense.errors.from_answer`
(:func:`read_error`), so a client raises the class the server raised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from vidsense.errors import VidsenseError, describe, from_answer

Family = Literal["twelvelabs", "openai", "vlmrun"]

ROUTE_FAMILIES: tuple[tuple[str, Family], ...] = (
    # VLM Run's agent base: the OpenAI-compatible routes again, under /v1/openai.
    ("/v1/openai", "openai"),
    ("/v1/chat", "openai"),
    ("/v1/models", "openai"),
    ("/v1/files", "openai"),
    ("/v1/videos", "openai"),
    ("/v1/renders", "openai"),
    ("/v1/edits", "openai"),
    # OpenAI's routes vidsense does not serve: their 404 in the envelope the SDK reads.
    *(
        (f"/v1/{name}", "openai")
        for name in (
            "responses",
            "embeddings",
            "images",
            "completions",
            "moderations",
            "batches",
            "uploads",
            "fine_tuning",
            "assistants",
            "threads",
            "vector_stores",
            "conversations",
            "containers",
            "evals",
            "realtime",
        )
    ),
    ("/v1/health", "vlmrun"),
    ("/v1/schema", "vlmrun"),
    ("/v1/domains", "vlmrun"),
    ("/v1/predictions", "vlmrun"),
    ("/v1/video", "vlmrun"),
    ("/v1/image", "vlmrun"),
    ("/v1/document", "vlmrun"),
    ("/v1/audio", "vlmrun"),
    ("/v1/artifacts", "vlmrun"),
    ("/v1/skills", "vlmrun"),
    ("/v1/agent", "vlmrun"),
)
"""Path prefixes (matched whole segments: ``/v1/video`` is not ``/v1/videos``) and their
family, first match wins; every other path is Twelve Labs'. A new route of a non-Twelve Labs
family adds its prefix here."""
DEFAULT_FAMILY: Family = "twelvelabs"

_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def family_of(path: str) -> Family:
    """The API family of a request path (see :data:`ROUTE_FAMILIES`)."""
    for prefix, family in ROUTE_FAMILIES:
        if path == prefix or path.startswith(prefix + "/"):
            return family
    return DEFAULT_FAMILY


def error_body(status: int, code: str, message: str, param: str | None) -> dict[str, Any]:
    """Twelve Labs' ``{"code", "message"}``."""
    return {"code": code, "message": message}


def openai_error(status: int, code: str, message: str, param: str | None) -> dict[str, Any]:
    """OpenAI's ``{"error": {"message", "type", "param", "code"}}``."""
    kind = _OPENAI_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


ENVELOPES: dict[Family, Callable[[int, str, str, str | None], dict[str, Any]]] = {
    "twelvelabs": error_body,
    "openai": openai_error,
    "vlmrun": openai_error,
}
"""The writer of each family's error body, from ``(status, code, message, param)``."""


def error_envelope(error: BaseException, family: Family) -> tuple[int, dict[str, Any]]:
    """``(status, body)`` of the answer to ``error`` in ``family``'s envelope."""
    status, code, message = describe(error)
    return status, ENVELOPES[family](status, code, message, getattr(error, "param", None))


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
