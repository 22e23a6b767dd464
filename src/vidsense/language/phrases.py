"""Noun phrases: what topics, hashtags and titles are made of.

A topic is a thing, so topics are noun phrases: for English, the noun chunks of spaCy's small
English pipeline (:mod:`vidsense.models.nlp`) with their determiners,
possessives, numbers and leading adjectives of degree dropped ("your largest pot" -> "pot",
"two cloves of garlic" -> "cloves of garlic" -> head "garlic"). Without the model (or for other
languages) a phrase is a run of words that are not function words, with no verb WordNet knows
better as a verb than as a noun at its edges; the writer logs once that the model is missing.

:func:`generalise` merges phrases with WordNet (Debian ``wordnet-base``): nouns that share a
close, specific hypernym are named by it ("spaghetti" and "noodles" are both "pasta").
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from vidsense.errors import ModelNotInstalled
from vidsense.models.nlp import open_pipeline
from vidsense.words import STOPWORDS, WORD, lemma, plain, wordnet

log = logging.getLogger(__name__)


def _list(text: str) -> list[str]:
    return text.split()


_DROP_FIRST = frozenset(
    _list(
        "a an the this that these those my your his her its our their some any every each all "
        "no another other such what which whose few many much several more most less least own "
        "same whole first second third last next previous new old good great little big small "
        "large largest biggest best main quick simple easy short long"
    )
)
"""Words dropped from the start of a noun phrase ("your largest pot" -> "pot")."""
_GENERIC = frozenset(
    _list(
        "thing things way ways part parts kind sort lot lots bit time times one ones people "
        "someone something anything everything nothing video videos today end start side "
        "top bottom front back minute minutes second seconds hour hours day days week weeks "
        "year years step steps number numbers place moment"
    )
)
"""Nouns too vague to be a topic on their own."""
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Phrase:
    """A noun phrase as written (``text``) and the lemma of its head noun (``head``)."""

    text: str
    head: str


@cache
def _pipeline() -> Any:
    """spaCy's small English pipeline, or None when it is not installed (logged once)."""
    try:
        return open_pipeline()
    except ModelNotInstalled as e:
        log.warning("topics are read without a part-of-speech tagger: %s", e)
        return None


def tagger_installed() -> bool:
    """Whether noun phrases come from spaCy (else from the fallback rules)."""
    return _pipeline() is not None


def _clean(words: list[str]) -> list[str]:
    while words and (words[0].lower() in _DROP_FIRST or words[0].lower() in STOPWORDS
                     or any(c.isdigit() for c in words[0])):  # fmt: skip
        words = words[1:]
    while words and (words[-1].lower() in STOPWORDS or any(c.isdigit() for c in words[-1])):
        words = words[:-1]
    return words


def noun_phrases(texts: Sequence[str], english: bool = True) -> list[list[Phrase]]:
    """The noun phrases of each of ``texts`` (words as written, lower case unless a proper
    name), in order. Each text is parsed once per process (the last :data:`KEPT` are kept)."""
    nlp = _pipeline() if english else None
    if nlp is None:
        return [_fallback(t) for t in texts]
    return [list(chunks) for chunks, _ in _parsed(nlp, texts)]


def subjects_of(texts: Sequence[str]) -> list[str | None]:
    """The subject of each English sentence of ``texts``: the head noun's lemma (lower case)
    of the first clause's subject, ``"it"`` when that is the pronoun, else None (no subject
    a sentence names: "you", "we", a caption without a verb; all None without the model)."""
    nlp = _pipeline()
    if nlp is None:
        return [None for _ in texts]
    return [subject for _, subject in _parsed(nlp, texts)]


