"""Whole-analysis speed on generated 1080p videos, as ratios to ffmpeg's decode of the same file.

Two videos are generated (and cached), 1080p 30 fps H.264 with espeak-ng narration:

- ``busy``: ``--minutes`` minutes (default 3) of a hard cut every 10 s, a new title every 10 s
  and a lower-third caption every 5 s, over plain colours and moving test patterns;
- ``lesson``: 72 s of static slides (a title and three bullets revealed 3 s apart, a new slide
  every 12 s), narration every 6 s.

For each, the models are loaded first (one analysis of a 3 s cut, reported as ``warm-up``),
then ``--repeat`` times, back to back: ``ffmpeg -i X -f null -`` (the reference) and
``analyze()`` with every analyzer. Printed: medians of wall time and CPU time (user + sys of
this process and its children, e.g. Tesseract), x real time, the analysis over the same run's
ffmpeg decode, the cost per stage (wall seconds; ``ocr`` is the reading threads' time summed,
``ocr_wall`` the wall seconds in which at least one of them was reading), and
the machine's load average (figures are noisy when others use the cores: the ratios to ffmpeg
hold up better than the seconds). ``--profile`` adds one analysis under cProfile on every
thread and prints each thread's most expensive functions.

Targets on 2 cores: at least 8x real time on ``lesson`` (stretch: within 2x of ffmpeg's
decode), at least 6x on ``busy``.

    python benchmarks/analyze.py [--video busy|lesson|both] [--minutes 3] [--repeat 3]
                                 [--profile] [--json]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from benchmarks.narrated import make_lesson_video, make_narrated_video  # noqa: E402
from vidsense.config import Settings  # noqa: E402
from vidsense.models.registry import install_models  # noqa: E402
from vidsense.perception.analyze import Analysis, analyze  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
LESSON_SECONDS = 72.0


def make_bench_video(minutes: float) -> tuple[Path, int, int]:
    """(path, sentences spoken, titles shown) of the cached 1080p benchmark video."""
    path = OUT / f"analyze_1080p_{minutes:g}min.mp4"
    sentences, titles = make_narrated_video(path, minutes * 60.0, size="1920x1080")
    return path, sentences, titles


def make_lesson(seconds: float = LESSON_SECONDS) -> tuple[Path, int, int]:
    """(path, sentences spoken, lines shown) of the cached 1080p lesson."""
    path = OUT / f"lesson_1080p_{seconds:g}s.mp4"
    sentences, lines = make_lesson_video(path, seconds, size="1920x1080")
    return path, sentences, lines


def _cpu() -> float:
    """CPU seconds (user + sys) of this process and its finished children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall s, CPU s, result) of one call."""
    wall, cpu = time.perf_counter(), _cpu()
    result = work()
    return time.perf_counter() - wall, _cpu() - cpu, result


def _ffmpeg(video: Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-f", "null", "-"], check=True)


def _analyze(video: Path, settings: Settings) -> Analysis:
    out = Path(tempfile.mkdtemp(prefix="vidsense-analysis-"))
    try:
        return analyze(video, settings, out_dir=out)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def warm_up(video: Path, settings: Settings) -> float:
    """Load every model by analysing the first 3 s of ``video``; wall seconds."""
    work = Path(tempfile.mkdtemp(prefix="vidsense-warm-"))
    try:
        clip = work / "clip.mp4"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(video), "-t", "3", "-c", "copy", str(clip)],
            check=True,
        )
        started = time.perf_counter()
        _analyze(clip, settings)
        return time.perf_counter() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)


def profile(video: Path, settings: Settings, *, top: int = 8) -> str:
    """One analysis under cProfile on every thread: each thread's ``top`` functions by their
    own time (wall seconds inside the function, callees excluded)."""
    profiles: list[tuple[str, cProfile.Profile]] = []
    lock = threading.Lock()

    def start_thread(frame: Any, event: str, arg: Any) -> None:
        # Runs once in each new thread: cProfile's own hook then replaces this one.
        profiler = cProfile.Profile()
        with lock:
            profiles.append((threading.current_thread().name, profiler))
        profiler.enable()

    threading.setprofile(start_thread)
    main = cProfile.Profile()
    profiles.append(("MainThread", main))
    main.enable()
    try:
        _analyze(video, settings)
    finally:
        main.disable()
        threading.setprofile(None)  # type: ignore[arg-type]
    by_name: dict[str, list[cProfile.Profile]] = {}
    for name, profiler in profiles:
        by_name.setdefault(name.rsplit("_", 1)[0], []).append(profiler)
    lines = []
    for name, group in by_name.items():
        stats = pstats.Stats(*group)  # type: ignore[arg-type]
        total = float(getattr(stats, "total_tt", 0.0))
        if total < 0.5:
            continue
        text = io.StringIO()
        stats.stream = text  # type: ignore[attr-defined]
        stats.sort_stats("tottime").print_stats(top)
        rows = [row for row in text.getvalue().splitlines() if row.strip()[:1].isdigit()]
        lines.append(f"  thread {name} ({total:.1f} s inside Python-visible calls)")
        lines += [f"    {row.strip()}" for row in rows[-top:]]
    return "\n".join(lines)


def measure(video: Path, settings: Settings, repeat: int) -> dict[str, Any]:
    """Medians of ``repeat`` back-to-back (ffmpeg, analysis) pairs."""
    runs: list[dict[str, Any]] = []
    result: Analysis | None = None
    for _ in range(repeat):
        ref_wall, ref_cpu, _ = _timed(lambda: _ffmpeg(video))
        wall, cpu, result = _timed(lambda: _analyze(video, settings))
        runs.append(
            {
                "ffmpeg_wall": ref_wall,
                "ffmpeg_cpu": ref_cpu,
                "wall": wall,
                "cpu": cpu,
                "stages": dict(result.timings),
            }
        )
    assert result is not None
    duration = result.metadata.duration

    def median(key: str) -> float:
        return float(statistics.median(run[key] for run in runs))

    stages = {
        stage: round(statistics.median(run["stages"].get(stage, 0.0) for run in runs), 2)
        for stage in result.timings
    }
    wall = median("wall")
    return {
        "duration_s": round(duration, 1),
        "runs": repeat,
        "ffmpeg_wall_s": round(median("ffmpeg_wall"), 2),
        "ffmpeg_cpu_s": round(median("ffmpeg_cpu"), 2),
        "analysis_wall_s": round(wall, 2),
        "analysis_cpu_s": round(median("cpu"), 2),
        "x_real_time": round(duration / wall, 2),
        "over_ffmpeg_wall": round(
            statistics.median(run["wall"] / run["ffmpeg_wall"] for run in runs), 2
        ),
        "over_ffmpeg_cpu": round(
            statistics.median(run["cpu"] / run["ffmpeg_cpu"] for run in runs), 2
        ),
        "cpu_s_per_video_s": round(median("cpu") / duration, 3),
        "stages_s": stages,
        "found": {
            "shots": len(result.shots),
            "transcript_segments": len(result.transcript.segments) if result.transcript else 0,
            "text_sightings": len(result.text_sightings),
            "audio_events": len(result.audio_events),
            "keyframes_seen": len(result.visual),
        },
    }


def _load() -> dict[str, float]:
    one, five, _ = os.getloadavg()
    return {"load_1min": round(one, 2), "load_5min": round(five, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", choices=["busy", "lesson", "both"], default="both")
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the busy video")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    videos: dict[str, tuple[Path, int, int]] = {}
    if args.video in ("lesson", "both"):
        videos["lesson"] = make_lesson()
    if args.video in ("busy", "both"):
        videos["busy"] = make_bench_video(args.minutes)
    settings = Settings()
    install_models(settings)
    cores = os.cpu_count() or 1
    figures: dict[str, Any] = {"cores": cores, "load_before": _load()}
    figures["warm_up_s"] = round(warm_up(next(iter(videos.values()))[0], settings), 2)
    profiles: dict[str, str] = {}
    for name, (video, sentences, texts) in videos.items():
        figures[name] = {"path": str(video), "sentences": sentences, "texts": texts}
        figures[name].update(measure(video, settings, args.repeat))
        if args.profile:
            profiles[name] = profile(video, settings)
    figures["load_after"] = _load()
    busy = max(figures["load_before"]["load_1min"], figures["load_after"]["load_1min"])
    figures["machine"] = "quiet" if busy < 0.5 * cores else "loaded"
    if args.json:
        figures["profiles"] = profiles
        json.dump(figures, sys.stdout, indent=2)
        print()
        return
    print(
        f"{cores} cores, load average {figures['load_before']['load_1min']} before, "
        f"{figures['load_after']['load_1min']} after: {figures['machine']}; "
        f"models loaded in {figures['warm_up_s']:.1f} s (not counted below)"
    )
    targets = {"lesson": 8.0, "busy": 6.0}
    for name in videos:
        f = figures[name]
        print(
            f"\n{name}: 1920x1080 30 fps, {f['duration_s']:.0f} s, {f['sentences']} sentences, "
            f"{f['texts']} texts (median of {f['runs']})"
        )
        print("                                 wall s   CPU s")
        print(f"  ffmpeg -i X -f null -        {f['ffmpeg_wall_s']:8.2f} {f['ffmpeg_cpu_s']:7.2f}")
        print(
            f"  analysis                     {f['analysis_wall_s']:8.2f} {f['analysis_cpu_s']:7.2f}"
            f"   = {f['x_real_time']:.1f}x real time (target >= {targets[name]:g}x), "
            f"{f['over_ffmpeg_wall']:.2f}x / {f['over_ffmpeg_cpu']:.2f}x ffmpeg (wall / CPU)"
        )
        print("  stages (wall s):")
        for stage, seconds in f["stages_s"].items():
            print(f"    {stage:<24} {seconds:7.2f}")
        print(f"  found: {f['found']}")
        if name in profiles:
            print(f"  profile (cProfile, own time per function):\n{profiles[name]}")


if __name__ == "__main__":
    main()
