"""Chat about videos: OpenAI-compatible messages, tools that act on indexed videos, artifacts
(frames, clips) and VLM Run-style requests. :class:`ChatService` is the entry point."""

from vidsense.agent.service import MODEL_ID, ChatService

__all__ = ["MODEL_ID", "ChatService"]
