"""What a video generator is: a request (prompt, seconds, size, optional reference image) in,
a video file (with a thumbnail and a spritesheet) out.

A generator checks a request before it is queued (:meth:`VideoGenerator.check`, a 400 naming
the parameter) and makes the video in a job (:meth:`VideoGenerator.generate`, with progress
and cancellation). Generators register in :data:`vidsense.studio.generators.GENERATORS`.
"""

from __future__ import annotations

import math
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidsense.errors import InvalidArgument

Progress = Callable[[float], None]
"""Called with the fraction done, 0 to 1."""

_SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})$")
SPRITE_TILES = 10
"""Frames in a spritesheet (a grid of :data:`SPRITE_COLUMNS` columns)."""
SPRITE_COLUMNS = 5
SPRITE_WIDTH = 256
"""Width (px) of each spritesheet frame."""


@dataclass(frozen=True)
class GenerationRequest:
    """What to make: ``seconds`` long, ``width`` x ``height`` pixels, from ``prompt`` (and the
    reference ``image``, a local file, when given). ``model`` is what the request asked for."""

    prompt: str
    seconds: int
    width: int
    height: int
    model: str | None = None
    image: Path | None = None

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass(frozen=True)
class GeneratedVideo:
    """A made video: its file, a JPEG ``thumbnail`` and ``spritesheet``, the ``model`` that
    made it and what the generator says about it (``metadata``)."""

    path: Path
    seconds: float
    width: int
    height: int
    model: str
    generator: str
    thumbnail: Path | None = None
    spritesheet: Path | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def parse_size(text: str, param: str = "size") -> tuple[int, int]:
    """``(width, height)`` of a size written ``1280x720``."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise InvalidArgument(
            f"{param}: {text!r} is not a size; write it WIDTHxHEIGHT, e.g. 1280x720", param=param
        )
    return int(match.group(1)), int(match.group(2))


class VideoGenerator(ABC):
    """Makes videos from prompts. ``NAME`` names it in settings (``VIDSENSE_VIDEOS__GENERATOR``)."""

    NAME: str

    def model_name(self, asked: str | None) -> str:
        """The model a request is answered with (what the ``model`` field reports)."""
        return asked or self.NAME

    @abstractmethod
    def check(self, request: GenerationRequest) -> None:
        """Raise :class:`~vidsense.errors.InvalidArgument` (``param`` ``seconds``, ``size``,
        ``prompt``, ...) for a request this generator cannot make."""

    @abstractmethod
    def generate(
        self,
        request: GenerationRequest,
        out_dir: Path,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> GeneratedVideo:
        """Make the video in ``out_dir`` (raising :class:`~vidsense.errors.Cancelled` when
        ``cancel`` is set)."""


def previews(video: Path, out_dir: Path, seconds: float) -> tuple[Path, Path]:
    """A thumbnail (the frame a third of the way in) and a spritesheet (:data:`SPRITE_TILES`
    frames spread over the video, :data:`SPRITE_COLUMNS` to a row), as JPEGs in ``out_dir``."""
    import numpy as np
    from PIL import Image

    from vidsense.media.decode import FrameSource
    from vidsense.media.frames import write_jpeg

    step = seconds / SPRITE_TILES
    times = [seconds / 3] + [step * (i + 0.5) for i in range(SPRITE_TILES)]
    with FrameSource(video, threads=1) as source:
        frames = {t: frame.full() for t, frame in source.frames_at(times)}
    thumbnail = write_jpeg(frames[times[0]], out_dir / "thumbnail.jpg")
    tiles = [Image.fromarray(frames[t]) for t in times[1:]]
    width = SPRITE_WIDTH
    height = max(1, round(tiles[0].height * width / tiles[0].width))
    rows = math.ceil(len(tiles) / SPRITE_COLUMNS)
    sheet = Image.new("RGB", (width * SPRITE_COLUMNS, height * rows))
    for i, tile in enumerate(tiles):
        small = tile.resize((width, height), Image.Resampling.LANCZOS)
        sheet.paste(small, ((i % SPRITE_COLUMNS) * width, (i // SPRITE_COLUMNS) * height))
    spritesheet = write_jpeg(np.asarray(sheet), out_dir / "spritesheet.jpg", quality=85)
    return thumbnail, spritesheet
