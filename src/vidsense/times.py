"""Seconds written for people: the one set of time formatters (prompts, chat replies, schema
answers, the CLI), and the one reader of times people write in requests (:func:`find_times`,
:func:`times_in`, :func:`parse_time`: ``00:05``, ``1:02:03.5``, ``12 s``, ``2 min 30 s``,
``5, 15 and 25 seconds``, ranges, ``every 10 seconds``, ``the first/last 10 seconds``,
``a 20 second reel``; and "at the start" / "at the end" without a time, :func:`ends_asked`).

One rounding rule everywhere: a time is rounded to the nearest unit shown (whole seconds, or
milliseconds with ``ms=True``), an exact half to the even unit (Python's :func:`round`, the
rule the prompts already followed), so 12.6 s is ``00:13`` in a prompt, in a chat reply, in
the CLI and in the web UI alike (and ``00:12.600`` where milliseconds are shown). Negative times
print as zero. Times inside vidsense stay float seconds; these run only at the edge.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal


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


def span(start: float, end: float) -> str:
    """``"0:12-0:22"``: a span of the video as :func:`clock` writes its ends."""
    return f"{clock(start)}-{clock(end)}"


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


# -- times as people write them in requests ----------------------------------------------------

TimeKind = Literal["point", "range", "interval", "duration", "first", "last"]

_UNITS = {
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
}  # fmt: skip
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "ninety": 90,
}  # fmt: skip
_H = r"(?:hours?|hrs?|h)(?![a-z])"
_M = r"(?:minutes?|mins?|m)(?![a-z])"
_S = r"(?:seconds?|secs?|s)(?![a-z])"
_UNIT = rf"(?:{_H}|{_M}|{_S})"
_NUM = r"\d+(?:\.\d+)?"
_AND = r"\s*(?:and\s+)?"
_COMPOUND = (
    rf"\b{_NUM}\s*-?\s*{_H}(?:{_AND}{_NUM}\s*{_M})?(?:{_AND}{_NUM}\s*{_S})?"
    rf"|\b{_NUM}\s*-?\s*{_M}(?:{_AND}{_NUM}\s*{_S})?"
    rf"|\b{_NUM}\s*-?\s*{_S}"
)
_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_ATOM = re.compile(
    rf"(?P<clock>\b\d{{1,2}}(?::\d{{1,2}}){{1,2}}(?:\.\d+)?(?:\s*{_UNIT})?)"
    rf"|(?P<half>\bhalf(?: an?)? (?:minute|hour)\b)"
    rf"|(?P<compound>{_COMPOUND})"
    rf"|(?P<worded>\b(?:{_WORD}|an?)(?:[\s-]+(?:{_WORD}))?(?:\s+|\s*-\s*){_UNIT})"
    rf"|(?P<per>\b(?:every|each|per)\s+(?:second|minute|hour)\b)"
    rf"|(?P<bare>(?<![\w.:])\d+(?:\.\d+)?(?![\w:]|\.\d))"
)
_LINK = r"\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+|&\s*)"
_RANGE_LINK = re.compile(r"^\s*(?:-|to|until|till|through|thru|up to)\s*$")
_TIME_WORDS = re.compile(
    r"(?:\bat|\bfrom|\bto|\buntil|\btill|\bbetween|\band|\bafter|\bbefore|,|-)\s*$"
)


@dataclass(frozen=True)
class TimeMention:
    """A time expression: ``kind`` and its ``values`` in seconds (``point``: one time;
    ``range``: start and end, ``inf`` for "the end"; ``interval``: every N seconds;
    ``duration``: a length such as "a 20 second reel"; ``first``/``last``: the first or last
    N seconds), with where it sits in the text (``start``, ``end``)."""

    kind: TimeKind
    values: tuple[float, ...]
    start: int
    end: int


def _word_number(text: str) -> float:
    parts = re.split(r"[\s-]+", text.strip())
    if parts[0] in ("a", "an"):
        return 1.0
    return float(sum(NUMBER_WORDS[p] for p in parts))


def parse_time(text: str) -> float:
    """Seconds from one time expression: ``SS``, ``MM:SS``, ``H:MM:SS`` (with fractions),
    ``12 s``, ``2 min 30 s``, ``2m30s``, ``ninety seconds``, ``half a minute``."""
    text = text.strip().lower()
    if ":" in text:
        clock = re.match(r"[\d:.]+", text)
        total = 0.0
        for part in (clock.group(0) if clock else text).split(":"):
            total = total * 60 + float(part)
        return total
    if text.startswith("half"):
        return 1800.0 if "hour" in text else 30.0
    pairs = re.findall(rf"({_NUM}|(?:{_WORD}|an?)(?:[\s-]+(?:{_WORD}))?)\s*-?\s*({_UNIT})?", text)
    total = 0.0
    for number, unit in pairs:
        if not number:
            continue
        value = float(number) if number[0].isdigit() else _word_number(number)
        total += value * _UNITS.get(unit, 1.0)
    return total


@dataclass
class _Atom:
    start: int
    end: int
    seconds: float
    kind: str
    """``clock``, ``unit`` (a number with its unit) or ``bare`` (a number with none)."""
    unit: float | None = None


def _atoms(text: str) -> list[_Atom]:
    found: list[_Atom] = []
    for m in _ATOM.finditer(text):
        if m.group("bare"):
            found.append(_Atom(m.start(), m.end(), float(m.group(0)), "bare"))
            continue
        if m.group("per"):  # "one frame per second": every 1 s
            word = m.group(0).split()[-1]
            at = m.start() + len(m.group(0)) - len(word)
            found.append(_Atom(at, m.end(), _UNITS[word], "unit", _UNITS[word]))
            continue
        if m.group("worded") and re.match(r"an?\s", m.group(0)):
            named = re.search(_UNIT, m.group(0))
            # "a minute" is a time; "a second clip" is another clip
            if named is None or _UNITS[named.group(0)] < 60:
                continue
        seconds = parse_time(m.group(0))
        kind = "clock" if m.group("clock") else "unit"
        unit_match = re.search(rf"({_UNIT})\s*$", m.group(0))
        scale = _UNITS[unit_match.group(1)] if unit_match and kind == "unit" else None
        found.append(_Atom(m.start(), m.end(), seconds, kind, scale))
    # A unit after a list or a range of bare numbers applies to all of them:
    # "at 5, 15 and 25 seconds", "from 30 to 45 seconds".
    for i in range(len(found) - 1, 0, -1):
        later, earlier = found[i], found[i - 1]
        if earlier.kind != "bare" or later.kind == "bare":
            continue
        between = text[earlier.end : later.start]
        if re.fullmatch(_LINK, between) or _RANGE_LINK.match(between):
            scale = later.unit if later.kind == "unit" and later.unit else 1.0
            earlier.seconds *= scale
            earlier.kind = later.kind if later.kind == "unit" else "clock"
            earlier.unit = later.unit
    # A bare number after a time word is seconds ("frame at 12", "from 10 to 20").
    for atom in found:
        if atom.kind == "bare" and _TIME_WORDS.search(text[max(0, atom.start - 9) : atom.start]):
            before = text[max(0, atom.start - 12) : atom.start]
            if not re.search(r"\b(?:top|best|first|last|the)\s*$", before):
                atom.kind = "unit"
    return [a for a in found if a.kind != "bare"]


_LENGTH_NOUN = (
    r"\s*-?\s*(?:long\s+)?(?:\w+\s+)?(?:reel|video|clip|gif|version|summary|montage|trailer|"
    r"teaser|segment|excerpt|cut|edit|animation|movie|short)s?\b"
)


def _is_duration(before: str, after: str, atom: _Atom) -> bool:
    """A length, not a place: "a 20 second reel", "for 5 seconds", "down to 60 seconds",
    "30 s each", "a clip of 10 seconds"."""
    if re.search(r"\b(?:an?|for|lasting|under|within|than|down to|up to|around|about)\s*$", before):
        return True
    if re.match(r"\s*(?:long|each|in length|apiece|max|or (?:less|shorter))\b", after):
        return True
    if atom.kind == "unit" and re.search(r"\bof\s*$", before):
        return True
    return atom.kind == "unit" and re.match(_LENGTH_NOUN, after) is not None


def find_times(text: str) -> list[TimeMention]:
    """Every time expression in ``text`` (lower case reads best), in order."""
    atoms = _atoms(text)
    out: list[TimeMention] = []
    i = 0
    while i < len(atoms):
        atom = atoms[i]
        before = text[max(0, atom.start - 30) : atom.start]
        after = text[atom.end : atom.end + 30]
        nxt = atoms[i + 1] if i + 1 < len(atoms) else None
        between = text[atom.end : nxt.start] if nxt else ""
        if nxt is not None and (
            _RANGE_LINK.match(between)
            or (re.search(r"\bbetween\s*$", before) and re.fullmatch(r"\s*and\s*", between))
        ):
            out.append(TimeMention("range", (atom.seconds, nxt.seconds), atom.start, nxt.end))
            i += 2
            continue
        if re.search(r"\b(?:every|each|per)\s*$", before) or re.search(
            r"\bintervals? of\s*$", before
        ):
            out.append(TimeMention("interval", (atom.seconds,), atom.start, atom.end))
        elif re.search(r"\b(?:first|opening|initial|beginning)\s*$", before):
            out.append(TimeMention("first", (atom.seconds,), atom.start, atom.end))
        elif re.search(r"\b(?:last|final|closing|ending)\s*$", before):
            out.append(TimeMention("last", (atom.seconds,), atom.start, atom.end))
        elif re.match(r"\s*(?:in(?:to)?\b|mark\b)", after) or re.search(r"\bminute\s*$", before):
            out.append(TimeMention("point", (atom.seconds,), atom.start, atom.end))
        elif _is_duration(before, after, atom):
            out.append(TimeMention("duration", (atom.seconds,), atom.start, atom.end))
        elif re.search(r"\bfrom\s*$", before) and re.match(
            r"\s*(?:on|onwards?|to the end|until the end|till the end)\b", after
        ):
            out.append(TimeMention("range", (atom.seconds, math.inf), atom.start, atom.end))
        else:
            out.append(TimeMention("point", (atom.seconds,), atom.start, atom.end))
        i += 1
    return out


def times_in(text: str) -> list[float]:
    """Every time ``text`` names as a place in the video (points and range ends), in order."""
    out: list[float] = []
    for m in find_times(text.lower()):
        if m.kind in ("point", "range"):
            out += [v for v in m.values if math.isfinite(v)]
    return out


_OPENING = re.compile(
    r"\b(?:at|in) the (?:very )?(?:start|beginning|outset)\b"
    r"|\b(?:at|in) the (?:first|opening) (?:seconds?|moments?|scene|shot)\b"
    r"|\bwhen (?:it|the video) (?:starts|begins|opens)\b"
)
_MIDDLE = re.compile(
    r"\b(?:at|in) the (?:very )?middle\b(?! of (?!the video\b|it\b))|\bhalfway through\b"
    r"(?! (?!the video\b|it\b)\w)"
)
_CLOSING = re.compile(
    r"\b(?:at|in) the (?:very )?end\b(?! of (?!the video\b|it\b))"
    r"|\b(?:at|in) the (?:last|final|closing) (?:seconds?|moments?|scene|shot)\b"
    r"|\bwhen (?:it|the video) ends\b"
)


END_WORDS = frozenset(
    {"start", "beginning", "outset", "begin", "open", "opening", "end", "final", "closing",
     "middle", "halfway", "first", "last", "second", "moment", "scene", "shot", "happen", "show"}
)  # fmt: skip
"""Words (lemmas) of a question about the start, middle or end of a video that name nothing
in it: asked with no others, the question is about what is there (:func:`ends_asked`)."""


def ends_asked(text: str) -> list[Literal["start", "middle", "end"]]:
    """Which ends of the video (or its middle) ``text`` asks about without a time: "what
    happens at the start?", "in the middle?", "what is shown at the very end?" (not "at the end
    of the race": the end of something in it)."""
    low = text.lower()
    found: list[Literal["start", "middle", "end"]] = []
    if _OPENING.search(low):
        found.append("start")
    if _MIDDLE.search(low):
        found.append("middle")
    if _CLOSING.search(low):
        found.append("end")
    return found
