"""``client.renders`` (timeline specs and edits rendered by the server's job workers) and
``client.generated`` (videos made from a prompt, OpenAI's Videos API shape)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from vidsense.api.generation import VideoGeneration
from vidsense.api.renders import Render
from vidsense.api.wire import Upload
from vidsense.client._transport import Transport
from vidsense.errors import VidsenseError
from vidsense.media.source import local_file
from vidsense.waiting import wait_for

RENDER_ENDED = ("completed", "failed")
"""The statuses a render (and a generated video) ends in."""


J = TypeVar("J", Render, VideoGeneration)


def _wait(
    get: Callable[[], J],
    what: str,
    timeout: float | None,
    poll: float,
    progress: Callable[[J], None] | None,
) -> J:
    """Poll ``get`` until what it answers completed or failed (returned, not raised)."""
    return wait_for(
        get,
        lambda job: job.status in RENDER_ENDED,
        progress=progress,
        timeout=timeout,
        interval=poll,
        timed_out=lambda job: VidsenseError(
            f"{what} is still {job.status} after {timeout} s", code="timeout"
        ),
    )


class Renders:
    """``client.renders``: render a spec or run an edit, follow it, download the file."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def create(self, spec: Mapping[str, Any]) -> Render:
        """Queue a timeline spec (:mod:`vidsense.media.timeline`); a bad one raises
        ``InvalidArgument`` naming the field."""
        return self._t.create_render(dict(spec))

    def edit(self, name: str, **params: Any) -> Render:
        """Queue an edit (``reel``, ``subtitles``, ``reframe``, ``speed``, ``animation``,
        ``concat``, ``slideshow``, ``watermark``, ``trim``) with its parameters."""
        return self._t.create_edit(name, {k: v for k, v in params.items() if v is not None})

    def get(self, render_id: str) -> Render:
        return self._t.get_render(render_id)

    def wait(
        self,
        render_id: str,
        *,
        timeout: float | None = None,
        poll: float = 0.5,
        progress: Callable[[Render], None] | None = None,
    ) -> Render:
        """Poll until the render completed or failed (returned, not raised). In-process, the
        job workers start here first."""
        self._t.start_workers()
        return _wait(lambda: self.get(render_id), f"render {render_id}", timeout, poll, progress)

    def cancel(self, render_id: str) -> Render:
        return self._t.cancel_render(render_id)

    def delete(self, render_id: str) -> None:
        self._t.delete_render(render_id)

    def download(self, render_id: str, out: str | Path) -> Path:
        """Write the rendered file to ``out``."""
        return self._t.download_render(render_id, Path(out).expanduser())


class GeneratedVideos:
    """``client.generated``: make a video from a prompt (and an image), follow it, download
    it (or its ``thumbnail`` / ``spritesheet``)."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def create(
        self,
        prompt: str,
        *,
        seconds: int | str | None = None,
        size: str | None = None,
        model: str | None = None,
        image: str | Path | None = None,
    ) -> VideoGeneration:
        fields = {"prompt": prompt}
        for name, value in (("seconds", seconds), ("size", size), ("model", model)):
            if value is not None:
                fields[name] = str(value)
        upload = None
        if image is not None:
            path = local_file(image)
            upload = Upload(path.name, path.read_bytes())
        return self._t.create_video(fields, upload)

    def get(self, video_id: str) -> VideoGeneration:
        return self._t.get_generated_video(video_id)

    def wait(
        self,
        video_id: str,
        *,
        timeout: float | None = None,
        poll: float = 0.5,
        progress: Callable[[VideoGeneration], None] | None = None,
    ) -> VideoGeneration:
        self._t.start_workers()
        return _wait(lambda: self.get(video_id), f"video {video_id}", timeout, poll, progress)

    def download(self, video_id: str, out: str | Path, variant: str = "video") -> Path:
        return self._t.download_generated_video(video_id, variant, Path(out).expanduser())
