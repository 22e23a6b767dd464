"""A JSON schema answered with what the chat's tools made: frames, clips and new videos fill
the fields that ask for them, the writer fills the rest from evidence.

A field asks for an artifact (:func:`slots`) when it is

- a typed reference: an object whose ``id`` must match ``img_...``/``vid_...`` (VLM Run's
  ``ImageRef``/``VideoRef``, and any schema written the same way): filled with
  ``{"id": <artifact id>}``;
- a URL: a string named ``url``/``uri``/``link``/``href``/``src`` (or ``*_url``, ...) or with
  ``format: uri``: filled with the artifact's (signed) URL;
- an array of those, or of objects holding one (``frames: [{url, timestamp}]``,
  ``highlights: [{start_time, end_time, url, description}]``), or an array named for frames,
  clips or highlights whose items carry times: one item per artifact.

Inside such an item, time fields (as :func:`vidsense.language.schema.time_field` finds them)
take the artifact's times (a frame's time; a clip's start and end), an ``id`` field its id, a
descriptive string (``description``, ``caption``, ``title``, ...) the tool's line about it (a
highlight's title and summary), and anything else is written from the evidence of the
artifact's own span. Top-level times next to a top-level URL or reference (a trim's
``url, start_time, end_time``) are that artifact's. Every time therefore comes from the
artifact, which the tools cut at times the request named or the evidence gave; no URL ever
holds text. This is done here, after the tools ran, rather than in ``language/schema.py``:
artifacts, their session folders and signed URLs belong to the chat; the writer fills only
what is left (:func:`rest`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from vidsense.errors import InvalidArgument
from vidsense.language.schema import TimeField, time_field, validate, write_time

if TYPE_CHECKING:
    from vidsense.language.service import WritingService

Kind = Literal["image", "video"]
Role = Literal["url", "ref", "id", "time", "note", "other"]

_URL_NAMES = re.compile(
    r"^(?:url|uri|link|href|src|source|presigned_url|signed_url|download_url|public_url|"
    r"\w+_(?:url|uri|link|href))$"
)
_NOTE_NAMES = re.compile(
    r"^(?:description|caption|summary|title|label|text|name|reason|why|content|highlight|"
    r"note|notes|details|\w+_(?:description|caption|summary|title))$"
)
_ID_NAMES = frozenset({"id", "object_id", "artifact_id", "ref", "reference"})
_IMAGE_WORDS = re.compile(r"frame|image|still|screenshot|thumbnail|photo|picture|snapshot|img")
_VIDEO_WORDS = re.compile(r"clip|video|trim|highlight|reel|segment|excerpt|movie|vid\b|moment")
_REF = re.compile(r"\^?\(?(img|vid|aud|doc|url|arr|recon)_")


@dataclass(frozen=True)
class Made:
    """One artifact as a schema may name it: ``type``, ``id``, signed ``url``, its times in
    seconds of the source video (``time`` for a frame; ``start``/``end`` for a clip) and a
    line about it (``note``)."""

    id: str
    type: Kind
    url: str
    time: float | None = None
    start: float | None = None
    end: float | None = None
    note: str = ""

    def at(self, role: str) -> float:
        """The artifact's time for a field of ``role`` ``start``, ``end`` or ``point``."""
        if self.type == "image" or self.start is None:
            return float(self.time or 0.0)
        return float(self.end if role == "end" and self.end is not None else self.start)

    def window(self, duration: float) -> tuple[float, float]:
        """The span of the source video the artifact shows (a frame: a second either side)."""
        if self.type == "image" or self.start is None:
            t = float(self.time or 0.0)
            return max(0.0, t - 1.0), min(duration, t + 1.0)
        return float(self.start), float(self.end if self.end is not None else duration)


@dataclass
class Part:
    """A field of an artifact item and what fills it."""

    name: str
    role: Role
    time: TimeField | None = None
    kind: Kind | None = None


@dataclass
class Slot:
    """A top-level property that takes artifacts: ``many`` (an array) or one, of ``kind``
    (``None``: any), as a bare ``url``/``ref`` or as ``object`` items made of ``parts``."""

    name: str
    kind: Kind | None
    many: bool
    item: Literal["url", "ref", "object"]
    parts: list[Part] = field(default_factory=list)
    item_schema: dict[str, Any] = field(default_factory=dict)
    max_items: int | None = None
    required: bool = False


def _hint(*texts: Any) -> Kind | None:
    for text in texts:
        low = str(text or "").lower()
        if _IMAGE_WORDS.search(low):
            return "image"
        if _VIDEO_WORDS.search(low):
            return "video"
    return None


