"""Video generators: :data:`GENERATORS` names every one; :func:`make_generator` is the one
place that picks one (``settings.videos.generator``, or a request that names ``storyboard``)."""

from __future__ import annotations

from collections.abc import Callable

from vidsense.config import VideoSettings
from vidsense.errors import InvalidArgument
from vidsense.studio.generators.base import (
    GeneratedVideo,
    GenerationRequest,
    VideoGenerator,
    parse_size,
)
from vidsense.studio.generators.openai import OpenAIVideoGenerator
from vidsense.studio.generators.storyboard import StoryboardGenerator

GENERATORS: dict[str, Callable[[VideoSettings], VideoGenerator]] = {
    StoryboardGenerator.NAME: lambda settings: StoryboardGenerator(settings.voice),
    OpenAIVideoGenerator.NAME: OpenAIVideoGenerator,
}


def make_generator(settings: VideoSettings, name: str | None = None) -> VideoGenerator:
    """The generator called ``name`` (default ``settings.generator``)."""
    name = name or settings.generator
    if name not in GENERATORS:
        raise InvalidArgument(
            f"unknown video generator {name!r}; choose from {', '.join(GENERATORS)}"
        )
    return GENERATORS[name](settings)


__all__ = [
    "GENERATORS",
    "GeneratedVideo",
    "GenerationRequest",
    "OpenAIVideoGenerator",
    "StoryboardGenerator",
    "VideoGenerator",
    "make_generator",
    "parse_size",
]
