"""OpenAI-compatible chat about videos: ``/v1/chat/completions``, ``/v1/models``, ``/v1/files``
and the artifacts (frames, clips) chat replies link to.

Requests keep unknown fields (``session_id``, ``toolsets``, ``media_io_kwargs``, ...) so clients
that send extras through ``extra_body`` are accepted; answers are OpenAI's shapes plus
vidsense's ``artifacts``, ``citations``, ``session_id`` and ``vidsense`` details. A streamed
reply is ``chat.completion.chunk`` s; one that fails mid-way sends OpenAI's error envelope as a
chunk, then ``data: [DONE]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vidsense.agent.artifacts import Artifact, artifact_path
from vidsense.api.services import Services
from vidsense.api.streams import Stream, openai_error_event
from vidsense.api.wire import Wire, validated
from vidsense.errors import InvalidArgument

# -- requests --------------------------------------------------------------------------------------


class ChatMessageIn(BaseModel):
    """One OpenAI chat message: ``content`` is text or a list of parts (text, image_url,
    video_url, input_file/file); only an assistant's turn (one that called tools) may leave it
    out."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[Any] | None = Field(
        default=None, description="required but for an assistant's message that calls tools"
    )

    @model_validator(mode="after")
    def _has_content(self) -> ChatMessageIn:
        if self.content is None and self.role != "assistant":
            raise ValueError(f"a {self.role} message needs content (text or a list of parts)")
        return self


class ChatCompletionRequest(BaseModel):
    """``POST /v1/chat/completions``; ``messages`` are read by :mod:`vidsense.agent.messages`."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    messages: list[ChatMessageIn] = Field(min_length=1, description="OpenAI chat messages")
    stream: bool = False
    response_format: dict[str, Any] | None = None
    session_id: str | None = Field(default=None, description="keeps videos and artifacts together")
    tools: list[Any] | None = Field(
        default=None,
        description="client tools: forwarded to a writer that calls tools (openai, local); "
        "ignored by the extractive writer",
    )
    tool_choice: Any = None
    temperature: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


FilePurpose = Literal[
    "assistants",
    "assistants_output",
    "batch",
    "batch_output",
    "evals",
    "fine-tune",
    "fine-tune-results",
    "user_data",
    "vision",
]
"""OpenAI's file purposes."""


class FileCreate(BaseModel):
    """``POST /v1/files`` (multipart): the ``file`` and its ``purpose``."""

    model_config = ConfigDict(extra="allow")

    purpose: FilePurpose = Field(default="user_data", description="what the file is for")


# -- responses -------------------------------------------------------------------------------------


class ChatMessage(Wire):
    """The assistant's message: ``content`` (None when it calls the client's ``tool_calls``)
    with the ``artifacts`` and ``citations`` it refers to."""

    role: str
    content: str | None
    refusal: str | None = None
    artifacts: list[dict[str, Any]] = Field(default_factory=list)
    citations: list[dict[str, Any]] = Field(default_factory=list)
    tool_calls: list[dict[str, Any]] | None = None


class ChatChoice(Wire):
    index: int
    message: ChatMessage
    finish_reason: str
    logprobs: Any = None


class CompletionUsage(Wire):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(Wire):
    """An OpenAI ``chat.completion`` plus ``session_id``, ``artifacts``, ``citations`` and
    ``vidsense`` (the videos, the writer, who planned the tools)."""

    id: str
    object: str
    created: int
    model: str
    system_fingerprint: str | None = None
    choices: list[ChatChoice]
    usage: CompletionUsage
    session_id: str
    artifacts: list[dict[str, Any]] = Field(default_factory=list)
    citations: list[dict[str, Any]] = Field(default_factory=list)
    vidsense: dict[str, Any] = Field(default_factory=dict)


class Model(Wire):
    id: str
    object: str
    created: int
    owned_by: str


class ModelList(Wire):
    object: str
    data: list[Model]


class FileObject(Wire):
    """OpenAI's ``FileObject`` (``bytes`` is the size; ``created_at`` unix seconds)."""

    id: str
    object: str
    bytes: int
    created_at: int
    filename: str
    purpose: str
    status: str | None = None
    status_details: str | None = None


class FileList(Wire):
    object: str = "list"
    data: list[FileObject]
    has_more: bool = False


class FileDeleted(Wire):
    id: str
    object: str
    deleted: bool


@dataclass(frozen=True)
class FileContent:
    """Where an uploaded file's bytes are, and its name."""

    path: Path
    filename: str


# -- calls -----------------------------------------------------------------------------------------


def list_models(services: Services) -> ModelList:
    return ModelList.model_validate(services.chat.models())


def chat_completions(
    services: Services, body: ChatCompletionRequest, base_url: str
) -> ChatCompletion | Stream:
    """A reply (or, with ``stream``, its chunks); ``base_url`` (``http://host:port``) starts
    the artifact links."""
    chat = services.chat
    prepared = chat.prepare(body.body(), base_url)
    if body.stream:
        return Stream(chat.stream(prepared), openai_error_event)
    reply = chat.reply(prepared)
    return ChatCompletion.model_validate(chat.completion(prepared, reply))


def create_file(
    services: Services, stream: BinaryIO | None, filename: str, fields: dict[str, Any]
) -> FileObject:
    """``POST /v1/files``: ``stream`` (None when the form had no file) stored with the form's
    text ``fields``."""
    body = validated(FileCreate, fields)
    if stream is None:
        raise InvalidArgument("file is required (a multipart file field)", param="file")
    return FileObject.model_validate(
        services.chat.files.create(stream, filename or "file", body.purpose)
    )


def list_files(services: Services, purpose: str | None) -> FileList:
    found = [FileObject.model_validate(f) for f in services.chat.files.list(purpose)]
    return FileList(object="list", data=found, has_more=False)


def get_file(services: Services, file_id: str) -> FileObject:
    return FileObject.model_validate(services.chat.files.get(file_id))


def file_content(services: Services, file_id: str) -> FileContent:
    files = services.chat.files
    record = files.get(file_id)
    return FileContent(files.path(file_id), record["filename"])


def delete_file(services: Services, file_id: str) -> FileDeleted:
    return FileDeleted.model_validate(services.chat.files.delete(file_id))


def artifact(services: Services, session_id: str, object_id: str) -> Artifact:
    """A frame or clip a chat reply made (``artifact_not_found``)."""
    return services.chat.artifacts.find(session_id, object_id)


def verify_artifact_url(
    services: Services, session_id: str, object_id: str, expires: str | None, signature: str | None
) -> None:
    """``SignatureInvalid`` unless ``expires`` + ``signature`` open this artifact's URL."""
    path = artifact_path(session_id, object_id)
    services.chat.artifacts.verify(path, expires, signature)
