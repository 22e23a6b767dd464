"""Searching speech in another language than the query's with bilingual word lists
(:mod:`vidsense.models.lexicon`, FreeDict's dictd files): read from a tiny dictionary pair the
test writes, matched word by word, and end to end with Debian's dictionaries over German speech
made by espeak-ng."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tests.conftest import MediaCache
from tests.factory import Scene, make_speech, make_video
from tests.library_support import finished
from vidsense.config import ModelSettings, Settings
from vidsense.jobs import EmbeddedExecutor
from vidsense.language.answering import Question
from vidsense.language.base import NOT_IN_VIDEO
from vidsense.language.service import WritingService
from vidsense.library import Library
from vidsense.models.lexicon import Lexicon, available_pairs, build, read_dictd, word_lists
from vidsense.search import Clip, SearchRequest, SearchService
from vidsense.search.base import query_translations, translations
from vidsense.search.relevance import covered, same_word

_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _number(n: int) -> str:
    """dictd's base-64 number."""
    out = ""
    while True:
        out = _DIGITS[n % 64] + out
        n //= 64
        if n == 0:
            return out


def write_dictd(folder: Path, pair: str, entries: dict[str, str]) -> None:
    """A FreeDict-shaped dictd dictionary ``freedict-<pair>``: each headword's entry is its
    line, then ``entries[head]`` (the body as FreeDict writes it)."""
    body = b""
    index = []
    for head in ["00-database-info", *sorted(entries)]:
        text = f"{head} /x/\n{entries.get(head, 'about this dictionary')}\n\n".encode()
        index.append(f"{head}\t{_number(len(body))}\t{_number(len(text))}\n")
        body += text
    (folder / f"freedict-{pair}.index").write_text("".join(index), encoding="utf-8")
    with gzip.open(folder / f"freedict-{pair}.dict.dz", "wb") as f:
        f.write(body)


@pytest.fixture
def tiny(tmp_path: Path) -> Lexicon:
    """English-German both ways, a few entries in FreeDict's layout."""
    write_dictd(
        tmp_path,
        "eng-deu",
        {
            "chain": 'Kette <fem>\n see: {chains}, {bike chain}\n      "a chain"  - eine Kette',
            "ride": "Fahrt <fem> [transp.]  [kurze]\n",
            "test": "1. Probe <fem>\n2. Test <masc>, Prüfung <fem>\n",
            "brake": "Bremse <fem> [techn.]\n",
            "test drive": "Probefahrt <fem>\n",
            "many": "a, b, c, d, e, f, g, h, i, j, k, l, m\n",
        },
    )
    write_dictd(
        tmp_path,
        "deu-eng",
        {
            "einstellung": "adjustment, adjusting; setting\n   Synonym: {Justierung}\n",
            "mond": "moon <masc>\n",
        },
    )
    path = tmp_path / "lexicon.sqlite"
    assert build(path, tmp_path) > 0
    return Lexicon(path)


def test_word_lists_are_read_from_freedict_files(tiny: Lexicon, tmp_path: Path) -> None:
    """Single-word translations of each entry's translation lines (numbered senses split,
    genders and field labels dropped), never its examples, notes or cross-references; phrases
    ("test drive") and entries of many loose senses are left out; a German-English entry is
    read the other way round."""
    assert tiny.languages == {"de"}
    assert tiny.translations("chain", "de") == {"kette"}
    assert tiny.translations("test", "de") == {"probe", "test", "prüfung"}
    assert tiny.translations("adjusting", "de") == {"einstellung"}
    assert tiny.translations("setting", "de") == {"einstellung"}
    assert tiny.translations("chain", "it") == frozenset() == tiny.translations("chain", "en")
    assert tiny.english("mond") == {"moon"} and tiny.english("kette") == {"chain"}
    assert tiny.translations("many", "de") == frozenset()  # 13 senses: no translation
    heads = dict(
        read_dictd(tmp_path / "freedict-eng-deu.index", tmp_path / "freedict-eng-deu.dict.dz")
    )
    assert "test drive" not in heads and "00-database-info" not in heads


