"""Chat about videos in OpenAI's chat-completions shapes.

A request is read (:mod:`vidsense.agent.messages`), its media checked and indexed
(:mod:`vidsense.agent.media`), then answered: with a ``response_format`` JSON schema the reply
is :meth:`WritingService.structured`'s JSON; otherwise the request is mapped to tools (frames,
clips, highlights, metadata, ...) whose frames and clips become artifacts. With a writer that
calls tools (``openai``, ``local``) the model chooses them from :data:`TOOL_FUNCTIONS` (its
times checked against the request and the video); when it picks none or a call does not fit,
and always with the extractive writer, the deterministic planner does
(``vidsense.planner``: ``model`` or ``rules``).

Client-defined ``tools`` (and ``tool_choice``) go to a writer that calls tools with the
conversation and the video's transcript; when the model calls one of them the reply is an
assistant message with ``tool_calls`` and ``finish_reason: "tool_calls"``, and the client's
``role: "tool"`` results are answered in the next request. The extractive writer ignores them.
The session (``session_id`` in the body, made when absent) keeps its last videos in memory so a
follow-up without media stays about them; artifacts live under ``DATA_DIR/artifacts/{session}``.
"""

from __future__ import annotations

import json
import logging
import queue
import re
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
from vidsense.agent.filling import (
    Made,
    default_tools,
    fill,
    rest,
    slots,
    span_writer,
    top_times,
)
from vidsense.agent.making import Makers, configured
from vidsense.agent.media import ChatVideo, MediaResolver, Progress, SentVideo
from vidsense.agent.messages import Conversation, parse_messages
from vidsense.agent.planner import (
    ACTIONS,
    TOOL_FUNCTIONS,
    VIDEO_FREE,
    Step,
    plan,
    steps_from_calls,
    times_in,
)
from vidsense.agent.tools import ToolResult, VideoTools
from vidsense.errors import InvalidArgument, VidsenseError
from vidsense.language.llm import ChatWriter
from vidsense.language.schema import response_format
from vidsense.language.service import WritingService
from vidsense.library import Library
from vidsense.signing import signer
from vidsense.times import stamp

log = logging.getLogger(__name__)

ARTIFACT_STEPS = frozenset(
    {"frames", "frames_every", "frames_spread", "chapter_frames", "trim", "clip_about",
     "highlights", "generate", "edit"}
)  # fmt: skip
"""Steps whose answer is a file (an artifact)."""
FRAME_STEPS = frozenset({"frames", "frames_every", "frames_spread", "chapter_frames"})
"""Steps that take frames from a video."""
_EACH_IMAGE = re.compile(
    r"\b(?:each|every|per|one for each|one per)\s+(?:of the\s+)?(?:frame|image|picture|photo|"
    r"screenshot|still|slide)s?\b",
    re.I,
)
RULES_ONLY = frozenset({"generate", "edit", "unsupported", "clip_about", "chapters", "shots"})
"""Steps a model that calls tools is not asked to choose (it has no function for them)."""
MODEL_ID = "vidsense-1"
MAX_CHOICES = 128
"""The most choices one request may ask for (``n``; OpenAI's bound)."""
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
    paths: list[SentVideo | ChatVideo]
    schema: dict[str, Any] | None
    json_object: bool
    base_url: str
    tools: list[dict[str, Any]] | None = None
    """The client's function tools (checked), or ``None``."""
    tool_choice: Any = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    """The request's messages as sent (tool calls and results included)."""
    steps: list[Step] = field(default_factory=list)
    """What the request asks for, read by the rules (:func:`vidsense.agent.planner.plan`)."""
    images: list[Path] = field(default_factory=list)
    """The images sent with a request that needs no video (a video to generate)."""
    frames: int = 0
    """How many images the request sent as its only media (they are analysed as a slideshow
    of one second each)."""
    choices: int = 1
    """OpenAI's ``n``: how many choices to answer (the same answer each time: the evidence and
    the writer do not change between them)."""


@dataclass
class Reply:
    content: str
    session_id: str
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    videos: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] | None = None
    """Calls of the client's tools the model made (the reply's content is then empty)."""
    planner: str = "rules"
    """Who chose what ran: ``model`` or ``rules``."""
    tools: list[str] = field(default_factory=list)
    """The tools that ran, in order (``frames``, ``trim``, ``answer``, ...)."""


