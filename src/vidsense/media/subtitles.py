"""Subtitle files: SRT and WebVTT for players and soft tracks, ASS for burning lines in.

Each writer takes timed lines (anything with ``start``, ``end`` in seconds and ``text``) and
returns the file's text; times are formatted here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Protocol


class TimedText(Protocol):
    """A line of text shown from ``start`` to ``end`` seconds."""

    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...

    @property
    def text(self) -> str: ...


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
