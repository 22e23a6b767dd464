"""The edits users ask for, each a :class:`~vidsense.media.timeline.RenderSpec` the engine
renders: a highlight reel to a target length, subtitles (burned in or a soft track), a
vertical or square reframe that follows the subject, a speed change, a GIF or WebP of a span,
several videos joined, a video from images, a watermark, an exact trim.

Every edit is a pydantic parameter model and a builder (:data:`EDITS`). :func:`check_edit`
validates the parameters and what they name before any work is queued (a bad request is an
:class:`~vidsense.errors.InvalidArgument` naming the parameter); :func:`build_edit` makes the
spec (a reel reads the video's evidence, a reframe follows the subject, which takes a while);
:func:`run_edit` builds and renders in one call. The functions at the end (:func:`make_reel`,
:func:`add_subtitles`, ...) are the same edits with plain arguments, for chat and Python.

Videos are named as a render spec names them: library video ids (or, in-process, paths);
images and logos as uploaded file ids (or paths); see :class:`~vidsense.studio.sources.Sources`.
Times are seconds of the source video; ``output`` overrides fields of the spec's output
(``{"width": 720}``, ``{"codec": "vp9"}``).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vidsense.errors import InvalidArgument, NotFound, SourceNotFound, VidsenseError
from vidsense.library import Library
from vidsense.media.probe import MediaInfo, probe
from vidsense.media.render import Progress, RenderResult, Resolver, render
from vidsense.media.subtitles import word_cues
from vidsense.media.timeline import (
    Anchor,
    Motion,
    RenderSpec,
    field_path,
    parse_spec,
)
from vidsense.store import VideoRecord
from vidsense.studio.reel import Candidate, plan_reel, sentences, words_of
from vidsense.studio.reframe import SUBJECTS, Subject, TextBox, focus_path, follow_subject
from vidsense.studio.sources import VIDEO_ID, Sources

log = logging.getLogger(__name__)

SLIDE_MOTIONS: tuple[Motion, ...] = ("zoom_in", "pan_right", "zoom_out", "pan_left")
"""The slow moves a slideshow's images take in turn."""


