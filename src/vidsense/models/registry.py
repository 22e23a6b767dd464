"""Every capability's model entry, in one table, and the one place that picks them.

The table is built from the entry classes imported here (as PySceneDetect lists its
``AVAILABLE_BACKENDS``): an entry module registers nothing itself, so nothing depends on which
modules happen to be imported.
"""

from __future__ import annotations

from vidsense.config import Settings
from vidsense.errors import InvalidArgument
from vidsense.models.base import ModelEntry, ModelStatus
from vidsense.models.ocr import OcrEntry
from vidsense.models.text_embedding import TextEmbeddingEntry
from vidsense.models.visual import VisualEntry
from vidsense.models.whisper import WhisperEntry
from vidsense.models.yamnet import YamnetEntry

ENTRIES: dict[str, type[ModelEntry]] = {
    entry.capability: entry
    for entry in (WhisperEntry, OcrEntry, YamnetEntry, TextEmbeddingEntry, VisualEntry)
}
"""capability -> the class of its model entry, in the order ``vidsense models list`` shows."""


def entries_for(settings: Settings) -> list[ModelEntry]:
    return [cls(settings) for cls in ENTRIES.values()]


def entry(capability: str, settings: Settings) -> ModelEntry:
    """The model entry of ``capability`` (``speech``, ``ocr``, ``audio_events``,
    ``text_embedding``, ``visual_embedding``) as ``settings`` configure it."""
    if capability not in ENTRIES:
        raise InvalidArgument(
            f"unknown model capability {capability!r}; choose from {', '.join(ENTRIES)}"
        )
    return ENTRIES[capability](settings)


def list_models(settings: Settings) -> list[ModelStatus]:
    return [e.status() for e in entries_for(settings)]


def install_models(settings: Settings) -> list[ModelStatus]:
    return [e.install() for e in entries_for(settings)]