def _ref_kind(schema: Any) -> tuple[bool, Kind | None]:
    """``(is a typed reference, its kind)``."""
    if not isinstance(schema, dict) or schema.get("type", "object") != "object":
        return False, None
    props = schema.get("properties")
    if not isinstance(props, dict) or set(props) != {"id"} or not isinstance(props["id"], dict):
        return False, None
    found = _REF.search(str(props["id"].get("pattern", "")))
    if found is None:
        title = str(schema.get("title", "")).lower()
        if title.endswith("ref"):
            return True, _hint(title)
        return False, None
    prefix = found.group(1)
    return True, "image" if prefix == "img" else "video" if prefix == "vid" else None


def _is_url(name: str, schema: Any) -> bool:
    if not isinstance(schema, dict) or schema.get("type") not in ("string", None):
        return False
    if str(schema.get("format", "")).lower() in ("uri", "url", "iri"):
        return True
    return bool(_URL_NAMES.match(name.lower()))


def _part(name: str, schema: Any) -> Part:
    is_ref, kind = _ref_kind(schema)
    if is_ref:
        return Part(name, "ref", kind=kind)
    if _is_url(name, schema):
        return Part(name, "url")
    lower = name.lower()
    if lower in _ID_NAMES and isinstance(schema, dict) and schema.get("type") == "string":
        return Part(name, "id")
    if isinstance(schema, dict):
        t = time_field(name, schema)
        if t is not None:
            return Part(name, "time", time=t)
        if schema.get("type") == "string" and _NOTE_NAMES.match(lower):
            return Part(name, "note")
    return Part(name, "other")


def slots(schema: dict[str, Any]) -> list[Slot]:
    """The top-level properties of ``schema`` (local references inlined) that artifacts
    fill."""
    props = schema.get("properties")
    if not isinstance(props, dict):
        return []
    required = set(schema.get("required", []))
    out: list[Slot] = []
    for name, sub in props.items():
        if not isinstance(sub, dict):
            continue
        about = (name, sub.get("description"), sub.get("title"))
        is_ref, kind = _ref_kind(sub)
        if is_ref:
            out.append(Slot(name, kind or _hint(*about), False, "ref", required=name in required))
            continue
        if _is_url(name, sub):
            out.append(Slot(name, _hint(sub.get("description"), name), False, "url",
                            required=name in required))  # fmt: skip
            continue
        items = sub.get("items")
        if sub.get("type") != "array" or not isinstance(items, dict):
            continue
        most = sub.get("maxItems")
        needed = name in required
        is_ref, kind = _ref_kind(items)
        if is_ref:
            out.append(Slot(name, kind or _hint(*about), True, "ref", max_items=most,
                            required=needed))  # fmt: skip
            continue
        if _is_url(name.rstrip("s"), items) or (
            items.get("type") == "string" and _URL_NAMES.match(name.lower().rstrip("s"))
        ):
            out.append(Slot(name, _hint(*about), True, "url", max_items=most, required=needed))
            continue
        inner = items.get("properties")
        if not isinstance(inner, dict):
            continue
        parts = [_part(k, v) for k, v in inner.items()]
        roles = {p.role for p in parts}
        hinted = _hint(*about)
        if roles & {"url", "ref"} or (hinted is not None and "time" in roles and
                                      _hint(name) is not None):  # fmt: skip
            kinds = {p.kind for p in parts if p.role == "ref" and p.kind}
            kind = next(iter(kinds)) if len(kinds) == 1 else hinted
            out.append(Slot(name, kind, True, "object", parts, items, most, needed))
    return out


def top_times(schema: dict[str, Any], taken: Sequence[Slot]) -> list[Part]:
    """Top-level time fields that belong to a single top-level artifact (a trim's
    ``start_time``/``end_time`` next to its ``url``)."""
    if not any(not s.many for s in taken):
        return []
    props = schema.get("properties", {})
    found = []
    for name, sub in props.items():
        if isinstance(sub, dict) and (t := time_field(name, sub)) is not None:
            found.append(Part(name, "time", time=t))
    return found


def rest(schema: dict[str, Any], taken: Sequence[Slot], times: Sequence[Part]) -> dict[str, Any]:
    """``schema`` without the fields artifacts fill: what the writer fills."""
    out = copy.deepcopy(schema)
    names = {s.name for s in taken} | {p.name for p in times}
    props = out.get("properties", {})
    for name in names:
        props.pop(name, None)
    if "required" in out:
        out["required"] = [r for r in out["required"] if r in props]
    return out


Write = Callable[[dict[str, Any], Made], dict[str, Any]]
"""Fills an item's remaining fields (a schema of them) from the evidence of an artifact."""


