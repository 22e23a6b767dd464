"""Every capability's model entry, in one table, and the one place that picks them.

The table is built from the entry classes imported here (as PySceneDetect lists its
``AVAILABLE_BACKENDS``): an entry module registers nothing itself, so nothing depends on which
modules happen to be imported. Speech is the capability with a choice of implementation:
``settings.models.speech_engine`` names one of :data:`SPEECH_ENGINES` (another recogniser is
plugged in by adding its entry there, the way writers and stores are added).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vidsense.config import Settings
from vidsense.errors import InvalidArgument
from vidsense.models.base import ModelEntry, ModelStatus, SpeechModel
from vidsense.models.faces import FacesEntry
from vidsense.models.imagenet import ImageLabelsEntry
from vidsense.models.lexicon import LexiconEntry
from vidsense.models.nlp import NounPhraseEntry
from vidsense.models.ocr import OcrEntry
from vidsense.models.text_embedding import TextEmbeddingEntry
from vidsense.models.visual import VisualEntry
from vidsense.models.whisper import FasterWhisperModel, WhisperEntry
from vidsense.models.wordnet import WordNetEntry
from vidsense.models.yamnet import YamnetEntry

SPEECH_ENGINES: dict[str, type[ModelEntry[SpeechModel]]] = {
    FasterWhisperModel.NAME: WhisperEntry,
}
"""Speech recognisers by the name ``settings.models.speech_engine`` gives
(``VIDSENSE_MODELS__SPEECH_ENGINE``)."""


def speech_entry(settings: Settings) -> ModelEntry[SpeechModel]:
    """The entry of the speech recogniser ``settings.models.speech_engine`` names."""
    engine = settings.models.speech_engine
    if engine not in SPEECH_ENGINES:
        raise InvalidArgument(
            f"unknown speech engine {engine!r} in VIDSENSE_MODELS__SPEECH_ENGINE; choose from "
            f"{', '.join(SPEECH_ENGINES)}"
        )
    return SPEECH_ENGINES[engine](settings)


ENTRIES: dict[str, Callable[[Settings], ModelEntry[Any]]] = {
    "speech": speech_entry,
    OcrEntry.capability: OcrEntry,
    YamnetEntry.capability: YamnetEntry,
    TextEmbeddingEntry.capability: TextEmbeddingEntry,
    VisualEntry.capability: VisualEntry,
    ImageLabelsEntry.capability: ImageLabelsEntry,
    WordNetEntry.capability: WordNetEntry,
    LexiconEntry.capability: LexiconEntry,
    NounPhraseEntry.capability: NounPhraseEntry,
    FacesEntry.capability: FacesEntry,
}
"""capability -> its model entry for given settings, in the order ``vidsense models list``
shows."""


def entries_for(settings: Settings) -> list[ModelEntry[Any]]:
    return [make(settings) for make in ENTRIES.values()]


def entry(capability: str, settings: Settings) -> ModelEntry[Any]:
    """The model entry of ``capability`` (``speech``, ``ocr``, ``audio_events``,
    ``text_embedding``, ``visual_embedding``, ``image_labels``, ``wordnet``, ``lexicon``,
    ``noun_phrases``, ``faces``) as
    ``settings`` configure it."""
    if capability not in ENTRIES:
        raise InvalidArgument(
            f"unknown model capability {capability!r}; choose from {', '.join(ENTRIES)}"
        )
    return ENTRIES[capability](settings)


def list_models(settings: Settings) -> list[ModelStatus]:
    return [e.status() for e in entries_for(settings)]


def install_models(settings: Settings) -> list[ModelStatus]:
    return [e.install() for e in entries_for(settings)]
