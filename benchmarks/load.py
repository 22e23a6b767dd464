"""Load on a real ``vidsense serve``: 8 clients (threads, each its own HTTP connection) for 10
minutes over search, writing, chat (videos new to the server and cached ones), listings, range
streaming and uploads. Prints requests, failures, p50/p95 per route and the server's memory;
exits non-zero on any failure (any answer that is not 2xx, or a transport error).

Videos are generated clips with speech and a caption (``tests/library_support.spoken_clip``):
a few are indexed first; every "chat, new video" sends a clip the server has not seen as a
``data:`` URI (so it is analysed during the request); uploads send a known clip again (streamed,
hashed, recognised as a duplicate).

    python benchmarks/load.py [--clients 8] [--minutes 10] [--new-videos 12] [--think 0.2]

Timings depend on what else the machine runs: compare runs made on the same quiet machine.
"""

from __future__ import annotations

import argparse
import base64
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from tests.conftest import MediaCache  # noqa: E402
from tests.library_support import ServerProcess, prepared_models, spoken_clip  # noqa: E402

WORDS = [
    "library keeps every video", "welcome to the lighthouse", "roses in the garden",
    "the river at night", "a train leaves the station", "bread from the oven",
]  # fmt: skip
QUERIES = ["video", "library", "lighthouse", "garden", "station", "oven", "every video kept"]
COLOURS = ["navy", "maroon", "olive", "teal", "purple", "gray", "black", "darkgreen"]


@dataclass
class Tally:
    """What one route saw: latencies (seconds) and failures (messages)."""

    times: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class Load:
    """The shared state of one run: the server, its videos, the tallies per route."""

    def __init__(self, url: str, index_id: str, videos: list[str], clips: list[Path]) -> None:
        self.url = url
        self.index_id = index_id
        self.videos = videos
        self.clips = clips
        self.new_clips: list[Path] = []
        self.tallies: dict[str, Tally] = defaultdict(Tally)
        self.lock = threading.Lock()

    def record(self, route: str, seconds: float, failure: str | None) -> None:
        with self.lock:
            tally = self.tallies[route]
            tally.times.append(seconds)
            if failure is not None:
                tally.failures.append(failure)

    def next_new_clip(self) -> Path | None:
        with self.lock:
            return self.new_clips.pop() if self.new_clips else None


def _call(load: Load, route: str, send: Callable[[], httpx.Response]) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        answer = send()
    except httpx.HTTPError as e:
        load.record(route, time.perf_counter() - started, f"{type(e).__name__}: {e}")
        return None
    failure = None if answer.status_code < 400 else f"{answer.status_code} {answer.text[:200]}"
    load.record(route, time.perf_counter() - started, failure)
    return answer


def _chat_body(text: str, media_url: str) -> dict[str, Any]:
    parts = [{"type": "text", "text": text}, {"type": "video_url", "video_url": {"url": media_url}}]
    return {"model": "vidsense-1", "messages": [{"role": "user", "content": parts}]}


def one_step(load: Load, http: httpx.Client, rng: random.Random) -> None:
    """One request (or two, for an upload's follow-up), chosen by weight."""
    video = rng.choice(load.videos)
    stream = f"/v1/indexes/{load.index_id}/videos/{video}/stream"
    kind = rng.choices(
        ["search", "list", "write", "chat-cached", "chat-new", "stream", "upload"],
        weights=[6, 4, 3, 3, 1, 4, 1],
    )[0]
    if kind == "search":
        body = {"index_id": load.index_id, "query": rng.choice(QUERIES),
                "search_options": rng.choice([["conversation"], ["conversation", "visual"],
                                              ["text_in_video"]])}  # fmt: skip
        _call(load, "POST /search", lambda: http.post("/v1/search", json=body))
    elif kind == "list":
        path = rng.choice([f"/v1/indexes/{load.index_id}/videos", "/v1/tasks", "/v1/indexes"])
        route = "GET " + path.replace(load.index_id, "{id}")
        _call(load, route, lambda: http.get(path, params={"page_limit": rng.choice([5, 10])}))
    elif kind == "write":
        name = rng.choice(["gist", "summarize", "generate"])
        body = {"video_id": video, "types": ["title", "topic"], "type": "summary",
                "prompt": "What is said in this video?"}  # fmt: skip
        _call(load, f"POST /{name}", lambda: http.post(f"/v1/{name}", json=body))
    elif kind == "chat-cached":
        body = _chat_body(rng.choice(["What is said?", "How long is it?", "chapters"]),
                          load.url + stream)  # fmt: skip
        _call(load, "POST /chat (cached)", lambda: http.post("/v1/chat/completions", json=body))
    elif kind == "chat-new":
        clip = load.next_new_clip()
        route = "POST /chat (new video)" if clip is not None else "POST /chat (cached data:)"
        data = (clip or rng.choice(load.clips)).read_bytes()
        url = "data:video/mp4;base64," + base64.b64encode(data).decode()
        body = _chat_body("What is said in this video?", url)
        _call(load, route, lambda: http.post("/v1/chat/completions", json=body, timeout=900))
    elif kind == "stream":
        start = rng.randrange(0, 4000)
        headers = {"range": f"bytes={start}-{start + rng.choice([1023, 65535])}"}
        _call(load, "GET stream (range)", lambda: http.get(stream, headers=headers))
    else:
        clip = rng.choice(load.clips)
        with clip.open("rb") as f:
            files = {"video_file": (clip.name, f, "video/mp4")}
            _call(load, "POST /tasks (upload)", lambda: http.post(
                "/v1/tasks", data={"index_id": load.index_id}, files=files))  # fmt: skip


