"""Questions read for what they ask, and evidence ranked by how well it answers them.

A question asks for a kind of answer (:mod:`vidsense.kinds`: a quantity, a duration, a time,
a frequency, a colour, a reason, a place, a person, a manner), read in English, Spanish,
French, German and Italian, so a question in one of them can be read against speech in
another.

A line's fit to a question (:func:`Question.score`) joins three things: the text embedder's
query/passage cosine (multilingual-e5 is trained for exactly this and crosses languages), the
share of the question's content words the line says (lemmatised, with WordNet synonyms, so
"stakes" finds "stake" and "reapplied" finds "reapply"), and whether it holds the kind of
answer asked for. Whether the video answers at all is a threshold on the best line's fit,
chosen on the development split of the quality corpus (``benchmarks/quality.py``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from vidsense.kinds import (
    CURRENCY,
    HEAD_KINDS,
    MOMENT_WORDS,
    MONEY,
    WORD_KINDS,
    YEAR,
    Kind,
    asked_kind,
    asked_noun,
    holds_kind,
)
from vidsense.language.phrases import commonest, kind_of
from vidsense.language.text import LANGUAGE_NAMES, QUESTION_WORDS
from vidsense.models.ocr import similarity
from vidsense.search.relevance import covered
from vidsense.times import ends_asked, times_in
from vidsense.words import (
    MEASURE_UNITS,
    STOPWORDS,
    forms,
    gives_measure,
    lemma,
    plain,
    units_of,
    wordnet,
)


def _list(text: str) -> list[str]:
    return text.split()


RELEVANT = 0.80
"""The fit (see :meth:`Question.score`) from which the best line is taken to answer the
question; below it the video is said not to hold the answer. Chosen on the corpus's
development split."""
LEXICAL = 0.12
"""Weight of the share of the question's content words a line says."""
GENERAL = 400
"""A noun with more kinds than this (two levels down in WordNet: "person", "thing") is too
general for its absence from a video to mean anything."""
KIND = 0.03
"""Added to a line's fit when it holds the kind of answer asked for; taken away when the
question asks for a kind a line's words would show and it has none. Added once more when the
answer follows one of the question's own words (:meth:`Question.bound`)."""
BOUND_SPAN = 3
"""Words after one of the question's own in which an answer counts as bound to it."""
INSTANCE = 0.1
"""Added to a line's fit when it names a kind of the thing the answer must be ("which
*greeting*": "hello"); the embedder rarely sees that. Chosen on the development split."""


