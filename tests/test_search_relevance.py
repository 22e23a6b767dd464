"""How evidence is scored against a query (:mod:`vidsense.search.relevance`), with the real
text embedder (multilingual-e5-small): speech in another language than the query's is
measured against the query's background in that language."""

from __future__ import annotations

import numpy as np
import pytest

from vidsense.config import Settings
from vidsense.models.base import TextEmbedder
from vidsense.models.text_embedding import TextEmbeddingEntry
from vidsense.search import relevance
from vidsense.search.base import terms

pytestmark = pytest.mark.models

QUERY = "finding a puncture with water"
ANSWER_DE = "Um ein Loch im Schlauch zu finden, taucht man ihn in Wasser."
"""German for "to find a hole in the inner tube, dip it in water"."""
RELATED_EN = "Push a finger into the soil before you water a houseplant."
"""English, about water, but not about punctures."""


@pytest.fixture(scope="module")
def e5() -> TextEmbedder:
    return TextEmbeddingEntry(Settings()).load()


def test_speech_in_another_language_is_measured_against_that_language(e5: TextEmbedder) -> None:
    query = e5.embed([QUERY], kind="query")[0]
    german, english = e5.embed([ANSWER_DE, RELATED_EN], kind="passage")
    back = relevance.background(e5, query)
    # this English query lies nearer to unrelated English than to unrelated German ...
    assert back.of("en")[0] > back.of("de")[0] + 0.005, back
    assert back.of(None) == back.of("en")  # labels and on-screen text: English
    assert back.of("xx") == (back.other, back.spread)  # a language without references
    # ... so by cosine alone, loosely related English beats the German answer,
    assert float(english @ query) > float(german @ query)
    # while against the background in each one's language, the answer scores higher.
    answer = relevance.semantic(float(german @ query), back.of("de"))
    related = relevance.semantic(float(english @ query), back.of("en"))
    assert answer > related, (answer, related)
    assert relevance.semantic(float(german @ query), back.of("en")) < answer


def test_letters_that_spell_nothing_mean_nothing(e5: TextEmbedder) -> None:
    """On-screen text read as letters that spell no word lies near a short query by its
    length alone: its meaning does not count (its spelling and words still do)."""
    query = e5.embed(["a white dog"], kind="query")[0]
    letters = e5.embed(["RGBWHISKEY"], kind="passage")[0]
    back = relevance.background(e5, query).of("en")
    # By meaning alone the letters match as well as a loosely related line would (0.57: it
    # came first in a library whose only dog was a keyframe label).
    assert relevance.semantic(float(letters @ query), back) > 0.4
    assert not relevance.means("RGBWHISKEY", "en")
    assert not relevance.means("Arquvo tdar Exibir Favorlos", None)  # a menu at an angle
    assert relevance.means("SLIDE 2 TANGO", None)
    assert relevance.means("EL PUENTE DE HIERRO", "es"), "a Spanish video's sign is Spanish"
    assert not relevance.means("EL PUENTE DE HIERRO", "en")


def test_one_word_of_several_counts_little() -> None:
    terms = {"life", "jacket", "lake"}
    one = relevance.lexical(relevance.covered(terms, "The lake below the hut is calm."))
    every = relevance.lexical(relevance.covered(terms, "Wear a life jacket on the lake."))
    assert every == pytest.approx(relevance.WORDS_WEIGHT)
    assert one < every / 5


def test_short_plurals_are_the_word() -> None:
    assert terms("pegs bags maps less plus") == ["peg", "bag", "map", "less", "plus"]
    held = relevance.covered(set(terms("tent pegs")), "Drive each peg into the ground.")
    assert held == 0.5


