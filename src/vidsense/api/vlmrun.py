"""VLM Run-style requests: ``POST /v1/video/generate`` with a ``domain`` (or a custom
``config.json_schema``), answered at once or, with ``batch: true``, as a prediction to poll at
``GET /v1/predictions/{id}`` (``enqueued`` -> ``running`` -> ``completed`` | ``failed``);
``GET /v1/domains`` lists the domains. The work is :class:`vidsense.agent.predictions.
Predictions`'.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

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


class Domains(Wire):
    data: list[Domain]


# -- calls -----------------------------------------------------------------------------------------


def video_generate(services: Services, body: VideoGenerateRequest) -> Prediction:
    """Check the request, then answer it now or (``batch``) enqueue it."""
    return Prediction.model_validate(services.predictions.generate(body.body()))


def get_prediction(services: Services, prediction_id: str) -> Prediction:
    return Prediction.model_validate(services.predictions.get(prediction_id))


def domains(services: Services) -> Domains:
    return Domains.model_validate(services.predictions.domains())
