"""Skills and executions from the ``vidsense`` command line, the Python client and chat, against
a real ``vidsense serve`` (an API key required), and in-process.

The media are the SDK suites' (``tests/sdk_support.py``): a 20.5 s talk titled "PRICING PLANS"
whose speaker gives a price, an invoice image reading "INVOICE 4417", a text file named like a
video. Skills are folders written here; every answer is checked for what a user would read in
it (the title, the invoice number, the price), every error for its code and what it names.
"""

from __future__ import annotations

import http.server
import io
import json
import os
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import openai
import pytest

from tests.conftest import MediaCache
from tests.library_support import ServerProcess, shared_models
from tests.sdk_support import (
    FACTS_SCHEMA,
    INVOICE_NUMBER,
    INVOICE_SCHEMA,
    KEY,
    LEASE,
    PRICE_SCHEMA,
    Clip,
    Served,
    invoice_image,
    notes_file,
    says_price,
    serve,
    talk_video,
)
from vidsense.client import Client
from vidsense.errors import InvalidArgument, NotFound

pytestmark = pytest.mark.models


class _Hooks(http.server.BaseHTTPRequestHandler):
    """Keeps the JSON bodies POSTed to it (callbacks), by path."""

    received: dict[str, list[Any]]

    def do_POST(self) -> None:
        size = int(self.headers.get("content-length") or 0)
        self.received.setdefault(self.path, []).append(json.loads(self.rfile.read(size)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Setup:
    served: Served
    talk: Clip
    invoice: Path
    notes: Path
    models: Path
    hooks_url: str
    hooks: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.served.url

    def media_url(self, path: Path) -> str:
        return self.served.files.url(path)

    def client(self) -> Client:
        return Client(self.url, api_key=KEY, timeout=120)

    def cli(self, *args: str, server: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        where = ["--server", self.url] if server else []
        return subprocess.run(
            [sys.executable, "-m", "vidsense.cli.main", *args, *where],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "VIDSENSE_API_KEY": KEY, "VIDSENSE_MODELS__DIR": str(self.models),
                 **env},
        )  # fmt: skip

    def cli_json(self, *args: str, **env: str) -> Any:
        done = self.cli(*args, "--json", **env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture(scope="module")
def setup(media: MediaCache, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    talk, invoice, notes = talk_video(media), invoice_image(media), notes_file(media)
    hooks: dict[str, list[Any]] = {}
    handler = type("Hooks", (_Hooks,), {"received": hooks})
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    models = shared_models(tmp_path_factory)
    try:
        with serve(
            tmp_path_factory, media, "skills-cli", VIDSENSE_TASK_LEASE_SECONDS=LEASE
        ) as served:
            yield Setup(served, talk, invoice, notes, models,
                        f"http://127.0.0.1:{receiver.server_address[1]}", hooks)  # fmt: skip
    finally:
        receiver.shutdown()
        receiver.server_close()


def _folder(root: Path, name: str, body: str, schema: dict[str, Any] | None) -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(
        f"---\nname: {name}\ndescription: {name.replace('-', ' ')}\n---\n\n{body}\n"
    )
    if schema is not None:
        (folder / "schema.json").write_text(json.dumps(schema, indent=2))
    return folder


def _wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return found


# -- skills --------------------------------------------------------------------------------------


def test_skills_are_uploaded_versioned_listed_and_downloaded(setup: Setup, tmp_path: Path) -> None:
    folder = _folder(tmp_path, "price-reader", "Give the monthly price.", PRICE_SCHEMA)
    first = setup.cli_json("skills", "upload", str(folder))
    assert (first["name"], first["skill_version"]) == ("price-reader", "1")
    assert first["json_schema"] == PRICE_SCHEMA
    again = setup.cli_json("skills", "upload", str(folder))  # the same bundle: the same skill
    assert (again["id"], again["skill_version"]) == (first["id"], "1")
    (folder / "SKILL.md").write_text(
        "---\nname: price-reader\ndescription: price, second wording\n---\n\nPrice only.\n"
    )
    second = setup.cli_json("skills", "upload", str(folder), "--update", "price-reader")
    assert (second["id"], second["skill_version"]) == (first["id"], "2")
    latest = setup.cli_json("skills", "list")
    assert [s["skill_version"] for s in latest if s["name"] == "price-reader"] == ["2"]
    versions = setup.cli_json("skills", "list", "--all-versions")
    assert sorted(s["skill_version"] for s in versions if s["name"] == "price-reader") == ["1", "2"]

    with setup.client() as client:
        assert client.skills.get("price-reader", 1).description == "price reader"
        assert client.skills.lookup("price-reader").description == "price, second wording"
        with zipfile.ZipFile(io.BytesIO(client.skills.download("price-reader", 1))) as z:
            assert "Give the monthly price." in z.read("SKILL.md").decode()
        with pytest.raises(NotFound) as missing:
            client.skills.get("no-such-skill")
        assert missing.value.code == "skill_not_found" and "no-such-skill" in missing.value.message

    # The download URL opens without the key until it expires; nothing else does.
    key = {"x-api-key": KEY}
    signed = httpx.get(f"{setup.url}/v1/skills/price-reader/download", headers=key).json()
    assert signed["expires_in"] == 3600
    bundle = httpx.get(signed["download_url"])
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as z:
        assert "Price only." in z.read("SKILL.md").decode()
    forged = httpx.get(signed["download_url"].replace("signature=", "signature=0"))
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "signature_invalid"
    bare = httpx.get(signed["download_url"].split("?")[0])
    assert bare.status_code == 401


def test_a_bad_skill_folder_is_refused_before_it_is_sent(setup: Setup, tmp_path: Path) -> None:
    folder = tmp_path / "no-front"
    folder.mkdir()
    (folder / "SKILL.md").write_text("Just instructions, no front matter.\n")
    refused = setup.cli("skills", "upload", str(folder))
    assert refused.returncode == 2
    assert "front matter" in refused.stderr and "[invalid_skill_bundle]" in refused.stderr
    with setup.client() as client:
        assert "no-front" not in [s.name for s in client.skills.list(limit=1000)]
        with pytest.raises(InvalidArgument) as bad:  # the server says the same of a zip
            client.skills.create("Read it.", {"type": "object", "properties": {"a": {"type": 1}}})
        assert bad.value.code == "invalid_schema" and bad.value.status == 400


# -- executions ----------------------------------------------------------------------------------


def test_execute_a_skill_folder_over_a_video_and_an_image(setup: Setup, tmp_path: Path) -> None:
    folder = _folder(
        tmp_path, "screen-text",
        "For every file, report its kind, the text on screen, what is said and when speech "
        "begins.",
        FACTS_SCHEMA,
    )  # fmt: skip
    done = setup.cli_json(
        "execute", "-i", str(setup.talk.path), "-i", setup.media_url(setup.invoice),
        "--skill", str(folder), "--name", "screen-text-run", "--wait",
    )  # fmt: skip
    assert (done["status"], done["name"]) == ("completed", "screen-text-run")
    jsonschema.validate(done["response"], FACTS_SCHEMA)
    talk, invoice = done["response"]["files"]
    assert (talk["kind"], invoice["kind"]) == ("video", "image")
    assert "PRICING" in talk["on_screen_text"].upper() and says_price(talk["spoken_text"])
    assert talk["speech_starts_at"] == pytest.approx(setup.talk.lines[0].start, abs=0.6)
    assert INVOICE_NUMBER in invoice["on_screen_text"] and invoice["speech_starts_at"] is None
    assert [i["kind"] for i in done["inputs"]] == ["video", "image"]
    assert done["inputs"][0]["filename"] == setup.talk.path.name
    assert done["usage"]["duration_seconds"] == 21 and done["progress"] == 100

    listed = setup.cli_json("executions", "list", "--status", "completed")
    assert done["id"] in [e["id"] for e in listed]
    again = setup.cli_json("executions", "get", done["id"])
    assert again["response"] == done["response"]
    shown = setup.cli("executions", "get", done["id"])
    assert shown.returncode == 0 and "completed" in shown.stdout and "PRICING" in shown.stdout


def test_failures_say_why_and_callbacks_hear_of_every_end(setup: Setup) -> None:
    with setup.client() as client:
        failing = client.executions.create(
            {"notes": setup.media_url(setup.notes)},
            prompt="What is said?",
            callback_url=f"{setup.hooks_url}/failed",
        )
        reading = client.executions.create(
            [setup.invoice],
            prompt="Give the invoice number and the total.",
            json_schema=INVOICE_SCHEMA,
            callback_url=f"{setup.hooks_url}/read",
        )
        failed = client.executions.wait(failing.id, timeout=120)
        read = client.executions.wait(reading.id, timeout=120)
        assert failed.status == "failed" and failed.response is None
        assert failed.error is not None and failed.error.code == "unsupported_media"
        assert "notes" in (failed.error.message or "")
        assert read.status == "completed" and read.response is not None
        assert read.response["invoice_number"] == INVOICE_NUMBER
        assert failing.id in [e.id for e in client.executions.list(status="failed", limit=100)]
        assert reading.id not in [e.id for e in client.executions.list(status="failed")]
        with pytest.raises(NotFound) as missing:
            client.executions.get("exec_000000000000000000000000")
        assert missing.value.code == "execution_not_found"
    heard = _wait_for(lambda: setup.hooks.get("/failed") and setup.hooks.get("/read"), 15,
                      "both callbacks")  # fmt: skip
    assert heard and setup.hooks["/failed"][0]["id"] == failing.id
    assert setup.hooks["/failed"][0]["error"]["code"] == "unsupported_media"
    assert setup.hooks["/read"][0]["status"] == "completed"
    assert setup.hooks["/read"][0]["response"]["invoice_number"] == INVOICE_NUMBER


def test_chat_follows_the_skills_sent_in_extra_body(setup: Setup, tmp_path: Path) -> None:
    with setup.client() as client:
        client.skills.upload(_folder(tmp_path, "chat-price", "Give the monthly price.",
                                     PRICE_SCHEMA))  # fmt: skip
    chat = openai.OpenAI(base_url=setup.url + "/v1", api_key=KEY, timeout=300, max_retries=0)
    video = {"type": "video_url", "video_url": {"url": setup.media_url(setup.talk.path)}}
    messages: Any = [{"role": "user", "content": [video]}]
    answer = chat.chat.completions.create(
        model="vidsense-1",
        messages=messages,
        extra_body={"skills": [{"type": "skill_reference", "skill_name": "chat-price"}]},
    )
    value = json.loads(answer.choices[0].message.content or "")
    jsonschema.validate(value, PRICE_SCHEMA)
    assert says_price(value["monthly_price"])
    with pytest.raises(openai.NotFoundError) as missing:
        chat.chat.completions.create(
            model="vidsense-1", messages=messages,
            extra_body={"skills": [{"type": "skill_reference", "skill_name": "no-such-skill"}]},
        )  # fmt: skip
    assert "no-such-skill" in missing.value.message


def test_a_prediction_survives_a_server_restart(setup: Setup) -> None:
    """Predictions are durable jobs: a batch one the server was killed under is resumed."""
    key = {"x-api-key": KEY}
    body = {"url": setup.media_url(setup.talk.path), "domain": "video.transcription",
            "batch": True}  # fmt: skip
    queued = httpx.post(f"{setup.url}/v1/video/generate", json=body, headers=key, timeout=60)
    assert queued.status_code == 200 and queued.json()["status"] == "enqueued"
    server: ServerProcess = setup.served.server
    server.kill()
    server.start()
    url = f"{setup.url}/v1/predictions/{queued.json()['id']}"
    done = _wait_for(
        lambda: (
            (p := httpx.get(url, headers=key).json())["status"] in ("completed", "failed") and p
        ),
        180,
        "the prediction",
    )
    assert done["status"] == "completed", done
    text = " ".join(s["text"] for s in done["response"]["segments"])
    assert says_price(text) and done["usage"]["duration_seconds"] == 21


def test_in_process_the_command_runs_the_execution_itself(setup: Setup, tmp_path: Path) -> None:
    schema = tmp_path / "invoice.json"
    schema.write_text(json.dumps(INVOICE_SCHEMA))
    data = tmp_path / "data"
    done = setup.cli(
        "execute", "-i", str(setup.invoice), "--prompt", "Give the invoice number and total.",
        "--schema", str(schema), "--wait", "--json",
        server=False, VIDSENSE_DATA_DIR=str(data),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["status"] == "completed" and found["response"]["invoice_number"] == INVOICE_NUMBER
    # A schema file that is missing, or not JSON, is told by its code before anything runs.
    (tmp_path / "notes.json").write_text("not json")
    for name, code in (("nosuch.json", "file_not_found"), ("notes.json", "invalid_schema")):
        refused = setup.cli(
            "execute", "-i", str(setup.invoice), "--prompt", "p", "--schema",
            str(tmp_path / name), server=False, VIDSENSE_DATA_DIR=str(data),
        )  # fmt: skip
        assert refused.returncode != 0 and f"[{code}]" in refused.stderr, refused.stderr
    listed = setup.cli("executions", "list", "--json", server=False, VIDSENSE_DATA_DIR=str(data))
    assert [e["id"] for e in json.loads(listed.stdout)] == [found["id"]]


def test_a_server_without_workers_leaves_executions_to_vidsense_work(
    setup: Setup, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``serve --no-index`` queues executions; a ``vidsense work`` process on the same data
    folder runs them (its job workers), and stops cleanly on SIGTERM."""
    data = tmp_path_factory.mktemp("no-index") / "data"
    api = ServerProcess(data, setup.models, VIDSENSE_API_KEY=KEY,
                        VIDSENSE_FETCH__ALLOW_PRIVATE="true").start("--no-index")  # fmt: skip
    worker: subprocess.Popen[bytes] | None = None
    try:
        with Client(api.url, api_key=KEY) as client:
            queued = client.executions.create(
                [setup.media_url(setup.invoice)],
                prompt="Give the invoice number and the total.",
                json_schema=INVOICE_SCHEMA,
            )
            time.sleep(2.0)
            assert client.executions.get(queued.id).status == "enqueued"  # nobody runs it here
            worker = subprocess.Popen(
                [sys.executable, "-m", "vidsense.cli.main", "work", "--workers", "1"],
                env={**api.env, "VIDSENSE_DATA_DIR": str(data)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            done = client.executions.wait(queued.id, timeout=180)
        assert done.status == "completed", done.error
        assert done.response is not None and done.response["invoice_number"] == INVOICE_NUMBER
        worker.terminate()
        assert worker.wait(60) == 0
    finally:
        if worker is not None:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            assert worker.stderr is not None
            worker.stderr.close()
        api.stop()
