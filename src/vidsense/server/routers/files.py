"""``/v1/files`` (uploads chat messages refer to by ``file_id``; OpenAI's and VLM Run's shapes,
see :func:`vidsense.api.openai.vlmrun_caller`) and the artifacts chat replies link to
(``/v1/artifacts/...``).

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

from vidsense.agent.files import FilePurpose
from vidsense.api import openai as api
from vidsense.api.limits import MAX_FIELD_BYTES, MAX_SKIP
from vidsense.api.openai import ArtifactList, FileDeleted, FileList, FileObject
from vidsense.errors import Unauthorized
from vidsense.server.deps import Svc, require_api_key
from vidsense.server.responses import ArtifactFileResponse

router = APIRouter(tags=["files"])
public_router = APIRouter(tags=["files"])
OneOfQ = Annotated[
    str | None, Query(min_length=1, description="give exactly one of session_id, execution_id")
]


@router.post("/files", status_code=201, response_model_exclude_unset=True)
async def create_file(request: Request, svc: Svc) -> FileObject:
    """``purpose`` as a form field (OpenAI) or in the query string (VLM Run); default
    ``user_data``. 201 Created (VLM Run's SDK accepts nothing else)."""
    async with request.form(max_part_size=MAX_FIELD_BYTES) as form:
        upload = form.get("file")
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "file"}
        if "purpose" not in fields and "purpose" in request.query_params:
            fields["purpose"] = request.query_params["purpose"]
        if isinstance(upload, str):  # a part without a filename: its text is the file
            stream: BinaryIO | None = io.BytesIO(upload.encode())
        else:
            stream = upload.file if isinstance(upload, UploadFile) else None
        name = upload.filename if isinstance(upload, UploadFile) else None
        return await run_in_threadpool(api.create_file, svc, stream, name or "file", fields)


@router.get("/files", response_model_exclude_unset=True)
def list_files(
    request: Request,
    svc: Svc,
    purpose: FilePurpose | None = None,
    skip: Annotated[int, Query(ge=0, le=MAX_SKIP)] = 0,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> FileList | list[FileObject]:
    vlmrun = api.vlmrun_caller(
        request.url.path, request.headers.get("x-client-id"), request.query_params
    )
    return api.list_files(svc, purpose, vlmrun, skip, limit)


@router.get("/files/{file_id}", response_model_exclude_unset=True)
def get_file(file_id: str, svc: Svc) -> FileObject:
    return api.get_file(svc, file_id)


@router.get("/files/{file_id}/content")
def file_content(file_id: str, svc: Svc) -> FileResponse:
    found = api.file_content(svc, file_id)
    return FileResponse(found.path, filename=found.filename, media_type="application/octet-stream")


@router.delete("/files/{file_id}", response_model_exclude_unset=True)
def delete_file(request: Request, file_id: str, svc: Svc) -> FileDeleted | FileObject:
    vlmrun = api.vlmrun_caller(
        request.url.path, request.headers.get("x-client-id"), request.query_params
    )
    return api.delete_file(svc, file_id, vlmrun)


# -- artifacts (key or signature) ----------------------------------------------------------------


async def _check_access(request: Request, svc: Svc, session_id: str, object_id: str) -> None:
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


async def _artifact(request: Request, svc: Svc, session_id: str, object_id: str) -> FileResponse:
    await _check_access(request, svc, session_id, object_id)
    found = api.artifact(svc, session_id, object_id)
    return ArtifactFileResponse(found.path, media_type=found.media_type)


@public_router.get("/artifacts/list")
async def list_artifacts(
    request: Request,
    svc: Svc,
    session_id: OneOfQ = None,
    execution_id: OneOfQ = None,
) -> ArtifactList:
    """VLM Run's ``artifacts.list``: a session's (or an execution's) artifacts (needs the
    key)."""
    namespace = api.artifact_namespace(session_id, execution_id)
    if request.app.state.api_keys:
        await require_api_key(request)
    return api.list_artifacts(svc, namespace)


@public_router.get("/artifacts/{session_id}/{object_id}")
async def artifact(session_id: str, object_id: str, request: Request, svc: Svc) -> FileResponse:
    return await _artifact(request, svc, session_id, object_id)


@public_router.get("/artifacts")
async def artifact_by_query(
    request: Request,
    svc: Svc,
    object_id: Annotated[str, Query(min_length=1)],
    session_id: OneOfQ = None,
    execution_id: OneOfQ = None,
) -> FileResponse:
    """VLM Run's ``artifacts.get``: ``object_id`` of a ``session_id`` or ``execution_id``."""
    namespace = api.artifact_namespace(session_id, execution_id)
    return await _artifact(request, svc, namespace, object_id)