def _parsed(nlp: Any, texts: Sequence[str]) -> list[tuple[list[Phrase], str | None]]:
    """Noun phrases and subject of each text, each text parsed once per process (the last
    :data:`KEPT` are kept)."""
    with _LOCK:
        new = list(dict.fromkeys(t for t in texts if t not in _PARSED))
        for text, doc in zip(
            new, nlp.pipe([_readable(t) for t in new], batch_size=32), strict=True
        ):
            _PARSED[text] = (_chunks(doc), _subject(doc))
            while len(_PARSED) > KEPT:
                _PARSED.pop(next(iter(_PARSED)))
        out = []
        for t in texts:
            if t not in _PARSED:  # parsed and dropped again by a text of the same batch
                doc = nlp(_readable(t))
                out.append((_chunks(doc), _subject(doc)))
            else:
                out.append(_PARSED[t])
        return out


KEPT = 20000
"""Texts whose noun phrases are kept (parsing is the cost; a text is short)."""
_PARSED: dict[str, tuple[list[Phrase], str | None]] = {}


def _subject(doc: Any) -> str | None:
    """The head of the first sentence's subject (see :func:`subjects_of`)."""
    for sentence in doc.sents:
        for token in sentence.root.children:
            if token.dep_ in ("nsubj", "nsubjpass"):
                if token.lower_ == "it":
                    return "it"
                return token.lemma_.lower() if token.pos_ == "NOUN" else None
        return None
    return None


_MACHINE = re.compile(r"[@~$/\\|<>{}=#_]|:\S")
"""Characters that words do not hold but prompts, paths and addresses on screens do."""


def _chunks(doc: Any) -> list[Phrase]:
    """The noun phrases of a parsed text."""
    found: list[Phrase] = []
    for chunk in doc.noun_chunks:
        root = chunk.root
        if root.pos_ not in ("NOUN", "PROPN") or any(t.like_num for t in chunk):
            continue  # "forty five degrees" is a quantity, not a topic
        if any(_MACHINE.search(t.text) for t in chunk):
            continue  # a prompt, path or address read off a screen: "user@host:~$"
        words = _clean([t.text for t in chunk if not (t.is_punct or t.like_num)])
        if not words:
            continue
        text = " ".join(words)
        head = root.lemma_.lower() if root.pos_ == "NOUN" else root.text
        if len(words) == 1 and (head.lower() in _GENERIC or _verb(words[0].lower(), wordnet())):
            continue  # a lone word read as a noun that is mostly a verb: "SIMMER 20 MIN"
        found.append(Phrase(text if root.pos_ == "PROPN" else _lower(text), head))
    return found


def subject_words(question: str) -> list[str]:
    """Lemmas of the noun phrase that is the grammatical subject of an English ``question``
    ("how much water does *a cactus* need?": ``["cactus"]``; "where do *tour groups* meet?":
    ``["tour", "group"]``), without its determiners; empty when the subject is a pronoun or a
    wh-word, or no tagger is installed."""
    nlp = _pipeline()
    if nlp is None:
        return []
    with _LOCK:
        doc = nlp(question)
    # The last one: in "how much water does a cactus need?" the tagger may take "water" for
    # a subject too; a question's subject follows its auxiliary.
    found = [t for t in doc if t.dep_ in ("nsubj", "nsubjpass") and t.pos_ in ("NOUN", "PROPN")]
    if not found:
        return []
    token = found[-1]
    return [
        w.lemma_.lower() if w.pos_ == "NOUN" else w.text.lower()
        for w in token.subtree
        if w.pos_ in ("NOUN", "PROPN") and w.i <= token.i
    ]


def names_something(text: str, language: str | None = None) -> bool:
    """Whether on-screen ``text`` names a subject, as a title does ("WILDLIFE", "KAYAK
    TURNS"), where a sign-off ("SEE YOU NEXT TIME", "THE END") does not: in English, it holds
    a noun phrase that is not a vague word; in other languages (``language``, ISO 639-1),
    taken as it is."""
    if not (language or "en").startswith("en"):
        return True
    return heading(text) is not None or bool(noun_phrases([text])[0])


