"""Grounded writing with the extractive writer on a generated 30-minute video.

The video (``tests/writing_support.py``) has ten topics of three minutes, each opening with its
title on screen and filmed in three shots (so two of every three cuts are not topic changes);
each topic states one key fact once. It is generated and indexed once (cached under
``benchmarks/out/writing``); then, on that cached evidence, every endpoint is timed with its
answer cache emptied first (median of ``--repeat`` runs):

- time per endpoint (target: each under 2 s),
- chapter-boundary error: for each true topic change, the distance to the nearest chapter
  start (target: all within 1 s), plus chapters found vs topics,
- key facts kept: the fraction of topics whose key fact (at least 60% of its content words,
  numbers aside) appears in the summary (target >= 80%).

    python benchmarks/writing.py [--minutes 30] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.writing_support import TOPICS, make_topic_video  # noqa: E402

from vidsense.config import ModelSettings, Settings  # noqa: E402
from vidsense.jobs import EmbeddedExecutor  # noqa: E402
from vidsense.language.service import WritingService  # noqa: E402
from vidsense.language.text import content_terms  # noqa: E402
from vidsense.library import Library  # noqa: E402
from vidsense.models.registry import install_models  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "writing"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "topics": {"type": "array", "items": {"type": "string"}},
        "chapters": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "start_time": {"type": "timestamp", "format": "seconds"},
                    "end_time": {"type": "timestamp", "format": "seconds"},
                    "title": {"type": "string"},
                },
            },
        },
    },
}


def indexed(minutes: float) -> tuple[Library, str, Any, float]:
    """The library holding the benchmark video (indexed on first use), its video id, the
    video's truth and the indexing time (0 when it was cached)."""
    topics = TOPICS[: max(1, min(len(TOPICS), int(minutes // 3)))]
    per_topic = minutes * 60 / len(topics)
    truth = make_topic_video(
        OUT / f"topics_{minutes:g}min.mp4",
        topics,
        seconds_per_topic=per_topic,
        shots_per_topic=3,
        size="640x360",
        fps=25,
    )
    settings = Settings(
        data_dir=OUT / f"data_{minutes:g}min",
        models=ModelSettings(dir=OUT / "models"),
        workers=1,
    )
    install_models(settings)
    lib = Library.open(settings)
    took = 0.0
    for index in lib.list_indexes(page_limit=50).items:
        videos = lib.list_videos(index.id).items
        if videos and videos[0].status == "ready":
            return lib, videos[0].id, truth, took
    index = lib.create_index("writing")
    started = time.monotonic()
    with EmbeddedExecutor(lib, 1):
        task_id = lib.submit_file(index.id, truth.path).task.id
        while (task := lib.get_task(task_id)).status not in ("ready", "failed"):
            time.sleep(1.0)
    took = time.monotonic() - started
    if task.status != "ready" or task.video_id is None:
        raise SystemExit(f"indexing failed: {task.error_message}")
    return lib, task.video_id, truth, took


NUMBER_WORDS = {
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
    "thousand",
}  # fmt: skip


def fact_kept(fact: str, said: set[str]) -> bool:
    """Whether a summary (its content terms, ``said``) keeps a fact: at least 60% of the
    fact's content words (numbers aside: speech recognition writes them as digits)."""
    terms = {t for t in content_terms(fact) if t not in NUMBER_WORDS and not t.isdigit()}
    return len(terms & said) >= 0.6 * len(terms)


def clear_answers(lib: Library, video_id: str) -> None:
    """Empty the answer cache so each timing writes the answer again."""
    import sqlite3

    path = lib.settings.store_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM writings WHERE video_id = ?", (video_id,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    lib, video_id, truth, index_seconds = indexed(args.minutes)
    service = WritingService(lib)
    service.evidence(video_id)  # evidence loaded once, as a server keeps it
    calls: dict[str, Callable[[], Any]] = {
        "gist": lambda: service.gist(video_id),
        "summary": lambda: service.summarize(video_id, "summary"),
        "chapter": lambda: service.summarize(video_id, "chapter"),
        "highlight": lambda: service.summarize(video_id, "highlight"),
        "generate": lambda: service.generate(video_id, "How long does the sourdough rise?"),
        "analyze": lambda: service.analyze(
            video_id, "title, topics, chapters", {"type": "json_schema", "json_schema": SCHEMA}
        ),
    }
    seconds: dict[str, float] = {}
    results: dict[str, Any] = {}
    for name, call in calls.items():
        runs = []
        for _ in range(args.repeat):
            clear_answers(lib, video_id)
            started = time.perf_counter()
            results[name] = call()
            runs.append(time.perf_counter() - started)
        seconds[name] = statistics.median(runs)
    calls["summary"]()
    started = time.perf_counter()
    calls["summary"]()
    cached = time.perf_counter() - started

    chapters = results["chapter"]["chapters"]
    starts = [c["start_sec"] for c in chapters]
    errors = [min(abs(b - s) for s in starts) for b in truth.boundaries]
    summary = results["summary"]["summary"]
    said = content_terms(summary)
    kept = [t for t in truth.topics if fact_kept(t.fact, said)]
    figures = {
        "video_seconds": truth.duration,
        "topics": len(truth.topics),
        "index_seconds": round(index_seconds, 1),
        "endpoint_seconds": {k: round(v, 3) for k, v in seconds.items()},
        "cached_summary_seconds": round(cached, 4),
        "chapters_found": len(chapters),
        "boundary_error_max": round(max(errors), 3) if errors else 0.0,
        "boundary_error_mean": round(statistics.mean(errors), 3) if errors else 0.0,
        "key_facts_kept": f"{len(kept)}/{len(truth.topics)}",
        "key_facts_fraction": round(len(kept) / len(truth.topics), 3),
        "summary_words": len(summary.split()),
    }
    lib.close()
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    if index_seconds:
        print(f"indexed {truth.duration / 60:.0f} min in {index_seconds:.0f} s")
    print(f"video: {truth.duration / 60:.0f} min, {len(truth.topics)} topics, 3 shots each")
    for name, value in seconds.items():
        flag = "ok" if value < 2.0 else "SLOW"
        print(f"  {name:<10} {value * 1000:8.1f} ms  (target < 2000 ms: {flag})")
    print(f"  summary again (answer cache): {cached * 1000:.2f} ms")
    print(
        f"chapters: {len(chapters)} found for {len(truth.topics)} topics; boundary error "
        f"max {figures['boundary_error_max']} s, mean {figures['boundary_error_mean']} s "
        "(target <= 1 s)"
    )
    print(
        f"key facts in the summary: {figures['key_facts_kept']} "
        f"({figures['key_facts_fraction']:.0%}, target >= 80%); "
        f"summary {figures['summary_words']} words"
    )
    print("\nsummary:\n" + summary)


if __name__ == "__main__":
    main()
