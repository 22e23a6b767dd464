"""The web UI: ``GET /`` is the page and ``GET /ui/{path}`` its assets.

Open to everyone, like ``/health``: the page itself holds no data, asks for the API key when
the server wants one and sends it with every API call.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from vidsense.errors import NotFound
from vidsense.ui import STATIC_DIR

router = APIRouter(tags=["ui"], include_in_schema=False)

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# Assets change with the installed version; "no-cache" lets the browser keep them but ask
# (cheaply, by ETag) whether they changed, so an upgrade never serves a stale mix of modules.
_HEADERS = {"Cache-Control": "no-cache"}


@router.get("/")
def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type=_TYPES[".html"], headers=_HEADERS)


@router.get("/ui/{path:path}")
def asset(path: str) -> FileResponse:
    root = STATIC_DIR.resolve()
    found = (root / path).resolve()
    kind = _TYPES.get(found.suffix)
    if kind is None or not found.is_relative_to(root) or not found.is_file():
        raise NotFound(f"no UI asset at /ui/{path}")
    return FileResponse(found, media_type=kind, headers=_HEADERS)
