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
import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from vidsense.errors import InvalidArgument
from vidsense.language.answering import (
    RELEVANT,
    Question,
    a_person,
    about_speech,
    about_the_moment,
    about_the_video,
    asks_speaker,
    english,
    field_question,
    in_units,
    kinds_of,
    names_person,
    spoken_of,
    tokens,
)
from vidsense.language.base import NOT_IN_VIDEO, Writer
from vidsense.language.evidence import (
    EvidencePack,
    Item,
    ItemType,
    VideoEvidence,
    shown_together,
)
from vidsense.language.phrases import subject_words
from vidsense.language.requests import cannot, question_parts, read_request
from vidsense.language.schema import (
    SegmentList,
    TimeField,
    edge_of,
    free_fields,
    parse_json,
    plan,
    validate,
    write_time,
)
from vidsense.language.schema import response_format as parse_response_format
from vidsense.language.segments import Span, chapters, highlights
from vidsense.language.text import noise
from vidsense.library import Library
from vidsense.models.base import TextEmbedder
from vidsense.models.lexicon import word_lists
from vidsense.models.text_embedding import TextEmbeddingEntry
from vidsense.search import relevance
from vidsense.search.base import translations
from vidsense.store import VideoRecord, new_id
from vidsense.times import END_WORDS, ends_asked, times_in
from vidsense.words import legible, lemma

GIST_TYPES = ("title", "topic", "hashtag")
SUMMARY_TYPES = ("summary", "chapter", "highlight")

