"""Spoken sentences: transcript segments joined and split again at sentence ends.

Speech recognisers cut their output where the audio pauses, not where sentences end: one
segment may hold the end of a sentence and the start of the next ("...the lamp. It was lit"),
and a long sentence may run over two segments. Anything quoted from a transcript must be a
whole sentence, so the segments are read as one stream of timed words and cut again: after a
word ending a sentence (``.``, ``!``, ``?``, ``…``) when the next word starts a new one, at a
silence of :data:`PAUSE` seconds or more (not after a lone word the recogniser carries on in
lower case: its time slipped, and it is moved to just before the words it begins), and (in
run-on speech) at the longest pause of a stretch longer than :data:`MOST_WORDS` words. Each
sentence keeps the time of its first and last words. A segment without word times is kept as
it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

PAUSE = 1.6
"""Seconds of silence between two words that end a sentence even without a full stop."""
MOST_WORDS = 45
"""Longest sentence (words) before a run-on is cut at its longest pause."""
RUN_ON = 22
"""Words from which a sentence joined by commas is read as a run-on."""
CLAUSE = 6
"""Fewest words on each side of a comma where a run-on is cut."""
COMMA_PAUSE = 0.3
"""Seconds of silence after a comma that can end a run-on sentence."""
LONG_COMMA_PAUSE = 1.0
"""Seconds of silence after a comma that end a sentence of any length (between whole clauses
of :data:`CLAUSE` words): recognisers join two sentences said a breath apart with a comma
("... by the harbour company, a ticket costs ..."), and a pause this long is no comma's."""

_CLOSERS = "'\"\u201d\u2019)]"
"""Quotes and brackets that may follow a sentence's last mark."""
_OPENERS = "'\"\u201c\u2018([\u00bf\u00a1"
_END = re.compile("[.!?\u2026\u3002\uff01\uff1f][" + re.escape(_CLOSERS) + "]*$")
_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "st", "prof", "vs", "etc", "e.g", "i.e", "approx", "no", "fig"]
)
"""Words whose full stop does not end a sentence."""


