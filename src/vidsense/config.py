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


class Settings(BaseSettings):
    """Configuration for every face of vidsense (CLI, server, client in-process)."""

    model_config = SettingsConfigDict(
        env_prefix="VIDSENSE_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    decode_threads: int = Field(
        default=0, description="decoder threads per video (0 = one per core)"
    )

    @property
    def cache_dir(self) -> Path:
        """Downloaded sources live here, keyed by URL hash."""
        return self.data_dir / "cache"