_ITEM_TYPE: dict[str, ItemType] = {
    "shots": "shot",
    "speech": "speech",
    "text": "text",
    "audio": "audio",
}
"""The evidence items a segment source lists."""
SHOWN_WITH = 0.5
"""Share of the gap to the best-fitting text shown at the same time that a line on screen is
credited with (the slide's title says what its lines are about)."""
TITLE_OVER_LINES = 0.05
"""Taken from the fit of a title shown with other lines (as an answer, it names the subject;
its lines say the facts)."""
MISSING = 0.1
"""Taken from every line's fit, times the share of the nouns in the question that the video
never says or shows (a question about a cactus in a video about houseplants)."""
NAMED_SOURCE = 0.03
"""Added to the fit of lines of the kind the question names ("written on the screen")."""
CLOSE = 0.04
"""Items whose fit is within this of the best are returned with it."""
END_SECONDS = 10.0
"""The longest opening (or closing) a question asks about without a time ("what happens at the
start?"): its first (last) shot, cut to this many seconds."""
_SEEN = re.compile(r"\b(?:show|shown|see|seen|visible)\b")
"""A question about what is shown rather than what is said."""
AT_SLACK = 1.0
"""Seconds around a time a question names ("what happens at 0:20?") within which a line said
or shown counts as being there."""
FOCUS_CLOSE = 0.08
"""Lines whose closeness to an instruction's focus ("only about the dogs") is within this of
the closest are what the answer quotes. Chosen on the quality corpus's development split."""
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
        ev = VideoEvidence.load(self.library, video, self._passages)
        with self._lock:
            self._evidence[key] = ev
            while len(self._evidence) > 32:
                self._evidence.popitem(last=False)
        return ev

    def _passages(self, texts: list[str]) -> np.ndarray:
        return TextEmbeddingEntry(self.settings).load().embed(texts, kind="passage")

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
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0 or hi <= lo:
            raise InvalidArgument("start_time must be >= 0 and below end_time", param="start_time")
        if lo >= ev.duration:
            raise InvalidArgument(
                f"start_time {lo:g} s is past the end of the video ({ev.duration:.3f} s)",
                param="start_time",
            )
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
            pack.chapters = [(s.start, s.end) for s in self.chapter_spans(ev)]
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
        spans = self.chapter_spans(ev, start, end)
        whole.chapters = [(s.start, s.end) for s in spans]
        if prompt:
            request = read_request(prompt)
            refused = cannot(request)
            if refused is not None:
                return refused, []
            whole.focus = self._focus(ev, prompt, whole.items, limit=8)
        if self.writer.READS_ALL_NOTES or sum(len(i.text) + 16 for i in whole.items) <= limit:
            text = self.writer.summarize(whole, prompt)
            return text, whole.citations()
        # Map: a short description of each chapter, each from its own bounded pack.
        notes: list[str] = []
        cites: dict[str, dict[str, Any]] = {}
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
        pack.chapters = whole.chapters
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
        """The items that answer ``question``, best first (empty when none does).

        Lines said or shown are ranked by :class:`~vidsense.language.answering.Question`'s
        fit (the embedder's query/passage cosine, the question's words and the kind of answer
        it asks for; a line on screen shares the fit of the title it is shown under). The
        video is taken not to hold the answer when the best fit is under
        :data:`~vidsense.language.answering.RELEVANT`, when nothing holds the kind of answer
        asked for, when (question and video in one language) none of the question's subject
        words, or not the noun the answer must be an instance of, is ever said or shown, or
        when the question asks what is said in a video where nothing is. Sounds and pictures
        whose label the question names count too, and so does what is seen or written at a
        time it names ("what is shown at 0:12?").
        """
        found, bar = self.ranked(ev, question, items)
        if not found or found[0][0] < bar:
            return []
        best = found[0][0]
        return [item for s, item in found if s >= best - CLOSE][:limit]

    def ranked(
        self,
        ev: VideoEvidence,
        question: str,
        items: Sequence[Item] | None = None,
        *,
        strict: bool = True,
    ) -> tuple[list[tuple[float, Item]], float]:
        """Candidate answers to ``question`` with their fit, best first, and the fit the best
        must reach to answer it (:meth:`relevant`); no candidates when the question cannot be
        answered from this video at all. Not ``strict``: every line, however it fits (what a
        focus like "only about the reading" is closest to)."""
        pool = list(ev.items if items is None else items)
        q = Question.read(question)
        cross = not english(question) or (ev.language or "en") != "en"
        bar = RELEVANT
        asked = times_in(question)  # "what is shown at 0:12?": what is seen and read then
        ends = self._at_ends(ev, question, pool)  # "what happens at the start?"
        if not q.words - END_WORDS:  # it names nothing but an end or a time: what is there
            there = [i for i in pool if i.id in ends]
            at = [] if there else asked
            if not there and not at and q.kind == "moment":
                # "when does the narrator start speaking?": the first line said (or shown)
                there = [
                    i
                    for i in pool
                    if i.type in ("speech", "text") and not (i.type == "text" and noise(i.text))
                ]
            if at:  # "what happens at 0:20?": said or shown then
                there = [
                    i
                    for i in pool
                    if i.type in ("speech", "visual", "text")
                    and not (i.type == "text" and noise(i.text))  # a time code says nothing
                    and any(i.start - AT_SLACK <= t <= i.end + AT_SLACK for t in at)
                ]
            if there:
                first = "visual" if _SEEN.search(question.lower()) else "speech"
                # what is shown, or what is said; then the nearest the time asked (or earliest)
                there.sort(
                    key=lambda i: (
                        i.type != first,
                        min(abs(i.start - t) for t in at) if at else i.start,
                    )
                )
                return [(1.0, i) for i in there], bar
        # A sound or a picture's label names a kind of thing ("dog"), never a name or a person.
        labels = q.kind not in ("name", "person")
        heard = [
            (bar, i)
            for i in pool
            if (
                labels
                and i.type in ("audio", "visual")
                and q.words & {lemma(w) for w in tokens(i.text)}
            )
            or (i.type in ("visual", "text") and any(i.start <= t <= i.end for t in asked))
            or i.id in ends
        ]
        # On-screen text that spells no word (menus read off footage at an angle) answers
        # nothing asked in English of an English video.
        lines = [
            i
            for i in pool
            if i.type in ("speech", "text")
            and not noise(i.text)
            and (cross or i.type == "speech" or legible(i.text))
        ]
        texts, matrix = ev.matrix(lines)
        vocabulary = self._vocabulary(ev)
        # Within one language, a question none of whose subject words is ever said or shown
        # (nor the noun its answer must be an instance of) is about something else.
        grounded = cross or (
            q.grounded(vocabulary)
            and (q.covered(vocabulary) > 0 or q.head is not None)
            and self._told_of(ev, q)
        )
        translated = self._translated(q, ev.language) if cross else {}
        if cross and q.head in translated:
            # Across languages, the noun the answer must be an instance of ("which *train*
            # goes to the village?") is looked for in its translations ("tren").
            said = self._words(ev)
            grounded = any(relevance.same_word(f, w) for f in translated[q.head] for w in said)
        if not texts or (strict and not grounded) or (about_speech(question) and not ev.speech):
            return heard, bar
        query = self._query(question)
        # Spoken lines near every question (hubs) lose that head start, as in search.
        hubs = relevance.hub_penalties(self._embedder(), matrix, ev.language)
        sims = [
            float(s) - (float(h) if item.type == "speech" else 0.0)
            for s, h, item in zip(matrix @ query, hubs, texts, strict=True)
        ]
        titled = self._titled(ev)
        for n, item in enumerate(texts):  # a line on a slide, read under its title
            if item.id in titled:
                sims[n] = max(sims[n], float(titled[item.id][1] @ query))
        # Named things the video never mentions make any line a poorer answer.
        unnamed = 0.0 if cross else MISSING * q.missing(vocabulary)
        found: list[tuple[float, Item]] = []
        for n, item in enumerate(texts):
            if strict and not self._holds(q, item, cross, self._with_next(ev, item)):
                continue
            if q.source is not None and item.type != q.source:
                continue
            read = titled[item.id][0] if item.id in titled else item.text
            fit = q.score(read, sims[n], translated) - unnamed
            if q.source is not None:
                fit += NAMED_SOURCE  # the question says where to look, and it is looked at
            if item.type == "text":  # a line on a slide is read under its title
                shown = [
                    sims[k]
                    for k, other in enumerate(texts)
                    if other.type == "text" and k != n and shown_together(item, other)
                ]
                if shown and max(shown) > sims[n]:
                    fit += SHOWN_WITH * (max(shown) - sims[n])
                if shown and ev.is_heading(item):
                    # A slide's title says what its lines are about; they hold the facts.
                    fit -= TITLE_OVER_LINES
            found.append((fit, item))
        return sorted(found + heard, key=lambda p: (-p[0], p[1].start)), bar

    def _translated(self, q: Question, language: str | None) -> dict[str, frozenset[str]]:
        """The question's words in the video's ``language`` (or, in a video in English, the
        English of a question's words in another language), from the bilingual word lists
        (:func:`~vidsense.search.base.translations`); none when they are not installed."""
        lexicon = word_lists(self.settings)
        if lexicon is None:
            return {}
        return translations(lexicon, {t: {t} for t in q.words}, language or "en")

    @staticmethod
    def _at_ends(ev: VideoEvidence, question: str, pool: Sequence[Item]) -> set[str]:
        """Ids of what is seen, read and said in the opening or closing the question asks
        about without a time (:func:`~vidsense.times.ends_asked`): the first or last shot, or
        the one at half time for "the middle", at most :data:`END_SECONDS` and a third of the
        video long; what begins there, or else what is still there (a caption shown from the
        first second to the last)."""
        ends = ends_asked(question)
        if not ends:
            return set()
        shots = ev.shots
        longest = min(END_SECONDS, ev.duration / 3)  # the opening is not the whole video
        seen = [i for i in pool if i.type in ("visual", "text", "speech")]
        found: set[str] = set()
        for end in ends:
            if end == "start":
                a, b = 0.0, min(shots[0].end if shots else ev.duration, longest)
            elif end == "middle":
                half = ev.duration / 2
                shot = next((s for s in shots if s.start <= half < s.end), None)
                a = max(shot.start if shot else 0.0, half - longest / 2)
                b = min(shot.end if shot else ev.duration, half + longest / 2)
            else:
                a, b = max(shots[-1].start if shots else 0.0, ev.duration - longest), ev.duration
            begun = [i for i in seen if a <= i.start < b]
            found.update(i.id for i in begun or [i for i in seen if i.start < b and i.end > a])
        return found

    def _told_of(self, ev: VideoEvidence, q: Question) -> bool:
        """Whether the thing an English question is about (its grammatical subject: "how much
        water does *a cactus* need?") is said or shown, itself, a synonym or a kind of it, or
        written in two words ("passphrase": "pass phrase"); true when its subject is no noun,
        names the video itself ("the caption", "the narrator") or a person ("the man"); a
        measure asked for is told of by its units ("5500 kelvin" tells of a temperature)."""
        subject = [
            w
            for w in subject_words(q.text)
            if not about_the_video(w) and not (q.kind == "moment" and about_the_moment(w))
        ]
        if all(a_person(w) for w in subject):  # people are often only "he" or "she" in speech
            return True
        vocabulary = self._vocabulary(ev)
        joined = ev.derived(
            "joined words",
            lambda: "".join(
                t for i in ev.items if i.type in ("speech", "text") for t in tokens(i.text)
            ),
        )
        return any(
            (kinds_of(w) | kinds_of(lemma(w))) & vocabulary
            or (len(w) >= 6 and w in joined)
            or q.measured(w, vocabulary)  # "5500 kelvin": a temperature
            for w in subject
        )

    @staticmethod
    def _titled(ev: VideoEvidence) -> dict[str, tuple[str, np.ndarray]]:
        """Each line on screen read under the slide title shown with it, and its vector
        ("ROOFTOP CAFE: Hot chocolate and cakes"): alone, "Hot chocolate and cakes" is far
        from "what does the cafe sell?"."""

        def make() -> dict[str, tuple[str, np.ndarray]]:
            if ev.embed is None:
                return {}
            shown = [i for i in ev.of_type("text") if not noise(i.text)]
            heads = [i for i in shown if ev.is_heading(i)]
            pairs = []
            for line in shown:
                over = [h for h in heads if h is not line and shown_together(line, h)]
                if over and not ev.is_heading(line):
                    pairs.append((line, over[0]))
            if not pairs:
                return {}
            read = [f"{head.text.strip()}: {line.text.strip()}" for line, head in pairs]
            rows = ev.embed(read)
            return {line.id: (read[n], rows[n]) for n, (line, _) in enumerate(pairs)}

        return ev.derived("titled lines", make)

    @staticmethod
    def _holds(q: Question, item: Item, cross: bool, text: str) -> bool:
        """Whether ``item`` (read as ``text``) holds the kind of answer ``q`` asks for, in
        the units it names (someone, for "who", when question and video share a language),
        and says something the question does not (the moment, for "when is X shown?")."""
        if not q.holds(text) or (q.kind != "moment" and not q.new_in(text)):
            return False
        if q.units and not in_units(text, q.units):
            return False
        return not (q.kind == "person" and not cross and not names_person(text))

    @staticmethod
    def _with_next(ev: VideoEvidence, item: Item) -> str:
        """A very short spoken line read with the sentence that follows it ("Debian." "The
        universal operating system."), as an answer quotes it."""
        if item.type != "speech" or len(item.text.split()) >= 4:
            return item.text
        after = [i for i in ev.speech if item.end <= i.start <= item.end + 2.0]
        return f"{item.text} {after[0].text}" if after else item.text

    def _embedder(self) -> TextEmbedder:
        return TextEmbeddingEntry(self.settings).load()

    def _query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self._embedder().embed([text], kind="query")[0]
        return vector.astype(np.float32)

    @staticmethod
    def _words(ev: VideoEvidence) -> frozenset[str]:
        """Every word said or shown in the video, lower case (:func:`tokens`)."""

        def make() -> frozenset[str]:
            texts = (i.text for i in ev.items if i.type in ("speech", "text"))
            return frozenset(w for text in texts for w in tokens(text))

        return ev.derived("words", make)

    @staticmethod
    def _vocabulary(ev: VideoEvidence) -> set[str]:
        """Lemmas of every word said or shown in the video (what the picture shows too)."""

        def make() -> set[str]:
            found: set[str] = set()
            for item in ev.items:
                if item.type in ("speech", "text", "visual"):
                    found |= {lemma(w) for w in tokens(item.text)}
            return found

        return ev.derived("vocabulary", make)

    def _focus(
        self, ev: VideoEvidence, prompt: str, items: Sequence[Item], limit: int = 6
    ) -> list[Item]:
        """The items a prompt is about: for an instruction ("only about the sauce", "steps
        for pitching the tent") the lines closest to what it names, however close, with those
        within :data:`FOCUS_CLOSE` of the closest; for a question, those that answer it
        (:meth:`relevant`)."""
        request = read_request(prompt)
        if request.instruction or request.needs_model:
            about = request.focus or request.topic
            if not about:
                return []
            found = self.ranked(ev, about, items, strict=False)[0]
            best = found[0][0] if found else 0.0
            return [item for fit, item in found if fit >= best - FOCUS_CLOSE][:limit]
        if asks_speaker(prompt):  # "who talks about sunscreen?": what is said about it
            about = spoken_of(prompt)
            return self.relevant(ev, about, items, limit) if about else []
        return self.relevant(ev, prompt, items, limit)

    @staticmethod
    def _colours(ev: VideoEvidence, start: float, end: float) -> list[tuple[str, float]]:
        """The colours of ``[start, end)``'s keyframes (those stored locally), each keyframe
        weighted by the seconds of its shot inside the window (shared among the shot's
        keyframes)."""
        from vidsense.perception.colours import video_colours

        def make() -> list[tuple[str, float]]:
            frames = [f for f in ev.frames if start <= f.time < end and f.path is not None]
            per_shot = Counter(f.shot for f in frames)
            shots = ev.shots
            weighted = []
            for f in frames:
                shot = shots[f.shot] if f.shot < len(shots) else None
                lo, hi = (shot.start, shot.end) if shot is not None else (f.time, f.time + 1.0)
                seconds = max(0.0, min(hi, end) - max(lo, start)) / per_shot[f.shot]
                if f.path is not None:
                    weighted.append((f.path, seconds))
            return video_colours(weighted)

        return ev.derived(("colours", start, end), make)

    def _question_pack(
        self, ev: VideoEvidence, question: str, start: float = 0.0, end: float | None = None
    ) -> EvidencePack:
        pack = ev.pack(start, end)
        pack.chapters = [(s.start, s.end) for s in self.chapter_spans(ev, start, end)]
        request = read_request(question)
        if request.wants == "highlights":  # "what are the key moments?"
            w = self.settings.writer
            found = highlights(ev, request.count, w.highlight_min_seconds, w.highlight_max_seconds)
            pack.highlights = [(s.start, s.end) for s in found if pack.start <= s.start < pack.end]
        if request.wants == "colours":  # "what colours dominate?": read from the keyframes
            pack.colours = self._colours(ev, pack.start, pack.end)
        pack.focus = self._focus(ev, question, pack.items)
        return pack.limited(self.settings.writer.max_prompt_chars)

    def _answered(
        self, ev: VideoEvidence, question: str, start: float = 0.0, end: float | None = None
    ) -> tuple[str, list[dict[str, Any]]]:
        """The answer to ``question`` over the window, with its citations: what no tool here
        does is said so; several questions in one prompt are answered in turn."""
        refused = cannot(read_request(question))
        if refused is not None:
            return refused, []
        texts: list[str] = []
        cited: list[dict[str, Any]] = []
        parts = question_parts(question)
        for part in parts:
            pack = self._question_pack(ev, part, start, end)
            texts.append(self.writer.answer(pack, part))
            cited += [c for c in pack.citations() if c not in cited]
        return _separator(parts).join(texts), cited

    def generate(self, video_id: str, prompt: str, *, citations: bool = False) -> dict[str, Any]:
        """Twelve Labs ``/generate``: ``{id, data, usage}`` answering an open prompt."""
        question = _prompt(prompt)

        def make() -> dict[str, Any]:
            refused = cannot(read_request(question))
            if refused is not None:
                return {"data": refused, "usage": _usage(refused), "citations": []}
            text, cited = self._answered(self.evidence(video_id), question)
            return {"data": text, "usage": _usage(text), "citations": cited}

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
        pieces: list[str] = []
        cited: list[dict[str, Any]] = []
        for piece in self._answer_pieces(ev, question, cited):
            pieces.append(piece)
            yield {"event_type": "text_generation", "text": piece}
        end: dict[str, Any] = {
            "event_type": "stream_end",
            "metadata": {"generation_id": generation_id, "usage": _usage("".join(pieces))},
        }
        if citations:
            end["citations"] = cited
        yield end

    def _answer_pieces(
        self, ev: VideoEvidence, question: str, cited: list[dict[str, Any]]
    ) -> Iterator[str]:
        """:meth:`_answered` in the pieces the writer streams, each part's citations added to
        ``cited``; a request no tool here can do is refused before any evidence is ranked."""
        refused = cannot(read_request(question))
        if refused is not None:
            yield refused
            return
        parts = question_parts(question)
        for n, part in enumerate(parts):
            pack = self._question_pack(ev, part)
            if n:
                yield _separator(parts)
            yield from self.writer.stream_answer(pack, part)
            cited += [c for c in pack.citations() if c not in cited]

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
                text, cited = self._answered(ev, question, lo, hi)
                if answer_format.kind == "json_object":
                    text = json.dumps({"answer": text}, ensure_ascii=False)
                return {
                    "data": text,
                    "finish_reason": "stop",
                    "usage": _usage(text),
                    "citations": cited,
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
        fields = self._field_answers(pack, schema)
        problem = None
        for _ in range(2):
            value = self.writer.fill(pack, prompt, schema, fields)
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

    def _field_answers(self, pack: EvidencePack, schema: dict[str, Any]) -> dict[str, list[Item]]:
        """For each free property (text or number) of ``schema``, the pack's lines that
        answer it read as a question (:func:`~vidsense.language.answering.field_question`:
        ``monthly_price`` asks "What is the monthly price?"), ranked as questions are
        (:meth:`relevant`); an empty list when none does."""
        return {
            name: self.relevant(pack.evidence, field_question(name, described), pack.items, 2)
            for name, described in free_fields(schema).items()
        }

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


def _separator(parts: Sequence[str]) -> str:
    """What joins the answers to the parts of one prompt: a blank line when one of them is
    written as a list or is a part of the gist (a title, then the chapters), else a space."""
    read = [read_request(p) for p in parts]
    return "\n\n" if any(r.form != "prose" or r.wants is not None for r in read) else " "


def _prompt(prompt: Any) -> str:
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidArgument("prompt must be a non-empty string", param="prompt")
    if len(prompt) > 20000:
        raise InvalidArgument("prompt is longer than 20000 characters", param="prompt")
    return prompt.strip()


__all__ = ["GIST_TYPES", "NOT_IN_VIDEO", "SUMMARY_TYPES", "WritingService"]
