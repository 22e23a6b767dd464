"""What a search asks and what it finds: requests, clips, and the scoring bands.

Every modality (:data:`vidsense.options.OPTIONS`) turns a query into :class:`Clip` objects whose
``score`` is on one 0-100 scale (see :func:`confidence`), so that clips of different options
can be merged, thresholded and ranked together.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from vidsense.errors import InvalidArgument
from vidsense.options import SEARCH_DEFAULT

Confidence = Literal["high", "medium", "low", "none"]
Threshold = Literal["high", "medium", "low", "none"]
BANDS: tuple[tuple[Confidence, float], ...] = (("high", 70.0), ("medium", 50.0), ("low", 30.0))
"""Lowest score (0-100) of each confidence band; below the last one a clip is ``none``."""
MAX_PAGE_LIMIT = 50
AGREE = 0.15
"""Share of another option's score above the ``low`` band that a moment gains when that option
finds it by other evidence."""
MAX_QUERY_CHARS = 4000
"""Longest text query, in characters (checked before the query is read any further)."""
MAX_QUERY_TOKENS = 500
"""Longest text query, in tokens of the text embedder (Twelve Labs' limit for ``query_text``;
with the e5 prefix it fits one pass of multilingual-e5-small)."""

_WORD = re.compile(r"[\w']+", re.UNICODE)
STOPWORDS = frozenset(
    (
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "as",
        "about",
        "into",
        "over",
        "under",
        "after",
        "before",
        "some",
        "any",
        "our",
        "your",
        "my",
        "their",
        "his",
        "her",
        "we",
        "you",
        "they",
        "he",
        "she",
        "i",
        "me",
        "us",
        "them",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "will",
        "would",
        "should",
        "can",
        "could",
        "up",
        "down",
        "out",
        "off",
        "not",
        "no",
        "so",
        "than",
        "then",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "when",
        "where",
    )
)


def confidence(score: float) -> Confidence:
    """The band of a 0-100 score: ``high`` >= 70, ``medium`` >= 50, ``low`` >= 30."""
    for name, floor in BANDS:
        if score >= floor:
            return name
    return "none"


def threshold_floor(threshold: Threshold) -> float:
    """The lowest score a threshold keeps (``none`` keeps everything)."""
    return dict(BANDS).get(threshold, 0.0)


def check_query(query: str, count_tokens: Callable[[str], int] | None = None) -> None:
    """Refuse a text query longer than :data:`MAX_QUERY_CHARS` characters or
    :data:`MAX_QUERY_TOKENS` tokens (``count_tokens`` counts them; without it only characters
    are checked): ``InvalidArgument`` ``query_too_long`` naming the limit."""
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidArgument(
            f"query is {len(query):,} characters long; the limit is {MAX_QUERY_CHARS:,} "
            f"characters and {MAX_QUERY_TOKENS} tokens",
            code="query_too_long",
            param="query",
        )
    tokens = count_tokens(query) if count_tokens is not None else 0
    if tokens > MAX_QUERY_TOKENS:
        raise InvalidArgument(
            f"query is {tokens:,} tokens long; the limit is {MAX_QUERY_TOKENS} tokens "
            f"(and {MAX_QUERY_CHARS:,} characters)",
            code="query_too_long",
            param="query",
        )


def terms(text: str) -> list[str]:
    """Content words of ``text``, case-folded and crudely stemmed (plural ``s`` dropped)."""
    found = []
    for word in _WORD.findall(text.lower()):
        word = word.strip("'")
        if word.endswith("'s"):
            word = word[:-2]
        if not word or word in STOPWORDS:
            continue
        found.append(stem(word))
    return found


def content_words(text: str) -> str:
    """The words of ``text`` that are not :data:`STOPWORDS`, joined by spaces (``text`` itself
    when every word is one): what a full-text "any word" search should look for, since words
    such as "the" or "for" match most of what was said and rank nothing."""
    words = [w for w in _WORD.findall(text) if w.lower().strip("'") not in STOPWORDS]
    return " ".join(words) if words else text


def stem(word: str) -> str:
    """A crude stem so that ``tomatoes``/``tomato``, ``roads``/``road`` and ``pegs``/``peg``
    compare equal (a four-letter word loses an ``s`` after a consonant other than ``s``:
    ``bags``, ``toys``, not ``less``, ``plus``, ``bias``)."""
    w = word.lower().strip(".,!?;:'\"")
    for suffix in ("ies", "es", "s"):
        if len(w) > 4 and w.endswith(suffix):
            return w[: -len(suffix)] + ("y" if suffix == "ies" else "")
    if len(w) == 4 and w.endswith("s") and w[2] not in "aeiosu" and w[:3].isalpha():
        return w[:3]
    return w


class WordLists(Protocol):
    """Bilingual word lists (:class:`vidsense.models.lexicon.Lexicon`)."""

    languages: frozenset[str]

    def translations(self, word: str, language: str) -> frozenset[str]: ...

    def english(self, word: str) -> frozenset[str]: ...


def query_translations(lexicon: WordLists, query: str, language: str) -> dict[str, frozenset[str]]:
    """Each content word of ``query`` (keyed as :func:`terms` gives it) with the words it
    translates to in ``language`` (:func:`translations`), looked up as written, as stemmed and
    without an "-ing" or "-ed" ending ("adjusting": einstellen, einstellung)."""
    spellings: dict[str, set[str]] = {}
    for word in _WORD.findall(query.lower()):
        word = word.strip("'")
        if not word or word in STOPWORDS or word.isdigit():
            continue
        forms = spellings.setdefault(stem(word), set())
        forms.update({word, stem(word)})
        for ending in ("ing", "ed"):
            if len(word) > len(ending) + 3 and word.endswith(ending):
                forms.add(word[: -len(ending)])
    return translations(lexicon, spellings, language)


def translations(
    lexicon: WordLists, spellings: Mapping[str, Iterable[str]], language: str
) -> dict[str, frozenset[str]]:
    """Each key of ``spellings`` (a word, with the spellings to look it up by) with the words
    it translates to in ``language`` (ISO 639-1): for English, the English of words of other
    languages ("lune": moon; English words are left as they are); else the translations of
    English words. Words without a translation are left out."""
    found: dict[str, frozenset[str]] = {}
    for key, written in spellings.items():
        forms = set(written)
        if language == "en":
            if any(lexicon.translations(f, other) for f in forms for other in lexicon.languages):
                continue  # an English word already
            words = frozenset().union(*(lexicon.english(f) for f in forms)) - forms
        else:
            words = frozenset().union(*(lexicon.translations(f, language) for f in forms))
        if words:
            found[key] = words
    return found


@dataclass(frozen=True)
class ImageQuery:
    """An image to search with: RGB ``uint8`` pixels ``[H, W, 3]``."""

    pixels: Any


@dataclass(frozen=True)
class SearchFilter:
    """Which videos to search: ``duration`` bounds (seconds), exact ``width``/``height``,
    ``filename`` (exact, or a substring when no video has that exact name), ``video_ids``."""

    duration_gte: float | None = None
    duration_lte: float | None = None
    width: int | None = None
    height: int | None = None
    filename: str | None = None
    video_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SearchRequest:
    """One search. ``query`` is text (may be empty when ``images`` are given); ``options``
    are canonical option names; ``page_limit`` clips (or videos with ``group_by=video``)."""

    index_id: str
    query: str = ""
    options: tuple[str, ...] = SEARCH_DEFAULT
    conversation_option: Literal["semantic", "exact_match"] = "semantic"
    operator: Literal["or", "and"] = "or"
    group_by: Literal["clip", "video"] = "clip"
    threshold: Threshold = "low"
    sort_option: Literal["score", "clip_count"] = "score"
    page_limit: int = 10
    filter: SearchFilter = field(default_factory=SearchFilter)
    images: tuple[ImageQuery, ...] = ()
    include_user_metadata: bool = False
    """Whether each result carries its video's user metadata (how results are shown)."""


