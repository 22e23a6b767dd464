"""The library: indexes of videos, the tasks that index them, and what indexing found.

One :class:`Library` serves every face of vidsense: the HTTP server keeps it on
``app.state``, the CLI and :class:`vidsense.Client` use it in-process, and search and writing
read the evidence through it. It owns no threads.

A task is a durable row in the store, so a crash loses nothing. Its ``status`` (which the API
shows as is) and the steps that change it::

      submit                 claim                 run_task
    ─────────► validating ─────────► pending ─────────► indexing ─────────► ready
                (checked at           (queued)    ▲      (fetch for URLs,
                 submission)                      │       probe, analysis, storing)
                    │                             └──────────┤ interrupted: handed back
                    └────────────────────────────────────────┴────► failed (code + message)

- **submit** (:meth:`Library.submit_upload`, ``submit_file``, ``submit_url``): the task is
  ``validating`` while the submission checks the source. An upload (or local file) is sniffed
  and probed right there: a text file named ``.mp4``, an audio-only, truncated, corrupt or
  zero-frame file fails the task at once with the media error's ``code``. A URL's policy
  (scheme, public address) is checked before the task exists, so it turns ``pending`` at once.
  The same file (SHA-256) or URL submitted again to an index returns the earlier task.
- **claim** (:func:`vidsense.library.tasks.claim`): a worker takes the oldest ``pending``
  task, which turns ``indexing`` under a lease, one more attempt counted. A task left
  ``validating`` longer than a lease (the process died mid-check) is made ``pending`` by the
  next claim and checked again while indexing; an ``indexing`` task whose lease ran out (its
  worker died) is claimed again; one claimed ``task_max_attempts`` times fails instead.
- **run_task** (:func:`vidsense.library.tasks.run_task`): :meth:`Library.index_video`
  downloads a URL (progress under 10 %), probes, analyses (up to 90 %) and stores the evidence
  in one transaction, while the worker's heartbeat (``TaskRun.beat``) renews the lease and
  stores the progress. The task ends ``ready``, or ``failed`` with the error's code and
  message, nothing half-written left behind.
- **interrupt**: a shutdown (``TaskRun.cancel``) or a lost lease (another worker took the task
  over, its index was deleted) stops the run with :class:`TaskInterrupted`. The task is not
  failed: its lease is handed back at once (``TaskRun.hand_back``), so the next claim picks
  it up without waiting for the lease to run out.

Executors (:mod:`vidsense.jobs`) only schedule: they claim, run ``run_task`` on a thread (the
Ray executor with the analysis in an actor), beat on a timer and cancel to stop.

Where things live (blob keys, relative to the blob folder; ``P`` is
:func:`~vidsense.store.video_prefix`, i.e. ``{index_id}/{video_id}/``):

- an upload waiting to be indexed: ``{index_id}/uploads/{sha256}.{ext}`` (kept when its task
  fails, so the file can be looked at or retried);
- the indexed video: ``P + "source.{ext}"`` (served with HTTP ranges for playback);
- keyframes ``P + "keyframes/…jpg"``, the thumbnail ``P + "thumbnail.jpg"``, thumbnails at
  asked times ``P + "thumbnails/{milliseconds}.jpg"``.

A video row is written only once its analysis succeeded, in the same step as its evidence, so
the library never lists a video that failed to index.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import unquote, urlparse

import numpy as np

from vidsense.config import Settings
from vidsense.errors import (
    Conflict,
    InvalidArgument,
    MediaError,
    NotFound,
    StorageUnavailable,
    TaskInterrupted,
    UnsupportedMedia,
    VidsenseError,
)
from vidsense.library.leftovers import indexing, sweep_leftovers
from vidsense.library.people import Person, PersonMatch, join_people, person, regroup
from vidsense.library.uploads import CHUNK, StagedFile, UploadSink, clean_filename
from vidsense.media.source import local_file
from vidsense.models.whisper import LANGUAGE_HINT, known_languages
from vidsense.options import index_addons, index_models, index_options
from vidsense.store import (
    BlobStore,
    FaceRecord,
    IndexRecord,
    JobRecord,
    Keyframe,
    LogoRecord,
    Page,
    Segment,
    SkillRecord,
    Store,
    TaskRecord,
    VideoRecord,
    open_store,
    video_prefix,
)
from vidsense.store.base import (
    IndexSort,
    JobKind,
    JobStatus,
    SegmentKind,
    SkillSort,
    SortOption,
    Space,
    TaskSort,
    TaskStatus,
    TextMode,
    VideoSort,
)

if TYPE_CHECKING:
    from vidsense.perception.analyze import Analysis

log = logging.getLogger(__name__)

PARTIAL_NOTE = "vidsense_partial"
"""The metadata key that says what is missing from a video indexed as its readable part
(``allow_partial_media``)."""
_FETCHED = 10.0
"""Progress (percent) once an ``indexing`` task's source is local and probed (a download
reports progress below it)."""
_ANALYSED = 90.0
"""Progress (percent) when analysis is done and its results are being stored."""

# Sniffed container -> (file extension, media type) of the stored copy.
_CONTAINERS: dict[str, tuple[str, str]] = {
    "mp4": ("mp4", "video/mp4"),
    "mov": ("mov", "video/quicktime"),
    "matroska": ("mkv", "video/x-matroska"),
    "webm": ("webm", "video/webm"),
    "avi": ("avi", "video/x-msvideo"),
    "flv": ("flv", "video/x-flv"),
    "ogg": ("ogv", "video/ogg"),
    "mpeg": ("mpg", "video/mpeg"),
    "mpegts": ("ts", "video/mp2t"),
    "asf": ("wmv", "video/x-ms-wmv"),
    "gif": ("gif", "image/gif"),
}
_MEDIA_TYPES = dict(_CONTAINERS.values())
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")
# How much of the analysis each stage stands for (they partly run side by side).
_STAGE_WEIGHTS = {"decode": 0.5, "speech": 0.3, "audio_events": 0.05, "embeddings": 0.15}


Analyzer = Callable[..., "Analysis"]
"""Something called like :func:`~vidsense.perception.analyze.analyze` that returns its
:class:`~vidsense.perception.analyze.Analysis`."""


class TaskContext(Protocol):
    """What a worker gives :meth:`Library.index_video` for the task it holds (a
    :class:`~vidsense.library.tasks.TaskRun`)."""

    @property
    def task(self) -> TaskRecord:
        """The claimed task."""
        ...

    @property
    def cancel(self) -> threading.Event:
        """Set when the task must stop (shutdown, or the lease was lost)."""
        ...

    def progress(self, percent: float) -> None:
        """Report progress, 0-100 (sent with the next heartbeat)."""
        ...

    def link_video(self, video_id: str) -> None:
        """Record, durably and at once, the video this task made (so a retry reuses it)."""
        ...


@dataclass(frozen=True)
class Submission:
    """The task that will index a submitted video. ``duplicate`` is True when the same file
    (same SHA-256) was already indexed or queued in the index: ``task`` is then that earlier
    task, and nothing new was queued."""

    task: TaskRecord
    duplicate: bool = False


def media_type(path: Path) -> str:
    """The media type of a stored video, from its extension."""
    return _MEDIA_TYPES.get(path.suffix.lower().lstrip("."), "application/octet-stream")


def _extension(kind: str) -> str:
    return _CONTAINERS.get(kind, ("bin", ""))[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _url_filename(url: str) -> str:
    parts = urlparse(url)
    name = unquote(Path(parts.path).name)
    return clean_filename(name or parts.hostname or "video")


class _AnalysisProgress:
    """Folds analyze()'s (stage, fraction) reports into one task percentage."""

    def __init__(self, ctx: TaskContext) -> None:
        self.ctx = ctx
        self.done: dict[str, float] = {}
        self.best = _FETCHED

    def __call__(self, stage: str, fraction: float) -> None:
        self.done[stage] = max(self.done.get(stage, 0.0), min(max(fraction, 0.0), 1.0))
        total = sum(w * self.done.get(s, 0.0) for s, w in _STAGE_WEIGHTS.items())
        self.best = max(self.best, _FETCHED + (_ANALYSED - _FETCHED) * total)
        self.ctx.progress(self.best)


