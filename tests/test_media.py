"""The media engine on generated videos with known cuts, fades, labels and keyframes."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import subprocess
import sys
from pathlib import Path
from unittest import mock

import cv2
import numpy as np
import pytest

from tests.conftest import MediaCache
from tests.damaged_support import LENGTH, corrupt_middle, cut, ffmpeg_decodes_until, twenty_seconds
from tests.factory import Caption, Scene, make_speech, make_video, run
from vidsense.errors import CorruptMedia, EmptyMedia, InvalidArgument, UnsupportedMedia
from vidsense.media.decode import FrameSource, sample_times
from vidsense.media.edit import extract_audio, keyframe_before, trim
from vidsense.media.frames import extract_frames, thumbnail
from vidsense.media.probe import probe, sniff
from vidsense.media.samples import sample_video
from vidsense.media.tools import last_error_line
from vidsense.perception.shots import detect_shots, scan_shots

FPS = 30
# Hard cuts between visually distinct sources; each length is a whole number of frames.
CUT_SCENES = [
    Scene(1.5, "testsrc2"),
    Scene(2.0, "color=c=red"),
    Scene(1.0, "smptebars"),
    Scene(2.5, "color=c=0x103070"),
    Scene(1.7, "rgbtestsrc"),
    Scene(1.3, "testsrc"),
]
CUTS = list(np.cumsum([s.duration for s in CUT_SCENES])[:-1])
CUT_TOTAL = sum(s.duration for s in CUT_SCENES)


def _labelled(scenes: list[Scene]) -> list[Scene]:
    t = 0.0
    out = []
    for i, s in enumerate(scenes):
        label = Caption(f"SHOT {i}", t, t + s.duration, size=28, x="10", y="10", box=True)
        out.append(Scene(s.duration, s.source, [label]))
        t += s.duration
    return out


@pytest.fixture(scope="session")
def cuts_video(media: MediaCache) -> Path:
    def build(out: Path) -> None:
        speech = out.parent / "speech.wav"
        make_speech(speech, [(1.0, "one two three")], CUT_TOTAL)
        make_video(
            out,
            _labelled(CUT_SCENES),
            size="320x240",
            fps=FPS,
            audio=speech,
            extra=["-metadata", "creation_time=2024-01-02T03:04:05Z"],
        )

    return media.get("cuts.mp4", build)


@pytest.fixture(scope="session")
def fades_video(media: MediaCache) -> Path:
    # Three bright shots joined by 1 s fades through black centred on 4.0 s and 8.0 s.
    def build(out: Path) -> None:
        scenes = [
            Scene(4.0, "testsrc2", fade_out=0.5),
            Scene(4.0, "smptebars", fade_in=0.5, fade_out=0.5),
            Scene(4.0, "rgbtestsrc", fade_in=0.5),
        ]
        make_video(out, scenes, size="320x240", fps=FPS)

    return media.get("fades.mp4", build)


@pytest.fixture(scope="session")
def gop_video(media: MediaCache) -> Path:
    # 30 s of moving pattern with a keyframe every 2 s (60 frames).
    def build(out: Path) -> None:
        make_video(out, [Scene(30.0, "testsrc2")], size="320x240", fps=FPS, keyint=60)

    return media.get("gop.mp4", build)


def _ffprobe(path: Path) -> dict[str, object]:
    proc = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ],
        capture_output=True,
        check=True,
    )
    data: dict[str, object] = json.loads(proc.stdout)
    return data


def _console_script(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script (the one beside this interpreter)."""
    exe = Path(sys.executable).parent / "vidsense"
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, check=False, timeout=300
    )