@dataclass(frozen=True)
class Clip:
    """A moment that matches: ``start``/``end`` seconds in ``video_id``, ``score`` 0-100.

    ``metadata`` holds what matched (``{"type": "conversation", "text": ...}`` and the like);
    ``modules`` the score each option gave it."""

    video_id: str
    start: float
    end: float
    score: float
    metadata: tuple[dict[str, Any], ...] = ()
    modules: tuple[tuple[str, float], ...] = ()

    @property
    def confidence(self) -> Confidence:
        return confidence(self.score)

    @property
    def module_confidence(self) -> dict[str, Confidence]:
        return {name: confidence(score) for name, score in self.modules}

    def overlaps(self, other: Clip, slack: float = 0.0) -> bool:
        return (
            self.video_id == other.video_id
            and self.start <= other.end + slack
            and other.start <= self.end + slack
        )


@dataclass(frozen=True)
class VideoGroup:
    """``group_by=video``: one video's clips, best first."""

    id: str
    clips: tuple[Clip, ...]

    @property
    def score(self) -> float:
        return max((c.score for c in self.clips), default=0.0)


@dataclass(frozen=True)
class SearchResult:
    """All results of a search (paged by :class:`~vidsense.search.pages.PageStore`).

    ``total_count``/``total_duration`` (seconds) describe the searched pool;
    ``evidence`` says which evidence a modality used, e.g. ``{"visual": "clip"}``.

    ``timings``: seconds per stage of the request: ``checks`` (the index, the query's length),
    ``pool`` (the videos searched), ``embed`` (the query embedding), ``fts:KIND`` (each
    full-text list), ``vectors:SPACE`` (each vector search), ``segments`` (reading the vector
    hits' evidence), ``fuzzy`` (the on-screen text scan), ``rank:OPTION`` (scoring an option's
    hits, including ``wait``: the time it waited for reads still running), ``combine`` and
    ``total``. The reads run on several threads at once, so stages add up to more than
    ``total``."""

    request: SearchRequest
    items: Sequence[Clip | VideoGroup]
    total_count: int
    total_duration: float
    evidence: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def merge_clips(a: Clip, b: Clip) -> Clip:
    """One clip spanning both, scored by the better one plus :data:`AGREE` of what the other
    scores above the ``low`` band, when it brings evidence the better one lacks (options that
    agree by different evidence; an option that matches nothing strongly adds nothing)."""
    modules = dict(a.modules)
    for name, score in b.modules:
        modules[name] = max(score, modules.get(name, 0.0))
    best, other = (a, b) if a.score >= b.score else (b, a)
    new = [m for m in other.metadata if m not in best.metadata]
    agree = bool(new) and len(modules) > len(best.modules)
    low = BANDS[-1][1]
    score = min(100.0, best.score + (AGREE * max(0.0, other.score - low) if agree else 0.0))
    metadata = [*best.metadata, *new]
    return replace(
        best,
        start=min(a.start, b.start),
        end=max(a.end, b.end),
        score=score,
        metadata=tuple(metadata),
        modules=tuple(modules.items()),
    )
