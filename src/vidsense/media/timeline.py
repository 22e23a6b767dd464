"""The timeline spec a render is made from: clips, transitions, overlays, subtitles, audio,
output. JSON in, JSON out, versioned (``version``).

::

    RenderSpec
    ├── clips[]        video (source, start, end, speed, focus) | image (source, duration,
    │                  motion) | color (a plain card); each with the transition INTO it
    │                  (cut, crossfade, fade_black) and its duration
    ├── overlays[]     text (font file, size, colour, anchor, start/end) | image (a logo:
    │                  anchor, scale, opacity, start/end)
    ├── subtitles      timed lines, burned in or as a soft track (mov_text in MP4, WebVTT in
    │                  WebM)
    ├── audio          keep or mute the clips' sound; narration lines (espeak-ng speech or an
    │                  audio file) placed at a time, with the clips' sound ducked under them
    └── output         size, aspect (crop or pad), fps, codec (h264, vp9, gif, webp), crf,
                       preset

Times are seconds. Clip ``start``/``end`` and ``focus`` times are on the clip's SOURCE; every
other time (overlays, subtitle lines, narration) is on the OUTPUT timeline, which is the clips
laid end to end, each transition overlapping the two clips it joins by its duration.

This module only describes and parses; :mod:`vidsense.media.render` checks a spec against the
files it names and renders it. :func:`parse_spec` turns a pydantic validation error into an
:class:`~vidsense.errors.InvalidArgument` whose ``param`` names the field (``clips[2].end``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from vidsense.errors import InvalidArgument

SPEC_VERSION = 1
"""The spec version this code writes and reads."""

DEFAULT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
"""Font file used when an overlay or the subtitles name none (Debian ``fonts-dejavu-core``)."""

Anchor = Literal[
    "top-left", "top", "top-right", "left", "center", "right", "bottom-left", "bottom",
    "bottom-right",
]  # fmt: skip
"""Where an overlay sits in the frame; ``margin`` pixels keep it off the edges."""

Motion = Literal["none", "zoom_in", "zoom_out", "pan_left", "pan_right", "pan_up", "pan_down"]
"""Slow movement over a still image (the image is framed a little larger and drifts)."""

Codec = Literal["h264", "vp9", "gif", "webp"]

CONTAINERS: dict[str, str] = {"h264": "mp4", "vp9": "webm", "gif": "gif", "webp": "webp"}
"""The file type each output codec is written in (also the output file's suffix)."""

_NAMED_COLOURS = {
    "black": "000000", "white": "ffffff", "red": "ff0000", "green": "008000", "lime": "00ff00",
    "blue": "0000ff", "yellow": "ffff00", "cyan": "00ffff", "magenta": "ff00ff",
    "orange": "ffa500", "gray": "808080", "grey": "808080", "navy": "000080",
    "purple": "800080", "pink": "ffc0cb", "brown": "a52a2a", "silver": "c0c0c0",
}  # fmt: skip
_HEX = re.compile(r"#?(?:0x)?([0-9a-fA-F]{6})([0-9a-fA-F]{2})?")


def parse_colour(text: str) -> tuple[int, int, int, float]:
    """``(r, g, b, alpha)`` of a colour written as a name (``white``), ``#rrggbb``,
    ``#rrggbbaa`` or ``0xrrggbb``, optionally with ``@alpha`` (0-1) as ffmpeg writes it
    (``black@0.5``). Raises ``ValueError`` naming what is accepted."""
    value = text.strip().lower()
    alpha = 1.0
    if "@" in value:
        value, _, alpha_text = value.partition("@")
        try:
            alpha = float(alpha_text)
        except ValueError:
            alpha = -1.0
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"colour {text!r}: the alpha after @ must be between 0 and 1")
    hex_value = _NAMED_COLOURS.get(value)
    extra = None
    if hex_value is None:
        match = _HEX.fullmatch(value)
        if match is None:
            raise ValueError(
                f"colour {text!r} is not a colour: use a name ({', '.join(sorted(_NAMED_COLOURS))}"
                "), #rrggbb or #rrggbbaa, optionally with @alpha"
            )
        hex_value, extra = match.group(1), match.group(2)
    if extra is not None:
        alpha = int(extra, 16) / 255.0
    r, g, b = (int(hex_value[i : i + 2], 16) for i in (0, 2, 4))
    return r, g, b, alpha


def _colour(value: str) -> str:
    parse_colour(value)
    return value


Colour = Annotated[str, AfterValidator(_colour)]
"""A colour as :func:`parse_colour` reads it, checked where the spec is parsed."""


def _after_start(end: float | None, info: ValidationInfo) -> float | None:
    """``end`` when it comes after the ``start`` already validated (a field error on ``end``)."""
    start = info.data.get("start")
    if end is not None and start is not None and end <= start:
        raise ValueError(f"end ({end:g}) must come after start ({start:g})")
    return end


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Transition(_Model):
    """How a clip begins after the one before it. A ``crossfade`` or ``fade_black`` overlaps the
    two clips by ``duration`` seconds (default 0.5), so it shortens the output by that much;
    ``cut`` overlaps nothing and ignores ``duration``."""

    kind: Literal["cut", "crossfade", "fade_black"] = "cut"
    duration: float = Field(default=0.5, ge=0.0, le=10.0)

    @property
    def overlap(self) -> float:
        """Seconds the two clips overlap (0 for a cut)."""
        return 0.0 if self.kind == "cut" else self.duration