class EditParams(BaseModel):
    """What every edit takes besides its own parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    output: dict[str, Any] = Field(
        default_factory=dict,
        description="fields of the spec's output to override: width, height, aspect, fit, "
        "fps, codec (h264, vp9, gif, webp), crf, preset",
    )


class _Span(EditParams):
    video_id: str = Field(min_length=1, description="a library video id (in-process: a path)")
    start: float = Field(default=0.0, ge=0.0, description="seconds of the video")
    end: float | None = Field(default=None, gt=0.0, description="seconds (default: its end)")

    @field_validator("end")
    @classmethod
    def _after(cls, end: float | None, info: Any) -> float | None:
        start = info.data.get("start")
        if end is not None and start is not None and end <= start:
            raise ValueError(f"end ({end:g}) must come after start ({start:g})")
        return end


class ReelParams(EditParams):
    """A highlight reel: the best moments in order, crossfaded, ``seconds`` long."""

    video_id: str = Field(min_length=1)
    seconds: float = Field(default=30.0, ge=2.0, le=600.0, description="target length")
    crossfade: float = Field(default=0.5, ge=0.0, le=1.0, description="seconds")
    subtitles: Literal["none", "burn", "track"] = "none"


class SubtitleParams(_Span):
    """The video (or a span of it) with its transcript as subtitles."""

    mode: Literal["burn", "track"] = "burn"
    size: int | None = Field(default=None, ge=8, le=200, description="px; default 1/18 height")
    position: Literal["bottom", "top"] = "bottom"


class ReframeParams(_Span):
    """A vertical (or square, ...) version that follows the subject."""

    aspect: str = Field(default="9:16", description="9:16, 1:1, 4:5, ...")
    follow: list[Subject] = Field(default_factory=lambda: list(SUBJECTS), min_length=1)
    every: float = Field(default=0.5, ge=0.1, le=5.0, description="seconds between samples")


class SpeedParams(_Span):
    """A span played faster or slower (sound pitch kept)."""

    speed: float = Field(ge=0.25, le=4.0)


class AnimationParams(_Span):
    """A looping GIF or animated WebP of a span (at most 60 s)."""

    format: Literal["gif", "webp"] = "gif"
    width: int = Field(default=480, ge=16, le=1920)
    fps: float = Field(default=12.0, ge=1.0, le=30.0)


class ConcatParams(EditParams):
    """Several videos one after another (other sizes padded to the first one's)."""

    video_ids: list[str] = Field(min_length=2, max_length=50)
    transition: Literal["cut", "crossfade", "fade_black"] = "cut"
    transition_seconds: float = Field(default=0.5, ge=0.04, le=3.0)


class SlideshowParams(EditParams):
    """A video from images: each shown ``seconds``, moving slowly, optionally captioned and
    narrated."""

    images: list[str] = Field(min_length=1, max_length=200)
    seconds: float = Field(default=3.0, ge=0.2, le=60.0, description="per image")
    motion: bool = True
    transition: Literal["cut", "crossfade", "fade_black"] = "crossfade"
    transition_seconds: float = Field(default=0.5, ge=0.04, le=3.0)
    captions: list[str] | None = Field(default=None, description="one per image, as subtitles")
    narrate: bool = Field(default=False, description="speak the captions (espeak-ng)")


class WatermarkParams(EditParams):
    """A logo or watermark over the whole video (or from ``start`` to ``end``)."""

    video_id: str = Field(min_length=1)
    logo: str = Field(min_length=1, description="an uploaded image's file id (in-process: a path)")
    position: Anchor = "bottom-right"
    opacity: float = Field(default=0.8, ge=0.0, le=1.0)
    scale: float = Field(default=0.15, gt=0.0, le=1.0, description="width / output width")
    margin: int = Field(default=24, ge=0, le=500)
    start: float = Field(default=0.0, ge=0.0, description="seconds of the output")
    end: float | None = Field(default=None, gt=0.0)


class TrimParams(_Span):
    """The frames of ``[start, end)``, re-encoded so the cut is exact."""


# -- context ---------------------------------------------------------------------------------


@dataclass
class EditContext:
    """What a builder works with: the resolver of names, the library (for evidence), and the
    progress (0-1) and cancel event of the building step."""

    sources: Resolver
    library: Library | None = None
    progress: Progress | None = None
    cancel: threading.Event | None = None

    def video(self, name: str, param: str) -> tuple[Path, MediaInfo]:
        """A video the parameters name, probed; a bad name is a 400 naming ``param``."""
        try:
            path = self.sources(name)
            if not path.is_file():
                raise SourceNotFound(f"no such file: {name}")
            return path, probe(path)
        except VidsenseError as e:
            raise InvalidArgument(f"{param}: {e.message}", param=param, code=e.code) from e

    def indexed(self, name: str, param: str) -> VideoRecord:
        """The library video ``name`` (edits that read what was said or shown need one)."""
        if self.library is None or not VIDEO_ID.match(name):
            raise InvalidArgument(
                f"{param}: {name!r} is not an indexed video id; this edit reads the video's "
                "transcript, so index the video first",
                param=param,
                code="video_not_indexed",
            )
        try:
            return self.library.video_by_id(name)
        except VidsenseError as e:
            raise InvalidArgument(f"{param}: {e.message}", param=param, code=e.code) from e

    def file(self, name: str, param: str) -> Path:
        try:
            path = self.sources(name)
        except VidsenseError as e:
            raise InvalidArgument(f"{param}: {e.message}", param=param, code=e.code) from e
        if not path.is_file():
            raise InvalidArgument(f"{param}: no such file: {name}", param=param)
        return path

    def report(self, fraction: float) -> None:
        if self.progress is not None:
            self.progress(min(1.0, max(0.0, fraction)))


def _span(ctx: EditContext, p: _Span, *, longest: float | None = None) -> tuple[float, float]:
    """``(start, end)`` of the span ``p`` names, checked against the video."""
    _, info = ctx.video(p.video_id, "video_id")
    if p.start >= info.duration:
        raise InvalidArgument(
            f"start: {p.start:g} s is past the end of the video ({info.duration:.3f} s)",
            param="start",
        )
    frame = 1.0 / info.fps if info.fps else 0.04
    if p.end is not None and p.end > info.duration + frame / 2:
        raise InvalidArgument(
            f"end: {p.end:g} s is past the end of the video ({info.duration:.3f} s)", param="end"
        )
    end = info.duration if p.end is None else min(p.end, info.duration)
    if longest is not None and end - p.start > longest:
        raise InvalidArgument(
            f"end: the span is {end - p.start:.1f} s; at most {longest:g} s", param="end"
        )
    return p.start, end


def _spec(data: Mapping[str, Any], output: Mapping[str, Any]) -> RenderSpec:
    body = dict(data)
    body["output"] = {**dict(data.get("output") or {}), **dict(output)}
    return parse_spec(body)


def _words(ctx: EditContext, video: VideoRecord) -> list[tuple[float, float, str]]:
    assert ctx.library is not None
    return words_of(ctx.library.video_segments(video.id, "transcript"))


# -- builders --------------------------------------------------------------------------------


def build_reel(ctx: EditContext, p: ReelParams) -> RenderSpec:
    from vidsense.language.evidence import VideoEvidence
    from vidsense.language.segments import highlights

    assert ctx.library is not None
    video = ctx.indexed(p.video_id, "video_id")
    _, info = ctx.video(p.video_id, "video_id")
    writer = ctx.library.settings.writer
    evidence = VideoEvidence.load(ctx.library, video)
    count = min(40, max(5, 2 * math.ceil(p.seconds / writer.highlight_min_seconds)))
    found = highlights(
        evidence,
        count=count,
        min_seconds=writer.highlight_min_seconds,
        max_seconds=writer.highlight_max_seconds,
    )
    ctx.report(0.5)
    segments = ctx.library.video_segments(video.id, "transcript")
    frame = 1.0 / info.fps if info.fps else 1 / 30
    spans = plan_reel(
        [Candidate(s.start, s.end, s.score) for s in found],
        sentences(segments),
        info.duration,
        p.seconds,
        crossfade=p.crossfade,
        tolerance=frame / 2,
    )
    clips: list[dict[str, Any]] = []
    for i, (a, b) in enumerate(spans):
        clip: dict[str, Any] = {"kind": "video", "source": p.video_id, "start": a, "end": b}
        if i and p.crossfade > 0:
            clip["transition"] = {"kind": "crossfade", "duration": p.crossfade}
        clips.append(clip)
    data: dict[str, Any] = {"clips": clips}
    if p.subtitles != "none":
        lines = _reel_lines(words_of(segments), spans, p.crossfade)
        if lines:
            data["subtitles"] = {"lines": lines, "mode": p.subtitles}
    ctx.report(1.0)
    return _spec(data, p.output)


def _reel_lines(
    words: Sequence[tuple[float, float, str]], spans: Sequence[tuple[float, float]], fade: float
) -> list[dict[str, Any]]:
    """Subtitle lines for the words each clip shows, on the reel's timeline."""
    lines: list[dict[str, Any]] = []
    at = 0.0
    for a, b in spans:
        inside = [w for w in words if a <= w[0] and w[1] <= b]
        for cue in word_cues(inside):
            start, end = at + cue.start - a, at + cue.end - a
            if lines and start < lines[-1]["end"]:
                start = lines[-1]["end"]
            if end > start:
                lines.append({"start": round(start, 3), "end": round(end, 3), "text": cue.text})
        at += b - a - fade
    return lines


def build_subtitles(ctx: EditContext, p: SubtitleParams) -> RenderSpec:
    video = ctx.indexed(p.video_id, "video_id")
    start, end = _span(ctx, p)
    _, info = ctx.video(p.video_id, "video_id")
    words = [w for w in _words(ctx, video) if start <= w[0] and w[1] <= end]
    cues = word_cues(words)
    if not cues:
        raise InvalidArgument(
            f"video_id: nothing is said between {start:g} s and {end:g} s of the video",
            param="video_id",
            code="no_speech",
        )
    lines = [
        {"start": round(c.start - start, 3), "end": round(c.end - start, 3), "text": c.text}
        for c in cues
    ]
    height = info.display_size[1]
    subtitles: dict[str, Any] = {
        "lines": lines,
        "mode": p.mode,
        "position": p.position,
        "size": p.size or max(12, round(height / 18)),
        "margin": max(8, round(height / 20)),
    }
    clip = {"kind": "video", "source": p.video_id, "start": start, "end": end}
    return _spec({"clips": [clip], "subtitles": subtitles}, p.output)


def build_reframe(ctx: EditContext, p: ReframeParams) -> RenderSpec:
    from vidsense.media.timeline import aspect_ratio

    try:
        aspect_ratio(p.aspect)
    except ValueError as e:
        raise InvalidArgument(f"aspect: {e}", param="aspect") from e
    path, info = ctx.video(p.video_id, "video_id")
    start, end = _span(ctx, p)
    boxes: list[TextBox] = []
    if ctx.library is not None and VIDEO_ID.match(p.video_id) and "text" in p.follow:
        width, height = info.display_size
        for s in ctx.library.video_segments(p.video_id, "text"):
            box = s.data.get("box")
            if isinstance(box, list) and len(box) == 4 and width and height:
                x, y, w, h = (float(v) for v in box)
                fractions = (x / width, y / height, w / width, h / height)
                boxes.append(TextBox(s.start, s.end, fractions))
    faces = None
    if "faces" in p.follow:
        faces = _face_model(ctx)
    samples = follow_subject(
        path,
        start,
        end,
        follow=p.follow,
        faces=faces,
        text_boxes=boxes,
        every=p.every,
        progress=ctx.progress,
        cancel=ctx.cancel,
    )
    focus = [f.model_dump() for f in focus_path(samples)]
    clip = {"kind": "video", "source": p.video_id, "start": start, "end": end, "focus": focus}
    return _spec({"clips": [clip], "output": {"aspect": p.aspect, "fit": "crop"}}, p.output)


def _face_model(ctx: EditContext) -> Any:
    """The face detector when it is installed (a reframe without it follows text and motion)."""
    from vidsense.config import Settings
    from vidsense.models.faces import FacesEntry

    settings = ctx.library.settings if ctx.library is not None else Settings()
    entry = FacesEntry(settings)
    if not entry.installed():
        log.info("reframe: no face model (%s); following text and motion", entry.detail())
        return None
    return entry.load()


def build_speed(ctx: EditContext, p: SpeedParams) -> RenderSpec:
    start, end = _span(ctx, p)
    clip = {"kind": "video", "source": p.video_id, "start": start, "end": end, "speed": p.speed}
    return _spec({"clips": [clip]}, p.output)


def build_animation(ctx: EditContext, p: AnimationParams) -> RenderSpec:
    start, end = _span(ctx, p, longest=60.0)
    clip = {"kind": "video", "source": p.video_id, "start": start, "end": end}
    output = {"codec": p.format, "width": p.width, "fps": p.fps}
    return _spec({"clips": [clip], "output": output}, p.output)


def build_concat(ctx: EditContext, p: ConcatParams) -> RenderSpec:
    clips: list[dict[str, Any]] = []
    for i, name in enumerate(p.video_ids):
        ctx.video(name, f"video_ids[{i}]")
        clip: dict[str, Any] = {"kind": "video", "source": name}
        if i and p.transition != "cut":
            clip["transition"] = {"kind": p.transition, "duration": p.transition_seconds}
        clips.append(clip)
    return _spec({"clips": clips, "output": {"fit": "pad"}}, p.output)


def build_slideshow(ctx: EditContext, p: SlideshowParams) -> RenderSpec:
    if p.captions is not None and len(p.captions) != len(p.images):
        raise InvalidArgument(
            f"captions: {len(p.captions)} captions for {len(p.images)} images; give one each",
            param="captions",
        )
    if p.narrate and not p.captions:
        raise InvalidArgument("narrate: there are no captions to speak", param="narrate")
    fade = p.transition_seconds if p.transition != "cut" else 0.0
    if fade and fade * 2 > p.seconds:
        raise InvalidArgument(
            f"transition_seconds: {fade:g} s transitions need images shown over {2 * fade:g} s",
            param="transition_seconds",
        )
    clips: list[dict[str, Any]] = []
    for i, name in enumerate(p.images):
        ctx.file(name, f"images[{i}]")
        clip: dict[str, Any] = {
            "kind": "image",
            "source": name,
            "duration": p.seconds,
            "motion": SLIDE_MOTIONS[i % len(SLIDE_MOTIONS)] if p.motion else "none",
        }
        if i and fade:
            clip["transition"] = {"kind": p.transition, "duration": fade}
        clips.append(clip)
    data: dict[str, Any] = {
        "clips": clips,
        "output": {"width": 1280, "height": 720, "fps": 30, "fit": "pad"},
    }
    if p.captions:
        lines, narration = [], []
        for i, caption in enumerate(p.captions):
            if not caption.strip():
                continue
            at = i * (p.seconds - fade) + (fade if i else 0.0)
            until = (i + 1) * (p.seconds - fade)
            lines.append({"start": round(at, 3), "end": round(until, 3), "text": caption})
            narration.append({"at": round(at + 0.1, 3), "text": caption})
        data["subtitles"] = {"lines": lines}
        if p.narrate:
            data["audio"] = {"narration": narration}
    return _spec(data, p.output)


def build_watermark(ctx: EditContext, p: WatermarkParams) -> RenderSpec:
    ctx.video(p.video_id, "video_id")
    ctx.file(p.logo, "logo")
    overlay = {
        "kind": "image",
        "source": p.logo,
        "position": p.position,
        "opacity": p.opacity,
        "scale": p.scale,
        "margin": p.margin,
        "start": p.start,
        "end": p.end,
    }
    clip = {"kind": "video", "source": p.video_id}
    return _spec({"clips": [clip], "overlays": [overlay]}, p.output)


def build_trim(ctx: EditContext, p: TrimParams) -> RenderSpec:
    start, end = _span(ctx, p)
    clip = {"kind": "video", "source": p.video_id, "start": start, "end": end}
    return _spec({"clips": [clip], "output": {"preset": "ultrafast", "crf": 18}}, p.output)


@dataclass(frozen=True)
class Edit:
    """An edit: its parameters, the builder of its spec, and whether building is slow (it
    then runs in the job, not when the request is checked)."""

    name: str
    params: type[EditParams]
    build: Callable[[EditContext, Any], RenderSpec]
    slow: bool = False

    @property
    def summary(self) -> str:
        return (self.params.__doc__ or "").strip().splitlines()[0]


EDITS: dict[str, Edit] = {
    e.name: e
    for e in (
        Edit("reel", ReelParams, build_reel),
        Edit("subtitles", SubtitleParams, build_subtitles),
        Edit("reframe", ReframeParams, build_reframe, slow=True),
        Edit("speed", SpeedParams, build_speed),
        Edit("animation", AnimationParams, build_animation),
        Edit("concat", ConcatParams, build_concat),
        Edit("slideshow", SlideshowParams, build_slideshow),
        Edit("watermark", WatermarkParams, build_watermark),
        Edit("trim", TrimParams, build_trim),
    )
}
"""Every edit by name (``POST /v1/edits/{name}``)."""


def find_edit(name: str) -> Edit:
    if name not in EDITS:
        raise NotFound(f"no edit {name!r}; the edits are {', '.join(EDITS)}", code="edit_not_found")
    return EDITS[name]


def read_params(name: str, params: Mapping[str, Any] | EditParams) -> EditParams:
    """The edit's parameters, validated (``InvalidArgument`` naming the first bad one)."""
    edit = find_edit(name)
    if isinstance(params, edit.params):
        return params
    try:
        return edit.params.model_validate(dict(params))
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        param = field_path(first["loc"]) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown parameter"
        raise InvalidArgument(f"{param or name}: {message}", param=param) from e


def check_edit(ctx: EditContext, name: str, params: Mapping[str, Any] | EditParams) -> EditParams:
    """Validate an edit's parameters and what they name, before anything is queued. A quick
    edit is built in full (and its spec checked by the engine's planner, which probes its
    files); a slow one checks its video and span."""
    from vidsense.media.render import check

    edit = find_edit(name)
    values = read_params(name, params)
    if edit.slow:
        if isinstance(values, _Span):
            _span(ctx, values)
        return values
    check(edit.build(ctx, values), resolve=ctx.sources)
    return values


def build_edit(ctx: EditContext, name: str, params: Mapping[str, Any] | EditParams) -> RenderSpec:
    """The spec of an edit (slow for a reframe: the subject is followed here)."""
    return find_edit(name).build(ctx, read_params(name, params))


@dataclass(frozen=True)
class EditResult:
    """A rendered edit: the probed file and the spec it was rendered from."""

    result: RenderResult
    spec: RenderSpec

    @property
    def path(self) -> Path:
        return self.result.path

    def to_dict(self) -> dict[str, Any]:
        return {**self.result.to_dict(), "spec": self.spec.model_dump(mode="json")}


def run_edit(
    library: Library | None,
    name: str,
    params: Mapping[str, Any] | EditParams,
    out: Path,
    *,
    sources: Resolver | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> EditResult:
    """Build an edit and render it into ``out`` (its suffix is the codec's container:
    ``.mp4``, ``.webm``, ``.gif``, ``.webp``). ``sources`` defaults to the library's ids and
    plain paths. ``progress`` gets fractions 0-1 (building, then rendering)."""
    if sources is None:
        if library is None:
            raise InvalidArgument("an edit needs a library or a resolver for its sources")
        sources = Sources(library, allow_paths=True)
    slow = find_edit(name).slow
    split = 0.5 if slow else 0.05

    def building(fraction: float) -> None:
        if progress is not None:
            progress(split * fraction)

    def rendering(fraction: float) -> None:
        if progress is not None:
            progress(split + (1.0 - split) * fraction)

    ctx = EditContext(sources, library, building, cancel)
    spec = build_edit(ctx, name, params)
    result = render(spec, out, resolve=sources, progress=rendering, cancel=cancel)
    return EditResult(result, spec)


# -- the same edits with plain arguments (chat, Python) -------------------------------------


def make_reel(
    library: Library,
    video_id: str,
    out: Path,
    *,
    seconds: float = 30.0,
    subtitles: Literal["none", "burn", "track"] = "none",
    aspect: str | None = None,
    progress: Progress | None = None,
) -> EditResult:
    """A ``seconds``-long highlight reel of an indexed video (best moments in order,
    crossfaded, no sentence cut), optionally subtitled and in another ``aspect`` (``9:16``)."""
    output = {"aspect": aspect} if aspect else {}
    params = {"video_id": video_id, "seconds": seconds, "subtitles": subtitles, "output": output}
    return run_edit(library, "reel", params, out, progress=progress)


def add_subtitles(
    library: Library,
    video_id: str,
    out: Path,
    *,
    mode: Literal["burn", "track"] = "burn",
    start: float = 0.0,
    end: float | None = None,
    progress: Progress | None = None,
) -> EditResult:
    """An indexed video (or ``[start, end)`` of it) with its transcript as subtitles, burned
    in or as a soft track."""
    params = {"video_id": video_id, "mode": mode, "start": start, "end": end}
    return run_edit(library, "subtitles", params, out, progress=progress)


def reframe(
    library: Library,
    video_id: str,
    out: Path,
    *,
    aspect: str = "9:16",
    start: float = 0.0,
    end: float | None = None,
    progress: Progress | None = None,
) -> EditResult:
    """A vertical (``9:16``) or square (``1:1``) version that follows faces, on-screen text
    and motion."""
    params = {"video_id": video_id, "aspect": aspect, "start": start, "end": end}
    return run_edit(library, "reframe", params, out, progress=progress)


def change_speed(
    library: Library,
    video_id: str,
    out: Path,
    *,
    speed: float,
    start: float = 0.0,
    end: float | None = None,
    progress: Progress | None = None,
) -> EditResult:
    """``[start, end)`` played ``speed`` times as fast (0.25-4; the voice keeps its pitch)."""
    params = {"video_id": video_id, "speed": speed, "start": start, "end": end}
    return run_edit(library, "speed", params, out, progress=progress)


def make_animation(
    library: Library,
    video_id: str,
    out: Path,
    *,
    start: float,
    end: float,
    width: int = 480,
    fps: float = 12.0,
    progress: Progress | None = None,
) -> EditResult:
    """A looping GIF (``out`` ending ``.gif``) or animated WebP (``.webp``) of a span."""
    fmt = "webp" if out.suffix.lower() == ".webp" else "gif"
    params = {"video_id": video_id, "start": start, "end": end, "format": fmt, "width": width,
              "fps": fps}  # fmt: skip
    return run_edit(library, "animation", params, out, progress=progress)


def concat_videos(
    library: Library,
    video_ids: Sequence[str],
    out: Path,
    *,
    transition: Literal["cut", "crossfade", "fade_black"] = "cut",
    progress: Progress | None = None,
) -> EditResult:
    """Several videos one after another."""
    params = {"video_ids": list(video_ids), "transition": transition}
    return run_edit(library, "concat", params, out, progress=progress)


def video_from_images(
    library: Library,
    images: Sequence[str],
    out: Path,
    *,
    seconds: float = 3.0,
    captions: Sequence[str] | None = None,
    narrate: bool = False,
    progress: Progress | None = None,
) -> EditResult:
    """A slideshow of ``images`` (file ids or paths), ``seconds`` each, moving slowly."""
    params = {"images": list(images), "seconds": seconds, "narrate": narrate,
              "captions": list(captions) if captions is not None else None}  # fmt: skip
    return run_edit(library, "slideshow", params, out, progress=progress)


def add_watermark(
    library: Library,
    video_id: str,
    logo: str,
    out: Path,
    *,
    position: Anchor = "bottom-right",
    opacity: float = 0.8,
    progress: Progress | None = None,
) -> EditResult:
    """The video with ``logo`` (a file id or path) over it."""
    params = {"video_id": video_id, "logo": logo, "position": position, "opacity": opacity}
    return run_edit(library, "watermark", params, out, progress=progress)
