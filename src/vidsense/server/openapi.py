"""The OpenAPI document, made to tell the truth where the web framework cannot see it: the
bodies of the routes that read their own (search, classify, logos, tasks, files), the error
answers of every route in its family's envelope (``400``, never the framework's ``422``), the
API key when the server has one, and the media types of files, streams and server-sent events.

``/openapi.json``, ``/docs`` and ``/redoc`` sit behind the API key like every other route
unless ``VIDSENSE_DOCS_PUBLIC=true`` opens them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from vidsense.api.envelopes import family_of
from vidsense.api.generation import VideoCreate
from vidsense.api.indexes import TaskBody
from vidsense.api.openai import FileCreate
from vidsense.api.people import PersonSearch
from vidsense.api.search import ClassifyBody, ClassifyBulkBody, LogoBody, SearchBody
from vidsense.config import Settings
from vidsense.media.timeline import RenderSpec
from vidsense.server.deps import require_api_key
from vidsense.studio.edits import EDITS

_REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Body:
    """A body a route reads itself: its fields (``model``), the files a multipart form adds
    (``(name, required, repeatable)``), and the encodings documented (JSON, forms)."""

    model: type[BaseModel]
    files: tuple[tuple[str, bool, bool], ...] = ()
    json: bool = True
    form: bool = True
    urlencoded: bool = True
    blank_is_absent: bool = True


BODIES: dict[tuple[str, str], Body] = {
    ("post", "/v1/tasks"): Body(TaskBody, files=(("video_file", False, False),)),
    ("post", "/v1/search"): Body(SearchBody, files=(("query_media_file", False, True),)),
    ("post", "/v1/classify"): Body(ClassifyBody, form=False, urlencoded=False),
    ("post", "/v1/classify/bulk"): Body(ClassifyBulkBody, form=False, urlencoded=False),
    ("post", "/v1/indexes/{index_id}/logos"): Body(
        LogoBody, files=(("file", True, False),), json=False, urlencoded=False
    ),
    ("post", "/v1/indexes/{index_id}/people/search"): Body(
        PersonSearch, files=(("file", False, False),)
    ),
    ("post", "/v1/files"): Body(
        FileCreate,
        files=(("file", True, False),),
        json=False,
        urlencoded=False,
        blank_is_absent=False,
    ),
    ("post", "/v1/videos"): Body(VideoCreate, files=(("input_reference", False, False),)),
    ("post", "/v1/renders"): Body(RenderSpec, form=False, urlencoded=False),
    **{
        ("post", f"/v1/edits/{name}"): Body(edit.params, form=False, urlencoded=False)
        for name, edit in EDITS.items()
    },
}
"""The routes that read their own bodies, and those whose body the web framework reads as a
plain object (renders, edits), by ``(method, path)`` as the document names them.
A form carries the model's text, number and list fields (lists as repeated fields); its object
fields (``filter``, ``user_metadata``, ...) are taken as JSON text too, but only the JSON body
documents them."""

ERRORS: dict[int, str] = {
    400: "The request is invalid: the message names the field and what is accepted (or the "
    "media sent is not a video or an image this server reads: unsupported_media).",
    401: "No API key, or a wrong one (x-api-key or Authorization: Bearer).",
    403: "Not allowed: a URL to a private address, or a signed URL forged or expired.",
    404: "No such index, video, task, file or page (the code names which).",
    409: "The request clashes with what exists (a name taken), or what it asks for is not "
    "ready (a render's file before it is made).",
    410: "The page token has expired.",
    413: "The body (or a file, or a data: URI in it) is over its limit (the message names the "
    "setting).",
    422: "The media is damaged, cut short or empty (corrupt_media, empty_media).",
    502: "A URL in the request could not be fetched.",
    503: "A model is not installed, or the data folder cannot be written.",
    507: "The server's storage is full (insufficient_storage); nothing was kept.",
}
"""Every error status a route may answer, and what it means."""

_READS_MEDIA = re.compile(
    r"^/v1(\.\d+)?/(tasks$|assets$|search$|analyze(/tasks)?$|(openai/)?chat/|agent/execute$"
    r"|embed(-v2)?(/tasks)?$"
    r"|(video|image|document|audio)/generate$|indexes/[^/]+/(logos|people/search)$)"
)
_FETCHES_URLS = re.compile(
    r"^/v1(\.\d+)?/(tasks$|tasks/external|assets$|search$|analyze(/tasks)?$|(openai/)?chat/"
    r"|agent/execute$|embed(-v2)?(/tasks)?$"
    r"|(video|image|document|audio)/generate$|indexes/[^/]+/people/search$)"
)
_USES_MODELS = re.compile(
    r"^/v1/(search|classify|gist|summarize|generate|analyze|(openai/)?chat/|video/|agent/|embed)"
)
_PAGE_TOKENS = re.compile(r"\{page_token\}")
_NAMES_THINGS = re.compile(r"^/v1/(indexes(/\{index_id\})?|skills/create)$")
_NOT_READY = re.compile(r"^/v1/(renders|videos)/\{\w+\}/(content|cancel)$")
"""A render's or generated video's file before it is made, or a cancel after it ended."""
_SIGNED = re.compile(r"/(stream|thumbnail\.jpg)$|^/v1/artifacts")
_MAKES_FILES = re.compile(r"/thumbnail\.jpg$")
_STREAMS_EVENTS = frozenset(
    {("post", "/v1/generate"), ("post", "/v1/analyze"), ("post", "/v1/chat/completions")}
)
_FILES: dict[re.Pattern[str], dict[str, Any]] = {
    re.compile(r"/stream$"): {"video/*": {}, "application/octet-stream": {}},
    re.compile(r"/thumbnail\.jpg$"): {"image/jpeg": {}},
    re.compile(r"/content$"): {"application/octet-stream": {}},
    # (a later pattern replaces an earlier one) renders and generated videos: MP4 or WebM,
    # GIF or WebP, a JPEG thumbnail or sprite sheet
    re.compile(r"^/v1/(renders|videos)/\{\w+\}/content$"): {"video/*": {}, "image/*": {}},
    re.compile(r"^/v1/artifacts(/\{session_id\}/\{object_id\})?$"): {
        "image/jpeg": {},
        "video/mp4": {},
    },
    re.compile(r"/bundle\.zip$"): {"application/zip": {}},
}
"""Routes that answer with a file, by their path, and its media types."""


def error_statuses(method: str, path: str, operation: dict[str, Any], keyed: bool) -> set[int]:
    """The error statuses an operation may answer."""
    has_body = method in ("post", "put", "patch")
    params = operation.get("parameters", [])
    statuses: set[int] = set()
    if keyed and operation.get("security") != []:
        statuses.add(401)
    if has_body or params:
        statuses |= {400, 404}
    if has_body:
        statuses.add(413)
    if has_body or method == "delete" or _MAKES_FILES.search(path):
        statuses |= {503, 507}
    if _READS_MEDIA.match(path) and has_body:
        statuses.add(422)
    if _FETCHES_URLS.match(path) and has_body:
        statuses |= {403, 502}
    if _USES_MODELS.match(path):
        statuses.add(503)
    if _PAGE_TOKENS.search(path):
        statuses.add(410)
    if (_NAMES_THINGS.match(path) and method in ("post", "put")) or _NOT_READY.match(path):
        statuses.add(409)
    if keyed and _SIGNED.search(path):
        statuses.add(403)
    return statuses


def _error_schemas() -> dict[str, Any]:
    return {
        "Error": {
            "title": "Error",
            "description": "Twelve Labs' error envelope (the library routes).",
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "machine-readable, e.g. not_found"},
                "message": {"type": "string"},
            },
            "required": ["code", "message"],
        },
        "OpenAIError": {
            "title": "OpenAIError",
            "description": "OpenAI's error envelope (chat, files, models, artifacts, VLM Run).",
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "message": {"type": "string"},
                        "type": {"type": "string"},
                        "param": {"type": ["string", "null"]},
                        "code": {"type": "string"},
                    },
                    "required": ["message", "type", "param", "code"],
                }
            },
            "required": ["error"],
        },
    }


_BLANK = {"type": "string", "maxLength": 0, "description": "blank: as if not sent"}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without its ``null`` alternative (a form cannot send null)."""
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1 and "anyOf" in schema:
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        return {**rest, **options[0]}
    return schema


