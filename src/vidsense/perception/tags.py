"""From ImageNet labels to the words people use: WordNet roll-up into tags, and query expansion.

ImageNet's 1000 classes are fine-grained (118 dog breeds, ``Granny Smith``, ``hard disc``) and
lack the general words people search with. Every class is a WordNet 3.0 noun synset, so its
hypernyms say what it also is: a ``Samoyed`` is a dog, a domestic animal, an animal.

:class:`Taxonomy` builds two things from WordNet once:

- **tags**: each of the curated :data:`TAGS` (dog, cat, bird, fruit, food, vehicle, building,
  electronics, ...) covers the classes below its synsets; a picture's tag score is the sum of
  its class probabilities under the tag (0-1; a picture that is 40% "white wolf", 15% "Great
  Pyrenees" and 11% "Samoyed" is 0.26 "dog" and 0.66 "animal");
- **query concepts**: :meth:`Taxonomy.expand` reads the words of a search query through
  WordNet (lemmas and plurals, synonyms, multi-word names such as "coffee mug", one hypernym
  step up for words below any class such as "puppy" -> dog, derived forms such as
  "electronics" -> "electronic equipment") and returns the classes each word covers, so
  :meth:`QueryConcepts.score` gives a picture's probability of showing what the query names.

How the tags were chosen: from the WordNet synsets above the 1000 classes, the basic-level and
one-step-up categories a person names when describing a picture or typing a search (Rosch's
basic level: "dog", not "canine" or "Samoyed"), each covering at least two classes, plus
"person" (only three ImageNet classes: groom, scuba diver, ballplayer) because people search
for it; abstract or taxonomic nodes ("instrumentality", "placental", "whole", "commodity") are
left out. A few tags join several synsets ("food" is both food-as-nutrient and solid food).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from vidsense.models.imagenet import ImageNetClass
from vidsense.words import lemma


@dataclass(frozen=True)
class TagSpec:
    """A tag: the name shown and searched, and the WordNet synsets whose classes it covers."""

    name: str
    synsets: tuple[str, ...]


TAGS: tuple[TagSpec, ...] = (
    # animals
    TagSpec("animal", ("animal.n.01",)),
    TagSpec("dog", ("dog.n.01",)),
    TagSpec("cat", ("cat.n.01",)),
    TagSpec("big cat", ("big_cat.n.01",)),
    TagSpec("wolf or fox", ("wolf.n.01", "fox.n.01", "wild_dog.n.01")),
    TagSpec("bear", ("bear.n.01",)),
    TagSpec("monkey or ape", ("primate.n.02",)),
    TagSpec("rodent", ("rodent.n.01",)),
    TagSpec("hoofed animal", ("ungulate.n.01",)),
    TagSpec("bird", ("bird.n.01",)),
    TagSpec("fish", ("fish.n.01",)),
    TagSpec("reptile", ("reptile.n.01",)),
    TagSpec("snake", ("snake.n.01",)),
    TagSpec("amphibian", ("amphibian.n.03",)),
    TagSpec("insect", ("insect.n.01",)),
    TagSpec("spider", ("arachnid.n.01",)),
    TagSpec(
        "sea creature", ("crustacean.n.01", "mollusk.n.01", "echinoderm.n.01", "coelenterate.n.01")
    ),
    # food and plants
    TagSpec("food", ("food.n.01", "food.n.02")),
    TagSpec("fruit", ("edible_fruit.n.01", "fruit.n.01")),
    TagSpec("vegetable", ("vegetable.n.01",)),
    TagSpec("dish", ("dish.n.02",)),
    TagSpec("baked goods", ("baked_goods.n.01", "bread.n.01")),
    TagSpec("drink", ("beverage.n.01",)),
    TagSpec("plant", ("plant.n.02", "plant_part.n.01")),
    TagSpec("flower", ("flower.n.01",)),
    TagSpec("mushroom", ("fungus.n.01",)),
    # vehicles
    TagSpec("vehicle", ("vehicle.n.01",)),
    TagSpec("car", ("car.n.01",)),
    TagSpec("truck", ("truck.n.01",)),
    TagSpec("bus", ("bus.n.01",)),
    TagSpec("train", ("train.n.01", "locomotive.n.01", "car.n.02", "streetcar.n.01")),
    TagSpec("bicycle or motorcycle", ("bicycle.n.01", "motorcycle.n.01", "motor_scooter.n.01")),
    TagSpec("boat", ("vessel.n.02", "boat.n.01")),
    TagSpec("aircraft", ("aircraft.n.01",)),
    # places and structures
    TagSpec("building", ("building.n.01", "housing.n.01", "place_of_worship.n.01")),
    TagSpec("bridge", ("bridge.n.01",)),
    TagSpec("shop", ("mercantile_establishment.n.01",)),
    TagSpec("landscape", ("geological_formation.n.01",)),
    # things
    TagSpec("device", ("device.n.01",)),
    TagSpec(
        "electronics", ("electronic_equipment.n.01", "electronic_device.n.01", "computer.n.01")
    ),
    TagSpec("computer", ("computer.n.01", "computer_keyboard.n.01", "mouse.n.04")),
    TagSpec("screen", ("display.n.06", "screen.n.09", "television_receiver.n.01")),
    TagSpec("phone", ("telephone.n.01",)),
    TagSpec("camera", ("camera.n.01",)),
    TagSpec("appliance", ("home_appliance.n.01",)),
    TagSpec("furniture", ("furniture.n.01",)),
    TagSpec("container", ("container.n.01",)),
    TagSpec("bottle", ("bottle.n.01",)),
    TagSpec("cup or mug", ("cup.n.01", "mug.n.04")),
    TagSpec("tableware", ("tableware.n.01", "kitchen_utensil.n.01")),
    TagSpec("clothing", ("clothing.n.01",)),
    TagSpec("footwear", ("footwear.n.02",)),
    TagSpec("hat", ("headdress.n.01",)),
    TagSpec("musical instrument", ("musical_instrument.n.01",)),
    TagSpec("tool", ("tool.n.01",)),
    TagSpec("weapon", ("weapon.n.01",)),
    TagSpec("sports equipment", ("sports_equipment.n.01", "ball.n.01")),
    TagSpec("toy", ("plaything.n.01",)),
    TagSpec("clock", ("timepiece.n.01",)),
    TagSpec("lamp", ("lamp.n.01", "source_of_illumination.n.01")),
    TagSpec("sign", ("sign.n.02", "signboard.n.01")),
    TagSpec("book", ("book.n.02", "book.n.01", "publication.n.01")),
    TagSpec("person", ("person.n.01",)),
)
"""The curated tags, in display order (see the module docstring for how they were chosen)."""

MAX_CLIMB_CLASSES = 150
"""A query word below every class climbs to its nearest hypernyms over classes, but only to
ones covering at most this many classes ("puppy" -> dog's 118 breeds; never "animal")."""
CLIMB_STEPS = 3
"""Most hypernym steps a query word climbs to reach a synset over classes."""

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "on",
        "in",
        "at",
        "with",
        "and",
        "or",
        "to",
        "for",
        "from",
        "by",
        "is",
        "are",
        "was",
        "were",
        "be",
        "this",
        "that",
        "these",
        "those",
        "some",
        "any",
        "show",
        "shows",
        "showing",
        "shown",
        "picture",
        "pictures",
        "photo",
        "photos",
        "image",
        "images",
        "video",
        "videos",
        "frame",
        "frames",
        "scene",
        "scenes",
        "find",
        "me",
        "where",
        "there",
        "here",
        "its",
        "it",
    ]
)
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")

