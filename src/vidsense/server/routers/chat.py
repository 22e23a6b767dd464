"""OpenAI-compatible ``/v1/chat/completions`` and ``/v1/models`` (:mod:`vidsense.api.openai`).
Errors on these routes use OpenAI's envelope; a streamed reply that fails mid-way sends an
error chunk and then ``data: [DONE]``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from vidsense.api import openai as api
from vidsense.api.openai import ChatCompletion, ChatCompletionRequest, ModelList
from vidsense.api.streams import Stream
from vidsense.server.deps import Svc, server_base
from vidsense.server.responses import stream_response

router = APIRouter(tags=["chat"])


@router.get("/models")
def models(svc: Svc) -> ModelList:
    return api.list_models(svc)


@router.post("/chat/completions", response_model=ChatCompletion, response_model_exclude_unset=True)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, svc: Svc
) -> ChatCompletion | StreamingResponse:
    result = await run_in_threadpool(api.chat_completions, svc, body, server_base(request))
    return stream_response(result) if isinstance(result, Stream) else result
