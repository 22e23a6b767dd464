"""How well one piece of evidence matches a query, on one 0-1 scale shared by every option, so
that the options of a search can be fused by their scores (a score of 0.6 means as much from
speech as from on-screen text) and an option that matches nothing strongly adds nothing.

- **Meaning** (:func:`semantic`): the e5 cosine of query and evidence, measured above the query's
  *background* in the evidence's language: its mean cosine with :data:`REFERENCE`, passages
  about nothing in particular in that language (:class:`Background`), in units of the spread of
  its cosines with all of them. The background is a property of the query, not of the library
  (short or generic queries lie close to everything: backgrounds range over 0.74-0.80 while a
  right answer lies ~0.10 above its query's background and the best wrong one ~0.07), and
  differs by language: a query's mean cosine with unrelated speech in one language differs from
  another's by up to ~0.02, as much as separates a right answer from a wrong one, so speech in
  another language than the query's was judged against a background it does not have. The
  spread says how much being nearer means for this query (~0.02 of cosine, less for specific
  queries), so that one scale fits every query, index, language and evidence kind. The excess
  grows to 1 without saturating, so strong matches stay ordered.
- **Hubs** (:func:`unhubbed`): some sentences lie near almost every query (a garbled one of
  general words: "At warm fleece, and at waterproof jacket stay near the top" came first for
  "how to steer a kayak"). A passage's *hubness* is its mean cosine with :data:`GENERIC`,
  queries about nothing in particular; a spoken sentence's cosine with a query is lowered by
  :data:`HUB_WEIGHT` times that. As a mean of dot products is the dot product with the mean,
  this is one change to the query vector (minus that share of the generic queries' centroid),
  made before the nearest vectors are looked up, so no stored vector changes. Speech only:
  short on-screen texts and labels lie near generic queries by being short ("STEP 3: PEGS AT
  45 DEGREES" fell from 48 to 30 for "peg angle", below the ``low`` band).
- **Words** (:func:`covered`, :func:`lexical`): the share of the query's content words the
  evidence holds (crudely stemmed); full coverage alone is worth :data:`WORDS_WEIGHT`, one word
  of several little.
- **Spelling** (:func:`fuzzy`): for on-screen text, how closely the query is written there
  (rapidfuzz partial ratio, less for texts of very different lengths).
- **Kind** (:func:`kind_weight`): a search phrased as a question asking for a time, a
  quantity, a duration, a frequency, a price or a colour weighs lines that hold none less
  ("when is the museum shut": the slide of opening hours, not the museum's name).
- **Noise** (:func:`is_noise`): on-screen text that carries no words (digits, time codes such as
  ``00:00:04.000``, test-pattern numbers, single characters) is kept as evidence but weighs
  :data:`NOISE_WEIGHT` of what it would, unless the query is of the same kind (a number); the
  meaning of letters that spell no word (:func:`means`) does not count at all.

Kinds of evidence for one moment combine by :func:`either` (a noisy OR: each adds what the
others left unexplained); options that find one moment merge by
:func:`~vidsense.search.base.merge_clips` (the best score, plus
:data:`~vidsense.search.base.AGREE` of the others' when their evidence differs). Constants were
chosen on the ``dev`` half of the labelled corpus (``benchmarks/quality.py``) and the generated
library of ``benchmarks/search_quality.py``.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from vidsense.kinds import Kind, holds_kind
from vidsense.models.base import TextEmbedder
from vidsense.search.base import terms
from vidsense.words import MEASURES, gives_measure, legible

SEM_FLOOR = 1.5
"""Cosine above the query's background, in spreads of the background (~0.02 of cosine), that
scores 0 (the best wrong answer lies 2-4 spreads above, a right one 3-8)."""
SEM_SCALE = 2.5
"""How fast meaning saturates: the excess over :data:`SEM_FLOOR` (in spreads) scoring 1 - 1/e
(0.63)."""
HUB_WEIGHT = 0.5
"""How much of a sentence's hubness (its mean cosine with :data:`GENERIC`) is taken from its
cosine with a query. On the labelled corpus' development split conversation R@1 is 21/23 at 0,
22/23 from 0.25 to 0.75, 21/23 at 1.0; 0.5 is the middle."""
MIN_SPREAD = 0.01
"""Least spread of a background (cosine), so that a query equally near every reference does not
make small differences count for much."""
WORDS_WEIGHT = 0.5
"""What holding every content word of the query is worth on its own."""
WORDS_POWER = 2.0
"""How fast words count as more of the query's words are held (:func:`lexical`)."""
FUZZY_FLOOR = 0.6
"""Partial ratio (0-1) of on-screen text below which its spelling says nothing."""
COMPOUND_PART = 5
"""Letters a translation needs to be found inside a longer word (German compounds: "fahrt" in
"probefahrt"); shorter ones ("rad", "öl") must be the word, or the word inflected."""
INFLECTION = 3
"""Most letters by which an inflected word differs from its dictionary form at its end."""
KIND_CUT = 0.4
"""Share of its score that a line loses when the query asks for a kind of answer it does not
hold (:func:`kind_weight`). On the labelled corpus' development split, 0.3 to 0.5 put the
museum's opening hours first for "when is the museum shut" (text and default R@1 0.82 -> 0.91,
0.83 -> 0.86), 0.2 did not; no other result moved on either split."""
SEARCH_KINDS: frozenset[Kind] = frozenset(
    {"price", "quantity", "duration", "time", "frequency", "colour"}
)
"""Kinds of answer a search phrased as a question may ask for, that a line's words show
plainly (numbers, units, days, clock times, colours; not a reason or a name)."""
NOISE_WEIGHT = 0.25
"""Share of its score that on-screen noise keeps (noise scores below the ``low`` band)."""

