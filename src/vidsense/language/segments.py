"""Chapters and highlights: segments computed from evidence, before any text is written.

Chapters start at shot boundaries (or, in a video with few cuts, at pauses in speech) where the
subject changes: for every candidate boundary the words spoken and shown just before it are
compared with those just after it (mean text vectors over a window each side), and a new
on-screen title appearing right after it adds to the score. Boundaries are taken best first
while every chapter stays at least ``min_seconds`` long; a chapter still longer than
``max_seconds`` is split at its best remaining candidate.

Highlights are short spans scored by what happens in them: salient speech (sentences close to
what the whole video is about), on-screen titles appearing, audio events people react to
(applause, laughter, cheering) or that mark a change (music starting), and bursts of cuts.
The best non-overlapping spans win. Writers only ever give these segments words.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from vidsense.language.evidence import Item, VideoEvidence

CHAPTER_WINDOW = (20.0, 90.0)
"""Seconds of evidence compared on each side of a candidate boundary (min, max)."""
MIN_SHIFT = 0.035
"""The smallest topic shift (1 - cosine of the two sides' mean vectors) that starts a chapter
on its own; below it a boundary is only used to split an over-long chapter."""
TITLE_BONUS = 0.03
"""Added to a boundary's shift when on-screen text not seen in the window before appears
within a second after it."""

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


def _candidates(ev: VideoEvidence) -> list[float]:
    """Shot cuts, plus pauses in speech when cuts are scarce (talking heads, screencasts)."""
    duration = ev.duration
    cuts = ev.cuts()
    speech = ev.speech
    if len(cuts) >= max(3.0, duration / 60.0):
        return cuts
    pauses = []
    for a, b in itertools.pairwise(speech):
        gap = b.start - a.end
        if gap >= 0.4:
            pauses.append(a.end + min(gap / 2, 0.5))
    merged = sorted(set(cuts) | set(pauses))
    return [t for t in merged if 0.0 < t < duration]


def topic_shifts(ev: VideoEvidence, candidates: list[float], window: float) -> list[float]:
    """For each candidate time, how much the subject changes there (0 = not at all)."""
    texts, matrix = ev.matrix(ev.of_type("speech", "text"))
    if not texts:
        return [0.0] * len(candidates)
    mids = np.array([(i.start + i.end) / 2 for i in texts])
    shifts = []
    for t in candidates:
        before = matrix[(mids >= t - window) & (mids < t)]
        after = matrix[(mids >= t) & (mids < t + window)]
        a, b = _mean(before), _mean(after)
        shift = 0.0 if a is None or b is None else 1.0 - float(a @ b)
        seen = {i.text.lower() for i in texts if t - window <= i.start < t and i.type == "text"}
        if any(
            i.type == "text" and t - 0.25 <= i.start <= t + 1.0 and i.text.lower() not in seen
            for i in texts
        ):
            shift += TITLE_BONUS
        shifts.append(shift)
    return shifts


def chapters(
    ev: VideoEvidence, min_seconds: float = 15.0, max_seconds: float = 600.0
) -> list[Span]:
    """The video cut into chapters at subject changes; always at least one chapter, covering
    the whole video without gaps. A chapter is at least ``min_seconds`` long, and at least a
    sixtieth of the video."""
    duration = ev.duration
    if duration <= 0:
        return []
    # Long videos get longer chapters: a two-hour talk is read in minutes, not seconds.
    min_seconds = max(1.0, min(max(min_seconds, duration / 60.0), duration))
    max_seconds = max(max_seconds, 2 * min_seconds)
    candidates = _candidates(ev)
    window = min(max(min_seconds * 1.5, CHAPTER_WINDOW[0]), CHAPTER_WINDOW[1])
    shifts = topic_shifts(ev, candidates, window)
    ranked = sorted(zip(shifts, candidates, strict=True), key=lambda p: (-p[0], p[1]))
    cuts: list[float] = []

    def fits(t: float, lo: float, hi: float) -> bool:
        edges = [lo, hi, *cuts]
        return all(abs(t - e) >= min_seconds for e in edges)

    top = ranked[0][0] if ranked else 0.0
    threshold = max(MIN_SHIFT, 0.45 * top)
    for shift, t in ranked:
        if shift < threshold:
            break
        # A change of subject raises the shift of every candidate within a window of it; only
        # the peak is the change.
        peak = all(
            s <= shift for s, u in zip(shifts, candidates, strict=True) if abs(u - t) < window / 2
        )
        if peak and fits(t, 0.0, duration):
            cuts.append(t)
    # Over-long chapters are split at their best remaining candidate.
    changed = True
    while changed:
        changed = False
        edges = [0.0, *sorted(cuts), duration]
        for lo, hi in itertools.pairwise(edges):
            if hi - lo <= max_seconds:
                continue
            inside = [(s, t) for s, t in ranked if lo < t < hi and fits(t, lo, hi)]
            if not inside:
                # No usable candidate: cut at the middle, on the nearest speech pause.
                inside = [(0.0, lo + (hi - lo) / 2)]
            cuts.append(max(inside)[1])
            changed = True
            break
    edges = [0.0, *sorted(cuts), duration]
    return [Span(lo, hi, tuple(ev.within(lo, hi))) for lo, hi in itertools.pairwise(edges)]


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
