"""Chapters and highlights: segments computed from evidence, before any text is written.

Chapters are the partition of the video that keeps each chapter about one thing. Boundaries
may fall only where a chapter can plausibly start: at a shot change (a cut, or a dissolve or
fade, which the shot finder reports as a shot boundary), at a pause in speech (at the last shot
change inside it when there is one: the next subject's picture comes up before it is spoken
about), or where a title that names something appears on screen (not a sign-off such as "SEE
YOU NEXT TIME"). The words spoken and shown (sentences and on-screen text, each with its
text vector less the mean vector of passages about nothing in particular in the video's
language, so that only what a line is about counts and not what the embedder gives any text)
are then split by dynamic programming into the chapters that minimise

    sum over chapters of (incoherence + PER_CHAPTER) - sum over boundaries of their bonus

where a chapter's incoherence is how far its lines are from their own mean direction
(``n - |sum of unit vectors|``), :data:`PER_CHAPTER` is what one more chapter costs (so the
number of chapters is chosen, not fixed: a new chapter must make the lines it separates more
coherent by more than that), and a boundary's bonus says how much it looks like a chapter
start: a shot change, a title appearing right after it, a long pause; one falling inside a
sentence, or between two numbered steps shown on screen, is penalised. The shortest chapter
allowed scales with the video's length (a few seconds for short videos: a 40 s video of four
topics gets four chapters), and chapters never run longer than ``max_seconds``.

Highlights are short spans scored by what happens in them: salient speech (sentences close to
what the whole video is about), on-screen titles appearing, audio events people react to
(applause, laughter, cheering) or that mark a change (music starting), and bursts of cuts.
The best non-overlapping spans win. Writers only ever give these segments words.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from vidsense.language.evidence import Item, VideoEvidence
from vidsense.language.phrases import names_something
from vidsense.language.text import content_terms, noise
from vidsense.search.relevance import DEFAULT_LANGUAGE, REFERENCE
from vidsense.words import lemma, wordnet

PER_CHAPTER = 1.25
"""What one more chapter costs, in units of incoherence (one line pointing away from its
chapter's direction costs 1). The labelled corpus' development split finds every chapter and
no other from 1.05 to 1.45; this is the middle."""
SHOT_BONUS = 0.3
"""A boundary at a shot change (cut, dissolve, fade)."""
TITLE_BONUS = 1.0
"""A boundary right before a title appears on screen (new large lettering)."""
PAUSE_BONUS = 1.2
"""A boundary in a pause of speech that stands out from the speaker's usual pauses: six
robust standard deviations above their median or more (scaled down to 0 at three)."""
MIN_SPREAD = 0.05
"""Seconds: the least spread of pause lengths assumed (a synthetic voice pauses exactly)."""
INSIDE_SENTENCE = -0.5
"""A boundary that falls inside a spoken sentence (a topic rarely changes mid-sentence)."""
INSIDE_STEPS = -1.0
"""A boundary between two consecutive numbered steps shown on screen ("STEP 2", then "STEP
3"): the steps of one procedure are one subject."""
SNAP = 0.6
"""Seconds within which candidate boundaries are one (a cut just before a title, a pause
around a cut)."""
LEXICAL = 0.7
"""Weight of a line's words beside its text vector (both unit length)."""
CHAIN_DEPTH = 6
"""Shallowest WordNet hypernym that links two words of one subject (steps from the root)."""
TEXT_DELAY = 1.2
"""Seconds on-screen text may be read after it appeared (text is read about once a
second)."""
SHORTEST = (3.0, 150.0)
"""The shortest chapter: at least this many seconds, and at least the video's length over
the second number (a 10-minute video's chapters may be 4 s, a two-hour talk's 48 s), never
more than the configured minimum."""
WHOLE_SHARE = 0.5
"""On-screen text shown for more than this share of a video is about the whole video and plays
no part in where its chapters start."""
TEXT_WEIGHT = 0.7
"""How much a line of on-screen text counts against a sentence said (a title counts 1.5x)."""
REACTIONS: dict[str, float] = {
    "Applause": 1.0,
    "Clapping": 0.8,
    "Cheering": 1.0,
    "Laughter": 0.9,
    "Crowd": 0.5,
    "Children shouting": 0.4,
    "Whoop": 0.6,
    "Explosion": 0.6,
    "Fireworks": 0.6,
    "Music": 0.35,
    "Singing": 0.4,
    "Drum": 0.3,
}
"""Audio-event labels that make a moment stand out, and how much."""


@dataclass(frozen=True)
class Span:
    """A computed segment: ``start``/``end`` seconds, the items it holds, and (highlights)
    ``score`` with the ``reasons`` that produced it."""

    start: float
    end: float
    items: tuple[Item, ...] = ()
    score: float = 0.0
    reasons: tuple[str, ...] = field(default=())

    @property
    def length(self) -> float:
        return self.end - self.start


def _mean(vectors: np.ndarray) -> np.ndarray | None:
    if len(vectors) == 0:
        return None
    m = vectors.mean(axis=0)
    n = float(np.linalg.norm(m))
    return m / n if n > 0 else None


@dataclass
class _Candidate:
    time: float
    bonus: float = 0.0
    shot: bool = False


def boundary_candidates(ev: VideoEvidence) -> list[tuple[float, float]]:
    """Where a chapter may start, ``(seconds, bonus)`` in time order: shot changes, pauses
    in speech and titles appearing, merged when within :data:`SNAP` seconds (a shot change
    keeps its time)."""
    duration = ev.duration
    found: list[_Candidate] = [_Candidate(t, SHOT_BONUS, True) for t in ev.cuts()]
    speech = ev.speech
    gaps = [(a.end, b.start - a.end) for a, b in itertools.pairwise(speech)]
    gaps = [(at, gap) for at, gap in gaps if gap >= 0.3]
    # Speakers pause longer between subjects than between sentences: a pause counts by how
    # far it stands out from the speaker's usual pauses (robust z-score: median and MAD),
    # measured on the pauses where the picture runs on (no shot change inside them), since
    # those where it changes too are the ones in question.
    cuts = [c.time for c in found]
    during = [[t for t in cuts if at - SNAP / 2 <= t <= at + gap + SNAP / 2] for at, gap in gaps]
    plain = [gap for (_, gap), within in zip(gaps, during, strict=True) if not within]
    if gaps:
        lengths = np.array(plain if len(plain) >= 2 else [gap for _, gap in gaps])
        usual = float(np.median(lengths))
        spread = max(1.4826 * float(np.median(np.abs(lengths - usual))), MIN_SPREAD)
    for (at, gap), within in zip(gaps, during, strict=True):
        z = (gap - usual) / spread
        bonus = PAUSE_BONUS * min(1.0, max(0.0, (z - 3.0) / 3.0))
        # A shot change inside the pause is where the next subject's picture comes up: the
        # pause's boundary is there (the last one, just before the next line is said), not in
        # the middle of the silence.
        found.append(_Candidate(within[-1] if within else at + gap / 2, bonus))
    found.sort(key=lambda c: (c.time, not c.shot))
    merged: list[_Candidate] = []
    for c in found:
        last = merged[-1] if merged else None
        if last is not None and c.time - last.time <= SNAP:
            if c.shot and not last.shot:
                last.time, last.shot = c.time, True
            last.bonus += c.bonus
            continue
        merged.append(_Candidate(c.time, c.bonus, c.shot))
    # On-screen text is read about once a second: a title belongs to the shot change (or
    # else the pause) just before it, when there is one.
    shown = [
        i for i in ev.of_type("text") if ev.is_title(i) and names_something(i.text, ev.language)
    ]
    fresh = {
        round(i.start, 2)
        for i in shown
        if not any(
            o.text.lower() == i.text.lower() and i.start - 3.0 <= o.end <= i.start and o is not i
            for o in shown
        )
    }  # a title read again after a flicker is not a new one
    for t in sorted(fresh):
        near = [c for c in merged if t - TEXT_DELAY <= c.time <= t + SNAP / 2]
        if near:
            max(near, key=lambda c: (c.shot, c.time)).bonus += TITLE_BONUS
        else:
            merged.append(_Candidate(t, TITLE_BONUS))
    merged.sort(key=lambda c: c.time)
    steps = _steps(ev)
    out = []
    for c in merged:
        if not 0.5 <= c.time <= duration - 0.5:
            continue
        inside = any(s.start + 0.15 < c.time < s.end - 0.15 for s in speech)
        between = any(a < c.time < b for a, b in steps)
        out.append(
            (
                c.time,
                c.bonus + (INSIDE_SENTENCE if inside else 0.0) + (INSIDE_STEPS if between else 0.0),
            )
        )
    return out


_STEP = re.compile(r"^\W*step\W*(\d{1,2})\b", re.I)


def _steps(ev: VideoEvidence) -> list[tuple[float, float]]:
    """Spans between where one numbered step is first shown on screen ("STEP 2: POLES") and
    where the next one ("STEP 3") is, in seconds: the inside of one procedure."""
    first: dict[int, float] = {}
    for item in ev.of_type("text"):
        found = _STEP.match(item.text)
        if found:
            first.setdefault(int(found.group(1)), item.start)
    ordered = sorted(first.items())
    return [(a, b) for (n, a), (m, b) in itertools.pairwise(ordered) if m == n + 1 and a < b]


def _lines(ev: VideoEvidence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What chapters are made of: times, weights and unit vectors of the sentences said and
    the (non-noise) text shown. A line's vector joins its text vector, centred on the video's
    mean (what every part of the video shares says nothing about where it changes), and its
    words (content words, weighted by how rare they are in the video; a word said once links
    nothing), weighted :data:`LEXICAL`: a subject's own words recur within it.

    Text vectors are centred on the video language's background (:func:`_background`), not on
    the video's own mean: centred on its mean, the lines of a video about one thing point
    every way (what they share is taken away, what is left is noise), and a single paragraph
    read aloud was cut in two."""
    # Text on screen for most of the video (a title over a whole reading, a channel's name)
    # names the video, not where one of its chapters starts.
    lasting = WHOLE_SHARE * ev.duration
    pool = [
        i
        for i in ev.of_type("speech", "text")
        if not noise(i.text) and not (i.type == "text" and i.end - i.start > lasting)
    ]
    items, matrix = ev.matrix(pool)
    if len(items) < 2:
        return np.zeros(0), np.zeros(0), np.zeros((0, 0), dtype=np.float32)
    # Text is placed where it appears (it often stays on screen long after its subject).
    times = np.array([_place(i) for i in items])
    weights = np.array([_weight(ev, i) for i in items])
    background = _background(ev)
    if background is None:  # no embedder at hand: what every part shares counts for nothing
        background = (weights[:, None] * matrix).sum(axis=0) / weights.sum()
    centred = _unit(matrix - background)
    terms = [_chained(content_terms(i.text)) for i in items]
    counts = Counter(t for found in terms for t in found)
    shared = sorted(t for t, n in counts.items() if n > 1)
    column = {t: n for n, t in enumerate(shared)}
    lexical = np.zeros((len(items), len(shared)))
    for row, found in enumerate(terms):
        for t in found:
            if t in column:
                lexical[row, column[t]] = math.log(len(items) / counts[t])
    joined = np.hstack([centred, LEXICAL * _unit(lexical)])
    return times, weights, _unit(joined)


_BACKGROUNDS: weakref.WeakKeyDictionary[Any, dict[str, np.ndarray]] = weakref.WeakKeyDictionary()
_BACKGROUNDS_LOCK = threading.Lock()


def _background(ev: VideoEvidence) -> np.ndarray | None:
    """The mean text vector of :data:`~vidsense.search.relevance.REFERENCE`, passages about
    nothing in particular in the video's language (English for one without them), from the
    evidence's embedder (None without one); embedded once per embedder and language."""
    if ev.embed is None:
        return None
    language = ev.language if ev.language in REFERENCE else DEFAULT_LANGUAGE
    owner = getattr(ev.embed, "__self__", ev.embed)  # a bound method: its object
    with _BACKGROUNDS_LOCK:
        known = _BACKGROUNDS.setdefault(owner, {})
        if language not in known:
            known[language] = np.asarray(ev.embed(list(REFERENCE[language]))).mean(axis=0)
        return known[language]


@cache
def _related_terms(word: str) -> frozenset[str]:
    """Close WordNet relatives of a noun (its hypernyms one and two levels up, specific ones
    only): words of one subject link through them ("sea" and "ocean": body of water)."""
    wn = wordnet()
    if wn is None:
        return frozenset()
    out: set[str] = set()
    for synset in wn.synsets(lemma(word), "n")[:1]:
        level = [synset]
        for _ in range(2):
            level = [h for s in level for h in s.hypernyms()]
            out.update(f"^{h.name()}" for h in level if h.min_depth() >= CHAIN_DEPTH)
    return frozenset(out)


def _chained(terms: set[str]) -> set[str]:
    return terms | {r for t in terms for r in _related_terms(t)}


def _place(item: Item) -> float:
    if item.type == "speech":
        return (item.start + item.end) / 2
    return item.start + min(1.0, (item.end - item.start) / 2)


def _weight(ev: VideoEvidence, item: Item) -> float:
    if item.type == "speech":
        return 1.0
    return TEXT_WEIGHT * (1.5 if ev.is_title(item) else 1.0)


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    unit: np.ndarray = rows / np.maximum(norms, 1e-9)
    return unit


def chapters(
    ev: VideoEvidence, min_seconds: float = 15.0, max_seconds: float = 600.0
) -> list[Span]:
    """The video cut into chapters where its subject changes (see the module docstring);
    always at least one chapter, covering the whole video without gaps. The shortest chapter
    is ``min_seconds`` at most and scales down with the video's length (:data:`SHORTEST`);
    the longest is ``max_seconds``."""
    duration = ev.duration
    if duration <= 0:
        return []
    shortest = min(min_seconds, max(SHORTEST[0], duration / SHORTEST[1]))
    longest = max(max_seconds, 2 * shortest)
    candidates = boundary_candidates(ev)
    times, weights, vectors = _lines(ev)
    edges = [0.0, *(t for t, _ in candidates), duration]
    bonus = [0.0, *(b for _, b in candidates), 0.0]
    k = len(edges) - 1  # units between consecutive edges
    dim = vectors.shape[1] if vectors.ndim == 2 and len(vectors) else 1
    sums = np.zeros((k + 1, dim))
    mass = np.zeros(k + 1)
    if len(times):
        unit = np.clip(np.searchsorted(edges, times, side="right") - 1, 0, k - 1)
        for u in range(k):
            inside = unit == u
            sums[u + 1] = sums[u] + (weights[inside, None] * vectors[inside]).sum(axis=0)
            mass[u + 1] = mass[u] + weights[inside].sum()
    starts = np.array(edges[:-1])
    best = np.full(k + 1, np.inf)
    best[0] = 0.0
    back = np.zeros(k + 1, dtype=int)
    for j in range(1, k + 1):
        lengths = edges[j] - starts[:j]
        allowed = (lengths >= shortest - 1e-6) & (lengths <= longest + 1e-6)
        if j == k and not allowed.any():
            allowed = lengths >= 0
        if not allowed.any():
            continue
        spread = mass[j] - mass[:j] - np.linalg.norm(sums[j] - sums[:j], axis=1)
        total = best[:j] + spread + PER_CHAPTER - np.array(bonus[:j])
        total[~allowed] = np.inf
        i = int(np.argmin(total))
        best[j], back[j] = total[i], i
    cuts: list[float] = []
    j = k
    while j > 0 and np.isfinite(best[j]):
        i = int(back[j])
        if i > 0:
            cuts.append(edges[i])
        j = i
    bounds = [0.0, *sorted(cuts), duration]
    return [Span(lo, hi, tuple(ev.within(lo, hi))) for lo, hi in itertools.pairwise(bounds)]


def _highlight_units(
    ev: VideoEvidence, min_seconds: float, max_seconds: float
) -> list[tuple[float, float]]:
    """Candidate spans: shots, merged with the next while shorter than ``min_seconds``, long
    ones cut into pieces at speech pauses near ``max_seconds``."""
    duration = ev.duration
    shots = [(s.start, s.end) for s in ev.shots] or [(0.0, duration)]
    merged: list[tuple[float, float]] = []
    for a, b in shots:
        if merged and merged[-1][1] - merged[-1][0] < min_seconds:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    units: list[tuple[float, float]] = []
    speech = ev.speech
    for a, b in merged:
        start = a
        while b - start > max_seconds:
            target = start + max_seconds * 0.66
            stops = [s.end for s in speech if start + min_seconds <= s.end <= start + max_seconds]
            cut = min(stops, key=lambda x: abs(x - target)) if stops else start + max_seconds
            units.append((start, cut))
            start = cut
        if b - start >= 1.0 or not units:
            units.append((start, b))
        else:
            units[-1] = (units[-1][0], b)
    return units


def highlights(
    ev: VideoEvidence,
    count: int | None = None,
    min_seconds: float = 4.0,
    max_seconds: float = 30.0,
) -> list[Span]:
    """The ``count`` (default: one per two minutes, 3 to 5) most eventful spans, in time
    order."""
    duration = ev.duration
    if duration <= 0:
        return []
    if count is None:
        count = int(min(5, max(3, duration // 120)))
    units = _highlight_units(ev, min_seconds, max_seconds)
    texts, matrix = ev.matrix(ev.speech)
    centre = _mean(matrix) if len(texts) else None
    salience: dict[str, float] = {}
    if centre is not None:
        sims = matrix @ centre
        lo, hi = float(sims.min()), float(sims.max())
        for item, s in zip(texts, sims, strict=True):
            salience[item.id] = (float(s) - lo) / (hi - lo) if hi > lo else 0.5
    cut_rate = len(ev.cuts()) / duration if duration else 0.0
    spans: list[Span] = []
    for a, b in units:
        items = ev.within(a, b)
        score = 0.0
        reasons: list[str] = []
        said = [i for i in items if i.type == "speech"]
        if said:
            best = max(salience.get(i.id, 0.0) for i in said)
            score += 0.6 * best + 0.1 * min(len(said), 3) / 3
            if any("!" in i.text for i in said):
                score += 0.1
                reasons.append("exclamation")
        shown = [i for i in items if i.type == "text" and i.start >= a - 0.5]
        if shown:
            score += 0.3
            reasons.append("on-screen text")
        for event in (i for i in items if i.type == "audio"):
            weight = REACTIONS.get(event.text, 0.0)
            if weight:
                score += weight * max(event.score, 0.5)
                reasons.append(event.text.lower())
        cuts_here = sum(1 for t in ev.cuts() if a < t < b)
        if cut_rate and b > a and cuts_here / (b - a) > 2 * cut_rate:
            score += 0.2
            reasons.append("fast cutting")
        spans.append(Span(a, b, tuple(items), score, tuple(dict.fromkeys(reasons))))
    picked: list[Span] = []
    for span in sorted(spans, key=lambda s: (-s.score, s.start)):
        if span.score <= 0 and picked:
            break
        if any(span.start < p.end and p.start < span.end for p in picked):
            continue
        picked.append(span)
        if len(picked) >= count:
            break
    return sorted(picked, key=lambda s: s.start)
