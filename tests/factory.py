"""Test media made with ffmpeg and espeak-ng, so every cut time, word and string is known.

Everything here writes real files with the real tools; nothing is mocked. Builders are cheap
enough to run once per test session (see the ``media`` fixture in ``conftest.py``).
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SPEECH_RATE = 16_000
X264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {proc.stderr.decode(errors='replace')[-2000:]}")


def _escape_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'").replace("%", "\\%")


@dataclass
class Caption:
    """Text burned into a video from ``start`` to ``end`` seconds (absolute times)."""

    text: str
    start: float
    end: float
    size: int = 48
    x: str = "(w-tw)/2"
    y: str = "(h-th)/2"
    color: str = "white"
    box: bool = False


@dataclass
class Scene:
    """One shot: a lavfi source for ``duration`` seconds (hard cut to the next scene)."""

    duration: float
    source: str = "color=c=navy"
    captions: list[Caption] = field(default_factory=list)
    fade_in: float = 0.0
    fade_out: float = 0.0


def drawtext(caption: Caption) -> str:
    box = ":box=1:boxcolor=black@0.6:boxborderw=8" if caption.box else ""
    return (
        f"drawtext=fontfile={FONT}:text='{_escape_text(caption.text)}':fontsize={caption.size}"
        f":fontcolor={caption.color}:x={caption.x}:y={caption.y}{box}"
        f":enable='between(t,{caption.start:.3f},{caption.end:.3f})'"
    )


def make_video(
    out: Path,
    scenes: list[Scene],
    *,
    size: str = "640x360",
    fps: int = 30,
    captions: list[Caption] | None = None,
    audio: Path | None = None,
    keyint: int | None = None,
    extra: list[str] | None = None,
) -> Path:
    """Concatenate scenes (hard cuts, or fades through black where a scene fades in or out);
    burn ``captions`` (absolute times); mux ``audio`` when given."""
    inputs: list[str] = []
    for scene in scenes:
        sep = ":" if "=" in scene.source else "="
        inputs += ["-f", "lavfi", "-i", f"{scene.source}{sep}s={size}:r={fps}:d={scene.duration}"]
    chain = ""
    for i, scene in enumerate(scenes):
        fades = []
        if scene.fade_in:
            fades.append(f"fade=t=in:st=0:d={scene.fade_in:.3f}")
        if scene.fade_out:
            fades.append(
                f"fade=t=out:st={scene.duration - scene.fade_out:.3f}:d={scene.fade_out:.3f}"
            )
        chain += f"[{i}:v]{','.join(fades) or 'null'}[s{i}];"
    labels = "".join(f"[s{i}]" for i in range(len(scenes)))
    chain += f"{labels}concat=n={len(scenes)}:v=1:a=0,fps={fps},format=yuv420p"
    all_captions = [c for s in scenes for c in s.captions] + list(captions or [])
    for caption in all_captions:
        chain += "," + drawtext(caption)
    chain += "[v]"
    args = ["ffmpeg", "-v", "error", "-y", *inputs]
    if audio is not None:
        args += ["-i", str(audio)]
    args += ["-filter_complex", chain, "-map", "[v]"]
    if audio is not None:
        args += ["-map", f"{len(scenes)}:a", "-c:a", "aac", "-b:a", "96k", "-shortest"]
    args += X264
    if keyint is not None:
        args += ["-g", str(keyint), "-keyint_min", str(keyint), "-sc_threshold", "0"]
    args += [*(extra or []), str(out)]
    run(args)
    return out


Shot = tuple[list[str], float, str]
"""One shot for :func:`join_shots`: ffmpeg input arguments, seconds, filters applied to it."""
Transition = tuple[str, float] | None
"""How a shot joins the next: None for a hard cut, or an ffmpeg ``xfade`` kind (``fade``,
``dissolve``, ``fadeblack``, ...) and its seconds."""


def lavfi(source: str, seconds: float, *, size: str = "320x240", fps: int = 30) -> list[str]:
    """ffmpeg input arguments for ``seconds`` of a lavfi source at ``size`` and ``fps``."""
    sep = ":" if "=" in source else "="
    return ["-t", f"{seconds:.4f}", "-f", "lavfi", "-i", f"{source}{sep}s={size}:r={fps}"]


def join_shots(
    out: Path,
    shots: list[Shot],
    joins: list[Transition],
    *,
    size: str = "320x240",
    fps: int = 30,
    crf: int = 20,
) -> Path:
    """Join shots with hard cuts or ``xfade`` transitions, so every cut and every transition's
    span is known: an xfade of d seconds after a shot ending at T spans T-d to T."""
    width, height = size.split("x")
    args: list[str] = []
    graph: list[str] = []
    for i, (inputs, seconds, chain) in enumerate(shots):
        args += inputs
        graph.append(
            f"[{i}:v]{chain},scale={width}:{height},setsar=1,fps={fps},format=yuv420p,"
            f"trim=duration={seconds:.4f},setpts=PTS-STARTPTS,settb=AVTB[s{i}]"
        )
    current, end = "s0", shots[0][1]
    for k, (join, (_, seconds, _)) in enumerate(zip(joins, shots[1:], strict=True)):
        if join is None:
            graph.append(f"[{current}][s{k + 1}]concat=n=2:v=1:a=0[j{k}]")
            end += seconds
        else:
            kind, length = join
            offset = end - length
            graph.append(
                f"[{current}][s{k + 1}]xfade=transition={kind}:duration={length}"
                f":offset={offset:.4f}[j{k}]"
            )
            end = offset + seconds
        current = f"j{k}"
    filters = ["-filter_complex", ";".join(graph), "-map", f"[{current}]"]
    run(["ffmpeg", "-v", "error", "-y", *args, *filters, *X264, "-crf", str(crf), str(out)])
    return out


def write_wav(samples: np.ndarray, out: Path, rate: int = SPEECH_RATE) -> Path:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return out


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        data = w.readframes(w.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


@dataclass(frozen=True)
class Spoken:
    """A sentence as placed in the audio: the true start/end of its sound, seconds."""

    text: str
    start: float
    end: float


def speak(text: str, out_dir: Path, *, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """espeak-ng's rendering of ``text`` as 16 kHz mono samples."""
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed (scripts/install.sh installs it)")
    raw = out_dir / "espeak.wav"
    run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text])
    resampled = out_dir / "espeak16.wav"
    run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(raw),
            "-ac",
            "1",
            "-ar",
            str(SPEECH_RATE),
            str(resampled),
        ]
    )
    return read_wav(resampled)


