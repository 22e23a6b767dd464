"""`vidsense analyze`: every analyzer over one decode pass and one audio extraction."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.clip_support import make_tiny_clip
from tests.conftest import MediaCache
from tests.factory import Caption, Scene, make_speech, make_video, run
from vidsense.config import ModelSettings, Settings
from vidsense.errors import CorruptMedia, InvalidArgument
from vidsense.options import analysis_options
from vidsense.perception import shots as shots_module
from vidsense.perception.analyze import Analysis, analyze, evidence_texts

pytestmark = pytest.mark.models

SENTENCES = [
    (1.0, "Welcome to the harbour tour of the old town."),
    (7.0, "The lighthouse was built two hundred years ago."),
    (13.0, "Tickets are sold at the blue kiosk by the pier."),
]
# drawtext's enable range is inclusive: end each title just before the next one starts.
TITLES = [
    Caption("HARBOUR TOUR", 0.0, 5.99),
    Caption("THE LIGHTHOUSE", 6.0, 11.99),
    Caption("BLUE KIOSK", 12.0, 18.0),
]
DURATION = 18.0


@pytest.fixture(scope="module")
def tour(media: MediaCache) -> Path:
    def build(out: Path) -> None:
        speech = out.parent / "tour.wav"
        make_speech(speech, SENTENCES, DURATION)
        scenes = [
            Scene(6.0, "color=c=0x123456"),
            Scene(6.0, "color=c=0x553311"),
            Scene(6.0, "color=c=0x225522"),
        ]
        make_video(out, scenes, size="640x360", captions=TITLES, audio=speech)

    return media.get("tour.mp4", build)


@pytest.fixture(scope="module")
def tour_analysis(tour: Path, tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    return analyze(tour, Settings(), out_dir=tmp_path_factory.mktemp("tour"))


def test_everything_comes_out_of_one_run(tour_analysis: Analysis) -> None:
    a = tour_analysis
    assert [round(s.start, 2) for s in a.shots] == [0.0, 6.0, 12.0]
    assert len(a.keyframes) == 3 and all(k.path.exists() for k in a.keyframes)
    assert a.transcript is not None and a.transcript.language == "en"
    said = " ".join(s.text.lower() for s in a.transcript.segments)
    for word in ("harbo", "lighthouse", "kiosk"):
        assert word in said
    for (at, _), segment in zip(SENTENCES, a.transcript.segments, strict=False):
        assert abs(segment.start - at) < 0.5
    seen = {s.text.upper(): s for s in a.text_sightings}
    for title in TITLES:
        assert title.text in seen
        assert abs(seen[title.text].start - title.start) <= 1.0
        assert abs(seen[title.text].end - title.end) <= 1.0
    assert any(e.label == "Speech" for e in a.audio_events)
    assert a.decode_error is None


def test_document_and_embeddings_are_written(tour_analysis: Analysis) -> None:
    a = tour_analysis
    assert a.embeddings_path is not None
    doc = json.loads((a.embeddings_path.parent / "analysis.json").read_text())
    assert doc["metadata"]["duration"] == pytest.approx(DURATION, abs=0.1)
    assert len(doc["shots"]) == 3 and doc["transcript"]["segments"]
    assert "embedding" not in json.dumps(doc["transcript"])  # vectors live beside, not inside
    arrays = np.load(a.embeddings_path)
    kinds, texts = evidence_texts(a)
    assert arrays["text"].shape == (len(texts), 384)
    assert list(arrays["text_kinds"]) == kinds
    assert np.allclose(np.linalg.norm(arrays["text"], axis=1), 1.0, atol=1e-4)
    assert "visual" not in arrays.files
    assert any("no visual embeddings" in n for n in a.notes)
    # what each keyframe shows, one per shot, its image embedding beside the document
    assert [(v.shot, v.start, v.end) for v in a.visual] == [
        (s.index, s.start, s.end) for s in a.shots
    ]
    assert [v["shot"] for v in doc["visual"]] == [0, 1, 2] and doc["visual"][0]["labels"]
    assert arrays["image"].shape == (3, 1280)
    for stage in ("decode_shots", "ocr", "speech", "audio_events", "embeddings", "total"):
        assert stage in a.timings


def test_one_decode_pass(tour: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Path] = []

    class CountingSource(shots_module.FrameSource):
        def __init__(self, path: str | Path, **kwargs: object) -> None:
            opened.append(Path(path))
            super().__init__(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(shots_module, "FrameSource", CountingSource)
    analyze(tour, Settings(), out_dir=tmp_path, options=["visual", "text_in_video"])
    assert opened == [tour]


def test_options_select_analyzers(tour: Path, tmp_path: Path) -> None:
    only_speech = analyze(tour, Settings(), out_dir=tmp_path / "a", options=["conversation"])
    assert only_speech.transcript is not None and only_speech.text_sightings == []
    assert only_speech.audio_events == []
    only_text = analyze(tour, Settings(), out_dir=tmp_path / "b", options=["text_in_video"])
    assert only_text.transcript is None and only_text.text_sightings
    assert len(only_text.shots) == 3  # shots always run
    with pytest.raises(InvalidArgument, match="unknown analysis option"):
        analysis_options(["visual", "smell"])


def test_visual_embeddings_with_a_local_model(tour: Path, tmp_path: Path) -> None:
    folder = make_tiny_clip(tmp_path / "clip")
    settings = Settings(models=ModelSettings(visual=folder))
    result = analyze(tour, settings, out_dir=tmp_path / "out", options=["visual"])
    assert result.embeddings_path is not None
    visual = np.load(result.embeddings_path)["visual"]
    assert visual.shape[0] == len(result.keyframes) == 3
    assert np.allclose(np.linalg.norm(visual, axis=1), 1.0, atol=1e-4)
    assert result.visual_model is not None


def test_a_missing_image_model_is_a_note(tour: Path, tmp_path: Path) -> None:
    bare = Settings(data_dir=tmp_path, models=ModelSettings(dir=tmp_path / "no-models"))
    result = analyze(tour, bare, out_dir=tmp_path / "out", options=["visual"])
    assert result.visual == [] and len(result.shots) == 3
    assert any("no image labels" in n and "vidsense models install" in n for n in result.notes)


def test_faces_are_sampled_inside_long_shots(media: MediaCache, tmp_path: Path) -> None:
    from tests.visual_support import photo_video, require_face_photos
    from vidsense.models.faces import FacesEntry

    if not FacesEntry(Settings()).installed():
        pytest.skip(FacesEntry(Settings()).detail())
    folder = require_face_photos()
    # one 17 s shot of a face: its keyframe, and samples at 10 s and 15 s
    long_shot = media.get(
        "long-face.mp4",
        lambda out: photo_video(out, [folder / "biden.jpg"], seconds=17.0, size="1280x720"),
    )
    assert analysis_options(["faces"]) == {"faces", "visual"}
    result = analyze(long_shot, Settings(), out_dir=tmp_path, options=["faces"])
    assert len(result.shots) == 1 and len(result.visual) == 1
    assert len(result.visual[0].faces) == 1 and result.visual[0].shows().endswith("; 1 person")
    assert [round(s.time) for s in result.face_samples] == [10, 15]
    assert all(len(s.faces) == 1 for s in result.face_samples)
    plain = analyze(long_shot, Settings(), out_dir=tmp_path / "plain", options=["visual"])
    assert plain.face_samples == [] and plain.visual[0].faces == ()


def test_no_audio_track_is_a_note_not_an_error(media: MediaCache, tmp_path: Path) -> None:
    silent = media.get(
        "silent_pictures.mp4", lambda out: make_video(out, [Scene(3.0, "testsrc2")], size="320x240")
    )
    result = analyze(silent, Settings(), out_dir=tmp_path)
    assert result.transcript is not None and result.transcript.segments == ()
    assert result.transcript.note == "no audio track"
    assert any("no audio track" in n for n in result.notes)


def test_damage_mid_file_is_reported_and_the_rest_analysed(tour: Path, tmp_path: Path) -> None:
    faststart = tmp_path / "fs.mp4"
    run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(tour),
            "-c",
            "copy",
            "-movflags",
            "+faststart",
            str(faststart),
        ]
    )
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(faststart.read_bytes()[: int(faststart.stat().st_size * 0.6)])
    options = ["visual", "text_in_video"]
    with pytest.raises(CorruptMedia, match=f"cut short: the file ends at .* of {DURATION:.1f} s"):
        analyze(damaged, Settings(), out_dir=tmp_path / "refused", options=options)
    # Asked for, the readable part is analysed, and is the video's length.
    partial = Settings(allow_partial_media=True)
    result = analyze(damaged, partial, out_dir=tmp_path / "out", options=options)
    end = result.metadata.duration
    assert 3.0 < end < DURATION - 1.0 and result.metadata.partial is not None
    assert result.shots and result.shots[-1].end <= end + 0.01
    assert all(t.start < end for t in result.text_sightings)


def test_cli_analyze_json(tour: Path, tmp_path: Path) -> None:
    exe = str(Path(sys.executable).parent / "vidsense")
    proc = subprocess.run(
        [
            exe,
            "analyze",
            str(tour),
            "--option",
            "visual,text_in_video",
            "--out",
            str(tmp_path),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert len(doc["shots"]) == 3 and doc["text_sightings"] and doc["transcript"] is None
    assert (tmp_path / "analysis.json").exists()
    bad = subprocess.run(
        [exe, "analyze", str(tour), "--option", "smell"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "unknown analysis option" in bad.stderr
