"""Executions: VLM Run's agent entry point. A skill (or a prompt and a JSON schema) run over
one or more files, as a durable job, answering JSON that follows the schema.

A request (``POST /v1/agent/execute``'s body) is checked by :func:`read_execution` before any
job exists: its ``inputs`` (named content parts: ``file_url``, ``video_url``, ``image_url``,
``input_file`` with a ``file_id``, a bare URL; lists of them; ``text`` parts add to the task),
its ``config`` (``skills`` by name/id and version or inline, ``prompt``, ``json_schema``). The
skills are pinned (:func:`vidsense.skills.pin`), so the job runs the version it was given.
:func:`submit_execution` queues it (a job of kind ``execution``); a worker runs
:func:`run_execution` through :func:`execution_handler`:

1. every input is fetched and indexed once through the library (the chat's hidden index, so
   the same bytes are never analysed twice; a restarted job finds them done). A still image
   becomes a one-frame video, as chat does with image parts; anything else that is not a
   video (a document, audio only) fails the execution naming the input;
2. the task is the skills' instructions and text reference files, the config's prompt and
   the text inputs; the schema is the config's ``json_schema``, else the first skill's;
3. video tools run first: with a writer that calls tools (``openai``, ``local``) the model
   chooses them (:meth:`ChatService.plan_with_model`) in up to :data:`MAX_TOOL_ROUNDS` rounds,
   each round told what the last one found; otherwise (or when the model picks nothing
   usable) the rules planner picks the frames and clips the task asks for. Frames and clips
   are the execution's artifacts (namespace: its id);
4. the schema is filled per input from that input's evidence
   (:meth:`WritingService.structured`: every time from evidence), fields that describe the
   input itself (its kind, its file name) from what is known of it; per-input values are
   combined as the schema's top level asks: an array of per-file objects (a top-level array,
   or an object whose one array property is about the files/inputs), or one object (values
   of several inputs merged field by field);
5. the answer is validated against the schema, or the execution fails with
   ``schema_not_followed``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from vidsense.agent import filling
from vidsense.agent.artifacts import Artifact, artifact_path
from vidsense.agent.filling import Made, default_tools, slots, span_writer, top_times
from vidsense.agent.media import ChatVideo, SentVideo
from vidsense.agent.messages import MediaRef, content_part
from vidsense.agent.planner import Step, plan
from vidsense.agent.service import ChatService
from vidsense.agent.tools import ToolResult, VideoTools
from vidsense.errors import (
    InvalidArgument,
    MediaError,
    TaskInterrupted,
    UnsupportedMedia,
    VidsenseError,
)
from vidsense.jobs.runs import Handler, JobQueue, JobRun
from vidsense.language.llm import ChatWriter
from vidsense.language.schema import check, inline_refs, validate
from vidsense.skills import Skill, pin, pinned_name, unpin
from vidsense.store import JobRecord

log = logging.getLogger(__name__)

KIND: Literal["execution"] = "execution"
"""The job kind of an execution."""
MAX_INPUTS = 16
"""Most files one execution reads."""
MAX_TOOL_ROUNDS = 3
"""Most rounds of tool calls a model makes per input."""
FOUND_CHARS = 3000
"""Most characters of tool results carried into the next round and into the writing."""
DEFAULT_MODEL = "vlmrun-orion-1:auto"
ARTIFACT_TOOLS = frozenset({"frames", "frames_every", "chapter_frames", "trim", "highlights"})
"""The tools that make frames or clips (the ones the rules run without a model)."""
MEDIA_KINDS = frozenset({"video", "image", "audio", "document", "photo", "picture", "clip"})
_PER_FILE = re.compile(r"\b(files?|inputs?|items?|documents?|videos?|images?|media|results?|"
                       r"entries|entry|per)\b")  # fmt: skip
_URL = re.compile(r"^(https?|data):", re.I)
_FILENAME_FIELDS = ("filename", "file_name", "file", "source")
_INPUT_FIELDS = ("input", "input_name", "name_of_input")

InputKind = Literal["video", "image"]
Progress = Callable[[float], None]


@dataclass(frozen=True)
class ExecutionInput:
    """One file of an execution: its name in ``inputs`` (``talk``, ``files[1]``) and where
    it is."""

    name: str
    ref: MediaRef


@dataclass(frozen=True)
class Execution:
    """A checked execution request, as its job keeps it (:meth:`to_json`)."""

    name: str
    inputs: tuple[ExecutionInput, ...]
    texts: tuple[tuple[str, str], ...] = ()
    """Text inputs: ``(name, text)``; they add to the task."""
    skills: tuple[dict[str, Any], ...] = ()
    """Pinned skills (:func:`vidsense.skills.pin`)."""
    prompt: str | None = None
    json_schema: dict[str, Any] | None = None
    model: str = DEFAULT_MODEL
    metadata: dict[str, Any] = field(default_factory=dict)
    callback_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "inputs": [
                {"name": i.name, "kind": i.ref.kind, "url": i.ref.url, "file_id": i.ref.file_id}
                for i in self.inputs
            ],
            "texts": [list(t) for t in self.texts],
            "skills": list(self.skills),
            "prompt": self.prompt,
            "json_schema": self.json_schema,
            "model": self.model,
            "metadata": self.metadata,
            "callback_url": self.callback_url,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Execution:
        return cls(
            name=str(data.get("name") or ""),
            inputs=tuple(
                ExecutionInput(i["name"], MediaRef(i["kind"], url=i["url"], file_id=i["file_id"]))
                for i in data.get("inputs", [])
            ),
            texts=tuple((str(n), str(t)) for n, t in data.get("texts", [])),
            skills=tuple(data.get("skills", [])),
            prompt=data.get("prompt"),
            json_schema=data.get("json_schema"),
            model=str(data.get("model") or DEFAULT_MODEL),
            metadata=dict(data.get("metadata") or {}),
            callback_url=data.get("callback_url"),
        )


@dataclass(frozen=True)
class InputVideo:
    """An input once indexed: its name, what it was (``video`` or ``image``) and its video."""

    name: str
    kind: InputKind
    video: ChatVideo
    filename: str

    def describe(self) -> dict[str, Any]:
        v = self.video.video
        return {
            "name": self.name,
            "kind": self.kind,
            "filename": self.filename,
            "index_id": self.video.index_id,
            "video_id": v.id,
            "duration": round(v.duration, 3),
        }


@dataclass
class ExecutionResult:
    """What an execution made: ``response`` follows the schema; ``artifacts`` are the frames
    and clips made on the way (``input`` names the file each came from); ``planner`` says
    who chose the tools (``model``, ``rules``, or ``none`` when none ran)."""

    response: Any
    inputs: list[dict[str, Any]]
    artifacts: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    usage: dict[str, Any]
    planner: str

    def to_json(self) -> dict[str, Any]:
        return {
            "response": self.response,
            "inputs": self.inputs,
            "artifacts": self.artifacts,
            "citations": self.citations,
            "usage": self.usage,
            "planner": self.planner,
        }


# -- the request -------------------------------------------------------------------------------


def _read_inputs(inputs: Any) -> tuple[list[ExecutionInput], list[tuple[str, str]]]:
    """Files and texts of ``inputs``: an object of named values (a content part, a list of
    them, a URL string or plain text), or a list of content parts."""
    if inputs is None:
        return [], []
    if isinstance(inputs, list):
        named: list[tuple[str, Any]] = [(f"inputs[{n}]", v) for n, v in enumerate(inputs)]
    elif isinstance(inputs, Mapping):
        named = []
        for key, value in inputs.items():
            if isinstance(value, list):
                named += [(f"{key}[{n}]", v) for n, v in enumerate(value)]
            else:
                named.append((str(key), value))
    else:
        raise InvalidArgument(
            "inputs must be an object of named files (content parts such as "
            '{"type": "file_url", "file_url": {"url": ...}}) or a list of them',
            param="inputs",
        )
    files: list[ExecutionInput] = []
    texts: list[tuple[str, str]] = []
    for name, value in named:
        where = f"inputs.{name}"
        if isinstance(value, str):
            if _URL.match(value.strip()):
                files.append(ExecutionInput(name, MediaRef("file", url=value.strip())))
            elif value.strip():
                texts.append((name, value.strip()))
            continue
        if isinstance(value, Mapping) and "type" not in value and isinstance(value.get("url"), str):
            value = {"type": "file_url", "file_url": value}  # a bare {"url": ...}
        try:
            text, ref = content_part(dict(value) if isinstance(value, Mapping) else value, where)
        except InvalidArgument as e:
            e.param = where
            raise
        if ref is not None:
            files.append(ExecutionInput(name, ref))
        elif text.strip():
            texts.append((name, text.strip()))
    if len(files) > MAX_INPUTS:
        raise InvalidArgument(
            f"an execution reads at most {MAX_INPUTS} files, got {len(files)}", param="inputs"
        )
    return files, texts


def read_execution(chat: ChatService, body: Mapping[str, Any]) -> Execution:
    """Check an execution request (VLM Run's ``agent.execute`` body: ``name``, ``inputs``,
    ``config{prompt, json_schema, skills}``, ``metadata``, ``callback_url``, ``model``) and
    pin its skills; everything a client can get wrong fails here, before a job exists:
    malformed inputs, unknown file ids, URLs the fetch rules refuse, unknown or bad skills,
    an invalid schema, no files."""
    from vidsense.media.network import check_url_allowed

    library = chat.library
    settings = library.settings
    files, texts = _read_inputs(body.get("inputs"))
    if not files:
        raise InvalidArgument(
            "an execution needs at least one file in inputs (file_url, video_url, image_url "
            "or input_file with a file_id)",
            param="inputs",
        )
    for item in files:
        if item.ref.file_id is not None:
            chat.files.get(item.ref.file_id)  # NotFound (file_not_found) naming it
        elif item.ref.url and item.ref.url.lower().startswith(("http://", "https://")):
            check_url_allowed(item.ref.url, settings.fetch)
    config = body.get("config") or {}
    if not isinstance(config, Mapping):
        raise InvalidArgument("config must be an object", param="config")
    refs = config.get("skills") or []
    if not isinstance(refs, list):
        raise InvalidArgument("config.skills must be a list of skills", param="config.skills")
    skills = tuple(pin(library, ref, f"config.skills[{n}]") for n, ref in enumerate(refs))
    schema = config.get("json_schema")
    if schema is not None:
        try:
            schema = inline_refs(check(schema))
        except InvalidArgument as e:
            e.param = "config.json_schema"
            raise
    prompt = config.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise InvalidArgument("config.prompt must be a string", param="config.prompt")
    callback = body.get("callback_url")
    if callback:
        check_url_allowed(str(callback), settings.fetch)
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        raise InvalidArgument("metadata must be an object", param="metadata")
    name = body.get("name")
    if not name and skills:
        name = pinned_name(library, skills[0])
    return Execution(
        name=str(name or "execution"),
        inputs=tuple(files),
        texts=tuple(texts),
        skills=skills,
        prompt=prompt.strip() if isinstance(prompt, str) and prompt.strip() else None,
        json_schema=schema,
        model=str(body.get("model") or DEFAULT_MODEL),
        metadata=dict(metadata),
        callback_url=str(callback) if callback else None,
    )


def submit_execution(jobs: JobQueue, execution: Execution) -> JobRecord:
    """Queue a checked execution (``enqueued``) in ``jobs`` (the library, or its store)."""
    return jobs.submit_job(KIND, execution.to_json())


# -- running -----------------------------------------------------------------------------------


def _default_schema(inputs: int) -> dict[str, Any]:
    answer = {"type": "string", "description": "the answer to the task, from this file"}
    if inputs == 1:
        return {"type": "object", "properties": {"answer": answer}, "required": ["answer"]}
    item = {
        "type": "object",
        "properties": {"input": {"type": "string"}, "answer": answer},
        "required": ["input", "answer"],
    }
    return {
        "type": "object",
        "properties": {"files": {"type": "array", "description": "one per input", "items": item}},
        "required": ["files"],
    }


@dataclass(frozen=True)
class Layout:
    """How a schema's top level spreads over the inputs: ``item`` is filled once per input;
    with ``per_file`` the values form an array (the top level itself when ``per_file`` is
    ``""``, else that property), and ``rest`` (the other properties) is filled per input and
    merged; without it, the per-input values of ``item`` are merged into one."""

    item: dict[str, Any]
    per_file: str | None = None
    rest: dict[str, Any] | None = None


def _objects(schema: Any) -> bool:
    return isinstance(schema, Mapping) and (
        schema.get("type") == "object" or "properties" in schema
    )


def layout(schema: dict[str, Any], inputs: int) -> Layout:
    """Where a schema asks for one value per input (see :class:`Layout`)."""
    if schema.get("type") == "array" and _objects(schema.get("items")):
        return Layout(dict(schema["items"]), "")
    props = schema.get("properties")
    if not isinstance(props, Mapping):
        return Layout(schema)
    arrays = [
        name
        for name, sub in props.items()
        if isinstance(sub, Mapping) and sub.get("type") == "array" and _objects(sub.get("items"))
    ]
    for name in arrays:
        sub = props[name]
        words = f"{name} {sub.get('description', '')}".lower().replace("_", " ")
        if _PER_FILE.search(words) or (inputs > 1 and len(props) == 1 and len(arrays) == 1):
            rest = {k: v for k, v in props.items() if k != name}
            rest_schema = None
            if rest:
                rest_schema = {
                    "type": "object",
                    "properties": rest,
                    "required": [r for r in schema.get("required", []) if r in rest],
                }
            return Layout(dict(sub["items"]), name, rest_schema)
    return Layout(schema)


def _facts(schema: Mapping[str, Any], source: InputVideo) -> dict[str, Any]:
    """The fields of an object schema that describe the input itself: an enum of media kinds
    (its kind), its file name, its name in ``inputs``."""
    found: dict[str, Any] = {}
    props = schema.get("properties")
    if not isinstance(props, Mapping):
        return found
    for name, sub in props.items():
        if not isinstance(sub, Mapping):
            continue
        enum = sub.get("enum")
        lower = name.lower()
        if isinstance(enum, list) and source.kind in enum and set(enum) <= MEDIA_KINDS:
            found[name] = source.kind
        elif sub.get("type") == "string" and lower in _FILENAME_FIELDS:
            found[name] = source.filename
        elif sub.get("type") == "string" and lower in _INPUT_FIELDS:
            found[name] = source.name
    return found


def _without(schema: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    out = dict(schema)
    out["properties"] = {k: v for k, v in schema.get("properties", {}).items() if k not in names}
    if "required" in schema:
        out["required"] = [r for r in schema["required"] if r not in names]
    return out


def merge(values: Sequence[Any], schema: Mapping[str, Any] | None = None) -> Any:
    """Several inputs' values of one field as one: objects field by field, arrays joined
    (repeats dropped, cut at ``maxItems``), distinct texts one per line (an enum's: the first),
    numbers and the rest: the first that is not null. Times in a merged object are the first
    input's."""
    schema = schema or {}
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(isinstance(v, dict) for v in present):
        props = schema.get("properties", {})
        keys = list(dict.fromkeys(k for v in present for k in v))
        return {k: merge([v[k] for v in present if k in v], props.get(k)) for k in keys}
    if all(isinstance(v, list) for v in present):
        joined: list[Any] = []
        seen: set[str] = set()
        for value in present:
            for item in value:
                key = json.dumps(item, sort_keys=True, default=str)
                if key not in seen:
                    seen.add(key)
                    joined.append(item)
        most = schema.get("maxItems")
        return joined[: int(most)] if isinstance(most, int) else joined
    if all(isinstance(v, str) for v in present) and "enum" not in schema:
        return "\n".join(dict.fromkeys(v for v in present if v.strip())) or present[0]
    return present[0]


class _Run:
    """One execution being run (its services, artifacts and citations)."""

    def __init__(
        self,
        chat: ChatService,
        execution_id: str,
        execution: Execution,
        progress: Progress | None,
        cancel: threading.Event | None,
    ) -> None:
        self.chat = chat
        self.id = execution_id
        self.execution = execution
        self.report = progress or (lambda _: None)
        self.cancel = cancel or threading.Event()
        self.tools = VideoTools(chat.writing, chat.artifacts, execution_id)
        self.artifacts: list[dict[str, Any]] = []
        self.citations: list[dict[str, Any]] = []
        self.planners: set[str] = set()
        self.steps = 0
        self._lock = threading.Lock()

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise TaskInterrupted(f"execution {self.id} was interrupted; it will be resumed")

    # -- inputs ---------------------------------------------------------------------------

    def local(self, item: ExecutionInput) -> tuple[Path, InputKind, str]:
        """A local, checked file for an input: ``(path, kind, file name)``."""
        from vidsense.media.probe import probe, sniff

        media = self.chat.media
        try:
            path, hinted = media.local_file(item.ref)
        except VidsenseError as e:
            raise type(e)(f"input {item.name!r}: {e.message}", code=e.code) from e
        filename = media.filename(item.ref, item.name)
        sniffed = sniff(path)
        if sniffed == "image" or hinted == "image":
            return media.slideshow([path]), "image", filename  # a one-frame video
        if sniffed in ("empty", "text", "html", "unknown"):
            raise UnsupportedMedia(
                f"input {item.name!r} ({filename}) is not a video or an image ({sniffed}): "
                "executions read videos and still images (documents are not supported)",
                param=f"inputs.{item.name}",
            )
        try:
            probe(path)
        except MediaError as e:
            raise type(e)(
                f"input {item.name!r} ({filename}) is not a video: {e.message}", code=e.code
            ) from e
        return path, "video", filename

    def index(self, item: ExecutionInput) -> InputVideo:
        path, kind, filename = self.local(item)
        self.check_cancel()
        try:
            video = self.chat.media.index(SentVideo(path, filename), cancel=self.cancel)
        except TaskInterrupted:
            raise
        except VidsenseError as e:
            raise type(e)(f"input {item.name!r} ({filename}): {e.message}", code=e.code) from e
        return InputVideo(item.name, kind, video, filename)

    def inputs(self) -> list[InputVideo]:
        """Every input indexed (several at once; each at most once per content)."""
        items = self.execution.inputs
        done = [0]

        def one(item: ExecutionInput) -> InputVideo:
            found = self.index(item)
            with self._lock:
                done[0] += 1
                self.report(60.0 * done[0] / len(items))
            return found

        with ThreadPoolExecutor(max_workers=min(4, len(items)), thread_name_prefix="exec") as pool:
            return list(pool.map(one, items))

    # -- tools and writing ----------------------------------------------------------------

    def _run_steps(self, source: InputVideo, steps: Sequence[Step]) -> list[ToolResult]:
        table = self.tools.registry()
        results = []
        for step in steps:
            self.check_cancel()
            result = table[step.tool](source.video, **step.args)
            results.append(result)
            self.steps += 1
            for artifact in result.artifacts:
                self._keep(artifact, source)
            self.citations += result.citations
        return results

    def _keep(self, artifact: Artifact, source: InputVideo) -> None:
        out: dict[str, Any] = {"id": artifact.id, "type": artifact.type, "input": source.name}
        for name in ("time", "start", "end"):
            value = getattr(artifact, name)
            if value is not None:
                out[name] = round(value, 3)
        with self._lock:
            self.artifacts.append(out)

    def _made(self, source: InputVideo) -> list[Made]:
        """The artifacts made for ``source`` so far; their URLs are the artifacts' paths,
        made absolute (and signed) when the execution is read (:func:`artifact_urls`)."""
        with self._lock:
            kept = [a for a in self.artifacts if a["input"] == source.name]
        return [
            Made(
                a["id"],
                a["type"],
                artifact_path(self.id, a["id"]),
                a.get("time"),
                a.get("start"),
                a.get("end"),
                "",
            )
            for a in kept
        ]

    def use_tools(self, source: InputVideo, task: str, request: str) -> str:
        """Run the video tools the task needs on one input; what they found, as text for a
        writer that reads it (empty when the writer is extractive or nothing ran)."""
        writer = self.chat.writing.writer
        found: list[str] = []
        model_ran = False
        if isinstance(writer, ChatWriter) and writer.calls_tools:
            for round_ in range(MAX_TOOL_ROUNDS):
                so_far = "\n".join(found)[-FOUND_CHARS:]
                steps = self.chat.plan_with_model(
                    writer,
                    request,
                    source.video,
                    instructions=task,
                    found=so_far,
                    insist=round_ == 0,
                )
                if not steps:
                    break
                model_ran = True
                for step, result in zip(steps, self._run_steps(source, steps), strict=True):
                    found.append(f"{step.tool} {json.dumps(step.args)}:\n{result.text}")
        if model_ran:
            self.planners.add("model")
        else:
            steps = [s for s in plan(request) if s.tool in ARTIFACT_TOOLS]
            if steps:
                self.planners.add("rules")
                for step, result in zip(steps, self._run_steps(source, steps), strict=True):
                    found.append(f"{step.tool}:\n{result.text}")
        if not isinstance(writer, ChatWriter):
            return ""  # the extractive writer reads evidence, not notes
        return "\n".join(found)[-FOUND_CHARS:]

    def fill(self, source: InputVideo, schema: dict[str, Any], task: str, found: str) -> Any:
        """One input's value for ``schema`` (an object schema, or any other)."""
        if not _objects(schema):
            whole, cites = self.chat.writing.structured(source.video.video.id, task, schema)
            self.citations += cites
            return whole
        facts = _facts(schema, source)
        rest = _without(schema, list(facts))
        # Fields that ask for frames or clips take this input's artifacts (made by the
        # request's tools, else by the tools the schema asks for), never written text.
        taken = slots(rest)
        made = self._made(source) if taken else []
        if taken and not made:
            self._run_steps(source, [Step(n, a) for n, a in default_tools(taken)])
            made = self._made(source)
        times = top_times(rest, taken)
        left = filling.rest(rest, taken, times) if taken else rest
        value: dict[str, Any] = {}
        prompt = f"{task}\n\nWhat the tools found:\n{found}" if found else task
        if left.get("properties") or not (facts or taken):
            written, cites = self.chat.writing.structured(source.video.video.id, prompt, left)
            self.citations += cites
            value = dict(written) if isinstance(written, dict) else {}
        if taken:
            video = source.video.video
            write = span_writer(self.chat.writing, video.id, video.duration, prompt)
            value = filling.fill(rest, taken, times, made, value, write)
        value.update(facts)
        order = list(schema.get("properties", {}))
        return {
            k: value[k]
            for k in sorted(value, key=lambda k: order.index(k) if k in order else len(order))
        }


def _task(execution: Execution, skills: Sequence[Skill]) -> tuple[str, str]:
    """``(task, request)``: everything the writer is told (skills' instructions and
    references, the prompt, the text inputs), and what a planner reads (the prompt, else the
    first skill's instructions)."""
    parts = [s.bundle.task() for s in skills]
    if execution.prompt:
        parts.append(execution.prompt)
    parts += [f"{name}: {text}" for name, text in execution.texts]
    task = "\n\n".join(p for p in parts if p.strip()) or "Describe the file."
    request = execution.prompt or (skills[0].bundle.instructions if skills else "") or task
    return task, request


def run_execution(
    chat: ChatService,
    execution_id: str,
    execution: Execution,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ExecutionResult:
    """Run an execution (see the module docstring); raises the input's error (a media error,
    ``invalid_media_url``), ``schema_not_followed``, or :class:`TaskInterrupted` when
    ``cancel`` is set."""
    run = _Run(chat, execution_id, execution, progress, cancel)
    skills = [unpin(chat.library, pinned) for pinned in execution.skills]
    schema = execution.json_schema or next(
        (inline_refs(s.schema) for s in skills if s.schema is not None),
        _default_schema(len(execution.inputs)),
    )
    task, request = _task(execution, skills)
    sources = run.inputs()
    run.check_cancel()
    shape = layout(schema, len(sources))
    items: list[Any] = []
    rests: list[Any] = []
    for n, source in enumerate(sources):
        found = run.use_tools(source, task, request)
        run.check_cancel()
        items.append(run.fill(source, shape.item, task, found))
        if shape.rest is not None:
            rests.append(run.fill(source, shape.rest, task, found))
        run.report(60.0 + 35.0 * (n + 1) / len(sources))
    if shape.per_file == "":
        response: Any = items
    elif shape.per_file is not None:
        response = merge(rests, shape.rest) if rests else {}
        response[shape.per_file] = items
        order = list(schema.get("properties", {}))
        response = {k: response[k] for k in order if k in response}
    else:
        response = merge(items, shape.item)
    problem = validate(response, schema)
    if problem is not None:
        raise InvalidArgument(
            f"the answer does not follow the schema ({problem})", code="schema_not_followed"
        )
    videos = [s for s in sources if s.kind == "video"]
    usage = {
        "elements_processed": len(sources),
        "element_type": "video" if videos else "image",
        "duration_seconds": round(sum(s.video.video.duration for s in videos)),
        "steps": run.steps,
    }
    planner = "model" if "model" in run.planners else "rules" if run.planners else "none"
    return ExecutionResult(
        response,
        [s.describe() for s in sources],
        run.artifacts,
        run.citations,
        usage,
        planner,
    )


def describe_execution(job: JobRecord) -> dict[str, Any]:
    """An execution job as VLM Run's ``AgentExecutionResponse`` shows it (``id``, ``name``,
    ``status``, ``created_at``, ``completed_at``, ``response``, ``usage``), plus its
    ``progress`` (percent), ``inputs``, ``artifacts`` (ids; the routes add their URLs),
    ``citations``, ``planner``, ``skills`` (as pinned), ``metadata`` and ``error``
    (``{code, message}`` when it failed). ``response`` is an object: a schema whose top level
    is an array answers ``{"items": [...]}``."""
    request = job.request
    result = job.result or {}
    response = result.get("response") if job.status == "completed" else None
    if isinstance(response, list):
        response = {"items": response}
    inputs = result.get("inputs") or [
        {k: v for k, v in item.items() if v is not None} for item in request.get("inputs", [])
    ]
    usage = dict(result.get("usage") or {"elements_processed": len(inputs)})
    usage["duration_seconds"] = round(float(usage.get("duration_seconds") or 0))
    usage.setdefault("credits_used", 0)
    out: dict[str, Any] = {
        "id": job.id,
        "name": str(request.get("name") or "execution"),
        "model": request.get("model") or DEFAULT_MODEL,
        "status": job.status,
        "created_at": job.created_at,
        "completed_at": job.completed_at,
        "execution_mode": "batch",
        "response": response,
        "usage": usage,
        "progress": round(job.progress, 1),
        "inputs": inputs,
        "artifacts": list(result.get("artifacts") or []),
        "citations": list(result.get("citations") or []),
        "planner": result.get("planner"),
        "skills": list(request.get("skills") or []),
        "metadata": dict(request.get("metadata") or {}),
    }
    if job.status == "failed":
        out["error"] = {"code": job.error_code, "message": job.error_message}
    return out


def artifact_urls(value: Any, execution_id: str, url: Callable[[str], str]) -> Any:
    """``value`` (an execution's response) with every artifact path of the execution (what
    its frame and clip fields hold) replaced by ``url(artifact_id)``."""
    prefix = artifact_path(execution_id, "")
    if isinstance(value, str) and value.startswith(prefix):
        return url(value[len(prefix) :])
    if isinstance(value, list):
        return [artifact_urls(v, execution_id, url) for v in value]
    if isinstance(value, dict):
        return {k: artifact_urls(v, execution_id, url) for k, v in value.items()}
    return value


def execution_handler(chat: ChatService) -> Handler:
    """The job handler that runs executions (for :func:`vidsense.jobs.runs.run_job`)."""

    def handle(job: JobRun) -> dict[str, Any]:
        execution = Execution.from_json(job.job.request)
        result = run_execution(
            chat, job.job.id, execution, progress=job.progress, cancel=job.cancel
        )
        return result.to_json()

    return handle


__all__ = [
    "KIND",
    "Execution",
    "ExecutionInput",
    "ExecutionResult",
    "Layout",
    "artifact_urls",
    "describe_execution",
    "execution_handler",
    "layout",
    "merge",
    "read_execution",
    "run_execution",
    "submit_execution",
]