class Library:
    """Indexes, videos, tasks and evidence over one :class:`~vidsense.store.Store`.

    Safe to share between threads (HTTP handlers and workers). ``settings`` gives the data
    folder (temporary uploads and analysis folders live there, on the blobs' filesystem),
    the upload limit and the fetch rules.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._submit_lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings) -> Library:
        """Open the store that ``settings`` names (``database_url``; blobs at ``blobs_url`` or
        in ``data_dir/blobs``), and clear what interrupted work left in the data folder (see
        :mod:`vidsense.library.leftovers`); ``StorageUnavailable`` when the data folder
        cannot be written."""
        check_data_dir(settings.data_dir)
        store = open_store(
            settings.store_url,
            settings.blobs_dir,
            max_attempts=settings.task_max_attempts,
            blobs_url=settings.blobs_url,
            blob_options=settings.s3,
        )
        sweep_leftovers(settings.data_dir, settings.task_lease_seconds, busy=indexing(store))
        return cls(store, settings)

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    # -- indexes -----------------------------------------------------------------------------

    def create_index(
        self,
        name: str,
        *,
        options: Sequence[str] | None = None,
        engines: Sequence[Mapping[str, Any]] | None = None,
        models: Sequence[Mapping[str, Any]] | None = None,
        addons: Sequence[str] | None = None,
    ) -> IndexRecord:
        """Create an index. Options come from ``options`` (analyzer names), Twelve Labs v1.2
        ``engines`` or 2026 ``models``; none given means every analyzer. The index keeps the
        engines or models as they were named, to report them."""
        chosen = index_options(engines, models, options)
        named = index_models(engines, models)
        return self.store.create_index(name, chosen, index_addons(addons), models=named)

    def list_indexes(
        self,
        *,
        page: int = 1,
        page_limit: int = 10,
        sort_by: IndexSort = "created_at",
        sort_option: SortOption = "desc",
        name: str | None = None,
    ) -> Page[IndexRecord]:
        """Indexes (only the one named ``name``, when given), one page at a time (``page``
        counts from 1)."""
        return self.store.list_indexes(
            page=page, page_limit=page_limit, sort_by=sort_by, sort_option=sort_option, name=name
        )

    def get_index(self, index_id: str) -> IndexRecord:
        """The index (``NotFound`` ``index_not_found``)."""
        return self.store.get_index(index_id)

    def find_index(self, name_or_id: str) -> IndexRecord:
        """The index with this id, or else with this name."""
        try:
            return self.store.get_index(name_or_id)
        except NotFound:
            pass
        page = 1
        while True:
            found = self.store.list_indexes(page=page, page_limit=100)
            for index in found.items:
                if index.name == name_or_id:
                    return index
            if page >= found.total_pages:
                raise NotFound(f"no index named {name_or_id!r}", code="index_not_found")
            page += 1

    def rename_index(self, index_id: str, name: str) -> IndexRecord:
        """Give an index a new name (``Conflict`` when another index has it)."""
        return self.store.update_index(index_id, name=name)

    def delete_index(self, index_id: str) -> None:
        """Delete an index with its videos, evidence, tasks and files."""
        self.store.delete_index(index_id)

    # -- videos ------------------------------------------------------------------------------

    def list_videos(
        self,
        index_id: str,
        *,
        page: int = 1,
        page_limit: int = 10,
        sort_by: VideoSort = "created_at",
        sort_option: SortOption = "desc",
        filename: str | None = None,
    ) -> Page[VideoRecord]:
        """The indexed videos of an index (only those named ``filename``, when given), one
        page at a time."""
        return self.store.list_videos(
            index_id,
            page=page,
            page_limit=page_limit,
            sort_by=sort_by,
            sort_option=sort_option,
            filename=filename,
        )

    def get_video(self, index_id: str, video_id: str) -> VideoRecord:
        """A video of an index (``index_not_found`` / ``video_not_found``)."""
        self.store.get_index(index_id)
        return self.store.get_video(video_id, index_id=index_id)

    def update_video_metadata(
        self, index_id: str, video_id: str, changes: Mapping[str, Any]
    ) -> VideoRecord:
        """Change some of a video's user metadata fields: each of ``changes`` is set, or
        removed when None (the others stay)."""
        video = self.get_video(index_id, video_id)
        merged = {**video.metadata, **changes}
        kept = {k: v for k, v in merged.items() if v is not None}
        return self.store.update_video(video_id, metadata=kept)

    def delete_video(self, index_id: str, video_id: str) -> None:
        """Delete a video with its evidence and files."""
        self.get_video(index_id, video_id)
        self.store.delete_video(video_id)

    def video_file(self, index_id: str, video_id: str) -> tuple[Path, str]:
        """The stored copy of a video and its media type, e.g. for range-served playback."""
        self.get_video(index_id, video_id)
        path = self._source_path(index_id, video_id)
        if path is None:
            raise NotFound(f"video {video_id} has no stored file", code="video_file_not_found")
        return path, media_type(path)

    def _source_path(self, index_id: str, video_id: str) -> Path | None:
        prefix = video_prefix(index_id, video_id)
        for ext in [*(e for e, _ in _CONTAINERS.values()), "bin"]:
            key = f"{prefix}source.{ext}"
            if self.store.blobs.exists(key):
                return self.store.blobs.path(key)
        return None

    # -- evidence ----------------------------------------------------------------------------

    def transcription(self, index_id: str, video_id: str) -> list[Segment]:
        """What was said, one segment per phrase (``data["words"]`` has word times)."""
        self.get_video(index_id, video_id)
        return self.store.segments(video_id, "transcript")

    def text_in_video(self, index_id: str, video_id: str) -> list[Segment]:
        """On-screen text sightings (``data`` has ``box`` and ``confidence``)."""
        self.get_video(index_id, video_id)
        return self.store.segments(video_id, "text")

    def logos(self, index_id: str, video_id: str) -> list[Segment]:
        """Logo sightings (none are detected yet: an empty list when none were stored)."""
        self.get_video(index_id, video_id)
        return self.store.segments(video_id, "logo")

    def shots(self, index_id: str, video_id: str) -> list[Segment]:
        """The video's shots (``data["index"]`` numbers them from 0)."""
        self.get_video(index_id, video_id)
        return self.store.segments(video_id, "shot")

    def audio_events(self, index_id: str, video_id: str) -> list[Segment]:
        """Sounds heard (``data`` has ``label`` and ``score``)."""
        self.get_video(index_id, video_id)
        return self.store.segments(video_id, "audio_event")

    # -- evidence by video id (for search and writing: no index check, cheap to repeat) ------

    def video_by_id(self, video_id: str) -> VideoRecord:
        """A video by its id alone, in whichever index (``NotFound`` ``video_not_found``)."""
        return self.store.get_video(video_id)

    def ready_videos(self, index_id: str) -> list[VideoRecord]:
        """Every indexed (``ready``) video of an index, all pages."""
        videos: list[VideoRecord] = []
        page = 1
        while True:
            found = self.store.list_videos(index_id, page=page, page_limit=200)
            videos += [v for v in found.items if v.status == "ready"]
            if page >= found.total_pages:
                return videos
            page += 1

    def video_segments(self, video_id: str, kind: SegmentKind | None = None) -> list[Segment]:
        """A video's evidence segments (optionally of one kind), by ``start`` then ``end``."""
        return self.store.segments(video_id, kind)

    def video_keyframes(self, video_id: str) -> list[Keyframe]:
        """A video's keyframes, by time."""
        return self.store.keyframes(video_id)

    def video_vectors(self, video_id: str, space: Space) -> tuple[list[str], np.ndarray]:
        """A video's ``space`` vectors: ``(owner ids, (n, dim) unit rows)``."""
        return self.store.video_vectors(video_id, space)

    def segments_by_id(self, ids: Sequence[str]) -> dict[str, Segment]:
        """Segments by id (unknown ids left out), e.g. to resolve vector hits."""
        return self.store.get_segments(ids)

    def keyframes_by_id(self, ids: Sequence[str]) -> dict[str, Keyframe]:
        """Keyframes by id (unknown ids left out)."""
        return self.store.get_keyframes(ids)

    def search_text(
        self,
        index_id: str,
        query: str,
        *,
        kinds: Sequence[SegmentKind] | None = None,
        limit: int = 10,
        video_ids: Sequence[str] | None = None,
        mode: TextMode = "any",
    ) -> list[tuple[Segment, float]]:
        """Lexical search (BM25) over an index's segment text, best first, as
        ``(segment, score)``; see :meth:`vidsense.store.Store.search_text`."""
        return self.store.search_text(
            index_id, query, kinds=kinds, limit=limit, video_ids=video_ids, mode=mode
        )

    def search_vectors(
        self,
        index_id: str,
        space: Space,
        query: np.ndarray,
        *,
        limit: int = 10,
        video_ids: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        """The ``limit`` vectors of an index nearest ``query``, as ``(owner id, cosine)``,
        highest first."""
        return self.store.search_vectors(index_id, space, query, limit=limit, video_ids=video_ids)

    def blob_path(self, key: str) -> Path:
        """A local path to a stored file (a keyframe, a logo image), fetched first when the
        blobs live in remote storage."""
        return self.store.blobs.path(key)

    def local_blob_path(self, key: str) -> Path | None:
        """Where a stored file lies when the blobs are a local folder; None for remote storage
        (use :meth:`blob_path` to fetch one)."""
        root = getattr(self.store.blobs, "root", None)
        return Path(root) / key if root is not None else None

    # -- written answers (cached per video, dropped when it is re-indexed) -------------------

    def cached_writing(self, video_id: str, key: str) -> dict[str, Any] | None:
        """The answer kept under ``key`` for the video, or None."""
        return self.store.cached_writing(video_id, key)

    def keep_writing(self, video_id: str, key: str, body: Mapping[str, Any]) -> None:
        """Keep a written answer (JSON-serialisable) under ``key``, replacing an older one."""
        self.store.keep_writing(video_id, key, body)

    # -- logos -------------------------------------------------------------------------------

    def add_logo(self, index_id: str, name: str, data: bytes, extension: str) -> LogoRecord:
        """Register a logo image (JPEG/PNG bytes, ``extension`` without the dot) as ``name`` on
        an index, for logo search."""
        return self.store.add_logo(index_id, name, data, extension)

    def list_logos(self, index_id: str) -> list[LogoRecord]:
        """An index's registered logos, oldest first."""
        return self.store.list_logos(index_id)

    def delete_logo(self, index_id: str, logo_id: str) -> None:
        """Remove a logo and its image (``NotFound`` ``logo_not_found``)."""
        self.store.delete_logo(index_id, logo_id)

    # -- people (faces seen in an index that opted in with the ``faces`` option) --------------

    def list_people(self, index_id: str) -> list[Person]:
        """The people of an index, most faces first, each with the videos and time ranges
        where they appear (empty for an index without the ``faces`` option)."""
        records = self.store.people(index_id)
        by_person: dict[str, list[FaceRecord]] = {}
        for face in self.store.faces(index_id):
            by_person.setdefault(str(face.person_id), []).append(face)
        return [person(r, by_person.get(r.id, [])) for r in records]

    def get_person(self, index_id: str, person_id: str) -> Person:
        """One person of an index (``NotFound`` ``person_not_found``)."""
        record = self.store.get_person(index_id, person_id)
        return person(record, self.store.faces(index_id, person_id=person_id))

    def person_thumbnail(self, index_id: str, person_id: str) -> bytes:
        """A JPEG of the person's best face (150 x 150, aligned)."""
        return self.store.person_thumbnail(index_id, person_id)

    def rename_person(self, index_id: str, person_id: str, name: str | None) -> Person:
        """Name a person (None forgets the name)."""
        self.store.rename_person(index_id, person_id, name)
        return self.get_person(index_id, person_id)

    def delete_person(self, index_id: str, person_id: str) -> None:
        """Delete a person and every face of theirs (the videos stay)."""
        self.store.delete_person(index_id, person_id)

    def find_person(self, index_id: str, image: np.ndarray, *, limit: int = 5) -> list[PersonMatch]:
        """The people of an index nearest the largest face in ``image`` (an ``H x W x 3``
        uint8 RGB picture), nearest first; ``same`` marks those within the same-person
        distance. ``InvalidArgument`` (``no_face``) when the picture shows no face;
        ``option_not_in_index`` when the index does not keep faces."""
        from vidsense.models.faces import FacesEntry
        from vidsense.perception.faces import SAME_PERSON_DISTANCE, face_distances, find_faces

        index = self.store.get_index(index_id)
        if "faces" not in index.options:
            raise InvalidArgument(
                "this index does not keep faces; create it with the faces option",
                code="option_not_in_index",
            )
        found = find_faces(FacesEntry(self.settings).load(), image).faces
        if not found:
            raise InvalidArgument("no face was found in the picture", code="no_face")
        largest = max(found, key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))
        records = self.store.people(index_id)
        if not records:
            return []
        distances = face_distances(largest.embedding, np.stack([r.centroid for r in records]))[0]
        order = np.argsort(distances, kind="stable")[: max(1, limit)]
        return [
            PersonMatch(
                self.get_person(index_id, records[i].id),
                round(float(distances[i]), 4),
                bool(distances[i] <= SAME_PERSON_DISTANCE),
            )
            for i in order
        ]

    def regroup_people(self, index_id: str) -> list[Person]:
        """Cluster every face of the index into people afresh (people keep their id and name
        where most of their faces stay together); the people afterwards."""
        self.store.assign_people(index_id, regroup(self.store.faces(index_id)))
        return self.list_people(index_id)

    def thumbnail(self, index_id: str, video_id: str, time: float | None = None) -> Path:
        """A JPEG of the video: its thumbnail, or the frame shown at ``time`` seconds (made
        once from the stored video, then kept)."""
        video = self.get_video(index_id, video_id)
        prefix = video_prefix(index_id, video_id)
        blobs = self.store.blobs
        if time is None:
            key = f"{prefix}thumbnail.jpg"
            if blobs.exists(key):
                return blobs.path(key)
            time = 0.0
        if not 0.0 <= time <= video.duration:
            raise InvalidArgument(
                f"time must be between 0 and the video's duration ({video.duration:.3f} s), "
                f"got {time:g}"
            )
        key = f"{prefix}thumbnails/{round(time * 1000):09d}.jpg"
        if not blobs.exists(key):
            source = self._source_path(index_id, video_id)
            if source is None:
                raise NotFound(f"video {video_id} has no stored file", code="video_file_not_found")
            work = self._work_dir(f"thumb-{video_id}-{threading.get_ident()}")
            try:
                self._write_thumbnail(
                    source, min(time, max(video.duration - 0.05, 0.0)), key, work / "t.jpg"
                )
            finally:
                shutil.rmtree(work, ignore_errors=True)
        return blobs.path(key)

    def _write_thumbnail(self, source: Path, time: float, key: str, tmp: Path) -> None:
        from vidsense.media.frames import thumbnail

        thumbnail(source, time, tmp, width=480)
        self.store.blobs.put_file(key, tmp, move=True)

    # -- submitting --------------------------------------------------------------------------

    def upload_sink(self, filename: str | None) -> UploadSink:
        """A sink for an upload's bytes, in the data folder, enforcing ``max_upload_bytes``."""
        return UploadSink(
            self.settings.data_dir / "uploads", self.settings.max_upload_bytes, filename
        )

    def submit_upload(
        self,
        index_id: str,
        staged: StagedFile,
        *,
        language: str | None = None,
        user_metadata: Mapping[str, Any] | None = None,
        refuse_unsupported: bool = False,
        asset_id: str | None = None,
    ) -> Submission:
        """Submit a staged upload for indexing, or return the task that already indexed (or is
        checking or indexing) the same file in this index. The staged file is moved into the
        blob store or, for a duplicate, deleted.

        The file is checked here (sniffed and probed, some 50 ms) while its task is
        ``validating``: the returned task is then ``pending``, or ``failed`` with the media
        error's code and message (the upload is kept, to look at or retry). With
        ``refuse_unsupported`` (what the HTTP API does, as the hosted APIs answer 400), a file
        that is not a video at all (:class:`~vidsense.errors.UnsupportedMedia`: text, an
        image, audio only) is refused with that error instead, before any task exists, and
        deleted. ``asset_id`` names the asset the file came from: its video then takes the
        task's id (see :meth:`index_video`)."""
        from vidsense.media.probe import sniff

        try:
            self.store.get_index(index_id)
            language = _check_language(language)
            kind = sniff(staged.path)
            problem = self._media_problem(staged.path, staged.filename)
            if refuse_unsupported and isinstance(problem, UnsupportedMedia):
                raise problem
            with self._submit_lock:
                earlier = self._earlier_task(index_id, staged.sha256)
                if earlier is not None:
                    staged.discard()
                    return Submission(earlier, duplicate=True)
                key = f"{index_id}/uploads/{staged.sha256}.{_extension(kind)}"
                kept_before = self.store.blobs.exists(key)  # an earlier failed task's file
                self.store.blobs.put_file(key, staged.path, move=True)
                source = {
                    "type": "upload",
                    "blob": key,
                    "filename": staged.filename,
                    "sha256": staged.sha256,
                    "size": staged.size,
                    "container": kind,
                    "language": language,
                    "user_metadata": dict(user_metadata or {}),
                }
                if asset_id is not None:
                    source["asset_id"] = asset_id
                try:
                    task = self.store.enqueue_task(index_id, source, status="validating")
                except BaseException:
                    if not kept_before:  # no task holds the file: it must not stay
                        self.store.blobs.delete(key)
                    raise
        finally:
            staged.discard()  # a no-op once moved
        # Outside the lock: other submissions need not wait for this step.
        return Submission(self._validate_upload(task, problem))

    def _media_problem(self, path: Path, filename: str) -> MediaError | None:
        """Why ``path`` cannot be indexed (its media error, naming it ``filename``), or None
        when it can, or when the check itself could not run (a tool timing out, say: the
        worker probes again before indexing)."""
        from vidsense.media.probe import probe

        try:
            probe(path, allow_partial=self.settings.allow_partial_media)
        except MediaError as e:
            e.message = e.message.replace(path.name, filename)
            e.args = (e.message,)
            return e
        except (VidsenseError, OSError) as e:
            log.warning(
                "could not check %s now (%s); it is checked again when indexed", filename, e
            )
        return None

    def _validate_upload(self, task: TaskRecord, problem: MediaError | None) -> TaskRecord:
        """Make a ``validating`` upload task ``pending``, or fail it with the media error its
        file has."""
        try:
            if problem is not None:
                log.info(
                    "task %s: %s is not indexable: %s (%s)",
                    task.id,
                    task.source.get("filename"),
                    problem.message,
                    problem.code,
                )
                return self.store.fail_task(task.id, problem.code, problem.message)
            return self.store.mark_task_validated(task.id)
        except (Conflict, NotFound):
            # Decided meanwhile: made pending by a claim after too long, or its index deleted.
            return self.store.get_task(task.id)

    def submit_file(
        self,
        index_id: str,
        path: Path,
        *,
        language: str | None = None,
        user_metadata: Mapping[str, Any] | None = None,
        filename: str | None = None,
    ) -> Submission:
        """Submit a local file (copied into the library; the original is left alone), checked
        as :meth:`submit_upload` checks an upload, under ``filename`` (default: its own
        name)."""
        path = local_file(path)
        self.store.get_index(index_id)
        staged = self.stage_file(path, filename)
        return self.submit_upload(index_id, staged, language=language, user_metadata=user_metadata)

    def stage_file(self, path: Path, filename: str | None = None) -> StagedFile:
        """A local file copied into the data folder as an upload is (the original is left
        alone), for :meth:`submit_upload`, named ``filename`` (default: its own name);
        ``file_not_found`` without one."""
        path = local_file(path)
        with self.upload_sink(filename or path.name) as sink, path.open("rb") as f:
            sink.write_from(f)
            return sink.finish()

    def submit_url(
        self,
        index_id: str,
        url: str,
        *,
        language: str | None = None,
        external: bool = False,
        user_metadata: Mapping[str, Any] | None = None,
    ) -> Submission:
        """Queue a video URL (a file, or with ``external`` a page such as YouTube's) that a
        worker downloads while ``indexing``. The URL must be http(s) to a public address
        (checked now, while the task would be ``validating``, and again at every redirect); a
        URL already queued in this index returns that task."""
        from vidsense.media.network import check_url_allowed

        if not isinstance(url, str) or not url.strip():
            raise InvalidArgument("video_url must be a non-empty http(s) URL")
        url = url.strip()
        self.store.get_index(index_id)
        language = _check_language(language)
        check_url_allowed(url, self.settings.fetch)
        with self._submit_lock:
            for task in self._in_flight(index_id):
                if task.source.get("url") == url:
                    return Submission(task, duplicate=True)
            source = {
                "type": "external" if external else "url",
                "url": url,
                "filename": _url_filename(url),
                "language": language,
                "user_metadata": dict(user_metadata or {}),
            }
            # The URL passed its checks above; what it serves is checked while indexing.
            task = self.store.enqueue_task(index_id, source, status="validating")
            return Submission(self.store.mark_task_validated(task.id))

    def _earlier_task(self, index_id: str, sha256: str) -> TaskRecord | None:
        """The task that indexed, or is indexing, this file in this index."""
        video = self.store.find_video_by_hash(index_id, sha256)
        if video is not None and video.status != "failed":
            tasks = self.store.list_tasks(video_id=video.id, page_limit=1, sort_option="asc")
            if tasks.items:
                return tasks.items[0]
        for task in self._in_flight(index_id):
            if task.source.get("sha256") == sha256:
                return task
        return None

    def _in_flight(self, index_id: str) -> Iterator[TaskRecord]:
        statuses: tuple[TaskStatus, ...] = ("validating", "pending", "indexing")
        for status in statuses:
            page = 1
            while True:
                found = self.store.list_tasks(
                    index_id=index_id, status=status, page=page, page_limit=200
                )
                yield from found.items
                if page >= found.total_pages:
                    break
                page += 1

    # -- tasks -------------------------------------------------------------------------------

    def get_task(self, task_id: str) -> TaskRecord:
        """The task (``NotFound`` ``task_not_found``)."""
        return self.store.get_task(task_id)

    def list_tasks(
        self,
        *,
        index_id: str | None = None,
        status: TaskStatus | Sequence[TaskStatus] | None = None,
        page: int = 1,
        page_limit: int = 10,
        sort_by: TaskSort = "created_at",
        sort_option: SortOption = "desc",
    ) -> Page[TaskRecord]:
        """Tasks, optionally of one index and/or stored status (or any of several), one page
        at a time."""
        if index_id is not None:
            self.store.get_index(index_id)
        return self.store.list_tasks(
            index_id=index_id,
            status=status,
            page=page,
            page_limit=page_limit,
            sort_by=sort_by,
            sort_option=sort_option,
        )

    # -- skills (checked and resolved by vidsense.skills) ------------------------------------

    @property
    def blobs(self) -> BlobStore:
        """Where files live (skill bundles are read and kept here by :mod:`vidsense.skills`)."""
        return self.store.blobs

    def create_skill(
        self, name: str, description: str, schema: Mapping[str, Any] | None, bundle: bytes
    ) -> SkillRecord:
        """Store version 1 of a new skill (``Conflict`` ``skill_exists`` for a taken name)."""
        return self.store.create_skill(name, description, schema, bundle)

    def add_skill_version(
        self, skill_id: str, description: str, schema: Mapping[str, Any] | None, bundle: bytes
    ) -> SkillRecord:
        """Store the next version of a skill; older versions stay."""
        return self.store.add_skill_version(skill_id, description, schema, bundle)

    def get_skill(self, skill_id: str, version: int | None = None) -> SkillRecord:
        """A skill at ``version`` (None: the latest); ``NotFound`` ``skill_not_found``."""
        return self.store.get_skill(skill_id, version)

    def find_skill(self, name: str, version: int | None = None) -> SkillRecord:
        """A skill by name at ``version`` (None: the latest)."""
        return self.store.find_skill(name, version)

    def list_skills(
        self,
        *,
        limit: int = 25,
        offset: int = 0,
        order_by: SkillSort = "created_at",
        descending: bool = True,
        latest_only: bool = False,
    ) -> list[SkillRecord]:
        """Skill versions (or each skill's latest), sorted by ``order_by``."""
        return self.store.list_skills(
            limit=limit,
            offset=offset,
            order_by=order_by,
            descending=descending,
            latest_only=latest_only,
        )

    # -- jobs (their life is drawn in vidsense.store.base; run by vidsense.jobs.runs) --------

    def submit_job(
        self,
        kind: JobKind,
        request: Mapping[str, Any],
        *,
        status: Literal["enqueued", "paused"] = "enqueued",
    ) -> JobRecord:
        """Queue a job of ``kind`` (id ``<prefix>_<hex>``) for the job workers."""
        return self.store.submit_job(kind, request, status=status)

    def get_job(self, job_id: str, kind: JobKind | None = None) -> JobRecord:
        """The job (``NotFound`` ``<kind>_not_found`` also when it is of another kind)."""
        return self.store.get_job(job_id, kind)

    def list_jobs(
        self,
        *,
        kind: JobKind | None = None,
        status: JobStatus | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        skip: int = 0,
        limit: int = 10,
        descending: bool = True,
    ) -> list[JobRecord]:
        """Jobs, optionally of one kind and status, created in ``[created_after,
        created_before)``, newest first unless ``descending`` is False."""
        return self.store.list_jobs(
            kind=kind,
            status=status,
            created_after=created_after,
            created_before=created_before,
            skip=skip,
            limit=limit,
            descending=descending,
        )

    def claim_job(
        self,
        worker_id: str,
        lease_seconds: float = 60.0,
        *,
        kinds: Sequence[JobKind] | None = None,
    ) -> JobRecord | None:
        """Lease the oldest claimable job (of ``kinds``) to ``worker_id``; None when none."""
        return self.store.claim_job(worker_id, lease_seconds, kinds=kinds)

    def heartbeat_job(
        self, job_id: str, worker_id: str, progress: float, *, lease_seconds: float = 60.0
    ) -> JobRecord:
        """Store ``progress`` and renew the lease (``Conflict`` ``lease_lost``)."""
        return self.store.heartbeat_job(job_id, worker_id, progress, lease_seconds=lease_seconds)

    def release_job(self, job_id: str, worker_id: str) -> JobRecord:
        """Hand a held job back (``pending``), for the next claim."""
        return self.store.release_job(job_id, worker_id)

    def finish_job(
        self,
        job_id: str,
        worker_id: str,
        status: Literal["completed", "failed"],
        *,
        result: Mapping[str, Any] | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> JobRecord:
        """End a held job ``completed`` with ``result`` or ``failed`` with the error."""
        return self.store.finish_job(
            job_id,
            worker_id,
            status,
            result=result,
            error_code=error_code,
            error_message=error_message,
        )

    # -- indexing (the run step of a task's life, see vidsense.library.tasks) ----------------

    def index_video(self, ctx: TaskContext, analyzer: Analyzer | None = None) -> str:
        """Index the video of a claimed task; returns its video id.

        ``analyzer`` runs the analysis (same arguments as
        :func:`~vidsense.perception.analyze.analyze`, the default); the Ray executor passes one
        that runs it in a process holding the models warm.

        Raises the source's error (``unsupported_media``, ``corrupt_media``, ``fetch_failed``,
        ...) when it cannot be indexed (the worker fails the task with it), or
        :class:`TaskInterrupted` when ``ctx.cancel`` was set. The evidence is written in one
        transaction at the end: a failure leaves no partial evidence behind.
        """
        from vidsense.library.evidence import build_evidence
        from vidsense.media.probe import probe, sniff
        from vidsense.perception.analyze import analyze

        task = ctx.task
        started = time.perf_counter()
        index = self.store.get_index(task.index_id)
        src = task.source
        ctx.progress(0.0)
        work = self._work_dir(task.id)
        try:
            path, upload_key = self._local_source(task, ctx)
            sha256 = str(src.get("sha256") or _sha256(path))
            self._check_cancel(ctx)

            existing = self.store.find_video_by_hash(task.index_id, sha256)
            if existing is not None and existing.id != task.video_id:
                if existing.status == "ready":
                    # Same file already indexed here (e.g. the same video under two URLs).
                    ctx.link_video(existing.id)
                    if upload_key is not None:
                        self.store.blobs.delete(upload_key)
                    ctx.progress(100.0)
                    return existing.id
                if existing.status == "failed":
                    existing = None
            reuse = task.video_id or (existing.id if existing is not None else None)

            filename = str(src.get("filename") or path.name)
            try:
                info = probe(path, allow_partial=self.settings.allow_partial_media)
                kind = sniff(path)
                ctx.progress(_FETCHED)
                analysis_started = time.perf_counter()
                analysis = (analyzer or analyze)(
                    path,
                    self.settings,
                    out_dir=work / "analysis",
                    options=index.options or None,
                    language=src.get("language"),
                    progress=_AnalysisProgress(ctx),
                    cancel=ctx.cancel,
                )
            except VidsenseError as e:
                # Name the file as the user knows it, not by its name in the blob store.
                e.message = e.message.replace(path.name, filename)
                e.args = (e.message,)
                raise
            analysis_s = time.perf_counter() - analysis_started
            self._check_cancel(ctx)
            info = analysis.metadata  # a damaged file's readable part (allow_partial_media)

            width, height = info.display_size
            if reuse is None:
                video = self.store.create_video(
                    task.index_id,
                    filename=filename,
                    sha256=sha256,
                    duration=info.duration,
                    fps=info.fps,
                    width=width,
                    height=height,
                    size=info.size,
                    metadata={
                        **(src.get("user_metadata") or {}),
                        **({PARTIAL_NOTE: info.partial} if info.partial else {}),
                    },
                    status="indexing",
                    # An indexed asset is known by its task's id from the start (Twelve
                    # Labs' indexed asset id is the video id): its video takes that id.
                    video_id=task.id if src.get("asset_id") else None,
                )
                reuse = video.id
            ctx.link_video(reuse)
            prefix = video_prefix(task.index_id, reuse)
            evidence = build_evidence(analysis, reuse, prefix)
            blobs = self.store.blobs
            for keyframe in evidence.keyframes:
                blobs.put_file(keyframe.blob_key, evidence.files[keyframe.id], move=True)
            self._store_thumbnail(path, info.duration, analysis, prefix, work)
            ext = _extension(kind) if kind in _CONTAINERS else _extension(info.container)
            source_key = f"{prefix}source.{ext}"
            if not (blobs.exists(source_key) and blobs.path(source_key) == path):
                # The upload (or the downloaded copy) becomes the video's stored file.
                blobs.put_file(source_key, path, move=True)
            ctx.progress(95.0)
            faces = join_people(evidence.faces, self.store.people(task.index_id))
            self.store.replace_evidence(
                reuse, evidence.segments, evidence.keyframes, evidence.vectors, faces
            )
            total_s = time.perf_counter() - started
            log.info(
                "task %s indexed %.1f s of video in %.2f s: analysis %.2f s, other %.2f s",
                task.id,
                info.duration,
                total_s,
                analysis_s,
                total_s - analysis_s,
            )
            return reuse
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _local_source(self, task: TaskRecord, ctx: TaskContext) -> tuple[Path, str | None]:
        """(local file, its upload blob key or None) for a task's source."""
        src = task.source
        blobs = self.store.blobs
        if src.get("type") == "upload":
            key = str(src["blob"])
            if blobs.exists(key):
                return blobs.path(key), key
            # A retry after the file was already moved to its video's folder.
            if task.video_id is not None:
                path = self._source_path(task.index_id, task.video_id)
                if path is not None:
                    return path, None
            raise NotFound(
                "the uploaded file of this task is gone; upload it again",
                code="upload_not_found",
            )
        url = str(src.get("url") or "")
        if task.video_id is not None:
            path = self._source_path(task.index_id, task.video_id)
            if path is not None:
                return path, None
        from vidsense.media.source import fetch_url

        def on_bytes(done: int, total: int | None) -> None:
            if total:
                ctx.progress(0.9 * _FETCHED * min(done / total, 1.0))

        return fetch_url(url, self.settings, on_bytes), None

    def _store_thumbnail(
        self, path: Path, duration: float, analysis: Analysis, prefix: str, work: Path
    ) -> None:
        """The video's thumbnail: the frame at the keyframe of its longest shot."""
        at = 0.0
        if analysis.shots and analysis.keyframes:
            longest = max(analysis.shots, key=lambda s: s.end - s.start)
            at = next(
                (k.time for k in analysis.keyframes if k.shot == longest.index),
                analysis.keyframes[0].time,
            )
        try:
            self._write_thumbnail(
                path,
                min(at, max(duration - 0.05, 0.0)),
                f"{prefix}thumbnail.jpg",
                work / "thumbnail.jpg",
            )
        except (VidsenseError, OSError) as e:  # a missing thumbnail is not worth a failed task
            log.warning("no thumbnail for %s: %s", prefix, e)

    # -- job files and cancelling (renders, generated videos) --------------------------------

    def cancel_job(self, job_id: str, message: str) -> JobRecord:
        """Stop a job that has not ended (``failed``, code ``cancelled``)."""
        return self.store.cancel_job(job_id, message)

    def delete_job(self, job_id: str, files: str | None = None) -> JobRecord:
        """Remove a job, and the stored files under the blob prefix ``files`` when given."""
        job = self.store.delete_job(job_id)
        if files:
            self.store.blobs.delete_prefix(files)
        return job

    def keep_file(self, key: str, path: Path) -> str:
        """Move a finished file into blob storage under ``key``."""
        return self.store.blobs.put_file(key, path, move=True)

    def delete_files(self, prefix: str) -> int:
        """Delete every stored file under the blob prefix ``prefix``; how many went."""
        return self.store.blobs.delete_prefix(prefix)

    def work_dir(self, name: str) -> Path:
        """An empty scratch folder ``DATA_DIR/work/name`` on the blobs' filesystem (cleared
        of what an interrupted run left)."""
        return self._work_dir(name)

    def _work_dir(self, name: str) -> Path:
        work = self.settings.data_dir / "work" / name
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        return work

    @staticmethod
    def _check_cancel(ctx: TaskContext) -> None:
        if ctx.cancel.is_set():
            raise TaskInterrupted(f"task {ctx.task.id} was interrupted; it will be retried")


def check_data_dir(folder: Path) -> None:
    """Make ``folder`` (the data folder) if it is missing and check that files can be written
    in it; ``StorageUnavailable`` (one line, naming the folder and why) when they cannot: a
    read-only mount, a folder this user may not write."""
    probe = folder / f".write-check-{os.getpid()}-{threading.get_ident()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise StorageUnavailable(
            f"the data folder {folder} cannot be written ({e.strerror or e}); point "
            "VIDSENSE_DATA_DIR (or --data-dir) at a writable folder"
        ) from e


def _check_language(language: str | None) -> str | None:
    if language is None or not str(language).strip():
        return None
    code = str(language).strip().lower()
    if not _LANGUAGE.fullmatch(code):
        raise InvalidArgument(
            f"language must be an ISO 639-1 code such as en or fr, got {language!r}"
        )
    spoken = code.split("-")[0]
    known = known_languages()
    if known is not None and spoken not in known:
        raise InvalidArgument(
            f"language {language!r} is not one speech recognition knows; {LANGUAGE_HINT}"
        )
    return spoken
