"""Every limit a request meets before its work starts, in one place: the body size of each route
family, how deeply JSON may nest, the page ranges of listings.

Body sizes come from :class:`~vidsense.config.LimitSettings` (``VIDSENSE_LIMITS__*``) and
``max_upload_bytes``; :func:`body_limit` says which applies to a request. The server refuses a
body over it with ``413 request_too_large`` before reading it (by its ``Content-Length``) or as
soon as it passes the limit (a body sent without one).
"""

from __future__ import annotations

import json
import re

from vidsense.config import Settings
from vidsense.errors import InvalidArgument
from vidsense.search.base import MAX_PAGE_LIMIT as MAX_PAGE_LIMIT  # page_limit 1-50

MAX_JSON_DEPTH = 64
"""Deepest nesting of objects and arrays a JSON body (or a JSON form field) may have."""
MAX_PAGE = 1_000_000
"""Highest ``page`` number a listing takes (pages count from 1)."""
MAX_SKIP = 1_000_000_000
"""Most items a listing's ``skip`` passes over (a database offset is a 64-bit number)."""
MAX_FIELD_BYTES = 1 << 20
"""Largest text field of a multipart form, bytes (1 MiB)."""
FORM_SLACK_BYTES = 4 * MAX_FIELD_BYTES
"""What an upload's form may carry besides its file (its text fields and boundaries), bytes."""

_P = r"^/v1(?:\.\d+)?(?:/openai)?"
BODY_FAMILIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(_P + r"/(?:tasks|files)/?$"), "upload"),
    (re.compile(_P + r"/assets/multipart-uploads/[^/]+/chunks/\d+/?$"), "chunk"),
    (
        re.compile(_P + r"/(?:search|classify(?:/bulk)?|indexes/[^/]+/(?:logos|people/search))/?$"),
        "form",
    ),
    # media sent inline: data: URIs, Twelve Labs' analyze ``base64_string`` videos, and
    # VLM Run's inline skill bundles (base64 zips of up to 8 MiB)
    (
        re.compile(
            _P + r"/(?:chat/completions|video/generate|analyze(?:/tasks)?|agent/execute)/?$"
        ),
        "chat",
    ),
)
"""Route families whose bodies may be larger than a JSON body: ``(path pattern, family)``; every
other route is ``json``."""


def body_family(path: str, content_type: str) -> str:
    """The body-size family of a request: ``upload``, ``chunk``, ``form``, ``chat`` or
    ``json``.

    A multipart body to a route not listed in :data:`BODY_FAMILIES` counts as an upload, so
    that a route that takes files is never cut to the JSON limit."""
    for pattern, family in BODY_FAMILIES:
        if pattern.match(path):
            return family
    if content_type.lower().startswith("multipart/"):
        return "upload"
    return "json"


def body_limit(settings: Settings, path: str, content_type: str) -> tuple[int, str]:
    """``(bytes, setting)``: the largest body a request to ``path`` may send, and the setting
    that raises it."""
    family = body_family(path, content_type)
    limits = settings.limits
    if family == "upload":
        if not content_type.lower().startswith("multipart/"):
            return limits.json_bytes, "VIDSENSE_LIMITS__JSON_BYTES"
        return settings.max_upload_bytes + FORM_SLACK_BYTES, "VIDSENSE_MAX_UPLOAD_BYTES"
    if family == "chunk":
        return limits.chunk_bytes, "VIDSENSE_LIMITS__CHUNK_BYTES"
    if family == "form":
        return limits.form_bytes, "VIDSENSE_LIMITS__FORM_BYTES"
    if family == "chat":
        return limits.chat_bytes, "VIDSENSE_LIMITS__CHAT_BYTES"
    return limits.json_bytes, "VIDSENSE_LIMITS__JSON_BYTES"


def too_large_message(limit: int, setting: str) -> str:
    """What a client is told when its body is over ``limit`` bytes."""
    return f"the request body is larger than the limit of {limit} bytes ({setting})"


# -- JSON depth ----------------------------------------------------------------------------------

_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)
"""A JSON string (whatever brackets it holds) or one bracket."""


def check_json_depth(raw: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON text that nests objects and arrays deeper than ``limit``, without parsing
    it (a parser would recurse once per level). Text with no more than ``limit`` brackets
    cannot nest deeper and is not scanned at all."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    depth = 0
    for token in _TOKENS.finditer(raw):
        first = token.group()[0]
        if first in _OPEN:
            depth += 1
            if depth > limit:
                raise InvalidArgument(
                    f"the JSON nests deeper than {limit} levels of objects and arrays"
                )
        elif first in _CLOSE:
            depth -= 1


class JsonConstant(ValueError):
    """A ``NaN``, ``Infinity`` or ``-Infinity`` met while parsing JSON, which Python's parser
    accepts and JSON does not."""


def no_constant(name: str) -> float:
    """``json.loads``'s ``parse_constant``: refuses the constant (:class:`JsonConstant`)."""
    raise JsonConstant(f"{name} is not a JSON value")


def check_json_numbers(raw: bytes) -> None:
    """Refuse JSON text that holds ``NaN``, ``Infinity`` or ``-Infinity``, which Python's
    parser accepts and JSON does not (``InvalidArgument``); text that is not JSON for another
    reason is left to the route that reads it. Text without those words is not parsed."""
    if b"NaN" not in raw and b"Infinity" not in raw:
        return
    try:
        json.loads(raw, parse_constant=no_constant)
    except JsonConstant as e:
        raise InvalidArgument(f"the body is not valid JSON ({e})") from e
    except ValueError:
        return