def test_a_number_in_its_units_tells_the_measure_a_query_names() -> None:
    angle = set(terms("peg angle"))
    assert relevance.covered(angle, "Drive the tent pegs in at 45 degrees.") == 1.0
    assert relevance.covered(angle, "Bury a peg sideways under a stone.") == 0.5
    assert relevance.covered(angle, "The pitch costs 45 euros.") == 0.0
    heat = set(terms("water temperature"))
    assert relevance.covered(heat, "Heat the water to 80 degrees Celsius.") == 1.0
    assert relevance.covered(heat, "Heat the water for 80 seconds.") == 0.5


HUB = "At warm fleece, and at waterproof jacket stay near the top, where you can reach M fast."
"""Recognised speech of general words that lies near almost any query (a hub)."""


@pytest.mark.parametrize(
    ("query", "answer", "near"),
    [
        (
            "how to steer a kayak",
            "To turn, sweep the paddle in a wide arc on the opposite side.",
            HUB,
        ),
        (
            "which side of the train has the nicest view",
            "Sit on the left side for the best view of the waterfalls.",
            "The little red train leaves the city at 7.50 every Saturday morning.",
        ),
    ],
)
def test_a_passage_near_every_query_loses_its_head_start(
    e5: TextEmbedder, query: str, answer: str, near: str
) -> None:
    raw = e5.embed([query], kind="query")[0]
    right, wrong = e5.embed([answer, near], kind="passage")
    assert float(wrong @ raw) > float(right @ raw)  # by cosine alone the hub comes first
    moved, _ = relevance.unhubbed(e5, raw)
    assert float(right @ moved) > float(wrong @ moved)
    assert float(moved @ moved) == pytest.approx(1.0, abs=1e-5)
    # the change is the passage's hubness (mean cosine with the generic queries), weighted
    generic = e5.embed(list(relevance.GENERIC), kind="query")
    for passage in (right, wrong):
        lowered = float(passage @ raw) - relevance.HUB_WEIGHT * float((generic @ passage).mean())
        assert float(passage @ moved) == pytest.approx(
            lowered / float(np.linalg.norm(raw - relevance.HUB_WEIGHT * generic.mean(axis=0))),
            abs=1e-4,
        )


def test_hub_penalties_keep_the_scale_of_cosines(e5: TextEmbedder) -> None:
    """Answers compare fits with a fixed bar: a passage as hub-like as the references loses
    nothing on average, the hub loses more than a specific answer."""
    answer = "To turn, sweep the paddle in a wide arc on the opposite side."
    hub, right = e5.embed([HUB, answer], kind="passage")
    penalties = relevance.hub_penalties(e5, np.stack([hub, right]), "en")
    assert penalties[0] > penalties[1]
    references = e5.embed(list(relevance.REFERENCE["en"]), kind="passage")
    assert float(relevance.hub_penalties(e5, references, "en").mean()) == pytest.approx(
        0.0, abs=1e-5
    )
    assert relevance.hub_penalties(e5, references, None).mean() == pytest.approx(0.0, abs=1e-5)


def test_a_question_for_a_time_weighs_lines_without_one_less() -> None:
    from vidsense.kinds import asked_kind

    when = asked_kind("when is the museum shut")
    assert relevance.kind_weight("Tuesday to Sunday 10:00 - 18:00", when) == 1.0
    cut = relevance.kind_weight("CITY MUSEUM OF CLOCKS", when)
    assert cut == pytest.approx(1.0 - relevance.KIND_CUT)
    # A reason or a thing shows in no plain word: nothing is weighed less.
    for query in ("why the moon has phases", "the museum of clocks"):
        assert relevance.kind_weight("CITY MUSEUM OF CLOCKS", asked_kind(query)) == 1.0
    # "each" and "every" tell how often only before a time or a number.
    often = asked_kind("how often the light flashes")
    assert relevance.kind_weight("It turns once every 10 seconds.", often) == 1.0
    assert relevance.kind_weight("Oil the chain every week.", often) == 1.0
    assert relevance.kind_weight("A sensor counts light in each tiny well.", often) < 1.0
