"""VLM Run's Executions (:mod:`vidsense.api.executions`), in OpenAI's error envelope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from vidsense.api import executions as api
from vidsense.api.executions import ExecuteRequest, ExecutionQuery, ExecutionResponse
from vidsense.server.deps import Svc, server_base

router = APIRouter(tags=["executions"])


@router.post("/agent/execute", status_code=201)
async def execute(body: ExecuteRequest, request: Request, svc: Svc) -> ExecutionResponse:
    return await run_in_threadpool(api.execute, svc, body, server_base(request))


@router.get("/agent/executions")
def list_executions(
    request: Request, svc: Svc, query: Annotated[ExecutionQuery, Query()]
) -> list[ExecutionResponse]:
    return api.list_all(svc, query, server_base(request))


@router.get("/agent/executions/{execution_id}")
def get_execution(execution_id: str, request: Request, svc: Svc) -> ExecutionResponse:
    return api.get(svc, execution_id, server_base(request))
