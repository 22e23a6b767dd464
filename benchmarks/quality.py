"""Understanding quality on the labelled evaluation corpus (``benchmarks/corpus``), measured
through the public API of a real ``vidsense serve`` as a user meets it.

The corpus is built (cached under ``benchmarks/out/corpus``), a server is started on a
throwaway data folder (or ``--server URL`` is used), each split is indexed into its own index,
and every figure is printed per video and per split (``dev`` is where constants may be chosen,
``test`` is what is reported):

- chapters: boundary precision / recall / F1 within 1 s of the true topic changes
  (``POST /v1/summarize`` type ``chapter``); the overall figure counts the videos whose topics
  are unambiguous;
- gist: share of labelled topics named by the title, the topic list and the summary
  (``/v1/gist``, ``/v1/summarize``), and bad topics (numbers, caption capitals, non-nouns);
- questions: answered right (expected words present, not a refusal), false "not in the video",
  absent answers refused, cross-lingual questions right; through ``/v1/generate`` and chat
  (``/v1/chat/completions`` with the ``openai`` client);
- instructions: followed (length, bullets, numbered steps, checklist, table of times, focus,
  saying a request is unsupported; and, of every video, the requests any video can answer:
  a title, hashtags, its topics, a summary, what can be heard, timed chapters, what is said,
  what is visible, how many people, what happens with timestamps, the language spoken, the text
  on screen, the main topic, chapters, key moments, takeaways)
  and false "not in the video", through both as well;
- search: R@1 / R@5 per option and for the web UI's default (visual + conversation +
  text_in_video) on paraphrased queries, and the share of top-5 hits whose text is noise;
- shots: hard-cut precision / recall / F1 within 0.1 s, low-contrast cuts found, dissolves and
  fades found (a boundary inside the transition), and transitions reported as spans.

How answers are judged is in ``benchmarks/corpus/scoring.py``.

    python benchmarks/quality.py [--only NAME[,NAME]] [--split dev|test] [--json out.json]
        [--server URL] [--data DIR] [--workers N] [--failures] [--markdown]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import scoring  # noqa: E402
from benchmarks.corpus.build import OUT, Built, build_corpus, select  # noqa: E402
from benchmarks.corpus.spec import OPTIONS, SPLITS  # noqa: E402

MODELS = Path(os.environ.get("VIDSENSE_MODELS__DIR") or ROOT / "benchmarks" / "out" / "models")
"""Where the bundled models are prepared (``VIDSENSE_MODELS__DIR`` when set)."""
DEFAULT_OPTIONS = ("visual", "conversation", "text_in_video")
"""The web UI's search toggles, all on by default."""
CHAPTER_TOLERANCE = 1.0
CUT_TOLERANCE = 0.1
TIMEOUT = 600.0


