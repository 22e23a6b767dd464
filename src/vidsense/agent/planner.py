"""A deterministic planner: the request's words mapped to tool steps.

Recognised (in this order): a cut ("trim/cut/clip ... from 00:30 to 00:45"), "N best
moments/highlights", frames at chapter starts, frames "every N seconds", frames at explicit
times ("frame at 00:12", "at 1:05", "at 12 s"), "how long"/"duration"/"resolution", chapters,
transcript, shots, "find/search ... moments", a description or summary; anything else is a
question for the writer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vidsense.times import TIME_PATTERN as _TIME
from vidsense.times import parse_time
from vidsense.times import times_in as times_in

_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "a few": 3, "some": 3,
}  # fmt: skip
_COUNT = rf"(\d+|{'|'.join(_NUMBERS)})"


@dataclass(frozen=True)
class Step:
    """One tool call: the tool's name and its keyword arguments."""

    tool: str
    args: dict[str, Any] = field(default_factory=dict)


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word]


def plan(text: str) -> list[Step]:
    """The steps that answer ``text`` (always at least one)."""
    lower = text.lower()
    if re.search(r"\b(trim|cut|clip|extract|excerpt)\b", lower):
        span = re.search(rf"({_TIME})\s*(?:to|until|till|and|-|\u2013)\s*({_TIME})", lower)
        if span:
            return [Step("trim", {"start": parse_time(span[1]), "end": parse_time(span[2])})]
    best = re.search(
        rf"\b{_COUNT}\s+(?:\w+\s+){{0,2}}(?:highlights?|moments?|clips?)\b", lower
    ) or re.search(r"\b(?:highlights?|best moments?)\b", lower)
    if best and re.search(r"highlight|best|top|key|exciting|interesting|important", lower):
        count = _count(best.group(1)) if best.groups() and best.group(1) else 3
        return [Step("highlights", {"count": count})]
    wants_frames = re.search(
        r"\b(frames?|stills?|screenshots?|snapshots?|images?|pictures?)\b", lower
    )
    if wants_frames and "chapter" in lower:
        return [Step("chapter_frames")]
    every = re.search(r"every\s+(\d+(?:\.\d+)?)?\s*(?:s|sec|secs|seconds?|minutes?|min)\b", lower)
    if every:
        amount = float(every.group(1) or 1)
        if "min" in every.group(0):
            amount *= 60
        return [Step("frames_every", {"every": amount})]
    times = times_in(lower)
    if times and (wants_frames or re.search(r"\b(at|show|what.*(see|shown|on screen))\b", lower)):
        return [Step("frames", {"times": times})]
    steps: list[Step] = []
    if re.search(r"how long|duration|length of|resolution|frame rate|\bfps\b|dimensions", lower):
        steps.append(Step("metadata"))
    if re.search(r"\btranscri(pt|be|ption)\b|what (is|was) said", lower):
        steps.append(Step("transcript"))
    if re.search(r"\bchapters?\b|\bsections\b", lower):
        steps.append(Step("chapters"))
    if re.search(r"\b(shots|scene cuts|camera cuts)\b", lower):
        steps.append(Step("shots"))
    if steps:
        return steps
    search = re.search(r"\b(?:find|search(?: for)?|locate)\b\s+(.*)", text, re.I)
    if search:
        return [Step("search", {"query": search.group(1).strip(" ?.")})]
    if re.search(r"\b(describe|summari[sz]e|summary|overview|what is (this|the) video about)\b",
                 lower):  # fmt: skip
        return [Step("summary", {"prompt": text})]
    return [Step("answer", {"question": text})]


# -- the model's choice ----------------------------------------------------------------------

_NUMBER: dict[str, Any] = {"type": "number", "minimum": 0}


def _function(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    parameters = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


TOOL_FUNCTIONS: list[dict[str, Any]] = [
    _function(
        "sample_frames",
        "Still frames of the video: at given times (seconds), every N seconds, or at the start "
        "of each chapter. Give exactly one of times, every, at_chapters.",
        {
            "times": {"type": "array", "items": _NUMBER, "maxItems": 60},
            "every": {"type": "number", "exclusiveMinimum": 0},
            "at_chapters": {"type": "boolean"},
        },
        [],
    ),
    _function(
        "trim",
        "A clip of the video from start to end (seconds).",
        {"start": _NUMBER, "end": _NUMBER},
        ["start", "end"],
    ),
    _function(
        "highlights",
        "The video's best moments as clips.",
        {"count": {"type": "integer", "minimum": 1, "maximum": 20}},
        ["count"],
    ),
    _function("transcript", "What is said in the video, with times.", {}, []),
    _function("metadata", "Duration, resolution and frame rate.", {}, []),
    _function(
        "search_moments",
        "Find the moments that match a query.",
        {"query": {"type": "string"}},
        ["query"],
    ),
    _function(
        "answer_question",
        "Answer a question from what is said and shown.",
        {"question": {"type": "string"}},
        ["question"],
    ),
]
"""The video tools as OpenAI function definitions, for a model that calls tools."""

_TOLERANCE = 0.5
"""Seconds a time the model gives may be off from one it was shown or told."""


def steps_from_calls(
    calls: list[tuple[str, Any]], duration: float, known_times: list[float]
) -> list[Step] | None:
    """The steps for a model's tool calls (``(name, arguments)``, arguments a JSON string or
    an object), or ``None`` when any call is unusable: an unknown tool, arguments that do not
    fit, or a time outside the video or not among ``known_times`` (the times the request
    names and the chapter starts): the model never decides on its own where something is."""
    import json

    def known(t: Any) -> bool:
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0 <= t <= duration:
            return False
        return any(abs(float(t) - k) <= _TOLERANCE for k in known_times)

    steps: list[Step] = []
    for name, raw in calls:
        try:
            args = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            return None
        if not isinstance(args, dict):
            return None
        if name == "sample_frames":
            times, every = args.get("times"), args.get("every")
            if args.get("at_chapters") is True:
                steps.append(Step("chapter_frames"))
            elif isinstance(every, int | float) and not isinstance(every, bool) and every > 0:
                steps.append(Step("frames_every", {"every": float(every)}))
            elif isinstance(times, list) and times and all(known(t) for t in times):
                steps.append(Step("frames", {"times": [float(t) for t in times]}))
            else:
                return None
        elif name == "trim":
            start, end = args.get("start", -1.0), args.get("end", -1.0)
            if not (known(start) and known(end)) or end <= start:
                return None
            steps.append(Step("trim", {"start": float(start), "end": float(end)}))
        elif name == "highlights":
            count = args.get("count", 3)
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 20:
                return None
            steps.append(Step("highlights", {"count": count}))
        elif name in ("transcript", "metadata"):
            steps.append(Step(name))
        elif name in ("search_moments", "answer_question"):
            key = "query" if name == "search_moments" else "question"
            text = args.get(key)
            if not isinstance(text, str) or not text.strip():
                return None
            tool = "search" if name == "search_moments" else "answer"
            steps.append(Step(tool, {key: text.strip()}))
        else:
            return None
    return steps or None


ACTIONS = {
    "frames": "sample_frames",
    "frames_every": "sample_frames",
    "chapter_frames": "sample_frames",
    "trim": "trim",
    "highlights": "highlights",
    "metadata": "metadata",
    "transcript": "transcript",
    "search": "search_moments",
}
"""The function a rule-planned action corresponds to (to name it when the model is asked
again, with that function required)."""
