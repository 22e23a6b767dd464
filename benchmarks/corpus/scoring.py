"""How answers are judged against the corpus labels: simple, stated rules.

- Text is compared after normalising (accents, case and punctuation dropped, ``5,500`` read as
  ``5500``) and lemmatising each word (WordNet's morphology from Debian's ``wordnet-base`` when
  installed, else plural suffix rules), so "tent stakes" matches "stake" and "fünf" "funf".
- An answer is right when every group of expected alternatives has one alternative in it (as a
  whole phrase) and it is not a refusal; a refusal is "not in the video" or an equivalent.
- A topic is covered by a text when one of its keywords (or synonyms) is in it.
- A gist topic is bad when it holds a number or time, is written in capitals as captions are,
  is one word that WordNet tags mostly as something else than a noun (under half as often as
  a noun as as a verb or adjective: "add", "stir", "flat"; gerunds such as "cooking" pass),
  or is a stop word or a single letter.
- Boundaries (chapter starts, cuts) match one to one, nearest first, within a tolerance.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

WORDNET = Path("/usr/share/wordnet")
"""Debian ``wordnet-base``: WordNet 3.0 index and exception files."""

_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand million first second third"
)
NUMBER_WORDS = frozenset(_NUMBERS.split())
_STOPS = (
    "a an the and or but of to in on at for with from by about as is are was were be been it "
    "this that these those there here you your we our they their he she his her its i me my "
    "so if then than not no yes do does did can will just very also into over under up down "
    "out more most some any all each every what which who how when where why"
)
STOP_WORDS = frozenset(_STOPS.split())

REFUSAL = re.compile(
    r"\bnot in (?:the|this) video\b|\b(?:does not|doesn't|did not|didn't) "
    r"(?:say|show|mention|contain|cover|include)\b|\bno (?:mention|information)\b"
    r"|\b(?:could not|couldn't|cannot|can't) (?:find|see)\b|\bis not (?:mentioned|said|shown)\b"
)
UNSUPPORTED = re.compile(
    r"\b(?:cannot|can't|can not|unable|not able|do not|don't|does not|doesn't) "
    r"(?:generate|create|make|produce|draw|render|add|dub|translate|edit|synthesi[sz]e|read|"
    r"continue|write|show|support|do)\b|\bnot supported\b|\bisn't supported\b"
    r"|\b(?:needs?|requires?) (?:a |an )?(?:language model|llm|model|tool|generator)\b"
    r"|\bonly (?:answer|describe|summari[sz]e|search|report|work)\b"
)
TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\b")
BULLET = re.compile("^\\s*[-*\u2022\u25cf\u25aa\u2023\u2013]\\s+(?!\\[)")
NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+")
HASHTAG = re.compile(r"#\w+")
CHECKBOX = re.compile(r"^\s*(?:[-*]\s*)?(?:\[[ xX✓✔]?\]|☐|☑|☒|□|✅|✔|✓)\s*")


# -- words -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lexicon:
    """WordNet's lemmas per part of speech (with tagged-sense counts) and exception lists."""

    counts: dict[str, dict[str, int]]
    """part of speech (``n v a r``) -> lemma -> how often its senses were tagged in SemCor."""
    exceptions: dict[str, dict[str, str]]


@cache
def lexicon() -> Lexicon | None:
    """WordNet from Debian's ``wordnet-base``, or ``None`` when it is not installed."""
    names = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
    if not all((WORDNET / f"index.{name}").is_file() for name in names.values()):
        return None
    counts: dict[str, dict[str, int]] = {}
    exceptions: dict[str, dict[str, str]] = {}
    for pos, name in names.items():
        table: dict[str, int] = {}
        for line in (WORDNET / f"index.{name}").read_text(errors="replace").splitlines():
            if line.startswith(" "):
                continue
            fields = line.split()
            pointers = int(fields[3])
            table[fields[0]] = int(fields[5 + pointers])
        counts[pos] = table
        exc: dict[str, str] = {}
        path = WORDNET / f"{name}.exc"
        if path.is_file():
            for line in path.read_text(errors="replace").splitlines():
                parts = line.split()
                if len(parts) >= 2:
                    exc.setdefault(parts[0], parts[1])
        exceptions[pos] = exc
    return Lexicon(counts, exceptions)