def field_words(name: str) -> list[str]:
    """The words of a JSON field's name, lower-cased (``invoiceNumber`` and
    ``invoice_number``: ``["invoice", "number"]``)."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return [w for w in re.split(r"[^a-z0-9]+", snake) if w]


_FIELD_UNITS = frozenset(_list("usd eur gbp jpy chf cad aud pct sec secs ms km cm mm kg lb lbs"))
"""Abbreviated units that end a field's name (``price_usd``, ``length_sec``): how its value is
written, not what it is about (the video says "$12", not "usd"). Whole words stay:
``support_hours`` asks for the hours."""


_UNIT_SIGNS = {"dollar": "$", "euro": "€", "pound": "£", "cent": "¢", "yen": "¥", "percent": "%"}
"""Units a line may write as a sign ("$12" is in dollars)."""


def in_units(text: str, units: set[str]) -> bool:
    """Whether ``text`` gives something in one of ``units`` (lemmas): by name, or by its sign
    ("$12" for dollars)."""
    if units & {lemma(w) for w in tokens(text)}:
        return True
    return any(sign in text for unit, sign in _UNIT_SIGNS.items() if unit in units)


GENERIC_FIELD_WORDS = frozenset({"number", "no", "num", "nr", "id", "code", "value", "amount"})
"""Words of a field name that say what kind of value it is, not what it is about or which
label it follows."""
NUMBER = r"\d[\d,]*(?:\.\d+)?"
"""A number as written ("1,200", "12.50")."""
_AMOUNT = re.compile(
    rf"(?:{CURRENCY.pattern})\s?{NUMBER}"
    rf"|{NUMBER}\s?(?:{'|'.join(sorted(map(re.escape, MONEY), key=len, reverse=True))})\b",
    re.IGNORECASE,
)
"""A sum of money as written: a currency sign or word with its number ("$12", "20 dollars")."""


def value_in(text: str, words: Sequence[str]) -> str | None:
    """The value in ``text`` that a field named by ``words`` asks for, as written: a year for
    a field about a year, an amount of money for a price, cost or fee (or one named in a
    currency), else a number. Of several, the one nearest a word of the field in the text
    ("$12 for adults and $5 for children": ``child_price`` is "$5"), the earlier on a tie;
    None when there is none."""
    asked = set(words)
    if "year" in asked:
        pattern = YEAR
    elif asked & MONEY or any(HEAD_KINDS.get(w) == "price" for w in asked):
        pattern = _AMOUNT
    else:
        pattern = re.compile(NUMBER)
    found = list(pattern.finditer(text))
    if not found:
        return None
    stems = [w[:4] for w in asked if len(w) > 2 and w not in GENERIC_FIELD_WORDS]
    near = [m.start() for m in re.finditer(r"[A-Za-z]+", text) if m.group(0).lower()[:4] in stems]
    if not near:
        return found[0].group(0).strip()
    best = min(found, key=lambda m: (min(abs(m.start() - at) for at in near), m.start()))
    return best.group(0).strip()


def field_question(name: str, description: str = "") -> str:
    """A JSON field read as the question it asks: ``monthly_price`` described "what the plan
    costs per month" is "What is the monthly price? what the plan costs per month" (a
    quantity, by :func:`asked_kind`); a unit in the name is left out (``adult_price_usd``
    asks "What is the adult price?")."""
    words = [w for w in field_words(name) if w not in _FIELD_UNITS] or field_words(name)
    return f"What is the {' '.join(words)}? {description}".strip()


@cache
# -- words -------------------------------------------------------------------------------------


@cache
def related(term: str) -> frozenset[str]:
    """``term`` and its WordNet synonyms (lemmas of its first senses as noun, verb and
    adjective), single words only."""
    wn = wordnet()
    out = {term}
    if wn is None:
        return frozenset(out)
    for pos in ("n", "v", "a"):
        for synset in wn.synsets(term, pos)[:3]:
            for name in synset.lemma_names():
                if "_" not in name:
                    out.add(plain(name))
    return frozenset(out)


MISHEARD = 0.8
"""Spelling similarity (1 - normalised edit distance) from which a word of a line is taken for
the question's word that speech recognition misspelt: "marmat" for "marmot" (0.83)."""
MISHEARD_LETTERS = 6
"""Shortest word compared by spelling: shorter ones are one letter from too many others
("brake", "broke")."""


def misheard(term: str, have: Iterable[str]) -> bool:
    """Whether one of the words ``have`` may be ``term`` misspelt by speech recognition: both
    at least :data:`MISHEARD_LETTERS` letters, the same first letter, and at least
    :data:`MISHEARD` alike in spelling. Only ranks lines: whether a video mentions a thing at
    all is still decided on exact words and synonyms."""
    if len(term) < MISHEARD_LETTERS:
        return False
    return any(
        len(word) >= MISHEARD_LETTERS and word[0] == term[0] and similarity(term, word) >= MISHEARD
        for word in have
    )


_ASKING = frozenset(
    _list(
        """
        far old tall big high deep wide cold warm hot fast heavy long much many often frequently
        time colour color kind sort type name called call happen use used
        """
    )
)
"""Words a question uses to say what kind of answer it wants, not what it is about."""


_LETTERS = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")


def tokens(text: str) -> list[str]:
    """The words of ``text`` in any script, lower-cased (``"child's"`` stays one word)."""
    return [t.replace("\u2019", "'") for t in _LETTERS.findall(text.lower())]