def make_speech(
    out: Path,
    lines: list[tuple[float, str]],
    duration: float,
    *,
    voice: str = "en-us",
    speed: int = 150,
) -> list[Spoken]:
    """A WAV of ``duration`` seconds with each ``(time, sentence)`` spoken from ``time``.

    Returns where each sentence's sound really starts and ends (espeak adds a little silence).
    """
    track = np.zeros(int(duration * SPEECH_RATE), dtype=np.float32)
    spoken: list[Spoken] = []
    for at, text in lines:
        clip = speak(text, out.parent, voice=voice, speed=speed)
        loud = np.flatnonzero(np.abs(clip) > 0.01)
        offset = int(at * SPEECH_RATE)
        end = min(len(track), offset + len(clip))
        track[offset:end] += clip[: end - offset]
        if loud.size:
            spoken.append(
                Spoken(text, at + loud[0] / SPEECH_RATE, min(duration, at + loud[-1] / SPEECH_RATE))
            )
    write_wav(track, out)
    return spoken


def make_tone_audio(out: Path, duration: float, *, kind: str = "music") -> Path:
    """Non-speech audio: ``music`` (plucked notes with their overtones over a bass line and a
    kick drum on every beat: steady sine chords read as dial tones, "Busy signal"), ``noise``
    (pink noise) or ``silence``."""
    if kind == "music":
        note = "(220+55*floor(mod(t*2,4)))"  # a four-note figure, two notes a second
        expr = (
            f"(0.3*sin(2*PI*{note}*t)+0.15*sin(4*PI*{note}*t)+0.08*sin(6*PI*{note}*t))"
            "*exp(-4*mod(t,0.5))"
            "+0.2*sin(2*PI*(110+27.5*floor(mod(t,4)))*t)"
            "+0.4*sin(2*PI*55*t)*exp(-25*mod(t,0.5))"
        )
        src = f"aevalsrc='{expr}':s={SPEECH_RATE}:d={duration}"
    elif kind == "noise":
        src = f"anoisesrc=c=pink:a=0.2:r={SPEECH_RATE}:d={duration}"
    elif kind == "silence":
        src = f"anullsrc=r={SPEECH_RATE}:cl=mono:d={duration}"
    else:
        raise ValueError(kind)
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", src, "-ac", "1", str(out)])
    return out


def text_scenes() -> list[Scene]:
    """Six shots (49 s) with twelve burned-in strings at known times, for a 1280x720 video:
    titles, boxed lower-thirds, small and large type, light and dark backgrounds, a caption over
    the moving ``testsrc2`` pattern (which draws its own clock and frame counter in the top-left
    corner, from 24 to 31 s), and a slide held for 11 s (31.5 to 42.5 s)."""
    return [
        Scene(8, "color=c=navy", [
            Caption("Quarterly Results 2024", 1.0, 6.0, size=72),
            Caption("Jane Doe, Chief Engineer", 2.5, 7.5, size=32, x="60", y="h-120", box=True),
        ]),
        Scene(8, "color=c=0x1b4d2b", [
            Caption("Revenue grew 18 percent", 9.0, 14.0, size=56, color="yellow"),
            Caption("www.example.com/signup", 10.5, 15.5, size=24, x="w-tw-40", y="40"),
        ]),
        Scene(8, "color=c=white", [
            Caption("Breaking News", 16.5, 20.5, size=64, color="red"),
            Caption("Step 4 of 7", 17.0, 23.0, size=22, color="0x333333", x="30", y="30"),
            Caption("Thank you for watching", 20.0, 23.5, size=40, color="black", y="h-140"),
        ]),
        Scene(7, "testsrc2", [
            Caption("Press Start To Continue", 25.0, 30.0, size=56, box=True),
        ]),
        Scene(12, "color=c=gray", [
            Caption("Agenda for today", 31.5, 42.5, size=60, color="black", y="120"),
            Caption("Chapter 3: The Long Road", 33.0, 42.5, size=44, y="300"),
        ]),
        Scene(6, "color=c=black", [
            Caption("Episode 42", 43.5, 48.0, size=96, color="orange"),
            Caption("Temperature 21.5 C", 45.0, 48.5, size=36, color="cyan", y="h-100"),
        ]),
    ]  # fmt: skip