def _is_object(schema: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """Whether a property holds objects (or a list of them): JSON text in a form."""
    schema = _without_null(schema)
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if schema.get("type") == "array":
        return _is_object(schema.get("items", {}), schemas)
    return schema.get("type") == "object" or "additionalProperties" in schema


def form_schema(model: type[BaseModel], schemas: dict[str, Any], body: Body) -> dict[str, Any]:
    """The fields a form of ``model`` carries (see :data:`BODIES`), with the body's files."""
    full = schemas[model.__name__]
    blank = body.blank_is_absent
    needed = set(full.get("required", []))
    properties: dict[str, Any] = {}
    for name, field in full.get("properties", {}).items():
        if _is_object(field, schemas):
            continue
        field = _without_null(field)
        if field.get("type") == "array":  # a repeated field; sent once, it is one value
            field = {"anyOf": [field, field.get("items", {})]}
        if blank and name not in needed:  # a blank optional field is read as absent
            field = {"anyOf": [field, _BLANK]}
        properties[name] = field
    for name, _, many in body.files:
        binary = {"type": "string", "format": "binary"}
        properties[name] = {"type": "array", "items": binary} if many else binary
    required = [n for n in full.get("required", []) if n in properties]
    required += [name for name, needed, _ in body.files if needed]
    found: dict[str, Any] = {"title": f"{model.__name__}Form", "type": "object"}
    found["properties"] = properties
    if required:
        found["required"] = required
    if "anyOf" in full and not body.files:  # with files, the choice includes a file
        found["anyOf"] = full["anyOf"]
    return found


def _plain_form(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """A form the web framework documented, as a form sends it: no ``null`` (an absent field
    is absent), files as binary parts."""
    content = operation.get("requestBody", {}).get("content", {})
    for kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        ref = content.get(kind, {}).get("schema", {}).get("$ref", "")
        found = schemas.get(ref.rsplit("/", 1)[-1], {})
        for name, field in found.get("properties", {}).items():
            field = _without_null(field)
            if field.get("contentMediaType") == "application/octet-stream":
                field = {**field, "format": "binary"}
                field.pop("contentMediaType")
            found["properties"][name] = field


def _request_body(body: Body, schemas: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    name = body.model.__name__
    if body.json:
        content["application/json"] = {"schema": {"$ref": _REF.format(model=name)}}
    if body.form:
        schemas[f"{name}Form"] = form_schema(body.model, schemas, body)
        content["multipart/form-data"] = {"schema": {"$ref": _REF.format(model=f"{name}Form")}}
    if body.urlencoded:  # no files
        fields = form_schema(body.model, schemas, Body(body.model))
        schemas[f"{name}Fields"] = {**fields, "title": f"{name}Fields"}
        ref = {"$ref": _REF.format(model=f"{name}Fields")}
        content["application/x-www-form-urlencoded"] = {"schema": ref}
    return {"required": True, "content": content}


def _responses(path: str, method: str, operation: dict[str, Any], keyed: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    envelope = "Error" if family_of(path) == "twelvelabs" else "OpenAIError"
    for status in sorted(error_statuses(method, path, operation, keyed)):
        responses[str(status)] = {
            "description": ERRORS[status],
            "content": {"application/json": {"schema": {"$ref": _REF.format(model=envelope)}}},
        }
    ok = next((responses[s] for s in ("200", "201") if s in responses), None)
    if ok is None:
        return
    for pattern, types in _FILES.items():
        if pattern.search(path):
            ok["content"] = {kind: {"schema": {"type": "string", "format": "binary"}}
                             for kind in types}  # fmt: skip
    if (method, path) in _STREAMS_EVENTS:
        ok.setdefault("content", {})["text/event-stream"] = {
            "schema": {"type": "string", "description": "server-sent events; stream: true"}
        }


def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document (built once)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    keyed = bool(app.state.api_keys)
    doc = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = doc.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas.update(_error_schemas())
    _, defs = models_json_schema(
        [(body.model, "validation") for body in BODIES.values()], ref_template=_REF
    )
    schemas.update(defs.get("$defs", {}))
    if keyed:
        components["securitySchemes"] = {
            "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            "bearer": {"type": "http", "scheme": "bearer"},
        }
        doc["security"] = [{"apiKey": []}, {"bearer": []}]
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            if path == "/health":
                operation["security"] = []
            if (method, path) in BODIES:
                operation["requestBody"] = _request_body(BODIES[(method, path)], schemas)
            else:
                _plain_form(operation, schemas)
            _responses(path, method, operation, keyed)
    app.openapi_schema = doc
    return doc


def install(app: FastAPI, settings: Settings) -> None:
    """Serve the document (``/openapi.json``) and its viewers (``/docs``, ``/redoc``), behind
    the API key unless ``settings.docs_public``."""
    guard = [] if settings.docs_public else [Depends(require_api_key)]
    app.openapi = lambda: document(app)  # type: ignore[method-assign]

    @app.get("/openapi.json", include_in_schema=False, dependencies=guard)
    async def openapi_json() -> JSONResponse:
        return JSONResponse(document(app))

    @app.get("/docs", include_in_schema=False, dependencies=guard)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} API")

    @app.get("/redoc", include_in_schema=False, dependencies=guard)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title=f"{app.title} API")