def _vidsense(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process as the console script runs it (``vidsense.cli.main.main``
    with these arguments), keeping its exit status, standard output and standard error
    (:func:`test_cli_probe_json` runs the installed script itself)."""
    from vidsense.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    status = 0
    with (
        mock.patch.object(sys, "argv", ["vidsense", *args]),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            main()
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return subprocess.CompletedProcess(["vidsense", *args], status, out.getvalue(), err.getvalue())


# --- probe -----------------------------------------------------------------------------------


def test_probe_agrees_with_ffprobe(cuts_video: Path) -> None:
    info = probe(cuts_video)
    ref = _ffprobe(cuts_video)
    fmt = ref["format"]
    video = next(s for s in ref["streams"] if s["codec_type"] == "video")  # type: ignore[index, union-attr]
    audio = next(s for s in ref["streams"] if s["codec_type"] == "audio")  # type: ignore[index, union-attr]
    assert info.duration == pytest.approx(float(fmt["duration"]))  # type: ignore[index]
    assert info.duration == pytest.approx(CUT_TOTAL, abs=0.05)
    assert info.fps == pytest.approx(FPS)
    assert (info.width, info.height) == (video["width"], video["height"]) == (320, 240)
    assert info.codec == video["codec_name"] == "h264"
    assert info.bit_rate == int(fmt["bit_rate"])  # type: ignore[index]
    assert info.size == int(fmt["size"]) == cuts_video.stat().st_size  # type: ignore[index]
    assert info.has_audio and info.audio is not None
    assert info.audio.codec == audio["codec_name"] == "aac"
    assert info.audio.sample_rate == int(audio["sample_rate"])
    assert info.container == "mp4"
    assert info.creation_time is not None and info.creation_time.startswith("2024-01-02T03:04:05")
    assert info.frame_count == round(CUT_TOTAL * FPS)
    assert info.rotation == 0


def test_probe_rotation_matches_ffprobe_and_frames_are_turned(
    cuts_video: Path, tmp_path: Path
) -> None:
    rotated = tmp_path / "rotated.mp4"
    run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(cuts_video),
            "-c",
            "copy",
            "-metadata:s:v:0",
            "rotate=90",
            str(rotated),
        ]
    )
    info = probe(rotated)
    side = _ffprobe(rotated)["streams"][0]["side_data_list"][0]["rotation"]  # type: ignore[index]
    assert info.rotation == side
    assert info.display_size == (240, 320)
    with FrameSource(rotated, info=info) as source:
        ((_, frame),) = source.frames_at([0.5])
        image = frame.full()
    assert image.shape[:2] == (320, 240)
    reference = tmp_path / "ref.png"
    run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-ss",
            "0.5",
            "-i",
            str(rotated),
            "-frames:v",
            "1",
            str(reference),
        ]
    )
    expected = cv2.cvtColor(cv2.imread(str(reference)), cv2.COLOR_BGR2RGB)
    assert np.abs(image.astype(int) - expected.astype(int)).mean() < 4.0


def test_cli_probe_json(cuts_video: Path) -> None:
    proc = _console_script("probe", str(cuts_video), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    for key in (
        "duration",
        "fps",
        "width",
        "height",
        "rotation",
        "codec",
        "bit_rate",
        "size",
        "has_audio",
        "audio_codec",
        "audio_sample_rate",
        "container",
        "creation_time",
    ):
        assert key in data
    assert data["audio_sample_rate"] > 0 and data["width"] == 320


# --- shots -----------------------------------------------------------------------------------


def test_hard_cuts_found_within_one_frame_and_nothing_else(cuts_video: Path) -> None:
    shots = detect_shots(cuts_video)
    starts = [s.start for s in shots[1:]]
    assert len(starts) == len(CUTS), [s.to_dict() for s in shots]
    for found, truth in zip(starts, CUTS, strict=True):
        assert abs(found - truth) <= 1.0 / FPS + 1e-6
    assert shots[0].start == 0.0
    assert shots[-1].end == pytest.approx(probe(cuts_video).duration)
    for a, b in itertools.pairwise(shots):
        assert a.end == b.start


def test_fades_found_by_threshold_detector(fades_video: Path) -> None:
    shots = detect_shots(fades_video, detector="threshold")
    assert len(shots) == 3, [s.to_dict() for s in shots]
    for found, truth in zip([s.start for s in shots[1:]], [4.0, 8.0], strict=True):
        assert abs(found - truth) <= 0.5
    # Content detection does not mistake a slow fade for a cut.
    assert len(detect_shots(fades_video, detector="content")) <= 3


def test_adaptive_detector_covers_the_video(cuts_video: Path) -> None:
    shots = detect_shots(cuts_video, detector="adaptive")
    assert shots[0].start == 0.0 and shots[-1].end == pytest.approx(CUT_TOTAL, abs=0.05)
    assert all(s.end > s.start for s in shots)


def test_one_pass_gives_shots_and_sharp_keyframes(cuts_video: Path) -> None:
    from vidsense.media.decode import DecodeReport

    report = DecodeReport()
    closed = list(scan_shots(cuts_video, keyframes_per_shot=1, report=report))
    # Every frame decoded exactly once for shots and keyframes together.
    assert report.frames == probe(cuts_video).frame_count
    assert len(closed) == len(CUT_SCENES)
    for c in closed:
        (frame,) = c.keyframes
        assert c.shot.start <= frame.time < c.shot.end
        image = frame.full()
        assert image.shape == (240, 320, 3)
        assert image.mean() > 20  # not black


def test_per_shot_keyframe_avoids_black(media: MediaCache) -> None:
    def build(out: Path) -> None:
        # The second shot starts with 1 s of black before its picture.
        make_video(
            out,
            [Scene(2.0, "testsrc2"), Scene(1.0, "color=c=black"), Scene(2.0, "smptebars")],
            size="320x240",
            fps=FPS,
        )

    path = media.get("black_start.mp4", build)
    closed = list(scan_shots(path, keyframes_per_shot=2, fast=False))
    for c in closed:
        for frame in c.keyframes:
            if c.shot.end - c.shot.start > 1.5:
                assert frame.full().mean() > 20


# --- frames ----------------------------------------------------------------------------------


def _ffmpeg_frame(path: Path, t: float, tmp: Path) -> np.ndarray:
    """ffmpeg's own picture of the frame that starts at ``t`` (a frame start time)."""
    out = tmp / f"ref_{t:.4f}.png"
    # -ss T gives the first frame starting at or after T: aim a quarter frame early.
    run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-ss",
            f"{max(0.0, t - 0.25 / FPS):.6f}",
            "-i",
            str(path),
            "-frames:v",
            "1",
            str(out),
        ]
    )
    return cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB)