def _item(slot: Slot, made: Made, write: Write | None) -> Any:
    if slot.item == "url":
        return made.url
    if slot.item == "ref":
        return {"id": made.id}
    value: dict[str, Any] = {}
    left: dict[str, Any] = {}
    inner = slot.item_schema.get("properties", {})
    for part in slot.parts:
        if part.role == "url":
            value[part.name] = made.url
        elif part.role in ("ref",):
            value[part.name] = {"id": made.id}
        elif part.role == "id":
            value[part.name] = made.id
        elif part.role == "time" and part.time is not None:
            value[part.name] = write_time(made.at(part.time.role), part.time)
        elif part.role == "note" and made.note:
            value[part.name] = made.note
        else:
            left[part.name] = inner.get(part.name, {})
    if left and write is not None:
        needed = [r for r in slot.item_schema.get("required", []) if r in left]
        written = write({"type": "object", "properties": left, "required": needed}, made)
        value.update({k: v for k, v in written.items() if k in left})
    return {k: value[k] for k in inner if k in value}


def fill(
    schema: dict[str, Any],
    taken: Sequence[Slot],
    times: Sequence[Part],
    made: Sequence[Made],
    written: dict[str, Any],
    write: Write | None = None,
) -> dict[str, Any]:
    """The answer: ``written`` (the writer's value for :func:`rest`) with the slots filled
    from ``made`` (each artifact used once where it can be), checked against ``schema``.
    Raises ``InvalidArgument`` (``schema_not_followed``) naming a required field no artifact
    could fill, or the first place the answer breaks the schema."""
    value = dict(written)
    used: set[str] = set()
    single: Made | None = None
    for slot in taken:
        fits = [m for m in made if slot.kind is None or m.type == slot.kind]
        if slot.many:
            chosen = fits[: slot.max_items] if slot.max_items else fits
            value[slot.name] = [_item(slot, m, write) for m in chosen]
            used.update(m.id for m in chosen)
            continue
        fresh = [m for m in fits if m.id not in used] or fits
        if fresh:
            value[slot.name] = _item(slot, fresh[0], write)
            used.add(fresh[0].id)
            single = single or fresh[0]
    if single is not None:
        for part in times:
            if part.time is not None:
                value[part.name] = write_time(single.at(part.time.role), part.time)
    missing = [s.name for s in taken if s.required and not value.get(s.name)]
    if missing:
        raise InvalidArgument(
            f"the schema asks for {', '.join(missing)} (frames or clips), but the request made "
            "none: name what to make (for example 'frames at 00:05 and 00:10', 'trim from 00:05 "
            "to 00:15', 'the 3 best highlights as clips')",
            code="schema_not_followed",
            param="response_format",
        )
    order = list(schema.get("properties", {}))
    value = {k: value[k] for k in sorted(value, key=lambda k: order.index(k)
                                         if k in order else len(order))}  # fmt: skip
    problem = validate(value, schema)
    if problem is not None:
        raise InvalidArgument(
            f"the answer does not follow the schema ({problem})",
            code="schema_not_followed",
            param="response_format",
        )
    return value


def span_writer(writing: WritingService, video_id: str, duration: float, prompt: str) -> Write:
    """The :data:`Write` for artifacts of one video: a sub-schema written from the evidence of
    the artifact's own span (a frame: a second either side)."""

    def write(sub: dict[str, Any], item: Made) -> dict[str, Any]:
        lo, hi = item.window(duration)
        answer = writing.analyze(
            video_id,
            prompt,
            {"type": "json_schema", "json_schema": sub},
            start_time=lo,
            end_time=max(hi, lo + 0.1),
        )
        found = json.loads(answer["data"])
        return dict(found) if isinstance(found, dict) else {}

    return write


def default_tools(taken: Sequence[Slot]) -> list[tuple[str, dict[str, Any]]]:
    """Tool steps ``(name, args)`` that fill ``taken`` when the request names none: its
    highlights for a list of highlights, a frame per chapter for a list of frames."""
    out: list[tuple[str, dict[str, Any]]] = []
    for slot in taken:
        if not slot.many:
            continue
        if "highlight" in slot.name.lower() or "moment" in slot.name.lower():
            out.append(("highlights", {"count": int(slot.max_items or 3)}))
        elif slot.kind == "image":
            out.append(("chapter_frames", {"step": 1}))
    return out


__all__ = [
    "Made",
    "Part",
    "Slot",
    "default_tools",
    "fill",
    "rest",
    "slots",
    "span_writer",
    "top_times",
]