# -- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(data: Path | None, workers: int) -> Iterator[str]:
    """A ``vidsense serve`` on a free port over ``data`` (a throwaway folder when ``None``),
    with the bundled models prepared once under ``benchmarks/out/models``; stopped after."""
    env = {**os.environ, "VIDSENSE_MODELS__DIR": str(MODELS), "VIDSENSE_WORKERS": str(workers)}
    env.pop("VIDSENSE_API_KEY", None)
    vidsense = [sys.executable, "-m", "vidsense.cli.main"]
    done = subprocess.run([*vidsense, "models", "install"], env=env, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"vidsense models install failed: {done.stderr.decode()[-2000:]}")
    folder = data or Path(tempfile.mkdtemp(prefix="vidsense-quality-"))
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "server.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                *vidsense,
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(folder),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"vidsense serve exited: {log.read_text()[-3000:]}")
            try:
                if httpx.get(url + "/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"vidsense serve did not start: {log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if data is None:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def existing(url: str) -> Iterator[str]:
    """A server someone else runs (``--server``)."""
    yield url


class Api:
    """The server's HTTP API (Twelve Labs shapes) and its chat, through the ``openai``
    client."""

    def __init__(self, url: str, key: str | None) -> None:
        import openai

        headers = {"x-api-key": key} if key else {}
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url + "/v1", headers=headers, timeout=TIMEOUT)
        self.chat = openai.OpenAI(
            base_url=self.url + "/v1", api_key=key or "unused", timeout=TIMEOUT, max_retries=0
        )

    def call(self, method: str, path: str, **kw: Any) -> Any:
        response = self.http.request(method, path, **kw)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    def index(self, name: str) -> str:
        """The id of the index called ``name``, made when missing."""
        page = self.call("GET", "/indexes", params={"page_limit": 50})
        for item in page["data"]:
            if item.get("index_name") == name:
                return str(item["_id"])
        body = {
            "index_name": name,
            "engines": [
                {
                    "engine_name": "marengo2.6",
                    "engine_options": ["visual", "conversation", "text_in_video"],
                }
            ],
        }
        return str(self.call("POST", "/indexes", json=body)["_id"])

    def ask(self, video_id: str, prompt: str) -> str:
        out = self.call("POST", "/generate", json={"video_id": video_id, "prompt": prompt})
        return str(out.get("data", ""))

    def chat_ask(self, stream_url: str, prompt: str) -> str:
        content = [
            {"type": "text", "text": prompt},
            {"type": "video_url", "video_url": {"url": stream_url}},
        ]
        messages: Any = [{"role": "user", "content": content}]  # video_url: a vidsense part
        reply = self.chat.chat.completions.create(model="vidsense-1", messages=messages)
        return reply.choices[0].message.content or ""


@dataclass
class Indexed:
    """A corpus video in the server: its labels and ids."""

    built: Built
    index_id: str
    video_id: str

    @property
    def labels(self) -> dict[str, Any]:
        return self.built.labels

    @property
    def name(self) -> str:
        return self.built.name


def index_all(api: Api, built: list[Built], say: Callable[[str], None]) -> list[Indexed]:
    """Upload every video into its split's index (``quality-dev`` / ``quality-test``) and wait
    until all are ready; a video already indexed (same bytes) is not indexed again."""
    pending: list[tuple[Built, str, str]] = []
    for item in built:
        index_id = api.index(f"quality-{item.labels['split']}")
        with item.path.open("rb") as f:
            task = api.call(
                "POST",
                "/tasks",
                data={"index_id": index_id},
                files={"video_file": (item.path.name, f, "video/mp4")},
            )
        pending.append((item, index_id, str(task["_id"])))
    started = time.monotonic()
    done: dict[str, dict[str, Any]] = {}
    while len(done) < len(pending):
        for item, _, task_id in pending:
            if task_id in done:
                continue
            task = api.call("GET", f"/tasks/{task_id}")
            if task["status"] == "failed":
                raise SystemExit(f"{item.name}: indexing failed: {task.get('error')}")
            if task["status"] == "ready":
                done[task_id] = task
                say(f"  indexed {item.name} ({time.monotonic() - started:.0f} s)")
        time.sleep(1.0)
    indexed = [Indexed(item, index_id, str(done[t]["video_id"])) for item, index_id, t in pending]
    for index_id in {i.index_id for i in indexed}:
        keep = {i.video_id for i in indexed if i.index_id == index_id}
        names = {i.built.path.name for i in indexed if i.index_id == index_id}
        page = api.call("GET", f"/indexes/{index_id}/videos", params={"page_limit": 50})
        for video in page["data"]:
            stale = video["_id"] not in keep and video["metadata"].get("filename") in names
            if stale:  # an older build of a corpus video: it would be found by searches
                api.call("DELETE", f"/indexes/{index_id}/videos/{video['_id']}")
    return indexed


# -- the measures ------------------------------------------------------------------------------


Counts = dict[str, int]


@dataclass
class Report:
    """Counts per section and video (summed for a split), what was returned, and every
    failure with what came back."""

    counts: dict[str, dict[str, Counts]] = field(default_factory=lambda: defaultdict(dict))
    seen: dict[str, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))
    failures: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, section: str, video: str, **what: Any) -> None:
        self.failures.append({"section": section, "video": video, **what})

    def total(self, section: str, names: list[str]) -> Counts:
        out: Counts = defaultdict(int)
        for name in names:
            for key, value in self.counts[section].get(name, {}).items():
                out[key] += value
        return dict(out)


def chapters(api: Api, v: Indexed, report: Report) -> None:
    out = api.call("POST", "/summarize", json={"video_id": v.video_id, "type": "chapter"})
    starts = [float(c["start_sec"]) for c in out.get("chapters", [])]
    found = [s for s in starts if s > 0.5]
    truth = v.labels["boundaries"]
    hits = scoring.match_times(found, truth, CHAPTER_TOLERANCE)
    counts = {
        "topics": len(v.labels["topics"]),
        "chapters": len(starts),
        "tp": hits,
        "fp": len(found) - hits,
        "fn": len(truth) - hits,
    }
    if v.labels["chapters_clear"]:  # the overall figure counts unambiguous topics only
        counts |= {"clear_tp": hits, "clear_fp": len(found) - hits, "clear_fn": len(truth) - hits}
    report.counts["chapters"][v.name] = counts
    report.seen["chapters"][v.name] = starts
    if hits < len(truth) or hits < len(found):
        report.fail("chapters", v.name, expected=truth, got=starts)


