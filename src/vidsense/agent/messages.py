"""OpenAI chat messages read into what the chat needs: the request (the last user turn), the
media it is about, and the turns before it.

Content may be a string or a list of parts: ``text``, ``image_url`` (http(s) or a data URI),
``image`` (VLM Run's ``{"type": "image", "image": <data URI or URL>}``), ``video_url`` (a
string or ``{"url": ...}``), ``file_url`` (VLM Run's), ``input_file``/``file`` (``file_id``,
or ``file_data`` as a data URI). The media of the last user turn are the ones
asked about; when it has none, the most recent earlier turn's media stay in play.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from vidsense.errors import InvalidArgument

MediaKind = Literal["video", "image", "file"]
ROLES = ("system", "developer", "user", "assistant", "tool", "function")


@dataclass(frozen=True)
class MediaRef:
    """A piece of media named in a message: a URL (http(s), ``data:``, ``file://``) or a file
    id from ``/v1/files``."""

    kind: MediaKind
    url: str | None = None
    file_id: str | None = None


@dataclass(frozen=True)
class Turn:
    role: str
    text: str
    media: tuple[MediaRef, ...] = ()


@dataclass(frozen=True)
class Conversation:
    """The turns in order; :attr:`request` is the last user turn."""

    turns: tuple[Turn, ...]
    system: str = ""
    history: tuple[Turn, ...] = field(default=())

    @property
    def request(self) -> Turn:
        return next(t for t in reversed(self.turns) if t.role == "user")

    def media(self) -> tuple[MediaRef, ...]:
        """The media the request is about: its own, else the latest earlier turn's."""
        for turn in reversed(self.turns):
            if turn.role == "user" and turn.media:
                return turn.media
        return ()


def _url_of(value: Any, name: str) -> str:
    url = value.get("url") if isinstance(value, dict) else value
    if not isinstance(url, str) or not url.strip():
        raise InvalidArgument(
            f"{name} needs a url (a string or {{'url': ...}})", param=f"messages.{name}"
        )
    return url.strip()


def content_part(part: Any, where: str) -> tuple[str, MediaRef | None]:
    """One content part read: ``(text, None)`` or ``("", media)``; ``where`` names it in
    errors (``param``)."""
    if isinstance(part, str):
        return part, None
    if not isinstance(part, dict):
        raise InvalidArgument(f"{where} must be a content part object", param=where)
    kind = part.get("type")
    if kind in ("text", "input_text"):
        text = part.get("text")
        if not isinstance(text, str):
            raise InvalidArgument(f"{where}.text must be a string", param=where)
        return text, None
    if kind in ("image_url", "input_image"):
        return "", MediaRef("image", url=_url_of(part.get("image_url", part.get("url")), kind))
    if kind == "image":  # VLM Run's PIL path: {"type": "image", "image": "data:image/jpeg;..."}
        return "", MediaRef("image", url=_url_of(part.get("image"), kind))
    if kind == "video_url":
        return "", MediaRef("video", url=_url_of(part.get("video_url"), kind))
    if kind == "file_url":  # VLM Run's file by URL (a video, an image, ...)
        return "", MediaRef("file", url=_url_of(part.get("file_url"), kind))
    if kind in ("input_file", "file"):
        inner = part.get("file", part)
        if not isinstance(inner, dict):
            raise InvalidArgument(f"{where}.file must be an object", param=where)
        if isinstance(inner.get("file_id"), str):
            return "", MediaRef("file", file_id=inner["file_id"])
        if isinstance(inner.get("file_data"), str):
            return "", MediaRef("file", url=inner["file_data"])
        if inner.get("file_url") is not None:  # a string, or VLM Run's {"url": ...}
            return "", MediaRef("video", url=_url_of(inner["file_url"], "file_url"))
        raise InvalidArgument(f"{where} needs a file_id or file_data", param=where)
    raise InvalidArgument(
        f"{where}: content part type {kind!r} is not supported; use text, image_url, "
        "image, video_url, file_url, input_file or file",
        param=where,
    )


def parse_messages(messages: Any) -> Conversation:
    """Read an OpenAI ``messages`` list; it must hold at least one user turn."""
    if not isinstance(messages, list) or not messages:
        raise InvalidArgument("messages must be a non-empty list", param="messages")
    turns: list[Turn] = []
    system: list[str] = []
    for n, message in enumerate(messages):
        where = f"messages[{n}]"
        if not isinstance(message, dict):
            raise InvalidArgument(f"{where} must be an object", param=where)
        role = message.get("role")
        if role not in ROLES:
            raise InvalidArgument(
                f"{where}.role must be one of {', '.join(ROLES)}, got {role!r}", param=where
            )
        content = message.get("content")
        texts: list[str] = []
        media: list[MediaRef] = []
        if isinstance(content, list):
            for k, part in enumerate(content):
                text, ref = content_part(part, f"{where}.content[{k}]")
                if text:
                    texts.append(text)
                if ref is not None:
                    media.append(ref)
        elif isinstance(content, str):
            texts.append(content)
        elif content is not None:
            raise InvalidArgument(f"{where}.content must be a string or a list", param=where)
        text = "\n".join(t.strip() for t in texts if t.strip())
        if role in ("system", "developer"):
            system.append(text)
            continue
        turns.append(Turn(str(role), text, tuple(media)))
    if not any(t.role == "user" for t in turns):
        raise InvalidArgument("messages need at least one user message", param="messages")
    last = max(i for i, t in enumerate(turns) if t.role == "user")
    return Conversation(tuple(turns), "\n".join(system), tuple(turns[:last]))


def with_skills(
    body: dict[str, Any], tasks: list[str], schema: dict[str, Any] | None
) -> dict[str, Any]:
    """A chat request with the skills it named applied (VLM Run's ``extra_body.skills``): their
    ``tasks`` (instructions and reference files) added as text to the last user message, and
    the first skill's ``schema`` as the ``response_format`` when the request gave none."""
    if not tasks and schema is None:
        return body
    out = dict(body)
    messages = [dict(m) if isinstance(m, dict) else m for m in body.get("messages") or []]
    users = [n for n, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "user"]
    if tasks and users:
        last = messages[users[-1]]
        content = last.get("content")
        parts = (
            list(content)
            if isinstance(content, list)
            else [{"type": "text", "text": content or ""}]
        )
        last["content"] = parts + [{"type": "text", "text": t} for t in tasks]
    out["messages"] = messages
    if schema is not None and body.get("response_format") is None:
        out["response_format"] = {"type": "json_schema", "schema": schema}
    return out