class FocusPoint(_Model):
    """The centre of interest at ``time`` seconds of the clip's source, as fractions of the
    source frame (0,0 top-left; 1,1 bottom-right). When the output crops the picture, the crop
    window centres on it as far as the frame allows; between points it moves linearly."""

    time: float = Field(default=0.0, ge=0.0)
    x: float = Field(default=0.5, ge=0.0, le=1.0)
    y: float = Field(default=0.5, ge=0.0, le=1.0)


class _ClipBase(_Model):
    transition: Transition = Transition()
    """The transition INTO this clip from the one before (the first clip's must be a cut)."""


class VideoClip(_ClipBase):
    """``[start, end)`` seconds of a video file. ``end`` defaults to the end of the video;
    ``speed`` 2 plays it twice as fast (half as long, audio pitch kept); ``volume`` scales its
    sound (1 keeps it); ``focus`` steers the crop when the output's aspect differs."""

    kind: Literal["video"] = "video"
    source: str = Field(min_length=1)
    start: float = Field(default=0.0, ge=0.0)
    end: float | None = Field(default=None, gt=0.0)
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    volume: float = Field(default=1.0, ge=0.0, le=4.0)
    focus: list[FocusPoint] = Field(default_factory=list)

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: float | None, info: ValidationInfo) -> float | None:
        return _after_start(end, info)


class ImageClip(_ClipBase):
    """A still image shown for ``duration`` seconds, still or with a slow ``motion``."""

    kind: Literal["image"] = "image"
    source: str = Field(min_length=1)
    duration: float = Field(gt=0.0, le=3600.0)
    motion: Motion = "none"
    focus: FocusPoint | None = None


class ColorClip(_ClipBase):
    """A plain ``color`` card for ``duration`` seconds (put a text overlay on it for a title)."""

    kind: Literal["color"] = "color"
    color: Colour = "black"
    duration: float = Field(gt=0.0, le=3600.0)


Clip = Annotated[VideoClip | ImageClip | ColorClip, Field(discriminator="kind")]


class _Placed(_Model):
    """Shown from ``start`` to ``end`` seconds of the output (``end`` None: to the end),
    at ``position`` with ``margin`` pixels to the nearest edges, or at pixel ``x``/``y`` of its
    top-left corner when those are given."""

    start: float = Field(default=0.0, ge=0.0)
    end: float | None = Field(default=None, gt=0.0)
    position: Anchor = "bottom-right"
    margin: int = Field(default=24, ge=0, le=2000)
    x: int | None = None
    y: int | None = None

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: float | None, info: ValidationInfo) -> float | None:
        return _after_start(end, info)


class TextOverlay(_Placed):
    """Text drawn over the picture: ``font`` is a font file (default DejaVu Sans Bold), ``size``
    the font size in output pixels; ``box`` draws ``box_color`` behind it."""

    kind: Literal["text"] = "text"
    text: str = Field(min_length=1, max_length=2000)
    font: str | None = None
    size: int = Field(default=48, ge=4, le=1000)
    color: Colour = "white"
    box: bool = False
    box_color: Colour = "black@0.5"
    position: Anchor = "center"


class ImageOverlay(_Placed):
    """An image (a logo, a watermark) over the picture: ``scale`` is its width as a fraction
    of the output width (None: its own pixel size); ``opacity`` 0-1 (1: opaque; the image's
    own transparency is kept)."""

    kind: Literal["image"] = "image"
    source: str = Field(min_length=1)
    scale: float | None = Field(default=0.15, gt=0.0, le=1.0)
    opacity: float = Field(default=1.0, ge=0.0, le=1.0)


Overlay = Annotated[TextOverlay | ImageOverlay, Field(discriminator="kind")]


class SubtitleLine(_Model):
    """One subtitle: ``text`` shown from ``start`` to ``end`` seconds of the output."""

    start: float = Field(ge=0.0)
    end: float = Field(gt=0.0)
    text: str = Field(min_length=1, max_length=1000)

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: float | None, info: ValidationInfo) -> float | None:
        return _after_start(end, info)


class Subtitles(_Model):
    """Timed lines, ``burn``-ed into the picture (``font``, ``size`` in output pixels,
    ``color``, ``outline_color``, at the ``position`` edge ``margin`` pixels in, long lines
    wrapped) or carried as a soft ``track`` players can switch (``language``: ISO 639-2)."""

    lines: list[SubtitleLine] = Field(min_length=1)
    mode: Literal["burn", "track"] = "burn"
    font: str | None = None
    size: int = Field(default=36, ge=4, le=500)
    color: Colour = "white"
    outline_color: Colour = "black"
    position: Literal["bottom", "top"] = "bottom"
    margin: int = Field(default=40, ge=0, le=2000)
    language: str = Field(default="eng", pattern=r"^[a-z]{3}$")