def terms(text: str) -> set[str]:
    """Lemmas of the words of ``text`` that carry meaning (no stop words, no question
    words, no numbers)."""
    return {
        lemma(w)
        for w in tokens(text)
        if w not in STOPWORDS and w not in QUESTION_WORDS and len(w) > 2
    }


def english(text: str) -> bool:
    """Whether ``text`` reads as English: most of its words are English function words or
    known to WordNet (true when WordNet is missing)."""
    wn = wordnet()
    found = tokens(text)
    if wn is None or not found:
        return True
    known = sum(1 for w in found if w in STOPWORDS or w in QUESTION_WORDS or wn.synsets(w))
    return known >= 0.7 * len(found)


# -- questions ---------------------------------------------------------------------------------


_MEASURES = frozenset(
    _list(
        """
        kilometre kilometer km metre meter mile foot feet inch centimetre centimeter millimetre
        kilogram kilo gram pound ounce litre liter gallon euro dollar pound cent degree kelvin
        celsius fahrenheit percent calorie megapixel bar volt watt second minute hour day week
        month year
        """
    )
)
"""Units a question may name ("in kilometres"): the answer must be given in them."""
_HEADLESS = frozenset(
    _list(
        """
        kind sort type way part thing one colour color time day side pressure temperature angle
        size distance weight price cost number amount speed percentage step
        """
    )
)
"""Words after "what"/"which" that say what kind of answer is wanted, not what it is about."""


_NOT_AFTER_NOUN = frozenset(
    _list(
        "the a an at in on to into from with it this that you we they he she his her its their "
        "our your my me us them"
    )
)


_MEASURED = {
    **dict.fromkeys(("far", "farther", "further"), "distance"),
    **dict.fromkeys(("heavy", "heavier"), "weight"),
    **dict.fromkeys(("high", "higher", "tall", "taller"), "height"),
    **dict.fromkeys(("deep", "deeper"), "depth"),
    **dict.fromkeys(("wide", "wider"), "width"),
    **dict.fromkeys(("hot", "hotter", "cold", "colder", "warm", "warmer"), "temperature"),
}
"""The measure a "how ..." question asks for ("how *far*": a distance, "how much *colder*": a
temperature)."""
_MEASURE = re.compile(r"\bhow (?:much )?(" + "|".join(_MEASURED) + r")\b")


def asked_measure(question: str) -> str | None:
    """The measure ``question`` asks for, when its units can show one ("how *far*", "what
    is the colour *temperature*", "at what *angle*"), else None."""
    q = plain(question)
    found = _MEASURE.search(q)
    if found is not None:
        return _MEASURED[found.group(1)]
    named = re.search(r"\b(?:what|which) (\w+)", q)
    if named is not None and named.group(1) in MEASURE_UNITS:  # "at what angle"
        return named.group(1)
    noun = asked_noun(q)  # "what is the colour temperature"
    return noun if noun in MEASURE_UNITS else None


