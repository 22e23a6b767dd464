"""JSON Schemas for structured answers, and the time fields that only evidence may fill.

A schema may ask for times in three ways: Twelve Labs' ``{"type": "timestamp"}`` (with a
``format`` of ``seconds`` or ``hh:mm:ss``), a string or number with ``format: "timestamp"``
(or ``"time"``), or a property named ``start_time``/``end_time``/``start``/``end``/
``timestamp`` (and ``*_sec``) or ending so (``first_line_start``, ``intro_end_sec``), or a
number named ``*_at`` (``speech_starts_at``); a time may be
nullable (``["number", "null"]``). :func:`plan` finds them: a time field inside the items of an
array makes that array a list of computed segments (chapters, highlights, shots, lines of
speech, on-screen text or sounds, chosen from its name and description), and a lone time field
is the time of the evidence most relevant to it, or, when it names a kind of evidence and its
start or end ("when speech begins", ``text_ends_at``), where the first item of that kind starts
or the last one ends (:func:`edge_of`; null, when allowed, if there is none). The writer only
sees what is left.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from vidsense.errors import InvalidArgument
from vidsense.times import hms, mmss

Role = Literal["start", "end", "point"]
SegmentSource = Literal["chapters", "highlights", "shots", "speech", "text", "audio"]

_TIME_NAMES: dict[str, Role] = {
    "start_time": "start",
    "start": "start",
    "start_sec": "start",
    "start_seconds": "start",
    "begin": "start",
    "from": "start",
    "end_time": "end",
    "end": "end",
    "end_sec": "end",
    "end_seconds": "end",
    "to": "end",
    "timestamp": "point",
    "time": "point",
    "at": "point",
}
_TIME_FORMATS = {"timestamp", "time", "seconds", "hh:mm:ss", "hh:mm:ss.fff", "mm:ss"}
_SOURCES: list[tuple[SegmentSource, tuple[str, ...]]] = [
    ("highlights", ("highlight", "best", "moment", "key moment", "exciting", "funny")),
    ("shots", ("shot", "cut")),
    (
        "speech",
        ("transcript", "utterance", "quote", "dialog", "dialogue", "speech", "said", "line"),
    ),
    ("text", ("on_screen", "on-screen", "onscreen", "caption", "ocr", "text", "sign", "slide")),
    ("audio", ("sound", "audio", "noise", "music")),
    ("chapters", ("chapter", "section", "part", "scene", "segment", "topic", "step")),
]


@dataclass(frozen=True)
class TimeField:
    """A property that holds a time: its ``role`` and how it is written (``nullable``: the
    schema lets it be null)."""

    name: str
    role: Role
    as_number: bool
    format: str
    nullable: bool = False


@dataclass
class SegmentList:
    """An array property whose items carry times: filled with one item per computed segment."""

    name: str
    source: SegmentSource
    times: list[TimeField]
    item_schema: dict[str, Any]
    """The items' schema with the time fields taken out (what the writer fills)."""
    max_items: int | None


@dataclass
class Plan:
    """A schema split into what evidence fills and what the writer fills."""

    schema: dict[str, Any]
    """The schema to validate the final answer against (time types made concrete)."""
    writer_schema: dict[str, Any]
    """The top-level schema without segment lists and time fields."""
    lists: list[SegmentList] = field(default_factory=list)
    points: list[TimeField] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)


_MS_WRITTEN = re.compile(r"hh:mm:ss[.,](?:ms|mmm|fff|sss|s+)\b|millisecond", re.I)
_MMSS_WRITTEN = re.compile(r"(?<![h:])\bmm:ss\b(?![.,:])", re.I)


def _written_format(description: str) -> str:
    """The time format a field's description asks for in words ("in HH:MM:SS.MS format" is
    ``hh:mm:ss.fff``, "MM:SS" is ``mm:ss``), or ``""``."""
    if _MS_WRITTEN.search(description):
        return "hh:mm:ss.fff"
    if _MMSS_WRITTEN.search(description):
        return "mm:ss"
    return ""


_EDGE_ENDINGS = tuple(
    f"_{edge}{unit}"
    for edge in ("start", "end", "begin")
    for unit in ("", "_sec", "_secs", "_seconds", "_s")
)
"""Endings of a field's name that make it where something starts or ends, in time."""


def time_field(name: str, schema: Mapping[str, Any]) -> TimeField | None:
    """The time property ``name`` (with its ``schema``) holds, or ``None`` when it is not one
    (see the module's rules)."""
    kind = schema.get("type")
    nullable = False
    if isinstance(kind, list):
        nullable = "null" in kind
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    fmt = str(schema.get("format", "")).lower()
    written = _written_format(str(schema.get("description", ""))) or "hh:mm:ss"
    lower = name.lower()
    role = _TIME_NAMES.get(lower)
    at = lower.endswith("_at") and kind in ("number", "integer") and "duration" not in lower
    edge = lower.endswith(_EDGE_ENDINGS)  # "first_line_start", "intro_end_sec"
    if role is None and (lower.endswith(("_time", "_timestamp", "_at_sec")) or at or edge):
        role = (
            "start"
            if "start" in lower or "begin" in lower
            else "end"
            if "end" in lower
            else "point"
        )
    if kind == "timestamp" or fmt in _TIME_FORMATS:
        as_number = fmt == "seconds" or (kind in ("number", "integer"))
        return TimeField(name, role or "point", as_number, fmt or written, nullable)
    if role is not None and kind in ("number", "integer", "string"):
        return TimeField(name, role, kind != "string", fmt or written, nullable)
    return None


