"""Artifacts a chat makes (frames, clips), kept under ``DATA_DIR/artifacts/{session_id}/``.

Ids are typed, as VLM Run's SDK validates them: ``img_`` + 6 hex digits for JPEG frames,
``vid_`` + 6 hex digits for MP4 clips, unique within their session (a new id is reserved on
disk, drawn again on the rare collision). When the server has API keys, artifact URLs are
signed (:mod:`vidsense.signing`) so they open in a browser or ``<img>`` without a key; the
artifact route accepts a valid signature or a valid key.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from vidsense.errors import NotFound, SignatureInvalid, VidsenseError
from vidsense.signing import UrlSigner

__all__ = ["Artifact", "ArtifactStore", "artifact_path", "check_session_id"]

ArtifactType = Literal["image", "video"]
_ID = re.compile(r"^(img|vid)_[0-9a-f]{6,32}$")
SESSION_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")
"""What a session id may look like (it names a folder)."""
SIGNED_SECONDS = 24 * 3600
"""How long a signed artifact URL stays valid (seconds)."""
ID_HEX = 6
"""Hex digits after the type prefix (VLM Run's ``ImageRef``/``VideoRef`` want exactly 6)."""
_EXTENSIONS: dict[ArtifactType, tuple[str, str]] = {
    "image": ("img", "jpg"),
    "video": ("vid", "mp4"),
}
_ATTEMPTS = 64


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
        """A fresh id, unique in the session, and the path to write it to (reserved: created
        empty, so that no other request draws the same id)."""
        prefix, ext = _EXTENSIONS[type]
        folder = self.root / check_session_id(session_id)
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(_ATTEMPTS):
            object_id = f"{prefix}_{secrets.token_hex(ID_HEX // 2)}"
            path = folder / f"{object_id}.{ext}"
            try:
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                continue
            return object_id, path
        raise VidsenseError(
            f"session {session_id} holds too many artifacts to draw a new id",
            code="too_many_artifacts",
        )

    def list(self, session_id: str) -> list[Artifact]:
        """The session's artifacts, oldest first (none for a session that made none)."""
        folder = self.root / check_session_id(session_id)
        found: list[tuple[float, Artifact]] = []
        if folder.is_dir():
            for path in folder.iterdir():
                matched = _ID.match(path.stem)
                if matched is None or not path.is_file() or path.stat().st_size == 0:
                    continue  # not an artifact, or one still being written
                kind: ArtifactType = "image" if matched.group(1) == "img" else "video"
                if path.suffix != "." + _EXTENSIONS[kind][1]:
                    continue
                found.append((path.stat().st_mtime, Artifact(path.stem, kind, path)))
        return [a for _, a in sorted(found, key=lambda f: (f[0], f[1].id))]

    def find(self, session_id: str, object_id: str) -> Artifact:
        check_session_id(session_id)
        found = _ID.match(object_id or "")
        if not found:
            raise NotFound(
                f"no artifact {object_id!r}: ids look like img_1a2b3c or vid_1a2b3c",
                code="artifact_not_found",
            )
        kind: ArtifactType = "image" if found.group(1) == "img" else "video"
        path = self.root / session_id / f"{object_id}.{_EXTENSIONS[kind][1]}"
        if not path.is_file() or path.stat().st_size == 0:  # unknown, or still being written
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
