"""Render-engine speed: a 20 s 720p reel from a 1080p source, against ffmpeg's own decode.

Generates (once, cached in ``benchmarks/out``) a 180 s 1920x1080 30 fps H.264 source with
espeak-ng narration and burned-in titles (``narrated.py``), then times, each as the median of
``--repeat`` runs:

- ``ffmpeg -i SRC -t 20 -f null -``: decoding 20 s of the source (the reference);
- :func:`vidsense.media.render.render` of a 20.0 s 1280x720 reel: five 4.4 s clips spread over
  the source, joined by 0.5 s crossfades, with the spoken sentences as burned-in subtitles and
  a logo in the top-right corner (H.264 ``--preset``, AAC), probed and checked afterwards.

Target: the reel in under 10 s on 2 cores. The ratio to the reference is the figure to compare
across machines; absolute seconds only mean something on a quiet machine.

    python benchmarks/render.py [--repeat 3] [--preset veryfast] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.media import timed  # noqa: E402
from benchmarks.narrated import SENTENCE_EVERY, make_narrated_video, sentence  # noqa: E402
from vidsense.media.render import check, render  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
SOURCE_SECONDS = 180.0
CLIP_STARTS = [12.0, 47.0, 83.0, 118.0, 150.0]
CLIP_SECONDS = 4.4
CROSSFADE = 0.5
REEL_SECONDS = len(CLIP_STARTS) * CLIP_SECONDS - (len(CLIP_STARTS) - 1) * CROSSFADE


def make_logo(path: Path) -> Path:
    """A 400x200 PNG with transparency: an orange rounded badge with a word on it."""
    if not path.exists():
        subprocess.run(
            [
                "ffmpeg", "-v", "error", "-y", "-f", "lavfi",
                "-i", "color=c=0xff8800@0.9:s=400x200,format=rgba",
                "-vf", "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
                ":text=LOGO:fontsize=96:fontcolor=white:x=(w-tw)/2:y=(h-th)/2",
                "-frames:v", "1", str(path),
            ],
            check=True,
        )  # fmt: skip
    return path


def reel_spec(source: Path, logo: Path, preset: str) -> dict[str, object]:
    """Five crossfaded clips; each clip's sentence as a subtitle line at its output time."""
    clips: list[dict[str, object]] = []
    for n, start in enumerate(CLIP_STARTS):
        clip: dict[str, object] = {
            "kind": "video",
            "source": str(source),
            "start": start,
            "end": start + CLIP_SECONDS,
        }
        if n:
            clip["transition"] = {"kind": "crossfade", "duration": CROSSFADE}
        clips.append(clip)
    spec: dict[str, object] = {
        "clips": clips,
        "overlays": [
            {
                "kind": "image",
                "source": str(logo),
                "position": "top-right",
                "scale": 0.12,
                "opacity": 0.8,
            },
        ],
        "output": {"width": 1280, "height": 720, "codec": "h264", "preset": preset},
    }
    # The sentence spoken in each clip (narrated.py starts one every SENTENCE_EVERY s, 0.5 s
    # in), shown from where it lands on the output timeline for 3 s or until its clip fades.
    plan = check(spec)
    lines = []
    for n, start in enumerate(CLIP_STARTS):
        k = math.ceil((start - 0.5) / SENTENCE_EVERY)
        at = plan.output_time(n, SENTENCE_EVERY * k + 0.5)
        end = min(at + 3.0, plan.seconds(plan.clips[n].end_frame) - CROSSFADE)
        lines.append({"start": round(at, 3), "end": round(end, 3), "text": sentence(k)})
    spec["subtitles"] = {"lines": lines, "size": 40}
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    source = OUT / "render_1080p_180s.mp4"
    make_narrated_video(source, SOURCE_SECONDS, size="1920x1080")
    logo = make_logo(OUT / "render_logo.png")
    spec = reel_spec(source, logo, args.preset)
    work = Path(tempfile.mkdtemp(prefix="vidsense-bench-render-"))

    def reference() -> None:
        subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(source), "-t", "20", "-f", "null", "-"],
            check=True,
        )

    def reel() -> object:
        return render(spec, work / "reel.mp4")

    ref, ref_cpu, _ = timed(reference, args.repeat)
    ours, ours_cpu, result = timed(reel, args.repeat)
    done = result.to_dict()  # type: ignore[attr-defined]
    figures = {
        "source": str(source),
        "cores": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "preset": args.preset,
        "reel": {k: done[k] for k in ("duration", "frames", "width", "height", "audio_duration")},
        "reference_decode_20s_s": round(ref, 3),
        "reference_decode_20s_cpu_s": round(ref_cpu, 3),
        "render_s": round(ours, 3),
        "render_cpu_s": round(ours_cpu, 3),
        "render_over_reference": round(ours / ref, 2),
        "render_over_reference_cpu": round(ours_cpu / ref_cpu, 2),
        "target_render_s": 10.0,
    }
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        print()
        return
    print(
        f"reel: {done['duration']:.3f} s (planned {REEL_SECONDS:.3f}), {done['frames']} frames, "
        f"{done['width']}x{done['height']}, audio {done['audio_duration']:.3f} s; "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} (median of {args.repeat})"
    )
    print("                                  wall s   CPU s")
    print(f"  ffmpeg -i SRC -t 20 -f null -  {ref:7.2f} {ref_cpu:7.2f}   (reference)")
    print(
        f"  render 20 s 720p reel          {ours:7.2f} {ours_cpu:7.2f}   "
        f"ratio {ours / ref:.2f} / {ours_cpu / ref_cpu:.2f}  (target < 10 s wall on 2 cores)"
    )


if __name__ == "__main__":
    main()