_EDGES: dict[str, bool] = {"start": True, "begin": True, "first": True, "end": False,
                           "stop": False, "finish": False, "last": False}  # fmt: skip


def edge_of(time: TimeField, description: str = "") -> tuple[SegmentSource, bool] | None:
    """``(source, first)`` when a lone time field asks where a kind of evidence starts
    (``first``: where its first item starts) or ends (``first`` False: where its last item
    ends): a kind named in the field's name (``speech_starts_at``), or in its description
    together with a start or an end ("seconds from the start when speech begins"). Else
    ``None``: the field is the time of the most relevant evidence."""

    def source(text: str) -> SegmentSource | None:
        for src, keys in _SOURCES:
            if src in ("speech", "text", "audio", "shots") and any(k in text for k in keys):
                return src
        return None

    name = time.name.lower()
    words = re.findall(r"[a-z]+", description.lower())
    edges = [_EDGES[k] for w in words for k in _EDGES if w.startswith(k)]
    found = source(name) or (source(description.lower()) if edges else None)
    if found is None:
        return None
    if time.role != "point":
        return found, time.role == "start"
    named = [_EDGES[k] for k in _EDGES if k in name]
    if named:
        return found, named[0]
    # The description's last edge word: "seconds from the start when speech begins".
    return (found, edges[-1]) if edges else None