MatchKind = Literal["class", "below", "above", "derived", "lemma"]


@dataclass(frozen=True)
class Tag:
    """A tag seen in a picture; ``score`` is the probability mass of its classes (0-1)."""

    name: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "score": round(self.score, 4)}


def shows_phrase(tags: Sequence[str], label: str | None, faces: int) -> str:
    """What a keyframe shows, as writers read it: tags, then the label unless a tag says it
    (``"dog, animal (Samoyed)"``), then the people counted (``"; 2 people"``)."""
    text = ", ".join(tags)
    if label and label not in text:
        text = f"{text} ({label})" if text else label
    if faces:
        people = f"{faces} {'person' if faces == 1 else 'people'}"
        text = f"{text}; {people}" if text else people
    return text


def shows_in_words(shows: str) -> str:
    """A :func:`shows_phrase` as prose says it: the label with an article (after a name, such
    as a breed's, what it is: its most specific tag), then the people (``"animal, dog
    (Samoyed); 2 people"`` -> ``"a Samoyed (a dog) and 2 people"``; ``"device (solar dish)"``
    -> ``"a solar dish"``; ``"person (groom); 3 people"`` -> ``"a groom and 3 people"``)."""
    if _PEOPLE.fullmatch(shows.strip()):
        return shows.strip()
    phrase, _, people = shows.partition(";")
    named, _, label = phrase.partition("(")
    label = label.rstrip(") ").strip()
    tags = [t.strip() for t in named.split(",") if t.strip()]
    thing = label or (tags[-1] if tags else "")
    kind = tags[-1] if label and tags else ""
    if people.strip() and thing == "person":
        thing = ""  # "person; 3 people": the people say it
    words = []
    if thing:
        named_kind = thing[:1].isupper() and kind and kind not in (thing, "person")
        aside = f" ({_with_article(kind)})" if named_kind else ""
        words.append(_with_article(thing) + aside)
    if people.strip():
        words.append(people.strip())
    return " and ".join(words) or shows.strip()


