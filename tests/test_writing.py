"""Grounded writing with the default (extractive) writer on a real indexed video whose three
topics change at known cuts (there are cuts inside topics too), plus a two-hour library entry
built from real embeddings to check that long videos are read to the end."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import MediaCache
from tests.library_support import make_settings, shared_models
from tests.writing_support import TOPICS, TopicVideo, make_topic_video, topic_sentences
from vidsense.errors import InvalidArgument
from vidsense.jobs import EmbeddedExecutor
from vidsense.language import NOT_IN_VIDEO, ExtractiveWriter
from vidsense.language.evidence import EvidencePack
from vidsense.language.service import WritingService
from vidsense.library import Library
from vidsense.models.text_embedding import TextEmbeddingEntry
from vidsense.server.app import create_app
from vidsense.store import Segment, VectorBatch
from vidsense.times import clock

pytestmark = pytest.mark.models


@dataclass
class Indexed:
    library: Library
    service: WritingService
    video_id: str
    truth: TopicVideo


@pytest.fixture(scope="module")
def ix(media: MediaCache, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Indexed]:
    truth = make_topic_video(media.root / "topics3.mp4", TOPICS[:3])
    root = tmp_path_factory.mktemp("writing")
    models = shared_models(tmp_path_factory)
    lib = Library.open(make_settings(root / "data", models))
    index = lib.create_index("writing")
    with EmbeddedExecutor(lib, 1):
        task_id = lib.submit_file(index.id, truth.path).task.id
        deadline = time.monotonic() + 300
        while (task := lib.get_task(task_id)).status not in ("ready", "failed"):
            assert time.monotonic() < deadline, "indexing took too long"
            time.sleep(0.3)
    assert task.status == "ready", task.error_message
    assert task.video_id is not None
    yield Indexed(lib, WritingService(lib), task.video_id, truth)
    lib.close()


def test_chapters_start_where_the_subject_changes(ix: Indexed) -> None:
    result = ix.service.summarize(ix.video_id, "chapter")
    chapters = result["chapters"]
    assert [c["chapter_number"] for c in chapters] == [0, 1, 2]
    starts = [c["start_sec"] for c in chapters[1:]]
    for found, truth in zip(starts, ix.truth.boundaries, strict=True):
        assert abs(found - truth) <= 1.0, (starts, ix.truth.boundaries)
    # Chapters cover the video without gaps; titles come from the on-screen titles.
    assert chapters[0]["start_sec"] == 0.0
    assert chapters[-1]["end_sec"] == pytest.approx(ix.truth.duration, abs=0.5)
    for a, b in itertools.pairwise(chapters):
        assert a["end_sec"] == b["start_sec"]
    titles = " ".join(c["chapter_title"] for c in chapters).lower()
    assert "lighthouse" in titles and "volcano" in titles and "coffee" in titles
    for chapter, topic in zip(chapters, ix.truth.topics, strict=True):
        words = {w for noun in topic.nouns for w in noun.split()}
        assert words & set(chapter["chapter_summary"].lower().replace(".", " ").split())


def test_gist_names_the_topics(ix: Indexed) -> None:
    gist = ix.service.gist(ix.video_id, ["title", "topic", "hashtag"], citations=True)
    topics = " ".join(gist["topics"]).lower()
    for word in ("lighthouse", "volcano", "coffee"):
        assert word in topics, gist
        assert word in gist["title"].lower(), "a title names every topic of the video"
    assert not any(t.isupper() or any(c.isdigit() for c in t) for t in gist["topics"])
    assert all(h.startswith("#") and " " not in h for h in gist["hashtags"])
    assert "#Lighthouse" in gist["hashtags"]
    only_title = ix.service.gist(ix.video_id, ["title"])
    assert set(only_title) == {"id", "title", "usage"}
    with pytest.raises(InvalidArgument, match="types"):
        ix.service.gist(ix.video_id, ["mood"])


def test_summary_covers_every_topic_and_cites_evidence(ix: Indexed) -> None:
    result = ix.service.summarize(ix.video_id, "summary", citations=True)
    summary = result["summary"].lower()
    for topic in ix.truth.topics:
        assert topic.fact_terms[0] in summary, summary
    assert result["citations"], "a summary names the evidence it used"
    for c in result["citations"]:
        assert 0 <= c["start"] <= c["end"] <= ix.truth.duration + 0.5
        assert c["type"] in ("speech", "text", "audio")


def test_answer_quotes_the_moment_and_cites_it(ix: Indexed) -> None:
    result = ix.service.generate(ix.video_id, "When was the lighthouse built?", citations=True)
    assert "1850" in result["data"] or "eighteen fifty" in result["data"].lower()
    said = [c for c in result["citations"] if c["type"] == "speech"]
    assert said and said[0]["start"] < ix.truth.boundaries[0]
    assert "lighthouse" in said[0]["text"].lower()


def test_something_never_said_or_shown_is_not_invented(ix: Indexed) -> None:
    for question in (
        "What does the video say about elephants?",
        "Who won the football match?",
    ):
        result = ix.service.generate(ix.video_id, question, citations=True)
        assert result["data"].startswith(NOT_IN_VIDEO), result["data"]
        assert result["citations"] == []


def test_who_speaks_is_not_refused(ix: Indexed) -> None:
    # The narration gives no name: the answer says so, and what is said about the subject.
    result = ix.service.generate(ix.video_id, "Who talks about the volcano?", citations=True)
    assert result["data"].startswith("The video does not say who is speaking"), result["data"]
    said = [c for c in result["citations"] if c["type"] == "speech"]
    assert len(said) == 1 and "volcano" in said[0]["text"].lower()
    # Within the volcano's topic; recognition may join its first sentence to the last one
    # before it ("... work together, the volcano erupted"), so the line may start just before.
    assert said[0]["start"] < ix.truth.boundaries[1]
    assert said[0]["end"] > ix.truth.boundaries[0] + 1.0


def test_several_questions_in_one_prompt_are_each_answered(ix: Indexed) -> None:
    """ "When was the lighthouse built, and how long is the video?" was answered with the
    length alone (the duration cue took the whole prompt); each question gets its answer, in
    the order asked, with the citations of both, through /generate, its stream and /analyze."""
    prompt = "When was the lighthouse built, and how long is the video?"
    result = ix.service.generate(ix.video_id, prompt, citations=True)
    answer = result["data"]
    built = "1850" in answer or "eighteen fifty" in answer.lower()
    assert built and "long" in answer, answer
    assert answer.index("The video is") > answer.lower().index("lighthouse"), answer
    said = [c for c in result["citations"] if c["type"] == "speech"]
    assert said and "lighthouse" in said[0]["text"].lower()
    streamed = list(ix.service.stream(ix.video_id, prompt, citations=True))
    text = "".join(e["text"] for e in streamed if e["event_type"] == "text_generation")
    assert text == answer and streamed[-1]["citations"] == result["citations"]
    assert ix.service.analyze(ix.video_id, prompt)["data"] == answer  # /analyze answers alike
    # One question with "and" inside it stays one.
    one = ix.service.generate(ix.video_id, "What is said about the volcano and the coffee?")
    assert "volcano" in one["data"].lower() and "coffee" in one["data"].lower(), one["data"]


def test_the_colours_of_the_picture_are_read_from_the_keyframes(ix: Indexed) -> None:
    # Six 12 s shots over blue, rust, green, brown, purple and teal backgrounds (SOURCES): blue
    # (two shots) covers about a third of the picture, each other colour about a sixth, less
    # where a white title is over it.
    text = ix.service.generate(ix.video_id, "What colours dominate this video?")["data"]
    found = re.findall(r"(\w+) \((\d+)%\)", text)
    assert text.startswith("The main colours are blue ("), text
    shares = {name: int(share) for name, share in found}
    assert set(shares) >= {"blue", "orange", "green", "brown", "purple"}, text
    assert 25 <= shares["blue"] <= 36 and all(10 <= shares[n] <= 18 for n in ("green", "purple"))
    same = ix.service.generate(ix.video_id, "What is the colour palette of the video?")["data"]
    assert same == text
    # The colour of one thing is a question about what is said or shown, not the palette.
    one = ix.service.generate(ix.video_id, "What colour is the lava?")["data"]
    assert not one.startswith("The main colours"), one


def test_what_happens_at_a_time_is_what_is_there_then(ix: Indexed) -> None:
    # A question that names a time and nothing else is answered from what is said and shown
    # then, not from lines elsewhere that happen to lie near "what happens".
    start, _ = ix.truth.lines[4]
    at = int(start) + 1
    result = ix.service.generate(ix.video_id, f"What happens at 0:{at:02d}?", citations=True)
    cites = result["citations"]
    assert cites and result["data"].startswith("At 0:"), result
    assert all(c["start"] - 1.0 <= at <= c["end"] + 1.0 for c in cites), (at, cites)
    assert re.match(r"At 0:\d\d, the video says", result["data"]), result  # said first
    assert any(c["type"] == "speech" for c in cites), cites
    shown = ix.service.generate(ix.video_id, f"What is shown at 0:{at:02d}?")["data"]
    assert re.match(r"At 0:\d\d, the (?:picture|screen) shows", shown), shown


def test_when_something_is_shown_or_said_is_the_moment_it_is(ix: Indexed) -> None:
    """ "When is X mentioned/shown?" asks for the moment in the video, which perception gives
    (it was refused: no line tells a time); "when does ... leave?" still asks for a time the
    video tells."""
    volcano = (ix.truth.boundaries[0], ix.truth.boundaries[1])
    cases = [
        ("When is the volcano mentioned?", volcano, {"speech", "text"}),
        ("When does the title VOLCANOES appear on screen?", (volcano[0], volcano[0] + 4), {"text"}),
        ("When does the narrator start speaking?", (0.0, ix.truth.lines[0][0] + 1), {"speech"}),
    ]
    for question, (lo, hi), kinds in cases:
        result = ix.service.generate(ix.video_id, question, citations=True)
        answer, cites = result["data"], result["citations"]
        assert not answer.startswith(NOT_IN_VIDEO) and re.match(r"At \d:\d\d, ", answer), answer
        first = cites[0]
        assert first["type"] in kinds and lo - 0.5 <= first["start"] <= hi, (question, cites)
        assert f"At {int(first['start']) // 60}:{int(first['start']) % 60:02d}" in answer


def test_length_question_is_answered_from_the_container(ix: Indexed) -> None:
    result = ix.service.generate(ix.video_id, "How long is this video?")
    assert "1:12" in result["data"] and "72.00 seconds" in result["data"]
    assert "320x240" in result["data"]


def test_how_long_reads_the_question_not_the_file(ix: Indexed) -> None:
    # "How long" about something in the video is answered from what is said about it.
    result = ix.service.generate(ix.video_id, "How long are the coffee beans roasted?")
    assert "12 minutes" in result["data"] or "twelve minutes" in result["data"].lower()
    assert "72.00 seconds" not in result["data"]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", text.strip()) if s]


def test_instructions_are_followed(ix: Indexed) -> None:
    ask = lambda prompt: str(ix.service.generate(ix.video_id, prompt)["data"])  # noqa: E731
    two = ask("Summarize this video in two sentences.")
    assert 1 <= len(_sentences(two)) <= 2, two
    for word in ("lighthouse", "volcano", "coffee"):
        assert word in two.lower(), two
    short = ask("Describe the video in at most 30 words.")
    assert 0 < len(re.findall(r"[\w'-]+", short)) <= 30, short
    bullets = ask("List the main topics as bullet points.").splitlines()
    assert len(bullets) == 3 and all(b.startswith("- ") for b in bullets), bullets
    assert "lighthouse" in bullets[0].lower() and "coffee" in bullets[2].lower()
    table = ask("Make a table of the times each topic starts.")
    starts = [c["start_sec"] for c in ix.service.summarize(ix.video_id, "chapter")["chapters"]]
    for start in starts:
        assert f"| {clock(start)} |" in table, table
    steps = ask("Give me the steps as a numbered list.").splitlines()
    assert len(steps) >= 3 and all(re.match(rf"{n}\. [A-Z]", s) for n, s in enumerate(steps, 1))
    checklist = ask("Give me a checklist for visiting the lighthouse.").splitlines()
    assert checklist and all(line.startswith("- [ ] ") for line in checklist)
    assert "lighthouse" in " ".join(checklist).lower()
    coffee = ask("Only tell me about coffee.").lower()
    assert "coffee" in coffee and "volcano" not in coffee and "lighthouse" not in coffee
    for prompt in ("Generate a video of a volcano erupting.", "Continue the story."):
        said = ask(prompt)
        assert said.startswith("I can't") and not said.startswith(NOT_IN_VIDEO), said
    summary = ix.service.summarize(ix.video_id, "summary", "Summarize it in one sentence.")
    assert len(_sentences(summary["summary"])) == 1, summary


def test_highlights_are_computed_spans_with_words(ix: Indexed) -> None:
    result = ix.service.summarize(ix.video_id, "highlight")
    spans = result["highlights"]
    assert 1 <= len(spans) <= 5
    for h in spans:
        assert 0 <= h["start_sec"] < h["end_sec"] <= ix.truth.duration + 0.5
        assert h["highlight"] and h["highlight_summary"]
    for a, b in itertools.pairwise(spans):
        assert a["end_sec"] <= b["start_sec"], "highlights do not overlap and are in time order"


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
                    "end_time": {"type": "string", "format": "timestamp"},
                    "title": {"type": "string"},
                    "summary": {"type": "string"},
                },
                "required": ["start_time", "end_time", "title"],
            },
        },
        "mood": {"type": "string", "enum": ["calm", "lighthouse tour", "angry"]},
    },
    "required": ["title", "chapters"],
}


def test_analyze_fills_times_from_evidence_only(ix: Indexed) -> None:
    result = ix.service.analyze(
        ix.video_id,
        "Title, topics and chapters",
        {"type": "json_schema", "json_schema": SCHEMA},
        citations=True,
    )
    value = json.loads(result["data"])
    starts = [c["start_time"] for c in value["chapters"]]
    chapters = ix.service.summarize(ix.video_id, "chapter")["chapters"]
    assert starts == [c["start_sec"] for c in chapters]
    assert value["chapters"][1]["end_time"] == "00:00:48"
    assert "lighthouse" in value["chapters"][0]["title"].lower()
    assert value["mood"] == "lighthouse tour", "an enum is chosen by what the evidence says"
    assert result["finish_reason"] == "stop"


def test_analyze_window_and_bad_schemas(ix: Indexed) -> None:
    result = ix.service.analyze(
        ix.video_id,
        "Chapters of the second half",
        {"json_schema": {"name": "x", "schema": SCHEMA}},
        start_time=30.0,
        end_time=72.0,
    )
    value = json.loads(result["data"])
    assert value["chapters"][0]["start_time"] == 30.0
    assert all(c["start_time"] >= 30.0 for c in value["chapters"])
    with pytest.raises(InvalidArgument) as bad:
        ix.service.analyze(ix.video_id, "x", {"json_schema": {"type": "object", "properties": 3}})
    assert bad.value.code == "invalid_schema"
    with pytest.raises(InvalidArgument, match="start_time"):
        ix.service.analyze(ix.video_id, "x", None, start_time=50.0, end_time=10.0)
    # A window past the end is no window of this video (not "Scene at 1:40", not untitled).
    with pytest.raises(InvalidArgument, match=r"start_time 100 s is past the end of the video"):
        ix.service.analyze(ix.video_id, "title", None, start_time=100.0, end_time=200.0)


def test_analyze_json_object_is_the_answer_in_an_object(ix: Indexed) -> None:
    # json_object means what it means in chat: any JSON object, no schema, text in "answer".
    result = ix.service.analyze(
        ix.video_id, "When was the lighthouse built?", {"type": "json_object"}, citations=True
    )
    value = json.loads(result["data"])
    assert set(value) == {"answer"}
    assert "1850" in value["answer"] or "eighteen fifty" in value["answer"].lower()
    plain = ix.service.analyze(ix.video_id, "When was the lighthouse built?")
    assert value["answer"] == plain["data"]
    assert result["citations"] and result["citations"][0]["type"] == "speech"


def test_answers_are_cached_until_the_video_is_reindexed(ix: Indexed) -> None:
    store = ix.library.store
    first = ix.service.summarize(ix.video_id, "chapter")
    keys_before = _writing_keys(ix)
    assert keys_before, "an answer is kept"
    again = ix.service.summarize(ix.video_id, "chapter")
    assert again["chapters"] == first["chapters"]
    segments = store.segments(ix.video_id)
    keyframes = store.keyframes(ix.video_id)
    owners, matrix = store.video_vectors(ix.video_id, "text")
    store.replace_evidence(ix.video_id, segments, keyframes, [VectorBatch("text", owners, matrix)])
    assert _writing_keys(ix) == set(), "re-indexing drops the kept answers"


def _writing_keys(ix: Indexed) -> set[str]:
    import sqlite3

    path = ix.library.settings.store_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT key FROM writings WHERE video_id = ?", (ix.video_id,))
        return {r[0] for r in rows}


def test_http_routes_speak_twelve_labs_shapes(ix: Indexed) -> None:
    with TestClient(create_app(ix.library.settings, run_workers=False)) as http:
        gist = http.post("/v1.2/gist", json={"video_id": ix.video_id, "types": ["title"]})
        assert gist.status_code == 200 and gist.json()["title"]
        chapters = http.post("/v1/summarize", json={"video_id": ix.video_id, "type": "chapter"})
        assert chapters.json()["chapters"][0]["chapter_title"]
        streamed = http.post(
            "/v1/generate",
            json={"video_id": ix.video_id, "prompt": "What is said about coffee?", "stream": True},
        )
        # Twelve Labs streams NDJSON: one event object per line (its SDK reads nothing else).
        assert streamed.headers["content-type"].startswith("application/x-ndjson")
        events = [json.loads(line) for line in streamed.text.splitlines()]
        assert events[0]["event_type"] == "stream_start"
        assert events[-1]["event_type"] == "stream_end"
        text = "".join(e["text"] for e in events if e["event_type"] == "text_generation")
        assert "coffee" in text.lower()
        analyzed = http.post(
            "/v1/analyze",
            json={
                "video": {"type": "video_id", "video_id": ix.video_id},
                "prompt": "chapters",
                "response_format": {"type": "json_schema", "json_schema": SCHEMA},
            },
        )
        assert json.loads(analyzed.json()["data"])["chapters"]
        unknown = http.post("/v1/gist", json={"video_id": "0" * 24})
        assert unknown.status_code == 404 and unknown.json()["code"] == "video_not_found"
        bad = http.post("/v1/summarize", json={"video_id": ix.video_id, "type": "poem"})
        assert bad.status_code == 400 and "type" in bad.json()["message"]
        broken = http.post(
            "/v1/analyze",
            json={"video_id": ix.video_id, "prompt": "x", "response_format": {"json_schema": 5}},
        )
        assert broken.status_code == 400 and broken.json()["code"] == "invalid_schema"


class _Recording(ExtractiveWriter):
    """The extractive writer, remembering how much evidence each call was given, and reading
    notes a group at a time as a model with a bounded prompt must."""

    NAME = "extractive-bounded"
    READS_ALL_NOTES = False

    def __init__(self) -> None:
        self.pack_chars: list[int] = []

    def _seen(self, pack: EvidencePack) -> None:
        self.pack_chars.append(sum(len(i.text) for i in pack.items) + sum(map(len, pack.notes)))

    def describe(self, pack: EvidencePack, kind: Any) -> tuple[str, str]:
        self._seen(pack)
        return super().describe(pack, kind)

    def summarize(self, pack: EvidencePack, prompt: str | None = None) -> str:
        self._seen(pack)
        return super().summarize(pack, prompt)


def test_two_hour_video_is_summarized_to_the_end(tmp_path: Path, models_dir: Path) -> None:
    """Two hours of evidence (ten topics, a line every ten seconds, real embeddings); the last
    three minutes are about something never mentioned before: where the harbour key is."""
    lib = Library.open(make_settings(tmp_path / "data", models_dir))
    try:
        index = lib.create_index("long")
        duration = 7200.0
        video = lib.store.create_video(
            index.id, filename="long.mp4", sha256="a" * 64, duration=duration, status="ready"
        )
        closing = 180.0
        per_topic = (duration - closing) / len(TOPICS)
        segments: list[Segment] = []
        key_lines = [
            "Remember that the secret harbour key is hidden under the blue anchor.",
            "Only the old harbour master knew where the harbour key was kept.",
            "The blue anchor stands by the gate, and the harbour key lies beneath it.",
        ]
        for k, topic in enumerate([*TOPICS, None]):
            if topic is None:
                lines = key_lines * int(closing // 30)
            else:
                lines = topic_sentences(topic, int(per_topic // 10), seed=k)
            for i, line in enumerate(lines):
                start = k * per_topic + i * 10.0
                segments.append(Segment(video.id, "transcript", start, start + 4.0, line))
            for s in range(4):
                at = k * per_topic + s * per_topic / 4
                end = min(at + per_topic / 4, duration)
                if at < duration:
                    segments.append(Segment(video.id, "shot", at, end, "", {"index": k * 4 + s}))
        said = [s for s in segments if s.kind == "transcript"]
        lines = sorted({s.text for s in said})  # 410 different lines of 720: each embedded once
        embedded = TextEmbeddingEntry(lib.settings).load().embed(lines, kind="passage")
        vectors = embedded[[lines.index(s.text) for s in said]]
        lib.store.replace_evidence(
            video.id, segments, [], [VectorBatch("text", [s.id for s in said], vectors)]
        )
        # The default writer: what only the last three minutes are about is in the summary.
        service = WritingService(lib)
        summary = service.summarize(video.id, "summary", citations=True)
        text = summary["summary"].lower()
        assert "harbour key" in text or "blue anchor" in text, text
        # A writer with a bounded prompt: every call gets bounded evidence, and the summary
        # still draws on the end of the video.
        writer = _Recording()
        bounded = WritingService(lib, writer).summarize(video.id, "summary", citations=True)
        assert max(c["start"] for c in bounded["citations"]) > duration - 12 * 60
        limit = lib.settings.writer.max_prompt_chars
        assert max(writer.pack_chars) <= limit * 1.1, "every call's evidence is bounded"
        chapters = service.summarize(video.id, "chapter")["chapters"]
        assert len(topics_seen := {c["chapter_title"] for c in chapters}) >= len(TOPICS) // 2
        # Ten topics' subjects do not fit a title: the leading ones, then "and More", within
        # 100 characters.
        title = service.gist(video.id, ["title"])["title"]
        assert len(title) <= 100 and title.endswith(" and More") and title.count(",") >= 3, title
        assert len(chapters) <= 40, f"{len(chapters)} chapters for {len(TOPICS)} topics"
        assert topics_seen
        answer = service.generate(video.id, "Where is the harbour key hidden?", citations=True)
        assert "blue anchor" in answer["data"].lower()
        assert answer["citations"][0]["start"] >= duration - closing
    finally:
        lib.close()


def test_client_in_process_and_cli_agree(ix: Indexed, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from vidsense.client import Client

    with Client(settings=ix.library.settings) as client:
        chapters = client.summarize(ix.video_id, "chapter")["chapters"]
        assert [c["start_sec"] for c in chapters[1:]] == [
            c["start_sec"] for c in ix.service.summarize(ix.video_id, "chapter")["chapters"][1:]
        ]
        answer = client.ask(ix.video_id, "How hot are the coffee beans roasted?", citations=True)
        assert "200" in answer["data"] and answer["citations"]
        gist = client.gist(ix.video_id, ["topic"])
        assert gist["topics"]
    settings = ix.library.settings
    env = {
        **os.environ,
        "VIDSENSE_DATA_DIR": str(settings.data_dir),
        "VIDSENSE_MODELS__DIR": str(settings.models_dir),
    }
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(SCHEMA))
    cli = [sys.executable, "-m", "vidsense.cli.main"]
    done = subprocess.run(
        [*cli, "analyze-json", ix.video_id, "--schema", str(schema)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    value = json.loads(done.stdout)
    assert [c["start_time"] for c in value["chapters"]] == [c["start_sec"] for c in chapters]
    asked = subprocess.run(
        [*cli, "ask", ix.video_id, "Is there anything about penguins?"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert asked.returncode == 0 and asked.stdout.startswith(NOT_IN_VIDEO), asked.stdout
    missing = subprocess.run(
        [*cli, "gist", "f" * 24], env=env, capture_output=True, text=True, timeout=120
    )
    assert missing.returncode != 0 and "video_not_found" in missing.stderr


def test_a_title_lists_what_fits_then_says_there_is_more() -> None:
    from vidsense.language.text import short_list

    assert short_list(["Tents", "Kayaks"], 70) == "Tents and Kayaks"
    parts = ["Weekend in the Mountains", "Valley Line", "Pitching the Tent", "Safety", "Kitchen"]
    assert short_list(parts, 200) == (
        "Weekend in the Mountains, Valley Line, Pitching the Tent, Safety and Kitchen"
    )
    assert short_list(parts, 70) == (
        "Weekend in the Mountains, Valley Line, Pitching the Tent and More"
    )
    # Two subjects always show, even when they alone are long.
    assert short_list(parts, 10) == "Weekend in the Mountains, Valley Line and More"
