"""Chat latency against a real ``vidsense serve``: time to first token and total, for a new
video (analysed during the request) and a cached one, streaming and not, and 8 concurrent
clients asking about cached videos. Prints how analysis time compares with answer time.

Videos are generated topic videos (``tests/writing_support.py``, 24 s per topic; 5 topics is
a 2-minute video), served to the server over a local HTTP server.

    python benchmarks/chat.py [--topics 5] [--clients 8] [--questions 4]
"""

from __future__ import annotations

import argparse
import http.server
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402
from tests.library_support import ServerProcess, prepared_models  # noqa: E402
from tests.writing_support import TOPICS, make_topic_video  # noqa: E402

QUESTIONS = [
    "What is said about the lighthouse?",
    "How long is this video?",
    "Describe this video in two sentences.",
    "Trim this video from 00:10 to 00:20",
    "What are the three best highlights?",
    "Show me a frame at the start of each chapter.",
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _messages(url: str, text: str) -> Any:
    parts = [{"type": "text", "text": text}, {"type": "video_url", "video_url": {"url": url}}]
    return [{"role": "user", "content": parts}]


def ask(client: Any, url: str, text: str, stream: bool) -> tuple[float, float]:
    """``(seconds to the first content, seconds in all)``."""
    start = time.perf_counter()
    if not stream:
        client.chat.completions.create(model="vidsense-1", messages=_messages(url, text))
        total = time.perf_counter() - start
        return total, total
    first = None
    for chunk in client.chat.completions.create(
        model="vidsense-1", messages=_messages(url, text), stream=True
    ):
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter() - start
    total = time.perf_counter() - start
    return first if first is not None else total, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=5, help="24 s per topic (5: 2 minutes)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--questions", type=int, default=4, help="per client")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vidsense-chat-bench-"))
    media = work / "media"
    n = args.topics
    print(f"making two {n * 24} s videos ...", flush=True)
    make_topic_video(media / "a.mp4", TOPICS[:n])
    make_topic_video(media / "b.mp4", TOPICS[n : 2 * n] or TOPICS[:n][::-1])
    files = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=media))
    threading.Thread(target=files.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{files.server_address[1]}"
    models = prepared_models(work / "shared")
    server = ServerProcess(work / "data", models, VIDSENSE_FETCH__ALLOW_PRIVATE="true").start()
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", timeout=1800)
    try:
        new_plain = ask(client, f"{base}/a.mp4", QUESTIONS[0], stream=False)
        new_stream = ask(client, f"{base}/b.mp4", QUESTIONS[0], stream=True)
        cached_plain = [ask(client, f"{base}/a.mp4", q, False) for q in QUESTIONS]
        cached_stream = [ask(client, f"{base}/a.mp4", q, True) for q in QUESTIONS]

        def one_client(k: int) -> list[float]:
            url = f"{base}/{'ab'[k % 2]}.mp4"
            return [
                ask(client, url, QUESTIONS[(k + i) % len(QUESTIONS)], False)[1]
                for i in range(args.questions)
            ]

        start = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            latencies = [t for ts in pool.map(one_client, range(args.clients)) for t in ts]
        wall = time.perf_counter() - start
    finally:
        server.stop()
        files.shutdown()

    def p(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    answer = statistics.median(t for _, t in cached_plain)
    print(f"\nvideo: {n * 24} s, writer: extractive")
    print(f"new video, not streamed:   total {new_plain[1]:7.2f} s")
    print(f"new video, streamed:       first token {new_stream[0]:7.2f} s, "
          f"total {new_stream[1]:7.2f} s")  # fmt: skip
    print(f"cached, not streamed:      median total {answer:7.3f} s "
          f"(p95 {p([t for _, t in cached_plain], 0.95):.3f} s)")  # fmt: skip
    print(f"cached, streamed:          median first token "
          f"{statistics.median(f for f, _ in cached_stream):7.3f} s, median total "
          f"{statistics.median(t for _, t in cached_stream):.3f} s")  # fmt: skip
    load = f"{args.clients} clients x {args.questions} cached questions"
    print(f"{load}: p50 {p(latencies, 0.5):.3f} s, p95 {p(latencies, 0.95):.3f} s, "
          f"{len(latencies) / wall:.2f} answers/s")  # fmt: skip
    print(
        f"analysis vs answer: a new video took {new_plain[1] / answer:.0f}x a cached answer "
        f"({new_plain[1] - answer:.1f} s of analysis for {n * 24} s of video, "
        f"{(new_plain[1] - answer) / (n * 24):.2f} s per video second)"
    )


if __name__ == "__main__":
    main()
