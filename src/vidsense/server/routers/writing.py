"""``/gist``, ``/summarize``, ``/generate`` and ``/analyze``: grounded writing about one video.

Streaming answers (``stream: true``) are server-sent events whose ``data`` are Twelve Labs'
stream events (``stream_start``, ``text_generation``, ``stream_end``); an error mid-stream is
an ``error`` event, and the stream ends with ``data: [DONE]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from vidsense.errors import describe
from vidsense.language.service import WritingService
from vidsense.library import Library
from vidsense.server.deps import kept, library
from vidsense.server.protocol import AnalyzeRequest, GenerateRequest, GistRequest, SummarizeRequest

router = APIRouter(tags=["writing"])
Lib = Annotated[Library, Depends(library)]


def service(request: Request, lib: Lib) -> WritingService:
    """The app's :class:`WritingService`, made on first use."""
    return kept(request, "writing", lib, lambda: WritingService(lib))


Svc = Annotated[WritingService, Depends(service)]


def sse(events: Iterator[dict[str, Any]]) -> Iterator[str]:
    """Events as server-sent events; an error becomes an ``error`` event; then ``[DONE]``."""
    try:
        for event in events:
            yield f"data: {json.dumps(event, ensure_ascii=False)}\n\n"
    except Exception as e:
        status, code, message = describe(e)
        error = {
            "event_type": "error",
            "error": {"code": code, "message": message, "status": status},
        }
        yield f"data: {json.dumps(error)}\n\n"
    yield "data: [DONE]\n\n"


def _stream(events: Iterator[dict[str, Any]]) -> StreamingResponse:
    return StreamingResponse(
        iterate_in_threadpool(sse(events)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/gist")
async def gist(body: GistRequest, svc: Svc) -> dict[str, Any]:
    return await run_in_threadpool(
        svc.gist, body.video_id, body.types, citations=body.include_citations
    )


@router.post("/summarize")
async def summarize(body: SummarizeRequest, svc: Svc) -> dict[str, Any]:
    return await run_in_threadpool(
        svc.summarize, body.video_id, body.type, body.prompt, citations=body.include_citations
    )


@router.post("/generate", response_model=None)
async def generate(body: GenerateRequest, svc: Svc) -> dict[str, Any] | StreamingResponse:
    if body.stream:
        svc.video(body.video_id)  # a bad id fails before the stream starts
        return _stream(svc.stream(body.video_id, body.prompt, citations=body.include_citations))
    return await run_in_threadpool(
        svc.generate, body.video_id, body.prompt, citations=body.include_citations
    )


@router.post("/analyze", response_model=None)
async def analyze(body: AnalyzeRequest, svc: Svc) -> dict[str, Any] | StreamingResponse:
    video_id = body.target()

    def run() -> dict[str, Any]:
        return svc.analyze(
            video_id,
            body.prompt,
            body.response_format,
            start_time=body.start_time,
            end_time=body.end_time,
            citations=body.include_citations,
        )

    if body.stream:
        svc.video(video_id)

        def events() -> Iterator[dict[str, Any]]:
            result = run()
            yield {"event_type": "stream_start", "metadata": {"generation_id": result["id"]}}
            yield {"event_type": "text_generation", "text": result["data"]}
            end: dict[str, Any] = {"event_type": "stream_end", "finish_reason": "stop"}
            end["metadata"] = {"generation_id": result["id"], "usage": result.get("usage")}
            if "citations" in result:
                end["citations"] = result["citations"]
            yield end

        return _stream(events())
    return await run_in_threadpool(run)
