"""Seconds written for people: the one set of time formatters (prompts, chat replies, schema
answers, the CLI), and the reading of times people write in requests (:func:`times_in`).

One rounding rule everywhere: a time is rounded to the nearest unit shown (whole seconds, or
milliseconds with ``ms=True``), an exact half to the even unit (Python's :func:`round`, the
rule the prompts already followed), so 12.6 s is ``00:13`` in a prompt, in a chat reply, in
the CLI and in the web UI alike (and ``00:12.600`` where milliseconds are shown). Negative times
print as zero. Times inside vidsense stay float seconds; these run only at the edge.
"""

from __future__ import annotations

import re

TIME_PATTERN = (
    r"(?:\d{1,2}(?::\d{1,2}){1,2}(?:\.\d+)?|\d+(?:\.\d+)?\s*(?:s|sec|secs|second|seconds)\b)"
)
"""A time as people write it in a request: ``MM:SS``, ``H:MM:SS`` (fractions allowed) or
``12 s`` / ``12 seconds``."""


def _parts(seconds: float, places: int) -> tuple[int, int, int, int]:
    """``(hours, minutes, seconds, fraction)`` of ``seconds`` rounded to ``places`` decimals
    (``fraction`` counts units of ``10 ** -places`` seconds)."""
    scale = 10**places
    total = round(max(0.0, float(seconds)) * scale)
    whole, fraction = divmod(total, scale)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return hours, minutes, secs, fraction


def clock(seconds: float) -> str:
    """``M:SS`` (``H:MM:SS`` from an hour), as people write times in a video: ``0:13``."""
    h, m, s, _ = _parts(seconds, 0)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def mmss(seconds: float, *, ms: bool = False, hours: bool = True) -> str:
    """``MM:SS`` (``H:MM:SS`` from an hour), zero padded: ``00:13``; ``ms`` adds milliseconds
    (``00:12.600``); ``hours=False`` keeps counting minutes past an hour (``62:05``)."""
    h, m, s, f = _parts(seconds, 3 if ms else 0)
    tail = f".{f:03d}" if ms else ""
    if not hours:
        return f"{h * 60 + m:02d}:{s:02d}{tail}"
    return f"{h}:{m:02d}:{s:02d}{tail}" if h else f"{m:02d}:{s:02d}{tail}"


def hms(seconds: float, *, ms: bool = False) -> str:
    """``HH:MM:SS``, zero padded: ``00:00:13``; ``ms`` adds milliseconds (``00:00:12.600``)."""
    h, m, s, f = _parts(seconds, 3 if ms else 0)
    return f"{h:02d}:{m:02d}:{s:02d}" + (f".{f:03d}" if ms else "")


def stamp(seconds: float) -> str:
    """``HH:MM:SS``, with milliseconds only when the time has any (``00:00:12.600``,
    ``00:00:12``): how chat replies name a time exactly."""
    _, _, _, f = _parts(seconds, 3)
    return hms(seconds, ms=bool(f))


def parse_time(text: str) -> float:
    """Seconds from ``SS s``, ``MM:SS``, ``H:MM:SS`` (with optional fractions)."""
    text = text.strip().lower()
    number = re.match(r"^(\d+(?:\.\d+)?)\s*[a-z]*$", text)
    if number:
        return float(number.group(1))
    total = 0.0
    for part in text.split(":"):
        total = total * 60 + float(part)
    return total


def times_in(text: str) -> list[float]:
    """Every time (seconds) written in ``text`` (:data:`TIME_PATTERN`), in order."""
    return [parse_time(m.group(0)) for m in re.finditer(TIME_PATTERN, text, re.I)]
