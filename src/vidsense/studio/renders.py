"""Renders as durable jobs: ``POST /v1/renders`` (a timeline spec) and ``POST /v1/edits/{name}``
(an edit's parameters) are checked at once and queued as a job of kind ``render``; a job worker
runs :meth:`Renders.run` (through :func:`render_handler`), which builds the edit's spec when
there is one, renders it with progress and cancellation, and keeps the probed file.

::

    submit ──check()──► job enqueued ──worker──► running (progress 0-100) ──► completed
     (a bad spec or edit is a 400           │                                   (file kept under
      naming the field; nothing queued)      └──► failed (code, message)          renders/<id>/)
                                            cancel: failed, code cancelled; delete: gone

A render's files live under the blob prefix ``renders/<id>/``; deleting the render deletes
them. A shutdown hands a running render back (it starts again, from the beginning, on the
next claim).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from vidsense.errors import Cancelled, Conflict, InvalidArgument, NotFound, TaskInterrupted
from vidsense.jobs.runs import Handler, JobRun
from vidsense.library import Library
from vidsense.media.render import check, render
from vidsense.media.timeline import CONTAINERS, RenderSpec, parse_spec
from vidsense.store import JobRecord
from vidsense.studio.edits import EditContext, build_edit, check_edit, find_edit
from vidsense.studio.sources import Sources, output_key

log = logging.getLogger(__name__)

KIND: Literal["render"] = "render"

MEDIA_TYPES = {"mp4": "video/mp4", "webm": "video/webm", "gif": "image/gif", "webp": "image/webp"}
"""The media type of each output container."""


@dataclass(frozen=True)
class RenderFile:
    """A finished render's file: where it is, its media type and a download name."""

    path: Path
    media_type: str
    filename: str


class Renders:
    """Render jobs over a library; ``sources`` resolves the names specs use (the HTTP layer's
    resolver: library ids, uploaded files, fonts)."""

    def __init__(self, library: Library, sources: Sources) -> None:
        self.library = library
        self.sources = sources

    # -- requests ------------------------------------------------------------------------------

    def submit(self, spec: RenderSpec | Mapping[str, Any] | str) -> JobRecord:
        """Check a spec against its files and queue it (``InvalidArgument`` naming the field
        when it is bad, ``render_too_long`` past ``limits.render_seconds``; nothing is queued
        then)."""
        plan = check(spec, resolve=self.sources)
        longest = self.library.settings.limits.render_seconds
        if plan.duration > longest:
            raise InvalidArgument(
                f"clips: the render would last {plan.duration:.1f} s; this server makes "
                f"renders of at most {longest:g} s (limits.render_seconds)",
                code="render_too_long",
                param="clips",
            )
        request = {
            "spec": plan.spec.model_dump(mode="json"),
            "planned": _planned(plan.spec, plan.duration, plan.width, plan.height, plan.fps),
        }
        return self.library.submit_job(KIND, request)

    def submit_edit(self, name: str, params: Mapping[str, Any]) -> JobRecord:
        """Check an edit's parameters (and, for quick edits, the spec they make) and queue it."""
        ctx = EditContext(self.sources, self.library)
        values = check_edit(ctx, name, params)
        request = {"edit": name, "params": values.model_dump(mode="json", exclude_defaults=True)}
        return self.library.submit_job(KIND, request)

    def get(self, render_id: str) -> JobRecord:
        return self.library.get_job(render_id, KIND)

    def list(self, *, limit: int = 20, before: str | None = None) -> list[JobRecord]:
        """Renders, newest first; ``before`` (a render id) continues a listing after it."""
        created_before = self.get(before).created_at if before else None
        return self.library.list_jobs(kind=KIND, created_before=created_before, limit=limit)

    def content(self, render_id: str) -> RenderFile:
        """The rendered file (``Conflict`` ``render_not_ready`` until it completed)."""
        job = self.get(render_id)
        result = job.result or {}
        if job.status != "completed" or "file" not in result:
            raise Conflict(
                f"render {render_id} has no file: it is {job.status}", code="render_not_ready"
            )
        container = str(result.get("container") or "mp4")
        return RenderFile(
            self.library.blob_path(str(result["file"])),
            MEDIA_TYPES.get(container, "application/octet-stream"),
            f"{render_id}.{container}",
        )

    def cancel(self, render_id: str) -> JobRecord:
        """Stop a render that has not ended (it fails with code ``cancelled``)."""
        self.get(render_id)
        return self.library.cancel_job(render_id, "the render was cancelled")

    def delete(self, render_id: str) -> JobRecord:
        """Delete a render and its file (stopping it first when it runs)."""
        self.get(render_id)
        return self.library.delete_job(render_id, files=output_key(render_id))

    # -- the job -------------------------------------------------------------------------------

    def spec_of(self, job: JobRecord, run: JobRun | None = None) -> RenderSpec:
        """The spec a render job renders (an edit's is built now)."""
        request = job.request
        if "edit" not in request:
            return parse_spec(request["spec"])

        def progress(fraction: float) -> None:
            if run is not None:
                run.progress(fraction * _build_share(str(request["edit"])) * 100)

        ctx = EditContext(self.sources, self.library, progress, run.cancel if run else None)
        return build_edit(ctx, str(request["edit"]), request.get("params") or {})

    def run(self, run: JobRun) -> dict[str, Any]:
        """Render a claimed job and keep its file (the job handler)."""
        job = run.job
        work = self.library.work_dir(job.id)
        try:
            spec = self.spec_of(job, run)
            container = CONTAINERS[spec.output.codec]
            share = _build_share(str(job.request["edit"])) if "edit" in job.request else 0.0
            out = work / f"output.{container}"
            result = render(
                spec,
                out,
                resolve=self.sources,
                progress=lambda f: run.progress(100.0 * (share + (1.0 - share) * f)),
                cancel=run.cancel,
                work_root=work,
            )
            if run.lost:
                raise Cancelled(f"render {job.id} was cancelled")
            key = self.library.keep_file(f"{output_key(job.id)}output.{container}", out)
        except Cancelled as e:
            if run.lost:  # cancelled or deleted: the job is no longer this worker's
                raise
            raise TaskInterrupted(f"render {job.id} was interrupted; it will start again") from e
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if run.lost:  # deleted while the file was being kept
            self.library.delete_files(output_key(job.id))
        described = result.to_dict()
        described.pop("path", None)
        described.pop("elapsed", None)
        return {
            "file": key,
            "container": container,
            "media_type": MEDIA_TYPES[container],
            **described,
            "spec": spec.model_dump(mode="json"),
        }


def _build_share(edit: str) -> float:
    """The part of a render's progress that building its edit stands for."""
    try:
        return 0.5 if find_edit(edit).slow else 0.05
    except NotFound:
        return 0.0


def _planned(
    spec: RenderSpec, duration: float, width: int, height: int, fps: Any
) -> dict[str, Any]:
    return {
        "duration": round(duration, 3),
        "width": width,
        "height": height,
        "fps": round(float(fps), 3),
        "codec": spec.output.codec,
    }


def render_handler(renders: Renders) -> Handler:
    """The job handler of kind ``render``."""

    def handle(run: JobRun) -> Mapping[str, Any]:
        return renders.run(run)

    return handle
