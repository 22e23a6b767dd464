"""VLM Run's Executions: ``POST /v1/agent/execute`` (a skill, or a prompt and a JSON schema,
run over one or more files as a durable job), ``GET /v1/agent/executions/{id}`` and
``GET /v1/agent/executions`` (a bare JSON array, newest first: ``skip``, ``limit``, and
``status``, ``created_after``, ``created_before``).

Answers are the ``vlmrun`` SDK's ``AgentExecutionResponse`` (status ``enqueued`` ->
``running`` -> ``completed`` | ``failed``; ``pending`` when handed back by a stopping worker,
``paused``) with the execution's ``progress``, ``inputs``, ``artifacts`` (each with a URL that
opens without a key) and ``error``; see :func:`vidsense.agent.executions.describe_execution`.
The work is :mod:`vidsense.agent.executions`'; the server's job workers run it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vidsense.agent.executions import (
    KIND,
    artifact_urls,
    describe_execution,
    read_execution,
    submit_execution,
)
from vidsense.api.limits import MAX_SKIP
from vidsense.api.services import Services
from vidsense.api.wire import TIME, Wire, moment
from vidsense.store import JobRecord

# -- requests ------------------------------------------------------------------------------------


class ExecuteRequest(BaseModel):
    """``POST /v1/agent/execute`` as the ``vlmrun`` SDK's ``agent.execute`` sends it."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    name: str | None = None
    inputs: Any = Field(
        description="named files: content parts (file_url, video_url, image_url, input_file "
        "with a file_id), lists of them, URLs; text values add to the task; at least one file",
        json_schema_extra={
            "anyOf": [{"type": "object", "minProperties": 1}, {"type": "array", "minItems": 1}]
        },
    )
    batch: bool = Field(default=True, description="executions always run as batch jobs")
    config: dict[str, Any] | None = Field(
        default=None, description="prompt, json_schema, skills (AgentSkill references or inline)"
    )
    metadata: dict[str, Any] | None = None
    callback_url: str | None = Field(
        default=None, description="POSTed the finished execution once it completes or fails"
    )
    toolsets: list[str] | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class ExecutionQuery(BaseModel):
    """``GET /v1/agent/executions``: newest first, ``skip`` then at most ``limit``."""

    skip: int = Field(default=0, ge=0, le=MAX_SKIP)
    limit: int = Field(default=10, ge=1, le=1000)
    status: Literal["enqueued", "pending", "running", "completed", "failed", "paused"] | None = None
    created_after: str | None = Field(default=None, description="ISO 8601", json_schema_extra=TIME)
    created_before: str | None = Field(default=None, description="ISO 8601", json_schema_extra=TIME)


# -- responses -----------------------------------------------------------------------------------


class ExecutionError(Wire):
    code: str | None
    message: str | None


class ExecutionArtifact(Wire):
    """A frame (``image``) or clip (``video``) made while running, from input ``input``;
    ``time`` or ``start``/``end`` in seconds of that input."""

    id: str
    type: str
    input: str
    url: str | None = None


class ExecutionResponse(Wire):
    """An execution (VLM Run's ``AgentExecutionResponse`` and vidsense's details); times ISO
    8601 UTC; ``response`` follows the schema once ``completed``."""

    id: str
    name: str
    model: str
    status: str
    created_at: str
    completed_at: str | None
    execution_mode: str
    response: dict[str, Any] | None
    usage: dict[str, Any]
    progress: float
    inputs: list[dict[str, Any]]
    artifacts: list[ExecutionArtifact]
    citations: list[dict[str, Any]]
    planner: str | None
    skills: list[dict[str, Any]]
    metadata: dict[str, Any]
    error: ExecutionError | None = None


def execution(services: Services, job: JobRecord, server_base: str) -> ExecutionResponse:
    """``job`` on the wire; artifact URLs start with ``server_base`` (``http://host:port``)
    and are signed when the server has keys."""
    found = describe_execution(job)
    artifacts = services.chat.artifacts

    def url(artifact_id: str) -> str:
        return artifacts.url(server_base, job.id, artifact_id)

    for item in found["artifacts"]:
        item["url"] = url(item["id"])
    found["response"] = artifact_urls(found["response"], job.id, url)
    return ExecutionResponse.model_validate(found)


# -- calls ---------------------------------------------------------------------------------------


def execute(services: Services, body: ExecuteRequest, server_base: str) -> ExecutionResponse:
    """Check the request (every input, skill and schema, before a job exists), queue it, and
    answer the queued execution (``enqueued``)."""
    checked = read_execution(services.chat, body.body())
    job = submit_execution(services.library, checked)
    services.job_queued(job.id)
    return execution(services, job, server_base)


def get(services: Services, execution_id: str, server_base: str) -> ExecutionResponse:
    """One execution (``execution_not_found``)."""
    return execution(services, services.library.get_job(execution_id, KIND), server_base)


def list_all(
    services: Services, query: ExecutionQuery, server_base: str
) -> list[ExecutionResponse]:
    found = services.library.list_jobs(
        kind=KIND,
        status=query.status,
        created_after=moment(query.created_after, "created_after"),
        created_before=moment(query.created_before, "created_before"),
        skip=query.skip,
        limit=query.limit,
    )
    return [execution(services, job, server_base) for job in found]
