"""Grounded writing over a library: gist, summaries, chapters, highlights, open questions and
JSON that follows a schema, in Twelve Labs' shapes.

Every time in an answer comes from evidence: chapters and highlights are computed segments
(:mod:`vidsense.language.segments`), a schema's time fields are filled from segments or from
the evidence most relevant to them (:mod:`vidsense.language.schema`), and the writer only
writes words. Long videos are written map-reduce: each chapter is summarised from its own
bounded pack, then the chapter summaries are summarised, so prompt size and memory stay
bounded and a video's second half is read as closely as its first.

Answers are cached per (video, request, writer) in the store and dropped when the video is
re-indexed.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from vidsense.errors import InvalidArgument
from vidsense.language.base import NOT_IN_VIDEO, Writer
from vidsense.language.evidence import EvidencePack, Item, ItemType, VideoEvidence
from vidsense.language.schema import (
    SegmentList,
    TimeField,
    edge_of,
    parse_json,
    plan,
    validate,
    write_time,
)
from vidsense.language.schema import response_format as parse_response_format
from vidsense.language.segments import Span, chapters, highlights
from vidsense.language.text import content_terms
from vidsense.library import Library
from vidsense.models.text_embedding import TextEmbeddingEntry
from vidsense.store import VideoRecord, new_id
from vidsense.times import times_in

GIST_TYPES = ("title", "topic", "hashtag")
SUMMARY_TYPES = ("summary", "chapter", "highlight")

_ITEM_TYPE: dict[str, ItemType] = {
    "shots": "shot",
    "speech": "speech",
    "text": "text",
    "audio": "audio",
}
"""The evidence items a segment source lists."""
RELEVANT = 0.84
"""Query-passage cosine (multilingual-e5-small) at which an item answers a question alone."""
RELEVANT_WITH_WORDS = 0.80
"""The cosine that is enough when the item also shares a content word with the question."""
MAP_REDUCE_CHAPTERS = 30
"""Chapters summarised together in one reduce step (more are reduced in groups first)."""


def _key(kind: str, writer: str, body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, default=str)
    return f"{kind}:{writer}:{hashlib.sha256(text.encode()).hexdigest()[:24]}"


def _usage(*texts: str) -> dict[str, int]:
    return {"output_tokens": sum(len(t.split()) for t in texts)}


class WritingService:
    """Writing over one library with one writer (thread-safe)."""

    def __init__(self, library: Library, writer: Writer | None = None) -> None:
        from vidsense.language import make_writer

        self.library = library
        self.settings = library.settings
        self.writer = writer or make_writer(self.settings)
        self._evidence: OrderedDict[tuple[str, str], VideoEvidence] = OrderedDict()
        self._lock = threading.Lock()

    # -- evidence --------------------------------------------------------------------------

    def video(self, video_id: str) -> VideoRecord:
        """The video, which must be indexed (``ready``)."""
        if not isinstance(video_id, str) or not video_id:
            raise InvalidArgument("video_id is required", param="video_id")
        video = self.library.video_by_id(video_id)
        if video.status != "ready":
            raise InvalidArgument(
                f"video {video_id} is {video.status}; wait until it is ready",
                code="video_not_ready",
                param="video_id",
            )
        return video

    def evidence(self, video_id: str) -> VideoEvidence:
        """The video's evidence (kept for the 32 most recently used videos)."""
        video = self.video(video_id)
        key = (video.id, video.updated_at)
        with self._lock:
            found = self._evidence.get(key)
            if found is not None:
                self._evidence.move_to_end(key)
                return found
        ev = VideoEvidence.load(self.library, video)
        with self._lock:
            self._evidence[key] = ev
            while len(self._evidence) > 32:
                self._evidence.popitem(last=False)
        return ev

    def _cached(self, video_id: str, kind: str, body: dict[str, Any], make: Any) -> dict[str, Any]:
        key = _key(kind, self.writer.identity, body)
        found = self.library.cached_writing(video_id, key)
        if found is not None:
            return found
        result: dict[str, Any] = make()
        self.library.keep_writing(video_id, key, result)
        return result

    def _finish(
        self, result: dict[str, Any], pack_cites: list[dict[str, Any]], citations: bool
    ) -> dict[str, Any]:
        out = {"id": new_id(), **result}
        if citations:
            out["citations"] = pack_cites
        return out

    def _window(
        self, ev: VideoEvidence, start: float | None, end: float | None
    ) -> tuple[float, float]:
        lo = 0.0 if start is None else float(start)
        hi = ev.duration if end is None else float(end)
        if lo < 0 or hi <= lo:
            raise InvalidArgument("start_time must be >= 0 and below end_time", param="start_time")
        return lo, min(hi, ev.duration + 1e-6)

    def chapter_spans(
        self, ev: VideoEvidence, start: float = 0.0, end: float | None = None
    ) -> list[Span]:
        w = self.settings.writer
        lengths = (w.chapter_min_seconds, w.chapter_max_seconds)
        spans = ev.derived(("chapters", lengths), lambda: chapters(ev, *lengths))
        stop = ev.duration if end is None else end
        return [
            Span(max(s.start, start), min(s.end, stop), s.items)
            for s in spans
            if s.end > start and s.start < stop
        ]

    # -- gist ------------------------------------------------------------------------------

    def gist(
        self, video_id: str, types: Sequence[str] = GIST_TYPES, citations: bool = False
    ) -> dict[str, Any]:
        """``{id, title?, topics?, hashtags?, usage}`` (Twelve Labs ``/gist``)."""
        wanted = _choices(types, GIST_TYPES, "types")

        def make() -> dict[str, Any]:
            ev = self.evidence(video_id)
            pack = ev.pack().limited(self.settings.writer.max_prompt_chars * 4)
            gist = self.writer.gist(pack)
            out: dict[str, Any] = {}
            if "title" in wanted:
                out["title"] = gist.title
            if "topic" in wanted:
                out["topics"] = gist.topics
            if "hashtag" in wanted:
                out["hashtags"] = gist.hashtags
            out["usage"] = _usage(gist.title, *gist.topics, *gist.hashtags)
            out["citations"] = pack.citations()
            return out

        result = self._cached(video_id, "gist", {"types": sorted(wanted)}, make)
        return self._finish(_without(result, "citations"), result.get("citations", []), citations)

    # -- summaries, chapters, highlights ---------------------------------------------------

    def summarize(
        self,
        video_id: str,
        type: str = "summary",
        prompt: str | None = None,
        *,
        citations: bool = False,
        count: int | None = None,
    ) -> dict[str, Any]:
        """Twelve Labs ``/summarize``: ``summary``, ``chapters`` or ``highlights``."""
        kind = _choices([type], SUMMARY_TYPES, "type")[0]
        body = {"type": kind, "prompt": prompt or "", "count": count}

        def make() -> dict[str, Any]:
            ev = self.evidence(video_id)
            if kind == "summary":
                text, cites = self._summary(ev, prompt)
                return {
                    "summarize_type": "summary",
                    "summary": text,
                    "usage": _usage(text),
                    "citations": cites,
                }
            if kind == "chapter":
                items, cites = self._chapters(ev)
                return {
                    "summarize_type": "chapter",
                    "chapters": items,
                    "usage": _usage(json.dumps(items)),
                    "citations": cites,
                }
            items, cites = self._highlights(ev, count)
            return {
                "summarize_type": "highlight",
                "highlights": items,
                "usage": _usage(json.dumps(items)),
                "citations": cites,
            }

        result = self._cached(video_id, "summarize", body, make)
        return self._finish(_without(result, "citations"), result.get("citations", []), citations)

    def _summary(
        self, ev: VideoEvidence, prompt: str | None, start: float = 0.0, end: float | None = None
    ) -> tuple[str, list[dict[str, Any]]]:
        limit = self.settings.writer.max_prompt_chars
        whole = ev.pack(start, end)
        if prompt:
            whole.focus = self.relevant(ev, prompt, whole.items, limit=8)
        if sum(len(i.text) + 16 for i in whole.items) <= limit:
            text = self.writer.summarize(whole, prompt)
            return text, whole.citations()
        # Map: a short description of each chapter, each from its own bounded pack.
        notes: list[str] = []
        cites: dict[str, dict[str, Any]] = {}
        spans = self.chapter_spans(ev, start, end)
        for span in spans:
            pack = ev.pack(span.start, span.end).limited(limit)
            pack.focus = [i for i in whole.focus if span.start <= i.start < span.end]
            notes.append(self.writer.describe(pack, "chapter")[1])
            for c in pack.citations():
                cites.setdefault(f"{c['type']}{c['start']}{c['text']}", c)
        # Reduce, in groups (a few chapters' notes at a time) while the notes are too long
        # for one request.
        windows = [(s.start, s.end) for s in spans]
        budget = limit - limit // 4
        while not self.writer.READS_ALL_NOTES and (
            len(notes) > MAP_REDUCE_CHAPTERS or sum(map(len, notes)) > budget
        ):
            groups = _groups(notes, budget, MAP_REDUCE_CHAPTERS)
            grouped, grouped_windows = [], []
            for lo_i, hi_i in groups:
                lo, hi = windows[lo_i][0], windows[hi_i - 1][1]
                pack = ev.pack(lo, hi).limited(limit // 4)
                pack.notes = notes[lo_i:hi_i]
                grouped.append(self.writer.summarize(pack, prompt))
                grouped_windows.append((lo, hi))
            if len(grouped) == len(notes):
                notes = [n[: budget // len(notes)] for n in grouped]
                break
            notes, windows = grouped, grouped_windows
        pack = ev.pack(start, end).limited(limit // 4)
        pack.notes = notes
        text = self.writer.summarize(pack, prompt)
        ordered = sorted(cites.values(), key=lambda c: (c["start"], c["end"]))
        return text, ordered

    def _chapters(self, ev: VideoEvidence) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        out = []
        cites: list[dict[str, Any]] = []
        limit = self.settings.writer.max_prompt_chars
        for n, span in enumerate(self.chapter_spans(ev)):
            pack = ev.pack(span.start, span.end).limited(limit)
            title, summary = self.writer.describe(pack, "chapter")
            out.append(
                _span_body(span, chapter_number=n, chapter_title=title, chapter_summary=summary)
            )
            cites += pack.citations()
        return out, cites

    def _highlights(
        self, ev: VideoEvidence, count: int | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        w = self.settings.writer
        out = []
        cites: list[dict[str, Any]] = []
        for span in highlights(ev, count, w.highlight_min_seconds, w.highlight_max_seconds):
            pack = ev.pack(span.start, span.end).limited(w.max_prompt_chars)
            title, summary = self.writer.describe(pack, "highlight")
            out.append(_span_body(span, highlight=title, highlight_summary=summary))
            cites += pack.citations()
        return out, cites

    # -- questions -------------------------------------------------------------------------

    def relevant(
        self, ev: VideoEvidence, question: str, items: Sequence[Item] | None = None, limit: int = 6
    ) -> list[Item]:
        """The items that answer ``question``, best first (empty when none does): lines said
        or shown whose meaning is close, sounds and pictures named by its words, and what is
        seen or written at a time it names."""
        pool = list(ev.items if items is None else items)
        terms = content_terms(question)
        texts, matrix = ev.matrix([i for i in pool if i.type in ("speech", "text")])
        scored: list[tuple[float, Item]] = []
        if texts:
            q = TextEmbeddingEntry(self.settings).load().embed([question], kind="query")[0]
            sims = matrix @ q.astype(np.float32)
            for item, sim in zip(texts, sims, strict=True):
                shared = len(terms & content_terms(item.text))
                s = float(sim)
                if s >= RELEVANT or (shared and s >= RELEVANT_WITH_WORDS):
                    scored.append((s + 0.01 * shared, item))
        asked = times_in(question)  # "what is shown at 0:12?": what is seen and read then
        for item in pool:
            named = item.type in ("audio", "visual") and bool(terms & content_terms(item.text))
            then = item.type in ("visual", "text") and any(
                item.start <= t <= item.end for t in asked
            )
            if named or then:
                scored.append((RELEVANT, item))
        scored.sort(key=lambda p: (-p[0], p[1].start))
        if not scored:
            return []
        best = scored[0][0]
        return [item for s, item in scored if s >= best - 0.05][:limit]

    def _question_pack(
        self, ev: VideoEvidence, question: str, start: float = 0.0, end: float | None = None
    ) -> EvidencePack:
        pack = ev.pack(start, end)
        pack.focus = self.relevant(ev, question, pack.items)
        return pack.limited(self.settings.writer.max_prompt_chars)

    def generate(self, video_id: str, prompt: str, *, citations: bool = False) -> dict[str, Any]:
        """Twelve Labs ``/generate``: ``{id, data, usage}`` answering an open prompt."""
        question = _prompt(prompt)

        def make() -> dict[str, Any]:
            ev = self.evidence(video_id)
            pack = self._question_pack(ev, question)
            text = self.writer.answer(pack, question)
            return {"data": text, "usage": _usage(text), "citations": pack.citations()}

        result = self._cached(video_id, "generate", {"prompt": question}, make)
        return self._finish(_without(result, "citations"), result.get("citations", []), citations)

    def stream(
        self, video_id: str, prompt: str, *, citations: bool = False
    ) -> Iterator[dict[str, Any]]:
        """``/generate`` with ``stream``: Twelve Labs' events ``stream_start``, then
        ``text_generation`` pieces, then ``stream_end`` (with citations when asked)."""
        question = _prompt(prompt)
        ev = self.evidence(video_id)
        generation_id = new_id()
        yield {"event_type": "stream_start", "metadata": {"generation_id": generation_id}}
        pack = self._question_pack(ev, question)
        pieces = []
        for piece in self.writer.stream_answer(pack, question):
            pieces.append(piece)
            yield {"event_type": "text_generation", "text": piece}
        end: dict[str, Any] = {
            "event_type": "stream_end",
            "metadata": {"generation_id": generation_id, "usage": _usage("".join(pieces))},
        }
        if citations:
            end["citations"] = pack.citations()
        yield end

    def answer(self, video_id: str, question: str) -> tuple[str, list[dict[str, Any]]]:
        """A plain answer and its citations (for chat)."""
        result = self.generate(video_id, question, citations=True)
        return str(result["data"]), list(result.get("citations", []))

    # -- analyze with a schema ---------------------------------------------------------------

    def analyze(
        self,
        video_id: str,
        prompt: str,
        response_format: dict[str, Any] | None = None,
        *,
        start_time: float | None = None,
        end_time: float | None = None,
        citations: bool = False,
    ) -> dict[str, Any]:
        """Twelve Labs ``/analyze``: ``{id, data, finish_reason, usage}``; with a JSON schema
        ``data`` is the JSON text of an object that follows it, times filled from evidence; with
        ``json_object`` it is ``{"answer": TEXT}`` (see :class:`~vidsense.language.schema.
        ResponseFormat`)."""
        question = _prompt(prompt)
        answer_format = parse_response_format(response_format)
        schema = answer_format.schema
        body = {"prompt": question, "schema": schema, "start": start_time, "end": end_time}
        if answer_format.kind == "json_object":
            body["format"] = "json_object"

        def make() -> dict[str, Any]:
            ev = self.evidence(video_id)
            lo, hi = self._window(ev, start_time, end_time)
            if schema is None:
                pack = self._question_pack(ev, question, lo, hi)
                text = self.writer.answer(pack, question)
                if answer_format.kind == "json_object":
                    text = json.dumps({"answer": text}, ensure_ascii=False)
                return {
                    "data": text,
                    "finish_reason": "stop",
                    "usage": _usage(text),
                    "citations": pack.citations(),
                }
            value, cites = self._structured(ev, question, schema, lo, hi)
            text = json.dumps(value, ensure_ascii=False)
            return {
                "data": text,
                "finish_reason": "stop",
                "usage": _usage(text),
                "citations": cites,
            }

        result = self._cached(video_id, "analyze", body, make)
        return self._finish(_without(result, "citations"), result.get("citations", []), citations)

    def structured(
        self, video_id: str, prompt: str, schema: dict[str, Any]
    ) -> tuple[Any, list[dict[str, Any]]]:
        """A value following ``schema`` for the whole video, and its citations (for chat)."""
        result = self.analyze(
            video_id, prompt, {"type": "json_schema", "json_schema": schema}, citations=True
        )
        return json.loads(result["data"]), list(result.get("citations", []))

    def _structured(
        self, ev: VideoEvidence, prompt: str, schema: dict[str, Any], lo: float, hi: float
    ) -> tuple[Any, list[dict[str, Any]]]:
        p = plan(schema, prompt)
        pack = self._question_pack(ev, prompt, lo, hi)
        value = self._fill(pack, prompt, p.writer_schema)
        if not isinstance(value, dict):
            value = {}
        for seglist in p.lists:
            value[seglist.name] = self._segment_items(ev, seglist, prompt, lo, hi, pack)
        for point in p.points:
            described = p.descriptions.get(point.name, "")
            edge = edge_of(point, described)
            if edge is not None:  # where a kind of evidence starts (or ends)
                source, first = edge
                seen = [i for i in ev.items if i.type == _ITEM_TYPE[source] and lo <= i.start < hi]
                if first:
                    found = [min(seen, key=lambda i: (i.start, i.end))] if seen else []
                else:
                    found = [max(seen, key=lambda i: (i.end, i.start))] if seen else []
            else:
                about = described or point.name.replace("_", " ")
                found = self.relevant(ev, f"{prompt} {about}", [i for i in pack.items], limit=1)
            pack.cite(found)
            if not found and point.nullable:
                value[point.name] = None
                continue
            at = (found[0].start if edge is None or edge[1] else found[0].end) if found else lo
            value[point.name] = write_time(at, point)
        problem = validate(value, p.schema)
        if problem is not None:
            raise InvalidArgument(
                f"the answer does not follow the schema ({problem})", code="schema_not_followed"
            )
        return value, pack.citations()

    def _fill(self, pack: EvidencePack, prompt: str, schema: dict[str, Any]) -> Any:
        """The writer's value for ``schema``; asked twice before failing."""
        if not schema.get("properties") and schema.get("type", "object") == "object":
            return {}
        problem = None
        for _ in range(2):
            value = self.writer.fill(pack, prompt, schema)
            if isinstance(value, str):
                try:
                    value = parse_json(value)
                except ValueError:
                    problem = "the reply was not JSON"
                    continue
            problem = validate(value, schema)
            if problem is None:
                return value
        raise InvalidArgument(
            f"the writer's answer did not follow the schema twice ({problem})",
            code="schema_not_followed",
        )

    def _segment_items(
        self,
        ev: VideoEvidence,
        seglist: SegmentList,
        prompt: str,
        lo: float,
        hi: float,
        parent: EvidencePack,
    ) -> list[dict[str, Any]]:
        spans = self._spans(ev, seglist, lo, hi)
        if seglist.max_items:
            spans = spans[: int(seglist.max_items)]
        w = self.settings.writer
        out = []
        for span in spans:
            pack = ev.pack(span.start, span.end).limited(w.max_prompt_chars)
            item = (
                self._fill(pack, prompt, seglist.item_schema)
                if seglist.item_schema.get("properties")
                else {}
            )
            if not isinstance(item, dict):
                item = {}
            for t in seglist.times:
                item[t.name] = _time_value(span, t)
            out.append(item)
            parent.cite(pack.cited.values())
        return out

    def _spans(self, ev: VideoEvidence, seglist: SegmentList, lo: float, hi: float) -> list[Span]:
        w = self.settings.writer
        source = seglist.source
        if source == "chapters":
            return self.chapter_spans(ev, lo, hi)
        if source == "highlights":
            found = highlights(
                ev, seglist.max_items, w.highlight_min_seconds, w.highlight_max_seconds
            )
            return [s for s in found if lo <= s.start < hi]
        kind = _ITEM_TYPE[source]
        return [
            Span(i.start, i.end, (i,)) for i in ev.items if i.type == kind and lo <= i.start < hi
        ]


def _groups(notes: list[str], budget: int, most: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` ranges of consecutive notes, each at most ``most`` notes and ``budget``
    characters (a longer note is a group of its own)."""
    groups: list[tuple[int, int]] = []
    lo, size = 0, 0
    for i, note in enumerate(notes):
        if i > lo and (i - lo >= most or size + len(note) > budget):
            groups.append((lo, i))
            lo, size = i, 0
        size += len(note)
    groups.append((lo, len(notes)))
    return groups


def _time_value(span: Span, t: TimeField) -> float | str:
    at = span.start if t.role in ("start", "point") else span.end
    return write_time(at, t)


def _span_body(span: Span, **fields: Any) -> dict[str, Any]:
    first = {k: v for k, v in fields.items() if k == "chapter_number"}
    rest = {k: v for k, v in fields.items() if k != "chapter_number"}
    return {
        **first,
        "start": round(span.start),
        "end": round(span.end),
        "start_sec": round(span.start, 3),
        "end_sec": round(span.end, 3),
        **rest,
    }


def _without(result: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != key}


def _choices(given: Sequence[str], allowed: Sequence[str], name: str) -> list[str]:
    if isinstance(given, str) or not isinstance(given, Sequence) or not given:
        raise InvalidArgument(
            f"{name} must be a non-empty list of {', '.join(allowed)}", param=name
        )
    bad = [g for g in given if g not in allowed]
    if bad:
        raise InvalidArgument(
            f"{name}: {', '.join(map(str, bad))} not known; choose from {', '.join(allowed)}",
            param=name,
        )
    return list(dict.fromkeys(given))


def _prompt(prompt: Any) -> str:
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidArgument("prompt must be a non-empty string", param="prompt")
    if len(prompt) > 20000:
        raise InvalidArgument("prompt is longer than 20000 characters", param="prompt")
    return prompt.strip()


__all__ = ["GIST_TYPES", "NOT_IN_VIDEO", "SUMMARY_TYPES", "WritingService"]