def test_frame_at_t_is_the_frame_ffmpeg_shows(gop_video: Path, tmp_path: Path) -> None:
    """The frame displayed at T starts at or before T. ffmpeg's ``-ss T -frames:v 1`` gives the
    first frame starting at or after T, so for T between two frames the reference is taken at
    the start of the frame on screen."""
    times = [0.0, 0.51, 1.99, 2.0, 7.25, 7.3, 15.0, 29.9]
    with FrameSource(gop_video) as source:
        got = [(t, frame.full().astype(int)) for t, frame in source.frames_at(times)]
    assert [t for t, _ in got] == sorted(times)
    for t, ours in got:
        on_screen = np.floor(t * FPS + 1e-6) / FPS
        ref = _ffmpeg_frame(gop_video, on_screen, tmp_path).astype(int)
        after = _ffmpeg_frame(gop_video, min(on_screen + 1 / FPS, 29.95), tmp_path).astype(int)
        error = np.abs(ours - ref).mean()
        # Colour conversion differs by a level or two; the next frame is far further away.
        assert error < 2.5, t
        assert error < np.abs(ours - after).mean() / 2, t
    written = extract_frames(gop_video, tmp_path / "frames", at=times)
    assert [f.timestamp for f in written] == sorted(times)
    assert all(f.path.read_bytes()[:2] == b"\xff\xd8" for f in written)


def test_neighbouring_frames_are_told_apart(gop_video: Path, tmp_path: Path) -> None:
    a, b = extract_frames(gop_video, tmp_path, at=[5.0, 5.0 + 1.0 / FPS])
    pa = cv2.imread(str(a.path)).astype(int)
    pb = cv2.imread(str(b.path)).astype(int)
    assert np.abs(pa - pb).mean() > 3.0


_CONVERT_AT_ONCE = """
import sys
from concurrent.futures import ThreadPoolExecutor
import numpy as np
from vidsense.media.decode import FrameSource
with FrameSource(sys.argv[1]) as source:
    frames = list(source.frames())
def convert(n):
    frame = frames[n // 3]
    return frame.small() if n % 3 == 0 else frame.full(160 * (n % 3))
with ThreadPoolExecutor(4) as pool:
    images = list(pool.map(convert, range(3 * len(frames))))
assert all(np.array_equal(a, convert(n)) for n, a in enumerate(images))
print(len(frames))
"""


def test_one_frame_converted_by_several_threads_at_once(media: MediaCache) -> None:
    """Consumers of one decoded frame (the shot detector's thumbnail, a keyframe or text
    reader's picture) may run on threads at once. A 4:4:4 picture goes through swscale for
    every size and format: PyAV's one scaler per frame, used by two threads, hung the process
    or crashed it in libswscale (4 hangs and 1 crash in 5 runs of this before the fix)."""

    def build(out: Path) -> None:
        run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
             "testsrc2=size=640x360:rate=25", "-t", "2", "-pix_fmt", "yuv444p", "-c:v",
             "libx264", str(out)])  # fmt: skip

    video = media.get("yuv444.mp4", build)
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", _CONVERT_AT_ONCE, str(video)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0 and done.stdout.strip() == "50", done.stderr[-2000:]


