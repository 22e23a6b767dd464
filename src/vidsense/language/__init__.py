"""Grounded writing: writers that turn evidence into text, and the service that picks the
evidence (chapters, highlights, relevant moments) and keeps every time from perception.

:data:`WRITERS` names every writer; :func:`make_writer` is the one place that picks one.
"""

from __future__ import annotations

from collections.abc import Callable

from vidsense.config import Settings
from vidsense.errors import InvalidArgument
from vidsense.language.base import NOT_IN_VIDEO, Gist, Writer
from vidsense.language.evidence import EvidencePack, Item, VideoEvidence
from vidsense.language.extractive import ExtractiveWriter


def _openai(settings: Settings) -> Writer:
    from vidsense.language.llm import OpenAIWriter

    return OpenAIWriter(settings.writer)


def _local(settings: Settings) -> Writer:
    from vidsense.language.llm import LocalWriter

    return LocalWriter(settings.writer)


WRITERS: dict[str, Callable[[Settings], Writer]] = {
    ExtractiveWriter.NAME: lambda settings: ExtractiveWriter(),
    "openai": _openai,
    "local": _local,
}


def make_writer(settings: Settings) -> Writer:
    """The writer ``settings.writer.kind`` names."""
    kind = settings.writer.kind
    if kind not in WRITERS:
        raise InvalidArgument(f"unknown writer {kind!r}; choose from {', '.join(WRITERS)}")
    return WRITERS[kind](settings)


__all__ = [
    "NOT_IN_VIDEO",
    "WRITERS",
    "EvidencePack",
    "ExtractiveWriter",
    "Gist",
    "Item",
    "VideoEvidence",
    "Writer",
    "make_writer",
]
