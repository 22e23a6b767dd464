"""Whole-analysis speed on a generated 1080p video with speech and burned-in text.

Generates (and caches) a 1080p 30 fps H.264 video of ``--minutes`` minutes: a hard cut every
10 s, a new title every 10 s and a lower-third caption every 5 s, and espeak-ng speech (a
sentence every 6 s). Then times, in the same run:

- ``ffmpeg -i X -f null -`` (the reference full decode);
- ``vidsense analyze`` with every analyzer (one decode pass for shots, keyframes and OCR beside
  one audio extraction for speech and audio events), stage by stage.

Target on 2 cores: the whole analysis at least 4x faster than real time.

    python benchmarks/analyze.py [--minutes 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from benchmarks.narrated import make_narrated_video  # noqa: E402
from vidsense.config import Settings  # noqa: E402
from vidsense.models.registry import install_models  # noqa: E402
from vidsense.perception.analyze import analyze  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def make_bench_video(minutes: float) -> tuple[Path, int, int]:
    """(path, sentences spoken, titles shown) of the cached 1080p benchmark video."""
    path = OUT / f"analyze_1080p_{minutes:g}min.mp4"
    sentences, titles = make_narrated_video(path, minutes * 60.0, size="1920x1080")
    return path, sentences, titles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    video, sentences, titles = make_bench_video(args.minutes)
    settings = Settings()
    install_models(settings)

    started = time.perf_counter()
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-f", "null", "-"], check=True)
    ffmpeg_s = time.perf_counter() - started

    out_dir = Path(tempfile.mkdtemp(prefix="vidsense-analysis-"))
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = analyze(video, settings, out_dir=out_dir)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    duration = result.metadata.duration
    segments = len(result.transcript.segments) if result.transcript else 0
    figures = {
        "video": {
            "path": str(video),
            "duration_s": round(duration, 1),
            "size": "1920x1080",
            "sentences": sentences,
            "titles": titles,
        },
        "ffmpeg_full_decode_s": round(ffmpeg_s, 2),
        "stages_s": {k: round(v, 2) for k, v in result.timings.items()},
        "analysis_wall_s": round(wall, 2),
        "analysis_cpu_s": round(cpu, 2),
        "x_real_time": round(duration / wall, 2),
        "analysis_over_ffmpeg": round(wall / ffmpeg_s, 2),
        "found": {
            "shots": len(result.shots),
            "transcript_segments": segments,
            "text_sightings": len(result.text_sightings),
            "audio_events": len(result.audio_events),
        },
    }
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        print()
        return
    print(f"video: 1920x1080 30 fps, {duration:.0f} s, {sentences} sentences, {titles} titles")
    print(f"  ffmpeg -i X -f null -      {ffmpeg_s:7.2f} s  (reference)")
    for stage, seconds in result.timings.items():
        print(f"  {stage:<26} {seconds:7.2f} s")
    print(
        f"  analysis wall time         {wall:7.2f} s  = {duration / wall:.1f}x real time "
        f"(target >= 4x), {wall / ffmpeg_s:.1f}x ffmpeg's decode; CPU {cpu:.1f} s"
    )
    print(f"  found: {figures['found']}")


if __name__ == "__main__":
    main()
