"""Chat about videos in OpenAI's chat-completions shapes.

A request is read (:mod:`vidsense.agent.messages`), its media checked and indexed
(:mod:`vidsense.agent.media`), then answered: with a ``response_format`` JSON schema the reply
is :meth:`WritingService.structured`'s JSON; otherwise the planner maps the request to tools
(frames, clips, highlights, metadata, ...) whose frames and clips become artifacts.

Client-defined ``tools`` are accepted and ignored: the writer (the extractive one by default)
cannot call them, so the reply is the server's own answer with ``finish_reason: "stop"``.
The session (``session_id`` in the body, made when absent) keeps its last videos in memory so a
follow-up without media stays about them; artifacts live under ``DATA_DIR/artifacts/{session}``.
"""

from __future__ import annotations

import json
import queue
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidsense import __version__
from vidsense.agent.artifacts import SESSION_ID, ArtifactStore
from vidsense.agent.files import FileStore
from vidsense.agent.media import ChatVideo, MediaResolver, Progress
from vidsense.agent.messages import Conversation, parse_messages
from vidsense.agent.planner import plan
from vidsense.agent.tools import ToolResult, VideoTools
from vidsense.errors import InvalidArgument
from vidsense.language.schema import check
from vidsense.language.service import WritingService
from vidsense.library import Library

MODEL_ID = "vidsense-1"
"""The model id the chat answers as."""
NO_VIDEO = (
    "Send a video to talk about: a video_url part (http(s) or a data URI), image_url frames, "
    "or a file uploaded to /v1/files."
)


@dataclass
class Prepared:
    """A checked request: nothing about it can fail for bad input any more except indexing."""

    conversation: Conversation
    session_id: str
    model: str
    paths: list[Path | ChatVideo]
    schema: dict[str, Any] | None
    json_object: bool
    base_url: str


@dataclass
class Reply:
    content: str
    session_id: str
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    videos: list[dict[str, Any]] = field(default_factory=list)