REFERENCE: dict[str, tuple[str, ...]] = {
    "en": (
        "Welcome back to the channel, today we have something a little different.",
        "Thanks for watching, see you next time.",
        "So let's get started.",
        "As you can see here, it works quite well.",
        "I think that is the most important part.",
        "We talked about this a few weeks ago.",
        "It was a long day, but we got there in the end.",
        "Let me show you how this works.",
        "The results were better than we expected.",
        "There are a few things to keep in mind.",
        "He said he would call back later in the afternoon.",
        "The weather was nice, so we stayed outside.",
        "Please make sure everything is turned off before you leave.",
        "The meeting has been moved to next Tuesday.",
        "She has lived in the same town for twenty years.",
        "Prices went up again this year.",
        "You can find the link in the description below.",
        "This part takes a little patience.",
        "Nobody knew what would happen next.",
        "It is easier than it looks.",
        "The building was finished in the spring.",
        "They walked along the road until it got dark.",
        "Add a little more and mix it well.",
        "The second half of the game was much faster.",
        "Introduction",
        "Chapter two",
        "Summary and next steps",
        "Questions and answers",
        "Subscribe",
        "Live",
        "Breaking news",
        "Contact us",
    ),
    "es": (
        "Hola a todos, bienvenidos de nuevo.",
        "Esto es lo que vamos a ver hoy.",
        "Gracias por vernos, hasta la próxima.",
        "Como podéis ver, funciona bastante bien.",
        "Fue un día largo, pero al final lo conseguimos.",
        "Hay algunas cosas que hay que tener en cuenta.",
        "El tiempo era bueno, así que nos quedamos fuera.",
        "La reunión se ha cambiado al martes que viene.",
        "Los precios volvieron a subir este año.",
        "Es más fácil de lo que parece.",
        "Caminaron por la carretera hasta que se hizo de noche.",
        "Introducción",
    ),
    "it": (
        "Ciao a tutti e benvenuti.",
        "Oggi parliamo di una cosa diversa.",
        "Grazie per la visione, alla prossima.",
        "Come potete vedere, funziona abbastanza bene.",
        "È stata una giornata lunga, ma alla fine ce l'abbiamo fatta.",
        "Ci sono alcune cose da tenere a mente.",
        "Il tempo era bello, quindi siamo rimasti fuori.",
        "La riunione è stata spostata a martedì prossimo.",
        "I prezzi sono saliti di nuovo quest'anno.",
        "È più facile di quanto sembri.",
        "Hanno camminato lungo la strada finché è diventato buio.",
        "Introduzione",
    ),
    "de": (
        "Hallo zusammen und willkommen zurück.",
        "Das war ein langer Tag.",
        "Danke fürs Zuschauen, bis zum nächsten Mal.",
        "Wie ihr seht, funktioniert es ziemlich gut.",
        "Heute zeige ich euch etwas anderes.",
        "Es gibt ein paar Dinge, die man beachten sollte.",
        "Das Wetter war schön, also sind wir draußen geblieben.",
        "Das Treffen wurde auf nächsten Dienstag verschoben.",
        "Die Preise sind dieses Jahr wieder gestiegen.",
        "Es ist einfacher, als es aussieht.",
        "Sie gingen die Straße entlang, bis es dunkel wurde.",
        "Einleitung",
    ),
    "fr": (
        "Bonjour à tous et bienvenue.",
        "C'est plus simple qu'il n'y paraît.",
        "Merci d'avoir regardé, à la prochaine.",
        "Comme vous pouvez le voir, ça marche plutôt bien.",
        "C'était une longue journée, mais on y est arrivés.",
        "Il y a quelques points à garder en tête.",
        "Il faisait beau, alors nous sommes restés dehors.",
        "La réunion a été déplacée à mardi prochain.",
        "Les prix ont encore augmenté cette année.",
        "Aujourd'hui, on parle de quelque chose de différent.",
        "Ils ont marché le long de la route jusqu'à la nuit.",
        "Introduction",
    ),
    "pt": (
        "Olá a todos e bem-vindos de volta.",
        "Hoje vamos falar de uma coisa diferente.",
        "Obrigado por assistir, até a próxima.",
        "Como vocês podem ver, funciona muito bem.",
        "Foi um dia longo, mas no fim conseguimos.",
        "Há algumas coisas a ter em mente.",
        "O tempo estava bom, então ficamos lá fora.",
        "A reunião foi adiada para a próxima terça-feira.",
        "Os preços subiram de novo este ano.",
        "É mais fácil do que parece.",
        "Eles andaram pela estrada até escurecer.",
        "Introdução",
    ),
}
"""Passages about nothing in particular (speech and captions), per language (ISO 639-1), whose
mean cosine with a query is its background in that language."""