class Narration(_Model):
    """Speech placed at ``at`` seconds of the output: ``text`` spoken by espeak-ng (``voice``,
    ``rate`` in words per minute) or the audio file ``source``; ``volume`` scales it."""

    at: float = Field(default=0.0, ge=0.0)
    text: str | None = Field(default=None, min_length=1, max_length=5000)
    source: str | None = Field(default=None, min_length=1)
    voice: str = Field(default="en-us", pattern=r"^[A-Za-z0-9_+\-]{1,40}$")
    rate: int = Field(default=160, ge=80, le=450)
    volume: float = Field(default=1.0, ge=0.0, le=4.0)

    @model_validator(mode="after")
    def _one_source(self) -> Narration:
        if (self.text is None) == (self.source is None):
            raise ValueError("give exactly one of text (spoken by espeak-ng) or source")
        return self


class Audio(_Model):
    """``keep`` the clips' sound or ``mute`` it; ``narration`` is mixed over it, and while a
    narration line plays the clips' sound drops to ``duck`` (a gain, 0-1; 1 does not duck)."""

    source: Literal["keep", "mute"] = "keep"
    narration: list[Narration] = Field(default_factory=list)
    duck: float = Field(default=0.25, ge=0.0, le=1.0)


_ASPECT = re.compile(r"^(\d{1,4})[:/x](\d{1,4})$")


def aspect_ratio(text: str) -> tuple[int, int]:
    """``(w, h)`` of an aspect written ``9:16``, ``9/16`` or ``9x16``."""
    match = _ASPECT.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0 or int(match.group(2)) == 0:
        raise ValueError(f"aspect {text!r} must be two positive whole numbers like 16:9 or 9:16")
    return int(match.group(1)), int(match.group(2))


def _aspect(value: str) -> str:
    aspect_ratio(value)
    return value


Aspect = Annotated[str, AfterValidator(_aspect)]
"""An aspect ratio written ``9:16``."""


class Output(_Model):
    """The rendered file. ``width``/``height`` in pixels (either or both; missing ones follow
    the first clip's size and ``aspect``, like ``9:16``); a source of another shape is
    ``fit`` by cropping (``crop``, steered by each clip's focus) or by padding with
    ``pad_color``; ``fps`` defaults to the first video clip's rate (at most 60, and at most 15
    for GIF and WebP; 30 or 15 without a video clip);
    ``crf`` defaults to 23 (h264), 32 (vp9), 25 (webp: quality 75); ``preset`` trades speed
    for size (x264 names; vp9 maps it to ``cpu-used``)."""

    width: int | None = Field(default=None, ge=16, le=8192)
    height: int | None = Field(default=None, ge=16, le=8192)
    aspect: Aspect | None = None
    fit: Literal["crop", "pad"] = "crop"
    pad_color: Colour = "black"
    fps: float | None = Field(default=None, ge=1.0, le=120.0)
    codec: Codec = "h264"
    crf: int | None = Field(default=None, ge=0, le=63)
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"] = (
        "veryfast"
    )
    audio_bitrate: int = Field(default=128, ge=32, le=512)
    """Audio bit rate, kbit/s."""

    @property
    def container(self) -> str:
        """File type (and suffix) of the output: ``mp4``, ``webm``, ``gif`` or ``webp``."""
        return CONTAINERS[self.codec]


class RenderSpec(_Model):
    """Everything a render needs, as JSON (``RenderSpec.model_json_schema()`` describes it)."""

    version: Literal[1] = 1
    clips: list[Clip] = Field(min_length=1, max_length=500)
    overlays: list[Overlay] = Field(default_factory=list, max_length=200)
    subtitles: Subtitles | None = None
    audio: Audio = Audio()
    output: Output = Output()


_TAGS = {"video", "image", "color", "text"}


def field_path(loc: Sequence[int | str]) -> str:
    """``("clips", 2, "video", "end")`` -> ``clips[2].end`` (union tags dropped)."""
    text = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(previous, int) and part in _TAGS:
            pass  # the discriminated union's branch name, not a field
        else:
            text += f".{part}" if text else str(part)
        previous = part
    return text


def parse_spec(data: RenderSpec | Mapping[str, Any] | str | bytes) -> RenderSpec:
    """A :class:`RenderSpec` from a dict or JSON text. A bad spec raises
    :class:`~vidsense.errors.InvalidArgument` whose ``param`` is the first field at fault."""
    if isinstance(data, RenderSpec):
        return data
    try:
        if isinstance(data, str | bytes):
            return RenderSpec.model_validate_json(data)
        return RenderSpec.model_validate(dict(data))
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        param = field_path(first["loc"]) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown field"
        elif first["type"] == "union_tag_invalid":
            message = f"unknown kind: {message}"
        count = e.error_count()
        more = f" (and {count - 1} more)" if count > 1 else ""
        raise InvalidArgument(f"{param or 'spec'}: {message}{more}", param=param) from e
    except json.JSONDecodeError as e:  # pragma: no cover - pydantic wraps JSON errors
        raise InvalidArgument(f"the spec is not JSON: {e}") from e
