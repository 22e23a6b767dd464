"""VLM Run-style requests: ``POST /v1/video/generate`` with a ``domain`` (or a custom
``config.json_schema``), or ``POST /v1/video/execute`` with a skill's ``name``, answered at
once or, with ``batch: true``, as a prediction to poll at ``GET /v1/predictions/{id}``
(``enqueued`` -> ``running`` -> ``completed`` | ``failed``; ``GET /v1/predictions?skip&limit``
lists them); ``GET /v1/domains`` lists the domains (a bare list, as VLM Run answers) and
``POST /v1/schema`` gives one's schema. The work is
:class:`vidsense.agent.predictions.Predictions`'.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vidsense.agent.predictions import DOMAINS
from vidsense.api.services import Services
from vidsense.api.wire import Wire, one_of_fields

# -- requests --------------------------------------------------------------------------------------


class VideoGenerateRequest(BaseModel):
    """VLM Run's ``POST /v1/video/generate``."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra=one_of_fields("url", "file_id"),
    )

    model: str | None = None
    domain: str | None = None
    url: str | None = None
    file_id: str | None = None
    batch: bool = False
    config: dict[str, Any] | None = None
    callback_url: str | None = None
    prompt: str | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class VideoExecuteRequest(BaseModel):
    """VLM Run's ``POST /v1/video/execute``: run the named skill (``version``, ``"latest"``
    by default) on a video, as ``video/generate`` with that skill in ``config.skills`` does."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra=one_of_fields("url", "file_id"),
    )

    name: str = Field(min_length=1, description="a skill's name or id (GET /v1/skills)")
    version: str = Field(default="latest", pattern=r"^(?:latest|[1-9][0-9]{0,8})$")
    url: str | None = None
    file_id: str | None = None
    batch: bool = False
    config: dict[str, Any] | None = None
    callback_url: str | None = None

    def body(self) -> dict[str, Any]:
        """The ``video/generate`` request that runs the skill."""
        skill = {"type": "skill_reference", "skill_name": self.name, "skill_version": self.version}
        config = {k: v for k, v in (self.config or {}).items() if v is not None}
        generate = self.model_dump(exclude_none=True, exclude={"name", "version", "config"})
        return generate | {"config": config | {"skills": [skill]}}


# -- responses -------------------------------------------------------------------------------------


class PredictionError(Wire):
    code: str
    message: str
    status: int


class Prediction(Wire):
    """A request's prediction: ``response`` (the domain's JSON) once ``completed``, ``error``
    when ``failed``; times are ISO 8601 UTC."""

    id: str
    created_at: str
    completed_at: str | None
    status: str
    domain: str
    response: dict[str, Any] | None
    usage: dict[str, Any]
    error: PredictionError | None = None


class Domain(Wire):
    domain: str
    description: str
    json_schema: dict[str, Any]


class SchemaRequest(BaseModel):
    """VLM Run's ``POST /v1/schema``: a ``domain`` (its ``config`` is accepted and unused)."""

    model_config = ConfigDict(extra="allow")

    domain: str = Field(
        description="one of GET /v1/domains' (checked where it is looked up, naming it)",
        json_schema_extra={"enum": list(DOMAINS)},
    )
    config: dict[str, Any] | None = None


class DomainSchema(Wire):
    """VLM Run's ``SchemaResponse``."""

    domain: str
    description: str
    schema_version: str
    schema_hash: str
    gql_stmt: str
    json_schema: dict[str, Any]


# -- calls -----------------------------------------------------------------------------------------


def video_generate(
    services: Services, body: VideoGenerateRequest | VideoExecuteRequest
) -> Prediction:
    """Check the request (a named skill's run is a generate request with that skill), then
    answer it now or (``batch``) enqueue it."""
    return Prediction.model_validate(services.predictions.generate(body.body()))


def get_prediction(services: Services, prediction_id: str) -> Prediction:
    return Prediction.model_validate(services.predictions.get(prediction_id))


def list_predictions(services: Services, skip: int = 0, limit: int = 10) -> list[Prediction]:
    """Predictions, newest first."""
    return [Prediction.model_validate(p) for p in services.predictions.list(skip, limit)]


def domains(services: Services) -> list[Domain]:
    return [Domain.model_validate(d) for d in services.predictions.domains()]


def schema(services: Services, body: SchemaRequest) -> DomainSchema:
    return DomainSchema.model_validate(services.predictions.schema(body.domain))