def client(load: Load, seed: int, until: float, think: float) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=load.url, timeout=300) as http:
        while time.monotonic() < until:
            one_step(load, http, rng)
            time.sleep(rng.uniform(0, 2 * think))


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def prepare(url: str, clips: list[Path]) -> tuple[str, list[str]]:
    """An index with ``clips`` indexed; returns its id and the videos' ids."""
    with httpx.Client(base_url=url, timeout=600) as http:
        index_id = http.post("/v1/indexes", json={"index_name": "load"}).json()["_id"]
        tasks = []
        for clip in clips:
            with clip.open("rb") as f:
                files = {"video_file": (clip.name, f, "video/mp4")}
                tasks.append(http.post("/v1/tasks", data={"index_id": index_id}, files=files))
        videos = []
        for task in (t.json() for t in tasks):
            while (found := http.get(f"/v1/tasks/{task['_id']}").json())["status"] not in (
                "ready",
                "failed",
            ):
                time.sleep(0.5)
            if found["status"] != "ready":
                raise SystemExit(f"a clip did not index: {found}")
            videos.append(found["video_id"])
        return index_id, videos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--indexed", type=int, default=3, help="clips indexed before the run")
    parser.add_argument("--new-videos", type=int, default=12, help="clips chat sees first")
    parser.add_argument("--think", type=float, default=0.2, help="mean pause between requests")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vidsense-load-"))
    media = MediaCache(work / "media")
    media.root.mkdir(parents=True)
    count = args.indexed + args.new_videos
    print(f"making {count} clips ...", flush=True)
    clips = [
        spoken_clip(
            media,
            f"clip-{i}.mp4",
            caption=f"CLIP {i}",
            colour=COLOURS[i % len(COLOURS)],
            spoken=f"{WORDS[i % len(WORDS)]} number {i}",
        )
        for i in range(count)
    ]
    server = ServerProcess(work / "data", prepared_models(work / "shared")).start(
        "--workers", "1", timeout=120
    )
    assert server.proc is not None
    try:
        print(f"indexing {args.indexed} clips ...", flush=True)
        index_id, videos = prepare(server.url, clips[: args.indexed])
        load = Load(server.url, index_id, videos, clips[: args.indexed])
        load.new_clips = list(reversed(clips[args.indexed :]))
        rss_start = peak = rss_mib(server.proc.pid)
        until = time.monotonic() + args.minutes * 60
        print(f"{args.clients} clients for {args.minutes:g} min ...", flush=True)
        threads = [
            threading.Thread(target=client, args=(load, args.seed + k, until, args.think))
            for k in range(args.clients)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            peak = max(peak, rss_mib(server.proc.pid))
            time.sleep(1.0)
        wall = time.monotonic() - started
        rss_end = rss_mib(server.proc.pid)
        alive = httpx.get(server.url + "/health").status_code == 200
    finally:
        server.stop()
    log = server.log.read_text()

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    total = sum(len(t.times) for t in load.tallies.values())
    failed = sum(len(t.failures) for t in load.tallies.values())
    print(f"\n{args.clients} clients, {wall:.0f} s: {total} requests "
          f"({total / wall:.1f}/s), {failed} failures")  # fmt: skip
    print(f"{'route':28} {'requests':>8} {'failures':>8} {'p50 ms':>9} {'p95 ms':>9}")
    for route in sorted(load.tallies):
        tally = load.tallies[route]
        print(f"{route:28} {len(tally.times):8d} {len(tally.failures):8d} "
              f"{pct(tally.times, 0.5):9.1f} {pct(tally.times, 0.95):9.1f}")  # fmt: skip
    print(f"server RSS: {rss_start:.0f} MiB at the start, {peak:.0f} MiB peak, "
          f"{rss_end:.0f} MiB at the end; still answering: {alive}")  # fmt: skip
    print(f"server log: {log.count('Traceback')} tracebacks, {log.count(' 500')} 500s")
    for route, tally in load.tallies.items():
        for failure in tally.failures[:3]:
            print(f"  {route}: {failure}")
    median = statistics.median(t for tally in load.tallies.values() for t in tally.times)
    print(f"median request: {median * 1000:.1f} ms")
    if failed or not alive:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