@dataclass
class Question:
    """A question read once: its kind of answer and content words (with their synonyms)."""

    text: str
    kind: Kind = "thing"
    words: set[str] = field(default_factory=set)
    synonyms: dict[str, frozenset[str]] = field(default_factory=dict)

    head: str | None = None
    """The noun the answer must be an instance of ("which *wine*", "how many *calories*",
    "who is the *director*", "the name of the *river*"), when the question names one."""
    units: set[str] = field(default_factory=set)
    """Units the answer must be given in ("in *kilometres*")."""
    source: Literal["speech", "text"] | None = None
    """Where the question says the answer is: ``text`` ("written on the screen", "the
    caption"), ``speech`` ("what does he say"), or anywhere."""
    measure: str | None = None
    """The measure asked for (:func:`asked_measure`): a line giving a number in one of its
    units answers it as a line naming a kind of :attr:`head` does."""

    @classmethod
    def read(cls, text: str) -> Question:
        found = terms(text)
        q = plain(text)
        head = None
        for named in re.finditer(
            r"\b(?:what|which|how many|que|cual|cuales|quale|quali|quel|quelle|quels|quelles|"
            r"welche[rsnm]?)\s+(?:kind of |sort of |type of )?([a-z]+)(?: ([a-z]+))?"
            r"|\bwho (?:is|was|are|were) the (?:first |last |best )?([a-z]+)()"
            r"|\bname of (?:the |a |an )?([a-z]+)()",
            q,
        ):
            groups = named.groups()
            at = next(n for n in (0, 2, 4) if groups[n] is not None)
            word, after = groups[at], groups[at + 1]
            if after in _NOT_AFTER_NOUN:  # "what goes at", "what causes the": a verb
                continue
            noun = _noun_lemma(word)
            if noun and noun not in _HEADLESS and noun not in STOPWORDS:
                # "what *year*", "which *day*", "what *price*": the noun says the kind of
                # answer (a time, a price), given as a value, not as a word naming a year.
                head = None if HEAD_KINDS.get(noun, "thing") != "thing" else noun
                break
        units = {lemma(w) for w in re.findall(r"\bin ([a-z]+)", q)} & _MEASURES
        kind = asked_kind(text)
        if kind == "moment":  # "when does the text OSCAR first appear?": about OSCAR
            found = {t for t in found if t not in MOMENT_WORDS}
        if head is not None and kind == "thing" and _named_kind(head):
            kind = "name"
        shown = bool(re.search(_SHOWN, q))
        spoken = bool(re.search(_SPOKEN, q)) and not shown
        return cls(
            text,
            kind,
            found,
            {t: related(t) for t in found},
            head,
            units,
            "text" if shown else "speech" if spoken else None,
            asked_measure(text) if kind == "quantity" else None,
        )

    def holds(self, text: str) -> bool:
        """Whether ``text`` holds the kind of answer asked for (:func:`holds_kind`) in words
        other than the question's own: "white" does not answer "what colour do photos turn
        without *white* balance?"."""
        own = [w for w in text.split() if lemma(w.strip(".,;:!?\"'()")) in self.words]
        rest = " ".join(w for w in text.split() if w not in own)
        return holds_kind(rest, self.kind)

    def new_in(self, text: str) -> bool:
        """Whether ``text`` says anything beyond the question's own words (a caption "KAYAK
        TURNS" does not answer "how does a kayak turn?"); a negation counts as something."""
        have = terms(text)
        if have & {"no", "not", "never", "none"} or re.search(r"\bno\b|\bnot\b", text.lower()):
            return True
        asked = set().union(*self.synonyms.values()) if self.synonyms else set()
        return bool(have - asked) or any(c.isdigit() for c in text)

    def missing(self, vocabulary: set[str]) -> float:
        """Share (0-1) of the things the question names (its nouns) that the video never
        says or shows, synonyms and kinds included."""
        nouns = [t for t in self.topic if _noun_lemma(t) == t]
        if not nouns:
            return 0.0
        return sum(
            1 for t in nouns if not (kinds_of(t) & vocabulary or self.measured(t, vocabulary))
        ) / len(nouns)

    def measured(self, term: str, vocabulary: set[str]) -> bool:
        """Whether ``term`` is the measure asked for and ``vocabulary`` holds one of its units
        (a video that says "5500 kelvin" speaks of a temperature)."""
        return term == self.measure and bool(units_of(term) & vocabulary)

    def grounded(self, vocabulary: set[str]) -> bool:
        """Whether the noun the answer must be an instance of (:attr:`head`) is in
        ``vocabulary`` (lemmas of what the video says and shows), itself, as a synonym, or
        through a kind of it ("hello" is a greeting); true when the question names none."""
        if self.head is None:
            return True
        kinds = kinds_of(self.head)
        return len(kinds) > GENERAL or bool(kinds & vocabulary)

    @property
    def topic(self) -> set[str]:
        """The content words that say what the question is about (not the words asking for
        a kind of answer: "far", "old", "name")."""
        return {t for t in self.words if t not in _ASKING} or set(self.words)

    def covered(self, vocabulary: set[str]) -> float:
        """Share (0-1) of :attr:`topic` found in ``vocabulary`` (lemmas), synonyms
        included, and the measure asked for when one of its units is."""
        topic = self.topic
        if not topic:
            return 1.0
        found = sum(
            1 for t in topic if self.synonyms[t] & vocabulary or self.measured(t, vocabulary)
        )
        return found / len(topic)

    def said(self, text: str, translations: Mapping[str, frozenset[str]] | None = None) -> float:
        """Share (0-1) of the question's content words that ``text`` says (or a synonym, a
        kind of it: "noodles" for "pasta" (:func:`~vidsense.language.phrases.kind_of`), a
        word recognised with a letter wrong: :func:`misheard`, or, for ``text`` in another
        language, one of the word's ``translations``: :func:`~vidsense.search.relevance.
        covered`)."""
        if not self.words:
            return 0.0
        have = terms(text)
        found = [
            t
            for t in self.words
            if self.synonyms[t] & have
            or misheard(t, have)
            or any(kind_of(h, t) for h in have)  # "noodles" speak of "pasta"
        ]
        share = len(found) / len(self.words)
        if translations:
            rest = set(self.words) - set(found)
            share += covered(rest, text, translations) * len(rest) / len(self.words)
        return share

    def score(
        self, text: str, cosine: float, translations: Mapping[str, frozenset[str]] | None = None
    ) -> float:
        """How well a line of ``text`` whose query/passage cosine with the question is
        ``cosine`` answers it (``translations``: :meth:`said`)."""
        fit = cosine + LEXICAL * self.said(text, translations)
        if self.kind in WORD_KINDS:
            fit += KIND if holds_kind(text, self.kind) else -KIND
            if self.bound(text):  # "photos turn *orange*", not "neutral *gray*" nearby
                fit += KIND
        if self.head is not None and (self.instances() & terms(text) or self.kind_named(text)):
            fit += INSTANCE  # "Hello" to "what greeting is written?"
        elif self.measure is not None and gives_measure(text, self.measure):
            fit += INSTANCE  # "5500 kelvin" to "what is the colour temperature?"
        return fit

    def bound(self, text: str) -> bool:
        """Whether an answer of the asked kind follows one of the question's own words within
        :data:`BOUND_SPAN` words ("photos *turn orange*" for "what colour do photos turn?",
        "bake *for 40 minutes*" for "how long should the cake bake?")."""
        found = text.split()
        own = [lemma(w.strip(".,;:!?\"'()")) in self.words for w in found]
        for n in (n for n, is_own in enumerate(own) if is_own):
            after = [
                w for k, w in enumerate(found[n + 1 : n + 1 + BOUND_SPAN], n + 1) if not own[k]
            ]
            if after and holds_kind(" ".join(after), self.kind):
                return True
        return False

    def kind_named(self, text: str) -> bool:
        """Whether ``text`` names a kind of :attr:`head` by a compound, a noun before it that
        is no adjective and not one of the question's own words: "ANVIL CLOUD" is a kind of
        cloud for "which clouds warn of a thunderstorm?", "tall clouds" only clouds."""
        if self.head is None or len(kinds_of(self.head)) > GENERAL:
            return False
        words = re.findall(r"[a-z]+", plain(text))
        return any(
            lemma(b) == self.head and a not in self.words and _noun_only(a)
            for a, b in itertools.pairwise(words)
        )

    def instances(self) -> frozenset[str]:
        """Kinds of the noun the answer must be an instance of (:attr:`head`), not the noun
        or its synonyms: "hello" for a *greeting*; none for a noun too general to say
        anything (:data:`GENERAL`)."""
        if self.head is None or len(kinds_of(self.head)) > GENERAL:  # "person", "thing"
            return frozenset()
        return kinds_of(self.head) - related(self.head)