def test_every_seconds_keyframe_mode_and_exact_mode(gop_video: Path, tmp_path: Path) -> None:
    fast = extract_frames(gop_video, tmp_path / "fast", every=5.0, mode="keyframe")
    assert [round(f.timestamp, 3) for f in fast] == [0.0, 4.0, 10.0, 14.0, 20.0, 24.0]
    exact = extract_frames(gop_video, tmp_path / "exact", every=5.0, mode="exact")
    assert [f.timestamp for f in exact] == [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]
    assert len(extract_frames(gop_video, tmp_path / "count", count=4)) == 4


def test_sample_times() -> None:
    assert sample_times(10.0, every=2.5) == [0.0, 2.5, 5.0, 7.5]
    assert sample_times(10.0, count=2) == [2.5, 7.5]
    assert sample_times(10.0, at=[11, 3, 1]) == [1, 3]
    with pytest.raises(ValueError):
        sample_times(10.0, every=0)


def test_cli_frames_per_shot_and_width(cuts_video: Path, tmp_path: Path) -> None:
    proc = _vidsense(
        "frames",
        str(cuts_video),
        "--per-shot",
        "1",
        "--out",
        str(tmp_path),
        "--width",
        "160",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    frames = json.loads(proc.stdout)
    assert len(frames) == len(CUT_SCENES)
    for item in frames:
        image = cv2.imread(item["path"])
        assert image.shape[1] == 160


def test_cli_frames_rejects_ambiguous_request(cuts_video: Path, tmp_path: Path) -> None:
    proc = _vidsense(
        "frames", str(cuts_video), "--every", "1", "--count", "3", "--out", str(tmp_path)
    )
    assert proc.returncode != 0
    assert "exactly one of" in proc.stderr and "Traceback" not in proc.stderr
    proc = _vidsense("frames", str(cuts_video), "--at", "99", "--out", str(tmp_path))
    assert proc.returncode != 0 and "outside the video" in proc.stderr


# --- trim, thumbnail, audio ------------------------------------------------------------------


def test_accurate_trim_is_within_one_frame(gop_video: Path, tmp_path: Path) -> None:
    clip = trim(gop_video, 3.3, 7.7, tmp_path / "clip.mp4", mode="accurate")
    assert clip.method == "reencode"
    assert abs(clip.duration - 4.4) <= 1.0 / FPS + 1e-3
    # The clip's first frame is the source frame at 3.3 s.
    first = _ffmpeg_frame(clip.path, 0.0, tmp_path).astype(int)
    ref = _ffmpeg_frame(gop_video, 3.3, tmp_path).astype(int)
    assert np.abs(first - ref).mean() < 6.0


def test_auto_trim_copies_from_a_keyframe(gop_video: Path, tmp_path: Path) -> None:
    assert keyframe_before(gop_video, 5.0) == pytest.approx(4.0)
    clip = trim(gop_video, 4.0, 9.0, tmp_path / "copy.mp4")
    assert clip.method == "copy"
    assert abs(clip.duration - 5.0) <= 2.0 / FPS
    off_key = trim(gop_video, 5.0, 9.0, tmp_path / "auto.mp4")
    assert off_key.method == "reencode"


def test_trim_rejects_bad_ranges(gop_video: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument):
        trim(gop_video, 5.0, 4.0, tmp_path / "x.mp4")
    with pytest.raises(InvalidArgument):
        trim(gop_video, 45.0, 50.0, tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


def test_thumbnail_and_audio(cuts_video: Path, tmp_path: Path) -> None:
    made = thumbnail(cuts_video, 2.0, tmp_path / "t.jpg", width=160)
    image = cv2.imread(str(made.path))
    assert image.shape == (120, 160, 3)
    # 2.0 s is inside the solid red shot.
    b, g, r = image[60:100, 40:120].reshape(-1, 3).mean(axis=0)
    assert r > 180 and g < 60 and b < 60
    samples = extract_audio(cuts_video)
    assert samples.dtype == np.float32
    assert len(samples) / 16000 == pytest.approx(CUT_TOTAL, abs=0.1)
    assert np.abs(samples[16000:32000]).max() > 0.05  # the spoken words


def test_audio_of_a_silent_file_is_empty(gop_video: Path) -> None:
    assert extract_audio(gop_video).size == 0


# --- real sample videos that ship in packages ------------------------------------------------


@pytest.mark.parametrize("name", ["bigbuckbunny", "bikes"])
def test_real_samples(name: str, tmp_path: Path) -> None:
    path = sample_video(name)
    info = probe(path)
    assert info.duration > 4 and info.fps > 0
    shots = detect_shots(path, info=info)
    assert shots[0].start == 0 and shots[-1].end == pytest.approx(info.duration)
    if name == "bikes":
        assert len(shots) == 6
    frames = extract_frames(path, tmp_path, count=3)
    assert len(frames) == 3 and all(f.path.stat().st_size > 1000 for f in frames)


SCREEN_RECORDING = Path("/usr/share/forensics-samples/original-files/movie2/movie-hello.ogg")


def test_an_ogg_theora_recording_with_repeated_frames_decodes_to_the_end() -> None:
    """A desktop recording from Debian's forensics-samples-files: Ogg Theora writes an empty
    packet (with a time) for each unchanged frame. Sent to the decoder, the first one read as
    the end of the stream and the next packet failed, so the clip was "damaged at 1.9 s"."""
    if not SCREEN_RECORDING.is_file():
        pytest.skip("apt-get install forensics-samples-files (scripts/install.sh --dev)")
    import av

    with av.open(str(SCREEN_RECORDING)) as container:
        stream = container.streams.video[0]
        empty = [p for p in container.demux(stream) if not p.size and p.pts is not None]
    assert empty, "the recording repeats frames with empty packets"
    source = FrameSource(SCREEN_RECORDING)
    times = [f.time for f in source.frames()]
    assert source.report.error is None and not source.report.damaged
    assert times[-1] == pytest.approx(source.info.video_duration, abs=0.2)
    assert len(times) >= 200  # 8.3 s at 29.97 fps, less the repeated frames


# --- bad input -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def bad_files(media: MediaCache, cuts_video: Path) -> dict[str, Path]:
    root = cuts_video.parent
    text = root / "notes.mp4"
    text.write_text("these are my meeting notes, not a video\n")
    truncated = root / "truncated.mp4"
    truncated.write_bytes(cuts_video.read_bytes()[: cuts_video.stat().st_size // 3])
    empty = root / "empty.mp4"
    empty.write_bytes(b"")

    def audio_only(out: Path) -> None:
        run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=2", str(out)])

    def zero_frames(out: Path) -> None:
        run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "color=c=red:s=64x64:d=1",
                "-frames:v",
                "0",
                "-c:v",
                "libx264",
                str(out),
            ]
        )

    return {
        "text": text,
        "truncated": truncated,
        "empty": empty,
        "audio": media.get("audio_only.m4a", audio_only),
        "zero": media.get("zero_frames.mp4", zero_frames),
    }


def test_bad_files_raise_typed_errors(bad_files: dict[str, Path]) -> None:
    assert sniff(bad_files["text"]) == "text"
    with pytest.raises(UnsupportedMedia, match="not a video"):
        probe(bad_files["text"])
    with pytest.raises(CorruptMedia, match="cannot be read"):
        probe(bad_files["truncated"])
    with pytest.raises(EmptyMedia):
        probe(bad_files["empty"])
    with pytest.raises(UnsupportedMedia, match="audio-only"):
        probe(bad_files["audio"])
    with pytest.raises(EmptyMedia, match="no frames"):
        probe(bad_files["zero"])


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("text", "not a video"),
        ("truncated", "cannot be read"),
        ("empty", "empty"),
        ("audio", "no video stream"),
        ("zero", "no frames"),
        ("missing", "no such file"),
    ],
)
def test_cli_bad_input_is_one_line(
    bad_files: dict[str, Path], tmp_path: Path, which: str, message: str
) -> None:
    path = bad_files.get(which, tmp_path / "missing.mp4")
    for args in (["probe", str(path)], ["shots", str(path), "--json"]):
        proc = _vidsense(*args)
        assert proc.returncode != 0
        assert "Traceback" not in proc.stderr
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
        assert proc.stdout == ""


