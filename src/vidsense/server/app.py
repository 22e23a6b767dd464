"""The FastAPI app factory: the library API under ``/v1`` (and ``/v1.2``, ``/v1.3`` so Twelve
Labs code works by changing only its base URL), ``GET /health``, one error envelope.

The lifespan opens the store that the settings name (``VIDSENSE_DATABASE_URL``, by default
``sqlite:///DATA_DIR/vidsense.db``, blobs in ``DATA_DIR/blobs``) and starts the indexing
workers; on shutdown the workers stop (running tasks are handed back for a retry) and the
store closes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from vidsense import __version__
from vidsense.config import Settings
from vidsense.jobs import make_executor
from vidsense.library import Library
from vidsense.server import errors
from vidsense.server.deps import require_api_key
from vidsense.server.routers import chat, health, indexes, media, search, tasks, ui, videos, writing
from vidsense.signing import signer

log = logging.getLogger(__name__)

API_PREFIXES = ("/v1", "/v1.2", "/v1.3")
"""Every prefix the API answers under; only the first appears in the OpenAPI schema."""


def create_app(
    settings: Settings | None = None, *, workers: int | None = None, run_workers: bool = True
) -> FastAPI:
    """The vidsense HTTP app.

    ``workers``: indexing threads (default ``settings.worker_count``); ``run_workers=False``
    serves the API without indexing (tasks wait for another process's workers).
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        library = await run_in_threadpool(Library.open, settings)
        app.state.library = library
        executor = make_executor(library, settings.executor, workers) if run_workers else None
        app.state.executor = executor
        if executor is not None:
            executor.start()
        try:
            yield
        finally:
            if executor is not None:
                await run_in_threadpool(executor.stop)
            library.close()

    app = FastAPI(
        title="vidsense",
        version=__version__,
        summary="Self-hosted video understanding with Twelve Labs-shaped library APIs.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.api_keys = settings.api_keys
    app.state.signer = signer(settings.api_key)  # signed media URLs (None without keys)
    errors.install(app)
    app.include_router(health.router)
    app.include_router(ui.router)  # the web UI at / (asks for the key itself)
    guarded = [Depends(require_api_key)]
    for i, prefix in enumerate(API_PREFIXES):
        for router in (
            indexes.router,
            tasks.router,
            videos.router,
            search.router,
            writing.router,
        ):
            app.include_router(
                router, prefix=prefix, dependencies=guarded, include_in_schema=i == 0
            )
    # OpenAI-compatible chat under /v1 only; artifacts check a key or a URL signature.
    app.include_router(media.router, prefix="/v1", dependencies=guarded)
    app.include_router(chat.router, prefix="/v1", dependencies=guarded)
    app.include_router(chat.public_router, prefix="/v1")
    return app