@cache
def _noun_only(word: str) -> bool:
    """Whether WordNet knows ``word`` as a noun and never as an adjective ("anvil", not
    "tall" or "white"); false for stop words and without WordNet."""
    wn = wordnet()
    if wn is None or word in STOPWORDS or len(word) < 3:
        return False
    return bool(wn.synsets(word, "n")) and not wn.synsets(word, "a") and not wn.synsets(word, "s")


@cache
def _noun_lemma(word: str) -> str | None:
    """``word`` as a noun lemma when WordNet reads it mainly as a noun, else None."""
    wn = wordnet()
    if wn is None:
        return word
    nouns = forms(word, "n")
    if nouns:
        return min(nouns, key=lambda f: (len(f), f))
    if any(forms(word, pos) for pos in ("v", "a", "r")):
        return None
    # A word WordNet does not know ("megapixels") after "which"/"how many" names a thing.
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


@cache
def _named_kind(noun: str) -> bool:
    """Whether things of kind ``noun`` have names of their own (WordNet lists instances of
    it: a *city* is Paris or Rome), so "which city" asks for a name."""
    wn = wordnet()
    if wn is None:
        return False
    return any(s.instance_hyponyms() for s in wn.synsets(noun, "n")[:2])


@cache
def kinds_of(noun: str) -> frozenset[str]:
    """``noun``, its synonyms and the single-word names of its kinds two levels down
    (WordNet hyponyms: a *greeting* may be "hello"), lemmas; a name only where that kind is
    what it commonly means ("head" is one head of cattle only in its second sense, so no
    kind of animal)."""
    wn = wordnet()
    out = set(related(noun))
    if wn is None:
        return frozenset(out)

    def names(kind: Any) -> set[str]:
        return {plain(n) for n in kind.lemma_names() if "_" not in n and commonest(n) == kind}

    for synset in wn.synsets(noun, "n")[:3]:
        for kind in synset.hyponyms():
            out.update(names(kind))
            for sub in kind.hyponyms():
                out.update(names(sub))
    return frozenset(out)