def test_a_query_word_is_found_in_its_translations(tiny: Lexicon) -> None:
    """ "test ride after adjusting" holds every word of the German line about a test ride
    (compound parts, inflection); a French word of a query is looked for as its English; an
    English query over English speech gets nothing from the lists."""
    line = "Nach jeder Einstellung macht man eine kurze Probefahrt."
    query = "test ride after adjusting"
    forms = query_translations(tiny, query, "de")
    assert forms == {
        "test": {"probe", "test", "prüfung"},
        "ride": {"fahrt"},
        "adjusting": {"einstellung"},
    }
    terms = {"test", "ride", "adjusting"}
    assert covered(terms, line) == 0.0
    assert covered(terms, line, forms) == 1.0
    assert query_translations(tiny, "la lune", "en") == {}  # "lune" is in no list here
    assert query_translations(tiny, "der mond", "en") == {"mond": {"moon"}}
    assert query_translations(tiny, "brake chain", "en") == {}  # English already
    assert same_word("kette", "fahrradketter") and same_word("bremse", "bremsbeläge")
    assert same_word("ponte", "ponti") and same_word("einstellen", "einstellung")
    assert not same_word("test", "testament") and not same_word("rad", "grad")


@pytest.mark.models
def test_an_english_query_finds_german_speech(lib: Library, media: MediaCache) -> None:
    """German speech about a test ride, and English speech that shares the word "ride": the
    English query "test ride after adjusting" finds the German line first."""
    if not available_pairs():
        pytest.skip("FreeDict is not installed (apt-get install dict-freedict-eng-deu ...)")

    def clip(name: str, text: str, voice: str) -> Path:
        def make(out: Path) -> None:
            wav = out.with_suffix(".wav")
            make_speech(wav, [(0.4, text)], 6.0, voice=voice)
            make_video(out, [Scene(6.0, "color=c=0x223344")], size="320x240", fps=10, audio=wav)

        return media.get(name, make)

    german = clip("ride-de.mp4", "Nach jeder Einstellung macht man eine kurze Probefahrt.", "de")
    english = clip(
        "ride-en.mp4", "The ride back to the station takes about forty minutes.", "en-us"
    )
    index = lib.create_index("rides")
    with EmbeddedExecutor(lib, 1):
        tasks = [lib.submit_file(index.id, path).task.id for path in (german, english)]
        videos = [finished(lib, t).video_id for t in tasks]
    assert all(videos)
    result = SearchService(lib).run(
        SearchRequest(index.id, "test ride after adjusting", ("conversation",), threshold="none")
    )
    clips = [c for c in result.items if isinstance(c, Clip)]
    assert clips and clips[0].video_id == videos[0], [(c.video_id, c.score) for c in clips]
    # Questions in English about the German video: the test ride is answered from the German
    # line; a train ("Zug") is never named in it, so which train it is is not in the video.
    writing = WritingService(lib)
    answer = writing.generate(videos[0], "What do you do after every adjustment?")["data"]
    assert "Probefahrt" in answer, answer
    refused = writing.generate(videos[0], "Which train leaves after the test ride?")["data"]
    assert refused.startswith(NOT_IN_VIDEO), refused


@pytest.mark.models  # questions are read with WordNet
def test_a_question_word_is_said_in_its_translation(tiny: Lexicon) -> None:
    """A question's words count as said by a line in another language that holds their
    translations ("brake": "BREMSEN")."""
    q = Question.read("How do you adjust the brake?")
    forms = translations(tiny, {t: {t} for t in q.words}, "de")
    assert forms == {"brake": {"bremse"}}
    assert q.said("BREMSEN EINSTELLEN") == 0.0
    assert q.said("BREMSEN EINSTELLEN", forms) == pytest.approx(0.5)
    assert q.score("BREMSEN EINSTELLEN", 0.8, forms) > q.score("BREMSEN EINSTELLEN", 0.8)


@pytest.mark.models
def test_word_lists_that_cannot_be_written_are_left_out(tmp_path: Path) -> None:
    """A models folder the word lists cannot be written to: searches go on without them
    (words match as written), and the build is not tried again for every query."""
    if not available_pairs():
        pytest.skip("FreeDict is not installed (apt-get install dict-freedict-eng-deu ...)")
    blocker = tmp_path / "models"
    blocker.write_text("a file where the models folder should be")
    settings = Settings(data_dir=tmp_path / "data", models=ModelSettings(dir=blocker))
    assert word_lists(settings) is None
    assert word_lists(settings) is None and blocker.read_text().startswith("a file")