GENERIC: tuple[str, ...] = (
    "how do I fix it",
    "what time does it start",
    "where is the best place to eat",
    "why is the sky blue",
    "how much does it cost",
    "who won the game",
    "what is the weather like tomorrow",
    "how to make it faster",
    "what happened next",
    "what is the difference",
    "how long does it take",
    "what should I bring",
    "is it safe",
    "what is the name of the song",
    "how do you say hello",
    "can you show me",
    "what are the rules",
    "how many people live there",
    "what does the sign say",
    "how to get there by car",
    "best tips for beginners",
    "tell me more about it",
    "how to clean it",
    "what is it made of",
    "music playing in the background",
    "a man talking to the camera",
    "people laughing",
    "the end of the story",
    "how do I do this",
    "what is this about",
    "where does it come from",
    "what colour is it",
)
"""Queries about nothing in particular (questions, things to find, in the forms searches take;
none about a subject of the labelled corpus), whose mean cosine with a passage is its hubness
(:func:`unhubbed`)."""

_TIME = re.compile(r"\b\d{1,2}(?::\d{2}){1,2}(?:[.,]\d+)?\b|\b\d+[.,]\d+\b")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)


DEFAULT_LANGUAGE = "en"
"""The language of evidence whose language is unknown (on-screen text of a video without
speech, image and sound labels)."""

