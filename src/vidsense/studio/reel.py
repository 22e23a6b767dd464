"""Which spans of a video a highlight reel shows: the best highlights, in source order, adding
up to a target duration, with no spoken sentence cut.

Sentences are the transcript's, read as everywhere else (:mod:`vidsense.language.sentences`:
segments joined and cut again at sentence ends) but also cut at a pause of
:data:`SENTENCE_PAUSE` seconds. A clip may start only where no sentence is being
spoken during its first ``crossfade`` seconds (the fade in), and end only where none is spoken
during its last ``crossfade`` seconds (the fade out): so every sentence in the reel is heard
whole, at full volume, and the crossfades fall in the pauses. Highlights are snapped outwards
to such points (a sentence they cut into is finished), taken best first while they fit, the
last one shortened at a sentence boundary, then clips are grown at their edges (into pauses or
by whole sentences) until the reel is the target length, within half a frame when the video
allows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vidsense.language.sentences import Sentence, segment_sentences

SENTENCE_PAUSE = 1.0
"""Seconds of silence between two words that end a sentence even without punctuation."""
MIN_CLIP = 1.5
"""Shortest clip a reel is made of, seconds."""
WORD_SLACK = 0.1
"""Seconds by which a recognised sentence's end may come before its sound does (Whisper's word
ends fall up to about a tenth of a second early): a cut after a sentence keeps this much
further from it."""

Interval = tuple[float, float]


@dataclass(frozen=True)
class Candidate:
    """A span the reel may show, ``start``/``end`` seconds of the source, and how good it is."""

    start: float
    end: float
    score: float = 0.0


def words_of(segments: Iterable[Any]) -> list[tuple[float, float, str]]:
    """``(start, end, word)`` of every word of transcript segments, in time order (anything
    with ``start``, ``end``, ``text`` and ``data["words"]``: ``[{"word", "start", "end"}]``; a
    segment without words counts as one word)."""
    words: list[tuple[float, float, str]] = []
    for segment in segments:
        data: Mapping[str, Any] = getattr(segment, "data", None) or {}
        found = [
            (float(w["start"]), float(w["end"]), str(w.get("word", "")).strip())
            for w in data.get("words") or []
            if float(w["end"]) >= float(w["start"])
        ]
        if not found:
            found = [(float(segment.start), float(segment.end), str(segment.text).strip())]
        words += found
    return sorted(words)


def sentences(segments: Iterable[Any], *, pause: float = SENTENCE_PAUSE) -> list[Sentence]:
    """The sentences of transcript segments, also cut at silences of ``pause`` seconds."""
    return segment_sentences(segments, pause=pause)


def allowed(forbidden: Iterable[Interval], duration: float) -> list[Interval]:
    """``[0, duration]`` less the open intervals ``forbidden``, as sorted closed intervals;
    the two ends of the video are always allowed (nothing is cut there)."""
    free: list[Interval] = [(0.0, duration)]
    for a, b in sorted(forbidden):
        if b <= a:
            continue
        kept: list[Interval] = []
        for lo, hi in free:
            if b <= lo or a >= hi:
                kept.append((lo, hi))
                continue
            if a > lo:
                kept.append((lo, a))
            if b < hi:
                kept.append((b, hi))
        free = kept
    for end in (0.0, duration):
        if not any(lo <= end <= hi for lo, hi in free):
            free.append((end, end))
    return sorted(free)


def snap_down(points: Sequence[Interval], t: float) -> float | None:
    """The latest allowed time at or before ``t``."""
    best: float | None = None
    for lo, hi in points:
        if lo <= t <= hi:
            return t
        if hi < t:
            best = hi
    return best


def snap_up(points: Sequence[Interval], t: float) -> float | None:
    """The earliest allowed time at or after ``t``."""
    for lo, hi in points:
        if lo <= t <= hi:
            return t
        if lo > t:
            return lo
    return None


def cut_points(
    said: Sequence[Sentence], duration: float, crossfade: float
) -> tuple[list[Interval], list[Interval]]:
    """Where a clip may start and where it may end (see the module docstring): ``crossfade``
    seconds clear of speech, and :data:`WORD_SLACK` more after a sentence; with no crossfade
    (cuts at sentence ends, when speech leaves no pause), right at them."""
    slack = WORD_SLACK if crossfade > 0 else 0.0
    starts = allowed(((s.start - crossfade, s.end + slack) for s in said), duration)
    ends = allowed(((s.start, s.end + crossfade + slack) for s in said), duration)
    return starts, ends


def reel_length(spans: Sequence[Interval], crossfade: float) -> float:
    """Seconds a reel of ``spans`` lasts: the clips less the crossfades between them."""
    return sum(b - a for a, b in spans) - crossfade * max(0, len(spans) - 1)


def plan_reel(
    candidates: Sequence[Candidate],
    said: Sequence[Sentence],
    duration: float,
    target: float,
    *,
    crossfade: float = 0.5,
    tolerance: float = 0.01,
    min_clip: float = MIN_CLIP,
) -> list[Interval]:
    """The ``(start, end)`` spans of the reel, in source order (see the module docstring).
    A video no longer than ``target`` is shown whole. When the speech leaves no pause as long
    as a crossfade to cut in, clips are cut at sentence ends instead (the fades then dim a
    sentence's last syllables); only a video that is one unbroken sentence is cut inside it."""
    if target >= duration - tolerance:
        return [(0.0, duration)]
    min_clip = max(min_clip, 2 * crossfade + 0.1)  # room for a fade in and a fade out
    for margin in dict.fromkeys((crossfade, 0.0)):
        spans = _plan(candidates, said, duration, target, crossfade, margin, tolerance, min_clip)
        if spans and reel_length(spans, crossfade) >= min(target, duration) / 2:
            return spans
    best = max(candidates, key=lambda c: c.score, default=Candidate(0.0, duration))
    start = min(max(0.0, best.start), max(0.0, duration - target))
    return [(start, min(duration, start + target))]


def _plan(
    candidates: Sequence[Candidate],
    said: Sequence[Sentence],
    duration: float,
    target: float,
    crossfade: float,
    margin: float,
    tolerance: float,
    min_clip: float,
) -> list[Interval]:
    """:func:`plan_reel` with cut points ``margin`` seconds clear of speech."""
    starts, ends = cut_points(said, duration, margin)
    snapped: list[tuple[float, float, float]] = []
    for c in candidates:
        s, e = snap_down(starts, max(0.0, c.start)), snap_up(ends, min(duration, c.end))
        if s is not None and e is not None and e - s >= min_clip:
            snapped.append((s, e, c.score))
    if not snapped:  # nothing to go on: the start of the video
        snapped = [(0.0, snap_up(ends, min(duration, target)) or duration, 0.0)]

    chosen: list[tuple[float, float, float]] = []
    for s, e, score in sorted(snapped, key=lambda c: (-c[2], c[0])):
        if any(s < ce and cs < e for cs, ce, _ in chosen):
            continue
        used = reel_length([(a, b) for a, b, _ in chosen], crossfade)
        room = target - used + (crossfade if chosen else 0.0)
        if room < min_clip:
            break
        if e - s > room:
            shorter = snap_down(ends, s + room)
            later = snap_up(starts, e - room)
            if shorter is not None and shorter - s >= min_clip:
                e = shorter
            elif later is not None and e - later >= min_clip:
                s = later
            else:
                continue
        chosen.append((s, e, score))
    return _grow(chosen, starts, ends, duration, target, crossfade, tolerance)


def _grow(
    chosen: list[tuple[float, float, float]],
    starts: Sequence[Interval],
    ends: Sequence[Interval],
    duration: float,
    target: float,
    crossfade: float,
    tolerance: float,
) -> list[Interval]:
    """Lengthen the clips (best first) at their edges, without overlapping each other, until
    the reel lasts ``target`` seconds or no edge can move."""
    order = [c[:2] for c in sorted(chosen, key=lambda c: -c[2])]
    spans = sorted(order)
    moved = True
    while moved:
        moved = False
        for wanted in list(order):
            short = target - reel_length(spans, crossfade)
            if short <= tolerance:
                return spans
            i = spans.index(wanted)
            s, e = spans[i]
            limit = spans[i + 1][0] if i + 1 < len(spans) else duration
            end = snap_down(ends, min(e + short, limit))
            if end is not None and end > e + 1e-9:
                short -= end - e
                e = end
            floor = spans[i - 1][1] if i else 0.0
            start = snap_up(starts, max(s - short, floor))
            if start is not None and start < s - 1e-9:
                s = start
            if (s, e) != spans[i]:
                moved = True
                order[order.index(wanted)] = (s, e)
                spans[i] = (s, e)
    return spans
