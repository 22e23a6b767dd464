"""The steps that answer a chat request: what :mod:`vidsense.agent.intents` reads from it, as
tool calls (:class:`Step`), and the same tools as OpenAI function definitions for a model that
chooses them itself (:data:`TOOL_FUNCTIONS`, checked by :func:`steps_from_calls`).

Times in step arguments are seconds; ``math.inf`` is the end of the video and a negative time
that many seconds before the end (the tools resolve both against the video's duration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vidsense.agent.intents import Intent, read
from vidsense.times import parse_time, times_in

__all__ = [
    "ACTIONS",
    "TOOL_FUNCTIONS",
    "VIDEO_FREE",
    "Step",
    "parse_time",
    "plan",
    "steps_from_calls",
    "times_in",
]

VIDEO_FREE = frozenset({"generate", "unsupported"})
"""Steps that need no video: a new video made from a description, a plain refusal."""


@dataclass(frozen=True)
class Step:
    """One tool call: the tool's name and its keyword arguments."""

    tool: str
    args: dict[str, Any] = field(default_factory=dict)


def _step(intent: Intent) -> Step:
    args = intent.args
    name = intent.name
    if name == "frames":
        if "times" in args:
            return Step("frames", {"times": list(args["times"])})
        if "every" in args:
            span: dict[str, Any] = {k: args[k] for k in ("start", "end") if k in args}
            return Step("frames_every", {"every": args["every"], **span})
        if "count" in args:
            return Step("frames_spread", {"count": args["count"]})
        return Step("chapter_frames", {"step": args.get("chapters", 1)})
    if name == "trim":
        if "query" in args:
            return Step("clip_about", {"query": args["query"]})
        return Step("trim", {"start": args["start"], "end": args["end"]})
    if name == "highlights":
        return Step("highlights", {"count": args.get("count", 3)})
    if name in ("summary", "answer", "search", "generate", "edit", "unsupported"):
        return Step(name, dict(args))
    return Step(name)


def plan(text: str) -> list[Step]:
    """The steps that answer ``text`` (always at least one), in the order asked."""
    return [_step(i) for i in read(text)]


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
    "frames_spread": "sample_frames",
    "chapter_frames": "sample_frames",
    "trim": "trim",
    "highlights": "highlights",
    "metadata": "metadata",
    "transcript": "transcript",
    "search": "search_moments",
}
"""The function a rule-planned action corresponds to (to name it when the model is asked
again, with that function required)."""