def gist(api: Api, v: Indexed, report: Report) -> None:
    topics = v.labels["topics"]
    if not v.labels["chapters_clear"]:
        return
    out = api.call(
        "POST", "/gist", json={"video_id": v.video_id, "types": ["title", "topic", "hashtag"]}
    )
    summary = api.call("POST", "/summarize", json={"video_id": v.video_id, "type": "summary"})
    title = str(out.get("title") or "")
    names = [str(t) for t in out.get("topics") or []]
    text = str(summary.get("summary") or "")
    said = {"title": title, "topic_list": " ; ".join(names), "summary": text}
    counts = {"n": len(topics), "returned": len(names), "words": scoring.words(text)}
    for where, words in said.items():
        flags = [scoring.covered(words, t["keywords"]) for t in topics]
        counts[where] = sum(flags)
        missing = [t["title"] for t, ok in zip(topics, flags, strict=True) if not ok]
        if missing:
            report.fail("gist", v.name, where=where, missing=missing, got=words)
    if len(topics) > 1:
        counts |= {"multi_topics": len(topics), "multi_title": counts["title"]}
    bad = {n: why for n in names if (why := scoring.bad_topic(n))}
    counts["bad"] = len(bad)
    if bad:
        report.fail("gist", v.name, where="bad topics", got=bad)
    report.counts["gist"][v.name] = counts
    report.seen["gist"][v.name] = {**said, "topic_list": names, "hashtags": out.get("hashtags")}


def stream_url(api: Api, v: Indexed) -> str:
    """The video's stream URL: chat reads a library video from it without indexing again."""
    return f"{api.url}/v1/indexes/{v.index_id}/videos/{v.video_id}/stream"


def askers(api: Api, v: Indexed, chat: bool) -> dict[str, Callable[[str], str]]:
    """``/v1/generate`` and (unless ``chat`` is off) chat, each as prompt -> answer."""
    paths: dict[str, Callable[[str], str]] = {"generate": lambda q: api.ask(v.video_id, q)}
    if chat:
        paths["chat"] = lambda q: api.chat_ask(stream_url(api, v), q)
    return paths


def evidence_text(api: Api, v: Indexed) -> str:
    """Everything the video's transcript and on-screen text say, as one text."""
    base = f"/indexes/{v.index_id}/videos/{v.video_id}"
    items = [
        *api.call("GET", f"{base}/transcription")["data"],
        *api.call("GET", f"{base}/text-in-video")["data"],
    ]
    return "\n".join(str(item.get("value", "")) for item in items)


def questions(api: Api, v: Indexed, report: Report, chat: bool) -> None:
    """Each question through each path; ``in_evidence`` counts the present answers that the
    transcript or on-screen text holds at all (the rest are lost to speech or text
    recognition before any writer sees them)."""
    counts: Counts = defaultdict(int)
    heard = evidence_text(api, v)
    for path, ask in askers(api, v, chat).items():
        for q in v.labels["questions"]:
            answer = ask(q["text"])
            refused = scoring.is_refusal(answer)
            if q["present"]:
                right = scoring.answered(answer, q["answers"])
                held = q["source"] == "metadata" or scoring.answered(heard, q["answers"])
                counts[f"{path}.present"] += 1
                counts[f"{path}.right"] += right
                counts[f"{path}.false_no"] += refused
                counts[f"{path}.in_evidence"] += held
                counts[f"{path}.right_in_evidence"] += right and held
                if q["lang"] != v.labels["language"]:
                    counts[f"{path}.cross"] += 1
                    counts[f"{path}.cross_right"] += right
                if not right:
                    report.fail(
                        "questions",
                        v.name,
                        path=path,
                        question=q["text"],
                        expected=q["answers"],
                        in_evidence=held,
                        got=answer,
                    )
            else:
                counts[f"{path}.absent"] += 1
                counts[f"{path}.refused"] += refused
                if not refused:
                    report.fail(
                        "questions",
                        v.name,
                        path=path,
                        question=q["text"],
                        expected="refusal",
                        got=answer,
                    )
    report.counts["questions"][v.name] = dict(counts)


EVERY_VIDEO = (
    {"prompt": "Give this video a title.", "kind": "title", "n": 15},
    {"prompt": "Suggest hashtags for this video.", "kind": "hashtags", "n": 1},
    {"prompt": "What topics are covered?", "kind": "answered"},
    {"prompt": "Generate a summary of this video.", "kind": "answered"},
    {"prompt": "What sounds can be heard?", "kind": "answered"},
    {"prompt": "List the chapters with their times.", "kind": "table", "n": 1},
    {"prompt": "What is said in this video?", "kind": "answered"},
    {"prompt": "What objects are visible?", "kind": "answered"},
    {"prompt": "How many people are in the video?", "kind": "answered"},
    {"prompt": "Describe what happens, with timestamps.", "kind": "table", "n": 1},
    {"prompt": "What language is spoken?", "kind": "answered"},
    {"prompt": "What text appears on screen?", "kind": "answered"},
    {"prompt": "What is the main topic?", "kind": "answered"},
    {"prompt": "Create chapters for this video.", "kind": "table", "n": 1},
    {"prompt": "What are the key moments?", "kind": "table", "n": 1},
    {"prompt": "Extract the key takeaways.", "kind": "bullets", "n": 1},
    {"prompt": "List the topics as hashtags.", "kind": "hashtag list", "n": 1},
    {"prompt": "What colours dominate the video?", "kind": "answered"},
)
"""Requests any video can answer, asked of each besides its own (``n``, ``about`` and
``avoid`` as in ``spec.Instruction``): none is about something a video may lack."""


