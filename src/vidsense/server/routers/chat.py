"""OpenAI-compatible ``/v1/chat/completions`` and ``/v1/models`` (:mod:`vidsense.api.openai`;
the model list in VLM Run's shape for its client). Errors on these routes use OpenAI's
envelope; a streamed reply that fails mid-way sends an error chunk and then ``data: [DONE]``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from vidsense.api import openai as api
from vidsense.api.openai import (
    ChatCompletion,
    ChatCompletionRequest,
    Model,
    ModelList,
    VlmrunModel,
)
from vidsense.api.streams import Stream
from vidsense.server.deps import Svc, server_base
from vidsense.server.responses import stream_response

router = APIRouter(tags=["chat"])


@router.get("/models")
def models(request: Request, svc: Svc) -> ModelList | list[VlmrunModel]:
    vlmrun = api.vlmrun_caller(
        request.url.path, request.headers.get("x-client-id"), request.query_params
    )
    return api.list_models(svc, vlmrun)


@router.get("/models/{model_id}")
def model(model_id: str, svc: Svc) -> Model:
    return api.get_model(svc, model_id)


@router.post("/chat/completions", response_model=ChatCompletion, response_model_exclude_unset=True)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, svc: Svc
) -> ChatCompletion | StreamingResponse:
    result = await run_in_threadpool(api.chat_completions, svc, body, server_base(request))
    return stream_response(result) if isinstance(result, Stream) else result
