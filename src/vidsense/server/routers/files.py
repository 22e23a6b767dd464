"""OpenAI's ``/v1/files`` (uploads chat messages refer to by ``file_id``) and the artifacts
chat replies link to (``/v1/artifacts/...``).

``router`` sits behind the API key guard; ``public_router`` (artifacts) checks for itself: a
valid key, or a valid URL signature (the links chat replies give).
"""

from __future__ import annotations

import io
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from vidsense.api import openai as api
from vidsense.api.limits import MAX_FIELD_BYTES
from vidsense.api.openai import FileDeleted, FileList, FileObject, FilePurpose
from vidsense.errors import Unauthorized
from vidsense.server.deps import Svc, require_api_key

router = APIRouter(tags=["files"])
public_router = APIRouter(tags=["files"])


@router.post("/files", response_model_exclude_unset=True)
async def create_file(request: Request, svc: Svc) -> FileObject:
    async with request.form(max_part_size=MAX_FIELD_BYTES) as form:
        upload = form.get("file")
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "file"}
        if isinstance(upload, str):  # a part without a filename: its text is the file
            stream: BinaryIO | None = io.BytesIO(upload.encode())
        else:
            stream = upload.file if isinstance(upload, UploadFile) else None
        name = upload.filename if isinstance(upload, UploadFile) else None
        return await run_in_threadpool(api.create_file, svc, stream, name or "file", fields)


@router.get("/files", response_model_exclude_unset=True)
def list_files(svc: Svc, purpose: FilePurpose | None = None) -> FileList:
    return api.list_files(svc, purpose)


@router.get("/files/{file_id}", response_model_exclude_unset=True)
def get_file(file_id: str, svc: Svc) -> FileObject:
    return api.get_file(svc, file_id)


@router.get("/files/{file_id}/content")
def file_content(file_id: str, svc: Svc) -> FileResponse:
    found = api.file_content(svc, file_id)
    return FileResponse(found.path, filename=found.filename, media_type="application/octet-stream")


@router.delete("/files/{file_id}")
def delete_file(file_id: str, svc: Svc) -> FileDeleted:
    return api.delete_file(svc, file_id)


# -- artifacts (key or signature) ----------------------------------------------------------------


async def _artifact(request: Request, svc: Svc, session_id: str, object_id: str) -> FileResponse:
    expires = request.query_params.get("expires")
    signature = request.query_params.get("signature")
    if request.app.state.api_keys:
        if signature is not None or expires is not None:
            api.verify_artifact_url(svc, session_id, object_id, expires, signature)
        else:
            try:
                await require_api_key(request)
            except Unauthorized as e:
                e.message += "; or open the signed URL the chat reply gave"
                raise
    found = api.artifact(svc, session_id, object_id)
    return FileResponse(found.path, media_type=found.media_type)


@public_router.get("/artifacts/{session_id}/{object_id}")
async def artifact(session_id: str, object_id: str, request: Request, svc: Svc) -> FileResponse:
    return await _artifact(request, svc, session_id, object_id)


@public_router.get("/artifacts")
async def artifact_by_query(
    request: Request,
    svc: Svc,
    object_id: Annotated[str, Query(min_length=1)],
    session_id: Annotated[str, Query(min_length=1)],
) -> FileResponse:
    return await _artifact(request, svc, session_id, object_id)