def instructions(api: Api, v: Indexed, report: Report, chat: bool) -> None:
    counts: Counts = defaultdict(int)
    asked = [
        *v.labels["instructions"],
        *({"n": 0, "about": (), "avoid": (), **i} for i in EVERY_VIDEO),
    ]
    for path, ask in askers(api, v, chat).items():
        for item in asked:
            answer = ask(item["prompt"])
            ok = scoring.followed(answer, item["kind"], item["n"], item["about"], item["avoid"])
            counts[f"{path}.asked"] += 1
            counts[f"{path}.followed"] += ok
            counts[f"{path}.false_no"] += scoring.is_refusal(answer)
            if not ok:
                report.fail(
                    "instructions",
                    v.name,
                    path=path,
                    prompt=item["prompt"],
                    kind=item["kind"],
                    got=answer,
                )
    report.counts["instructions"][v.name] = dict(counts)


def hit_text(hit: dict[str, Any]) -> str:
    texts = [str(m.get("text")) for m in hit.get("metadata", []) if m.get("text")]
    return " ".join(texts) or str(hit.get("transcription") or "")


def on_target(
    hit: dict[str, Any], v: Indexed, query: dict[str, Any], library: Sequence[Indexed] = ()
) -> bool:
    """Whether a hit is a labelled moment of the query: same video, overlapping the moment by
    half its length or half a second (whichever is less). A query about the picture is also
    answered by the same footage in another video of the ``library`` (two videos of one split
    cut in the same clip: the street of ``bikes.mp4`` is the street wherever it is found), and
    one about what is said by the same recorded sentence in another (two dev videos read the
    same LibriVox paragraph)."""
    if hit["video_id"] == v.video_id:
        return any(_overlaps(hit, start, end) for start, end in query["targets"])
    other = next((o for o in library if o.video_id == hit["video_id"]), None)
    if other is None:
        return False
    recorded = {
        line["text"]
        for line in v.labels["lines"]
        if line.get("recorded")
        and any(_overlaps(line, start, end) for start, end in query["targets"])
    }
    if any(
        line.get("recorded")
        and line["text"] in recorded
        and _overlaps(hit, line["start"], line["end"])
        for line in other.labels["lines"]
    ):
        return True
    if "visual" not in query["options"]:
        return False
    footage = {
        shot["picture"]
        for shot in v.labels["shots"]
        if shot["picture"].startswith(("clip:", "photo:"))
        and any(shot["start"] < end and start < shot["end"] for start, end in query["targets"])
    }
    return any(
        shot["picture"] in footage and _overlaps(hit, shot["start"], shot["end"])
        for shot in other.labels["shots"]
    )


def _overlaps(hit: dict[str, Any], start: float, end: float) -> bool:
    overlap = min(float(hit["end"]), end) - max(float(hit["start"]), start)
    return overlap >= min(0.5, 0.5 * (end - start))


def search(
    api: Api, v: Indexed, library: Sequence[Indexed], names: dict[str, str], report: Report
) -> None:
    """R@1 and R@5 per option (over the queries labelled with it) and for the UI default
    (over all queries), with the noise among the default's top 5. ``library``: the videos of
    the index searched."""
    counts: Counts = defaultdict(int)
    for q in v.labels["queries"]:
        for choice in (*[o for o in OPTIONS if o in q["options"]], "default"):
            options = list(DEFAULT_OPTIONS) if choice == "default" else [choice]
            out = api.call(
                "POST",
                "/search",
                json={
                    "index_id": v.index_id,
                    "query": q["text"],
                    "search_options": options,
                    "threshold": "low",
                    "page_limit": 5,
                    "group_by": "clip",
                },
            )
            hits = out.get("data", [])[:5]
            good = [on_target(h, v, q, library) for h in hits]
            counts[f"{choice}.queries"] += 1
            counts[f"{choice}.r1"] += bool(good) and good[0]
            counts[f"{choice}.r5"] += any(good)
            if choice == "default":
                counts["shown"] += len(hits)
                counts["noise"] += sum(scoring.is_noise(hit_text(h)) for h in hits)
            if not (good and good[0]):
                top = [
                    [names.get(h["video_id"], "?"), h["start"], h["end"], hit_text(h)[:60]]
                    for h in hits[:3]
                ]
                report.fail(
                    "search",
                    v.name,
                    option=choice,
                    query=q["text"],
                    expected=q["targets"],
                    got=top,
                )
    report.counts["search"][v.name] = dict(counts)