@dataclass(frozen=True)
class TimedWord:
    """A recognised word and its time in seconds."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Sentence:
    """A spoken sentence: ``start``/``end`` seconds, its ``text``, and the ids of the
    transcript segments it was cut from (in order)."""

    start: float
    end: float
    text: str
    sources: tuple[str, ...] = ()


def _ends(word: str, following: str | None) -> bool:
    if not _END.search(word):
        return False
    bare = word.lower().rstrip(".!?\u2026" + _CLOSERS)
    if bare in _ABBREVIATIONS or (len(bare) == 1 and bare.isalpha()):
        return False  # "Dr. Smith", "J. Austen"
    if following is None:
        return True
    first = following.lstrip(_OPENERS)[:1]
    return not first.islower()


def _join(words: Sequence[TimedWord]) -> str:
    text = " ".join(w.text.strip() for w in words if w.text.strip())
    # Recognisers split "twenty-nine" and "it's" into pieces: glue them back.
    text = re.sub(r"\s+(?=-\w|'\w|\u2019\w)", "", text)
    return re.sub(r"\s+([,.;:!?\u2026])", r"\1", text).strip()


def _cut_long(words: list[TimedWord]) -> list[list[TimedWord]]:
    """A run-on split: at a comma followed by a pause (recognisers often join sentences with
    a comma: :data:`COMMA_PAUSE` in a sentence of :data:`RUN_ON` words or more,
    :data:`LONG_COMMA_PAUSE` in any) when both sides are whole clauses of :data:`CLAUSE` words
    or more, then at its longest pauses until no piece is longer than :data:`MOST_WORDS`."""
    enough = COMMA_PAUSE if len(words) >= RUN_ON else LONG_COMMA_PAUSE
    joins = [
        (words[i + 1].start - words[i].end, i)
        for i in range(CLAUSE - 1, len(words) - CLAUSE)
        if words[i].text.rstrip().endswith(",") and words[i + 1].start - words[i].end >= enough
    ]
    if joins:
        _, at = max(joins)
        return _cut_long(words[: at + 1]) + _cut_long(words[at + 1 :])
    if len(words) <= MOST_WORDS:
        return [words]
    lo, hi = len(words) // 4, len(words) - len(words) // 4
    gaps = [(words[i + 1].start - words[i].end, i) for i in range(lo, hi)]
    commas = [(g + (1.0 if words[i].text.rstrip().endswith((",", ";", ":")) else 0.0), i)
              for g, i in gaps]  # fmt: skip
    _, at = max(commas)
    return _cut_long(words[: at + 1]) + _cut_long(words[at + 1 :])


def split_sentences(
    segments: Sequence[tuple[str, float, float, str, Sequence[TimedWord]]],
    *,
    pause: float = PAUSE,
) -> list[Sentence]:
    """Sentences of a transcript given as ``(segment id, start, end, text, words)`` in time
    order, cut at silences of ``pause`` seconds or more (:data:`PAUSE`: for quoting; a reel
    cuts at shorter ones)."""
    stream: list[tuple[TimedWord, str]] = []
    out: list[Sentence] = []
    for sid, start, end, text, words in segments:
        usable = [w for w in words if w.text.strip()]
        if not usable:
            # No word times: the segment stands as it is, between whatever came before it
            # and whatever comes after.
            out += _flush(stream, pause)
            stream = []
            if text.strip():
                out.append(Sentence(start, end, text.strip(), (sid,)))
            continue
        stream += [(w, sid) for w in usable]
    out += _flush(stream, pause)
    return out


def segment_sentences(segments: Iterable[Any], *, pause: float = PAUSE) -> list[Sentence]:
    """:func:`split_sentences` of transcript segments as stored (anything with ``start``,
    ``end``, ``text``, ``data["words"]``: ``[{"word", "start", "end"}]`` and an ``id``, else
    its position), in time order. A segment whose word times cannot be read, or without
    them, is kept whole; a word that ends before it starts is left out."""
    rows = []
    for n, segment in enumerate(segments):
        words: list[TimedWord] = []
        for w in (getattr(segment, "data", None) or {}).get("words") or []:
            try:
                word = TimedWord(str(w.get("word", "")), float(w["start"]), float(w["end"]))
            except (KeyError, TypeError, ValueError, AttributeError):
                words = []
                break
            if word.end >= word.start:
                words.append(word)
        sid = str(getattr(segment, "id", n))
        rows.append((sid, float(segment.start), float(segment.end), str(segment.text), words))
    rows.sort(key=lambda r: (r[1], r[2]))
    return split_sentences(rows, pause=pause)


def _flush(stream: list[tuple[TimedWord, str]], longest: float) -> list[Sentence]:
    pieces: list[list[tuple[TimedWord, str]]] = []
    current: list[tuple[TimedWord, str]] = []
    for i, (word, sid) in enumerate(stream):
        following = stream[i + 1][0] if i + 1 < len(stream) else None
        pause = following.start - word.end if following is not None else 0.0
        if (
            pause >= PAUSE
            and not current
            and following is not None
            and following.text.strip().lstrip(_OPENERS)[:1].islower()
        ):
            # One word, then a long pause, then words the recogniser carries on in lower
            # case: its time slipped (the first word of a segment is often stamped at the
            # segment's start: "Go" 2.4 s before "forward 10 meters."). It is said just
            # before the words it begins.
            word = TimedWord(word.text, following.start - (word.end - word.start), following.start)
            pause = 0.0
        current.append((word, sid))
        ends = following is None or _ends(word.text.strip(), following.text.strip())
        if ends or pause >= longest:
            pieces.append(current)
            current = []
    if current:
        pieces.append(current)
    out = []
    for piece in pieces:
        words = [w for w, _ in piece]
        by_word = {id(w): s for w, s in piece}
        for part in _cut_long(words):
            text = _join(part).rstrip(",;:")
            if not text:
                continue
            sources = tuple(dict.fromkeys(by_word[id(w)] for w in part))
            out.append(Sentence(part[0].start, max(part[-1].end, part[0].start), text, sources))
    return out


__all__ = [
    "MOST_WORDS",
    "PAUSE",
    "Sentence",
    "TimedWord",
    "segment_sentences",
    "split_sentences",
]
