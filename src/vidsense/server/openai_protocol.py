"""Wire models of the OpenAI-compatible routes (chat completions, files, artifacts) and of the
VLM Run-style ``/video/generate``. Requests keep unknown fields (``session_id``, ``toolsets``,
``media_io_kwargs``, ...) so clients that send extras through ``extra_body`` are accepted."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChatCompletionRequest(BaseModel):
    """``POST /v1/chat/completions``; ``messages`` are read by :mod:`vidsense.agent.messages`."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    messages: list[Any] = Field(description="OpenAI chat messages (text, image_url, video_url, "
                                "input_file/file parts)")  # fmt: skip
    stream: bool = False
    response_format: dict[str, Any] | None = None
    session_id: str | None = Field(default=None, description="keeps videos and artifacts together")
    tools: list[Any] | None = Field(
        default=None,
        description="client tools: forwarded to a writer that calls tools (openai, local); "
        "ignored by the extractive writer",
    )
    tool_choice: Any = None
    temperature: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class VideoGenerateRequest(BaseModel):
    """VLM Run's ``POST /v1/video/generate``."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    domain: str | None = None
    url: str | None = None
    file_id: str | None = None
    batch: bool = False
    config: dict[str, Any] | None = None
    callback_url: str | None = None
    prompt: str | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)
