"""Imports every module that registers a model entry (one line each)."""

from vidsense.models import (
    ocr,  # noqa: F401
    text_embedding,  # noqa: F401
    visual,  # noqa: F401
    whisper,  # noqa: F401
    yamnet,  # noqa: F401
)
