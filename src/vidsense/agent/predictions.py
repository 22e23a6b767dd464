"""VLM Run-style requests: ``POST /v1/video/generate`` with a ``domain`` (or a custom
``config.json_schema``), answered at once or, with ``batch: true``, as a prediction to poll at
``GET /v1/predictions/{id}`` (``enqueued`` -> ``running`` -> ``completed`` | ``failed``).

Predictions live in memory and in ``DATA_DIR/predictions/{id}.json`` (so they outlive a
restart; a batch that was running when the server stopped stays ``running`` and is not
resumed). A ``callback_url`` (http(s) to a public address, the same rules as video URLs) is
POSTed the finished prediction once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from vidsense.agent.media import ChatVideo
from vidsense.agent.messages import MediaRef
from vidsense.agent.service import ChatService
from vidsense.errors import InvalidArgument, NotFound, describe
from vidsense.language.schema import check

log = logging.getLogger(__name__)

_SEGMENTS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "start": {"type": "number", "description": "seconds"},
            "end": {"type": "number", "description": "seconds"},
            "text": {"type": "string"},
        },
        "required": ["start", "end", "text"],
    },
}
DOMAINS: dict[str, dict[str, Any]] = {
    "video.transcription": {
        "description": "What is said, as timed segments.",
        "schema": {
            "type": "object",
            "properties": {"segments": _SEGMENTS},
            "required": ["segments"],
        },
    },
    "video.transcription-summary": {
        "description": "Timed transcript segments and a summary of the video.",
        "schema": {
            "type": "object",
            "properties": {"segments": _SEGMENTS, "summary": {"type": "string"}},
            "required": ["segments", "summary"],
        },
    },
    "video.summary": {
        "description": "A summary of the video, with its chapters.",
        "schema": {
            "type": "object",
            "properties": {
                "summary": {"type": "string"},
                "chapters": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "start": {"type": "number"},
                            "end": {"type": "number"},
                            "title": {"type": "string"},
                        },
                    },
                },
            },
            "required": ["summary"],
        },
    },
}


SCHEMA_VERSION = "1.0.0"
"""The version every domain's schema reports (they change with vidsense's own version)."""


def _selection(schema: dict[str, Any]) -> str:
    """A JSON schema's fields as a GraphQL selection: ``{ segments { start end text } }``."""
    if schema.get("type") == "array":
        return _selection(schema.get("items") or {})
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return ""
    fields = [f"{name} {_selection(sub)}".strip() for name, sub in properties.items()]
    return "{ " + " ".join(fields) + " }"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Predictions:
    """VLM Run generate requests and their predictions (thread-safe)."""

    def __init__(self, chat: ChatService) -> None:
        self.chat = chat
        self.root = chat.library.settings.data_dir / "predictions"
        self._items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prediction")

    def domains(self) -> list[dict[str, Any]]:
        """Every domain with its description and JSON schema."""
        return [
            {"domain": name, "description": d["description"], "json_schema": d["schema"]}
            for name, d in DOMAINS.items()
        ]

    def schema(self, domain: str) -> dict[str, Any]:
        """A domain's schema as VLM Run's ``SchemaResponse``: ``schema_hash`` is the first 8
        hex digits of the SHA-256 of its canonical JSON, ``gql_stmt`` the fields as a GraphQL
        selection. ``InvalidArgument`` (naming the domain) for an unknown one."""
        if domain not in DOMAINS:
            raise InvalidArgument(
                f"domain {domain!r} is not known; choose from {', '.join(DOMAINS)}",
                param="domain",
            )
        schema = DOMAINS[domain]["schema"]
        canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"))
        return {
            "domain": domain,
            "description": DOMAINS[domain]["description"],
            "schema_version": SCHEMA_VERSION,
            "schema_hash": hashlib.sha256(canonical.encode()).hexdigest()[:8],
            "gql_stmt": _selection(schema),
            "json_schema": schema,
        }

    def list(self, skip: int = 0, limit: int = 10) -> list[dict[str, Any]]:
        """Predictions, newest first: ``limit`` of them from ``skip``."""
        records: dict[str, dict[str, Any]] = {}
        if self.root.is_dir():
            for path in self.root.glob("pred_*.json"):
                try:
                    record = json.loads(path.read_text())
                except (OSError, ValueError):
                    continue  # being replaced right now
                records[record["id"]] = record
        with self._lock:
            records.update({k: dict(v) for k, v in self._items.items()})
        ordered = sorted(records.values(), key=lambda r: (r["created_at"], r["id"]), reverse=True)
        return ordered[max(0, skip) : max(0, skip) + max(0, limit)]

    def _save(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._items[record["id"]] = record
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = self.root / f".{record['id']}.json.part"
            tmp.write_text(json.dumps(record))
            tmp.replace(self.root / f"{record['id']}.json")

    def get(self, prediction_id: str) -> dict[str, Any]:
        with self._lock:
            found = self._items.get(prediction_id)
        if found is not None:
            return dict(found)
        if prediction_id.replace("-", "").isalnum():
            path = self.root / f"{prediction_id}.json"
            if path.is_file():
                record: dict[str, Any] = json.loads(path.read_text())
                return record
        raise NotFound(f"no prediction {prediction_id!r}", code="prediction_not_found")

    def generate(self, body: dict[str, Any]) -> dict[str, Any]:
        """Check the request, then answer it now or (``batch``) enqueue it."""
        from vidsense.media.network import check_url_allowed

        domain = body.get("domain") or "video.summary"
        config = body.get("config") or {}
        if not isinstance(config, dict):
            raise InvalidArgument("config must be an object", param="config")
        schema = config.get("json_schema")
        if schema is not None:
            check(schema)
        elif domain not in DOMAINS:
            raise InvalidArgument(
                f"domain {domain!r} is not known; choose from {', '.join(DOMAINS)} "
                "(or give config.json_schema)",
                param="domain",
            )
        url, file_id = body.get("url"), body.get("file_id")
        if not url and not file_id:
            raise InvalidArgument("give the video as url or file_id", param="url")
        ref = MediaRef("video", url=url) if url else MediaRef("file", file_id=str(file_id))
        callback = body.get("callback_url")
        if callback:
            check_url_allowed(str(callback), self.chat.library.settings.fetch)
        paths = self.chat.media.locate([ref])
        record: dict[str, Any] = {
            "id": "pred_" + secrets.token_hex(10),
            "created_at": _now(),
            "completed_at": None,
            "status": "enqueued",
            "domain": domain,
            "response": None,
            "usage": {"elements_processed": 1, "element_type": "video"},
        }
        prompt = str(config.get("prompt") or body.get("prompt") or "Describe the video.")

        def run() -> dict[str, Any]:
            record["status"] = "running"
            self._save(record)
            try:
                video = self.chat.media.index(paths[0])
                record["response"] = self._answer(video, domain, schema, prompt)
                # VLM Run counts whole seconds (its SDK's field is an int): started ones count.
                record["usage"]["duration_seconds"] = math.ceil(video.video.duration - 1e-6)
                record["status"] = "completed"
            except Exception as e:
                status, code, message = describe(e)
                record["status"] = "failed"
                record["error"] = {"code": code, "message": message, "status": status}
                if not body.get("batch"):
                    raise
            finally:
                record["completed_at"] = _now()
                self._save(record)
                if callback:
                    self._call_back(str(callback), record)
            return dict(record)

        if body.get("batch"):
            self._save(record)
            queued: dict[str, Any] = json.loads(json.dumps(record))
            self._pool.submit(run)
            return queued
        return run()

    def _answer(
        self, video: ChatVideo, domain: str, schema: dict[str, Any] | None, prompt: str
    ) -> dict[str, Any]:
        writing = self.chat.writing
        vid = video.video.id
        if schema is not None:
            value, _ = writing.structured(vid, prompt, schema)
            out: dict[str, Any] = value if isinstance(value, dict) else {"value": value}
            return out
        out = {}
        if domain in ("video.transcription", "video.transcription-summary"):
            segments = self.chat.library.transcription(video.index_id, vid)
            out["segments"] = [
                {"start": round(s.start, 3), "end": round(s.end, 3), "text": s.text}
                for s in segments
            ]
        if domain in ("video.summary", "video.transcription-summary"):
            out["summary"] = writing.summarize(vid, "summary")["summary"]
        if domain == "video.summary":
            out["chapters"] = [
                {"start": c["start_sec"], "end": c["end_sec"], "title": c["chapter_title"]}
                for c in writing.summarize(vid, "chapter")["chapters"]
            ]
        return out

    def _call_back(self, url: str, record: dict[str, Any]) -> None:
        from vidsense.media.network import open_client

        try:
            # Resolved and checked again as it connects (the answer may have changed since the
            # request was accepted), and sent to the address that was checked; no redirects.
            with open_client(self.chat.library.settings.fetch, timeout=10.0) as client:
                client.post(url, json=record)
        except Exception as e:
            log.warning("prediction %s: callback to %s failed: %s", record["id"], url, e)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
