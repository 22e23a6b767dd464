"""VLM Run-style ``/v1/video/generate``, ``/v1/video/execute``, ``/v1/predictions(/{id})``,
``/v1/domains`` and ``/v1/schema`` (:mod:`vidsense.api.vlmrun`), in the error envelope VLM
Run's SDK reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from vidsense.api import vlmrun as api
from vidsense.api.limits import MAX_SKIP
from vidsense.api.vlmrun import (
    Domain,
    DomainSchema,
    Prediction,
    SchemaRequest,
    VideoExecuteRequest,
    VideoGenerateRequest,
)
from vidsense.server.deps import Svc

router = APIRouter(tags=["vlmrun"])


@router.post("/video/generate", response_model_exclude_unset=True)
async def video_generate(body: VideoGenerateRequest, svc: Svc) -> Prediction:
    return await run_in_threadpool(api.video_generate, svc, body)


@router.post("/video/execute", response_model_exclude_unset=True)
async def video_execute(body: VideoExecuteRequest, svc: Svc) -> Prediction:
    return await run_in_threadpool(api.video_generate, svc, body)


@router.get("/predictions/{prediction_id}", response_model_exclude_unset=True)
def get_prediction(prediction_id: str, svc: Svc) -> Prediction:
    return api.get_prediction(svc, prediction_id)


@router.get("/predictions", response_model_exclude_unset=True)
def list_predictions(
    svc: Svc,
    skip: Annotated[int, Query(ge=0, le=MAX_SKIP)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
) -> list[Prediction]:
    return api.list_predictions(svc, skip, limit)


@router.get("/domains")
def domains(svc: Svc) -> list[Domain]:
    return api.domains(svc)


@router.post("/schema")
def schema(body: SchemaRequest, svc: Svc) -> DomainSchema:
    return api.schema(svc, body)
