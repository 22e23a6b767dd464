"""Search and classification over a :class:`~vidsense.library.Library`.

Per option, what is searched (scores are 0-100; see :mod:`vidsense.search.base`):

- ``conversation``: transcript segments found by full-text search (BM25 via
  ``Store.search_text``, over the query's content words) or near the query in the text space;
  each scores by its meaning and the query words spoken (:mod:`vidsense.search.relevance`). A
  hit holding query words is snapped to the spoken sentence(s) holding them; ``exact_match``
  is a phrase search, ranked by BM25.
- ``text_in_video``: on-screen text sightings found fuzzily (rapidfuzz partial ratio over the
  index's sightings), by full-text search or in the text space; each scores by its meaning,
  spelling and words, noise (digits, time codes) weighing little; a hit spans the sighting.
- ``visual``: CLIP vectors of keyframes when a visual model is installed; otherwise what the
  keyframes show (ImageNet labels and WordNet tags, :mod:`vidsense.search.visual`) fused with
  the other visual evidence there is (on-screen text and audio-event labels), as
  ``evidence["visual"]`` says (``clip``, ``image_labels`` or ``text_and_audio_labels``).
- ``logo``: on-screen text that matches the brand name, and ORB matches of the index's
  registered logo images against keyframes (see :mod:`vidsense.search.logos`).
- ``audio``: audio-event labels (fuzzy) and their text vectors.

Every option scores on the one scale of :mod:`vidsense.search.relevance`; clips of several
options that show one moment merge into one (:func:`_combine`), scored by the best option plus a
share of the others' (different evidence agreeing). Image queries look for keyframes like the
image: CLIP image vectors when a visual model is installed, otherwise the image-labels network's
keyframe embeddings (``image_embedding``), and without those perceptual hashes, colour
histograms and ORB (:mod:`.images`).
"""

from __future__ import annotations

import bisect
import functools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from vidsense.errors import InvalidArgument
from vidsense.kinds import asked_kind
from vidsense.library import Library
from vidsense.models.base import VisualEmbedder
from vidsense.models.imagenet import ImageLabelsEntry
from vidsense.models.lexicon import word_lists
from vidsense.models.text_embedding import TextEmbeddingEntry
from vidsense.models.visual import VisualEntry
from vidsense.options import CLASSIFY_DEFAULT, search_options
from vidsense.search import relevance
from vidsense.search.base import (
    Clip,
    SearchFilter,
    SearchRequest,
    SearchResult,
    VideoGroup,
    check_query,
    content_words,
    merge_clips,
    query_translations,
    stem,
    terms,
    threshold_floor,
)
from vidsense.search.images import FeatureCache, features, likeness, read_image
from vidsense.search.logos import LogoMatcher, named_like
from vidsense.search.pages import ListPageStore, PageStore, ResultPage
from vidsense.search.visual import SeenSearch, SimilarVideo, similar_videos
from vidsense.store import Keyframe, Segment, VideoRecord

log = logging.getLogger(__name__)

CANDIDATES = 100
"""Hits taken from each retrieval list (full-text, fuzzy, nearest vectors) of an option."""
QUERY_CACHE = 512
"""Query vectors kept per service, two per query when speech is searched (its own, less what
every sentence shares); least recently used dropped first."""
LEAF_WORKERS = 32
"""Threads (shared by every :class:`SearchService`) that run the store reads of requests
(full-text lists, embedding + vector search, the fuzzy scan) at once: SQLite, numpy and the
embedder release the GIL, so the reads of one request overlap. More threads than cores, so
that the reads of a short query never queue behind those of a long one (the cores are shared
by the operating system instead). A read never waits on another, so sharing the threads cannot
deadlock."""
_LEAVES: ThreadPoolExecutor | None = None
_LEAVES_LOCK = threading.Lock()


def _leaf_executor() -> ThreadPoolExecutor:
    global _LEAVES
    with _LEAVES_LOCK:
        if _LEAVES is None:
            _LEAVES = ThreadPoolExecutor(LEAF_WORKERS, thread_name_prefix="vidsense-search")
        return _LEAVES


_TEXT_OPTIONS = {
    # option -> the segment kinds whose full-text lists it reads (each also reads the text
    # vectors, except conversation with exact_match)
    "conversation": ("transcript",),
    "text_in_video": ("text",),
    "logo": ("text",),
    "audio": ("audio_event",),
}


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return stem(word)


def snap_to_words(segment: Segment, query_terms: set[str]) -> tuple[float, float, str]:
    """The spoken sentence(s) of a transcript segment that hold the query's words, as
    ``(start, end, text)``; the whole segment when no word matches or none are timed."""
    words = [w for w in segment.data.get("words", []) if "start" in w and "end" in w]
    if not words or not query_terms:
        return segment.start, segment.end, segment.text
    sentences: list[list[dict[str, Any]]] = [[]]
    for w in words:
        sentences[-1].append(w)
        if str(w.get("word", "")).strip().endswith((".", "?", "!")):
            sentences.append([])
    chosen = [s for s in sentences if s and any(_stem(str(w["word"])) in query_terms for w in s)]
    if not chosen:
        return segment.start, segment.end, segment.text
    first, last = chosen[0][0], chosen[-1][-1]
    text = " ".join(str(w["word"]).strip() for s in chosen for w in s)
    return float(first["start"]), float(last["end"]), text


