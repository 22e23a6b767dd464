"""Files uploaded through ``/v1/files`` (OpenAI's and VLM Run's Files APIs) and Twelve Labs'
assets (:mod:`vidsense.api.assets`), kept under ``DATA_DIR/files``: ``{id}.bin`` holds the
bytes and ``{id}.json`` the OpenAI ``FileObject`` beside it (an asset's record also holds its
``asset`` facts)."""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Literal, get_args

from vidsense.errors import InvalidArgument, NotFound, SourceTooLarge

_ID = re.compile(r"^file-[0-9a-f]{24}$")
_CHUNK = 1 << 20
FilePurpose = Literal[
    "assistants",
    "batch",
    "fine-tune",
    "vision",
    "user_data",
    "evals",
    "assistants_output",
    "batch_output",
    "datasets",
]
"""The purposes a file may be uploaded for: OpenAI's and VLM Run's (each SDK validates its
own list when it reads a file back)."""
PURPOSES: tuple[FilePurpose, ...] = get_args(FilePurpose)
OPENAI_PURPOSES: tuple[FilePurpose, ...] = (
    "assistants",
    "batch",
    "fine-tune",
    "vision",
    "user_data",
    "evals",
)
VLMRUN_PURPOSES: tuple[FilePurpose, ...] = (
    "fine-tune",
    "assistants",
    "assistants_output",
    "batch",
    "batch_output",
    "vision",
    "datasets",
)


Check = Callable[[Path, str], Mapping[str, Any]]
"""Looks at an upload's bytes (its path and the sender's file name) before it is kept: the
facts it returns are kept with the record; what it raises refuses the upload."""


def new_file_id() -> str:
    """A new file's id (``file-`` and 24 hex digits)."""
    return "file-" + secrets.token_hex(12)


class FileStore:
    """Uploaded files with their OpenAI ``FileObject`` records (thread-safe)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def _paths(self, file_id: str) -> tuple[Path, Path]:
        if not isinstance(file_id, str) or not _ID.match(file_id):
            raise NotFound(f"no file {file_id!r}", code="file_not_found", param="file_id")
        return self.root / f"{file_id}.bin", self.root / f"{file_id}.json"

    def create(
        self,
        stream: BinaryIO,
        filename: str,
        purpose: str,
        check: Check | None = None,
        file_id: str | None = None,
    ) -> dict[str, Any]:
        """Store an upload for ``purpose`` (one of :data:`PURPOSES`); the record appears only
        once the bytes are complete. ``check(path, filename)`` (when given) looks at the bytes
        first and returns facts kept in the record under ``asset``; what it raises refuses the
        upload, nothing kept. ``file_id`` is the id to store it under (default: a new one)."""
        if not purpose:
            raise InvalidArgument("purpose is required", param="purpose")
        if purpose not in PURPOSES:
            raise InvalidArgument(
                f"purpose {purpose!r} is not known; choose from {', '.join(PURPOSES)}",
                param="purpose",
            )
        self.root.mkdir(parents=True, exist_ok=True)
        file_id = file_id or new_file_id()
        data, meta = self._paths(file_id)
        tmp = data.with_suffix(".part")
        size = 0
        try:
            with tmp.open("wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise SourceTooLarge(
                            f"the file is over the upload limit of {self.max_bytes} bytes",
                            code="upload_too_large",
                        )
                    out.write(chunk)
            facts = dict(check(tmp, filename)) if check is not None else None
            os.replace(tmp, data)
        finally:
            tmp.unlink(missing_ok=True)
        record: dict[str, Any] = {
            "id": file_id,
            "object": "file",
            "bytes": size,
            "created_at": int(time.time()),
            "filename": os.path.basename(filename or "file"),
            "purpose": purpose,
            "status": "processed",
            "status_details": None,
        }
        if facts is not None:
            record["asset"] = facts
        try:
            meta.write_text(json.dumps(record))
        except BaseException:  # no record, no file (a full disk, say)
            meta.unlink(missing_ok=True)
            data.unlink(missing_ok=True)
            raise
        return record

    def get(self, file_id: str) -> dict[str, Any]:
        _, meta = self._paths(file_id)
        try:
            found: dict[str, Any] = json.loads(meta.read_text())
        except FileNotFoundError:
            raise NotFound(f"no file {file_id!r}", code="file_not_found", param="file_id") from None
        return found

    def asset(self, asset_id: str) -> dict[str, Any]:
        """The record of an asset (a file stored with its ``asset`` facts); ``NotFound``
        ``asset_not_found`` naming it otherwise."""
        try:
            record = self.get(asset_id)
        except NotFound:
            record = {}
        if "asset" not in record:
            raise NotFound(
                f"no asset with id {asset_id!r}", code="asset_not_found", param="asset_id"
            )
        return record

    def note_asset(self, asset_id: str, **facts: Any) -> dict[str, Any]:
        """Add ``facts`` to an asset's record (rewritten whole); the record."""
        with self._lock:
            record = self.asset(asset_id)
            record["asset"].update(facts)
            _, meta = self._paths(asset_id)
            tmp = meta.with_suffix(f".{threading.get_ident()}.tmp")
            try:
                tmp.write_text(json.dumps(record))
                tmp.replace(meta)
            finally:
                tmp.unlink(missing_ok=True)
        return record

    def path(self, file_id: str) -> Path:
        """Where the file's bytes are."""
        self.get(file_id)
        return self._paths(file_id)[0]

    def list(self, purpose: str | None = None) -> list[dict[str, Any]]:
        if not self.root.exists():
            return []
        records = []
        for meta in self.root.glob("file-*.json"):
            try:
                record = json.loads(meta.read_text())
            except (OSError, ValueError):
                continue
            if purpose is None or record.get("purpose") == purpose:
                records.append(record)
        return sorted(records, key=lambda r: (r["created_at"], r["id"]), reverse=True)

    def delete(self, file_id: str) -> dict[str, Any]:
        self.get(file_id)
        data, meta = self._paths(file_id)
        with self._lock:
            meta.unlink(missing_ok=True)
            data.unlink(missing_ok=True)
        return {"id": file_id, "object": "file", "deleted": True}