_FILE = re.compile(
    r"\bhow (?:long|big|large) is (?:it|this|the (?:whole )?(?:video|clip|film|movie|recording|"
    r"footage))\b|\b(?:duration|length|size) of (?:the|this) (?:video|clip|film|movie|recording)"
    r"|\bresolution\b|\bframe ?rate\b|\bfps\b|\bdimensions\b|\bhow many frames\b"
)


def names_person(text: str) -> bool:
    """Whether ``text`` names someone: a capitalised name after its first word, or a word
    whose first sense in WordNet is a kind of person ("someone", "engineer", "man")."""
    if holds_kind(text, "name"):
        return True
    return any(a_person(lemma(w)) for w in tokens(text))


@cache
def a_person(noun: str) -> bool:
    """Whether the first sense of ``noun`` in WordNet is a kind of person ("engineer")."""
    first = commonest(noun)
    return first is not None and any(
        h.name() == "person.n.01" for path in first.hypernym_paths() for h in path
    )


def about_file(question: str) -> bool:
    """Whether ``question`` asks about the video file itself (how long it is, its resolution,
    frame rate): what the container says, not what is said or shown."""
    return bool(_FILE.search(plain(question)))


_SHOWN = (
    r"\b(?:on (?:the )?screen|on[- ]screen|written|caption|captions|slide|slides|sign|title "
    r"card|text (?:says|shows|reads))\b"
)
_SPOKEN = r"\b(?:say|says|said|narrator|speaker|voice|mention|mentions|talk|talks|tell|tells)\b"


_THE_VIDEO = frozenset(
    _list("video clip film movie recording footage picture image frame scene presenter host text")
)


def about_the_moment(word: str) -> bool:
    """Whether ``word`` asks for the moment in a "when is it shown?" question ("appear",
    "first", "mentioned"), not what it is about."""
    return lemma(word) in MOMENT_WORDS


def about_the_video(noun: str) -> bool:
    """Whether ``noun`` names the video or a part of how it tells (its captions, slides,
    narrator, voice), not something it is about."""
    return noun in _THE_VIDEO or bool(re.search(_SHOWN, noun) or re.search(_SPOKEN, noun))


