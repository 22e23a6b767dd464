"""What the chat needs from the parts of vidsense that make new videos, as two small
interfaces: a :class:`VideoGenerator` (a new video from a description, and an optional image)
and a :class:`VideoEditor` (an edit of an indexed video rendered to a file). The server plugs
in its own (:func:`configured`: the generator ``VIDSENSE_VIDEOS__GENERATOR`` names, through
:func:`vidsense.studio.videos.generate_video`, and the render engine's edits, through
:func:`vidsense.studio.edits.run_edit`); when one is missing, the chat says plainly that it
cannot do that here, and what it can do instead.

Edits are named as the render engine's edits are: ``reel`` (``video_id``, ``seconds``,
``subtitles``: ``none``/``burn``/``track``, ``output``: ``{"aspect": "9:16"}``), ``subtitles``
(``video_id``, ``mode``: ``burn``/``track``, ``start``, ``end``), ``reframe`` (``video_id``,
``aspect``, ``start``, ``end``), ``speed`` (``video_id``, ``speed``, ``start``, ``end``) and
``concat`` (``video_ids``); times in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from vidsense.library import Library


class VideoGenerator(Protocol):
    """Makes a new video: ``prompt`` (what it shows), about ``seconds`` long, ``size``
    (``"1280x720"``), starting from ``image`` when given, written to the MP4 file ``out``
    (returned)."""

    def __call__(
        self, prompt: str, seconds: float, size: str, out: Path, image: Path | None = None
    ) -> Path: ...


class VideoEditor(Protocol):
    """Renders the edit named ``edit`` with ``params`` into the MP4 file ``out`` (returned)."""

    def __call__(self, edit: str, params: Mapping[str, Any], out: Path) -> Path: ...


@dataclass(frozen=True)
class Makers:
    """The generator and the editor this server has (either may be missing), with a line
    that says what the generator is (``"the storyboard renderer (not a generative model)"``)
    and whether it is a generative model (one that makes footage of what is described)."""

    generator: VideoGenerator | None = None
    editor: VideoEditor | None = None
    generator_name: str = "the configured video generator"
    generative: bool = True


DEFAULT_SECONDS = 4.0
"""Length of a generated video when the request names none."""
DEFAULT_SIZE = "1280x720"
"""Size of a generated video when the request names none."""


STORYBOARD = (
    "the built-in storyboard renderer (title cards, or the image sent moving slowly, with "
    "narration and subtitles; not a generative model)"
)


def configured(library: Library) -> Makers:
    """This server's generator and editor, over ``library``."""
    from vidsense.studio.edits import run_edit
    from vidsense.studio.videos import generate_video

    def generator(
        prompt: str, seconds: float, size: str, out: Path, image: Path | None = None
    ) -> Path:
        made = generate_video(library, prompt, out, seconds=max(1, round(seconds)), size=size,
                              image=image)  # fmt: skip
        return made.path

    def editor(edit: str, params: Mapping[str, Any], out: Path) -> Path:
        return run_edit(library, edit, params, out).path

    kind = library.settings.videos.generator
    name = STORYBOARD if kind == "storyboard" else f"the {kind} video generator"
    return Makers(generator, editor, name, generative=kind != "storyboard")


def can_do(makers: Makers) -> str:
    """What the chat can do, for a reply that says what it cannot."""
    things = [
        "describe or summarise the video",
        "answer questions about what is said and shown in it",
        "list its chapters, highlights, shots and transcript with times",
        "take frames at given times (or every N seconds, or per chapter)",
        "cut clips between two times",
    ]
    if makers.editor is not None:
        things.append("make highlight reels, subtitled, vertical or sped-up versions")
    if makers.generator is not None:
        things.append(f"make a new video from a description with {makers.generator_name}")
    return "I can " + ", ".join(things[:-1]) + " and " + things[-1] + "."


__all__ = [
    "DEFAULT_SECONDS",
    "DEFAULT_SIZE",
    "Makers",
    "VideoEditor",
    "VideoGenerator",
    "can_do",
    "configured",
]