# --- files cut short or damaged --------------------------------------------------------------


@pytest.fixture(scope="session")
def twenty(media: MediaCache) -> dict[str, Path]:
    return twenty_seconds(media)


def test_an_intact_file_raises_no_alarm(twenty: dict[str, Path]) -> None:
    for path in twenty.values():
        for allow_partial in (False, True):
            info = probe(path, allow_partial=allow_partial)
            assert info.duration == pytest.approx(LENGTH, abs=0.05) and info.partial is None
            assert info.frame_count == LENGTH * 25


@pytest.mark.parametrize("fraction", [0.3, 0.7])
def test_a_faststart_file_cut_short_says_how_much_is_readable(
    twenty: dict[str, Path], tmp_path: Path, fraction: float
) -> None:
    # The index comes first, so the header still promises all 20 s.
    path = cut(twenty["faststart"], fraction, tmp_path / "cut.mp4")
    assert _ffprobe(path)["format"]["duration"] == f"{LENGTH:.6f}"  # type: ignore[index]
    readable = ffmpeg_decodes_until(path)
    assert 0.5 < readable < LENGTH - 2.0  # ffmpeg stops well short of the promised 20 s
    with pytest.raises(CorruptMedia) as refused:
        probe(path)
    message = refused.value.message
    assert message.startswith("cut.mp4 is cut short: the file ends at ")
    said = float(message.split("ends at ")[1].split(" s")[0])
    assert said == pytest.approx(readable, abs=0.05) and f"of {LENGTH:.1f} s" in message
    # Asked for, the readable part is what the file is: never the header's 20 s.
    info = probe(path, allow_partial=True)
    assert info.duration == pytest.approx(readable, abs=0.01)
    assert info.partial is not None and f"ends at {said:.1f} s of {LENGTH:.1f} s" in info.partial
    assert info.frame_count is not None and info.frame_count <= round(readable * 25) + 1


