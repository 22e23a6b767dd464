"""OpenAI-compatible routes (``/v1/chat/completions``, ``/v1/models``, ``/v1/files``), the
artifact route, and VLM Run-style ``/v1/video/generate`` + ``/v1/predictions``.

``router`` sits behind the API key guard; ``public_router`` (artifacts) checks for itself: a
valid key or a valid URL signature. Errors on these routes use OpenAI's envelope
(:mod:`vidsense.server.errors`); a streamed reply that fails mid-way sends an error chunk and
then ``data: [DONE]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from vidsense.agent.artifacts import artifact_path
from vidsense.agent.predictions import Predictions
from vidsense.agent.service import ChatService
from vidsense.errors import InvalidArgument, Unauthorized, describe
from vidsense.library import Library
from vidsense.server.deps import kept, library, require_api_key
from vidsense.server.errors import openai_error
from vidsense.server.openai_protocol import ChatCompletionRequest, VideoGenerateRequest
from vidsense.server.routers.writing import service as writing_service

router = APIRouter(tags=["chat"])
public_router = APIRouter(tags=["chat"])
Lib = Annotated[Library, Depends(library)]


def chat_service(request: Request, lib: Lib) -> ChatService:
    """The app's :class:`ChatService` (sharing the app's writing service), made on first use."""
    return kept(request, "chat", lib, lambda: ChatService(lib, writing_service(request, lib)))


def predictions(
    request: Request, chat: Annotated[ChatService, Depends(chat_service)]
) -> Predictions:
    return kept(request, "predictions", chat, lambda: Predictions(chat))


Chat = Annotated[ChatService, Depends(chat_service)]
Preds = Annotated[Predictions, Depends(predictions)]


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _sse(chunks: Iterator[dict[str, Any]]) -> Iterator[str]:
    try:
        for chunk in chunks:
            yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
    except Exception as e:
        status, code, message = describe(e)
        error = openai_error(status, code, message, getattr(e, "param", None))
        yield f"data: {json.dumps(error)}\n\n"
    yield "data: [DONE]\n\n"


@router.get("/models")
async def models(chat: Chat) -> dict[str, Any]:
    return chat.models()


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, chat: Chat
) -> dict[str, Any] | StreamingResponse:
    prepared = await run_in_threadpool(chat.prepare, body.body(), _base_url(request))
    if body.stream:
        return StreamingResponse(
            iterate_in_threadpool(_sse(chat.stream(prepared))),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    reply = await run_in_threadpool(chat.reply, prepared)
    return chat.completion(prepared, reply)


# -- files ---------------------------------------------------------------------------------


@router.post("/files")
async def create_file(
    chat: Chat,
    file: Annotated[UploadFile, File()],
    purpose: Annotated[str, Form()] = "user_data",
) -> dict[str, Any]:
    return await run_in_threadpool(chat.files.create, file.file, file.filename or "file", purpose)


@router.get("/files")
async def list_files(chat: Chat, purpose: str | None = None) -> dict[str, Any]:
    data = await run_in_threadpool(chat.files.list, purpose)
    return {"object": "list", "data": data, "has_more": False}


@router.get("/files/{file_id}")
async def get_file(file_id: str, chat: Chat) -> dict[str, Any]:
    return chat.files.get(file_id)


@router.get("/files/{file_id}/content")
async def file_content(file_id: str, chat: Chat) -> FileResponse:
    record = chat.files.get(file_id)
    return FileResponse(chat.files.path(file_id), filename=record["filename"])


@router.delete("/files/{file_id}")
async def delete_file(file_id: str, chat: Chat) -> dict[str, Any]:
    return chat.files.delete(file_id)


# -- VLM Run-style requests ----------------------------------------------------------------


@router.post("/video/generate")
async def video_generate(body: VideoGenerateRequest, preds: Preds) -> dict[str, Any]:
    return await run_in_threadpool(preds.generate, body.body())


@router.get("/predictions/{prediction_id}")
async def get_prediction(prediction_id: str, preds: Preds) -> dict[str, Any]:
    return await run_in_threadpool(preds.get, prediction_id)


@router.get("/domains")
async def domains(preds: Preds) -> dict[str, Any]:
    return preds.domains()


# -- artifacts (key or signature) ----------------------------------------------------------


async def _artifact(
    request: Request, chat: ChatService, session_id: str, object_id: str
) -> FileResponse:
    expires = request.query_params.get("expires")
    signature = request.query_params.get("signature")
    if request.app.state.api_keys:
        if signature is not None or expires is not None:
            chat.artifacts.verify(artifact_path(session_id, object_id), expires, signature)
        else:
            try:
                await require_api_key(request)
            except Unauthorized as e:
                e.message += "; or open the signed URL the chat reply gave"
                raise
    found = chat.artifacts.find(session_id, object_id)
    return FileResponse(found.path, media_type=found.media_type)


@public_router.get("/artifacts/{session_id}/{object_id}")
async def artifact(session_id: str, object_id: str, request: Request, chat: Chat) -> FileResponse:
    return await _artifact(request, chat, session_id, object_id)


@public_router.get("/artifacts")
async def artifact_by_query(
    request: Request,
    chat: Chat,
    object_id: Annotated[str, Query()],
    session_id: Annotated[str, Query()],
) -> FileResponse:
    if not object_id or not session_id:
        raise InvalidArgument("object_id and session_id are required")
    return await _artifact(request, chat, session_id, object_id)
