"""Generated videos in OpenAI's Videos API shape: ``POST /v1/videos`` queues a job of kind
``video_generation`` (id ``video_...``) that the configured generator runs
(:mod:`vidsense.studio.generators`); ``GET /v1/videos/{id}`` follows it, ``.../content`` serves
the video, its thumbnail or its spritesheet; list; delete.

::

    create ──check──► queued ──worker──► in_progress (progress) ──► completed | failed
     (a bad request is a 400 naming the parameter)

A request that names the model ``storyboard`` gets the built-in storyboard renderer whatever
the configured generator; any other model goes to the configured one. Files live under
``videos/<id>/`` (a reference image under ``videos/references/``) and go with the video.

:func:`generate_video` is the same generation in one call, for chat and Python.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from vidsense.config import VideoSettings
from vidsense.errors import Cancelled, Conflict, InvalidArgument, NotFound, TaskInterrupted
from vidsense.jobs.runs import Handler, JobRun
from vidsense.library import Library
from vidsense.store import JobRecord
from vidsense.store.base import new_id
from vidsense.studio.generators import (
    GeneratedVideo,
    GenerationRequest,
    StoryboardGenerator,
    VideoGenerator,
    make_generator,
    parse_size,
)
from vidsense.studio.generators.base import Progress
from vidsense.studio.sources import output_key

log = logging.getLogger(__name__)

KIND: Literal["video_generation"] = "video_generation"
DEFAULT_SECONDS = "4"
DEFAULT_SIZE = "720x1280"
"""OpenAI's defaults when a request leaves ``seconds`` or ``size`` out."""
MAX_PROMPT = 10_000
"""Longest prompt, characters."""
MAX_REFERENCE_BYTES = 25 * 1024**2
"""Largest reference image, bytes."""
STORYBOARD_MODELS = frozenset({"storyboard", "vidsense-storyboard"})
"""Model names that always pick the built-in storyboard renderer."""
Variant = Literal["video", "thumbnail", "spritesheet"]
_MEDIA = {"video": "video/mp4", "thumbnail": "image/jpeg", "spritesheet": "image/jpeg"}
_IMAGE_TYPES = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}


@dataclass(frozen=True)
class ReferenceImage:
    """An image a generation starts from: its bytes and the name it came with."""

    data: bytes
    filename: str = "reference"


@dataclass(frozen=True)
class VideoFile:
    path: Path
    media_type: str
    filename: str


def pick_generator(settings: VideoSettings, model: str | None) -> VideoGenerator:
    """The storyboard renderer for a storyboard model name, else the configured generator."""
    if model is not None and model.strip().lower() in STORYBOARD_MODELS:
        return StoryboardGenerator(settings.voice)
    return make_generator(settings)


def _seconds(text: str | int | None) -> int:
    value = str(DEFAULT_SECONDS if text is None else text).strip()
    if not value.isdigit() or int(value) <= 0:
        raise InvalidArgument(
            f'seconds: {value!r} is not a whole number of seconds (e.g. "8")', param="seconds"
        )
    return int(value)


def _reference_extension(image: ReferenceImage) -> str:
    from PIL import Image, UnidentifiedImageError

    if len(image.data) > MAX_REFERENCE_BYTES:
        raise InvalidArgument(
            f"input_reference: the image is over {MAX_REFERENCE_BYTES // 1024**2} MB",
            param="input_reference",
        )
    try:
        with Image.open(BytesIO(image.data)) as opened:
            kind = str(opened.format)
            opened.verify()
    except (UnidentifiedImageError, OSError) as e:
        raise InvalidArgument(
            f"input_reference: {image.filename} is not an image (PNG, JPEG, WebP, ...)",
            param="input_reference",
        ) from e
    if kind not in _IMAGE_TYPES:
        raise InvalidArgument(
            f"input_reference: {kind} images are not accepted; send PNG, JPEG or WebP",
            param="input_reference",
        )
    return _IMAGE_TYPES[kind]


