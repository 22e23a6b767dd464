"""The pieces of the studio that need no video: how a reel picks its spans, how transcripts
become subtitle cues, how a storyboard shares its seconds, how a reframe's path is smoothed,
and which names a render may use. (Rendered outputs are checked in ``test_edits.py``.)"""

from __future__ import annotations

import itertools
from pathlib import Path
from types import SimpleNamespace

import pytest

from vidsense.errors import InvalidArgument, NotFound
from vidsense.library import Library
from vidsense.media.subtitles import to_srt, word_cues
from vidsense.studio.generators.storyboard import scene_texts, share_frames
from vidsense.studio.reel import Candidate, Sentence, plan_reel, reel_length, sentences
from vidsense.studio.reframe import smooth
from vidsense.studio.sources import Sources

pytestmark = pytest.mark.models


def _segment(start: float, end: float, words: list[tuple[float, float, str]]) -> SimpleNamespace:
    data = {"words": [{"word": w, "start": a, "end": b} for a, b, w in words]}
    return SimpleNamespace(start=start, end=end, text=" ".join(w for _, _, w in words), data=data)


def test_sentences_end_at_full_stops_and_long_pauses() -> None:
    segments = [
        _segment(1.0, 3.0, [(1.0, 1.4, "The"), (1.5, 2.0, "tide"), (2.1, 3.0, "turns.")]),
        # one whisper segment, two sentences; then a pause without punctuation
        _segment(3.4, 8.0, [(3.4, 3.8, "Boats"), (3.9, 4.5, "leave?"), (4.6, 5.0, "Yes"),
                            (6.5, 7.0, "then"), (7.1, 8.0, "home")]),
    ]  # fmt: skip
    found = sentences(segments)
    assert [(s.start, s.end, s.text) for s in found] == [
        (1.0, 3.0, "The tide turns."),
        (3.4, 4.5, "Boats leave?"),
        (4.6, 5.0, "Yes"),
        (6.5, 8.0, "then home"),
    ]
    # Read as every quote is (vidsense.language.sentences): "Dr." ends no sentence.
    doctor = [_segment(0.0, 2.0, [(0.0, 0.4, "Dr."), (0.5, 1.0, "Lee"), (1.1, 2.0, "waves.")])]
    assert [s.text for s in sentences(doctor)] == ["Dr. Lee waves."]


