"""Multipart uploads (Twelve Labs' ``/assets/multipart-uploads``): a large file sent in chunks,
each PUT to its own signed URL, then reported, and made an asset once every chunk is in.

A session lives in ``DATA_DIR/files/multipart/{upload_id}/``: ``session.json`` (the file's
name, size and chunk size, the asset id it becomes, the secret its chunk URLs are signed with,
its status and when it expires), ``reported.json`` (the chunks reported, with their ETags and
sizes) and one file per chunk received (``00001``, written as ``00001.part`` and renamed once
whole; its ETag, the MD5 of its bytes as S3 gives it, in ``00001.etag``). A chunk URL opens
only that chunk's PUT, for an hour, without the API key (it is signed with the session's own
secret, as a presigned S3 URL is). When the last chunk is reported the chunks are joined into
the file store as the asset the session named (checked to be a video, as any asset is), and the
chunks are deleted; the session's record stays, ``completed`` or ``failed``, until it expires
(24 hours after it was made), when it is removed with whatever it still holds.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from vidsense.agent.files import Check, FileStore, new_file_id
from vidsense.errors import InvalidArgument, MediaError, NotFound, SourceTooLarge
from vidsense.signing import UrlSigner
from vidsense.store.base import format_time, utc_now

SESSION_SECONDS = 24 * 3600
"""How long an upload session lasts (Twelve Labs': 24 hours)."""
URL_SECONDS = 3600
"""How long a chunk's URL opens its PUT (Twelve Labs': one hour)."""
FIRST_URLS = 10
"""Chunk URLs given when a session is made; the client asks for the others."""
_ID = re.compile(r"^upload_[0-9a-f]{24}$")


@dataclass(frozen=True)
class ChunkUrl:
    chunk_index: int
    url: str
    expires_at: str


class MultipartUploads:
    """Upload sessions under ``files.root / "multipart"`` (thread-safe)."""

    def __init__(self, files: FileStore, max_bytes: int, chunk_bytes: int) -> None:
        self.files = files
        self.root = files.root / "multipart"
        self.max_bytes = max_bytes
        self.chunk_bytes = chunk_bytes
        self._lock = threading.Lock()

    # -- sessions ---------------------------------------------------------------------------

    def _dir(self, upload_id: str) -> Path:
        if not (isinstance(upload_id, str) and _ID.match(upload_id)):
            raise NotFound(f"no upload session {upload_id!r}", code="upload_not_found")
        return self.root / upload_id

    def get(self, upload_id: str) -> dict[str, Any]:
        """A session's record (``status`` ``expired`` once past its time); ``NotFound``
        ``upload_not_found`` for an unknown one."""
        try:
            session: dict[str, Any] = json.loads(
                (self._dir(upload_id) / "session.json").read_text()
            )
        except (FileNotFoundError, ValueError):
            raise NotFound(f"no upload session {upload_id!r}", code="upload_not_found") from None
        if session["status"] == "active" and session["expires"] < time.time():
            session["status"] = "expired"
        return session

    def _save(self, session: dict[str, Any]) -> None:
        folder = self.root / session["upload_id"]
        tmp = folder / f"session.json.{threading.get_ident()}"
        tmp.write_text(json.dumps(session))
        tmp.replace(folder / "session.json")

    def create(
        self, filename: str, total_size: int, user_metadata: dict[str, Any] | None
    ) -> dict[str, Any]:
        """A new session for a file of ``total_size`` bytes: its record (``chunk_size``,
        ``total_chunks``, the ``asset_id`` it will become). A size over the upload limit is
        refused (``413 upload_too_large``) before anything is kept."""
        if not filename or not filename.strip():
            raise InvalidArgument("filename is required", param="filename")
        if total_size < 1:
            raise InvalidArgument("total_size must be at least 1 byte", param="total_size")
        if total_size > self.max_bytes:
            raise SourceTooLarge(
                f"the file of {total_size} bytes is over the upload limit of {self.max_bytes} "
                "bytes (VIDSENSE_MAX_UPLOAD_BYTES)",
                code="upload_too_large",
            )
        self.sweep()
        now = time.time()
        session: dict[str, Any] = {
            "upload_id": "upload_" + secrets.token_hex(12),
            "asset_id": new_file_id(),
            "filename": os.path.basename(filename.strip()) or "upload",
            "total_size": total_size,
            "chunk_size": self.chunk_bytes,
            "total_chunks": math.ceil(total_size / self.chunk_bytes),
            "user_metadata": user_metadata,
            "secret": secrets.token_hex(32),
            "status": "active",
            "error": None,
            "created_at": utc_now(),
            "updated_at": utc_now(),
            "expires": now + SESSION_SECONDS,
            "expires_at": _rfc3339(now + SESSION_SECONDS),
        }
        (self.root / session["upload_id"]).mkdir(parents=True)
        self._save(session)
        return session

    def list_active(self) -> list[dict[str, Any]]:
        """Sessions still taking chunks, newest first."""
        self.sweep()
        found = []
        for folder in self.root.glob("upload_*") if self.root.exists() else []:
            try:
                session = self.get(folder.name)
            except NotFound:
                continue
            if session["status"] == "active":
                found.append(session)
        return sorted(found, key=lambda s: (s["created_at"], s["upload_id"]), reverse=True)

    def sweep(self) -> None:
        """Remove the sessions past their time, with whatever they still hold."""
        for folder in self.root.glob("upload_*") if self.root.exists() else []:
            try:
                expires = json.loads((folder / "session.json").read_text())["expires"]
            except (OSError, ValueError, KeyError):
                expires = folder.stat().st_mtime + SESSION_SECONDS  # a session half made
            if expires < time.time():
                shutil.rmtree(folder, ignore_errors=True)

    # -- chunk URLs -------------------------------------------------------------------------

    @staticmethod
    def chunk_path(upload_id: str, index: int) -> str:
        """The URL path a chunk is PUT to."""
        return f"/v1/assets/multipart-uploads/{upload_id}/chunks/{index}"

    def urls(self, session: dict[str, Any], base: str, start: int, count: int) -> list[ChunkUrl]:
        """Signed PUT URLs (on the server at ``base``) for chunks ``start`` .. ``start +
        count - 1`` (counted from 1)."""
        total = session["total_chunks"]
        if session["status"] != "active":
            raise InvalidArgument(f"the upload session is {session['status']}: it takes no chunks")
        if not 1 <= start <= total:
            raise InvalidArgument(f"start must be a chunk from 1 to {total}", param="start")
        if count < 1:
            raise InvalidArgument("count must be at least 1", param="count")
        signer = UrlSigner(session["secret"])
        expires_at = _rfc3339(time.time() + URL_SECONDS)
        out = []
        for index in range(start, min(start + count, total + 1)):
            path = self.chunk_path(session["upload_id"], index)
            out.append(
                ChunkUrl(index, f"{base}{path}?{signer.sign(path, URL_SECONDS)}", expires_at)
            )
        return out

    def _expected_size(self, session: dict[str, Any], index: int) -> int:
        if not 1 <= index <= session["total_chunks"]:
            raise InvalidArgument(
                f"chunk {index} is not one of this upload's chunks (1 to "
                f"{session['total_chunks']})",
                param="chunk_index",
            )
        if index < session["total_chunks"]:
            return int(session["chunk_size"])
        return int(session["total_size"] - session["chunk_size"] * (session["total_chunks"] - 1))

    async def receive(
        self,
        upload_id: str,
        index: int,
        path: str,
        expires: str | None,
        signature: str | None,
        body: AsyncIterator[bytes],
    ) -> str:
        """Keep one chunk's bytes, PUT to its signed URL (``path`` with ``expires`` and
        ``signature``); its ETag. A chunk of another size than its place asks for is refused
        (400), nothing kept; a chunk sent again replaces the one before."""
        session = self.get(upload_id)
        UrlSigner(session["secret"]).verify(path, expires, signature)
        if session["status"] != "active":
            raise InvalidArgument(f"the upload session is {session['status']}: it takes no chunks")
        want = self._expected_size(session, index)
        folder = self.root / upload_id
        part = folder / f"{index:05d}.{secrets.token_hex(4)}.part"
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            with part.open("wb") as out:
                async for piece in body:
                    size += len(piece)
                    if size > want:
                        break
                    digest.update(piece)
                    out.write(piece)
            if size != want:
                raise InvalidArgument(
                    f"chunk {index} must be {want} bytes"
                    + (f", got {size}" if size <= want else ", got more"),
                    code="chunk_size_mismatch",
                    param="chunk_size",
                )
            etag = digest.hexdigest()
            with self._lock:
                part.replace(folder / f"{index:05d}")
                (folder / f"{index:05d}.etag").write_text(etag)
            return etag
        finally:
            part.unlink(missing_ok=True)

    # -- reports ----------------------------------------------------------------------------

    def _reported(self, upload_id: str) -> dict[str, dict[str, Any]]:
        try:
            found: dict[str, dict[str, Any]] = json.loads(
                (self.root / upload_id / "reported.json").read_text()
            )
        except FileNotFoundError:
            found = {}
        return found

    def report(
        self, upload_id: str, chunks: Sequence[Mapping[str, Any]], check: Check
    ) -> dict[str, Any]:
        """Mark chunks complete (each with the ETag its PUT answered and its size); when the
        last one is in, join them into the asset (``check`` looks at its bytes; what it raises
        fails the session and is raised). ``{processed, duplicates, total_completed, done}``."""
        with self._lock:
            session = self.get(upload_id)
            if session["status"] != "active":
                raise InvalidArgument(
                    f"the upload session is {session['status']}: it takes no more chunks"
                )
            folder = self.root / upload_id
            reported = self._reported(upload_id)
            processed = duplicates = 0
            for n, chunk in enumerate(chunks):
                index = int(chunk["chunk_index"])
                where = f"completed_chunks[{n}]"
                want = self._expected_size(session, index)
                if str(index) in reported:
                    duplicates += 1
                    continue
                try:
                    etag = (folder / f"{index:05d}.etag").read_text()
                except FileNotFoundError:
                    raise InvalidArgument(
                        f"chunk {index} was not received: PUT it to its URL first", param=where
                    ) from None
                if str(chunk["proof"]).strip('"') != etag:
                    raise InvalidArgument(
                        f"chunk {index}'s proof is not the ETag its upload answered", param=where
                    )
                if int(chunk["chunk_size"]) != want:
                    raise InvalidArgument(f"chunk {index} is {want} bytes", param=where)
                reported[str(index)] = {"proof": etag, "size": want, "at": utc_now()}
                processed += 1
            tmp = folder / "reported.json.tmp"
            tmp.write_text(json.dumps(reported))
            tmp.replace(folder / "reported.json")
            session["updated_at"] = utc_now()
            done = len(reported) == session["total_chunks"]
            if done:
                self._finish(session, check)
            else:
                self._save(session)
        return {
            "processed": processed,
            "duplicates": duplicates,
            "total_completed": len(reported),
            "done": done,
        }

    def _finish(self, session: dict[str, Any], check: Check) -> None:
        """Join the chunks into the file store as the session's asset, then delete them."""
        folder = self.root / session["upload_id"]
        paths = [folder / f"{i:05d}" for i in range(1, session["total_chunks"] + 1)]
        try:
            with _Joined(paths) as joined:
                self.files.create(
                    cast(BinaryIO, joined),
                    session["filename"],
                    "user_data",
                    check,
                    file_id=session["asset_id"],
                )
        except MediaError as e:
            session["status"], session["error"] = "failed", e.message
            raise
        except BaseException:
            session["status"], session["error"] = "failed", "the chunks could not be joined"
            raise
        else:
            session["status"] = "completed"
        finally:
            for path in folder.iterdir():  # the chunks; the records stay until it expires
                if path.name not in ("session.json", "reported.json"):
                    path.unlink(missing_ok=True)
            self._save(session)

    def chunks(self, session: dict[str, Any]) -> list[dict[str, Any]]:
        """Each chunk's state: ``completed`` (reported) or ``pending``."""
        reported = self._reported(session["upload_id"])
        out = []
        for index in range(1, session["total_chunks"] + 1):
            seen = reported.get(str(index))
            done = seen is not None or session["status"] == "completed"
            out.append(
                {
                    "index": index,
                    "status": "completed" if done else "pending",
                    "uploaded_at": seen["at"] if seen else None,
                    "size": self._expected_size(session, index),
                }
            )
        return out


def _rfc3339(unix: float) -> str:
    return format_time(datetime.fromtimestamp(unix, UTC))


class _Joined:
    """The files ``paths``, read one after another as one stream."""

    def __init__(self, paths: list[Path]) -> None:
        self._paths = list(paths)
        self._file: BinaryIO | None = None

    def __enter__(self) -> _Joined:
        return self

    def __exit__(self, *_: object) -> None:
        if self._file is not None:
            self._file.close()

    def read(self, size: int = -1) -> bytes:
        while True:
            if self._file is None:
                if not self._paths:
                    return b""
                self._file = self._paths.pop(0).open("rb")
            data = self._file.read(size)
            if data:
                return data
            self._file.close()
            self._file = None


__all__ = ["SESSION_SECONDS", "URL_SECONDS", "ChunkUrl", "MultipartUploads"]
