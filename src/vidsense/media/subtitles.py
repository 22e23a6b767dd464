"""Subtitle files: SRT and WebVTT for players and soft tracks, ASS for burning lines in.

Each writer takes timed lines (anything with ``start``, ``end`` in seconds and ``text``) and
returns the file's text; times are formatted here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol


class TimedText(Protocol):
    """A line of text shown from ``start`` to ``end`` seconds."""

    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class Cue:
    """A subtitle: ``text`` (one or two lines) shown from ``start`` to ``end`` seconds."""

    start: float
    end: float
    text: str


LINE_CHARS = 42
"""Characters per subtitle line (the usual broadcast limit)."""


def _two_lines(text: str, width: int) -> str:
    """``text`` broken at the space nearest its middle when it is longer than ``width``."""
    if len(text) <= width or " " not in text:
        return text
    middle = len(text) // 2
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return text[:cut] + "\n" + text[cut + 1 :]


_CLOSERS = "\"')]\u00bb\u201d\u2019"
"""Quotes and brackets that may follow a sentence's full stop."""


def ends_sentence(word: str) -> bool:
    """Whether ``word`` ends a sentence (``.``, ``?``, ``!`` or an ellipsis, before closing
    quotes or brackets)."""
    return word.rstrip(_CLOSERS).endswith((".", "?", "!", "\u2026"))


def word_cues(
    words: Iterable[tuple[float, float, str]],
    *,
    line_chars: int = LINE_CHARS,
    max_seconds: float = 6.0,
    pause: float = 1.0,
) -> list[Cue]:
    """Timed words ``(start, end, word)`` grouped into cues of at most two lines of
    ``line_chars`` and ``max_seconds``: a cue also ends at the end of a sentence and before a
    pause of ``pause`` seconds. Each cue lasts from its first word's start to its last word's
    end."""
    cues: list[Cue] = []
    current: list[tuple[float, float, str]] = []

    def close() -> None:
        if current:
            text = " ".join(w[2] for w in current)
            cues.append(Cue(current[0][0], current[-1][1], _two_lines(text, line_chars)))
            current.clear()

    for start, end, word in sorted(w for w in words if w[2].strip()):
        word = word.strip()
        if current:
            text = " ".join(w[2] for w in current) + " " + word
            if (
                len(text) > 2 * line_chars
                or end - current[0][0] > max_seconds
                or start - current[-1][1] >= pause
            ):
                close()
        current.append((start, end, word))
        if ends_sentence(word):
            close()
    close()
    return cues


def _clock(seconds: float, separator: str, *, places: int = 3, hour_digits: int = 2) -> str:
    """``H:MM:SS`` and a fraction with ``places`` digits, rounded once."""
    unit = 10**places
    ticks = max(0, round(seconds * unit))
    hours, rest = divmod(ticks, 3600 * unit)
    minutes, rest = divmod(rest, 60 * unit)
    secs, fraction = divmod(rest, unit)
    return f"{hours:0{hour_digits}d}:{minutes:02d}:{secs:02d}{separator}{fraction:0{places}d}"


def srt_time(seconds: float) -> str:
    """``00:01:02,345`` (SRT)."""
    return _clock(seconds, ",")


def vtt_time(seconds: float) -> str:
    """``00:01:02.345`` (WebVTT)."""
    return _clock(seconds, ".")


def _clean(text: str) -> str:
    """One cue's text: no blank lines (a blank line ends a cue in SRT and WebVTT)."""
    return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())


def to_srt(lines: Iterable[TimedText]) -> str:
    """SubRip text: numbered cues, ``HH:MM:SS,mmm --> HH:MM:SS,mmm``."""
    blocks = [
        f"{n}\n{srt_time(line.start)} --> {srt_time(line.end)}\n{_clean(line.text)}\n"
        for n, line in enumerate(lines, 1)
    ]
    return "\n".join(blocks)


def to_vtt(lines: Iterable[TimedText]) -> str:
    """WebVTT text (``WEBVTT`` header, ``HH:MM:SS.mmm`` times); ``&``, ``<``, ``>`` escaped."""
    blocks = ["WEBVTT\n"]
    for line in lines:
        text = _clean(line.text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        blocks.append(f"{vtt_time(line.start)} --> {vtt_time(line.end)}\n{text}\n")
    return "\n".join(blocks)


def ass_colour(r: int, g: int, b: int, alpha: float = 1.0) -> str:
    """An ASS colour, ``&HAABBGGRR`` (ASS alpha counts transparency: 00 is opaque)."""
    return f"&H{round((1.0 - alpha) * 255):02X}{b:02X}{g:02X}{r:02X}"


def _ass_time(seconds: float) -> str:
    """``0:01:02.35`` (ASS counts hundredths)."""
    return _clock(seconds, ".", places=2, hour_digits=1)


def _ass_text(text: str) -> str:
    # Braces open override tags and a backslash starts an escape: keep both literal.
    escaped = _clean(text).replace("\\", "\\\u200b").replace("{", "(").replace("}", ")")
    return escaped.replace("\n", "\\N")


def to_ass(
    lines: Iterable[TimedText],
    *,
    width: int,
    height: int,
    font_name: str,
    size: int,
    colour: str,
    outline_colour: str,
    position: Literal["bottom", "top"] = "bottom",
    margin: int = 40,
    bold: bool = False,
) -> str:
    """An ASS script for a ``width`` x ``height`` picture, so that ``size`` and ``margin`` are
    output pixels: one style (``font_name`` is the font's family name; colours in
    :func:`ass_colour` form), centred at the ``position`` edge, long lines wrapped."""
    alignment = 2 if position == "bottom" else 8
    outline = max(1, round(size / 16))
    header = (
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 0\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {width}\nPlayResY: {height}\n\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Default,{font_name},{size},{colour},{colour},{outline_colour},&H80000000,"
        f"{-1 if bold else 0},0,0,0,100,100,0,0,1,{outline},0,{alignment},"
        f"{margin},{margin},{margin},1\n\n"
        "[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    events = [
        f"Dialogue: 0,{_ass_time(line.start)},{_ass_time(line.end)},Default,,0,0,0,,"
        f"{_ass_text(line.text)}\n"
        for line in lines
    ]
    return header + "".join(events)
