"""A generator that forwards to any endpoint speaking OpenAI's Videos API (a proxy in front of a
hosted text-to-video model, for instance): ``POST {base_url}/videos`` (multipart ``prompt``,
``model``, ``seconds``, ``size``, ``input_reference``), then ``GET {base_url}/videos/{id}`` every
``poll_seconds`` until it is ``completed`` or ``failed`` (its progress passed on), then
``GET .../content`` (and the ``thumbnail`` and ``spritesheet`` variants, made here from the video
when the endpoint has none). A cancelled generation is deleted at the endpoint.

The endpoint is the operator's choice (``VIDSENSE_VIDEOS__BASE_URL``), so it is called
directly, not through the address policy that guards URLs users send.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from vidsense.config import VideoSettings
from vidsense.errors import Cancelled, InvalidArgument, ToolFailed, from_answer
from vidsense.media.probe import probe
from vidsense.studio.generators.base import (
    GeneratedVideo,
    GenerationRequest,
    Progress,
    VideoGenerator,
    previews,
)

log = logging.getLogger(__name__)


class OpenAIVideoGenerator(VideoGenerator):
    """Forwards generation to ``settings.base_url`` (see the module docstring)."""

    NAME = "openai"

    def __init__(self, settings: VideoSettings) -> None:
        if not settings.base_url:
            raise InvalidArgument(
                "the openai video generator needs VIDSENSE_VIDEOS__BASE_URL (the endpoint, "
                "e.g. http://video-proxy:8000/v1)",
                code="generator_not_configured",
            )
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")

    def model_name(self, asked: str | None) -> str:
        return asked or self.settings.model or "sora-2"

    def check(self, request: GenerationRequest) -> None:
        if not request.prompt.strip():
            raise InvalidArgument("prompt: describe the video to make", param="prompt")
        if request.seconds <= 0:
            raise InvalidArgument("seconds: must be a whole number above 0", param="seconds")

    def _client(self) -> httpx.Client:
        headers = (
            {"Authorization": f"Bearer {self.settings.api_key}"} if self.settings.api_key else {}
        )
        return httpx.Client(
            base_url=self.base_url, headers=headers, timeout=httpx.Timeout(60.0, connect=10.0)
        )

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict) and "message" in error:
                raise from_answer(
                    response.status_code,
                    str(error.get("code") or "generation_failed"),
                    f"the video endpoint answered: {error['message']}",
                    param=error.get("param") if isinstance(error.get("param"), str) else None,
                )
            raise ToolFailed(
                f"the video endpoint answered HTTP {response.status_code}: {response.text[:300]}",
                code="generation_failed",
            )
        if not isinstance(body, dict):
            raise ToolFailed("the video endpoint did not answer JSON", code="generation_failed")
        return body

    def generate(
        self,
        request: GenerationRequest,
        out_dir: Path,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> GeneratedVideo:
        model = self.model_name(request.model)
        fields: list[tuple[str, Any]] = [
            ("prompt", (None, request.prompt)),
            ("model", (None, model)),
            ("seconds", (None, str(request.seconds))),
            ("size", (None, request.size)),
        ]
        if request.image is not None:
            kind = mimetypes.guess_type(request.image.name)[0] or "application/octet-stream"
            fields.append(
                ("input_reference", (request.image.name, request.image.read_bytes(), kind))
            )
        deadline = time.monotonic() + self.settings.timeout
        with self._client() as client:
            job = self._json(client.post("/videos", files=fields))
            remote = str(job["id"])
            log.info("video generation forwarded to %s as %s", self.base_url, remote)
            try:
                while str(job.get("status")) not in ("completed", "failed"):
                    if cancel is not None and cancel.is_set():
                        raise Cancelled("the generation was cancelled")
                    if time.monotonic() > deadline:
                        raise ToolFailed(
                            f"the video endpoint did not finish {remote} within "
                            f"{self.settings.timeout:g} s",
                            code="generation_timeout",
                        )
                    if progress is not None:
                        progress(0.9 * min(100.0, float(job.get("progress") or 0)) / 100)
                    if cancel is not None:
                        cancel.wait(self.settings.poll_seconds)
                    else:
                        time.sleep(self.settings.poll_seconds)
                    job = self._json(client.get(f"/videos/{remote}"))
            except Cancelled:
                try:
                    client.delete(f"/videos/{remote}")
                except httpx.HTTPError as e:
                    log.warning("could not delete %s at the endpoint: %s", remote, e)
                raise
            if job["status"] == "failed":
                error = job.get("error") or {}
                raise ToolFailed(
                    f"the video endpoint failed to make the video: "
                    f"{error.get('message') or 'no reason given'}",
                    code=str(error.get("code") or "generation_failed"),
                )
            out = out_dir / "video.mp4"
            self._download(client, f"/videos/{remote}/content", out)
        info = probe(out)
        thumbnail, spritesheet = previews(out, out_dir, info.duration)
        if progress is not None:
            progress(1.0)
        width, height = info.display_size
        return GeneratedVideo(
            path=out,
            seconds=info.duration,
            width=width,
            height=height,
            model=str(job.get("model") or model),
            generator=self.NAME,
            thumbnail=thumbnail,
            spritesheet=spritesheet,
            metadata={"generator": self.NAME, "endpoint_video_id": remote},
        )

    @staticmethod
    def _download(client: httpx.Client, path: str, out: Path) -> None:
        with client.stream("GET", path, params={"variant": "video"}) as response:
            if response.status_code >= 400:
                response.read()
                OpenAIVideoGenerator._json(response)
            with out.open("wb") as f:
                for chunk in response.iter_bytes(1 << 20):
                    f.write(chunk)