_HEARD = (
    r"\b(?:sounds?|noises?|hear|heard|hearing|audible|audio|music|musical|songs?|singing|"
    r"soundtrack)\b"
)
SOUND_WORDS = frozenset(_list("sound noise hear heard hearing audible audio background play"))
"""Words of a question about the sound that name no sound of their own."""


def about_sounds(question: str) -> bool:
    """Whether ``question`` asks what can be heard ("what sounds can be heard?", "is there
    music?"), not what is said."""
    q = plain(question)
    said = re.search(r"\b(?:say|says|said|talk\w*|speak\w*|mention\w*|words?)\b", q)
    return bool(re.search(_HEARD, q)) and not said


_PEOPLE = r"(?:people|persons?|faces?|men|women|kids|children|humans?|anyone|anybody|someone)"


def about_people(question: str) -> bool:
    """Whether ``question`` asks whether or how many people are seen ("how many people are in
    the video?", "are there any people?"), not who someone is."""
    q = plain(question)
    return bool(
        re.search(rf"\bhow many {_PEOPLE}\b|\b(?:are|is) there (?:any )?{_PEOPLE}\b", q)
        or re.search(rf"\b(?:is|are) (?:there )?(?:any )?{_PEOPLE} (?:in|on|visible|seen)\b", q)
    )


def people_counted(shows: str) -> int | None:
    """How many people a "shows" phrase counts (``"...; 2 people"``), or None when it counts
    none (faces were not looked for, or none were seen)."""
    found = re.search(r";\s*(\d+) (?:person|people)\b", shows)
    return int(found.group(1)) if found else None


_SHOTS = r"shots|cuts|scenes|scene changes|scene cuts|camera cuts|transitions|edits"
_GRADUAL = r"dissolves?|cross-?fades?|fades?"


def about_shots(question: str) -> bool:
    """Whether ``question`` asks how the video is cut: how many shots, cuts or transitions,
    whether it has dissolves or fades ("how many shots are there?", "are there any
    dissolves?")."""
    q = plain(question)
    kinds = rf"(?:{_SHOTS}|{_GRADUAL})"
    return bool(
        re.search(rf"\bhow many {kinds}\b|\b(?:are|is) there (?:any )?{kinds}\b", q)
        or re.search(
            rf"\b(?:does|do) (?:it|the video|this video|the clip) (?:have|use) (?:any )?{kinds}\b",
            q,
        )
    )


def about_picture(question: str) -> bool:
    """Whether ``question`` asks what the picture shows in general ("what objects are
    visible?", "what things can you see?", "what is shown?"), naming nothing in particular."""
    q = plain(question)
    named = re.search(
        r"\bwhat (?:objects?|things?|items?|animals?)\b.*\b(?:visible|see|seen|shown|show|"
        r"appear|appears|there|in (?:the|this) (?:video|picture|clip|frame))\b"
        r"|\bwhat (?:is|are) (?:visible|in the picture|in the frame)\b",
        q,
    )
    # "what is shown?", "what can you see?": the picture, when nothing else is named ("what is
    # seen on the bridge?" asks about the bridge), no moment ("what is shown at 0:12?", "at the
    # very end?": what is there then) and nothing said is asked for too
    bare = not (re.search(_SPOKEN, q) or times_in(question) or ends_asked(question)) and re.search(
        r"\bwhat (?:is |are |can (?:you|we|one) |do (?:you|we) )?(?:shown|seen|see|visible)\b", q
    )
    return bool(named) or (bool(bare) and not terms(question) - {"visible"})


_NAMES = "|".join(n.lower() for n in LANGUAGE_NAMES.values())
_IN_LANGUAGE = re.compile(
    rf"\b(?:is|are) (?:it|this|the video|this video|the speech|the narration|they|he|she)"
    rf"(?: \w+)? (?:in|speaking) ({_NAMES})\b|\b(?:do|does) (?:they|he|she|it|the \w+) "
    rf"speak ({_NAMES})\b"
)


