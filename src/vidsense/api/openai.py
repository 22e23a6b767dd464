"""OpenAI-compatible chat about videos: ``/v1/chat/completions``, ``/v1/models``, ``/v1/files``
and the artifacts (frames, clips) chat replies link to.

``GET /v1/files`` and ``GET /v1/models`` are called by two SDKs with two answer shapes:
OpenAI's list object, or VLM Run's bare JSON list. :func:`vlmrun_caller` tells them apart:
VLM Run's REST client sends ``X-Client-Id: python-sdk-<version>`` on every request (and ``skip``
when listing files), OpenAI's SDK never does; under ``/v1/openai`` (VLM Run's agent base, an
OpenAI client) the answer is always OpenAI's.

Requests keep unknown fields (``session_id``, ``toolsets``, ``media_io_kwargs``, ...) so clients
that send extras through ``extra_body`` are accepted; answers are OpenAI's shapes plus
vidsense's ``artifacts``, ``citations``, ``session_id`` and ``vidsense`` details. A streamed
reply is ``chat.completion.chunk`` s; one that fails mid-way sends OpenAI's error envelope as a
chunk, then ``data: [DONE]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vidsense.agent.artifacts import Artifact, artifact_path
from vidsense.agent.files import FilePurpose
from vidsense.agent.messages import with_skills
from vidsense.api.services import Services
from vidsense.api.streams import Stream, openai_error_event
from vidsense.api.wire import Wire, validated
from vidsense.errors import InvalidArgument, NotFound
from vidsense.language.schema import inline_refs
from vidsense.skills import resolve

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
    n: int | None = Field(
        default=None, ge=1, le=128, description="choices to answer (each the same answer)"
    )
    max_tokens: int | None = None
    max_completion_tokens: int | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


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


class VlmrunModel(Wire):
    """VLM Run's ``ModelInfo``: a model and a domain it serves."""

    model: str
    domain: str


class FileList(Wire):
    object: str = "list"
    data: list[FileObject]
    has_more: bool = False


class FileDeleted(Wire):
    id: str
    object: str
    deleted: bool


class ArtifactItem(Wire):
    """An artifact of a session or execution, as VLM Run lists them (``source`` is
    ``store``: every artifact here is a stored file)."""

    object_id: str
    filename: str
    source: str = "store"


class ArtifactList(Wire):
    """VLM Run's ``ArtifactListResponse``: the session or execution (``namespace_id``) and
    its artifacts, oldest first."""

    namespace_id: str
    items: list[ArtifactItem]


@dataclass(frozen=True)
class FileContent:
    """Where an uploaded file's bytes are, and its name."""

    path: Path
    filename: str


# -- calls -----------------------------------------------------------------------------------------


VLMRUN_CLIENT_ID = "python-sdk-"
"""How VLM Run's Python SDK's ``X-Client-Id`` header starts."""


def vlmrun_caller(path: str, client_id: str | None, query: Mapping[str, str]) -> bool:
    """Whether a request to a path OpenAI's and VLM Run's SDKs share comes from VLM Run's
    REST client (which wants a bare list): never under ``/v1/openai``; else when it sends VLM
    Run's ``X-Client-Id`` or its ``skip`` pagination."""
    if path.startswith("/v1/openai/"):
        return False
    return (client_id or "").startswith(VLMRUN_CLIENT_ID) or "skip" in query


def list_models(services: Services, vlmrun: bool = False) -> ModelList | list[VlmrunModel]:
    """OpenAI's model list, or (``vlmrun``) each model with each domain it answers."""
    from vidsense.agent.predictions import DOMAINS

    found = ModelList.model_validate(services.chat.models())
    if not vlmrun:
        return found
    return [VlmrunModel(model=m.id, domain=d) for m in found.data for d in DOMAINS]


