"""Artifacts a chat makes (frames, clips), kept under ``DATA_DIR/artifacts/{session_id}/``.

Ids are typed: ``img_`` + hex for JPEG frames, ``vid_`` + hex for MP4 clips. When the server
has API keys, artifact URLs are signed (:mod:`vidsense.signing`) so they open in a browser or
``<img>`` without a key; the artifact route accepts a valid signature or a valid key.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from vidsense.errors import NotFound, SignatureInvalid
from vidsense.signing import UrlSigner

__all__ = ["Artifact", "ArtifactStore", "artifact_path", "check_session_id"]

ArtifactType = Literal["image", "video"]
_ID = re.compile(r"^(img|vid)_[0-9a-f]{6,32}$")
SESSION_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")
"""What a session id may look like (it names a folder)."""
SIGNED_SECONDS = 24 * 3600
"""How long a signed artifact URL stays valid (seconds)."""


@dataclass(frozen=True)
class Artifact:
    """A stored frame or clip; times in seconds of the source video."""

    id: str
    type: ArtifactType
    path: Path
    time: float | None = None
    start: float | None = None
    end: float | None = None

    @property
    def media_type(self) -> str:
        return "image/jpeg" if self.type == "image" else "video/mp4"


def check_session_id(session_id: str) -> str:
    if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
        raise NotFound(f"no session {session_id!r}", code="session_not_found")
    return session_id


def artifact_path(session_id: str, object_id: str) -> str:
    """The URL path that serves an artifact."""
    return f"/v1/artifacts/{session_id}/{object_id}"


class ArtifactStore:
    """Artifacts on disk plus the signing of their URLs."""

    def __init__(self, root: Path, signer: UrlSigner | None) -> None:
        self.root = root
        self.signer = signer

    def new(self, session_id: str, type: ArtifactType) -> tuple[str, Path]:
        """A fresh id and the path to write it to."""
        prefix, ext = ("img", "jpg") if type == "image" else ("vid", "mp4")
        object_id = f"{prefix}_{secrets.token_hex(6)}"
        folder = self.root / check_session_id(session_id)
        folder.mkdir(parents=True, exist_ok=True)
        return object_id, folder / f"{object_id}.{ext}"

    def find(self, session_id: str, object_id: str) -> Artifact:
        check_session_id(session_id)
        found = _ID.match(object_id or "")
        if not found:
            raise NotFound(
                f"no artifact {object_id!r}: ids look like img_1a2b3c or vid_1a2b3c",
                code="artifact_not_found",
            )
        kind: ArtifactType = "image" if found.group(1) == "img" else "video"
        path = self.root / session_id / f"{object_id}.{'jpg' if kind == 'image' else 'mp4'}"
        if not path.is_file():
            raise NotFound(
                f"no artifact {object_id} in session {session_id}", code="artifact_not_found"
            )
        return Artifact(object_id, kind, path)

    # -- signed URLs -----------------------------------------------------------------------

    def url(self, base_url: str, session_id: str, object_id: str) -> str:
        """The artifact's absolute URL (signed when the server has keys)."""
        path = artifact_path(session_id, object_id)
        url = base_url.rstrip("/") + path
        if self.signer is None:
            return url
        return f"{url}?{self.signer.sign(path, SIGNED_SECONDS)}"

    def verify(self, path: str, expires: str | None, signature: str | None) -> None:
        """Raise :class:`SignatureInvalid` unless ``signature`` signs ``path`` until a future
        ``expires``."""
        if self.signer is None:
            raise SignatureInvalid("the artifact URL is not signed")
        self.signer.verify(path, expires, signature)

    def describe(self, artifact: Artifact, base_url: str, session_id: str) -> dict[str, Any]:
        """The artifact as the chat reply lists it."""
        out: dict[str, Any] = {
            "id": artifact.id,
            "type": artifact.type,
            "url": self.url(base_url, session_id, artifact.id),
        }
        for name in ("time", "start", "end"):
            value = getattr(artifact, name)
            if value is not None:
                out[name] = round(value, 3)
        return out