def about_language(question: str) -> str | None:
    """Whether ``question`` asks what language is spoken: ``""`` for "what language is
    spoken?", the language's name for "is this video in German?", None otherwise."""
    q = plain(question)
    named = _IN_LANGUAGE.search(q)
    if named is not None:
        return (named.group(1) or named.group(2)).title()
    if re.search(r"\b(?:what|which) languages?\b|\bin (?:what|which) language\b", q):
        return ""
    return None


_SCREEN_WORDS = frozenset(
    _list(
        "text texts word words caption captions title titles writing written screen onscreen "
        "appear appears shown show visible displayed display say says read write slide slides"
    )
)


def about_screen_text(question: str) -> bool:
    """Whether ``question`` asks what text is on screen in general ("what text appears on
    screen?", "is there any text?"), naming nothing in particular."""
    q = plain(question)
    asked = re.search(
        r"\b(?:what|which|any) (?:text|words?|captions?|writing)\b|\bis there (?:any )?"
        r"(?:text|writing|captions?)\b|\bwhat (?:is|does it say) (?:written|on (?:the )?screen)\b"
        r"|\bwhat (?:is|does the screen) (?:shown )?on (?:the )?screen\b",
        q,
    )
    return bool(asked) and not (terms(question) - _SCREEN_WORDS)


def about_speech(question: str) -> bool:
    """Whether ``question`` asks what is said (by a narrator, speaker, someone)."""
    q = plain(question)
    return bool(re.search(_SPOKEN, q)) and not re.search(_SHOWN, q)


_WHO = r"\b(?:who|whose|name of)\b"
_SPEAKING = (
    r"\b(?:speak\w*|talk\w*|narrat\w*|voice|presenter|presenting|presents|host|"
    r"reads|reading|reader)\b"
)
_INTRODUCED = re.compile(
    r"\b(?:[Mm]y name is|[Mm]y name's|I am|I'm|[Cc]all me)\s+([A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+)*)"
)


def asks_speaker(question: str) -> bool:
    """Whether ``question`` asks who speaks ("who is speaking?", "who is the narrator?",
    "what is the name of the presenter?"): a question about a voice, not about what it says."""
    q = plain(question)
    return bool(re.search(_WHO, q) and re.search(_SPEAKING, q))


def spoken_of(question: str) -> str | None:
    """What a question about a speaker asks is said, as a question: "What is said about
    sunscreen?" for "who talks about sunscreen?"; None for "who is the narrator?"."""
    rest = re.sub(
        rf"{_WHO}|{_SPEAKING}|\b(?:is|was|are|were|the|about|of|on)\b", " ", plain(question)
    )
    rest = " ".join(rest.replace("?", " ").split())
    return f"What is said about {rest}?" if terms(rest) else None


def introduced(text: str) -> str | None:
    """The name a speaker gives ("Hello, I'm Jane Doe" -> "Jane Doe"), if any; the transcript
    writes names capitalised, so "I'm going" introduces no one."""
    found = _INTRODUCED.search(text)
    if found is None or found.group(1).lower() in STOPWORDS:
        return None
    return found.group(1)


def join_words(parts: Iterable[str]) -> str:
    return " ".join(p for p in parts if p)


__all__ = [
    "INSTANCE",
    "KIND",
    "LEXICAL",
    "RELEVANT",
    "SOUND_WORDS",
    "WORD_KINDS",
    "Kind",
    "Question",
    "a_person",
    "about_file",
    "about_language",
    "about_people",
    "about_picture",
    "about_screen_text",
    "about_sounds",
    "about_speech",
    "about_the_moment",
    "about_the_video",
    "asked_kind",
    "asked_measure",
    "asks_speaker",
    "field_question",
    "field_words",
    "holds_kind",
    "introduced",
    "kinds_of",
    "misheard",
    "names_person",
    "related",
    "spoken_of",
    "terms",
]
