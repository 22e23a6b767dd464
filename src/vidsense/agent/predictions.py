"""VLM Run-style requests: ``POST /v1/video/generate`` with a ``domain``, a custom
``config.json_schema``, or ``config.skills`` (a skill's instructions and schema in place of a
domain), answered at once or, with ``batch: true``, as a prediction to poll at
``GET /v1/predictions/{id}`` (``enqueued`` -> ``running`` -> ``completed`` | ``failed``).

A prediction is a durable job of kind ``prediction`` (:mod:`vidsense.jobs.runs`): everything
the client can get wrong is checked before it is queued (the media is fetched and probed, the
skills pinned to the version they name now); the job workers run it
(:func:`prediction_handler`), and one interrupted by a stop or a crash is run again (the video
is indexed once). A request without ``batch`` waits for its job to end. A ``callback_url``
(http(s) to a public address, the same rules as video URLs) is POSTed the finished prediction
once (:meth:`vidsense.api.services.Services.job_ended`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable
from typing import Any, Literal

from vidsense.agent.media import ChatVideo
from vidsense.agent.messages import MediaRef
from vidsense.agent.service import ChatService
from vidsense.errors import InvalidArgument, from_answer
from vidsense.jobs.runs import Handler, JobRun
from vidsense.language.schema import check, inline_refs
from vidsense.skills import pin, pinned_name, unpin
from vidsense.store import JobRecord
from vidsense.waiting import wait_for

log = logging.getLogger(__name__)

KIND: Literal["prediction"] = "prediction"
"""The job kind of a prediction."""
WAIT_SECONDS = 3600.0
"""Longest a request without ``batch`` waits for its prediction (seconds)."""
_ENDED = ("completed", "failed")

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


def describe_prediction(job: JobRecord) -> dict[str, Any]:
    """A prediction job as VLM Run's ``PredictionResponse`` shows it: ``id``, ``created_at``,
    ``completed_at``, ``status``, ``domain``, ``response`` (once ``completed``), ``usage``
    (``duration_seconds`` whole seconds), and ``error`` (``{code, message, status}``) when it
    failed."""
    request = job.request
    result = job.result or {}
    out: dict[str, Any] = {
        "id": job.id,
        "created_at": job.created_at,
        "completed_at": job.completed_at,
        "status": job.status,
        "domain": request.get("domain") or "",
        "response": result.get("response") if job.status == "completed" else None,
        "usage": dict(result.get("usage") or {"elements_processed": 1, "element_type": "video"}),
    }
    if job.status == "failed":
        out["error"] = {
            "code": job.error_code or "internal_error",
            "message": job.error_message or "",
            "status": int(result.get("error_status") or 500),
        }
    return out


class Predictions:
    """VLM Run generate requests and their predictions (thread-safe). ``wake`` is told of each
    queued prediction (to wake a job worker)."""

    def __init__(self, chat: ChatService, wake: Callable[[str], None] | None = None) -> None:
        self.chat = chat
        self.library = chat.library
        self.wake = wake

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
        found = self.library.list_jobs(kind=KIND, skip=max(0, skip), limit=max(0, limit))
        return [describe_prediction(job) for job in found]

    def get(self, prediction_id: str) -> dict[str, Any]:
        """A prediction (``prediction_not_found``)."""
        return describe_prediction(self.library.get_job(prediction_id, KIND))

    def generate(self, body: dict[str, Any]) -> dict[str, Any]:
        """Check the request and queue it; with ``batch`` answer the queued prediction, else
        wait for it to end (a failure raises the error it failed with)."""
        from vidsense.media.network import check_url_allowed

        config = body.get("config") or {}
        if not isinstance(config, dict):
            raise InvalidArgument("config must be an object", param="config")
        refs = config.get("skills") or []
        if not isinstance(refs, list):
            raise InvalidArgument("config.skills must be a list of skills", param="config.skills")
        skills = [pin(self.library, ref, f"config.skills[{n}]") for n, ref in enumerate(refs)]
        domain = body.get("domain") or ("" if skills else "video.summary")
        schema = config.get("json_schema")
        if schema is not None:
            try:
                schema = inline_refs(check(schema))
            except InvalidArgument as e:
                e.param = "config.json_schema"
                raise
        elif domain and domain not in DOMAINS:
            raise InvalidArgument(
                f"domain {domain!r} is not known; choose from {', '.join(DOMAINS)} "
                "(or give config.json_schema or config.skills)",
                param="domain",
            )
        url, file_id = body.get("url"), body.get("file_id")
        if not url and not file_id:
            raise InvalidArgument("give the video as url or file_id", param="url")
        callback = body.get("callback_url")
        if callback:
            check_url_allowed(str(callback), self.library.settings.fetch)
        self.chat.media.locate([self._ref(url, file_id)])  # readable, and a video
        prompt = config.get("prompt") or body.get("prompt")
        request = {
            "domain": domain or pinned_name(self.library, skills[0]),
            "url": url,
            "file_id": file_id,
            "json_schema": schema,
            "prompt": str(prompt) if prompt else None,
            "skills": skills,
            "callback_url": str(callback) if callback else None,
            "batch": bool(body.get("batch")),
        }
        job = self.library.submit_job(KIND, request)
        if self.wake is not None:
            self.wake(job.id)
        if body.get("batch"):
            return describe_prediction(job)
        done = wait_for(
            lambda: self.library.get_job(job.id, KIND),
            lambda found: found.status in _ENDED,
            timeout=WAIT_SECONDS,
            interval=0.2,
        )
        if done.status == "failed":
            status = int((done.result or {}).get("error_status") or 500)
            raise from_answer(status, done.error_code or "internal_error", done.error_message or "")
        return describe_prediction(done)

    @staticmethod
    def _ref(url: Any, file_id: Any) -> MediaRef:
        return MediaRef("video", url=str(url)) if url else MediaRef("file", file_id=str(file_id))

    def run(self, run: JobRun) -> dict[str, Any]:
        """Run a claimed prediction: index its video (once per content), then answer the
        domain, the schema or the skills' task; ``{response, usage}``."""
        request = run.job.request
        located = self.chat.media.locate([self._ref(request.get("url"), request.get("file_id"))])
        run.progress(5.0)
        video = self.chat.media.index(
            located[0],
            lambda _, percent: run.progress(5.0 + 0.85 * percent),
            cancel=run.cancel,
        )
        skills = [unpin(self.library, pinned) for pinned in request.get("skills") or []]
        schema = request.get("json_schema") or next(
            (inline_refs(s.schema) for s in skills if s.schema is not None), None
        )
        task = "\n\n".join(s.bundle.task() for s in skills)
        prompt = "\n\n".join(p for p in (task, request.get("prompt")) if p)
        response = self._answer(video, str(request.get("domain")), schema, prompt)
        return {
            "response": response,
            "usage": {
                "elements_processed": 1,
                "element_type": "video",
                # VLM Run counts whole seconds (its SDK's field is an int): started ones count.
                "duration_seconds": math.ceil(video.video.duration - 1e-6),
            },
        }

    def _answer(
        self, video: ChatVideo, domain: str, schema: dict[str, Any] | None, prompt: str
    ) -> dict[str, Any]:
        writing = self.chat.writing
        vid = video.video.id
        if schema is not None:
            value, _ = writing.structured(vid, prompt or "Describe the video.", schema)
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
        elif domain not in DOMAINS:  # skills without a schema: their task, as a summary
            out["summary"] = writing.summarize(vid, "summary", prompt or None)["summary"]
        if domain == "video.summary":
            out["chapters"] = [
                {"start": c["start_sec"], "end": c["end_sec"], "title": c["chapter_title"]}
                for c in writing.summarize(vid, "chapter")["chapters"]
            ]
        return out


def prediction_handler(predictions: Predictions) -> Handler:
    """The job handler that runs predictions (for :func:`vidsense.jobs.runs.run_job`)."""
    return predictions.run


__all__ = ["DOMAINS", "KIND", "Predictions", "describe_prediction", "prediction_handler"]