def response_schema(response_format: Any) -> tuple[dict[str, Any] | None, bool]:
    """``(schema, json_object)`` from an OpenAI ``response_format``: ``text`` -> no schema;
    ``json_object``; ``json_schema`` with ``{json_schema: {name, schema, strict}}`` or a flat
    ``{schema}``. The schema is checked to be valid JSON Schema."""
    if response_format is None:
        return None, False
    if not isinstance(response_format, dict):
        raise InvalidArgument("response_format must be an object", param="response_format")
    kind = response_format.get("type", "json_schema")
    if kind == "text":
        return None, False
    if kind == "json_object":
        return None, True
    if kind != "json_schema":
        raise InvalidArgument(
            f"response_format.type {kind!r} is not supported; use text, json_object or json_schema",
            param="response_format",
        )
    inner = response_format.get("json_schema", response_format)
    schema = inner.get("schema") if isinstance(inner, dict) else None
    if not isinstance(schema, dict):
        raise InvalidArgument(
            "response_format json_schema needs a schema object "
            "({json_schema: {name, schema}} or {schema})",
            code="invalid_schema",
            param="response_format",
        )
    try:
        check(schema)
    except InvalidArgument as e:
        e.param = "response_format"
        raise
    return inline_refs(schema), False


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with local ``#/$defs/...`` references replaced by what they name (pydantic
    writes nested models that way), so time fields inside them are found. Recursive
    definitions are left as references."""
    defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [walk(n, seen) for n in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
            name = ref.rsplit("/", 1)[-1]
            if name in defs and name not in seen:
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return walk({**defs[name], **rest}, (*seen, name))
        return {k: walk(v, seen) for k, v in node.items()}

    out: dict[str, Any] = walk(schema, ())
    return out


def _words(text: str) -> int:
    return len(text.split())


class ChatService:
    """Chat completions over one library (thread-safe)."""

    def __init__(self, library: Library, writing: WritingService) -> None:
        self.library = library
        self.writing = writing
        settings = library.settings
        self.files = FileStore(settings.data_dir / "files", settings.max_upload_bytes)
        keys = sorted(settings.api_keys)
        first = (settings.api_key or "").split(",")[0].strip() or (keys[0] if keys else None)
        self.artifacts = ArtifactStore(settings.data_dir / "artifacts", first)
        self.media = MediaResolver(library, self.files)
        self._sessions: OrderedDict[str, list[ChatVideo]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def writer_name(self) -> str:
        return self.writing.writer.NAME

    def models(self) -> dict[str, Any]:
        created = int(time.time())
        ids = [MODEL_ID, f"{MODEL_ID}-{self.writer_name}"]
        data = [{"id": i, "object": "model", "created": created, "owned_by": "vidsense"}
                for i in ids]  # fmt: skip
        return {"object": "list", "data": data}

    # -- one request -----------------------------------------------------------------------

    def prepare(self, body: dict[str, Any], base_url: str) -> Prepared:
        """Check everything the client can get wrong, before any work starts."""
        conversation = parse_messages(body.get("messages"))
        schema, json_object = response_schema(body.get("response_format"))
        given = body.get("session_id")
        if given is not None and not (isinstance(given, str) and SESSION_ID.match(given)):
            raise InvalidArgument(
                "session_id must be 1-128 letters, digits, '_', '-' or '.' (not first)",
                param="session_id",
            )
        session_id = given or "sess_" + secrets.token_hex(8)
        paths = self.media.locate(conversation.media())
        model = body.get("model") or MODEL_ID
        return Prepared(conversation, session_id, str(model), paths, schema, json_object, base_url)

    def videos(self, prepared: Prepared, progress: Progress | None = None) -> list[ChatVideo]:
        if prepared.paths:
            found = [self.media.index(p, progress) for p in prepared.paths]
            with self._lock:
                self._sessions[prepared.session_id] = found
                self._sessions.move_to_end(prepared.session_id)
                while len(self._sessions) > 1000:
                    self._sessions.popitem(last=False)
            return found
        with self._lock:
            return list(self._sessions.get(prepared.session_id, []))

    def reply(self, prepared: Prepared, progress: Progress | None = None) -> Reply:
        videos = self.videos(prepared, progress)
        request = prepared.conversation.request.text
        described = [
            {
                "video_id": v.video.id,
                "index_id": v.index_id,
                "duration": v.video.duration,
                "width": v.video.width,
                "height": v.video.height,
                "fps": v.video.fps,
            }
            for v in videos
        ]
        if not videos:
            if prepared.schema is not None or prepared.json_object:
                raise InvalidArgument(NO_VIDEO, code="no_video", param="messages")
            return Reply(NO_VIDEO, prepared.session_id)
        if prepared.schema is not None:
            prompt = request or "Describe the video."
            value, cites = self.writing.structured(videos[-1].video.id, prompt, prepared.schema)
            return Reply(json.dumps(value, ensure_ascii=False), prepared.session_id,
                         citations=cites, videos=described)  # fmt: skip
        tools = VideoTools(self.writing, self.artifacts, prepared.session_id)
        table = tools.registry()
        results: list[tuple[ChatVideo, ToolResult]] = []
        steps = plan(request or "Describe the video.")
        for video in videos:
            for step in steps:
                results.append((video, table[step.tool](video, **step.args)))
        artifacts: list[dict[str, Any]] = []
        citations: list[dict[str, Any]] = []
        parts: list[str] = []
        data: dict[str, Any] = {}
        for n, (video, result) in enumerate(results):
            listed = [
                self.artifacts.describe(a, prepared.base_url, prepared.session_id)
                for a in result.artifacts
            ]
            artifacts += listed
            citations += result.citations
            data.update(result.data)
            text = result.text
            if listed:
                links = [
                    f"![{a['id']}]({a['url']})"
                    if a["type"] == "image"
                    else f"[{a['id']}]({a['url']})"
                    for a in listed
                ]
                text = _attach(text, links)
            if len(videos) > 1 and (n == 0 or results[n - 1][0] is not video):
                text = f"Video {videos.index(video) + 1} ({video.video.filename}):\n{text}"
            parts.append(text)
        content = "\n\n".join(parts)
        if prepared.json_object:
            content = json.dumps(
                {"answer": content, "citations": citations, "artifacts": artifacts, **data},
                ensure_ascii=False,
            )
        return Reply(content, prepared.session_id, artifacts, citations, described)

    # -- wire shapes -----------------------------------------------------------------------

    def completion(self, prepared: Prepared, reply: Reply) -> dict[str, Any]:
        """An OpenAI ``chat.completion`` (plus ``artifacts``/``citations`` on the message and
        the response, ``session_id`` and ``vidsense`` details)."""
        message = {
            "role": "assistant",
            "content": reply.content,
            "refusal": None,
            "artifacts": reply.artifacts,
            "citations": reply.citations,
        }
        return {
            "id": "chatcmpl-" + secrets.token_hex(12),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": prepared.model,
            "system_fingerprint": f"vidsense-{__version__}",
            "choices": [
                {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
            ],
            "usage": self._usage(prepared, reply),
            "session_id": reply.session_id,
            "artifacts": reply.artifacts,
            "citations": reply.citations,
            "vidsense": {"videos": reply.videos, "writer": self.writer_name},
        }

    def _usage(self, prepared: Prepared, reply: Reply) -> dict[str, int]:
        prompt = sum(_words(t.text) for t in prepared.conversation.turns)
        done = _words(reply.content)
        return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}

    def complete(self, body: dict[str, Any], base_url: str) -> dict[str, Any]:
        prepared = self.prepare(body, base_url)
        return self.completion(prepared, self.reply(prepared))

    def stream(self, prepared: Prepared) -> Iterator[dict[str, Any]]:
        """``chat.completion.chunk`` s: role first, then progress chunks (a delta with no
        content but a ``vidsense_progress: {stage, percent}`` field) while a new video is
        analysed, then the content in pieces, then a last chunk with ``finish_reason``, usage
        and artifacts."""
        ident = "chatcmpl-" + secrets.token_hex(12)
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
            return {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": prepared.model,
                "choices": [
                    {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
                ],
                "session_id": prepared.session_id,
                **extra,
            }

        yield chunk({"role": "assistant", "content": ""})
        events: queue.Queue[tuple[str, Any]] = queue.Queue()

        def work() -> None:
            try:
                result = self.reply(
                    prepared, lambda stage, pct: events.put(("progress", (stage, pct)))
                )
                events.put(("reply", result))
            except BaseException as e:
                events.put(("error", e))

        threading.Thread(target=work, name="chat-reply", daemon=True).start()
        while True:
            kind, value = events.get()
            if kind == "progress":
                stage, percent = value
                progress = {"stage": stage, "percent": round(percent, 1)}
                yield chunk({"vidsense_progress": progress})
                continue
            if kind == "error":
                raise value
            reply: Reply = value
            break
        words = reply.content.split(" ")
        for i in range(0, len(words), 8):
            piece = " ".join(words[i : i + 8])
            yield chunk({"content": piece if i + 8 >= len(words) else piece + " "})
        yield chunk(
            {},
            "stop",
            usage=self._usage(prepared, reply),
            artifacts=reply.artifacts,
            citations=reply.citations,
            vidsense={"videos": reply.videos, "writer": self.writer_name},
        )


def _attach(text: str, links: list[str]) -> str:
    """Put each link after the line it belongs to (one line per artifact when they match)."""
    lines = text.split("\n")
    if len(lines) >= len(links):
        for i, link in enumerate(links):
            lines[i] = f"{lines[i]} {link}"
        return "\n".join(lines)
    return text + "\n" + "\n".join(links)