_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CONTEXT_CHARS = 1500
"""Most transcript text sent with a client's tools."""


def client_tools(body: dict[str, Any]) -> tuple[list[dict[str, Any]] | None, Any]:
    """The request's ``tools`` and ``tool_choice``, checked against OpenAI's shapes."""
    tools = body.get("tools")
    choice = body.get("tool_choice")
    if not tools:
        return None, None
    if not isinstance(tools, list):
        raise InvalidArgument("tools must be a list of function tools", param="tools")
    names: set[str] = set()
    for n, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str) or tool.get("type", "function") != "function":
            raise InvalidArgument(
                f"tools[{n}] must be {{type: 'function', function: {{name, parameters}}}}",
                param=f"tools[{n}]",
            )
        if not _TOOL_NAME.match(name):
            raise InvalidArgument(
                f"tools[{n}].function.name must be 1-64 letters, digits, '_' or '-'",
                param=f"tools[{n}]",
            )
        if not isinstance(function.get("parameters", {}), dict):  # type: ignore[union-attr]
            raise InvalidArgument(f"tools[{n}].function.parameters must be an object",
                                  param=f"tools[{n}]")  # fmt: skip
        names.add(name)
    if choice is None:
        choice = "auto"
    elif isinstance(choice, dict):
        function = choice.get("function")
        named = function.get("name") if isinstance(function, dict) else None
        if choice.get("type", "function") != "function" or named not in names:
            raise InvalidArgument(
                "tool_choice must be none, auto, required or "
                "{type: 'function', function: {name}} naming one of the tools",
                param="tool_choice",
            )
    elif choice not in ("none", "auto", "required"):
        raise InvalidArgument("tool_choice must be none, auto, required or a named function",
                              param="tool_choice")  # fmt: skip
    return [dict(t, type="function") for t in tools], choice


def _text_of(content: Any, media_note: bool = False) -> str:
    if isinstance(content, str):
        return content
    texts: list[str] = []
    if isinstance(content, list):
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and part.get("type") in ("text", "input_text"):
                texts.append(str(part.get("text", "")))
            elif media_note:
                texts.append("(media attached)")
    return "\n".join(t for t in texts if t)


