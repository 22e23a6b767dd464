"""HTTP answers the api layer's results need beyond JSON: streams."""

from __future__ import annotations

from fastapi.responses import StreamingResponse
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