def transition_spans(data: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """Transitions the shot list reports as spans: a ``transition`` object (or
    ``transition_start``/``transition_end``) on a shot, or a gap between two shots."""
    spans = []
    for before, after in itertools.pairwise(data):
        if after["start"] - before["end"] >= 0.2:
            spans.append((before["end"], after["start"]))
    for shot in data:
        t = shot.get("transition")
        if isinstance(t, dict) and "start" in t and "end" in t:
            spans.append((float(t["start"]), float(t["end"])))
        elif shot.get("transition_start") is not None and shot.get("transition_end") is not None:
            spans.append((float(shot["transition_start"]), float(shot["transition_end"])))
    return spans


def shots(api: Api, v: Indexed, report: Report) -> None:
    data = api.call("GET", f"/indexes/{v.index_id}/videos/{v.video_id}/shots")["data"]
    starts = [float(s["start"]) for s in data[1:]]
    cuts = [c["time"] for c in v.labels["cuts"]]
    slack = CUT_TOLERANCE
    transitions = v.labels["dissolves"] + v.labels["fades"]
    hits = scoring.match_times(starts, cuts, slack)
    extra = [
        s
        for s in starts
        if not any(abs(s - c) <= slack for c in cuts)
        and not any(d["start"] - slack <= s <= d["end"] + slack for d in transitions)
    ]  # boundaries inside a dissolve or fade are neither right nor wrong as cuts
    low = [c["time"] for c in v.labels["cuts"] if c["low_contrast"]]
    reported = transition_spans(data)

    def found(kind: str) -> int:
        return sum(
            any(d["start"] - slack <= s <= d["end"] + slack for s in starts)
            or any(a < d["end"] and b > d["start"] for a, b in reported)
            for d in v.labels[kind]
        )

    report.counts["shots"][v.name] = {
        "cuts": len(cuts),
        "tp": hits,
        "fp": len(extra),
        "fn": len(cuts) - hits,
        "low": len(low),
        "low_found": scoring.match_times(starts, low, slack),
        "dissolves": len(v.labels["dissolves"]),
        "dissolves_found": found("dissolves"),
        "fades": len(v.labels["fades"]),
        "fades_found": found("fades"),
        "spans": sum(
            any(a < d["end"] and b > d["start"] for a, b in reported) for d in v.labels["dissolves"]
        ),
    }
    report.seen["shots"][v.name] = [[s["start"], s["end"]] for s in data]
    if hits < len(cuts) or extra:
        missed = [
            c for c in v.labels["cuts"] if not any(abs(s - c["time"]) <= slack for s in starts)
        ]
        report.fail("shots", v.name, missed=missed, extra=extra)


# -- printing ----------------------------------------------------------------------------------


def share(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "-"


def of(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "-"


def f1(c: Counts, prefix: str = "") -> tuple[str, str, str]:
    t = scoring.Tally(c.get(prefix + "tp", 0), c.get(prefix + "fp", 0), c.get(prefix + "fn", 0))
    return f"{t.precision:.2f}", f"{t.recall:.2f}", f"{t.f1:.2f}"


def ratio(c: Counts, path: str, part: str, whole: str) -> str:
    return share(c.get(f"{path}.{part}", 0), c.get(f"{path}.{whole}", 0))


def recall(c: Counts, option: str) -> str:
    queries = c.get(f"{option}.queries", 0)
    if not queries:
        return "-"
    r1, r5 = c.get(f"{option}.r1", 0), c.get(f"{option}.r5", 0)
    return f"{share(r1, queries)} {share(r5, queries)} ({queries})"


Column = tuple[str, Callable[[Counts], str]]
SHORT = {
    "generate": "gen",
    "chat": "chat",
    "right": "right",
    "false_no": "notInVideo",
    "refused": "absentRefused",
    "in_evidence": "inEvidence",
    "right_in_evidence": "rightOfThose",
    "cross_right": "xlingRight",
    "followed": "followed",
}


def columns(section: str, paths: list[str]) -> list[Column]:
    """What each section prints, from its counts (the same for a video and for a split)."""
    if section == "chapters":
        return [
            ("topics", lambda c: str(c.get("topics", ""))),
            ("chapters", lambda c: str(c.get("chapters", ""))),
            ("P", lambda c: f1(c)[0]),
            ("R", lambda c: f1(c)[1]),
            ("F1", lambda c: f1(c)[2]),
            ("F1 clear", lambda c: f1(c, "clear_")[2] if "clear_tp" in c else "-"),
        ]
    if section == "gist":
        return [
            ("topics", lambda c: str(c.get("n", 0))),
            ("title", lambda c: share(c.get("title", 0), c.get("n", 0))),
            ("title multi", lambda c: share(c.get("multi_title", 0), c.get("multi_topics", 0))),
            ("topic list", lambda c: share(c.get("topic_list", 0), c.get("n", 0))),
            ("summary", lambda c: share(c.get("summary", 0), c.get("n", 0))),
            ("bad", lambda c: of(c.get("bad", 0), c.get("returned", 0))),
            ("words", lambda c: str(c.get("words", 0))),
        ]
    if section in ("questions", "instructions"):
        measures = (
            [
                ("in_evidence", "present"),
                ("right", "present"),
                ("right_in_evidence", "in_evidence"),
                ("false_no", "present"),
                ("refused", "absent"),
                ("cross_right", "cross"),
            ]
            if section == "questions"
            else [("followed", "asked"), ("false_no", "asked")]
        )
        cols: list[Column] = [
            (f"{SHORT[p]} {SHORT[part]}", partial(ratio, path=p, part=part, whole=whole))
            for p in paths
            for part, whole in measures
            if part != "in_evidence" or p == paths[0]  # the same for every path
        ]
        return [(h.removeprefix("gen ") if "inEvidence" in h else h, f) for h, f in cols]
    if section == "search":
        cols = [(f"{o[:12]} R@1 R@5", partial(recall, option=o)) for o in (*OPTIONS, "default")]
        return [*cols, ("noise@5", lambda c: share(c.get("noise", 0), c.get("shown", 0)))]
    if section == "shots":
        return [
            ("cuts", lambda c: str(c.get("cuts", 0))),
            ("P", lambda c: f1(c)[0]),
            ("R", lambda c: f1(c)[1]),
            ("F1", lambda c: f1(c)[2]),
            ("low contrast", lambda c: of(c.get("low_found", 0), c.get("low", 0))),
            ("dissolves", lambda c: of(c.get("dissolves_found", 0), c.get("dissolves", 0))),
            ("as spans", lambda c: of(c.get("spans", 0), c.get("dissolves", 0))),
            ("fades", lambda c: of(c.get("fades_found", 0), c.get("fades", 0))),
        ]
    raise ValueError(section)


SECTIONS = {
    "chapters": "CHAPTERS: boundary precision/recall/F1 within 1 s (F1 clear: unambiguous topics)",
    "gist": "GIST: share of labelled topics named by the title, topic list, summary; bad topics",
    "questions": "QUESTIONS: answers in the transcript/on-screen text at all; right answers, "
    "and right of those in evidence; false 'not in the video'; absent answers refused; "
    "cross-lingual right",
    "instructions": "INSTRUCTIONS: followed, and answered 'not in the video'",
    "search": "SEARCH: R@1 R@5 (queries) on paraphrases per option and the UI default; noise "
    "in its top 5",
    "shots": "SHOTS: hard cuts within 0.1 s; low-contrast cuts, dissolves, fades found",
}


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [head, *rows]
    ]


def splits_of(videos: list[Indexed]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for split in SPLITS:
        names = sorted(v.name for v in videos if v.labels["split"] == split)
        if names:
            out[split] = names
    return out


def render(report: Report, videos: list[Indexed], chat: bool) -> list[str]:
    """A table per section: a row per video, then a row per split (counts summed)."""
    paths = ["generate", "chat"] if chat else ["generate"]
    lines: list[str] = []
    groups = splits_of(videos)
    for section, title in SECTIONS.items():
        cols = columns(section, paths)
        rows = []
        for split, names in groups.items():
            for name in names:
                if name in report.counts[section]:
                    c = report.counts[section][name]
                    rows.append([name, split, *[f(c) for _, f in cols]])
        for split, names in groups.items():
            c = report.total(section, names)
            rows.append([f"= {split}", "", *[f(c) for _, f in cols]])
        lines += ["", title, *table(["video", "split", *[h for h, _ in cols]], rows)]
    return lines


def overall(report: Report, videos: list[Indexed]) -> dict[str, dict[str, float | None]]:
    """The headline figures per split (shares 0-1; ``None`` where nothing was measured)."""
    out: dict[str, dict[str, float | None]] = {}

    def ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    for split, names in splits_of(videos).items():
        ch = report.total("chapters", names)
        gi = report.total("gist", names)
        qa = report.total("questions", names)
        ins = report.total("instructions", names)
        se = report.total("search", names)
        sh = report.total("shots", names)
        fig: dict[str, float | None] = {
            "chapters_f1_clear": scoring.Tally(
                ch.get("clear_tp", 0), ch.get("clear_fp", 0), ch.get("clear_fn", 0)
            ).f1,
            "title_multi": ratio(gi.get("multi_title", 0), gi.get("multi_topics", 0)),
            "topic_list": ratio(gi.get("topic_list", 0), gi.get("n", 0)),
            "summary": ratio(gi.get("summary", 0), gi.get("n", 0)),
            "bad_topics": ratio(gi.get("bad", 0), gi.get("returned", 0)),
        }
        fig["answers_in_evidence"] = ratio(
            qa.get("generate.in_evidence", 0), qa.get("generate.present", 0)
        )
        for p in ("generate", "chat"):
            fig[f"{p}_right"] = ratio(qa.get(f"{p}.right", 0), qa.get(f"{p}.present", 0))
            fig[f"{p}_right_in_evidence"] = ratio(
                qa.get(f"{p}.right_in_evidence", 0), qa.get(f"{p}.in_evidence", 0)
            )
            fig[f"{p}_false_no"] = ratio(qa.get(f"{p}.false_no", 0), qa.get(f"{p}.present", 0))
            fig[f"{p}_absent_refused"] = ratio(qa.get(f"{p}.refused", 0), qa.get(f"{p}.absent", 0))
            fig[f"{p}_followed"] = ratio(ins.get(f"{p}.followed", 0), ins.get(f"{p}.asked", 0))
            fig[f"{p}_instr_false_no"] = ratio(
                ins.get(f"{p}.false_no", 0), ins.get(f"{p}.asked", 0)
            )
        for o in (*OPTIONS, "default"):
            fig[f"{o}_r1"] = ratio(se.get(f"{o}.r1", 0), se.get(f"{o}.queries", 0))
            fig[f"{o}_r5"] = ratio(se.get(f"{o}.r5", 0), se.get(f"{o}.queries", 0))
        fig["noise_at_5"] = ratio(se.get("noise", 0), se.get("shown", 0))
        fig["cuts_f1"] = scoring.Tally(sh.get("tp", 0), sh.get("fp", 0), sh.get("fn", 0)).f1
        fig["dissolves_found"] = ratio(sh.get("dissolves_found", 0), sh.get("dissolves", 0))
        fig["dissolves_spans"] = ratio(sh.get("spans", 0), sh.get("dissolves", 0))
        out[split] = fig
    return out


def headline(figures: dict[str, dict[str, float | None]]) -> list[str]:
    def f(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    return [
        f"OVERALL {split}: chapters F1 {f(x['chapters_f1_clear'])} | title {f(x['title_multi'])}"
        f" topics {f(x['topic_list'])} summary {f(x['summary'])} | answers "
        f"{f(x['generate_right'])} (chat {f(x['chat_right'])}), false no "
        f"{f(x['generate_false_no'])}, absent refused {f(x['generate_absent_refused'])} | "
        f"instructions {f(x['generate_followed'])} | search default R@1 {f(x['default_r1'])} | "
        f"cuts F1 {f(x['cuts_f1'])}, dissolves {f(x['dissolves_found'])} "
        f"(as spans {f(x['dissolves_spans'])})"
        for split, x in figures.items()
    ]


TARGETS = [
    ("chapters: boundary F1 within 1 s (unambiguous topics)", "chapters_f1_clear", "1.0"),
    ("gist: share of topics named by the title (multi-topic videos)", "title_multi", ">= 0.67"),
    ("gist: share of topics in the topic list", "topic_list", "1.0"),
    ("gist: share of topics in the summary", "summary", "1.0"),
    ("gist: bad topics (numbers, caption capitals, non-nouns)", "bad_topics", "0"),
    ("questions whose answer the transcript or on-screen text holds", "answers_in_evidence", ""),
    ("questions answered right, /v1/generate", "generate_right", ">= 0.90"),
    ("... of those whose answer is in the evidence", "generate_right_in_evidence", ""),
    ("questions answered right, chat", "chat_right", ">= 0.90"),
    ("... of those whose answer is in the evidence", "chat_right_in_evidence", ""),
    ('false "not in the video", /v1/generate', "generate_false_no", "<= 0.05"),
    ('false "not in the video", chat', "chat_false_no", "<= 0.05"),
    ("absent answers refused, /v1/generate", "generate_absent_refused", ">= 0.95"),
    ("absent answers refused, chat", "chat_absent_refused", ">= 0.95"),
    ("instructions followed, /v1/generate", "generate_followed", "1.0"),
    ("instructions followed, chat", "chat_followed", "1.0"),
    ('instructions answered "not in the video", /v1/generate', "generate_instr_false_no", "0"),
    ('instructions answered "not in the video", chat', "chat_instr_false_no", "0"),
    ("search R@1, conversation", "conversation_r1", ">= 0.9"),
    ("search R@1, text_in_video", "text_in_video_r1", ">= 0.9"),
    ("search R@1, visual", "visual_r1", ">= 0.9"),
    ("search R@1, UI default (all three)", "default_r1", ">= 0.9"),
    ("search R@5, UI default", "default_r5", ""),
    ("search: noise among the default's top 5", "noise_at_5", "low"),
    ("shots: hard-cut F1 within 0.1 s", "cuts_f1", ">= 0.95"),
    ("shots: dissolves found", "dissolves_found", "1.0"),
    (
        "shots: dissolves reported as a span (`transition_start`/`transition_end` in `/shots`)",
        "dissolves_spans",
        "1.0",
    ),
]
"""Each headline figure, its key in :func:`overall`, and the target it is held to."""


def figures_markdown(figures: dict[str, dict[str, float | None]]) -> list[str]:
    """The headline figures per split against their targets, as a Markdown table."""
    splits = list(figures)
    rows = [
        "| measure | target | " + " | ".join(splits) + " |",
        "|---|---|" + "---|" * len(splits),
    ]
    for label, key, target in TARGETS:
        values = [figures[s].get(key) for s in splits]
        cells = ["-" if v is None else f"{v:.2f}" for v in values]
        rows.append(f"| {label} | {target} | " + " | ".join(cells) + " |")
    return rows


def corpus_markdown(videos: list[Indexed]) -> list[str]:
    """The corpus as a Markdown table (for the README)."""
    rows = ["| video | split | length | structure | what it tests |", "|---|---|---|---|---|"]
    for split, names in splits_of(videos).items():
        for v in sorted((v for v in videos if v.name in names), key=lambda v: v.name):
            lab = v.labels
            rows.append(
                f"| `{v.name}` | {split} | {lab['duration']:.0f} s | "
                f"{lab['structure']} | {lab['tests']} |"
            )
    return rows


def failures_text(report: Report, limit: int) -> list[str]:
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in report.failures:
        by[f["section"]].append(f)
    out = []
    for section, items in by.items():
        out.append(f"\n{section.upper()} failures ({len(items)}, first {min(limit, len(items))}):")
        for f in items[:limit]:
            rest = {k: v for k, v in f.items() if k != "section"}
            out.append("  " + json.dumps(rest, ensure_ascii=False)[:500])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="corpus videos to measure, comma-separated")
    parser.add_argument("--split", choices=list(SPLITS))
    parser.add_argument("--json", type=Path, help="write every count, answer and failure here")
    parser.add_argument(
        "--server",
        help="measure this running server instead of starting one (its key from VIDSENSE_API_KEY)",
    )
    parser.add_argument("--data", type=Path, help="keep the started server's data here (reused)")
    parser.add_argument("--workers", type=int, default=2, help="indexing workers (default 2)")
    parser.add_argument("--no-chat", action="store_true", help="skip the chat path")
    parser.add_argument(
        "--failures", type=int, default=0, metavar="N", help="print up to N failures per section"
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print the corpus and figures as Markdown too"
    )
    parser.add_argument("--reprint", type=Path, help="print a run saved with --json again")
    args = parser.parse_args()

    def say(text: str) -> None:
        print(text, flush=True)

    if args.reprint:
        reprint(args.reprint, args.failures, args.markdown, say)
        return
    built, skipped = build_corpus(select(args.only, args.split), OUT, say)
    if scoring.lexicon() is None:
        skipped.append(
            "WordNet (Debian package wordnet-base) is not installed: words are lemmatised by "
            "plural rules only and non-noun topics are not detected"
        )
    for message in skipped:
        say(message)
    if not built:
        raise SystemExit("nothing to measure")
    session = existing(args.server) if args.server else served(args.data, args.workers)
    with session as url:
        api = Api(url, os.environ.get("VIDSENSE_API_KEY") if args.server else None)
        minutes = sum(b.labels["duration"] for b in built) / 60
        say(f"indexing {len(built)} videos ({minutes:.1f} min) on {url}")
        started = time.monotonic()
        videos = index_all(api, built, say)
        indexing = time.monotonic() - started
        report = Report()
        started = time.monotonic()
        names = {v.video_id: v.name for v in videos}
        for v in videos:
            chapters(api, v, report)
            gist(api, v, report)
            shots(api, v, report)
            questions(api, v, report, not args.no_chat)
            instructions(api, v, report, not args.no_chat)
            search(api, v, [o for o in videos if o.index_id == v.index_id], names, report)
            say(f"  measured {v.name}")
        asking = time.monotonic() - started
    show(report, videos, args.failures, args.markdown, say)
    figures = overall(report, videos)
    say(f"(indexing {indexing:.0f} s, asking {asking:.0f} s; corpus in {OUT})")
    if args.json:
        saved = {
            "videos": {v.name: v.video_id for v in videos},
            "overall": figures,
            "counts": report.counts,
            "returned": report.seen,
            "failures": report.failures,
            "indexing_seconds": round(indexing, 1),
            "skipped": skipped,
        }
        args.json.write_text(json.dumps(saved, indent=1, ensure_ascii=False, default=plain))


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds (for JSON)."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def show(
    report: Report, videos: list[Indexed], failures: int, markdown: bool, say: Callable[[str], None]
) -> None:
    """Print the tables, the headline per split, and on request failures and Markdown."""
    figures = overall(report, videos)
    chat = any(k.startswith("chat.") for c in report.counts["questions"].values() for k in c)
    for line in [*render(report, videos, chat), "", *headline(figures)]:
        say(line)
    if failures:
        for line in failures_text(report, failures):
            say(line)
    if markdown:
        for line in ["", *corpus_markdown(videos), "", *figures_markdown(figures)]:
            say(line)


def reprint(path: Path, failures: int, markdown: bool, say: Callable[[str], None]) -> None:
    """Print the figures of a run saved with ``--json`` again (the corpus must be built)."""
    saved = json.loads(path.read_text())
    built, _ = build_corpus(select(",".join(saved["videos"])), OUT, say)
    ids = {n: v["video_id"] if isinstance(v, dict) else v for n, v in saved["videos"].items()}
    videos = [Indexed(b, "", ids[b.name]) for b in built]
    report = Report(failures=saved["failures"])
    for section, rows in saved["counts"].items():
        report.counts[section] = rows
    show(report, videos, failures, markdown, say)


if __name__ == "__main__":
    main()