class Videos:
    """Generated videos over a library (thread-safe; the jobs hold the state)."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.settings = library.settings.videos

    def create(
        self,
        prompt: str,
        *,
        model: str | None = None,
        seconds: str | int | None = None,
        size: str | None = None,
        image: ReferenceImage | None = None,
    ) -> JobRecord:
        """Check a request and queue it (a 400 naming the parameter when it is bad)."""
        if not isinstance(prompt, str) or not prompt.strip():
            raise InvalidArgument("prompt: describe the video to make", param="prompt")
        if len(prompt) > MAX_PROMPT:
            raise InvalidArgument(f"prompt: at most {MAX_PROMPT} characters", param="prompt")
        generator = pick_generator(self.settings, model)
        count = _seconds(seconds)
        width, height = parse_size(size or DEFAULT_SIZE)
        generator.check(GenerationRequest(prompt, count, width, height, model))
        request: dict[str, Any] = {
            "prompt": prompt,
            "model": generator.model_name(model),
            "asked_model": model,
            "generator": generator.NAME,
            "seconds": str(count),
            "size": f"{width}x{height}",
            "input_reference": None,
        }
        if image is not None:
            extension = _reference_extension(image)
            staged = self.library.work_dir(f"reference-{new_id()}") / f"reference.{extension}"
            staged.write_bytes(image.data)
            key = f"videos/references/{new_id()}.{extension}"
            request["input_reference"] = self.library.keep_file(key, staged)
            shutil.rmtree(staged.parent, ignore_errors=True)
        return self.library.submit_job(KIND, request)

    def get(self, video_id: str) -> JobRecord:
        try:
            return self.library.get_job(video_id, KIND)
        except NotFound as e:
            raise NotFound(
                f"no video {video_id!r}", code="video_not_found", param="video_id"
            ) from e

    def list(
        self, *, after: str | None = None, limit: int = 20, order: str = "desc"
    ) -> tuple[list[JobRecord], bool]:
        """Videos newest first (``order`` ``asc``: oldest first), after the video ``after``;
        and whether more follow."""
        if order not in ("asc", "desc"):
            raise InvalidArgument("order: asc or desc", param="order")
        if not 1 <= limit <= 100:
            raise InvalidArgument("limit: between 1 and 100", param="limit")
        jobs = self.library.list_jobs(kind=KIND, limit=1000, descending=order == "desc")
        if after is not None:
            ids = [j.id for j in jobs]
            if after not in ids:
                raise NotFound(f"no video {after!r}", code="video_not_found", param="after")
            jobs = jobs[ids.index(after) + 1 :]
        return jobs[:limit], len(jobs) > limit

    def delete(self, video_id: str) -> JobRecord:
        """Delete a video and its files (stopping its generation when it runs)."""
        job = self.get(video_id)
        self.library.delete_job(video_id, files=output_key(video_id))
        reference = job.request.get("input_reference")
        if reference:
            self.library.delete_files(str(reference))
        return job

    def content(self, video_id: str, variant: str = "video") -> VideoFile:
        if variant not in _MEDIA:
            raise InvalidArgument(
                f"variant: {variant!r}; choose video, thumbnail or spritesheet", param="variant"
            )
        job = self.get(video_id)
        result = job.result or {}
        if job.status != "completed" or not result.get(variant):
            raise Conflict(
                f"video {video_id} has no {variant}: it is {job.status}", code="video_not_ready"
            )
        suffix = "mp4" if variant == "video" else "jpg"
        return VideoFile(
            self.library.blob_path(str(result[variant])),
            _MEDIA[variant],
            f"{video_id}{'' if variant == 'video' else '-' + variant}.{suffix}",
        )

    # -- the job -------------------------------------------------------------------------------

    def run(self, run: JobRun) -> dict[str, Any]:
        """Make a claimed video and keep its files (the job handler)."""
        job = run.job
        asked = job.request.get("asked_model")
        if job.request.get("generator") == StoryboardGenerator.NAME:
            generator: VideoGenerator = StoryboardGenerator(self.settings.voice)
        else:
            generator = pick_generator(self.settings, asked)
        width, height = parse_size(str(job.request["size"]))
        reference = job.request.get("input_reference")
        image = self.library.blob_path(str(reference)) if reference else None
        request = GenerationRequest(
            str(job.request["prompt"]), int(job.request["seconds"]), width, height, asked, image
        )
        work = self.library.work_dir(job.id)
        prefix = output_key(job.id)
        try:
            made = generator.generate(
                request, work, progress=lambda f: run.progress(100.0 * f), cancel=run.cancel
            )
            if run.lost:
                raise Cancelled(f"video {job.id} was deleted")
            files = {"video": self.library.keep_file(f"{prefix}video.mp4", made.path)}
            for name, path in (("thumbnail", made.thumbnail), ("spritesheet", made.spritesheet)):
                if path is not None:
                    files[name] = self.library.keep_file(f"{prefix}{name}.jpg", path)
        except Cancelled as e:
            if run.lost:
                raise
            raise TaskInterrupted(f"video {job.id} was interrupted; it will start again") from e
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if run.lost:
            self.library.delete_files(prefix)
        return {
            **files,
            "file": files["video"],
            "seconds": round(made.seconds, 3),
            "width": made.width,
            "height": made.height,
            "model": made.model,
            "metadata": made.metadata,
        }


def video_handler(videos: Videos) -> Handler:
    """The job handler of kind ``video_generation``."""

    def handle(run: JobRun) -> Mapping[str, Any]:
        return videos.run(run)

    return handle


def generate_video(
    library: Library,
    prompt: str,
    out: Path,
    *,
    seconds: int = 8,
    size: str = "1280x720",
    image: Path | None = None,
    model: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> GeneratedVideo:
    """Make a video from ``prompt`` (and a reference ``image``) with the configured generator
    (``VIDSENSE_VIDEOS__GENERATOR``; the storyboard renderer by default, which makes 4, 8 or
    12 s: ``seconds`` is rounded to the nearest of those) and write it to ``out`` (MP4). Its
    ``metadata`` says what made it."""
    generator = pick_generator(library.settings.videos, model)
    if isinstance(generator, StoryboardGenerator):
        from vidsense.studio.generators.storyboard import SECONDS

        seconds = min(SECONDS, key=lambda s: (abs(s - seconds), s))
    width, height = parse_size(size)
    request = GenerationRequest(prompt, int(seconds), width, height, model, image)
    generator.check(request)
    work = library.work_dir(f"generate-{new_id()}")
    try:
        made = generator.generate(request, work, progress=progress, cancel=cancel)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(made.path), out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dataclasses.replace(made, path=out, thumbnail=None, spritesheet=None)
