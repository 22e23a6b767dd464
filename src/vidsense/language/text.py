"""Small text tools for writing: words, keyphrases, sentences, times and lists as people read
them. Deterministic and dependency-free."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from vidsense.words import STOPWORDS


def _split(text: str) -> list[str]:
    return text.split()


QUESTION_WORDS = frozenset(
    _split(
        """
    video clip film footage movie show shown shows showing mention mentioned mentions
    mentioning talk talks talked talking speaker speakers narrator say said says tell
    tells told appear appears appeared happen happens happened anyone someone somebody
    anything something there where when what who why how which does did do is are was were
    discussed discuss discusses describe described
    """
    )
)
"""Words a question about a video uses that say nothing about what is asked for."""

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-]*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, apostrophes kept (``"don't"``)."""
    return [w.lower().strip("'-") for w in _WORD.findall(text) if w.strip("'-")]


def stem(word: str) -> str:
    """A light suffix stripper, enough to match "lighthouses" with "lighthouse"."""
    w = word.lower()
    for suffix, keep in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            return w[: -len(suffix)] + keep
    return w


def content_terms(text: str) -> set[str]:
    """Stemmed words of ``text`` that carry meaning (no stop words, no question words)."""
    return {
        stem(w)
        for w in words(text)
        if w not in STOPWORDS and w not in QUESTION_WORDS and (len(w) > 2 or w.isdigit())
    }


def sentences(text: str) -> list[str]:
    """``text`` split at sentence ends."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


_TIME_CODE = re.compile(r"\b\d{1,2}(?::\d{2}){1,2}(?:\s?[.,]\d+)?\b")


def noise(text: str) -> bool:
    """Whether on-screen ``text`` carries no words: digits, time codes and counters of test
    patterns, stray characters (fewer than three letters once time codes are dropped)."""
    letters = [c for c in _TIME_CODE.sub(" ", text) if c.isalpha()]
    return len(letters) < 3


LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "sv": "Swedish", "da": "Danish", "no": "Norwegian",
    "fi": "Finnish", "pl": "Polish", "cs": "Czech", "ru": "Russian", "uk": "Ukrainian",
    "tr": "Turkish", "el": "Greek", "ar": "Arabic", "he": "Hebrew", "hi": "Hindi",
    "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "vi": "Vietnamese", "id": "Indonesian",
    "th": "Thai", "ro": "Romanian", "hu": "Hungarian", "ca": "Catalan",
}  # fmt: skip
"""English names of the languages speech is most often recognised in (ISO 639-1 codes);
others are named by their code."""


def language_name(code: str) -> str:
    """``"German"`` for ``"de"``; the code itself for a language not listed."""
    return LANGUAGE_NAMES.get(code.split("-")[0].lower(), code)


def as_sentence(text: str) -> str:
    """``text`` with a capital first letter and a closing full stop."""
    t = " ".join(text.split()).strip()
    if not t:
        return t
    t = t[0].upper() + t[1:]
    return t if t[-1] in ".!?\"'" else t + "."


def spoken_list(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [p for p in parts if p]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def short_list(parts: Sequence[str], limit: int, more: str = "More") -> str:
    """:func:`spoken_list` of ``parts`` when it is at most ``limit`` characters long; else the
    most leading parts (at least two) that fit, followed by "and ``more``": ``a, b and More``."""
    items = [p for p in parts if p]
    whole = spoken_list(items)
    if len(whole) <= limit or len(items) <= 2:
        return whole
    for n in range(len(items) - 1, 2, -1):
        text = f"{', '.join(items[:n])} and {more}"
        if len(text) <= limit:
            return text
    return f"{', '.join(items[:2])} and {more}"


def title_case(phrase: str) -> str:
    """Capitalise each word longer than three letters (and the first), keep acronyms."""
    out = []
    for i, w in enumerate(phrase.split()):
        if w.isupper() and len(w) > 1:
            out.append(w)
        elif i == 0 or len(w) > 3:
            out.append(w[:1].upper() + w[1:])
        else:
            out.append(w)
    return " ".join(out)


def _grams(text: str, max_words: int) -> dict[str, str]:
    """Candidate phrases of ``text``: stemmed key -> the words as written."""
    found: dict[str, str] = {}
    for chunk in re.split(r"[.!?;:,()\"]+", text):
        toks = _WORD.findall(chunk)
        low = [t.lower().strip("'-") for t in toks]
        for n in range(1, max_words + 1):
            for i in range(len(low) - n + 1):
                gram = low[i : i + n]
                if gram[0] in STOPWORDS or gram[-1] in STOPWORDS:
                    continue
                if any(g in QUESTION_WORDS for g in gram):
                    continue
                if any(len(g) < 3 and not g.isdigit() for g in (gram[0], gram[-1])):
                    continue
                if any(g.isdigit() for g in gram):
                    continue
                found.setdefault(" ".join(stem(g) for g in gram), " ".join(toks[i : i + n]))
    return found


def keyphrases(
    texts: Iterable[tuple[str, float]],
    *,
    limit: int = 8,
    max_words: int = 3,
    background: Sequence[str] = (),
) -> list[str]:
    """The phrases that best say what ``texts`` are about, best first.

    ``texts`` are ``(text, weight)`` pairs (weight: how central or prominent the text is). A
    candidate is a run of 1-``max_words`` words with no stop word at either end and no
    sentence break inside. Its score is the summed weight of the texts it appears in, times its
    inverse document frequency over ``background`` (the video cut into parts: a phrase found in
    every part says nothing about any one of them, and scores zero). A phrase of several words
    must appear in two texts. A
    phrase that shares half its words with a better one is dropped, and so is one scoring
    under 30% of the best.
    """
    df: Counter[str] = Counter()
    for text in background:
        df.update(_grams(text, max_words).keys())
    n_docs = max(len(background), 1)
    score: dict[str, float] = {}
    count: Counter[str] = Counter()
    surface: dict[str, Counter[str]] = {}
    for text, weight in texts:
        for key, written in _grams(text, max_words).items():
            idf = math.log(n_docs / max(df.get(key, 0), 1)) if n_docs > 1 else 1.0
            score[key] = score.get(key, 0.0) + weight * idf * (1.0 + 0.25 * key.count(" "))
            count[key] += 1
            surface.setdefault(key, Counter())[written] += 1
    chosen: list[str] = []
    chosen_terms: list[set[str]] = []
    ranked = sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))
    top = ranked[0][1] if ranked else 0.0
    for key, value in ranked:
        if value <= 0 or value < 0.3 * top:
            break
        if " " in key and count[key] < 2:
            continue
        terms = set(key.split())
        if any(len(terms & c) * 2 >= min(len(terms), len(c)) for c in chosen_terms):
            continue
        chosen_terms.append(terms)
        chosen.append(surface[key].most_common(1)[0][0])
        if len(chosen) >= limit:
            break
    return chosen


def hashtag(phrase: str) -> str:
    """``#CamelCase`` of a phrase (letters and digits only)."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", phrase) if p]
    return "#" + "".join(p[:1].upper() + p[1:].lower() if not p.isupper() else p for p in parts)