def forwarded(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as a model reads it: text only (media named, not sent), assistant
    ``tool_calls`` and ``tool`` results kept."""
    out: list[dict[str, Any]] = []
    for m in messages:
        role = m.get("role")
        text = _text_of(m.get("content"), media_note=role == "user")
        if role in ("system", "developer"):
            out.append({"role": "system", "content": text})
        elif role == "user":
            out.append({"role": "user", "content": text})
        elif role == "assistant":
            # A string even when empty: some servers refuse a null content.
            turn: dict[str, Any] = {"role": "assistant", "content": text}
            if m.get("tool_calls"):
                turn["tool_calls"] = m["tool_calls"]
            out.append(turn)
        elif role in ("tool", "function"):
            out.append({"role": "tool", "tool_call_id": str(m.get("tool_call_id") or
                        m.get("name") or ""), "content": text})  # fmt: skip
    return out


def _words(text: str) -> int:
    return len(text.split())


class ChatService:
    """Chat completions over one library (thread-safe)."""

    def __init__(
        self, library: Library, writing: WritingService, makers: Makers | None = None
    ) -> None:
        self.library = library
        self.writing = writing
        self.makers = makers if makers is not None else configured(library)
        """The video generator and editor (this server's own unless others are given)."""
        settings = library.settings
        self.files = FileStore(settings.data_dir / "files", settings.max_upload_bytes)
        self.artifacts = ArtifactStore(settings.data_dir / "artifacts", signer(settings.api_key))
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
        answer_format = response_format(body.get("response_format"))
        schema, json_object = answer_format.schema, answer_format.kind == "json_object"
        given = body.get("session_id")
        if given is not None and not (isinstance(given, str) and SESSION_ID.match(given)):
            raise InvalidArgument(
                "session_id must be 1-128 letters, digits, '_', '-' or '.' (not first)",
                param="session_id",
            )
        session_id = given or "sess_" + secrets.token_hex(8)
        steps = plan(conversation.request.text or "Describe the video.")
        images: list[Path] = []
        paths: list[SentVideo | ChatVideo] = []
        if all(s.tool in VIDEO_FREE for s in steps):
            # Nothing to analyse: a new video is made from the text and the images sent.
            for ref in conversation.media():
                if ref.kind == "video":  # only the images sent go into a new video
                    continue
                path, kind = self.media.local_file(ref)
                if kind == "image":
                    images.append(path)
        else:
            paths = self.media.locate(conversation.media())
        media = conversation.media()
        frames = len(media) if media and all(m.kind == "image" for m in media) else 0
        if frames:
            # "frames" in such a request are the images sent, not frames to take from them.
            request = conversation.request.text or "Describe the images."
            steps = [s for s in steps if s.tool not in FRAME_STEPS] or [
                Step("summary", {"prompt": request})
            ]
        model = body.get("model") or MODEL_ID
        tools, tool_choice = client_tools(body)
        raw = [m for m in body.get("messages", []) if isinstance(m, dict)]
        choices = body.get("n", 1)
        if choices is None:
            choices = 1
        if not (isinstance(choices, int) and not isinstance(choices, bool)
                and 1 <= choices <= MAX_CHOICES):  # fmt: skip
            raise InvalidArgument(f"n must be a whole number from 1 to {MAX_CHOICES}", param="n")
        return Prepared(conversation, session_id, str(model), paths, schema, json_object,
                        base_url, tools, tool_choice, raw, steps, images, frames,
                        choices)  # fmt: skip

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
        request = prepared.conversation.request.text
        steps = prepared.steps or plan(request or "Describe the video.")
        tools = VideoTools(self.writing, self.artifacts, prepared.session_id, self.makers)
        results: list[tuple[ChatVideo | None, ToolResult]] = []
        if all(s.tool in VIDEO_FREE for s in steps):
            if prepared.schema is not None:
                return self._structured(prepared, None, steps, tools, [])
            results = [(None, self._free(tools, step, prepared)) for step in steps]
            return self._compose(prepared, [], results, "rules", [], steps)
        videos = self.videos(prepared, progress)
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
            return self._structured(prepared, videos[-1], steps, tools, described)
        writer = self.writing.writer
        if isinstance(writer, ChatWriter) and writer.calls_tools:
            answered = self._client_turn(prepared, videos, writer)
            if answered is not None:
                answered.videos = described
                return answered
        table = tools.registry()
        planner = "rules"
        if (
            isinstance(writer, ChatWriter)
            and writer.calls_tools
            and len(videos) == 1
            and request
            and not any(s.tool in RULES_ONLY for s in steps)
        ):
            chosen = self.plan_with_model(writer, request, videos[0])
            if chosen is not None:
                steps, planner = chosen, "model"
        for step in steps:
            if step.tool in VIDEO_FREE:
                results.append((None, self._free(tools, step, prepared)))
        for video in videos:
            for step in steps:
                if step.tool not in VIDEO_FREE:
                    results.append((video, table[step.tool](video, **step.args)))
        return self._compose(prepared, videos, results, planner, described, steps)

    def _free(self, tools: VideoTools, step: Step, prepared: Prepared) -> ToolResult:
        """A step that needs no video: a new video (from the text and the first image
        sent), or a plain refusal."""
        if step.tool == "generate":
            image = prepared.images[0] if prepared.images else None
            return tools.generate(image=image, **step.args)
        return tools.unsupported(**step.args)

    def _compose(
        self,
        prepared: Prepared,
        videos: list[ChatVideo],
        results: list[tuple[ChatVideo | None, ToolResult]],
        planner: str,
        described: list[dict[str, Any]],
        steps: list[Step],
    ) -> Reply:
        """The reply of the tools' results: their text with each artifact's link on its line,
        one section per video when there are several."""
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
            if video is not None and len(videos) > 1 and (n == 0 or results[n - 1][0] is not video):
                text = f"Video {videos.index(video) + 1} ({video.video.filename}):\n{text}"
            parts.append(text)
        content = "\n\n".join(parts)
        if prepared.json_object:
            content = json.dumps(
                {"answer": content, "citations": citations, "artifacts": artifacts, **data},
                ensure_ascii=False,
            )
        return Reply(content, prepared.session_id, artifacts, citations, described,
                     planner=planner, tools=[s.tool for s in steps])  # fmt: skip

    def _structured(
        self,
        prepared: Prepared,
        video: ChatVideo | None,
        steps: list[Step],
        tools: VideoTools,
        described: list[dict[str, Any]],
    ) -> Reply:
        """JSON that follows the request's schema: the tools the request (or, when it names
        none, the schema) asks for run first and their frames, clips and new videos fill the
        fields that ask for them (:mod:`vidsense.agent.filling`); the writer fills the rest
        from evidence."""
        schema = prepared.schema
        assert schema is not None
        prompt = prepared.conversation.request.text or "Describe the video."
        taken = slots(schema)
        making = [s for s in steps if s.tool in ARTIFACT_STEPS or s.tool in VIDEO_FREE]
        if not making and taken and video is not None:
            making = [Step(name, args) for name, args in default_tools(taken)]
        if not making and not taken:
            if video is None:
                raise InvalidArgument(NO_VIDEO, code="no_video", param="messages")
            per_image = self._per_image(prepared, video, prompt, schema)
            if per_image is not None:
                return Reply(json.dumps(per_image, ensure_ascii=False), prepared.session_id,
                             videos=described, tools=["structured"])  # fmt: skip
            value, cites = self.writing.structured(video.video.id, prompt, schema)
            return Reply(json.dumps(value, ensure_ascii=False), prepared.session_id,
                         citations=cites, videos=described, tools=["structured"])  # fmt: skip
        table = tools.registry()
        results: list[ToolResult] = []
        for step in making:
            if step.tool in VIDEO_FREE:
                results.append(self._free(tools, step, prepared))
            elif video is not None:
                results.append(table[step.tool](video, **step.args))
        made: list[Made] = []
        listed: list[dict[str, Any]] = []
        citations: list[dict[str, Any]] = []
        for result in results:
            citations += result.citations
            for a in result.artifacts:
                shown = self.artifacts.describe(a, prepared.base_url, prepared.session_id)
                listed.append(shown)
                made.append(Made(a.id, a.type, shown["url"], a.time, a.start, a.end,
                                 result.notes.get(a.id, "")))  # fmt: skip
        if making and not made and (not taken or any(s.required for s in taken)):
            said = " ".join(r.text for r in results if r.text) or "nothing could be made"
            raise InvalidArgument(said, code="request_not_possible", param="messages")
        times = top_times(schema, taken)
        remaining = rest(schema, taken, times)
        written: dict[str, Any] = {}
        if remaining.get("properties") and video is not None:
            found, cites = self.writing.structured(video.video.id, prompt, remaining)
            written = dict(found) if isinstance(found, dict) else {}
            citations += cites

        write = (
            span_writer(self.writing, video.video.id, video.video.duration, prompt)
            if video is not None
            else None
        )
        value = fill(schema, taken, times, made, written, write)
        ran = [s.tool for s in making] + (["structured"] if written else [])
        return Reply(json.dumps(value, ensure_ascii=False), prepared.session_id, listed,
                     citations, described, tools=ran)  # fmt: skip

    def _per_image(
        self, prepared: Prepared, video: ChatVideo, prompt: str, schema: dict[str, Any]
    ) -> dict[str, Any] | None:
        """For images sent as frames and a schema whose one list asks for something "for each
        frame": that list filled image by image (each image is a second of the slideshow),
        the rest of the schema from the whole; ``None`` when that is not what is asked."""
        props = schema.get("properties")
        if prepared.frames < 2 or not isinstance(props, dict) or not _EACH_IMAGE.search(prompt):
            return None
        lists = [k for k, v in props.items() if isinstance(v, dict) and v.get("type") == "array"]
        if len(lists) != 1 or not isinstance(props[lists[0]].get("items"), dict):
            return None
        name = lists[0]
        items: dict[str, Any] = props[name]["items"]
        wrapped = items.get("type") != "object"
        one = {"type": "object", "properties": {name: items}, "required": [name]} if wrapped \
            else items  # fmt: skip
        values = []
        for i in range(prepared.frames):
            lo = float(i)
            hi = min(float(i + 1), video.video.duration)
            if hi <= lo:
                break
            answer = self.writing.analyze(
                video.video.id, prompt, {"type": "json_schema", "json_schema": one},
                start_time=lo, end_time=hi,
            )  # fmt: skip
            found = json.loads(answer["data"])
            values.append(found.get(name) if wrapped and isinstance(found, dict) else found)
        others = {k: v for k, v in props.items() if k != name}
        value: dict[str, Any] = {}
        if others:
            remaining = {
                **schema,
                "properties": others,
                "required": [r for r in schema.get("required", []) if r != name],
            }
            found, _ = self.writing.structured(video.video.id, prompt, remaining)
            value = dict(found) if isinstance(found, dict) else {}
        value[name] = values
        return {k: value[k] for k in props if k in value}

    # -- models that call tools --------------------------------------------------------------

    def plan_with_model(
        self,
        writer: ChatWriter,
        request: str,
        video: ChatVideo,
        *,
        instructions: str = "",
        found: str = "",
        insist: bool = True,
    ) -> list[Step] | None:
        """The steps the model chooses from :data:`TOOL_FUNCTIONS` for ``request`` (asked
        once with ``tool_choice: auto``, and, with ``insist``, once more naming the action the
        rules see when that gave nothing usable), or ``None``. Times must be ones the request
        names or, when it names none, chapter boundaries; an action the rules see must be
        called. ``instructions`` (a skill's) and ``found`` (what earlier calls returned) are
        told to the model too, for a loop of calls (:mod:`vidsense.agent.executions`)."""
        v = video.video
        ev = self.writing.evidence(v.id)
        spans = self.writing.chapter_spans(ev)
        named = times_in(request.lower())
        known = named or sorted({0.0, v.duration, *(s.start for s in spans),
                                 *(s.end for s in spans)})  # fmt: skip
        chapters = "\n".join(
            f"{n}. {stamp(s.start)}-{stamp(s.end)} (start {s.start:.1f} s, end {s.end:.1f} s)"
            for n, s in enumerate(spans, 1)
        )
        system = (
            "You act on one video for the user by calling tools. Call the tools that do what "
            "the user asks. Times are seconds; use only times the user gives or the chapter "
            f"times below.\nVideo: {v.duration:.1f} s long ({stamp(v.duration)}), "
            f"{v.width}x{v.height}, {v.fps:g} fps.\nChapters:\n{chapters or '(none)'}"
        )
        if instructions:
            system += f"\nYour task:\n{instructions}"
        if found:
            system += (
                f"\nWhat your tool calls found so far:\n{found}\nCall more tools only if the "
                "task needs more; otherwise reply without a tool call."
            )
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": request},
        ]
        rules = plan(request)
        action = ACTIONS.get(rules[0].tool) if len(rules) == 1 and insist else None
        choices: list[Any] = ["auto"]
        if action is not None:
            choices.append({"type": "function", "function": {"name": action}})
        for choice in choices:
            try:
                _, calls = writer.call_tools(messages, TOOL_FUNCTIONS, choice)
            except (VidsenseError, NotImplementedError) as e:
                log.warning("the writer could not choose tools (%s); using the rules", e)
                return None
            pairs = [(c["function"]["name"], c["function"]["arguments"]) for c in calls]
            steps = steps_from_calls(pairs, v.duration, known) if pairs else None
            # An action the request plainly names must be among the calls.
            if action is not None and all(name != action for name, _ in pairs):
                steps = None
            log.info("tool choice %s: %s -> %s", choice, pairs, steps)
            if steps is not None:
                return steps
        return None

    def _client_turn(
        self, prepared: Prepared, videos: list[ChatVideo], writer: ChatWriter
    ) -> Reply | None:
        """The model's turn with the client's tools: calls of them, or (after the client sent
        tool results) the answer; ``None`` when the server's own answer should be given."""
        ends_with_result = bool(prepared.messages) and prepared.messages[-1].get("role") in (
            "tool",
            "function",
        )
        if prepared.schema is not None or not (prepared.tools or ends_with_result):
            return None
        messages = [{"role": "system", "content": self._context(videos)}]
        messages += forwarded(prepared.messages)
        content = ""
        try:
            if prepared.tools and prepared.tool_choice != "none":
                content, calls = writer.call_tools(messages, prepared.tools, prepared.tool_choice)
                names = {t["function"]["name"] for t in prepared.tools}
                mine = [c for c in calls if c["function"]["name"] in names]
                if mine:
                    return Reply("", prepared.session_id, tool_calls=mine, planner="model")
            if ends_with_result:
                content = content.strip() or writer.complete(messages, None).strip()
        except (VidsenseError, NotImplementedError) as e:
            log.warning("the writer could not answer with the client's tools (%s)", e)
            return None
        if ends_with_result and content:
            return Reply(content, prepared.session_id, planner="model")
        return None

    def _context(self, videos: list[ChatVideo]) -> str:
        """What the model is told about the videos next to the client's tools: facts and what
        is said, with times (bounded)."""
        lines = [
            "You are vidsense and answer about the video(s) below; call the tools you are "
            "given when they help. Use only these facts; do not invent times."
        ]
        room = CONTEXT_CHARS
        for video in videos:
            v = video.video
            lines.append(f"Video {v.filename}: {v.duration:.1f} s ({stamp(v.duration)}), "
                         f"{v.width}x{v.height}. Said:")  # fmt: skip
            for s in self.library.transcription(video.index_id, v.id):
                line = f"[{stamp(s.start)}-{stamp(s.end)}] {s.text}"
                if len(line) > room:
                    break
                room -= len(line)
                lines.append(line)
        return "\n".join(lines)

    # -- wire shapes -----------------------------------------------------------------------

    def completion(self, prepared: Prepared, reply: Reply) -> dict[str, Any]:
        """An OpenAI ``chat.completion`` (plus ``artifacts``/``citations`` on the message and
        the response, ``session_id`` and ``vidsense`` details)."""
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None if reply.tool_calls else reply.content,
            "refusal": None,
            "artifacts": reply.artifacts,
            "citations": reply.citations,
        }
        if reply.tool_calls:
            message["tool_calls"] = reply.tool_calls
        finish = "tool_calls" if reply.tool_calls else "stop"
        return {
            "id": "chatcmpl-" + secrets.token_hex(12),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": prepared.model,
            "system_fingerprint": f"vidsense-{__version__}",
            "choices": [
                {"index": i, "message": message, "finish_reason": finish, "logprobs": None}
                for i in range(prepared.choices)
            ],
            "usage": self._usage(prepared, reply),
            "session_id": reply.session_id,
            "artifacts": reply.artifacts,
            "citations": reply.citations,
            "vidsense": self._details(reply),
        }

    def _details(self, reply: Reply) -> dict[str, Any]:
        return {"videos": reply.videos, "writer": self.writer_name, "planner": reply.planner,
                "tools": reply.tools}  # fmt: skip

    def _usage(self, prepared: Prepared, reply: Reply) -> dict[str, int]:
        prompt = sum(_words(t.text) for t in prepared.conversation.turns)
        done = _words(reply.content) + sum(
            _words(c["function"]["arguments"]) for c in reply.tool_calls or []
        )
        done *= prepared.choices
        return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}

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
                    {"index": i, "delta": delta, "finish_reason": finish, "logprobs": None}
                    for i in range(prepared.choices)
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
        for n, call in enumerate(reply.tool_calls or []):
            head = {"index": n, "id": call["id"], "type": "function",
                    "function": {"name": call["function"]["name"], "arguments": ""}}  # fmt: skip
            yield chunk({"tool_calls": [head]})
            arguments = call["function"]["arguments"]
            yield chunk({"tool_calls": [{"index": n, "function": {"arguments": arguments}}]})
        words = reply.content.split(" ") if not reply.tool_calls else []
        for i in range(0, len(words), 8):
            piece = " ".join(words[i : i + 8])
            yield chunk({"content": piece if i + 8 >= len(words) else piece + " "})
        yield chunk(
            {},
            "tool_calls" if reply.tool_calls else "stop",
            usage=self._usage(prepared, reply),
            artifacts=reply.artifacts,
            citations=reply.citations,
            vidsense=self._details(reply),
        )


def _attach(text: str, links: list[str]) -> str:
    """Put each link after the line it belongs to (one line per artifact when they match)."""
    lines = text.split("\n")
    if len(lines) >= len(links):
        for i, link in enumerate(links):
            lines[i] = f"{lines[i]} {link}"
        return "\n".join(lines)
    return text + "\n" + "\n".join(links)
