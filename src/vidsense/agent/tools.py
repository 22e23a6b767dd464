"""Tools that act on one indexed video: frames, clips, highlights, shots, transcript, metadata,
chapters and moment search; and the ones that need none: a new video made by the configured
generator, a plain answer for what vidsense cannot do. Each returns a :class:`ToolResult`:
text for the reply, artifacts (frames and clips, stored in the session's folder) and data for
structured replies. Times are float seconds (``math.inf`` is the end of the video, a negative
time counts back from the end); a time outside the video is said plainly, not guessed.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidsense.agent.artifacts import Artifact, ArtifactStore
from vidsense.agent.intents import reason
from vidsense.agent.making import DEFAULT_SECONDS, DEFAULT_SIZE, Makers, can_do
from vidsense.agent.media import ChatVideo
from vidsense.errors import InvalidArgument
from vidsense.language.evidence import Item
from vidsense.language.service import WritingService
from vidsense.perception.tags import shows_in_words
from vidsense.times import stamp

TRANSITION = ("transition", "transition_start", "transition_end")
"""A shot segment's fields that say how it began (see :mod:`vidsense.library.evidence`)."""

MAX_FRAMES = 60
"""Most frames one request may ask for."""


@dataclass
class ToolResult:
    """What a tool produced: ``text`` for the reply, ``artifacts``, and ``data`` (JSON)."""

    text: str
    artifacts: list[Artifact] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    citations: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    """A line about each artifact (by id): a highlight's title and summary, a chapter's title."""


def resolve(t: float, duration: float) -> float:
    """A tool's time in seconds of the video: ``inf`` is its end, a negative time counts back
    from the end."""
    if math.isinf(t):
        return duration if t > 0 else 0.0
    return max(0.0, duration + t) if t < 0 else t


