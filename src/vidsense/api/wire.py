"""What every resource family's wire models and request readers share: the :class:`Wire` base,
listings with ``page_info``, validation that names the field, and the shapes of a request body
(``fields``, repeated values, uploads) that the routers read from HTTP.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo

from vidsense.api.limits import check_json_depth, no_constant
from vidsense.errors import InvalidArgument
from vidsense.store import Page
from vidsense.store.base import format_time

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


NOT_BLANK = r"[^\s\x1c-\x1f\x85]"
"""A pattern a text field matches when it holds more than white space (as Python's
``str.strip`` sees it, which counts a few control characters that JSON Schema does not)."""
URL = r"^\s*[A-Za-z][A-Za-z0-9+.\-]*:\S"
"""A pattern a URL field matches: a scheme, then something (whether the scheme and address
are allowed is checked when the URL is used)."""


TIME: dict[str, Any] = {"format": "date-time"}
"""A query time as the document gives it (RFC 3339, which :func:`moment` reads)."""
_EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
_LEAP_SECOND = re.compile(r"(?<=[Tt ]\d\d:\d\d):60")


def moment(text: str | None, param: str) -> str | None:
    """An ISO 8601 (RFC 3339) time as the store writes times: UTC, ``Z``; a naive time is
    UTC, a leap second is the second before it, a time past the calendar's ends is its end
    (``InvalidArgument`` naming ``param`` for anything else)."""
    if text is None:
        return None
    written = _LEAP_SECOND.sub(":59", text.strip()).upper().replace("Z", "+00:00")
    try:
        found = datetime.fromisoformat(written)
    except ValueError as e:
        raise InvalidArgument(f"{param} must be an ISO 8601 time, got {text!r}", param=param) from e
    if found.tzinfo is None:
        found = found.replace(tzinfo=UTC)
    try:
        found = found.astimezone(UTC)
    except OverflowError:  # year 1 ahead of UTC, or year 9999 behind it
        found = (datetime.min if found.year == 1 else datetime.max).replace(tzinfo=UTC)
    # The store writes four-digit years; every time before year 1000 is before every job.
    return format_time(max(found, _EARLIEST))


class Wire(BaseModel):
    """Base of every wire model: ``_id``-style aliases in and out, extra fields kept (so a
    newer server never breaks an older client, and clients may send extras)."""

    model_config = ConfigDict(populate_by_name=True, extra="allow", protected_namespaces=())


class PageInfo(Wire):
    """Where a page sits in a listing (``page`` counts from 1)."""

    page: int
    limit_per_page: int
    total_page: int
    total_results: int


class Listing(Wire, Generic[T]):
    """One page of a listing."""

    data: list[T]
    page_info: PageInfo


def page_of(items: Sequence[T], page: int, limit: int) -> Page[T]:
    """Page ``page`` (counted from 1) of ``limit`` items of a listing held in memory (empty
    past the last)."""
    start = (page - 1) * limit
    return Page(list(items[start : start + limit]), len(items), page, limit)


def page_info(page: Page[Any]) -> PageInfo:
    """Where ``page`` sits (build a listing as ``Listing[Item](data=..., page_info=...)``, so
    it is the same parametrized model a client parses)."""
    return PageInfo(
        page=page.page,
        limit_per_page=page.page_limit,
        total_page=page.total_pages,
        total_results=page.total,
    )


# -- validation ----------------------------------------------------------------------------------

_SECTIONS = ("body", "query", "path", "header", "form")


def _field_name(loc: Iterable[Any]) -> str:
    """``("engines", 0, "engine_options")`` as ``engines[0].engine_options``."""
    name = ""
    for part in loc:
        if part in _SECTIONS:
            continue
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name


def validation_message(errors: Iterable[Mapping[str, Any]]) -> str:
    """One sentence naming each wrong field and what was wrong with it (pydantic's and the web
    framework's validation errors have the same ``{type, loc, msg}`` items)."""
    problems = []
    for item in errors:
        kind = str(item.get("type", ""))
        name = _field_name(item.get("loc", ()))
        if kind == "json_invalid":
            reason = item.get("ctx", {}).get("error", item.get("msg", ""))
            problems.append(f"the body is not valid JSON ({reason})")
        elif kind == "missing":
            problems.append(f"{name} is required")
        elif kind == "string_pattern_mismatch" and item.get("ctx", {}).get("pattern") == URL:
            problems.append(f"{name}: {item.get('input')!r} is not a URL: give an http(s) address")
        elif kind == "extra_forbidden" and item.get("loc", ("",))[0] == "query":
            problems.append(f"{name}: this query parameter (a filter) is not supported here")
        elif not name:
            problems.append(f"the body is invalid: {item.get('msg', '')}")
        else:
            reason = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
            given = item.get("input")
            if isinstance(given, str | int | float) and len(repr(given)) <= 80:
                reason += f", got {given!r}"
            problems.append(f"{name}: {reason}")
    return "; ".join(problems) or "the request is invalid"


def validation_error(errors: Sequence[Mapping[str, Any]]) -> InvalidArgument:
    """The 400 for a body or query that fails validation: :func:`validation_message`, with
    the first wrong field as ``param`` (OpenAI's envelope names it)."""
    first = errors[0].get("loc", ()) if errors else ()
    return InvalidArgument(validation_message(errors), param=_field_name(first) or None)


def validated(model: type[M], data: Any, *, strict: bool = False) -> M:
    """``data`` as ``model``; ``InvalidArgument`` naming the wrong fields (400, as the server
    answers a body that fails the same model). ``strict``: no text where a number belongs
    (JSON bodies; form fields are text and are read as the model's types)."""
    try:
        return model.model_validate(data, strict=strict)
    except ValidationError as e:
        raise validation_error(e.errors()) from e


# -- request bodies --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file sent in a form: its name and (up to a route's limit, plus one byte) its bytes."""

    filename: str
    data: bytes


@dataclass
class Form:
    """A request body as the api layer reads it, whether JSON, url-encoded or multipart:
    ``fields`` holds one value per name (the first one sent), ``many`` every value of each name
    (repeated form fields, a JSON list's items, :class:`Upload` s); ``text`` is true for a
    form, whose values are all text."""

    fields: dict[str, Any] = field(default_factory=dict)
    many: dict[str, list[Any]] = field(default_factory=dict)
    text: bool = False

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> Form:
        """A JSON object's fields (a list value is that name's values)."""
        many = {k: v if isinstance(v, list) else [v] for k, v in body.items()}
        return cls(dict(body), many)

    @classmethod
    def of_items(cls, items: Iterable[tuple[str, Any]]) -> Form:
        """A form's ``(name, value)`` pairs, in the order sent."""
        many: dict[str, list[Any]] = {}
        for key, value in items:
            many.setdefault(key, []).append(value)
        return cls({k: v[0] for k, v in many.items()}, many, text=True)


def parse_json(raw: bytes | str) -> Any:
    """JSON text as Python values: the one parser of request JSON. Refuses (``ValueError``)
    what JSON does not allow (``NaN``, ``Infinity``) and, with ``InvalidArgument``, nesting
    deeper than :data:`~vidsense.api.limits.MAX_JSON_DEPTH` before parsing it."""
    check_json_depth(raw.encode() if isinstance(raw, str) else raw)
    return json.loads(raw, parse_constant=no_constant)


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object (empty: ``{}``)."""
    try:
        body = parse_json(raw or b"{}")
    except ValueError as e:
        raise InvalidArgument(f"the body is not valid JSON ({e})") from e
    if not isinstance(body, dict):
        raise InvalidArgument("the body must be a JSON object")
    return body


def json_field(value: Any, name: str) -> Any:
    """A field that may arrive as JSON text in a form (``filter``, ``classes``, ...)."""
    if isinstance(value, str):
        try:
            return parse_json(value)
        except InvalidArgument as e:
            raise InvalidArgument(f"{name}: {e.message}", param=name) from e
        except ValueError as e:
            raise InvalidArgument(f"{name} must be JSON: {e}", param=name) from e
    return value


_LIST_FIELDS = frozenset(
    ("search_options", "transcription_options", "query_media_url", "options", "video_ids")
)
"""Fields a form repeats to send a list."""


def read_body(model: type[M], form: Form) -> M:
    """A body as ``model``: JSON keeps its types (a number where text belongs is refused);
    form fields are text, read as the model's types, a blank one as absent, a repeated one
    as a list."""
    data: dict[str, Any] = {}
    for name, values in form.many.items():
        values = [v for v in values if not isinstance(v, Upload)]
        if form.text:
            values = [v for v in values if v != ""]
        if not values:
            continue
        if not form.text:
            data[name] = form.fields.get(name, values[0])  # JSON: the value as sent
        elif name in _LIST_FIELDS and len(values) > 1:
            data[name] = values
        else:
            data[name] = values[0]
        field = model.model_fields.get(name)
        if form.text and field is not None and field.annotation is bool:
            data[name] = _form_bool(name, data[name])
    return validated(model, data, strict=not form.text)


def _form_bool(name: str, value: Any) -> bool:
    """A yes/no form field: ``true`` or ``false`` (as JSON writes them), nothing else."""
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise InvalidArgument(f"{name} must be true or false, got {value!r}", param=name)
    return text == "true"


# -- field readers shared by request models ------------------------------------------------------


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _listed(value: Any, info: ValidationInfo) -> Any:
    """A list field as forms and older clients send it: one value, or JSON text of a list."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        return json_field(value, info.field_name or "value")
    return [value] if isinstance(value, str) else value


def _decoded(value: Any, info: ValidationInfo) -> Any:
    """An object field, which a form sends as JSON text."""
    return json_field(value, info.field_name or "value") if isinstance(value, str) else value


Lower = BeforeValidator(_lower)
"""A choice read case-insensitively (``"Clip"`` is ``clip``)."""
Listed = BeforeValidator(_listed)
"""A list that may come as one value or as JSON text of a list."""
Decoded = BeforeValidator(_decoded)
"""An object (or list of objects) that a form sends as JSON text."""


def one_of_fields(*names: str) -> dict[str, Any]:
    """A model's ``json_schema_extra`` saying that at least one of ``names`` is given (and not
    null): what a JSON schema of optional fields cannot say by itself."""
    return {
        "anyOf": [{"required": [n], "properties": {n: {"not": {"type": "null"}}}} for n in names]
    }
