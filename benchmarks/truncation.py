"""Cost of the check that a video's data is all there, as a ratio to ffmpeg's own full decode
of the same file measured in the same run.

Generates (and caches) a 1080p30 H.264 + AAC video of ``--duration`` seconds from one moving
test pattern (one lavfi input: ``benchmarks/media.py``'s cut-laden video opens one input per
shot, some 4 GB of memory at 10 minutes), as a faststart MP4 and, copied, a Matroska file, and
the first 30% of each. Times, each the median of ``--repeat`` runs:

- ``ffmpeg -i X -f null -`` on the MP4 (the reference, once);
- :func:`vidsense.media.probe.readable` on each file: MP4 sample tables against the file size;
  Matroska demuxed from near its declared end (and, when cut, from the start);
- :func:`vidsense.media.probe.probe` as a whole (ffprobe plus the check) on the intact files.

Target: the check under 1% of the full decode (the issue asks for "a few percent").

    python benchmarks/truncation.py [--duration 600] [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.media import timed  # noqa: E402
from vidsense.media.probe import Readable, probe, readable  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def make_video(duration: float) -> Path:
    """A cached 1080p30 H.264 (x264 ultrafast) + AAC faststart MP4 of ``duration`` seconds."""
    path = OUT / f"trunc_{int(duration)}s.mp4"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.mp4")
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y"),
            *("-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=30:d={duration}"),
            *("-f", "lavfi", "-i", f"sine=f=440:d={duration}"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-threads", "2"),
            *("-c:a", "aac", "-movflags", "+faststart", str(tmp)),
        ],
        check=True,
    )
    tmp.replace(path)
    return path


def _copy(source: Path, target: Path, *flags: str) -> Path:
    if not target.exists():
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-c", "copy", *flags, str(target)],
            check=True,
        )
    return target


def _cut(source: Path, fraction: float) -> Path:
    target = source.with_name(f"{source.stem}_cut{round(fraction * 100)}{source.suffix}")
    if not target.exists():
        with source.open("rb") as f:
            target.write_bytes(f.read(int(source.stat().st_size * fraction)))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    mp4 = make_video(args.duration)
    mkv = _copy(mp4, mp4.with_suffix(".mkv"))
    files = {"mp4": mp4, "mkv": mkv, "mp4 cut 30%": _cut(mp4, 0.3), "mkv cut 30%": _cut(mkv, 0.3)}
    container = {"mp4": "mov,mp4,m4a,3gp,3g2,mj2", "mkv": "matroska,webm"}

    decode_s, decode_cpu, _ = timed(
        lambda: subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(mp4), "-f", "null", "-"], check=True
        ),
        1,
    )
    rows: dict[str, dict[str, object]] = {}
    for name, path in files.items():
        kind = container[name.split()[0]]
        check_s, check_cpu, found = timed(
            lambda p=path, k=kind: readable(p, k, args.duration, 30.0), args.repeat
        )
        assert found is None or isinstance(found, Readable)
        row: dict[str, object] = {
            "bytes": path.stat().st_size,
            "check_ms": round(check_s * 1000, 2),
            "check_per_decode": check_s / decode_s,
            "check_cpu_per_decode": check_cpu / decode_cpu,
            "found": found.describe() if found else "whole",
        }
        if found is None:
            probe_s, _, _ = timed(lambda p=path: probe(p), args.repeat)
            row["probe_ms"] = round(probe_s * 1000, 1)
            row["probe_per_decode"] = probe_s / decode_s
        rows[name] = row

    if args.json:
        print(json.dumps({"decode_s": decode_s, "decode_cpu_s": decode_cpu, "files": rows}))
        return
    print(
        f"reference: ffmpeg -f null full decode of {mp4.name}: {decode_s:.1f} s wall, "
        f"{decode_cpu:.1f} s CPU"
    )
    for name, row in rows.items():
        line = (
            f"{name:12s} check {row['check_ms']:8.2f} ms = {row['check_per_decode']:.4%} "
            f"of the decode (CPU {row['check_cpu_per_decode']:.4%})  ({row['found']})"
        )
        if "probe_ms" in row:
            line += f"; whole probe {row['probe_ms']} ms = {row['probe_per_decode']:.3%}"
        print(line)


if __name__ == "__main__":
    main()
