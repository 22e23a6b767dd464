"""What every resource family's wire models and request readers share: the :class:`Wire` base,
listings with ``page_info``, validation that names the field, and the shapes of a request body
(``fields``, repeated values, uploads) that the routers read from HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from vidsense.errors import InvalidArgument
from vidsense.store import Page

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


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
    return ".".join(str(p) for p in loc if p not in _SECTIONS)


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
        elif not name:
            problems.append(f"the body is invalid: {item.get('msg', '')}")
        else:
            problems.append(f"{name}: {item.get('msg', 'invalid value')}")
    return "; ".join(problems) or "the request is invalid"


def validated(model: type[M], data: Any) -> M:
    """``data`` as ``model``; ``InvalidArgument`` naming the wrong fields (400, as the server
    answers a body that fails the same model)."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0].get("loc", ()) if e.errors() else ()
        raise InvalidArgument(
            validation_message(e.errors()), param=_field_name(first) or None
        ) from e


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
    (repeated form fields, a JSON list's items, :class:`Upload` s)."""

    fields: dict[str, Any] = field(default_factory=dict)
    many: dict[str, list[Any]] = field(default_factory=dict)

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
        return cls({k: v[0] for k, v in many.items()}, many)


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object (empty: ``{}``)."""
    try:
        body = json.loads(raw or b"{}")
    except ValueError as e:
        raise InvalidArgument(f"the body is not valid JSON ({e})") from e
    if not isinstance(body, dict):
        raise InvalidArgument("the body must be a JSON object")
    return body


def json_field(value: Any, name: str) -> Any:
    """A field that may arrive as JSON text in a form (``filter``, ``classes``, ...)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as e:
            raise InvalidArgument(f"{name} must be JSON: {e}", param=name) from e
    return value


def flag(value: Any) -> bool:
    """A boolean field as JSON (``true``) or a form (``"true"``, ``"1"``) sends it."""
    return str(value).lower() in ("true", "1")
