"""Words read the same way by search and by answers: accents dropped (:func:`plain`), English
function words (:data:`STOPWORDS`), dictionary forms from WordNet's morphology (:func:`lemma`),
whether on-screen text spells English words at all (:func:`legible`), numbers written as digits
or as words in English, Spanish, French, German and Italian (:func:`says_number`), and the
units a measure is given in (:func:`units_of`, :func:`gives_measure`: "45 degrees" tells an
angle).

Below both :mod:`vidsense.search` and :mod:`vidsense.language`, so that a search for "peg
angle" and the question "at what angle are the pegs driven in?" read "45 degrees" alike.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any

from vidsense.errors import ModelNotInstalled
from vidsense.models.wordnet import open_wordnet

log = logging.getLogger(__name__)


def _list(text: str) -> list[str]:
    return text.split()


STOPWORDS = frozenset(
    _list(
        """
    a about above after again against all almost also am an and any are aren't as at be
    because been before being below between both but by can cannot could couldn't did
    didn't do does doesn't doing don't down during each either else even ever every few
    for from further get gets getting go goes going gonna got had hadn't has hasn't have
    haven't having he he'd he'll he's her here here's hers herself him himself his how
    how's however i i'd i'll i'm i've if in into is isn't it it's its itself just let's
    like many may me might more most much must mustn't my myself need no nor not now of
    off often on once one only or other ought our ours ourselves out over own per quite
    rather really right said same say says see seen shall shan't she she'd she'll she's
    should shouldn't so some such than that that's the their theirs them themselves then
    there there's these they they'd they'll they're they've thing things this those though
    through to too two under until up upon us very via was wasn't way we we'd we'll we're
    we've well were weren't what what's when when's where where's whether which while who
    who's whom why why's will with within without won't would wouldn't yeah yes yet you
    you'd you'll you're you've your yours yourself yourselves okay ok oh um uh hmm today
    now next first second last also lot lots kind sort
    """
    )
)
"""English function words and fillers: never a keyphrase on their own or at a phrase's edge."""


NUMBER_WORDS = frozenset(
    _list(
        """
        one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
        sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
        hundred thousand million half dozen couple single double
        dos tres cuatro cinco seis siete ocho nueve diez once doce quince veinte treinta
        cuarenta cincuenta sesenta cien ciento mil medio media
        deux trois quatre cinq six sept huit neuf dix onze douze quinze vingt trente
        quarante cinquante cent mille demi
        eins zwei drei vier funf fünf sechs sieben acht neun zehn elf zwolf zwölf zwanzig
        dreissig dreißig vierzig funfzig fünfzig hundert tausend halb halbe
        due tre quattro cinque sei sette otto nove dieci undici dodici venti trenta quaranta
        cinquanta cento mille mezzo mezza diciotto quattordici
        """
    )
)
"""Number words of the known languages."""
_NUMBER_ENDINGS = ("hundert", "tausend", "mila", "cento", "cientos", "ientas", "zig", "dici")