def heading(text: str) -> Phrase | None:
    """A title as one noun phrase when it is one ("OPENING HOURS", "SENSE AND SENSIBILITY":
    at most five words, no verb; leading articles and words like "no" dropped), else None."""
    nlp = _pipeline()
    words = _clean(re.findall(r"[^\W_][^\W_'\-]*", _readable(text)))
    if not words or len(words) > 5:
        return None
    phrase = " ".join(words)
    wn = wordnet()
    if len(words) == 1 and wn is not None:
        # One word has no context for a tagger to read it by ("passwords" alone is tagged a
        # verb, "simmer" a noun): WordNet says whether it is mostly a noun.
        low = words[0].lower()
        noun = wn.morphy(low, "n")
        gerund = len(low) > 5 and low.endswith("ing") and low not in _GENERIC
        if gerund and (noun == low or wn.morphy(low[:-3], "n")):
            # An activity ("Packing", "Cycling", "Kayaking"), as a title of more words is.
            return Phrase(_lower(phrase), low)
        if low in _GENERIC or _verb(low, wn) or (noun is not None and _verb(noun, wn)):
            return None  # "SEE YOU NEXT TIME" is not about time
        if noun is not None:
            return Phrase(_lower(phrase), noun)
    if nlp is None:
        if any(_verb(w.lower(), wn) for w in words):
            return None
        return Phrase(_lower(phrase), lemma(words[-1]))
    with _LOCK:
        doc = nlp(phrase)
    if any(t.pos_ in ("VERB", "AUX") and t.tag_ != "VBG" for t in doc):
        return None  # a verb, except "-ing" forms naming an activity ("cooking pasta")
    nouns = [t for t in doc if t.pos_ in ("NOUN", "PROPN")]
    if not nouns:
        return None
    return Phrase(_lower(phrase), nouns[-1].lemma_.lower())