_REFERENCES: weakref.WeakKeyDictionary[TextEmbedder, dict[str, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)
_REFERENCES_LOCK = threading.Lock()
_HUBS: weakref.WeakKeyDictionary[TextEmbedder, np.ndarray] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Background:
    """A query's background: ``languages`` maps a language to the mean of the query's cosines
    with that language's :data:`REFERENCE` passages (``other``, the mean of those, stands for
    languages without references); ``spread`` is the standard deviation of its cosines with
    all of them, the unit in which meaning is measured."""

    languages: dict[str, float]
    other: float
    spread: float

    def of(self, language: str | None) -> tuple[float, float]:
        """``(mean, spread)`` for evidence in ``language`` (:data:`DEFAULT_LANGUAGE` when
        None)."""
        return self.languages.get(language or DEFAULT_LANGUAGE, self.other), self.spread


def background(
    embedder: TextEmbedder, query: np.ndarray, *, spread_of: np.ndarray | None = None
) -> Background:
    """The background of the unit vector ``query`` (from ``embedder``): the mean of its cosines
    with each language's :data:`REFERENCE` passages and their spread (of ``spread_of``'s
    cosines instead when given: the query as embedded, before :func:`unhubbed` moved it), the
    passages embedded once per embedder (~1 s, on its first query)."""
    matrices = _references(embedder)
    cosines = {
        language: np.einsum("ij,j->i", matrix, query) for language, matrix in matrices.items()
    }
    languages = {language: float(np.mean(c)) for language, c in cosines.items()}
    spreads = cosines.values() if spread_of is None else [m @ spread_of for m in matrices.values()]
    spread = float(np.std(np.concatenate(list(spreads))))
    return Background(languages, float(np.mean(list(languages.values()))), max(MIN_SPREAD, spread))


def _references(embedder: TextEmbedder) -> dict[str, np.ndarray]:
    """The :data:`REFERENCE` passages' vectors per language, embedded once per embedder."""
    with _REFERENCES_LOCK:
        matrices = _REFERENCES.get(embedder)
        if matrices is None:
            matrices = _REFERENCES[embedder] = {
                language: embedder.embed(texts, kind="passage")
                for language, texts in REFERENCE.items()
            }
    return matrices


def _hub_centroid(embedder: TextEmbedder) -> np.ndarray:
    """The mean of the :data:`GENERIC` queries' vectors, embedded once per embedder."""
    with _REFERENCES_LOCK:
        centroid = _HUBS.get(embedder)
        if centroid is None:
            centroid = _HUBS[embedder] = embedder.embed(list(GENERIC), kind="query").mean(axis=0)
    return centroid


def hub_penalties(embedder: TextEmbedder, passages: np.ndarray, language: str | None) -> np.ndarray:
    """What to take from each of ``passages``' cosines (unit rows from ``embedder``) with a
    query: :data:`HUB_WEIGHT` times its hubness above the mean hubness of the
    :data:`REFERENCE` passages in ``language`` (English for unknown ones), so that cosines
    keep their scale (for fits compared with a fixed bar, as answers are)."""
    centroid = _hub_centroid(embedder)
    references = _references(embedder)
    typical = float(
        np.mean(references.get(language or DEFAULT_LANGUAGE, references["en"]) @ centroid)
    )
    penalties: np.ndarray = HUB_WEIGHT * (np.asarray(passages) @ centroid - typical)
    return penalties


def unhubbed(embedder: TextEmbedder, query: np.ndarray) -> tuple[np.ndarray, Background]:
    """The query vector (a unit vector from ``embedder``) to look up passages with, and its
    background: each passage's cosine with it is the original cosine less :data:`HUB_WEIGHT`
    times the passage's hubness (its mean cosine with :data:`GENERIC`), in units of the moved
    vector's length (it is rescaled to unit length, as stores compare unit vectors). The
    background's means are measured the same way (the reference passages are hubs too); its
    spread is the original query's in the same units, so that a score means what it meant
    before (measured against the moved vector's own spread, scores saturate: the references'
    cosines fall together). The generic queries are embedded once per embedder."""
    centroid = _hub_centroid(embedder)
    raw = np.asarray(query, dtype=np.float32)
    moved = raw - HUB_WEIGHT * centroid
    norm = float(np.linalg.norm(moved))
    if norm <= 0:
        return raw, background(embedder, raw)
    unit = (moved / norm).astype(np.float32)
    return unit, background(embedder, unit, spread_of=raw / norm)


def semantic(cos: float, background: tuple[float, float]) -> float:
    """Meaning, 0-1, from the cosine of query and evidence and the query's background
    ``(mean, spread)`` in the evidence's language (:meth:`Background.of`): 0 up to
    :data:`SEM_FLOOR` spreads above the mean, then rising towards 1."""
    mean, spread = background
    excess = (cos - mean) / spread - SEM_FLOOR
    return 0.0 if excess <= 0 else 1.0 - math.exp(-excess / SEM_SCALE)


def covered(
    query_terms: set[str], text: str, translations: Mapping[str, frozenset[str]] | None = None
) -> float:
    """Share (0-1) of ``query_terms`` (content words, as :func:`~vidsense.search.base.terms`
    gives them) that ``text`` holds: as they are written, as a number in the units of the
    measure a term names ("45 degrees" holds "angle": :func:`~vidsense.words.gives_measure`),
    or (``translations``: each term's words in the text's language,
    :func:`~vidsense.search.base.query_translations`) as one of their translations
    (:func:`same_word`)."""
    if not query_terms:
        return 0.0
    held = query_terms & _terms(text)
    for measure in query_terms & MEASURES - held:  # "45 degrees" tells an angle
        if gives_measure(text, measure):
            held.add(measure)
    if translations:
        words = _words(text)
        held |= {
            t
            for t in query_terms - held
            if any(same_word(form, word) for form in translations.get(t, ()) for word in words)
        }
    return len(held) / len(query_terms)


def same_word(form: str, word: str) -> bool:
    """Whether ``word`` (of a line, lower case) is the dictionary form ``form`` (lower case),
    inflected ("ponte": "ponti", "einstellen": "einstellung", "kette": "ketter" as heard) or
    as part of a compound (:data:`COMPOUND_PART` letters or more: "fahrt" in "probefahrt")."""
    if form == word:
        return True
    # A compound's first part often drops its ending ("Bremse": "Bremsbelag").
    stems = {form, form[:-1] if form.endswith("e") else form, form.removesuffix("en")}
    if any(len(part) >= COMPOUND_PART and part in word for part in stems):
        return True
    shortest = min(len(form), len(word))
    pairs = zip(form[:shortest], word[:shortest], strict=True)
    shared = next((n for n, (a, b) in enumerate(pairs) if a != b), shortest)
    return abs(len(form) - len(word)) <= INFLECTION and shared >= max(4, shortest - INFLECTION + 1)


def lexical(share: float) -> float:
    """Words, 0-1, from the share of the query's content words that evidence holds
    (:func:`covered`): :data:`WORDS_WEIGHT` times its square, so that holding every word counts
    and holding one word of several counts little (a paraphrase of the right moment shares few
    of the query's words, while a wrong moment often shares one common word: "lake" in "life
    jacket on the lake")."""
    return WORDS_WEIGHT * math.pow(share, WORDS_POWER)


def fuzzy(ratio: float) -> float:
    """Spelling, 0-1, from a length-aware partial ratio (0-1): 0 below :data:`FUZZY_FLOOR`."""
    return max(0.0, (ratio - FUZZY_FLOOR) / (1.0 - FUZZY_FLOOR))


def either(values: Iterable[float]) -> float:
    """The noisy OR of 0-1 values: 1 minus the product of what each leaves unexplained."""
    unexplained = 1.0
    for value in values:
        unexplained *= 1.0 - min(1.0, max(0.0, value))
    return 1.0 - unexplained


@functools.lru_cache(maxsize=65536)
def is_noise(text: str) -> bool:
    """Whether on-screen text carries no words: nothing but digits, time codes
    (``00:00:04.000``, ``12:30``), punctuation and at most one letter (``100``, ``75 %``,
    ``A``). Computed once per text."""
    return len(_LETTER.findall(_TIME.sub(" ", text))) <= 1


def means(text: str, language: str | None) -> bool:
    """Whether the meaning of on-screen ``text`` counts: it spells English words
    (:func:`~vidsense.words.legible`), or the video speaks another ``language`` (its signs are
    that language's words, which English WordNet does not know). Letters that spell nothing
    ("RGBWHISKEY", a menu read off footage at an angle: "Arquvo tdar Exibir") lie near short
    queries by their length alone ("a white dog" scored 0.57); they are still found by
    spelling and words."""
    return (language or DEFAULT_LANGUAGE) != DEFAULT_LANGUAGE or legible(text)


def kind_weight(text: str, kind: Kind) -> float:
    """What a line's score is multiplied by when the query asks for ``kind``
    (:func:`~vidsense.kinds.asked_kind`: "when is the museum shut" asks for a time, "how often
    does the light flash" for a frequency): 1 when the line holds one
    (:func:`~vidsense.kinds.holds_kind`) or the kind is not one of :data:`SEARCH_KINDS`, else
    1 - :data:`KIND_CUT`."""
    if kind not in SEARCH_KINDS or holds_kind(text, kind):
        return 1.0
    return 1.0 - KIND_CUT


def noise_weight(text: str, query: str) -> float:
    """What a sighting's score is multiplied by: :data:`NOISE_WEIGHT` for noise, unless the
    query itself is noise-like (someone looking for a number or a time code), else 1."""
    return NOISE_WEIGHT if is_noise(text) and not is_noise(query) else 1.0


@functools.lru_cache(maxsize=65536)
def _terms(text: str) -> frozenset[str]:
    return frozenset(terms(text))


@functools.lru_cache(maxsize=65536)
def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _LETTERS.findall(text))
