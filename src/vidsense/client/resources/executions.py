"""``client.executions``: VLM Run-style executions (a skill, or a prompt and a JSON schema,
run over one or more files as a durable job on the server)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from vidsense.api.executions import ExecuteRequest, ExecutionQuery, ExecutionResponse
from vidsense.api.wire import validated
from vidsense.client._transport import Transport
from vidsense.errors import VidsenseError
from vidsense.media.source import is_url, local_file
from vidsense.skills import read_folder
from vidsense.waiting import wait_for

EXECUTION_ENDED = ("completed", "failed")
"""The statuses an execution ends in."""

ExecutionProgress = Callable[[ExecutionResponse], None]
"""Called with the execution each time it is polled."""
SkillRef = str | Path | Mapping[str, Any]
"""A skill as :meth:`Executions.create` takes it: a local folder (sent inline), a stored
skill's name or id (``name`` or ``name:version``), or an ``AgentSkill`` object."""


def skill_ref(skill: SkillRef) -> dict[str, Any]:
    """The ``AgentSkill`` a request names ``skill`` with."""
    if isinstance(skill, Mapping):
        return dict(skill)
    path = Path(skill).expanduser()
    if path.is_dir():
        bundle = read_folder(path)
        data = base64.b64encode(bundle.to_zip()).decode("ascii")
        return {
            "type": "inline",
            "name": bundle.name,
            "description": bundle.description,
            "source": {"type": "base64", "media_type": "application/zip", "data": data},
        }
    name, _, version = str(skill).partition(":")
    return {"type": "skill_reference", "skill_id": name, "skill_version": version or "latest"}


class Executions:
    """``client.executions``: run a skill over files, get, list, and wait for executions."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def _part(self, source: str | Path) -> dict[str, Any]:
        """An input: a URL as a ``file_url``, a local file uploaded as an ``input_file``."""
        if isinstance(source, str) and (is_url(source) or source.startswith("data:")):
            return {"type": "file_url", "file_url": {"url": source}}
        path = local_file(source)
        return {"type": "input_file", "file_id": self._t.upload_file(path, "assistants").id}

    def create(
        self,
        inputs: Sequence[str | Path] | Mapping[str, str | Path],
        *,
        skills: Sequence[SkillRef] = (),
        prompt: str | None = None,
        json_schema: Mapping[str, Any] | None = None,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        callback_url: str | None = None,
    ) -> ExecutionResponse:
        """Queue an execution over ``inputs`` (local files, uploaded first, or URLs; a list,
        sent as ``files``, or named) with ``skills``, a ``prompt`` and/or a ``json_schema``
        (default: the first skill's). It runs on the server's job workers (in-process: this
        process's, started by :meth:`wait`)."""
        if isinstance(inputs, Mapping):
            parts: dict[str, Any] = {k: self._part(v) for k, v in inputs.items()}
        else:
            parts = {"files": [self._part(v) for v in inputs]}
        config = {
            "skills": [skill_ref(s) for s in skills] or None,
            "prompt": prompt,
            "json_schema": dict(json_schema) if json_schema is not None else None,
        }
        body = {
            "name": name,
            "inputs": parts,
            "config": {k: v for k, v in config.items() if v is not None},
            "metadata": dict(metadata) if metadata is not None else None,
            "callback_url": callback_url,
        }
        return self._t.execute(validated(ExecuteRequest, body))

    def get(self, execution_id: str) -> ExecutionResponse:
        return self._t.get_execution(execution_id)

    def list(
        self, *, status: str | None = None, skip: int = 0, limit: int = 10
    ) -> list[ExecutionResponse]:
        """Executions, newest first, optionally of one status (enqueued, pending, running,
        completed, failed, paused)."""
        query = {"status": status, "skip": skip, "limit": limit}
        return self._t.list_executions(validated(ExecutionQuery, query))

    def wait(
        self,
        execution_id: str,
        *,
        timeout: float | None = None,
        poll: float = 1.0,
        progress: ExecutionProgress | None = None,
    ) -> ExecutionResponse:
        """Poll until the execution is ``completed`` or ``failed`` (``timeout`` seconds, None:
        no limit) and return it; a failed one is returned, not raised (its ``error`` says
        why). In-process, the workers start here first."""
        self._t.start_workers()
        return wait_for(
            lambda: self.get(execution_id),
            lambda found: found.status in EXECUTION_ENDED,
            progress=progress,
            timeout=timeout,
            interval=poll,
            timed_out=lambda found: VidsenseError(
                f"execution {execution_id} is still {found.status} after {timeout} s",
                code="timeout",
            ),
        )
