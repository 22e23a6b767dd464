"""VLM Run-style ``/v1/video/generate``, ``/v1/predictions/{id}`` and ``/v1/domains``
(:mod:`vidsense.api.vlmrun`), in OpenAI's error envelope."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from vidsense.api import vlmrun as api
from vidsense.api.vlmrun import Domains, Prediction, VideoGenerateRequest
from vidsense.server.deps import Svc

router = APIRouter(tags=["vlmrun"])


@router.post("/video/generate", response_model_exclude_unset=True)
async def video_generate(body: VideoGenerateRequest, svc: Svc) -> Prediction:
    return await run_in_threadpool(api.video_generate, svc, body)


@router.get("/predictions/{prediction_id}", response_model_exclude_unset=True)
def get_prediction(prediction_id: str, svc: Svc) -> Prediction:
    return api.get_prediction(svc, prediction_id)


@router.get("/domains")
def domains(svc: Svc) -> Domains:
    return api.domains(svc)