def _concrete(schema: Any) -> Any:
    """``schema`` with ``timestamp`` types made concrete, for validation."""
    if isinstance(schema, list):
        return [_concrete(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _concrete(v) for k, v in schema.items()}
    if out.get("type") == "timestamp":
        out["type"] = "number" if str(out.get("format", "")).lower() == "seconds" else "string"
        out.pop("format", None)
    return out


def check(schema: Any) -> dict[str, Any]:
    """``schema`` checked to be a JSON Schema object (raises ``invalid_schema``)."""
    import jsonschema

    if not isinstance(schema, dict):
        raise InvalidArgument("the JSON schema must be an object", code="invalid_schema")
    try:
        jsonschema.validators.validator_for(_concrete(schema)).check_schema(_concrete(schema))
    except jsonschema.SchemaError as e:
        raise InvalidArgument(
            f"the JSON schema is not valid: {e.message}", code="invalid_schema"
        ) from e
    return schema


def validate(value: Any, schema: Mapping[str, Any]) -> str | None:
    """``None`` when ``value`` follows ``schema``, else what is wrong with it."""
    import jsonschema

    try:
        jsonschema.validate(value, _concrete(dict(schema)))
    except jsonschema.ValidationError as e:
        where = "/".join(str(p) for p in e.absolute_path) or "the answer"
        return f"{where}: {e.message}"
    return None


def _source(name: str, description: str, prompt: str) -> SegmentSource:
    for text in (name.lower(), description.lower(), prompt.lower()):
        for source, words in _SOURCES:
            if any(w in text for w in words):
                return source
    return "chapters"


def plan(schema: dict[str, Any], prompt: str = "") -> Plan:
    """Split a checked schema into evidence-filled time fields and the writer's part."""
    check(schema)
    writer_schema = copy.deepcopy(schema)
    result = Plan(_concrete(schema), writer_schema)
    props: dict[str, Any] = writer_schema.get("properties", {})
    if not isinstance(props, dict):
        return result
    required = list(writer_schema.get("required", []))
    for name, sub in list(props.items()):
        if not isinstance(sub, dict):
            continue
        point = time_field(name, sub)
        if point is not None:
            result.points.append(point)
            result.descriptions[name] = str(sub.get("description", ""))
            del props[name]
            continue
        items = sub.get("items")
        if sub.get("type") == "array" and isinstance(items, dict):
            inner = items.get("properties", {})
            times = [t for k, v in inner.items() if isinstance(v, dict) and (t := time_field(k, v))]
            if times:
                item_schema = copy.deepcopy(items)
                for t in times:
                    item_schema["properties"].pop(t.name, None)
                if "required" in item_schema:
                    item_schema["required"] = [
                        r for r in item_schema["required"] if r in item_schema["properties"]
                    ]
                source = _source(name, str(sub.get("description", "")), prompt)
                result.lists.append(
                    SegmentList(name, source, times, item_schema, sub.get("maxItems"))
                )
                del props[name]
    writer_schema["required"] = [r for r in required if r in props]
    return result


def free_fields(schema: Mapping[str, Any]) -> dict[str, str]:
    """The free properties of ``schema`` at any depth (strings and numbers without ``enum``
    or ``const``: what a line of the video may answer), each name with its description (""
    when it has none)."""
    out: dict[str, str] = {}

    def walk(node: Any) -> None:
        if not isinstance(node, Mapping):
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for option in node.get(key) or []:
                walk(option)
        walk(node.get("items"))
        for name, prop in (node.get("properties") or {}).items():
            if not isinstance(prop, Mapping):
                continue
            kinds = prop.get("type", "string")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            options = [o for k in ("anyOf", "oneOf") for o in prop.get(k) or []]
            if options:
                kinds = [o.get("type") for o in options if isinstance(o, Mapping)]
            free = "enum" not in prop and "const" not in prop and "properties" not in prop
            if free and {"string", "number", "integer"}.intersection(kinds):
                out.setdefault(name, str(prop.get("description") or ""))
            walk(prop)

    walk(schema)
    return out


def write_time(seconds: float, time: TimeField) -> float | str:
    """A time as the schema asks for it: seconds, ``HH:MM:SS``, or with milliseconds."""
    if time.as_number:
        return round(float(seconds), 3)
    if time.format == "mm:ss":
        return mmss(seconds, hours=False)
    return hms(seconds, ms=time.format.endswith(".fff"))


@dataclass(frozen=True)
class ResponseFormat:
    """What a request's ``response_format`` asks the answer to be (the same for ``/analyze``,
    chat completions and everything else that takes one):

    - ``text`` (also when there is none): plain text;
    - ``json_object``: any JSON object, no schema: the answer's text is its ``answer`` field
      (chat adds ``citations``, ``artifacts`` and what its tools found);
    - ``json_schema``: a JSON value that follows ``schema`` (checked to be a JSON Schema, local
      ``$ref`` s inlined), its time fields filled from evidence.
    """

    kind: Literal["text", "json_object", "json_schema"] = "text"
    schema: dict[str, Any] | None = None


_OPENAI_WRAPPER = frozenset({"name", "schema", "strict", "description"})


def response_format(value: Any) -> ResponseFormat:
    """The one reading of a ``response_format``: ``{"type": "text" | "json_object"}``, or a
    JSON schema as OpenAI (``{type: json_schema, json_schema: {name, schema, strict}}``), Twelve
    Labs (``{type: json_schema, json_schema: SCHEMA}``) or flat (``{schema: SCHEMA}``) send it;
    ``type`` defaults to ``json_schema``. Raises ``InvalidArgument`` (``param``
    ``response_format``; ``code`` ``invalid_schema`` for a missing or broken schema)."""
    if value is None:
        return ResponseFormat()
    if not isinstance(value, dict):
        raise InvalidArgument("response_format must be an object", param="response_format")
    kind = value.get("type", "json_schema")
    if kind in ("text", "json_object"):
        return ResponseFormat(kind)
    if kind != "json_schema":
        raise InvalidArgument(
            f"response_format.type {kind!r} is not supported; use text, json_object or json_schema",
            param="response_format",
        )
    inner = value.get("json_schema", value.get("schema"))
    if isinstance(inner, dict) and "name" in inner and set(inner) <= _OPENAI_WRAPPER:
        inner = inner.get("schema")  # OpenAI's {name, schema, strict}
    elif isinstance(inner, dict) and isinstance(inner.get("schema"), dict):
        inner = inner["schema"]
    if not isinstance(inner, dict):
        raise InvalidArgument(
            "response_format needs a JSON schema object ({json_schema: {name, schema}}, "
            "{json_schema: SCHEMA} or {schema: SCHEMA})",
            code="invalid_schema",
            param="response_format",
        )
    try:
        check(inner)
    except InvalidArgument as e:
        e.param = "response_format"
        raise
    return ResponseFormat("json_schema", inline_refs(inner))


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with local ``#/$defs/...`` references replaced by what they name (pydantic
    writes nested models that way), so time fields inside them are found. Recursive
    definitions are left as references."""
    defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [walk(n, seen) for n in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
            name = ref.rsplit("/", 1)[-1]
            if name in defs and name not in seen:
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return walk({**defs[name], **rest}, (*seen, name))
        return {k: walk(v, seen) for k, v in node.items()}

    out: dict[str, Any] = walk(schema, ())
    return out


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def parse_json(text: str) -> Any:
    """JSON from a model's reply (tolerates a code fence around it, and line breaks or tabs
    written raw inside strings, as small models do)."""
    import json

    cleaned = _FENCE.sub("", text.strip())
    try:
        return json.loads(cleaned, strict=False)
    except json.JSONDecodeError:
        start, end = cleaned.find("{"), cleaned.rfind("}")
        if 0 <= start < end:
            return json.loads(cleaned[start : end + 1], strict=False)
        raise