_PEOPLE = re.compile(r"\d+ (?:people|person)")


def _with_article(noun: str) -> str:
    """``noun`` after "a" or "an" (none before a plural: "sunglasses")."""
    last = noun.split()[-1].lower()
    if last.endswith("s") and lemma(last) != last:
        return noun
    vowel = noun[:1].lower() in "aeio" or (
        noun[:1].lower() == "u" and not noun.lower().startswith("uni")
    )
    return f"{'an' if vowel else 'a'} {noun}"


@dataclass(frozen=True)
class Concept:
    """One query word read through WordNet.

    ``synset`` is the WordNet sense that matched; ``kind`` says how: ``class`` (the word names
    an ImageNet class), ``below`` (classes are hyponyms of the word: "fruit"), ``above`` (the
    word sits below the classes and climbed one step: "puppy" -> dog), ``derived`` (through a
    derived form: "electronics" -> electronic), ``lemma`` (the word is part of a class name:
    "mug" in "coffee mug"). ``classes`` are ImageNet class indices; ``tags`` the tag names
    whose synsets the concept equals or contains.
    """

    word: str
    synset: str
    kind: MatchKind
    classes: frozenset[int]
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryConcepts:
    """What a query names, as ImageNet classes grouped by query word."""

    query: str
    concepts: tuple[Concept, ...] = field(default=())

    @property
    def classes(self) -> frozenset[int]:
        """Every class any word of the query covers."""
        return frozenset().union(*(c.classes for c in self.concepts))

    @property
    def tags(self) -> tuple[str, ...]:
        """Tag names the query matches, without repeats, in query order."""
        return tuple(dict.fromkeys(t for c in self.concepts for t in c.tags))

    def __bool__(self) -> bool:
        return bool(self.concepts)

    def match(
        self, labels: Mapping[int, float], tags: Mapping[str, float], *, climbed: float = 1.0
    ) -> float:
        """How well a picture known only by its kept labels (class index -> probability) and
        tags (name -> score) answers the query (0-1): per query word the larger of the best
        matched tag score and the summed probability of matched labels, at most ``climbed``
        for a word read only through the class above it (``above``: "puppy" -> dog; a
        picture of another kind of that class is weak evidence of the one named: "window
        shade" for "folder", both coverings); several words combine as in :meth:`score`.
        This is what a search over stored evidence can compute."""
        if not self.concepts:
            return 0.0
        per_word: dict[str, float] = {}
        for word in dict.fromkeys(c.word for c in self.concepts):
            concepts = [c for c in self.concepts if c.word == word]
            classes = frozenset().union(*(c.classes for c in concepts))
            label_mass = sum(p for index, p in labels.items() if index in classes)
            tag_best = max((tags.get(t, 0.0) for c in concepts for t in c.tags), default=0.0)
            most = climbed if all(c.kind == "above" for c in concepts) else 1.0
            per_word[word] = min(float(max(label_mass, tag_best)), most)
        if len(per_word) == 1:
            return next(iter(per_word.values()))
        product = float(np.prod([max(v, 0.05) for v in per_word.values()]))
        return float(product ** (1.0 / len(per_word)))

    def score(self, probabilities: np.ndarray) -> np.ndarray:
        """``[N]`` scores (0-1) of pictures with class probabilities ``[N, 1000]``: for each
        query word the probability mass of its classes; words multiply when the query names
        several things ("dog and cat"), each floored at 0.05 so one weak word does not zero a
        picture that shows the rest."""
        probabilities = np.atleast_2d(probabilities)
        if not self.concepts:
            return np.zeros(len(probabilities), dtype=np.float32)
        by_word: dict[str, set[int]] = {}
        for concept in self.concepts:
            by_word.setdefault(concept.word, set()).update(concept.classes)
        total = np.ones(len(probabilities), dtype=np.float64)
        for classes in by_word.values():
            mass = probabilities[:, sorted(classes)].sum(axis=1)
            total *= np.maximum(mass, 0.05) if len(by_word) > 1 else mass
        if len(by_word) > 1:
            total = total ** (1.0 / len(by_word))
        result: np.ndarray = total.astype(np.float32)
        return result