def get_model(services: Services, model_id: str) -> Model:
    """One model of :func:`list_models` (404 ``model_not_found``)."""
    found = ModelList.model_validate(services.chat.models())
    for model in found.data:
        if model.id == model_id:
            return model
    known = ", ".join(m.id for m in found.data)
    raise NotFound(f"no model {model_id!r}; the models are {known}", code="model_not_found")


def skilled(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with the skills it names (``skills``, sent in ``extra_body``) applied: their
    instructions join the request and the first one's schema is the answer's format, unless
    ``response_format`` gives one (see :func:`vidsense.agent.messages.with_skills`)."""
    refs = body.pop("skills", None) or []
    if not isinstance(refs, list):
        raise InvalidArgument("skills must be a list of skills", param="skills")
    found = [resolve(services.library, ref, f"skills[{n}]") for n, ref in enumerate(refs)]
    schema = next((inline_refs(s.schema) for s in found if s.schema is not None), None)
    return with_skills(body, [s.bundle.task() for s in found], schema)


def chat_completions(
    services: Services, body: ChatCompletionRequest, base_url: str
) -> ChatCompletion | Stream:
    """A reply (or, with ``stream``, its chunks); ``base_url`` (``http://host:port``) starts
    the artifact links."""
    chat = services.chat
    prepared = chat.prepare(skilled(services, body.body()), base_url)
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


def list_files(
    services: Services,
    purpose: str | None,
    vlmrun: bool = False,
    skip: int = 0,
    limit: int | None = None,
) -> FileList | list[FileObject]:
    """Files, newest first: OpenAI's list object, or (``vlmrun``) VLM Run's bare list from
    ``skip`` holding at most ``limit``, of the files whose purpose VLM Run knows (its SDK
    refuses any other)."""
    from vidsense.agent.files import VLMRUN_PURPOSES

    found = [FileObject.model_validate(f) for f in services.chat.files.list(purpose)]
    if not vlmrun:
        return FileList(object="list", data=found, has_more=False)
    known = [f for f in found if f.purpose in VLMRUN_PURPOSES]
    return known[max(0, skip) :][: limit if limit is not None else None]


def get_file(services: Services, file_id: str) -> FileObject:
    return FileObject.model_validate(services.chat.files.get(file_id))


def file_content(services: Services, file_id: str) -> FileContent:
    files = services.chat.files
    record = files.get(file_id)
    return FileContent(files.path(file_id), record["filename"])


def delete_file(services: Services, file_id: str, vlmrun: bool = False) -> FileDeleted | FileObject:
    """Delete a file: OpenAI's deletion object, or (``vlmrun``) the file as it was, which VLM
    Run's SDK reads as its answer."""
    if not vlmrun:
        return FileDeleted.model_validate(services.chat.files.delete(file_id))
    found = FileObject.model_validate(services.chat.files.get(file_id))
    services.chat.files.delete(file_id)
    return found


def artifact(services: Services, session_id: str, object_id: str) -> Artifact:
    """A frame or clip a chat reply made (``artifact_not_found``)."""
    return services.chat.artifacts.find(session_id, object_id)


def list_artifacts(services: Services, namespace_id: str) -> ArtifactList:
    """The frames and clips a chat session (or an execution) made."""
    found = services.chat.artifacts.list(namespace_id)
    items = [ArtifactItem(object_id=a.id, filename=a.path.name) for a in found]
    return ArtifactList(namespace_id=namespace_id, items=items)


def artifact_namespace(session_id: str | None, execution_id: str | None) -> str:
    """The one of ``session_id``/``execution_id`` given (an execution's artifacts are kept
    under its id); ``InvalidArgument`` for neither or both."""
    if (session_id is None) == (execution_id is None):
        raise InvalidArgument("give one of session_id or execution_id", param="session_id")
    return str(session_id or execution_id)


def verify_artifact_url(
    services: Services, session_id: str, object_id: str, expires: str | None, signature: str | None
) -> None:
    """``SignatureInvalid`` unless ``expires`` + ``signature`` open this artifact's URL."""
    path = artifact_path(session_id, object_id)
    services.chat.artifacts.verify(path, expires, signature)
