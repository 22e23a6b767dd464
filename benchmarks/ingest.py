"""Library ingest through the HTTP API of a real ``vidsense serve`` process.

Generates (and caches) ``--videos`` clips of 640x360, 30 fps, from ``--minutes``/3 up to
``--minutes`` long (a cut every 10 s, a title per shot, espeak-ng speech every 6 s), then:

1. times ``analyze()`` on each clip directly, one after another, in this process (the
   reference every service run is compared with);
2. for each ``--executor`` (``embedded``, ``ray`` or ``both``) and each count of ``--workers``
   (default ``1,2``): starts ``vidsense serve`` on a fresh data folder with that executor and
   that many indexing workers, uploads every clip with multipart ``POST /v1/tasks`` and waits
   until all are ready, while another thread polls ``GET /v1/tasks/{id}`` to measure status
   latency under load.

Prints, per run: wall time, throughput in videos per hour (in all, and per worker) and in x
real time, the server's peak RSS, the service overhead (1 worker: service wall time / sum of
direct analyze() times - 1; target < 10%), the task-status latency p50/p95 (target p50 < 10 ms);
with ``both``, Ray's throughput over the embedded executor's at each worker count (target: at
least 0.9). ``--repeat`` rounds alternate the executors' order; figures are medians over rounds
and the Ray/embedded ratio is taken per round (the two runs side by side) before the median.
Seconds are noisy when others use the cores; the ratios hold up better.

    python benchmarks/ingest.py [--videos 10] [--minutes 3] [--workers 1,2]
                                [--executor embedded|ray|both] [--repeat 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from benchmarks.narrated import make_narrated_video  # noqa: E402
from vidsense.config import Settings  # noqa: E402
from vidsense.models.registry import install_models  # noqa: E402
from vidsense.perception.analyze import analyze  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "ingest"


def make_clip(index: int, seconds: float) -> Path:
    """A 640x360 narrated clip of ``seconds`` seconds (cached by index and length)."""
    path = OUT / f"ingest_{index:02d}_{seconds:.0f}s.mp4"
    make_narrated_video(path, seconds, size="640x360", seed=index, title=f"VIDEO {index + 1} PART")
    return path


def lengths(videos: int, minutes: float) -> list[float]:
    """Clip lengths in seconds, spread from minutes/3 to minutes."""
    top = minutes * 60.0
    if videos == 1:
        return [top]
    return [round(top / 3 + (top - top / 3) * i / (videos - 1)) for i in range(videos)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set size (VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def warm_up(clip: Path) -> None:
    """One analysis in a throwaway process, so that model files are in the page cache for both
    timed runs (each still loads its models once, as a fresh server does)."""
    code = (
        "import sys, tempfile; from pathlib import Path; from vidsense.config import Settings; "
        "from vidsense.perception.analyze import analyze; "
        "analyze(Path(sys.argv[1]), Settings(), out_dir=Path(tempfile.mkdtemp()))"
    )
    subprocess.run([sys.executable, "-c", code, str(clip)], check=True, capture_output=True)


def direct_times(clips: list[Path], settings: Settings) -> list[float]:
    times = []
    for clip in clips:
        out = Path(tempfile.mkdtemp(prefix="vidsense-direct-"))
        started = time.perf_counter()
        analyze(clip, settings, out_dir=out)
        times.append(time.perf_counter() - started)
        shutil.rmtree(out, ignore_errors=True)
        print(f"  direct analyze {clip.name}: {times[-1]:.2f} s", file=sys.stderr)
    return times


class StatusPoller(threading.Thread):
    """Polls GET /v1/tasks/{id} of the unfinished tasks back to back, timing each call."""

    def __init__(self, base: str, pause: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.pause = pause
        self.task_ids: list[str] = []
        self.latencies: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=30) as http:
            i = 0
            while not self.done.is_set():
                ids = list(self.task_ids)
                if ids:
                    task_id = ids[i % len(ids)]
                    i += 1
                    started = time.perf_counter()
                    http.get(f"{self.base}/v1/tasks/{task_id}").raise_for_status()
                    self.latencies.append(time.perf_counter() - started)
                time.sleep(self.pause)


def service_run(
    clips: list[Path], settings: Settings, workers: int, executor: str = "embedded"
) -> dict[str, Any]:
    """Upload ``clips`` to a fresh ``vidsense serve`` with ``workers`` indexing workers of
    ``executor`` and wait until all are indexed; wall seconds from the first upload."""
    data = Path(tempfile.mkdtemp(prefix="vidsense-ingest-data-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "VIDSENSE_MODELS__DIR": str(settings.models_dir),
        "VIDSENSE_LOG_LEVEL": "INFO",
        "VIDSENSE_EXECUTOR": executor,
    }
    env.pop("VIDSENSE_API_KEY", None)
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vidsense.cli.main",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data / "lib"),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    poller = StatusPoller(base)
    try:
        with httpx.Client(timeout=60) as http:
            for _ in range(300):
                try:
                    if http.get(base + "/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            index_id = http.post(base + "/v1/indexes", json={"index_name": "bench"}).json()["_id"]
            poller.start()
            started = time.perf_counter()
            task_ids = []
            for clip in clips:
                with clip.open("rb") as f:
                    answer = http.post(
                        base + "/v1/tasks",
                        data={"index_id": index_id},
                        files={"video_file": (clip.name, f, "video/mp4")},
                    )
                answer.raise_for_status()
                task_ids.append(answer.json()["_id"])
            uploaded = time.perf_counter() - started
            poller.task_ids = task_ids
            pending = set(task_ids)
            failed = []
            while pending:
                for task_id in list(pending):
                    task = http.get(f"{base}/v1/tasks/{task_id}").json()
                    if task["status"] in ("ready", "failed"):
                        pending.discard(task_id)
                        if task["status"] == "failed":
                            failed.append(task["error"])
                time.sleep(0.25)
            wall = time.perf_counter() - started
            poller.done.set()
            rss = peak_rss_mib(proc.pid)
    finally:
        poller.done.set()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
        log.close()
        lines = (data / "server.log").read_text(errors="replace").splitlines()
        shutil.rmtree(data, ignore_errors=True)
    # "task X indexed D s of video in T s: analysis A s, other O s" (one per task)
    found = [re.search(r"analysis ([\d.]+) s, other ([\d.]+) s", line) for line in lines]
    inside = [(float(m[1]), float(m[2])) for m in found if m]
    lat = sorted(poller.latencies)
    return {
        "wall_s": wall,
        "upload_s": uploaded,
        "peak_rss_mib": rss,
        "failed": failed,
        "server_analysis_s": sum(a for a, _ in inside),
        "server_other_s": sum(o for _, o in inside),
        "status_calls": len(lat),
        "status_p50_ms": 1000 * statistics.median(lat) if lat else float("nan"),
        "status_p95_ms": 1000 * lat[int(0.95 * (len(lat) - 1))] if lat else float("nan"),
    }


def run_figures(
    service: dict[str, Any], videos: int, total: float, workers: int, direct_sum: float
) -> dict[str, Any]:
    """What one service run shows: throughput (videos per hour, in all and per worker; x real
    time), overhead over the direct analyses (1 worker only), memory and status latency."""
    wall = service["wall_s"]
    per_hour = 3600.0 * videos / wall
    return {
        "workers": workers,
        "service_wall_s": round(wall, 2),
        "upload_s": round(service["upload_s"], 2),
        "videos_per_hour": round(per_hour, 1),
        "videos_per_hour_per_worker": round(per_hour / workers, 1),
        "x_real_time": round(total / wall, 2),
        "service_overhead_pct": (round(100 * (wall / direct_sum - 1), 1) if workers == 1 else None),
        "server_analysis_s": round(service["server_analysis_s"], 2),
        "server_other_s": round(service["server_other_s"], 2),
        "in_server_overhead_pct": round(
            100 * service["server_other_s"] / max(service["server_analysis_s"], 1e-9), 1
        ),
        "server_peak_rss_mib": round(service["peak_rss_mib"], 1),
        "status_calls": service["status_calls"],
        "status_p50_ms": round(service["status_p50_ms"], 2),
        "status_p95_ms": round(service["status_p95_ms"], 2),
        "failed": service["failed"],
    }


def median_figures(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One run's figures from several rounds: the median of each number (``runs`` says how
    many), failures of every round."""
    out: dict[str, Any] = {"runs": len(results)}
    for key, value in results[0].items():
        if key == "failed":
            out[key] = [error for r in results for error in r[key]]
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = round(float(statistics.median(r[key] for r in results)), 2)
        else:
            out[key] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=10)
    parser.add_argument(
        "--minutes",
        type=float,
        default=3.0,
        help="longest clip, minutes (the shortest is a third of it)",
    )
    parser.add_argument(
        "--workers", default="1,2", help="server indexing workers, one run per count (1,2)"
    )
    parser.add_argument("--executor", choices=["embedded", "ray", "both"], default="embedded")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of service runs (medians are printed)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    counts = [int(w) for w in str(args.workers).split(",") if w.strip()]
    executors = ["embedded", "ray"] if args.executor == "both" else [args.executor]

    seconds = lengths(args.videos, args.minutes)
    clips = [make_clip(i, s) for i, s in enumerate(seconds)]
    total = sum(seconds)
    settings = Settings()
    install_models(settings)

    warm_up(clips[0])
    direct = direct_times(clips, settings)
    direct_sum = sum(direct)
    # Rounds alternate the executors' order (A B, B A, ...) so that a load that drifts over
    # the run weighs on both alike; each figure is the median over rounds.
    rounds: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for round_ in range(max(1, args.repeat)):
        for workers in counts:
            for executor in executors if round_ % 2 == 0 else executors[::-1]:
                print(f"  round {round_ + 1}: {executor}, {workers} worker(s)...", file=sys.stderr)
                service = service_run(clips, settings, workers, executor)
                rounds.setdefault((executor, workers), []).append(
                    run_figures(service, len(clips), total, workers, direct_sum)
                )
    runs = {
        executor: [median_figures(rounds[executor, workers]) for workers in counts]
        for executor in executors
    }
    figures: dict[str, Any] = {
        "cores": os.cpu_count() or 1,
        "load_1min": round(os.getloadavg()[0], 2),
        "videos": len(clips),
        "video_duration_s": round(total, 1),
        "direct_analyze_sum_s": round(direct_sum, 2),
        "direct_videos_per_hour": round(3600.0 * len(clips) / direct_sum, 1),
        "runs": runs,
    }
    if "embedded" in runs and "ray" in runs:
        # Per round (the two runs next to each other), then the median over rounds.
        figures["ray_over_embedded"] = {
            str(workers): round(
                statistics.median(
                    r["videos_per_hour"] / e["videos_per_hour"]
                    for e, r in zip(
                        rounds["embedded", workers], rounds["ray", workers], strict=True
                    )
                ),
                3,
            )
            for workers in counts
        }
    if args.json:
        json.dump(figures, sys.stdout, indent=2)
        print()
        return
    print(
        f"{len(clips)} videos, {total:.0f} s of 640x360 video, {figures['cores']} cores "
        f"(load average {figures['load_1min']} at the end)"
    )
    print(
        f"  direct analyze(), one after another   {direct_sum:8.2f} s"
        f"  = {figures['direct_videos_per_hour']:.0f} videos/h"
    )
    for executor, results in runs.items():
        for f in results:
            print(
                f"\n  {executor}, {f['workers']:.0f} worker(s), through the HTTP service "
                f"(median of {f['runs']}):"
            )
            print(
                f"    wall {f['service_wall_s']:.2f} s = {f['videos_per_hour']:.0f} videos/h, "
                f"{f['videos_per_hour_per_worker']:.0f} videos/h per worker, "
                f"{f['x_real_time']:.1f}x real time (uploads {f['upload_s']:.2f} s)"
            )
            if f["service_overhead_pct"] is not None:
                print(
                    f"    service overhead {f['service_overhead_pct']:.1f} % over the direct "
                    "analyses (target < 10%)"
                )
            print(
                f"    inside the server: analyze() {f['server_analysis_s']:.2f} s, everything "
                f"else (probe, hashing, blobs, thumbnail, store) {f['server_other_s']:.2f} s"
                f" = {f['in_server_overhead_pct']:.1f} %; peak RSS "
                f"{f['server_peak_rss_mib']:.0f} MiB"
            )
            print(
                f"    GET /v1/tasks/{{id}} while indexing p50 {f['status_p50_ms']:.2f} ms, "
                f"p95 {f['status_p95_ms']:.2f} ms over {f['status_calls']} calls"
                "  (target p50 < 10 ms)"
            )
            if f["failed"]:
                print(f"    FAILED: {f['failed']}")
    if "ray_over_embedded" in figures:
        ratios = ", ".join(
            f"{w} worker(s) {r:.2f}" for w, r in figures["ray_over_embedded"].items()
        )
        print(f"\n  Ray's videos/h over the embedded executor's: {ratios} (target >= 0.90)")


if __name__ == "__main__":
    main()
