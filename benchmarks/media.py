"""Media-engine speed, as ratios to ffmpeg's own full decode measured in the same run.

Generates a 1080p 30 fps H.264 video (default 150 s, a hard cut every 5-9 s over moving test
patterns), then times, each as the median of ``--repeat`` runs:

- ``ffmpeg -i X -f null -``: the plain full decode (the reference);
- shots + one keyframe per shot, written as JPEGs, from vidsense's single decode pass, with the
  default ``combined`` finder and with PySceneDetect's ContentDetector alone (the cost of
  finding dissolves, fades and low-contrast cuts);
- one frame every 10 s from keyframes (seeking), and exact frames every 10 s.

Targets: shots + keyframes / ffmpeg <= 1.0; full decode / every-10-s sampling >= 5.

    python benchmarks/media.py [--duration 150] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from vidsense.media.frames import extract_frames, frame_name, write_jpeg
from vidsense.media.probe import probe
from vidsense.perception.shots import DetectorName, scan_shots

OUT = Path(__file__).resolve().parent / "out"
SOURCES = ["testsrc2", "smptebars", "rgbtestsrc", "testsrc", "color=c=0x335577"]


def make_video(duration: float) -> Path:
    """A cached 1080p30 H.264 test video with hard cuts every 5-9 s."""
    path = OUT / f"bench_1080p_{int(duration)}s.mp4"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    inputs: list[str] = []
    lengths: list[float] = []
    t = 0.0
    i = 0
    while t < duration:
        length = min(5.0 + (i * 7) % 5, duration - t)
        source = SOURCES[i % len(SOURCES)]
        sep = ":" if "=" in source else "="
        inputs += ["-f", "lavfi", "-i", f"{source}{sep}s=1920x1080:r=30:d={length}"]
        lengths.append(length)
        t += length
        i += 1
    labels = "".join(f"[{k}:v]" for k in range(len(lengths)))
    graph = f"{labels}concat=n={len(lengths)}:v=1:a=0,format=yuv420p[v]"
    tmp = path.with_suffix(".part.mp4")
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            *inputs,
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "20",
            str(tmp),
        ],
        check=True,
    )
    tmp.replace(path)
    return path


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Median wall seconds, median CPU seconds, last result. CPU time is steadier than wall
    time on a busy machine, so both are reported."""
    walls, cpus = [], []
    result: object = None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), _cpu()
        result = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=150.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    video = make_video(args.duration)
    info = probe(video)
    work = Path(tempfile.mkdtemp(prefix="vidsense-bench-"))

    def ffmpeg_decode() -> None:
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-f", "null", "-"], check=True)

    def shots_and_keyframes(detector: DetectorName = "combined") -> int:
        count = 0
        for closed in scan_shots(video, info=info, detector=detector, keyframes_per_shot=1):
            for frame in closed.keyframes:
                write_jpeg(frame.full(), work / "shots" / frame_name(frame.time))
            count += 1
        return count

    def every_keyframes() -> int:
        return len(extract_frames(video, work / "k", info=info, every=10.0, mode="keyframe"))

    def every_exact() -> int:
        return len(extract_frames(video, work / "e", info=info, every=10.0, mode="exact"))

    ref, ref_cpu, _ = timed(ffmpeg_decode, args.repeat)
    ours, ours_cpu, shots = timed(shots_and_keyframes, args.repeat)
    plain, plain_cpu, plain_shots = timed(lambda: shots_and_keyframes("content"), args.repeat)
    fast, fast_cpu, fast_n = timed(every_keyframes, args.repeat)
    exact, exact_cpu, exact_n = timed(every_exact, args.repeat)
    result = {
        "video": {
            "path": str(video),
            "duration_s": round(info.duration, 2),
            "size": f"{info.width}x{info.height}",
            "fps": info.fps,
        },
        "ffmpeg_full_decode_s": round(ref, 3),
        "shots_keyframes_s": round(ours, 3),
        "shots": shots,
        "shots_keyframes_over_ffmpeg": round(ours / ref, 3),
        "ffmpeg_full_decode_cpu_s": round(ref_cpu, 3),
        "shots_keyframes_cpu_s": round(ours_cpu, 3),
        "shots_keyframes_over_ffmpeg_cpu": round(ours_cpu / ref_cpu, 3),
        "content_only_s": round(plain, 3),
        "content_only_cpu_s": round(plain_cpu, 3),
        "content_only_shots": plain_shots,
        "content_only_over_ffmpeg": round(plain / ref, 3),
        "content_only_over_ffmpeg_cpu": round(plain_cpu / ref_cpu, 3),
        "ffmpeg_over_every10_keyframe_cpu": round(ref_cpu / fast_cpu, 1),
        "every10_keyframe_s": round(fast, 3),
        "every10_keyframe_frames": fast_n,
        "ffmpeg_over_every10_keyframe": round(ref / fast, 1),
        "every10_exact_s": round(exact, 3),
        "every10_exact_frames": exact_n,
        "ffmpeg_over_every10_exact": round(ref / exact, 1),
    }
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return
    print(
        f"video: {info.width}x{info.height} {info.fps:.0f} fps, {info.duration:.1f} s, "
        f"{shots} shots (median of {args.repeat})"
    )
    print("                                 wall s   CPU s   vs ffmpeg (wall / CPU)")
    print(f"  ffmpeg -i X -f null -          {ref:7.2f} {ref_cpu:7.2f}   (reference)")
    print(
        f"  shots + 1 keyframe/shot        {ours:7.2f} {ours_cpu:7.2f}   "
        f"ratio {ours / ref:.2f} / {ours_cpu / ref_cpu:.2f}  (target <= 1.0)"
    )
    print(
        f"  same, ContentDetector alone    {plain:7.2f} {plain_cpu:7.2f}   "
        f"ratio {plain / ref:.2f} / {plain_cpu / ref_cpu:.2f}  ({plain_shots} shots)"
    )
    print(
        f"  every 10 s, keyframes          {fast:7.2f} {fast_cpu:7.2f}   "
        f"{ref / fast:.1f}x / {ref_cpu / fast_cpu:.1f}x faster (target >= 5x)"
    )
    print(
        f"  every 10 s, exact frames       {exact:7.2f} {exact_cpu:7.2f}   "
        f"{ref / exact:.1f}x / {ref_cpu / exact_cpu:.1f}x faster"
    )


if __name__ == "__main__":
    main()
