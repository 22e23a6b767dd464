"""Tools that act on one indexed video: frames, clips, highlights, shots, transcript, metadata,
chapters and moment search. Each returns a :class:`ToolResult`: text for the reply, artifacts
(frames and clips, stored in the session's folder) and data for structured replies. Times are
float seconds; a time outside the video is said plainly, not guessed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidsense.agent.artifacts import Artifact, ArtifactStore
from vidsense.agent.media import ChatVideo
from vidsense.errors import InvalidArgument
from vidsense.language.evidence import Item
from vidsense.language.service import WritingService
from vidsense.times import stamp

MAX_FRAMES = 60
"""Most frames one request may ask for."""


@dataclass
class ToolResult:
    """What a tool produced: ``text`` for the reply, ``artifacts``, and ``data`` (JSON)."""

    text: str
    artifacts: list[Artifact] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    citations: list[dict[str, Any]] = field(default_factory=list)


class VideoTools:
    """The tools, bound to a library's writing service and a session's artifact folder."""

    def __init__(self, writing: WritingService, artifacts: ArtifactStore, session_id: str) -> None:
        self.writing = writing
        self.library = writing.library
        self.artifacts = artifacts
        self.session_id = session_id

    # -- frames ----------------------------------------------------------------------------

    def frames(self, video: ChatVideo, times: list[float], why: str = "") -> ToolResult:
        """JPEG frames shown at ``times`` seconds; times past the end are reported."""
        from vidsense.media.frames import extract_frames

        duration = video.video.duration
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
            + (f": the picture shows {item.text}" if item is not None else "")
            for a, item in zip(found, seen, strict=True)
        ]
        text = " ".join(notes) if not lines else "\n".join(lines + notes)
        frames = [
            {"time": a.time, **({"shows": item.text} if item is not None else {})}
            for a, item in zip(found, seen, strict=True)
        ]
        cited = [i.citation() for i in dict.fromkeys(i for i in seen if i is not None)]
        return ToolResult(text, found, {"frames": frames}, cited)

    def _seen_at(self, video: ChatVideo, times: list[float]) -> list[Item | None]:
        """What the picture shows at each time (the shot's keyframe labels), when known."""
        if not times:
            return []
        shown = self.writing.evidence(video.video.id).of_type("visual")
        return [next((i for i in reversed(shown) if i.start <= t <= i.end), None) for t in times]

    def frames_every(self, video: ChatVideo, every: float) -> ToolResult:
        if every <= 0:
            raise InvalidArgument("the interval between frames must be above 0 seconds")
        duration = video.video.duration
        count = int(duration // every) + 1
        times = [round(i * every, 3) for i in range(min(count, MAX_FRAMES))]
        result = self.frames(video, [t for t in times if t <= duration])
        if count > MAX_FRAMES:
            result.text += f"\nEvery {every:g} s is {count} frames; I sent the first {MAX_FRAMES}."
        return result

    def chapter_frames(self, video: ChatVideo) -> ToolResult:
        chapters = self.writing.summarize(video.video.id, "chapter")["chapters"]
        times = [float(c["start_sec"]) for c in chapters]
        result = self.frames(video, times)
        for artifact, chapter in zip(result.artifacts, chapters, strict=False):
            result.text = result.text.replace(
                f"Frame at {stamp(artifact.time or 0.0)}",
                f"Chapter {chapter['chapter_number'] + 1} ({chapter['chapter_title']}) starts at "
                f"{stamp(artifact.time or 0.0)}",
                1,
            )
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
        for n, h in enumerate(items, 1):
            artifact = self.clip(video, float(h["start_sec"]), float(h["end_sec"]))
            artifacts.append(artifact)
            lines.append(
                f"{n}. {stamp(h['start_sec'])}-{stamp(h['end_sec'])} {h['highlight']}: "
                f"{h['highlight_summary']}"
            )
        if len(items) < count:
            lines.append(f"The video holds {len(items)} distinct highlights, not {count}.")
        data = {"highlights": items}
        return ToolResult("\n".join(lines), artifacts, data, found.get("citations", []))

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
        lines = [f"Shot {n}: {stamp(s.start)}-{stamp(s.end)}" for n, s in enumerate(segments, 1)]
        data = {"shots": [{"start": round(s.start, 3), "end": round(s.end, 3)} for s in segments]}
        return ToolResult("\n".join(lines) or "No shots were found.", data=data)

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

    def registry(self) -> dict[str, Callable[..., ToolResult]]:
        """Every tool by name (the planner's steps name them)."""
        return {
            "frames": self.frames,
            "frames_every": self.frames_every,
            "chapter_frames": self.chapter_frames,
            "trim": self.trim,
            "highlights": self.highlights,
            "metadata": self.metadata,
            "chapters": self.chapters,
            "transcript": self.transcript,
            "shots": self.shots,
            "search": self.search,
            "summary": self.summary,
            "answer": self.answer,
        }
