"""How evidence is scored against a query (:mod:`vidsense.search.relevance`), with the real
text embedder (multilingual-e5-small): speech in another language than the query's is
measured against the query's background in that language."""

from __future__ import annotations

import pytest

from vidsense.config import Settings
from vidsense.models.base import TextEmbedder
from vidsense.models.text_embedding import TextEmbeddingEntry
from vidsense.search import relevance

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


def test_one_word_of_several_counts_little() -> None:
    terms = {"life", "jacket", "lake"}
    one = relevance.lexical(relevance.covered(terms, "The lake below the hut is calm."))
    every = relevance.lexical(relevance.covered(terms, "Wear a life jacket on the lake."))
    assert every == pytest.approx(relevance.WORDS_WEIGHT)
    assert one < every / 5