def plain(text: str) -> str:
    """``text`` lower-cased, accents dropped."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def says_number(tokens: Iterable[str]) -> bool:
    """Whether one of ``tokens`` (words of a line, lower case) is a number: digits, a number word
    in one of the known languages, or a compound of one ("zweihundert", "trecento")."""
    return any(
        any(c.isdigit() for c in t)
        or plain(t) in NUMBER_WORDS
        or t in NUMBER_WORDS
        or (len(t) > 5 and t.endswith(_NUMBER_ENDINGS))
        for t in tokens
    )


@cache
def wordnet() -> Any:
    """NLTK's reader over Debian's WordNet, or None when it is not installed (words are then
    compared by their stems only)."""
    try:
        return open_wordnet()
    except ModelNotInstalled as e:
        log.warning("words are matched without synonyms: %s", e)
        return None


_ENDINGS = (
    ("ied", "y"),
    ("ies", "y"),
    ("ying", "y"),
    ("ing", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
)


def forms(word: str, pos: str) -> set[str]:
    """Every dictionary form WordNet's morphology allows for ``word`` as part of speech ``pos``
    ("n", "v", "a", "r"; NLTK's public ``morphy`` gives only the first: "tours" is also a
    city); empty without WordNet."""
    wn = wordnet()
    return set() if wn is None else {str(f) for f in wn._morphy(word, pos)}


@cache
def lemma(word: str) -> str:
    """The dictionary form of an English ``word`` (WordNet's morphology: noun, else verb,
    else adjective), else the word with its accents dropped."""
    w = plain(word).strip("'-")
    w = w[:-2] if w.endswith("'s") else w
    wn = wordnet()
    if wn is None or not w.isalpha():
        return w
    # Every form WordNet's morphology allows ("tours" is also a city), shortest first.
    found = set().union(*(forms(w, pos) for pos in ("n", "v", "a")))
    if found:
        return min(found, key=lambda f: (len(f), f))
    for suffix, ending in _ENDINGS:  # a word WordNet does not know ("reapplied")
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            return w[: -len(suffix)] + ending
    return w


WORD = re.compile(r"[^\W\d_][^\W_'\-]*(?:'[^\W\d_]+)?")
"""A word as written: letters, then letters, digits and inner apostrophes or hyphens."""


@lru_cache(maxsize=65536)
def legible(text: str) -> bool:
    """Whether on-screen ``text`` read as English words: at least half of its words of three
    letters or more are English (function words or known to WordNet). Text read off real
    footage (menus, signs at an angle) is often letters that spell nothing. Computed once per
    text."""
    wn = wordnet()
    found = [w.lower() for w in WORD.findall(text) if len(w) >= 3]
    if wn is None or not found:
        return True
    known = sum(1 for w in found if w in STOPWORDS or wn.synsets(lemma(w)) or wn.synsets(w))
    return 2 * known >= len(found)


MEASURE_UNITS: dict[str, tuple[str, ...]] = {
    "temperature": ("temperature_unit",),
    "pressure": ("pressure_unit",),
    "weight": ("weight_unit", "mass_unit"),
    "angle": ("angular_unit",),
    "distance": ("linear_unit",),
    "length": ("linear_unit",),
    "height": ("linear_unit",),
    "width": ("linear_unit",),
    "depth": ("linear_unit",),
    "volume": ("volume_unit",),
    "power": ("power_unit",),
    "area": ("area_unit",),
}
"""What a measure is given in: WordNet's synsets whose kinds are its units (a temperature in
kelvin or degrees, an angle in degrees, a distance in kilometres or millimetres)."""
MEASURES = frozenset(MEASURE_UNITS)
"""The measures a number in their units tells ("angle": "45 degrees")."""


@cache
def units_of(measure: str) -> frozenset[str]:
    """Single-word names (lower case, two letters or more) of the units ``measure`` is given
    in, from WordNet; units of time left out (an angle's "minute" is a clock's first)."""
    wn = wordnet()
    if wn is None or measure not in MEASURE_UNITS:
        return frozenset()

    def names(synset_name: str) -> set[str]:
        out: set[str] = set()
        for synset in wn.synsets(synset_name, "n"):
            for kind in synset.closure(lambda s: s.hyponyms()):
                out.update(plain(n) for n in kind.lemma_names() if "_" not in n and len(n) > 1)
        return out

    found = set().union(*(names(name) for name in MEASURE_UNITS[measure]))
    return frozenset(found - names("time_unit"))


def gives_measure(text: str, measure: str) -> bool:
    """Whether ``text`` gives a number in a unit of ``measure`` ("5500 kelvin", "forty five
    degrees", "drei Millimeter")."""
    units = units_of(measure)
    if not units:
        return False
    found = re.findall(r"[^\W_]+(?:[.,]\d+)?", text.lower())
    return any(
        says_number([a]) and (plain(b) in units or lemma(b) in units)
        for a, b in itertools.pairwise(found)
    )


__all__ = [
    "MEASURES",
    "MEASURE_UNITS",
    "NUMBER_WORDS",
    "STOPWORDS",
    "WORD",
    "forms",
    "gives_measure",
    "legible",
    "lemma",
    "plain",
    "says_number",
    "units_of",
    "wordnet",
]
