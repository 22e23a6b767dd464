"""Every capability's model entry, in one dict built from what imports."""

from __future__ import annotations

from vidsense.config import Settings
from vidsense.models.base import ModelEntry, ModelStatus

# capability -> entry class. Each perception module's entry is listed here once.
ENTRIES: dict[str, type[ModelEntry]] = {}


def register(entry: type[ModelEntry]) -> type[ModelEntry]:
    ENTRIES[entry.capability] = entry
    return entry


def _load_entries() -> None:
    # Importing the modules runs their @register decorators.
    from vidsense.models import entries  # noqa: F401


def entries_for(settings: Settings) -> list[ModelEntry]:
    _load_entries()
    return [cls(settings) for cls in ENTRIES.values()]


def entry(capability: str, settings: Settings) -> ModelEntry:
    _load_entries()
    return ENTRIES[capability](settings)


def list_models(settings: Settings) -> list[ModelStatus]:
    return [e.status() for e in entries_for(settings)]


def install_models(settings: Settings) -> list[ModelStatus]:
    return [e.install() for e in entries_for(settings)]