@dataclass
class _Pool:
    """The videos a search covers, and the reads of one request that its options share
    (``shared``: key -> the future of a full-text list, vector hits, ...).

    ``timings`` adds up the seconds spent per stage of the request (see
    :attr:`SearchResult.timings <vidsense.search.base.SearchResult.timings>`)."""

    videos: dict[str, VideoRecord]
    video_ids: list[str] | None  # None: the whole index (no filter given)
    evidence: dict[str, str] = field(default_factory=dict)
    shared: dict[Any, Future[Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    timings: dict[str, float] = field(default_factory=dict)

    def once(
        self,
        key: Any,
        make: Callable[[], Any],
        executor: ThreadPoolExecutor | None,
        stage: str = "",
    ) -> Future[Any]:
        """``make()`` run once per request and key (in ``executor`` when given, so that a
        prefetch overlaps other reads), its time counted under ``stage``; every caller gets the
        same value."""
        with self.lock:
            future = self.shared.get(key)
            owner = future is None
            if future is None:
                future = self.shared[key] = Future()
        if not owner:
            return future
        if stage:
            make = functools.partial(self.timed, stage, make)
        if executor is not None:
            try:
                executor.submit(_fulfil, future, make)
                return future
            except RuntimeError:  # shut down (interpreter exit): run it here instead
                pass
        _fulfil(future, make)
        return future

    def get(self, key: Any, make: Callable[[], Any], stage: str = "") -> Any:
        return self.wait(self.once(key, make, None, stage))

    def wait(self, future: Future[Any]) -> Any:
        """The value of a shared read, the time spent waiting for it counted as ``wait``."""
        if future.done():
            return future.result()
        return self.timed("wait", future.result)

    def timed(self, stage: str, make: Callable[[], Any]) -> Any:
        """``make()``, its seconds added to ``timings[stage]``."""
        started = time.perf_counter()
        try:
            return make()
        finally:
            self.add_time(stage, time.perf_counter() - started)

    def add_time(self, stage: str, seconds: float) -> None:
        with self.lock:
            self.timings[stage] = self.timings.get(stage, 0.0) + seconds


def _fulfil(future: Future[Any], make: Callable[[], Any]) -> None:
    try:
        future.set_result(make())
    except BaseException as exc:  # handed to whoever waits on the future
        future.set_exception(exc)


class _Lru(OrderedDict[Hashable, Any]):
    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity
        self.lock = threading.Lock()

    def fetch(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self:
                self.move_to_end(key)
                return self[key]
        value = make()
        with self.lock:
            self[key] = value
            while len(self) > self.capacity:
                self.popitem(last=False)
        return value


class SearchService:
    """Search, page tokens, classification and logos over one library (thread-safe)."""

    def __init__(self, library: Library, pages: PageStore | None = None) -> None:
        self.library = library
        self.settings = library.settings
        self.pages = pages or PageStore()
        self.list_pages = ListPageStore(ttl=self.pages.ttl)
        self.frames = FeatureCache()
        self.logos = LogoMatcher(self.frames, self._blob_pixels)
        self.seen = SeenSearch(library, self.settings)
        self._queries = _Lru(QUERY_CACHE)
        self._leaves = _leaf_executor()
        self._shots = _Lru(4096)
        self._languages = _Lru(4096)
        self._sightings = _Lru(16)
        self._keyframes = _Lru(16)

    # -- public ------------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> ResultPage:
        """Run a search and keep its results; the first page (``page_limit`` items)."""
        return self.pages.first_page(self.run(request))

    def page(self, token: str) -> ResultPage:
        """The page a ``next_page_token``/``prev_page_token`` names."""
        return self.pages.page(token)

    def run(self, request: SearchRequest) -> SearchResult:
        """All results of a search (best first), without paging."""
        started = time.perf_counter()
        index = self.library.get_index(request.index_id)
        if not request.query.strip() and not request.images:
            raise InvalidArgument("query is empty: give query (or query_text) or a query image")
        self.check_query(request.query)
        if not 1 <= request.page_limit <= 50:
            raise InvalidArgument(f"page_limit must be 1-50, got {request.page_limit}")
        options = search_options(request.options, available=index.options)
        if request.images and not request.query.strip() and "visual" not in options:
            raise InvalidArgument(
                "a query image is searched by what it shows: search_options must include "
                f"visual (got {', '.join(options)}), or give query_text too",
                param="search_options",
            )
        checked = time.perf_counter()
        pool = self._pool(request.index_id, request.filter)
        pool.add_time("checks", checked - started)
        pool.add_time("pool", time.perf_counter() - checked)
        per_option: dict[str, list[Clip]] = {}
        if pool.videos:
            if request.images:
                per_option["visual"] = pool.timed(
                    "rank:image", lambda: self._image_clips(request, pool)
                )
            if request.query.strip():
                self._prefetch(options, request, pool)
                for option in options:
                    found = pool.timed(
                        f"rank:{option}", functools.partial(self.retrieve, option, request, pool)
                    )
                    per_option[option] = per_option.get(option, []) + found
        combined = time.perf_counter()
        operator = request.operator if not request.images else "or"
        if operator == "and":
            # Every option ASKED must hit a moment: ``audio`` is found by speech or sounds
            # (the options it covers), not by both.
            per_option = {
                name.strip().lower(): [
                    c
                    for covered in search_options([name], available=index.options)
                    for c in per_option.get(covered, [])
                ]
                for name in request.options
            }
        clips = _combine(per_option, operator)
        floor = threshold_floor(request.threshold)
        clips = [c for c in clips if c.score >= floor]
        clips.sort(key=lambda c: (-c.score, c.video_id, c.start))
        items: list[Clip | VideoGroup] = list(clips)
        if request.group_by == "video":
            groups: dict[str, list[Clip]] = {}
            for clip in clips:
                groups.setdefault(clip.video_id, []).append(clip)
            videos = [VideoGroup(v, tuple(cs)) for v, cs in groups.items()]
            if request.sort_option == "clip_count":
                videos.sort(key=lambda g: (-len(g.clips), -g.score))
            else:
                videos.sort(key=lambda g: -g.score)
            items = list(videos)
        done = time.perf_counter()
        pool.add_time("combine", done - combined)
        pool.add_time("total", done - started)
        return SearchResult(
            request=replace(request, options=options),
            items=items,
            total_count=len(pool.videos),
            total_duration=round(sum(v.duration for v in pool.videos.values()), 3),
            evidence=pool.evidence,
            timings=dict(pool.timings),
        )

    def retrieve(self, option: str, request: SearchRequest, pool: _Pool) -> list[Clip]:
        """Clips of one option for the request's text query, unthresholded."""
        retrievers: dict[str, Callable[[SearchRequest, _Pool], list[Clip]]] = {
            "conversation": self._conversation,
            "text_in_video": self._text_in_video,
            "visual": self._visual,
            "logo": self._logo,
            "audio": self._audio,
        }
        return retrievers[option](request, pool)

    def check_query(self, query: str) -> None:
        """Refuse a text query over the length limits (:func:`~vidsense.search.base.check_query`:
        400 ``query_too_long``), counting tokens with the text embedder when it is installed."""
        check_query(query)  # characters first: counting tokens reads the whole text
        entry = TextEmbeddingEntry(self.settings)
        if query and entry.installed():
            check_query(query, entry.load().count_tokens)

    # -- the pool ----------------------------------------------------------------------------

    def _pool(self, index_id: str, flt: SearchFilter) -> _Pool:
        videos = {v.id: v for v in self.library.ready_videos(index_id)}
        if flt == SearchFilter():
            return _Pool(videos, None)
        names = {v.filename for v in videos.values()}

        def keep(v: VideoRecord) -> bool:
            if flt.video_ids is not None and v.id not in flt.video_ids:
                return False
            if flt.duration_gte is not None and v.duration < flt.duration_gte:
                return False
            if flt.duration_lte is not None and v.duration > flt.duration_lte:
                return False
            if flt.width is not None and v.width != flt.width:
                return False
            if flt.height is not None and v.height != flt.height:
                return False
            if flt.filename is not None:
                wanted = flt.filename
                return v.filename == wanted if wanted in names else wanted in v.filename
            return True

        kept = {k: v for k, v in videos.items() if keep(v)}
        return _Pool(kept, list(kept))

    # -- shared pieces -----------------------------------------------------------------------

    def _query_vector(
        self, text: str, speech: bool = False
    ) -> tuple[np.ndarray, relevance.Background]:
        """The query's text vector and its background per language
        (:func:`relevance.background`), cached (a bounded LRU of :data:`QUERY_CACHE` queries).
        For ``speech``, the vector less what every sentence near every query shares
        (:func:`relevance.unhubbed`): short on-screen texts and labels lie near generic queries
        by being short, not by saying little, so only speech is looked up that way."""

        def make() -> tuple[np.ndarray, relevance.Background]:
            embedder = TextEmbeddingEntry(self.settings).load()
            if speech:  # the query is embedded once for both
                return relevance.unhubbed(embedder, self._query_vector(text)[0])
            vector: np.ndarray = embedder.embed([text], kind="query")[0]
            return vector, relevance.background(embedder, vector)

        result: tuple[np.ndarray, relevance.Background] = self._queries.fetch((text, speech), make)
        return result

    def _prefetch(self, options: Sequence[str], request: SearchRequest, pool: _Pool) -> None:
        """Start the store reads the request's options need, all at once and each once (the
        full-text lists first: they take longest)."""
        query, index_id = request.query, request.index_id
        visual_text = "visual" in options and self._visual_embedder() is None
        exact = request.conversation_option == "exact_match"
        kinds: set[str] = {"text", "audio_event"} if visual_text else set()
        for option in options:
            kinds.update(_TEXT_OPTIONS.get(option, ()))
        for kind in sorted(kinds, reverse=True):  # transcript, text, audio_event
            mode = "phrase" if exact and kind == "transcript" else "any"
            self._lexical(index_id, query, kind, pool, mode, prefetch=True)
        speech = "transcript" in kinds and not exact
        rest = visual_text or bool(kinds - {"transcript"})
        if speech and rest:  # embedded here, while the full-text lists are read, not twice
            pool.timed("embed", lambda: self._query_vector(query))
        if speech:
            self._semantic_hits(index_id, query, pool, CANDIDATES, prefetch=True, speech=True)
        if rest:
            self._semantic_hits(index_id, query, pool, CANDIDATES, prefetch=True)
        if "text" in kinds:
            sightings = pool.timed("sightings", lambda: self._index_sightings(index_id))
            pool.once(
                ("fuzzy", query),
                lambda: self._fuzzy_texts(query, sightings, pool),
                self._leaves,
                "fuzzy",
            )

    def _lexical(
        self,
        index_id: str,
        query: str,
        kind: str,
        pool: _Pool,
        mode: str = "any",
        *,
        prefetch: bool = False,
    ) -> list[tuple[Segment, float]]:
        """``Store.search_text`` over one kind, once per request (shared by its options)."""

        def make() -> list[tuple[Segment, float]]:
            return self.library.search_text(
                index_id,
                content_words(query) if mode == "any" else query,
                kinds=[kind],  # type: ignore[list-item]
                limit=CANDIDATES,
                video_ids=pool.video_ids,
                mode=mode,  # type: ignore[arg-type]
            )

        future = pool.once(("lexical", query, kind, mode), make, self._leaves, f"fts:{kind}")
        if prefetch:
            return []
        result: list[tuple[Segment, float]] = pool.wait(future)
        return result

    def _semantic_hits(
        self,
        index_id: str,
        query: str,
        pool: _Pool,
        limit: int,
        *,
        prefetch: bool = False,
        speech: bool = False,
    ) -> list[tuple[Segment, float]]:
        """The ``2 * limit`` nearest text-space segments of any kind, once per request (and
        once more, with the vector speech is looked up by, for ``speech``)."""

        def make() -> list[tuple[Segment, float]]:
            vector, _ = pool.timed("embed", lambda: self._query_vector(query, speech))
            hits = pool.timed(
                "vectors:text",
                lambda: self.library.search_vectors(
                    index_id, "text", vector, limit=limit * 2, video_ids=pool.video_ids
                ),
            )
            segments = pool.timed(
                "segments", lambda: self.library.segments_by_id([owner for owner, _ in hits])
            )
            return [(segments[o], s) for o, s in hits if o in segments]

        future = pool.once(("semantic", query, limit, speech), make, self._leaves)
        if prefetch:
            return []
        result: list[tuple[Segment, float]] = pool.wait(future)
        return result

    def _semantic(
        self, index_id: str, query: str, kinds: set[str], pool: _Pool, limit: int = CANDIDATES
    ) -> list[tuple[Segment, float]]:
        """Segments of ``kinds`` nearest the query in the text space, best first, with their
        meaning (:func:`relevance.semantic`, 0-1); speech (``{"transcript"}``) by its own
        lookup (:meth:`_query_vector`)."""
        speech = kinds == {"transcript"}
        found = self._semantic_hits(index_id, query, pool, limit, speech=speech)
        _, background = self._query_vector(query, speech)
        kept = [(s, c) for s, c in found if s.kind in kinds and s.video_id in pool.videos]
        return [
            (s, relevance.semantic(c, background.of(self._language(s)))) for s, c in kept[:limit]
        ]

    def _translator(self, query: str) -> Callable[[str | None], dict[str, frozenset[str]]]:
        """The query's words in a language (:func:`~vidsense.search.base.query_translations`;
        English when unknown), from the bilingual word lists when they are installed: looked
        up once per language and query (an empty map without the lists)."""
        lexicon = word_lists(self.settings)
        found: dict[str, dict[str, frozenset[str]]] = {}

        def translated(language: str | None) -> dict[str, frozenset[str]]:
            wanted = language or relevance.DEFAULT_LANGUAGE
            if lexicon is None:
                return {}
            if wanted not in found:
                found[wanted] = self._queries.fetch(
                    ("words", query, wanted), lambda: query_translations(lexicon, query, wanted)
                )
            return found[wanted]

        return translated

    def _spoken_language(self, video_id: str) -> str | None:
        """The language a video's speech was transcribed in (None without speech): what its
        on-screen text is taken to be written in, to look the query's words up in."""

        def read() -> str | None:
            said = self.library.video_segments(video_id, "transcript")
            return next((self._language(s) for s in said if self._language(s)), None)

        found: str | None = self._languages.fetch(video_id, read)
        return found

    @staticmethod
    def _language(segment: Segment) -> str | None:
        """The language of a segment's text: a transcript segment's own (as transcribed);
        None (unknown) for on-screen text and labels."""
        language = segment.data.get("language") if segment.kind == "transcript" else None
        return str(language) if language else None

    def _shot_range(self, video_id: str, time: float) -> tuple[float, float]:
        shots: list[Segment] = self._shots.fetch(
            video_id, lambda: self.library.video_segments(video_id, "shot")
        )
        # The last shot holding ``time``: a keyframe on a cut (a shot's first frame) belongs
        # to the shot that starts there, not to the one that ends there.
        found = [s for s in shots if s.start <= time <= s.end]
        if found:
            return found[-1].start, found[-1].end
        return max(0.0, time - 1.0), time + 1.0

    def _index_key(self, index_id: str) -> str:
        index = self.library.get_index(index_id)
        return f"{index_id}:{index.video_count}:{index.total_duration}:{index.updated_at}"

    def _index_sightings(self, index_id: str) -> tuple[list[Segment], list[str]]:
        """The index's on-screen text sightings and their texts as rapidfuzz processes them
        (cached until the index changes)."""
        from rapidfuzz import utils

        def load() -> tuple[list[Segment], list[str]]:
            found: list[Segment] = []
            for video_id in self._pool(index_id, SearchFilter()).videos:
                found.extend(self.library.video_segments(video_id, "text"))
            return found, [utils.default_process(s.text) for s in found]

        result: tuple[list[Segment], list[str]] = self._sightings.fetch(
            self._index_key(index_id), load
        )
        return result

    def _index_screens(self, index_id: str) -> _Screens:
        """The index's sightings grouped into what is on screen together (cached with the
        sightings, until the index changes)."""
        key = (self._index_key(index_id), "screens")
        screens: _Screens = self._sightings.fetch(
            key, lambda: _Screens(self._index_sightings(index_id)[0])
        )
        return screens

    def _index_keyframes(self, index_id: str, pool: _Pool) -> list[Keyframe]:
        def load() -> list[Keyframe]:
            found: list[Keyframe] = []
            for video_id in self._pool(index_id, SearchFilter()).videos:
                found.extend(self.library.video_keyframes(video_id))
            return found

        frames: list[Keyframe] = self._keyframes.fetch(self._index_key(index_id), load)
        return [k for k in frames if k.video_id in pool.videos]

    def _blob_pixels(self, key: str) -> np.ndarray:
        """RGB pixels of a stored image (a keyframe or a registered logo)."""
        return read_image(self.library.blob_path(key))

    # -- options -----------------------------------------------------------------------------

    def _conversation(self, request: SearchRequest, pool: _Pool) -> list[Clip]:
        query = request.query
        exact = request.conversation_option == "exact_match"
        query_terms = set(terms(query))
        wants = asked_kind(query)
        if not exact:
            self._semantic_hits(
                request.index_id, query, pool, CANDIDATES, prefetch=True, speech=True
            )
        lexical = self._lexical(
            request.index_id, query, "transcript", pool, "phrase" if exact else "any"
        )
        meaning: dict[str, tuple[Segment, float]] = {}
        if exact:  # every hit holds the phrase: ranked by BM25, from 100 down to 60
            best = max((score for _, score in lexical), default=1.0) or 1.0
            scores = {s.id: 0.6 + 0.4 * max(0.0, score) / best for s, score in lexical}
        else:
            near = self._semantic(request.index_id, query, {"transcript"}, pool)
            meaning = {s.id: (s, m) for s, m in near}
            scores = {}
        segments = {s.id: s for s, _ in lexical} | {sid: s for sid, (s, _) in meaning.items()}
        clips = []
        in_language = self._translator(query)
        for segment_id, segment in segments.items():
            translated = in_language(self._language(segment))
            words = relevance.covered(query_terms, segment.text, translated)
            if words:
                start, end, text = snap_to_words(segment, query_terms)
            else:
                start, end, text = segment.start, segment.end, segment.text
            if not exact:
                sem = meaning.get(segment_id, (segment, 0.0))[1]
                scores[segment_id] = relevance.either((sem, relevance.lexical(words)))
            weight = relevance.kind_weight(segment.text, wants)
            score = round(100.0 * scores[segment_id] * weight, 2)
            clips.append(
                Clip(
                    segment.video_id,
                    start,
                    end,
                    score,
                    ({"type": "conversation", "text": text},),
                    (("conversation", score),),
                )
            )
        return clips

    def _fuzzy_texts(
        self,
        query: str,
        sightings: tuple[list[Segment], list[str]],
        pool: _Pool,
        limit: int = CANDIDATES,
    ) -> dict[str, tuple[Segment, float]]:
        """Sightings whose text looks like ``query`` (0-1, length-aware partial ratio); the
        texts come processed (``utils.default_process``) with the cached sightings."""
        from rapidfuzz import fuzz, process, utils

        segments, processed = sightings
        wanted = utils.default_process(query)
        if not wanted or not segments:
            return {}
        found = process.extract(
            wanted,
            processed,
            scorer=fuzz.partial_ratio,
            processor=None,
            limit=limit,
            score_cutoff=60,
        )
        result: dict[str, tuple[Segment, float]] = {}
        for _, ratio, i in found:
            segment = segments[i]
            if segment.video_id not in pool.videos:
                continue
            text = processed[i]
            shorter, longer = sorted((len(wanted), max(1, len(text))))
            value = (ratio / 100.0) * (0.75 + 0.25 * shorter / longer)
            result[segment.id] = (segment, value)
        return result

    def _sighting_clips(
        self, request: SearchRequest, pool: _Pool, kind: str, label: str, *, spelled: bool = False
    ) -> list[Clip]:
        """Clips of the on-screen text sightings that match the query by meaning, spelling or
        words (with ``spelled``, by spelling alone: a name written there); noise weighs little
        (:func:`relevance.noise_weight`)."""
        query = request.query
        query_terms = set(terms(query))
        wants = asked_kind(query) if not spelled else "thing"
        sightings = self._index_sightings(request.index_id)
        fuzzy = pool.get(
            ("fuzzy", query), lambda: self._fuzzy_texts(query, sightings, pool), "fuzzy"
        )
        self._semantic_hits(request.index_id, query, pool, CANDIDATES, prefetch=True)
        lexical = self._lexical(request.index_id, query, "text", pool)
        near = self._semantic(request.index_id, query, {"text"}, pool)
        meaning = {s.id: m for s, m in near}
        segments = {s.id: s for s, _ in fuzzy.values()} | {s.id: s for s, _ in lexical}
        if not spelled:
            segments |= {s.id: s for s, _ in near}
        screens = self._index_screens(request.index_id) if wants != "thing" else None
        clips = []
        in_language = self._translator(query)
        for segment_id, s in segments.items():
            spelling = relevance.fuzzy(fuzzy[segment_id][1]) if segment_id in fuzzy else 0.0
            if spelled:
                value = spelling
            else:
                language = self._spoken_language(s.video_id)
                words = relevance.lexical(
                    relevance.covered(query_terms, s.text, in_language(language))
                )
                sem = meaning.get(segment_id, 0.0) if relevance.means(s.text, language) else 0.0
                value = relevance.either((sem, spelling, words))
            # A slide answers as a whole: "OPENING HOURS" over "10:00 - 18:00" holds a time.
            shown = screens.shown_with(s) if screens is not None else s.text
            weight = relevance.noise_weight(s.text, query) * relevance.kind_weight(shown, wants)
            score = round(100.0 * value * weight, 2)
            clips.append(
                Clip(
                    s.video_id,
                    s.start,
                    s.end,
                    score,
                    ({"type": label, "text": s.text},),
                    ((kind, score),),
                )
            )
        return clips

    def _text_in_video(self, request: SearchRequest, pool: _Pool) -> list[Clip]:
        return self._sighting_clips(request, pool, "text_in_video", "text_in_video")

    def _audio(self, request: SearchRequest, pool: _Pool) -> list[Clip]:
        from rapidfuzz import fuzz, utils

        query = request.query
        wanted = utils.default_process(query)
        clips: dict[str, Clip] = {}
        self._lexical(request.index_id, query, "audio_event", pool, prefetch=True)
        near = self._semantic(request.index_id, query, {"audio_event"}, pool)
        semantic = {s.id: (s, c) for s, c in near}
        lexical = self._lexical(request.index_id, query, "audio_event", pool)
        for segment, _ in lexical:
            semantic.setdefault(segment.id, (segment, 0.0))
        for segment, sem in semantic.values():
            label = fuzz.token_set_ratio(wanted, utils.default_process(segment.text)) / 100.0
            score = 100.0 * relevance.either((sem, relevance.fuzzy(label)))
            clips[segment.id] = Clip(
                segment.video_id,
                segment.start,
                segment.end,
                round(score, 2),
                ({"type": "audio", "text": segment.text},),
                (("audio", round(score, 2)),),
            )
        return list(clips.values())

    def _visual(self, request: SearchRequest, pool: _Pool) -> list[Clip]:
        embedder = self._visual_embedder()
        if embedder is None:
            pool.evidence["visual"] = "text_and_audio_labels"
            clips = self._sighting_clips(request, pool, "visual", "text_in_video")
            clips += [
                replace(c, modules=(("visual", c.score),)) for c in self._audio(request, pool)
            ]
            clips = [replace(c, score=round(c.score * 0.9, 2)) for c in clips]
            near = self._semantic(request.index_id, request.query, {"visual"}, pool)
            seen = self.seen.text_clips(
                request.index_id, request.query, pool.video_ids, near, pool.videos.__contains__
            )
            if seen or ImageLabelsEntry(self.settings).installed():
                pool.evidence["visual"] = "image_labels"
            return clips + seen
        pool.evidence["visual"] = "clip"
        query = embedder.embed_texts([request.query])[0]
        return self._keyframe_vector_clips(
            request.index_id, query, pool, cos_low=0.18, cos_high=0.35
        )

    def _visual_embedder(self) -> VisualEmbedder | None:
        visual = VisualEntry(self.settings)
        return visual.load() if visual.installed() else None

    def _keyframe_vector_clips(
        self, index_id: str, query: np.ndarray, pool: _Pool, *, cos_low: float, cos_high: float
    ) -> list[Clip]:
        """Clips of the keyframes nearest ``query``: cosine ``cos_low`` scores 0 and
        ``cos_high`` (or more) scores 100."""
        hits = self.library.search_vectors(
            index_id, "visual", query, limit=CANDIDATES, video_ids=pool.video_ids
        )
        frames = self.library.keyframes_by_id([o for o, _ in hits])
        clips = []
        for owner, cos in hits:
            frame = frames.get(owner)
            if frame is None or frame.video_id not in pool.videos:
                continue
            start, end = self._shot_range(frame.video_id, frame.time)
            score = 100.0 * min(1.0, max(0.0, (cos - cos_low) / (cos_high - cos_low)))
            clips.append(
                Clip(
                    frame.video_id,
                    start,
                    end,
                    round(score, 2),
                    ({"type": "visual", "keyframe_time": round(frame.time, 3)},),
                    (("visual", round(score, 2)),),
                )
            )
        return clips

    def _image_clips(self, request: SearchRequest, pool: _Pool) -> list[Clip]:
        embedder = self._visual_embedder()
        if embedder is not None:
            pool.evidence["visual"] = "clip"
            vectors = embedder.embed_images([q.pixels for q in request.images])
            clips: list[Clip] = []
            for vec in vectors:
                # Image to image: a near-duplicate sits near 1, unrelated frames well below.
                clips += self._keyframe_vector_clips(
                    request.index_id, vec, pool, cos_low=0.5, cos_high=0.95
                )
            return clips
        seen = self.seen.image_clips(
            request.index_id,
            [q.pixels for q in request.images],
            pool.video_ids,
            pool.videos.__contains__,
            self._shot_range,
        )
        if seen is not None:
            pool.evidence["visual"] = "image_embedding"
            return seen
        pool.evidence["visual"] = "image_hash_colour_orb"
        wanted = [features(q.pixels) for q in request.images]
        best: dict[str, tuple[Keyframe, float]] = {}
        for frame in self._index_keyframes(request.index_id, pool):
            have = self.frames.get(frame.id, lambda f=frame: self._blob_pixels(f.blob_key))  # type: ignore[misc]
            if have is None:
                continue
            value = max(likeness(q, have) for q in wanted)
            if value > best.get(frame.id, (frame, -1.0))[1]:
                best[frame.id] = (frame, value)
        clips = []
        for frame, value in best.values():
            start, end = self._shot_range(frame.video_id, frame.time)
            score = 100.0 * min(1.0, max(0.0, (value - 0.35) / 0.55))
            clips.append(
                Clip(
                    frame.video_id,
                    start,
                    end,
                    round(score, 2),
                    ({"type": "visual", "keyframe_time": round(frame.time, 3)},),
                    (("visual", round(score, 2)),),
                )
            )
        return clips

    def _logo(self, request: SearchRequest, pool: _Pool) -> list[Clip]:
        clips = [  # a brand name must be written there (partial ratio >= 0.8), not related text
            c
            for c in self._sighting_clips(request, pool, "logo", "logo", spelled=True)
            if c.score >= 50
        ]
        logos = named_like(self.library.list_logos(request.index_id), request.query)
        if logos:
            keyframes = self._index_keyframes(request.index_id, pool)
            clips += self.logos.clips(logos, keyframes, self._shot_range)
        return clips

    def similar_videos(
        self, index_id: str, video_id: str, *, limit: int = 10
    ) -> list[SimilarVideo]:
        """The videos of the index most like this one, from keyframe image embeddings
        (:func:`vidsense.search.visual.similar_videos`)."""
        return similar_videos(self.library, index_id, video_id, self._shot_range, limit=limit)

    # -- classification ----------------------------------------------------------------------

    def classify(
        self,
        videos: Sequence[VideoRecord],
        classes: Sequence[tuple[str, Sequence[str]]],
        *,
        options: Sequence[str] | None = None,
        conversation_option: str = "semantic",
        min_video_score: float = 0.0,
        min_clip_score: float = 30.0,
        min_duration_ratio: float = 0.0,
    ) -> list[VideoClasses]:
        """Which ``classes`` (``(name, prompts)``) each video belongs to, scored 0-100.

        Each prompt is searched within the video with the given options (those the video's
        index has; by default visual, conversation and text_in_video). A class's clips are
        those at or above ``min_clip_score``; its ``score`` is the best clip's; its
        ``duration_ratio`` the share of the video the clips cover. Classes below
        ``min_video_score`` or ``min_duration_ratio`` are left out."""
        if not classes:
            raise InvalidArgument("classes must name at least one class with prompts")
        for name, prompts in classes:
            if not name.strip() or not [p for p in prompts if p.strip()]:
                raise InvalidArgument(f"class {name!r} needs a name and at least one prompt")
            for prompt in prompts:
                self.check_query(prompt)
        wanted = search_options(options or CLASSIFY_DEFAULT)
        results: list[VideoClasses] = []
        for video in videos:
            index = self.library.get_index(video.index_id)
            usable = tuple(o for o in wanted if o in index.options)
            if not usable:
                raise InvalidArgument(
                    f"none of the options {', '.join(wanted)} is enabled on index "
                    f"{index.id}; it has {', '.join(index.options)}",
                    code="option_not_in_index",
                )
            pool = _Pool({video.id: video}, [video.id])
            requests = {
                prompt: SearchRequest(
                    video.index_id,
                    prompt,
                    usable,
                    conversation_option=conversation_option,  # type: ignore[arg-type]
                )
                for _, prompts in classes
                for prompt in prompts
                if prompt.strip()
            }
            for request in requests.values():  # every prompt's reads at once
                self._prefetch(usable, request, pool)
            found: list[ClassScore] = []
            for name, prompts in classes:
                clips: list[tuple[Clip, str, str]] = []
                for prompt in (p for p in prompts if p.strip()):
                    request = requests[prompt]
                    for option in usable:
                        for clip in self.retrieve(option, request, pool):
                            if clip.score >= min_clip_score:
                                clips.append((clip, option, prompt))
                if not clips:
                    continue
                scores = [c.score for c, _, _ in clips]
                ratio = _covered([c for c, _, _ in clips]) / max(video.duration, 1e-6)
                ratio = min(1.0, ratio)
                best = max(scores)
                if best < min_video_score or ratio < min_duration_ratio:
                    continue
                clips.sort(key=lambda t: -t[0].score)
                found.append(
                    ClassScore(
                        name,
                        round(best, 2),
                        round(ratio, 4),
                        tuple(clips),
                        max_score=round(best, 2),
                        avg_score=round(sum(scores) / len(scores), 2),
                        normalized_score=round(best * (0.5 + 0.5 * ratio), 2),
                    )
                )
            found.sort(key=lambda c: -c.score)
            results.append(VideoClasses(video.id, tuple(found)))
        return results


@dataclass(frozen=True)
class ClassScore:
    """A class a video belongs to: ``score`` 0-100, ``duration_ratio`` 0-1, the ``clips``
    (clip, option, prompt) that matched, and the detailed scores."""

    name: str
    score: float
    duration_ratio: float
    clips: tuple[tuple[Clip, str, str], ...]
    max_score: float
    avg_score: float
    normalized_score: float


@dataclass(frozen=True)
class VideoClasses:
    video_id: str
    classes: tuple[ClassScore, ...]


class _Screens:
    """An index's on-screen text sightings by video, sorted by start, and the text each is
    shown with (its own and that of the sightings overlapping it for at least half the
    shorter's time: one slide's lines), found once per sighting."""

    def __init__(self, sightings: Sequence[Segment]) -> None:
        self.by_video: dict[str, list[Segment]] = {}
        for sighting in sorted(sightings, key=lambda s: s.start):
            self.by_video.setdefault(sighting.video_id, []).append(sighting)
        self.starts = {v: [s.start for s in found] for v, found in self.by_video.items()}
        self.longest = {
            v: max(s.end - s.start for s in found) for v, found in self.by_video.items()
        }
        self.texts: dict[str, str] = {}

    def shown_with(self, sighting: Segment) -> str:
        found = self.texts.get(sighting.id)
        if found is None:
            video = sighting.video_id
            screen, starts = self.by_video.get(video, []), self.starts.get(video, [])
            lo = bisect.bisect_left(starts, sighting.start - self.longest.get(video, 0.0))
            hi = bisect.bisect_left(starts, sighting.end)
            texts = []
            for other in screen[lo:hi]:
                overlap = min(sighting.end, other.end) - max(sighting.start, other.start)
                shorter = min(sighting.end - sighting.start, other.end - other.start)
                if other.id == sighting.id or (overlap > 0 and overlap >= 0.5 * shorter):
                    texts.append(other.text)
            found = self.texts[sighting.id] = " ".join(texts) or sighting.text
        return found


def _covered(clips: Sequence[Clip]) -> float:
    """Seconds covered by the union of the clips' time ranges."""
    total, end = 0.0, -1.0
    for c in sorted(clips, key=lambda c: c.start):
        if c.end <= end:
            continue
        total += c.end - max(c.start, end)
        end = c.end
    return total


def _combine(per_option: dict[str, list[Clip]], operator: str) -> list[Clip]:
    """Merge overlapping clips of one video; ``and`` keeps only moments every option hit."""
    if operator == "and" and len(per_option) > 1:
        lists = list(per_option.values())
        kept: list[Clip] = []
        for i, clips in enumerate(lists):
            others = [other for j, other in enumerate(lists) if j != i]
            kept += [c for c in clips if all(any(c.overlaps(o) for o in other) for other in others)]
        candidates = kept
    else:
        candidates = [c for clips in per_option.values() for c in clips]
    candidates.sort(key=lambda c: -c.score)
    merged: list[Clip] = []
    # Positions in ``merged`` of the clips that reach into each (video, slice of _COMBINE_SLICE
    # seconds): a clip can only overlap those of the slices it spans, so one that lands in a
    # video of many clips is not compared with all of them.
    near: dict[tuple[str, int], set[int]] = {}
    for clip in candidates:
        seen: set[int] = set()
        for key in _slices(clip):
            seen.update(near.get(key, ()))
        for i in sorted(seen):  # the first merged clip it joins, in the order they were made
            have = merged[i]
            if have.overlaps(clip) and _same_moment(have, clip):
                merged[i] = merge_clips(have, clip)
                for key in _slices(merged[i]):
                    near.setdefault(key, set()).add(i)
                break
        else:
            for key in _slices(clip):
                near.setdefault(key, set()).add(len(merged))
            merged.append(clip)
    return merged


_COMBINE_SLICE = 30.0
"""Seconds of video per slice in :func:`_combine`'s lookup of the clips a clip may overlap."""


def _slices(clip: Clip) -> list[tuple[str, int]]:
    """The (video, slice) keys of every :data:`_COMBINE_SLICE` the clip's time range touches."""
    first = int(clip.start // _COMBINE_SLICE)
    last = max(first, int(clip.end // _COMBINE_SLICE))
    return [(clip.video_id, k) for k in range(first, last + 1)]


def _same_moment(a: Clip, b: Clip) -> bool:
    """Clips of different options that overlap by half of the shorter one are one moment;
    clips of the same option stay apart unless one lies inside the other."""
    overlap = min(a.end, b.end) - max(a.start, b.start)
    shorter = max(1e-6, min(a.end - a.start, b.end - b.start))
    same_option = {m for m, _ in a.modules} == {m for m, _ in b.modules}
    return overlap >= (0.999 if same_option else 0.5) * shorter