class VideoTools:
    """The tools, bound to a library's writing service, a session's artifact folder and the
    server's video generator and editor (``makers``; none by default)."""

    def __init__(
        self,
        writing: WritingService,
        artifacts: ArtifactStore,
        session_id: str,
        makers: Makers | None = None,
    ) -> None:
        self.writing = writing
        self.library = writing.library
        self.artifacts = artifacts
        self.session_id = session_id
        self.makers = makers or Makers()

    # -- frames ----------------------------------------------------------------------------

    def frames(self, video: ChatVideo, times: list[float], why: str = "") -> ToolResult:
        """JPEG frames shown at ``times`` seconds; times past the end are reported."""
        from vidsense.media.frames import extract_frames

        duration = video.video.duration
        times = [resolve(t, duration) for t in times]
        inside = sorted({round(t, 3) for t in times if 0.0 <= t <= duration})
        outside = sorted({t for t in times if not 0.0 <= t <= duration})
        notes = []
        if outside:
            notes.append(
                f"I cannot take a frame at {', '.join(stamp(t) for t in outside)}: the video "
                f"is {duration:.3f} s long ({stamp(duration)})."
            )
        if len(inside) > MAX_FRAMES:
            notes.append(f"That is {len(inside)} frames; here are the first {MAX_FRAMES}.")
            inside = inside[:MAX_FRAMES]
        found: list[Artifact] = []
        if inside:
            work = Path(tempfile.mkdtemp(prefix="vidsense-frames-"))
            try:
                # The last frame is shown until the end; ask a hair earlier for it.
                ask = [min(t, max(duration - 0.05, 0.0)) for t in inside]
                written = extract_frames(video.path, work, at=ask)
                for t, frame in zip(inside, written, strict=False):
                    object_id, target = self.artifacts.new(self.session_id, "image")
                    shutil.move(str(frame.path), target)
                    found.append(Artifact(object_id, "image", target, time=t))
            finally:
                shutil.rmtree(work, ignore_errors=True)
        seen = self._seen_at(video, [a.time or 0.0 for a in found])
        lines = [
            f"Frame at {stamp(a.time or 0.0)}{why}"
            + (f": the picture shows {shows_in_words(item.text)}" if item is not None else "")
            for a, item in zip(found, seen, strict=True)
        ]
        text = " ".join(notes) if not lines else "\n".join(lines + notes)
        frames = [
            {"time": a.time, **({"shows": item.text} if item is not None else {})}
            for a, item in zip(found, seen, strict=True)
        ]
        cited = [i.citation() for i in dict.fromkeys(i for i in seen if i is not None)]
        shows = {a.id: item.text for a, item in zip(found, seen, strict=True) if item is not None}
        return ToolResult(text, found, {"frames": frames}, cited, shows)

    def _seen_at(self, video: ChatVideo, times: list[float]) -> list[Item | None]:
        """What the picture shows at each time (the shot's keyframe labels), when known."""
        if not times:
            return []
        shown = self.writing.evidence(video.video.id).of_type("visual")
        return [next((i for i in reversed(shown) if i.start <= t <= i.end), None) for t in times]

    def frames_every(
        self, video: ChatVideo, every: float, start: float = 0.0, end: float = math.inf
    ) -> ToolResult:
        """A frame every ``every`` seconds from ``start`` to ``end`` (default: the whole
        video)."""
        if every <= 0:
            raise InvalidArgument("the interval between frames must be above 0 seconds")
        duration = video.video.duration
        lo, hi = resolve(start, duration), min(resolve(end, duration), duration)
        count = int(max(0.0, hi - lo) // every) + 1
        times = [round(lo + i * every, 3) for i in range(min(count, MAX_FRAMES))]
        result = self.frames(video, [t for t in times if t <= hi])
        if count > MAX_FRAMES:
            result.text += f"\nEvery {every:g} s is {count} frames; I sent the first {MAX_FRAMES}."
        return result

    def frames_spread(self, video: ChatVideo, count: int) -> ToolResult:
        """``count`` frames spread evenly, each in the middle of its share of the video."""
        count = max(1, min(int(count), MAX_FRAMES))
        share = video.video.duration / count
        return self.frames(video, [round((i + 0.5) * share, 3) for i in range(count)])

    def chapter_frames(self, video: ChatVideo, step: int = 1) -> ToolResult:
        """A frame at the start of every chapter (``step`` 4: of every fourth chapter, the 4th,
        8th, ...)."""
        chapters = self.writing.summarize(video.video.id, "chapter")["chapters"]
        step = max(1, int(step))
        chosen = chapters[step - 1 :: step] if step > 1 else chapters
        if not chosen:
            chosen = chapters[:1]
        times = [float(c["start_sec"]) for c in chosen]
        result = self.frames(video, times)
        for artifact, chapter in zip(result.artifacts, chosen, strict=False):
            title = str(chapter["chapter_title"])
            result.text = result.text.replace(
                f"Frame at {stamp(artifact.time or 0.0)}",
                f"Chapter {chapter['chapter_number'] + 1} ({title}) starts at "
                f"{stamp(artifact.time or 0.0)}",
                1,
            )
            result.notes[artifact.id] = title
        result.data["chapters"] = chapters
        return result

    # -- clips -----------------------------------------------------------------------------

    def clip(self, video: ChatVideo, start: float, end: float) -> Artifact:
        from vidsense.media.edit import trim

        object_id, target = self.artifacts.new(self.session_id, "video")
        done = trim(video.path, start, end, target, mode="auto")
        return Artifact(object_id, "video", target, start=done.start, end=done.end)

    def trim(self, video: ChatVideo, start: float, end: float) -> ToolResult:
        duration = video.video.duration
        start, end = resolve(start, duration), resolve(end, duration)
        if end <= start:
            return ToolResult(
                f"I cannot cut from {stamp(start)} to {stamp(end)}: the end must come after "
                "the start."
            )
        if start >= duration:
            return ToolResult(
                f"I cannot cut from {stamp(start)}: the video is only {duration:.3f} s long "
                f"({stamp(duration)})."
            )
        note = ""
        if end > duration:
            note = f" The video ends at {stamp(duration)}, so the clip stops there."
            end = duration
        artifact = self.clip(video, start, end)
        text = f"Clip from {stamp(start)} to {stamp(end)} ({end - start:.1f} s).{note}"
        return ToolResult(text, [artifact], {"clip": {"start": start, "end": end}})

    def highlights(self, video: ChatVideo, count: int) -> ToolResult:
        count = max(1, min(count, 20))
        found = self.writing.summarize(video.video.id, "highlight", count=count, citations=True)
        items = found["highlights"]
        artifacts, lines = [], []
        notes: dict[str, str] = {}
        for n, h in enumerate(items, 1):
            artifact = self.clip(video, float(h["start_sec"]), float(h["end_sec"]))
            artifacts.append(artifact)
            notes[artifact.id] = f"{h['highlight']}: {h['highlight_summary']}"
            lines.append(
                f"{n}. {stamp(h['start_sec'])}-{stamp(h['end_sec'])} {h['highlight']}: "
                f"{h['highlight_summary']}"
            )
        if len(items) < count:
            lines.append(f"The video holds {len(items)} distinct highlights, not {count}.")
        data = {"highlights": items}
        cites = found.get("citations", [])
        return ToolResult("\n".join(lines), artifacts, data, cites, notes)

    def clip_about(self, video: ChatVideo, query: str) -> ToolResult:
        """A clip of the moment that best matches ``query`` (the evidence item's own span)."""
        ev = self.writing.evidence(video.video.id)
        found = self.writing.relevant(ev, query, limit=1)
        if not found:
            return ToolResult(f"I found no moment matching {query!r} to cut.", data={"clip": None})
        item = found[0]
        result = self.trim(video, item.start, max(item.end, item.start + 1.0))
        how = {"speech": "said", "text": "shown on screen"}.get(item.type, "heard")
        result.text = result.text.rstrip(".") + f', where this is {how}: "{item.text}"'
        result.citations = [item.citation()]
        for artifact in result.artifacts:
            result.notes[artifact.id] = item.text
        return result

    # -- evidence --------------------------------------------------------------------------

    def metadata(self, video: ChatVideo) -> ToolResult:
        v = video.video
        text = (
            f"The video is {v.duration:.3f} seconds long ({stamp(v.duration)}), "
            f"{v.width}x{v.height} pixels at {v.fps:g} frames per second."
        )
        data = {
            "duration": v.duration,
            "width": v.width,
            "height": v.height,
            "resolution": f"{v.width}x{v.height}",
            "fps": v.fps,
            "filename": v.filename,
            "size": v.size,
        }
        return ToolResult(text, data=data)

    def chapters(self, video: ChatVideo) -> ToolResult:
        found = self.writing.summarize(video.video.id, "chapter", citations=True)
        lines = [
            f"{c['chapter_number'] + 1}. {stamp(c['start_sec'])}-{stamp(c['end_sec'])} "
            f"{c['chapter_title']}: {c['chapter_summary']}"
            for c in found["chapters"]
        ]
        return ToolResult("\n".join(lines), data={"chapters": found["chapters"]},
                          citations=found.get("citations", []))  # fmt: skip

    def transcript(self, video: ChatVideo) -> ToolResult:
        segments = self.library.transcription(video.index_id, video.video.id)
        if not segments:
            return ToolResult("Nothing is said in the video.", data={"segments": []})
        lines = [f"[{stamp(s.start)}-{stamp(s.end)}] {s.text}" for s in segments]
        data = {
            "segments": [
                {"start": round(s.start, 3), "end": round(s.end, 3), "text": s.text}
                for s in segments
            ]
        }
        return ToolResult("\n".join(lines), data=data)

    def shots(self, video: ChatVideo) -> ToolResult:
        segments = self.library.shots(video.index_id, video.video.id)
        lines: list[str] = []
        shots: list[dict[str, Any]] = []
        for n, s in enumerate(segments, 1):
            shot: dict[str, Any] = {"start": round(s.start, 3), "end": round(s.end, 3)}
            line = f"Shot {n}: {stamp(s.start)}-{stamp(s.end)}"
            began, lo, hi = (s.data.get(k) for k in TRANSITION)
            if began in ("dissolve", "fade") and lo is not None and hi is not None:
                # a gradual transition: the shot starts at its middle, its span is told too
                line += f" (after a {began}, {stamp(lo)}-{stamp(hi)})"
                shot |= dict(zip(TRANSITION, (began, lo, hi), strict=True))
            lines.append(line)
            shots.append(shot)
        return ToolResult("\n".join(lines) or "No shots were found.", data={"shots": shots})

    def search(self, video: ChatVideo, query: str) -> ToolResult:
        ev = self.writing.evidence(video.video.id)
        found = self.writing.relevant(ev, query, limit=5)
        if not found:
            return ToolResult(f"I found no moment matching {query!r}.", data={"moments": []})
        moments: list[dict[str, Any]] = [
            {"start": round(i.start, 3), "end": round(i.end, 3), "type": i.type, "text": i.text}
            for i in found
        ]
        lines = [f"{stamp(m['start'])}-{stamp(m['end'])}: {m['text']}" for m in moments]
        return ToolResult("\n".join(lines), data={"moments": moments},
                          citations=[i.citation() for i in found])  # fmt: skip

    def summary(self, video: ChatVideo, prompt: str) -> ToolResult:
        found = self.writing.summarize(video.video.id, "summary", prompt, citations=True)
        return ToolResult(found["summary"], citations=found.get("citations", []))

    def answer(self, video: ChatVideo, question: str) -> ToolResult:
        text, cites = self.writing.answer(video.video.id, question)
        return ToolResult(text, citations=cites)

    # -- new videos and what cannot be done -----------------------------------------------

    @staticmethod
    def _keep_video(object_id: str, target: Path, made: Path) -> Artifact:
        """The artifact of a rendered MP4 (moved to ``target`` when it was written elsewhere;
        its length probed, 0 to the end)."""
        from vidsense.media.probe import probe

        if made != target:
            shutil.move(str(made), target)
        return Artifact(object_id, "video", target, start=0.0, end=probe(target).duration)

    def generate(
        self,
        prompt: str,
        seconds: float | None = None,
        size: str | None = None,
        image: Path | None = None,
    ) -> ToolResult:
        """A new video made by the configured generator from ``prompt`` (and ``image``),
        ``seconds`` long (default :data:`DEFAULT_SECONDS`) at ``size`` (``WxH``)."""
        makers = self.makers
        if makers.generator is None:
            return ToolResult(
                "I cannot make new videos on this server: no video generator is configured. "
                + can_do(makers),
                data={"generated": None},
            )
        seconds = float(seconds or DEFAULT_SECONDS)
        size = size or DEFAULT_SIZE
        object_id, target = self.artifacts.new(self.session_id, "video")
        made = makers.generator(prompt, seconds, size, target, image)
        artifact = self._keep_video(object_id, target, made)
        length = (artifact.end or 0.0) - (artifact.start or 0.0)
        source = " and the image sent" if image is not None else ""
        text = (
            f"A new {length:.1f} s video ({size}) made by {makers.generator_name} from your "
            f"description{source}."
        )
        if not makers.generative:  # say plainly that what was described was not filmed
            text = f"I can't generate footage of what you describe here. {text}"
        data = {"generated": {"seconds": round(length, 3), "size": size, "prompt": prompt}}
        return ToolResult(text, [artifact], data, notes={artifact.id: prompt})

    def edit(self, video: ChatVideo, kind: str, **params: Any) -> ToolResult:
        """An edit of the video rendered by the configured editor: ``kind`` ``reel``
        (``seconds``, ``subtitles``, ``aspect``), ``subtitles``, ``reframe`` (``aspect``),
        ``speed`` (``factor``); other kinds (GIFs, watermarks, text overlays) are said to be
        unavailable in chat."""
        what, edit, values = _edit_request(video, kind, params)
        makers = self.makers
        if edit is None:
            return ToolResult(f"Making {what} is not something I can do in chat yet. "
                              + can_do(makers), data={"edit": None})  # fmt: skip
        if makers.editor is None:
            return ToolResult(
                f"I cannot make {what}: this server has no video editor configured. "
                + can_do(makers),
                data={"edit": None},
            )
        object_id, target = self.artifacts.new(self.session_id, "video")
        artifact = self._keep_video(object_id, target, makers.editor(edit, values, target))
        text = f"Here is {what} ({artifact.end or 0.0:.1f} s)."
        return ToolResult(text, [artifact], {"edit": {"kind": edit, **values}},
                          notes={object_id: what})  # fmt: skip

    def unsupported(self, why: str = "") -> ToolResult:
        """A plain answer for something vidsense has no tool for (``why``: the key of the
        reason, :func:`vidsense.agent.intents.reason`), with what it can do instead."""
        return ToolResult(f"I cannot do that: {reason(why)}. " + can_do(self.makers))

    def registry(self) -> dict[str, Callable[..., ToolResult]]:
        """Every tool by name (the planner's steps name them)."""
        return {
            "frames": self.frames,
            "frames_every": self.frames_every,
            "frames_spread": self.frames_spread,
            "chapter_frames": self.chapter_frames,
            "trim": self.trim,
            "clip_about": self.clip_about,
            "highlights": self.highlights,
            "metadata": self.metadata,
            "chapters": self.chapters,
            "transcript": self.transcript,
            "shots": self.shots,
            "search": self.search,
            "summary": self.summary,
            "answer": self.answer,
            "edit": self.edit,
        }


def _edit_request(
    video: ChatVideo, kind: str, params: dict[str, Any]
) -> tuple[str, str | None, dict[str, Any]]:
    """``(what it makes, the editor's edit name or None when chat cannot ask for it, the
    edit's parameters)`` for an edit read from a request."""
    vid = video.video.id
    aspect = params.get("aspect")
    duration = video.video.duration
    span: dict[str, Any] = {}
    if "start" in params:
        span["start"] = resolve(float(params["start"]), duration)
    if "end" in params and resolve(float(params["end"]), duration) < duration:
        span["end"] = resolve(float(params["end"]), duration)
    if kind == "reel":
        seconds = float(params.get("seconds") or 30.0)
        subtitles = bool(params.get("subtitles"))
        what = f"a {seconds:g} second highlight reel" + (" with subtitles" if subtitles else "")
        output = {"aspect": aspect} if aspect else {}
        if aspect:
            what += f" in {aspect}"
        values = {"video_id": vid, "seconds": seconds,
                  "subtitles": "burn" if subtitles else "none", "output": output}  # fmt: skip
        return what, "reel", values
    if kind == "subtitles":
        return "a version with the subtitles burned in", "subtitles", {
            "video_id": vid, "mode": "burn", **span}  # fmt: skip
    if kind == "reframe":
        aspect = aspect or "9:16"
        return f"a {aspect} version that follows the subject", "reframe", {
            "video_id": vid, "aspect": aspect, **span}  # fmt: skip
    if kind == "speed":
        factor = float(params.get("factor") or 2.0)
        return f"a version at {factor:g}x speed", "speed", {
            "video_id": vid, "speed": factor, **span}  # fmt: skip
    names = {
        "gif": "a GIF",
        "watermark": "a version with your logo on it",
        "overlay": "a version with text over it",
        "concat": "one video of several joined",
    }
    return names.get(kind, f"that edit ({kind})"), None, {}