class Taxonomy:
    """The ImageNet classes placed under :data:`TAGS` and indexed for query words.

    Build once (WordNet reading costs about 0.2 s on top of opening WordNet) and share.
    """

    def __init__(
        self, wordnet: Any, classes: Sequence[ImageNetClass], tags: Sequence[TagSpec] = TAGS
    ) -> None:
        self.wordnet = wordnet
        self.classes = tuple(classes)
        self.tag_specs = tuple(tags)
        self.tag_names = tuple(t.name for t in self.tag_specs)
        self._class_synsets = [
            wordnet.synset_from_pos_and_offset(c.synset[0], int(c.synset[1:])) for c in classes
        ]
        # below[synset name] = indices of the classes at or under it
        self.below: dict[str, set[int]] = {}
        for index, synset in enumerate(self._class_synsets):
            for ancestor in {synset, *synset.closure(_parents)}:
                self.below.setdefault(ancestor.name(), set()).add(index)
        self.membership = np.zeros((len(classes), len(self.tag_specs)), dtype=np.float32)
        for column, spec in enumerate(self.tag_specs):
            for name in spec.synsets:
                for index in self.below.get(name, ()):
                    self.membership[index, column] = 1.0
        self._tag_sets = {n: self.tag_classes(n) for n in self.tag_names}
        # lemma token -> covered synsets whose names contain it, and whose names end with it
        # ("electronic" -> electronic_equipment.n.01; "mug" -> coffee_mug.n.01)
        self._tokens: dict[str, set[str]] = {}
        self._heads: dict[str, set[str]] = {}
        for name in self.below:
            for written in wordnet.synset(name).lemma_names():
                tokens = written.lower().split("_")
                self._heads.setdefault(_head(tokens), set()).add(name)
                for token in tokens:
                    self._tokens.setdefault(token, set()).add(name)

    def tag_classes(self, tag: str) -> frozenset[int]:
        """The class indices a tag covers."""
        column = self.tag_names.index(tag)
        return frozenset(int(i) for i in np.flatnonzero(self.membership[:, column]))

    def class_tags(self, index: int) -> tuple[str, ...]:
        """The tags a class rolls up into, in :data:`TAGS` order."""
        return tuple(self.tag_names[j] for j in np.flatnonzero(self.membership[index]))

    def tag_scores(self, probabilities: np.ndarray) -> np.ndarray:
        """``[N, len(TAGS)]`` tag scores (0-1) from class probabilities ``[N, 1000]``."""
        result: np.ndarray = np.atleast_2d(probabilities) @ self.membership
        return result

    def tags(self, probabilities: np.ndarray, *, min_score: float = 0.1) -> list[Tag]:
        """One picture's tags scoring at least ``min_score`` (default 0.1), best first."""
        scores = self.tag_scores(probabilities)[0]
        order = np.argsort(-scores, kind="stable")
        return [Tag(self.tag_names[j], float(scores[j])) for j in order if scores[j] >= min_score]

    # --- queries --------------------------------------------------------------------------

    def _tags_for(self, classes: frozenset[int]) -> tuple[str, ...]:
        """Tags lying inside a concept's classes ("animal" -> dog, cat, bird, ...), or when
        none does, the narrowest tags containing them ("Samoyed" -> dog)."""
        inside = tuple(n for n, members in self._tag_sets.items() if members and members <= classes)
        if inside:
            return inside
        covering = [(len(m), n) for n, m in self._tag_sets.items() if classes <= m]
        if not covering:
            return ()
        narrowest = min(size for size, _ in covering)
        return tuple(n for size, n in covering if size == narrowest)

    def _senses(self, phrase: str) -> list[tuple[Any, MatchKind]]:
        """WordNet senses of one word or multi-word name (``coffee mug``) that lie over
        classes, with how each was reached; empty when none does."""
        lemma = phrase.replace(" ", "_")
        senses = self.wordnet.synsets(lemma, pos="n")
        found: list[tuple[Any, MatchKind]] = []
        for synset in senses:
            covered = self.below.get(synset.name())
            if covered:
                single = len(covered) == 1 and synset in self._class_synsets
                found.append((synset, "class" if single else "below"))
        if found:
            return found
        # below every class ("puppy", "skyscraper"): the nearest covered hypernyms of each
        # sense, up to CLIMB_STEPS steps, in the sense's own lexicographer file (so "people"
        # never climbs to "abstraction"; "man", a noun.person word, may reach person), never
        # to a synset as broad as "animal", and never through instances (C. P. Snow is not
        # what "snow" means)
        for sense in senses:
            level = [sense]
            for _ in range(CLIMB_STEPS):
                level = [parent for synset in level for parent in synset.hypernyms()]
                hits = [
                    parent
                    for parent in level
                    if 0 < len(self.below.get(parent.name(), ())) <= MAX_CLIMB_CLASSES
                    and (
                        parent.lexname() == sense.lexname()
                        or (sense.lexname() == "noun.person" and parent.name() == "person.n.01")
                    )
                ]
                if hits:
                    found.extend((parent, "above") for parent in hits)
                    break
        if found:
            return _unique(found)
        # derived forms ("electronics" -> "electronic"), then the word as the head of class
        # names ("mug" -> coffee mug); never the word as a modifier ("grass" -> grass snake)
        forms = {
            form.name().lower()
            for synset in self.wordnet.synsets(lemma)
            for lem in synset.lemmas()
            for form in lem.derivationally_related_forms()
        } - {lemma}
        for form in sorted(forms):
            for name in sorted(self._tokens.get(form, ())):
                found.append((self.wordnet.synset(name), "derived"))
        if found:
            return self._outermost(found)
        head = self.wordnet.morphy(lemma, "n") or lemma
        for name in sorted(self._heads.get(head, ())):
            found.append((self.wordnet.synset(name), "lemma"))
        return self._outermost(found)

    def _outermost(self, found: list[tuple[Any, MatchKind]]) -> list[tuple[Any, MatchKind]]:
        """Drop senses whose classes another sense already covers."""
        sets = [self.below[s.name()] for s, _ in found]
        return [
            item
            for i, item in enumerate(found)
            if not any(sets[i] < other for j, other in enumerate(sets) if j != i)
        ]

    def expand(self, query: str) -> QueryConcepts:
        """The concepts a free-text query names (empty when WordNet ties none of its words to
        a class). Multi-word names are tried first, longest first ("granny smith",
        "coffee mug"); stop words ("a", "the", "photo of") are skipped."""
        words = [w for w in _WORD.findall(query.lower())]
        concepts: list[Concept] = []
        i = 0
        while i < len(words):
            if words[i] in _STOPWORDS:
                i += 1
                continue
            for size in (3, 2, 1):
                phrase = " ".join(words[i : i + size])
                if size > 1 and (len(words) - i < size or words[i + size - 1] in _STOPWORDS):
                    continue
                senses = self._senses(phrase)
                if senses:
                    union = frozenset().union(*(self.below[s.name()] for s, _ in senses))
                    tags = self._tags_for(union)
                    concepts.extend(
                        Concept(phrase, s.name(), kind, frozenset(self.below[s.name()]), tags)
                        for s, kind in senses
                    )
                    i += size
                    break
            else:
                i += 1
        return QueryConcepts(query, tuple(concepts))


_OF = frozenset({"of", "in", "on", "for", "at", "with", "from", "to"})


def _head(tokens: list[str]) -> str:
    """The head word of a multi-word name: its last word before a preposition ("bird of
    night" is a bird, not a night; "coffee mug" a mug)."""
    before = next((n for n, t in enumerate(tokens) if t in _OF and n > 0), len(tokens))
    return tokens[before - 1]


def _parents(synset: Any) -> list[Any]:
    parents: list[Any] = synset.hypernyms() + synset.instance_hypernyms()
    return parents


def _unique(found: list[tuple[Any, MatchKind]]) -> list[tuple[Any, MatchKind]]:
    seen: set[str] = set()
    kept = []
    for synset, kind in found:
        if synset.name() not in seen:
            seen.add(synset.name())
            kept.append((synset, kind))
    return kept