def _readable(text: str) -> str:
    """Captions in capitals read as sentences (taggers read capitals as proper names)."""
    letters = [c for c in text if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return text.lower()
    return text


def _lower(text: str) -> str:
    return " ".join(w if (w.isupper() and len(w) > 1) else w.lower() for w in text.split())


def _fallback(text: str) -> list[Phrase]:
    """Runs of content words that are not verbs (WordNet) in ``text``, cut at punctuation."""
    wn = wordnet()
    out: list[Phrase] = []
    for chunk in re.split(r"[.,;:!?()\"]+", _readable(text)):
        run: list[str] = []
        for word in [*WORD.findall(chunk), ""]:
            low = word.lower()
            stop = not word or low in STOPWORDS or len(low) < 3 or _verb(low, wn)
            if stop:
                words = _clean(run)
                if words and not (len(words) == 1 and words[0].lower() in _GENERIC):
                    out.append(Phrase(" ".join(words), lemma(words[-1])))
                run = []
            else:
                run.append(word)
    return out


@cache
def _verb_cached(word: str) -> bool:
    wn = wordnet()
    if wn is None:
        return False
    verbs = sum(s.lemmas()[0].count() + 1 for s in wn.synsets(word, "v"))
    nouns = sum(s.lemmas()[0].count() + 1 for s in wn.synsets(word, "n"))
    adjectives = sum(s.lemmas()[0].count() + 1 for s in wn.synsets(word, "a"))
    return bool(max(verbs, adjectives) > nouns)


def _verb(word: str, wn: Any) -> bool:
    return bool(wn is not None and _verb_cached(word))


def is_noun_phrase(text: str) -> bool:
    """Whether ``text`` reads as a noun phrase (its last word is a noun)."""
    found = noun_phrases([text])[0]
    return bool(found) and text.lower().endswith(found[-1].text.lower().split()[-1])


GENERAL_DEPTH = 7
"""The shallowest WordNet hypernym (steps from ``entity``) that still names a subject
("pasta", the dish, is 7 deep; "device" 6, "food" 4, "object" 2)."""


def generalise(heads: Iterable[tuple[str, float]], most: int = 2) -> str | None:
    """A WordNet hypernym (lemma) shared by at least two of ``heads`` (noun lemmas with
    weights), within ``most`` levels above each and (in one of its senses) at least
    :data:`GENERAL_DEPTH` deep, when together they weigh half again the best head alone; else
    None."""
    wn = wordnet()
    if wn is None:
        return None
    weights: dict[str, float] = {}
    for head, weight in heads:
        weights[head] = weights.get(head, 0.0) + weight
    if len(weights) < 2:
        return None
    covers: dict[str, set[str]] = {}
    deepest: dict[str, int] = {}
    for head in weights:
        for synset in wn.synsets(head, "n")[:2]:
            level = [synset]
            for _ in range(most):
                level = [h for s in level for h in s.hypernyms()]
                for h in level:
                    name = plain(h.lemma_names()[0].replace("_", " "))
                    covers.setdefault(name, set()).add(head)
                    deepest[name] = max(deepest.get(name, 0), h.min_depth())
    best: tuple[float, str] | None = None
    for name, found in covers.items():
        if len(found) < 2 or name in weights or deepest[name] < GENERAL_DEPTH:
            continue
        weight = sum(weights[h] for h in found)
        if best is None or weight > best[0]:
            best = (weight, name)
    if best is None or best[0] < max(weights.values()) * 1.5:
        return None
    return best[1]


@cache
def part_of(part: str, whole: str) -> bool:
    """Whether the noun ``part`` names a part of ``whole`` (both lemmas) in WordNet, in one of
    their two commonest senses: a part of the whole itself or of what it is a kind of, up to
    two levels up ("brake" of "bike": a brake is part of a wheeled vehicle, which a bicycle
    is)."""
    wn = wordnet()
    if wn is None or part == whole:
        return False
    holders = {h for s in wn.synsets(part, "n")[:2] for h in s.part_holonyms()}
    if not holders:
        return False
    for synset in wn.synsets(whole, "n")[:2]:
        level = [synset]
        for _ in range(3):
            if holders.intersection(level):
                return True
            level = [h for s in level for h in s.hypernyms()]
    return False


@cache
def commonest(word: str) -> Any | None:
    """The commonest noun sense of ``word`` in WordNet (its first synset); None without one
    or without WordNet."""
    wn = wordnet()
    senses = wn.synsets(word, "n") if wn is not None else []
    return senses[0] if senses else None


CATEGORY_DEPTH = 4
"""The shallowest WordNet class (steps from ``entity``) a question may ask for one of: "animal"
(6), "city" (8), "food" (4); not "part" (3) or "object" (2), of which anything is one."""


def kind_of(word: str, category: str) -> bool:
    """Whether the noun ``word`` names a kind or an instance of ``category`` (both lemmas) in
    WordNet, in its commonest sense and one of the class's two commonest: "marmot" of
    "animal", "Paris" of "city" (not "head", whose second sense is one head of cattle); not
    the class itself, and nothing for a class shallower than :data:`CATEGORY_DEPTH`."""
    if word == category:
        return False
    return not _classes(category).isdisjoint(_above(word))


@cache
def _classes(category: str) -> frozenset[Any]:
    """The two commonest noun senses of ``category`` at least :data:`CATEGORY_DEPTH` deep."""
    wn = wordnet()
    if wn is None:
        return frozenset()
    return frozenset(s for s in wn.synsets(category, "n")[:2] if s.min_depth() >= CATEGORY_DEPTH)


@cache
def _above(word: str) -> frozenset[Any]:
    """Every class above the commonest noun sense of ``word`` (kinds and instances)."""
    sense = commonest(word)
    if sense is None:
        return frozenset()
    return frozenset(sense.closure(lambda s: s.hypernyms() + s.instance_hypernyms()))


def names_kind(text: str, category: str) -> bool:
    """Whether ``text`` names a kind or an instance of ``category`` (:func:`kind_of`)."""
    return any(kind_of(lemma(w.lower()), category) for w in WORD.findall(text))


__all__ = [
    "Phrase",
    "commonest",
    "generalise",
    "heading",
    "is_noun_phrase",
    "kind_of",
    "names_kind",
    "noun_phrases",
    "part_of",
    "subjects_of",
    "tagger_installed",
]