@pytest.mark.parametrize("fraction", [0.3, 0.7])
def test_a_plain_file_cut_short_has_no_index(
    twenty: dict[str, Path], tmp_path: Path, fraction: float
) -> None:
    path = cut(twenty["plain"], fraction, tmp_path / "cut.mp4")
    for allow_partial in (False, True):
        with pytest.raises(CorruptMedia, match=r"cannot be read.*index \(moov box\) is missing"):
            probe(path, allow_partial=allow_partial)


def test_other_containers_cut_short(twenty: dict[str, Path], tmp_path: Path) -> None:
    # Matroska's header states the duration too; its tail is demuxed to check it is there.
    whole = tmp_path / "whole.mkv"
    run(["ffmpeg", "-v", "error", "-y", "-i", str(twenty["plain"]), "-c", "copy", str(whole)])
    assert probe(whole).duration == pytest.approx(LENGTH, abs=0.1)  # AAC priming included
    path = cut(whole, 0.3, tmp_path / "cut.mkv")
    with pytest.raises(CorruptMedia, match=r"cut short: the file ends at [\d.]+ s of 20.1 s"):
        probe(path)
    info = probe(path, allow_partial=True)
    assert info.duration == pytest.approx(ffmpeg_decodes_until(path), abs=0.3)


def test_a_damaged_middle_stops_the_decode_there(twenty: dict[str, Path], tmp_path: Path) -> None:
    from vidsense.media.decode import DecodeReport

    path = corrupt_middle(twenty["faststart"], tmp_path / "damaged.mp4")
    assert probe(path).duration == pytest.approx(LENGTH, abs=0.05)  # the index is intact
    report = DecodeReport()
    shots = [c.shot for c in scan_shots(path, keyframes_per_shot=0, report=report)]
    assert report.damaged and report.error_at is not None
    assert 1.0 < report.error_at < LENGTH - 2.0  # where the noise starts, not at the end
    assert shots and shots[-1].end == pytest.approx(report.decoded_until(25), abs=0.05)
    # A file cut short decodes as far as its data goes, from what the probe says it is.
    short = cut(twenty["faststart"], 0.5, tmp_path / "half.mp4")
    info = probe(short, allow_partial=True)
    report = DecodeReport()
    shots = [c.shot for c in scan_shots(short, info=info, keyframes_per_shot=0, report=report)]
    assert shots[-1].end == pytest.approx(info.duration, abs=0.1)
    assert report.decoded_until(25) == pytest.approx(info.duration, abs=0.01)


def test_an_ffmpeg_failure_is_told_by_the_line_that_names_it() -> None:
    """ffmpeg ends a run of one repeated error with "Last message repeated N times" (and a
    failed conversion with "Conversion failed!"): the message is the error itself, without
    the path it starts with."""
    stderr = (
        b"[vorbis @ 0x55d0] Invalid packet\n"
        b"Error while decoding stream #0:1: Invalid argument\n"
        b"    Last message repeated 463 times\n"
        b"Conversion failed!\n"
    )
    assert last_error_line(stderr) == "Error while decoding stream #0:1: Invalid argument"
    assert last_error_line(b"x.mp4: No such file or directory\n", "x.mp4") == (
        "No such file or directory"
    )
    assert last_error_line(b"") == "no message"
