"""The FastAPI app factory: the library API under ``/v1`` (and ``/v1.2``, ``/v1.3`` so Twelve
Labs code works by changing only its base URL), the OpenAI-compatible routes under ``/v1`` and
again under VLM Run's agent base ``/v1/openai``, VLM Run's routes under ``/v1``, ``GET /health``,
and every error in its family's envelope (:mod:`vidsense.api.envelopes`). A path with a trailing
slash is served as the path without it (no redirect: some clients do not follow one with a
body).

The lifespan opens the :class:`~vidsense.api.services.Services` of the library the settings
name (``VIDSENSE_DATABASE_URL``, by default ``sqlite:///DATA_DIR/vidsense.db``, blobs in
``DATA_DIR/blobs``) and starts the indexing and job workers; on shutdown the workers stop
(running tasks and jobs are handed back for a retry) and the store closes. Routers only turn
HTTP into calls of :mod:`vidsense.api` and its answers back into HTTP. Around them: request
bodies held to their limits (:mod:`vidsense.server.limits`), one way to fail
(:mod:`vidsense.server.errors`), and the OpenAPI document behind the key
(:mod:`vidsense.server.openapi`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from vidsense import __version__
from vidsense.api.services import Services
from vidsense.config import Settings
from vidsense.server import errors, openapi
from vidsense.server.deps import require_api_key
from vidsense.server.limits import BodyLimit
from vidsense.server.routers import (
    assets,
    chat,
    embeddings,
    executions,
    files,
    generation,
    health,
    indexes,
    media,
    people,
    renders,
    search,
    skills,
    tasks,
    ui,
    videos,
    vlmrun,
    writing,
)
from vidsense.signing import signer

log = logging.getLogger(__name__)

API_PREFIXES = ("/v1", "/v1.2", "/v1.3")
"""Every prefix the API answers under; only the first appears in the OpenAPI schema."""
OPENAI_PREFIXES = ("/v1", "/v1/openai")
"""Where the OpenAI-compatible routes answer: ``/v1``, and VLM Run's agent base (its SDK sends
``client.agent.completions`` to ``{base_url}/openai``)."""


class ServeTrailingSlash:
    """Route ``/v1.2/search/`` as ``/v1.2/search``: the same answer, not a 307 redirect."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            scope = dict(scope)
            scope["path"] = path.rstrip("/") or "/"
            raw = scope.get("raw_path")
            if isinstance(raw, bytes):
                scope["raw_path"] = raw.rstrip(b"/") or b"/"
        await self.app(scope, receive, send)


def create_app(
    settings: Settings | None = None, *, workers: int | None = None, run_workers: bool = True
) -> FastAPI:
    """The vidsense HTTP app.

    ``workers``: indexing threads (default ``settings.worker_count``); ``run_workers=False``
    serves the API without indexing or jobs (they wait for another process's workers).
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await run_in_threadpool(Services.open, settings)
        app.state.services = services
        if run_workers:
            services.start_workers(workers)
        try:
            yield
        finally:
            await run_in_threadpool(services.close)

    app = FastAPI(
        title="vidsense",
        version=__version__,
        summary="Self-hosted video understanding with Twelve Labs-shaped library APIs.",
        lifespan=lifespan,
        openapi_url=None,  # served by vidsense.server.openapi, behind the key
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.api_keys = settings.api_keys
    app.state.signer = signer(settings.api_key)  # signed media URLs (None without keys)
    app.add_middleware(BodyLimit, settings=settings)
    errors.install(app)  # outside the body limits, so that their refusals get the envelope
    openapi.install(app, settings)
    app.router.redirect_slashes = False
    app.add_middleware(ServeTrailingSlash)
    app.include_router(health.router)
    app.include_router(ui.router)  # the web UI at / (asks for the key itself)
    guarded = [Depends(require_api_key)]
    for i, prefix in enumerate(API_PREFIXES):
        for router in (
            health.router,  # VLM Run's client checks its key on {base_url}/health
            indexes.router,
            tasks.router,
            videos.router,
            assets.router,
            search.router,
            people.router,
            writing.router,
            embeddings.router,
        ):
            app.include_router(
                router, prefix=prefix, dependencies=guarded, include_in_schema=i == 0
            )
    for i, prefix in enumerate(OPENAI_PREFIXES):
        for router in (chat.router, files.router):
            app.include_router(
                router, prefix=prefix, dependencies=guarded, include_in_schema=i == 0
            )
    # VLM Run requests, skills, executions, renders and generated videos under /v1 only;
    # artifacts check a key or a URL signature.
    for router in (
        media.router,
        vlmrun.router,
        skills.router,
        executions.router,
        renders.router,
        generation.router,
    ):
        app.include_router(router, prefix="/v1", dependencies=guarded)
    app.include_router(files.public_router, prefix="/v1")
    app.include_router(assets.public_router, prefix="/v1")
    return app
