"""HTTP answers the api layer's results need beyond JSON: streams, artifact and made files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fastapi.responses import FileResponse, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from vidsense.api.streams import Stream


def stream_response(stream: Stream) -> StreamingResponse:
    """A :class:`~vidsense.api.streams.Stream`, encoded on a worker thread as it is read (the
    events block on the services), unbuffered by proxies."""
    return StreamingResponse(
        iterate_in_threadpool(stream.chunks()),
        media_type=stream.media_type,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def media_file(path: Path, media_type: str, filename: str) -> FileResponse:
    """A made file (a render, a generated video) to play in place or save as ``filename``;
    ``Range`` requests get 206 Partial Content, so players can seek."""
    return FileResponse(
        path,
        media_type=media_type,
        filename=filename,
        content_disposition_type="inline",
        headers={"Accept-Ranges": "bytes"},
    )


class ArtifactFileResponse(FileResponse):
    """A file sent with its ``Content-Type`` header named in exactly that case: VLM Run's SDK
    reads ``dict(response.headers)["Content-Type"]`` (a plain, case-sensitive dict), and the
    framework would name it ``content-type``."""

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        super().init_headers(headers)
        self.raw_headers = [
            (b"Content-Type" if key == b"content-type" else key, value)
            for key, value in self.raw_headers
        ]