_RULES = {
    "n": [
        ("ses", "s"),
        ("xes", "x"),
        ("zes", "z"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("men", "man"),
        ("ies", "y"),
        ("s", ""),
    ],
    "v": [
        ("ies", "y"),
        ("es", "e"),
        ("es", ""),
        ("ed", "e"),
        ("ed", ""),
        ("ing", "e"),
        ("ing", ""),
        ("s", ""),
    ],
    "a": [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
}


def base_forms(word: str, pos: str) -> list[str]:
    """WordNet lemmas ``word`` may be an inflection of, as part of speech ``pos``."""
    lex = lexicon()
    if lex is None:
        return []
    found = []
    if word in lex.exceptions[pos]:
        found.append(lex.exceptions[pos][word])
    if word in lex.counts[pos]:
        found.append(word)
    for suffix, ending in _RULES.get(pos, []):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            stem = word[: -len(suffix)] + ending
            if stem in lex.counts[pos]:
                found.append(stem)
    return found


@cache
def lemma(word: str) -> str:
    """One canonical form of ``word``: its noun lemma, else verb, else adjective lemma, else
    the word with a plural ``s`` dropped."""
    if lexicon() is not None:
        for pos in ("n", "v", "a"):
            forms = base_forms(word, pos)
            if forms:
                return min(forms, key=len)
        return word
    for suffix, ending in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("xes", "x")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + ending
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def plain(text: str) -> str:
    """``text`` without accents, lower case, with thousands separators dropped."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("ß", "ss").replace("\u2019", "'")
    return re.sub(r"(?<=\d)[,  ](?=\d{3}\b)", "", text)


def tokens(text: str) -> list[str]:
    """``text`` as lemmatised words (see :func:`plain` and :func:`lemma`); numbers without
    leading zeros ("07:15" says 7 15)."""
    found = re.findall(r"[a-z0-9]+", plain(text).replace("'s ", " "))
    return [(w.lstrip("0") or "0") if w.isdigit() else lemma(w) for w in found]


def has_phrase(text_tokens: Sequence[str], phrase: str) -> bool:
    """Whether the lemmatised ``phrase`` occurs in ``text_tokens`` as consecutive words."""
    want = tokens(phrase)
    if not want:
        return False
    n = len(want)
    if any(list(text_tokens[i : i + n]) == want for i in range(len(text_tokens) - n + 1)):
        return True
    # One word written as two or three, or the other way round: recognisers write compounds
    # either way ("tre mila" for "tremila", "Springtides" for "spring tides").
    joined = "".join(want)
    return any(
        "".join(text_tokens[i : i + k]) == joined
        for k in range(1, COMPOUND_WORDS + 1)
        for i in range(len(text_tokens) - k + 1)
        if k != n and all(len(t) >= COMPOUND_PART for t in text_tokens[i : i + k])
    )


COMPOUND_WORDS = 3
"""Most words a compound may be written as (:func:`has_phrase`)."""
COMPOUND_PART = 3
"""Fewest letters of each word a compound is written as ("of ten" is not "often")."""


def mentions(text: str, phrases: Iterable[str]) -> bool:
    """Whether ``text`` holds any of ``phrases``."""
    have = tokens(text)
    return any(has_phrase(have, p) for p in phrases)


# -- answers ---------------------------------------------------------------------------------


def is_refusal(answer: str) -> bool:
    """Whether ``answer`` says the video does not hold it ("That is not in the video")."""
    return bool(REFUSAL.search(plain(answer)))


def says_unsupported(answer: str) -> bool:
    """Whether ``answer`` says the request is beyond what vidsense does."""
    return bool(UNSUPPORTED.search(plain(answer)))


def answered(answer: str, groups: Sequence[Sequence[str]]) -> bool:
    """Whether ``answer`` holds one alternative of every group and is not a refusal."""
    if is_refusal(answer):
        return False
    have = tokens(answer)
    return all(any(has_phrase(have, alt) for alt in group) for group in groups)


def sentences(text: str) -> list[str]:
    """``text`` split into sentences (lines of a list count as sentences too)."""
    parts: list[str] = []
    for line in text.splitlines():
        parts += re.split(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]*[A-Z0-9¿¡])", line.strip())
    return [p for p in parts if re.search(r"[A-Za-z]", p)]


def words(text: str) -> int:
    return len(re.findall(r"[\w'-]+", text))


def lines_like(text: str, pattern: re.Pattern[str]) -> int:
    return sum(1 for line in text.splitlines() if pattern.search(line))


def followed(answer: str, kind: str, n: int, about: Sequence[str], avoid: Sequence[str]) -> bool:
    """Whether ``answer`` follows an instruction of ``kind`` (see ``spec.Instruction``)."""
    if kind == "unsupported":
        return says_unsupported(answer) and not is_refusal(answer)
    if is_refusal(answer) or not answer.strip():
        return False
    if kind == "sentences":
        return 1 <= len(sentences(answer)) <= n
    if kind == "words":
        return 1 <= words(answer) <= n
    if kind == "bullets":
        return lines_like(answer, BULLET) >= n
    if kind == "numbered":
        return lines_like(answer, NUMBERED) >= n
    if kind == "checklist":
        return lines_like(answer, CHECKBOX) >= n
    if kind == "table":
        return lines_like(answer, TIME) >= n
    if kind == "focus":
        return mentions(answer, about) and not mentions(answer, avoid)
    if kind == "title":
        return len(answer.strip().splitlines()) == 1 and 1 <= words(answer) <= n
    if kind == "hashtags":
        return lines_like(answer, HASHTAG) == 1 and len(HASHTAG.findall(answer)) >= n
    if kind == "hashtag list":  # one hashtag a line, as a list
        lines = [line for line in answer.splitlines() if line.strip()]
        return len(lines) >= n and all(re.fullmatch(r"\s*[-*]\s*#\w+\s*", x) for x in lines)
    if kind == "answered":  # (what a video says may itself read "does not make ...")
        return not re.match(r"I (?:can't|cannot)\b", answer)
    raise ValueError(f"unknown instruction kind {kind!r}")


# -- gist --------------------------------------------------------------------------------------


def covered(text: str, keywords: Sequence[str]) -> bool:
    """Whether a topic (its ``keywords``) is named in ``text``."""
    return mentions(text, keywords)


def bad_topic(topic: str) -> str:
    """Why ``topic`` is not a good topic (``number``, ``caption``, ``not a noun``,
    ``fragment``), or ``""``."""
    words_in = re.findall(r"[^\W_]+", topic)
    if not words_in:
        return "fragment"
    if TIME.search(topic) or any(w.isdigit() or plain(w) in NUMBER_WORDS for w in words_in):
        return "number"
    letters = [c for c in topic if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return "caption"
    if len(words_in) == 1:
        word = plain(words_in[0])
        if len(word) <= 2 or word in STOP_WORDS:
            return "fragment"
        lex = lexicon()
        if lex is not None:
            best: dict[str, int] = {}
            for pos in ("n", "v", "a", "r"):
                for form in base_forms(word, pos) if pos != "r" else [word]:
                    best[pos] = max(best.get(pos, -1), lex.counts[pos].get(form, -1))
            known = {p: c for p, c in best.items() if c >= 0}
            others = max((c for p, c in known.items() if p != "n"), default=0)
            if known and "n" not in known:
                return "not a noun"
            gerund = word.endswith("ing") and "n" in known
            if "n" in known and not gerund and 2 * known["n"] < others:
                return "not a noun"
    return ""


# -- times -----------------------------------------------------------------------------------


def match_times(found: Sequence[float], truth: Sequence[float], within: float) -> int:
    """How many ``truth`` times have their own ``found`` time within ``within`` seconds
    (one to one, closest pairs first)."""
    pairs = sorted(
        (abs(f - t), i, j)
        for i, f in enumerate(found)
        for j, t in enumerate(truth)
        if abs(f - t) <= within
    )
    used_f: set[int] = set()
    used_t: set[int] = set()
    for _, i, j in pairs:
        if i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
    return len(used_t)


@dataclass
class Tally:
    """True positives, false positives and false negatives, summed over videos."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, found: int, truth: int, hits: int) -> None:
        self.tp += hits
        self.fp += found - hits
        self.fn += truth - hits

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else 1.0


def is_noise(text: str) -> bool:
    """Whether a search hit's text carries no words: digits, time codes, one character."""
    stripped = TIME.sub(" ", text)
    letters = re.findall(r"[^\W\d_]", stripped)
    return len(letters) <= 1


__all__ = [
    "Tally",
    "answered",
    "bad_topic",
    "covered",
    "followed",
    "is_noise",
    "is_refusal",
    "match_times",
    "mentions",
    "says_unsupported",
    "sentences",
    "tokens",
]