def _talk(duration: float = 60.0) -> list[Sentence]:
    """A sentence from 1 s to 4 s of every 6 s."""
    return [Sentence(1.0 + 6 * k, 4.0 + 6 * k, f"s{k}") for k in range(int(duration // 6))]


def _spoken_at(said: list[Sentence], t: float) -> bool:
    return any(s.start < t < s.end for s in said)


@pytest.mark.parametrize("target", [8.0, 20.0, 33.3])
def test_a_reel_hits_its_length_without_cutting_a_sentence(target: float) -> None:
    said = _talk()
    candidates = [Candidate(13.5, 20.5, 0.9), Candidate(30.2, 35.0, 0.7),
                  Candidate(2.0, 7.0, 0.5), Candidate(44.0, 52.0, 0.4)]  # fmt: skip
    spans = plan_reel(candidates, said, 60.0, target, crossfade=0.5, tolerance=0.01)
    assert reel_length(spans, 0.5) == pytest.approx(target, abs=0.01)
    assert spans == sorted(spans) and all(a < b for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in itertools.pairwise(spans))
    for a, b in spans:
        # no word during the fade in after a start, nor during the fade out before an end
        for t in (a, a + 0.25, a + 0.5, b - 0.5, b - 0.25, b):
            assert not _spoken_at(said, t), (a, b, t)
    # the best highlight is in: whole (its sentences finished) when it fits, else its start
    whole = (13.0, 22.0) if target >= 11 else (13.0, 16.0)
    assert any(a <= whole[0] and b >= whole[1] for a, b in spans), spans


def test_a_short_video_is_shown_whole_and_a_wall_of_speech_still_gives_a_reel() -> None:
    assert plan_reel([Candidate(1, 3, 1)], _talk(12), 12.0, 30.0) == [(0.0, 12.0)]
    wall = [Sentence(0.0, 60.0, "no pause at all")]
    spans = plan_reel([Candidate(20.0, 30.0, 1.0)], wall, 60.0, 10.0, crossfade=0.5)
    assert spans == [(20.0, 30.0)]


def test_words_become_cues_of_two_short_lines() -> None:
    text = "The lighthouse was built in 1850 by the harbour board. It still stands."
    words = [(0.5 + 0.4 * i, 0.8 + 0.4 * i, w) for i, w in enumerate(text.split(" "))]
    cues = word_cues(words)
    assert [c.text.replace("\n", " ") for c in cues] == [
        "The lighthouse was built in 1850 by the harbour board.",
        "It still stands.",
    ]
    assert all(len(line) <= 42 for c in cues for line in c.text.split("\n"))
    assert cues[0].start == 0.5 and cues[0].end == pytest.approx(0.8 + 0.4 * 9)
    assert "00:00:00,500 --> 00:00:04,400" in to_srt(cues)
    long = [(i * 0.3, i * 0.3 + 0.2, "word") for i in range(60)]
    assert all(c.end - c.start <= 6.0 and len(c.text) <= 85 for c in word_cues(long))


def test_storyboard_scenes_share_whole_frames_exactly() -> None:
    prompt = "A lighthouse on a cliff at dusk. Then its lamp turns on. Boats come home. The end."
    assert scene_texts(prompt, 12) == [
        "A lighthouse on a cliff at dusk.", "Then its lamp turns on.", "Boats come home.",
        "The end.",
    ]  # fmt: skip
    assert scene_texts(prompt, 4) == [
        "A lighthouse on a cliff at dusk.", "Then its lamp turns on. Boats come home. The end.",
    ]  # fmt: skip
    frames = share_frames([7, 5, 3, 2], 12 * 30, 30)
    assert sum(frames) == 360 and min(frames) >= 30 and frames[0] > frames[1] > frames[2]


def test_the_subject_path_is_smoothed_without_lag() -> None:
    times = [i * 0.5 for i in range(21)]
    step = [0.2] * 10 + [0.8] * 11  # the subject jumps at 5 s
    path = smooth(times, step, tau=0.6)
    assert path[0] == pytest.approx(0.2, abs=0.02) and path[-1] == pytest.approx(0.8, abs=0.02)
    assert path[9] < 0.5 < path[10]  # the move is centred on the jump, not after it
    stray = [0.5] * 10 + [0.95] + [0.5] * 10  # one sample off: ignored
    assert max(smooth(times, stray)) == pytest.approx(0.5)


def test_sources_take_ids_and_fonts_never_paths(lib: Library, tmp_path: Path) -> None:
    sources = Sources(lib, files=lambda name: tmp_path / name)
    assert sources("file-" + "0" * 24) == tmp_path / ("file-" + "0" * 24)
    font = sources("DejaVuSans-Bold.ttf")
    assert font.name == "DejaVuSans-Bold.ttf" and font.is_file()
    for refused in ("/etc/passwd", "../data/vidsense.db", "clip.mp4"):
        with pytest.raises(InvalidArgument) as e:
            sources(refused)
        assert e.value.code == "source_not_allowed"
    with pytest.raises(NotFound) as nf:
        sources("/etc/../etc/fonts/evil.ttf")  # a font name outside the font folders
    assert nf.value.code == "font_not_found"
    with pytest.raises(NotFound) as nf:
        sources("0123456789abcdef01234567")
    assert nf.value.code == "video_not_found"
    local = Sources(lib, allow_paths=True)
    assert local(str(tmp_path / "clip.mp4")) == tmp_path / "clip.mp4"
