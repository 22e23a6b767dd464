"""``/gist``, ``/summarize``, ``/generate``, ``/analyze`` and ``/analyze/tasks``: grounded
writing about one video (:mod:`vidsense.api.writing`); ``stream: true`` answers as Twelve Labs'
NDJSON stream events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from vidsense.api import writing as api
from vidsense.api.streams import Stream
from vidsense.api.writing import (
    Analysis,
    AnalyzeRequest,
    AnalyzeTask,
    AnalyzeTaskCanceled,
    AnalyzeTaskCreate,
    AnalyzeTaskCreated,
    AnalyzeTaskList,
    AnalyzeTaskQuery,
    Generated,
    GenerateRequest,
    Gist,
    GistRequest,
    SummarizeRequest,
    Summary,
)
from vidsense.server.deps import Svc
from vidsense.server.responses import stream_response

router = APIRouter(tags=["writing"])
# Optional fields (citations, the gist types not asked for) appear only when set:
# response_model_exclude_unset.


@router.post("/gist", response_model_exclude_unset=True)
async def gist(body: GistRequest, svc: Svc) -> Gist:
    return await run_in_threadpool(api.gist, svc, body)


@router.post("/summarize", response_model_exclude_unset=True)
async def summarize(body: SummarizeRequest, svc: Svc) -> Summary:
    return await run_in_threadpool(api.summarize, svc, body)


@router.post("/generate", response_model=Generated, response_model_exclude_unset=True)
async def generate(body: GenerateRequest, svc: Svc) -> Generated | StreamingResponse:
    result = await run_in_threadpool(api.generate, svc, body)
    return stream_response(result) if isinstance(result, Stream) else result


@router.post("/analyze", response_model=Analysis, response_model_exclude_unset=True)
async def analyze(body: AnalyzeRequest, svc: Svc) -> Analysis | StreamingResponse:
    result = await run_in_threadpool(api.analyze, svc, body)
    return stream_response(result) if isinstance(result, Stream) else result


@router.post("/analyze/tasks", status_code=201)
def create_analyze_task(body: AnalyzeTaskCreate, svc: Svc) -> AnalyzeTaskCreated:
    return api.create_analyze_task(svc, body)


@router.get("/analyze/tasks", response_model_exclude_unset=True)
def list_analyze_tasks(svc: Svc, query: Annotated[AnalyzeTaskQuery, Query()]) -> AnalyzeTaskList:
    return api.list_analyze_tasks(svc, query)


@router.post("/analyze/tasks/{task_id}/cancel")
def cancel_analyze_task(task_id: str, svc: Svc) -> AnalyzeTaskCanceled:
    return api.cancel_analyze_task(svc, task_id)


@router.delete("/analyze/tasks/{task_id}", status_code=204)
def delete_analyze_task(task_id: str, svc: Svc) -> Response:
    api.delete_analyze_task(svc, task_id)
    return Response(status_code=204)


@router.get("/analyze/tasks/{task_id}", response_model_exclude_unset=True)
def get_analyze_task(task_id: str, svc: Svc) -> AnalyzeTask:
    return api.get_analyze_task(svc, task_id)
