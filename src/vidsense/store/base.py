"""The storage interface: indexes, videos, evidence, lexical and vector search, durable tasks,
skills and durable jobs.

Callers (services, workers, the HTTP layer) talk to a :class:`Store` and never write SQL. One
backend exists today, :class:`~vidsense.store.sqlite.SQLiteStore` (one SQLite file + a local
blob folder); a PostgreSQL + pgvector backend can be added beside it and picked by
:func:`vidsense.store.open_store`, the one place that switches on the URL.

Conventions every backend keeps:

- ids are 24 lowercase hex characters (as Twelve Labs ids), made by :func:`new_id`;
- times of day are ISO-8601 UTC strings with microseconds (``2024-03-01T12:00:00.000000Z``), so
  they sort as text; media times (``start``, ``end``, ``time``, ``duration``) are float seconds;
- rows come back as frozen dataclasses; lists come back as a :class:`Page` (1-based ``page``);
- errors are from :mod:`vidsense.errors`: ``NotFound`` with code ``index_not_found``,
  ``video_not_found``, ``task_not_found``, ``skill_not_found`` or ``<kind>_not_found`` for a
  job; ``Conflict`` for a taken index or skill name (``conflict``, ``skill_exists``), a lost
  task or job lease (``lease_lost``) or a task or job in the wrong status for the change asked
  (``task_state``, ``job_state``); ``InvalidArgument`` for bad input, raised before anything is
  written.
- blob keys of a video live under :func:`video_prefix`, so deleting a video or an index deletes
  its files too; skill bundles live under ``skills/{skill_id}/``.

Jobs are the durable work that is not indexing (an agent execution today; later predictions,
renders, generated videos). They share the tasks' lease scheme: a worker claims the oldest
waiting job, renews its lease with heartbeats, and a job whose worker died (lease expired) is
claimed again by the next worker, up to ``max_attempts`` claims. A job's life::

    enqueued ──► running ──► completed
       ▲  │        │   │
       │  ▼        │   └──────► failed    (error code + message; also too_many_attempts)
     paused   pending ◄┘ (handed back at shutdown; claimed again like enqueued)

A job that has not ended can be cancelled from any of these states (``failed``, code
``cancelled``; its worker loses the lease and stops at its next heartbeat), and any job can be
deleted.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar, get_args

import numpy as np
import numpy.typing as npt

from vidsense.store.blobs import BlobStore

T = TypeVar("T")

TaskStatus = Literal["validating", "pending", "indexing", "ready", "failed"]
"""A task's (and its video's) life: ``validating`` -> ``pending`` -> ``indexing`` -> ``ready`` |
``failed``. ``validating``: its source is being checked (no worker may claim it); ``pending``:
queued for a worker; ``indexing``: a worker holds it. A task fails at validation (from
``validating`` or ``pending``, see :meth:`Store.fail_task`) or while indexing."""
VideoStatus = TaskStatus
SegmentKind = Literal["transcript", "text", "audio_event", "shot", "caption", "logo", "visual"]
"""What a segment holds: speech, on-screen text, an audio event, a shot, a written caption, a
logo sighting, what a shot's keyframe shows (labels and tags)."""
Space = Literal["text", "visual", "image"]
"""A vector space: ``text`` (text embedder), ``visual`` (a CLIP-family image/text embedder) or
``image`` (the image-labels network's embedding of keyframes, image to image only)."""
SortOption = Literal["asc", "desc"]
IndexSort = Literal["created_at", "updated_at", "index_name"]
VideoSort = Literal["created_at", "updated_at", "filename", "duration"]
TaskSort = Literal["created_at", "updated_at"]
TextMode = Literal["any", "all", "phrase"]
"""Lexical matching: ``any`` word (ranked by BM25), ``all`` words, or the exact ``phrase``."""

JobKind = Literal["execution", "prediction", "render", "video_generation", "analysis", "embedding"]
"""What a job does: an agent execution; a Twelve Labs asynchronous analysis; later a VLM Run
prediction, a render, a generated video; a Twelve Labs embed task."""
JobStatus = Literal["enqueued", "pending", "running", "completed", "failed", "paused"]
"""A job's status, VLM Run's ``JobStatus`` as is: ``enqueued`` (waiting for a worker),
``running`` (a worker holds its lease), ``pending`` (handed back by a worker that stopped;
waiting to be claimed again), ``paused`` (held from workers until resumed), ``completed``,
``failed``."""
SkillSort = Literal["created_at", "updated_at", "name"]

TASK_STATUSES: tuple[str, ...] = get_args(TaskStatus)
JOB_KINDS: tuple[str, ...] = get_args(JobKind)
JOB_STATUSES: tuple[str, ...] = get_args(JobStatus)
JOB_ID_PREFIXES: dict[str, str] = {
    "execution": "exec",
    "prediction": "pred",
    "render": "render",
    "video_generation": "video",
    "analysis": "analyze",
    "embedding": "embed",
}
"""A job's id is ``<prefix>_<24 hex>``, the prefix naming its kind."""
SEGMENT_KINDS: tuple[str, ...] = get_args(SegmentKind)
SPACES: tuple[str, ...] = get_args(Space)

Vector = npt.NDArray[np.float32]


def new_id() -> str:
    """A fresh 24-hex-character id (96 random bits), shaped like a Twelve Labs id."""
    return secrets.token_hex(12)


def format_time(moment: datetime) -> str:
    """``moment`` as the store's ISO-8601 UTC text (microseconds, ``Z``), which sorts as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now(after_seconds: float = 0.0) -> str:
    """Now (plus ``after_seconds``, seconds) as the store's ISO-8601 UTC text."""
    return format_time(datetime.now(UTC) + timedelta(seconds=after_seconds))


def video_prefix(index_id: str, video_id: str) -> str:
    """The blob folder that holds a video's files (source copy, keyframes, thumbnails)."""
    return f"{index_id}/{video_id}/"


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: ``items`` and the ``total`` number of rows across all pages."""

    items: list[T]
    total: int
    page: int
    page_limit: int

    @property
    def total_pages(self) -> int:
        return max(1, -(-self.total // self.page_limit))


@dataclass(frozen=True)
class IndexRecord:
    """A library of videos. ``total_duration`` sums its videos' durations, in seconds.
    ``models`` are the models (``{"model_name", "model_options"}``) it was created with, as the
    request named them; None when it named none."""

    id: str
    name: str
    options: list[str]
    addons: list[str]
    created_at: str
    updated_at: str
    video_count: int = 0
    total_duration: float = 0.0
    models: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class VideoRecord:
    """A video in an index. ``duration`` in seconds, ``size`` in bytes, ``metadata`` is the
    user's JSON object."""

    id: str
    index_id: str
    filename: str
    sha256: str
    status: VideoStatus
    duration: float
    fps: float
    width: int
    height: int
    size: int
    metadata: dict[str, Any]
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class TaskRecord:
    """A durable indexing job. ``progress`` is a percentage (0-100); ``lease_until`` is when the
    worker named in ``lease_owner`` loses the task unless it sends a heartbeat; ``attempts``
    counts claims."""

    id: str
    index_id: str
    video_id: str | None
    status: TaskStatus
    progress: float
    error_code: str | None
    error_message: str | None
    source: dict[str, Any]
    attempts: int
    lease_owner: str | None
    lease_until: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class SkillRecord:
    """One version of a stored skill. Every version of a skill shares its ``id`` and ``name``;
    ``version`` counts from 1. ``created_at`` is when the skill was first made, ``updated_at``
    when this version was. ``bundle_key`` is the blob holding the bundle (a zip of ``size``
    bytes, SHA-256 ``sha256``); ``schema`` is its JSON schema, if it has one."""

    id: str
    name: str
    version: int
    description: str
    schema: dict[str, Any] | None
    bundle_key: str
    sha256: str
    size: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class JobRecord:
    """A durable job (not indexing). ``request`` is what to do and ``result`` what came of it
    (JSON objects, their shape set by ``kind``); ``progress`` is a percentage; the lease works
    as a task's (``lease_owner`` holds it until ``lease_until`` unless it sends a heartbeat);
    ``attempts`` counts claims; ``completed_at`` is set when it completes or fails."""

    id: str
    kind: JobKind
    status: JobStatus
    request: dict[str, Any]
    result: dict[str, Any] | None
    error_code: str | None
    error_message: str | None
    progress: float
    attempts: int
    lease_owner: str | None
    lease_until: str | None
    created_at: str
    updated_at: str
    completed_at: str | None


@dataclass(frozen=True)
class Segment:
    """A span of evidence in a video, ``start``/``end`` in seconds. ``id`` is made on creation
    so that vectors can name their segment before it is stored."""

    video_id: str
    kind: SegmentKind
    start: float
    end: float
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_id)


@dataclass(frozen=True)
class Keyframe:
    """A representative frame of shot ``shot_index`` at ``time`` seconds; its image is the blob
    ``blob_key``."""

    video_id: str
    shot_index: int
    time: float
    blob_key: str
    id: str = field(default_factory=new_id)


@dataclass(frozen=True)
class LogoRecord:
    """A logo image registered on an index (for logo search); its image is ``blob_key``."""

    id: str
    index_id: str
    name: str
    blob_key: str
    created_at: str


@dataclass(frozen=True, eq=False)
class FaceRecord:
    """A human face seen in a video, at ``time`` seconds (a keyframe, or a frame sampled inside
    a long shot), standing for ``[start, end]`` seconds of shot ``shot_index``.

    ``box`` is ``(left, top, right, bottom)`` as fractions (0-1) of the picture; ``score`` the
    detector's score; ``embedding`` the face vector (float32, compared by Euclidean distance);
    ``chip`` the aligned face as JPEG bytes (people's thumbnails); ``person_id`` the person of
    the index it belongs to. Faces are biometric data: stored only for indexes that opted in.
    """

    video_id: str
    shot_index: int
    time: float
    start: float
    end: float
    box: tuple[float, float, float, float]
    score: float
    embedding: npt.NDArray[np.float32]
    chip: bytes = b""
    person_id: str | None = None
    id: str = field(default_factory=new_id)


@dataclass(frozen=True, eq=False)
class PersonRecord:
    """Faces of one person in an index: ``name`` (None until named), ``face_count`` faces in
    ``video_count`` videos, ``centroid`` the mean of their embeddings."""

    id: str
    index_id: str
    name: str | None
    face_count: int
    video_count: int
    centroid: npt.NDArray[np.float32]
    created_at: str
    updated_at: str


@dataclass(frozen=True, eq=False)
class VectorBatch:
    """Embeddings of one space: row ``i`` of ``vectors`` (float32, shape ``(n, dim)``) belongs
    to the segment or keyframe whose id is ``owners[i]``. Rows are normalized to unit length
    when stored, so search scores are cosine similarities."""

    space: Space
    owners: Sequence[str]
    vectors: npt.NDArray[np.floating[Any]]


class Store(ABC):
    """Everything vidsense keeps: metadata, evidence, search structures, tasks, and blobs.

    Implementations are safe to share between threads (HTTP handlers and in-process workers),
    and several processes may open the same store.
    """

    NAME: str
    blobs: BlobStore
    max_attempts: int
    """Claims a task may take; the claim after that fails it with ``too_many_attempts``."""

    # -- lifecycle ---------------------------------------------------------------------------

    @abstractmethod
    def close(self) -> None:
        """Release connections and caches; the store is unusable afterwards."""

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- indexes -----------------------------------------------------------------------------

    @abstractmethod
    def create_index(
        self,
        name: str,
        options: Sequence[str] = (),
        addons: Sequence[str] = (),
        models: Sequence[Mapping[str, Any]] | None = None,
    ) -> IndexRecord:
        """Create an index; ``Conflict`` if ``name`` is taken, ``InvalidArgument`` if blank.
        ``models`` (kept as given) say how the request named what ``options`` it runs."""

    @abstractmethod
    def get_index(self, index_id: str) -> IndexRecord:
        """The index with its current ``video_count`` and ``total_duration``."""

    @abstractmethod
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

    @abstractmethod
    def update_index(self, index_id: str, *, name: str) -> IndexRecord:
        """Rename an index; ``Conflict`` if another index has ``name``."""

    @abstractmethod
    def delete_index(self, index_id: str) -> None:
        """Delete an index with its videos, evidence, vectors, tasks and blobs."""

    # -- videos ------------------------------------------------------------------------------

    @abstractmethod
    def create_video(
        self,
        index_id: str,
        *,
        filename: str,
        sha256: str,
        duration: float,
        fps: float = 0.0,
        width: int = 0,
        height: int = 0,
        size: int = 0,
        metadata: Mapping[str, Any] | None = None,
        status: VideoStatus = "pending",
        video_id: str | None = None,
    ) -> VideoRecord:
        """Add a video row (``duration`` seconds, ``size`` bytes) to an index, under
        ``video_id`` (24 hex digits, as every id here) or a new id; ``Conflict`` when a video
        has that id already."""

    @abstractmethod
    def get_video(self, video_id: str, *, index_id: str | None = None) -> VideoRecord:
        """The video; ``NotFound`` also when ``index_id`` is given and the video is elsewhere."""

    @abstractmethod
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
        """The videos of an index (only those named ``filename``, when given), one page at a
        time."""

    @abstractmethod
    def update_video(
        self,
        video_id: str,
        *,
        filename: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> VideoRecord:
        """Change a video's filename and/or replace its user metadata."""

    @abstractmethod
    def set_video_status(self, video_id: str, status: VideoStatus) -> VideoRecord:
        """Set a video's status."""

    @abstractmethod
    def delete_video(self, video_id: str) -> None:
        """Delete a video with its evidence, vectors and blobs (tasks keep ``video_id=None``)."""

    @abstractmethod
    def find_video_by_hash(self, index_id: str, sha256: str) -> VideoRecord | None:
        """The oldest video of the index whose file has this SHA-256 (hex), if any."""

    # -- evidence ----------------------------------------------------------------------------

    @abstractmethod
    def replace_evidence(
        self,
        video_id: str,
        segments: Sequence[Segment],
        keyframes: Sequence[Keyframe] = (),
        vectors: Sequence[VectorBatch] = (),
        faces: Sequence[FaceRecord] = (),
    ) -> None:
        """Replace all segments, keyframes, vectors and faces of a video in one transaction.

        Either everything is replaced or, on any error, the old evidence stays untouched.
        Vector owners must be among the given segments and keyframes. Blobs of old keyframes
        that the new ones no longer name are deleted after the commit. A face's ``person_id``
        names a person of the video's index, or a new id (from :func:`new_id`) that creates
        one; people whose faces changed get their centroid, counts and thumbnail (the chip of
        their best-scoring face) recomputed, and people left without faces are deleted.
        """

    @abstractmethod
    def segments(self, video_id: str, kind: SegmentKind | None = None) -> list[Segment]:
        """A video's segments (optionally of one kind), ordered by ``start`` then ``end``."""

    @abstractmethod
    def keyframes(self, video_id: str) -> list[Keyframe]:
        """A video's keyframes ordered by time."""

    @abstractmethod
    def get_segments(self, ids: Sequence[str]) -> dict[str, Segment]:
        """Segments by id (unknown ids are left out), e.g. to resolve vector search hits."""

    @abstractmethod
    def get_keyframes(self, ids: Sequence[str]) -> dict[str, Keyframe]:
        """Keyframes by id (unknown ids are left out)."""

    @abstractmethod
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
        """Lexical search over segment text, best first, as ``(segment, score)``.

        ``score`` is the BM25 score (higher is better; not comparable across queries). The
        query is plain user text: words are matched after stemming and case folding, and no
        character in it is query syntax, so it can never cause a syntax error. A query with no
        words returns nothing.
        """

    @abstractmethod
    def put_vectors(self, video_id: str, batch: VectorBatch) -> None:
        """Add or replace the vectors of existing segments/keyframes of a video."""

    @abstractmethod
    def search_vectors(
        self,
        index_id: str,
        space: Space,
        query: npt.NDArray[np.floating[Any]],
        *,
        limit: int = 10,
        video_ids: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        """The ``limit`` nearest vectors as ``(owner_id, cosine)``, highest cosine first.

        ``query`` is normalized first. An index with no vectors in ``space`` gives ``[]``.
        """

    @abstractmethod
    def video_vectors(
        self, video_id: str, space: Space
    ) -> tuple[list[str], npt.NDArray[np.float32]]:
        """The stored ``space`` vectors of one video: ``(owner ids, (n, dim) unit rows)``;
        ``([], (0, 0) array)`` when it has none."""

    # -- faces and people --------------------------------------------------------------------

    @abstractmethod
    def faces(
        self, index_id: str, *, video_id: str | None = None, person_id: str | None = None
    ) -> list[FaceRecord]:
        """The faces of an index (optionally of one video and/or person), by video (oldest
        first) then time."""

    @abstractmethod
    def people(self, index_id: str) -> list[PersonRecord]:
        """The people of an index, most faces first."""

    @abstractmethod
    def get_person(self, index_id: str, person_id: str) -> PersonRecord:
        """A person of the index (``NotFound`` ``person_not_found``)."""

    @abstractmethod
    def person_thumbnail(self, index_id: str, person_id: str) -> bytes:
        """The JPEG of a person's best face (``NotFound`` ``person_not_found``)."""

    @abstractmethod
    def rename_person(self, index_id: str, person_id: str, name: str | None) -> PersonRecord:
        """Name a person (None forgets the name); ``InvalidArgument`` for a blank name."""

    @abstractmethod
    def delete_person(self, index_id: str, person_id: str) -> None:
        """Delete a person with every face of theirs (``NotFound`` ``person_not_found``)."""

    @abstractmethod
    def assign_people(self, index_id: str, assignment: Mapping[str, str]) -> None:
        """Move faces (face id -> person id) to people in one transaction, as
        :meth:`replace_evidence` assigns them: unknown person ids create people, people whose
        faces changed are recomputed, people left without faces are deleted. Names stay with
        the person ids that keep faces."""

    # -- written answers ---------------------------------------------------------------------

    @abstractmethod
    def cached_writing(self, video_id: str, key: str) -> dict[str, Any] | None:
        """A written answer kept under ``key`` for the video, or ``None``. Answers are
        dropped when the video's evidence is replaced (re-indexing) or the video deleted."""

    @abstractmethod
    def keep_writing(self, video_id: str, key: str, body: Mapping[str, Any]) -> None:
        """Keep a written answer (JSON-serializable) under ``key``, replacing an older one."""

    # -- logos -------------------------------------------------------------------------------

    @abstractmethod
    def add_logo(self, index_id: str, name: str, data: bytes, extension: str) -> LogoRecord:
        """Store a logo image (bytes of a JPEG/PNG, ``extension`` without the dot) under the
        index's blob folder and register it as ``name``."""

    @abstractmethod
    def list_logos(self, index_id: str) -> list[LogoRecord]:
        """The index's logos, oldest first."""

    @abstractmethod
    def delete_logo(self, index_id: str, logo_id: str) -> None:
        """Remove a logo and its image; ``NotFound`` (``logo_not_found``) if it is not there."""

    # -- tasks -------------------------------------------------------------------------------

    @abstractmethod
    def enqueue_task(
        self,
        index_id: str,
        source: Mapping[str, Any],
        *,
        video_id: str | None = None,
        status: Literal["validating", "pending"] = "pending",
    ) -> TaskRecord:
        """Create a task; ``source`` describes what to index (JSON object).

        ``status="pending"`` queues it for the workers at once; ``status="validating"`` keeps it
        from them until :meth:`mark_task_validated` (or :meth:`fail_task`) decides it.
        """

    @abstractmethod
    def mark_task_validated(self, task_id: str) -> TaskRecord:
        """Atomically move a task from ``validating`` to ``pending`` (claimable).

        ``NotFound`` (``task_not_found``); ``Conflict`` (``task_state``) when the task is not
        ``validating`` (already decided, or made ``pending`` by :meth:`claim_task` because it
        stayed ``validating`` too long).
        """

    @abstractmethod
    def fail_task(self, task_id: str, code: str, message: str) -> TaskRecord:
        """Atomically fail a task no worker has claimed (``validating`` or ``pending``) with
        error ``code`` and ``message``; its video (if any) gets the same status.

        ``InvalidArgument`` for an empty ``code``; ``NotFound`` (``task_not_found``);
        ``Conflict`` (``task_state``) when the task is ``indexing``, ``ready`` or ``failed``.
        """

    @abstractmethod
    def claim_task(self, worker_id: str, lease_seconds: float = 60.0) -> TaskRecord | None:
        """Atomically take the oldest claimable task for ``worker_id``, or ``None``.

        Claimable: ``pending``, or ``indexing`` with an expired lease (its worker died). The
        task becomes ``indexing``, leased for ``lease_seconds`` seconds, with ``attempts`` + 1.
        A task already claimed ``max_attempts`` times fails with ``too_many_attempts`` instead.

        A ``validating`` task is never claimed. One left ``validating`` for longer than
        ``lease_seconds`` (whoever was checking it died before deciding) is first made
        ``pending`` in the same transaction, so it is not lost: the worker checks its source
        again as the first step of indexing.
        """

    @abstractmethod
    def heartbeat(
        self,
        task_id: str,
        worker_id: str,
        progress: float,
        *,
        lease_seconds: float = 60.0,
        video_id: str | None = None,
    ) -> TaskRecord:
        """Report ``progress`` (percent) and extend the lease by ``lease_seconds`` seconds.

        ``video_id`` links the task to the video it created. ``Conflict`` (``lease_lost``) when
        the task is no longer this worker's: another worker claimed it or it finished.
        """

    @abstractmethod
    def finish_task(
        self,
        task_id: str,
        worker_id: str,
        status: Literal["ready", "failed"],
        *,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> TaskRecord:
        """End a task this worker holds, and give its video (if any) the same status.

        ``Conflict`` (``lease_lost``) when the worker no longer holds the task.
        """

    @abstractmethod
    def get_task(self, task_id: str) -> TaskRecord:
        """The task."""

    @abstractmethod
    def list_tasks(
        self,
        *,
        index_id: str | None = None,
        status: TaskStatus | Sequence[TaskStatus] | None = None,
        video_id: str | None = None,
        page: int = 1,
        page_limit: int = 10,
        sort_by: TaskSort = "created_at",
        sort_option: SortOption = "desc",
    ) -> Page[TaskRecord]:
        """Tasks, optionally of one index, video and/or status (or any of several), one page at
        a time."""

    # -- skills ------------------------------------------------------------------------------

    @abstractmethod
    def create_skill(
        self, name: str, description: str, schema: Mapping[str, Any] | None, bundle: bytes
    ) -> SkillRecord:
        """Store version 1 of a new skill (its bundle, a zip, becomes a blob).

        ``Conflict`` (``skill_exists``) when a skill named ``name`` exists; ``InvalidArgument``
        for a blank name or an empty bundle. Checking the bundle is the caller's
        (:mod:`vidsense.skills`); the store keeps what it is given.
        """

    @abstractmethod
    def add_skill_version(
        self, skill_id: str, description: str, schema: Mapping[str, Any] | None, bundle: bytes
    ) -> SkillRecord:
        """Store the next version of skill ``skill_id`` (older versions stay as they are).

        ``NotFound`` (``skill_not_found``).
        """

    @abstractmethod
    def get_skill(self, skill_id: str, version: int | None = None) -> SkillRecord:
        """Version ``version`` of a skill (None: the latest); ``NotFound`` (``skill_not_found``)
        naming the id and version."""

    @abstractmethod
    def find_skill(self, name: str, version: int | None = None) -> SkillRecord:
        """Like :meth:`get_skill`, by name."""

    @abstractmethod
    def list_skills(
        self,
        *,
        limit: int = 25,
        offset: int = 0,
        order_by: SkillSort = "created_at",
        descending: bool = True,
        latest_only: bool = False,
    ) -> list[SkillRecord]:
        """Skill versions (every version, or only each skill's latest with ``latest_only``),
        sorted by ``order_by`` (``created_at`` is the skill's, ``updated_at`` the version's),
        ``offset`` rows skipped, at most ``limit`` returned."""

    # -- jobs --------------------------------------------------------------------------------

    @abstractmethod
    def submit_job(
        self,
        kind: JobKind,
        request: Mapping[str, Any],
        *,
        status: Literal["enqueued", "paused"] = "enqueued",
    ) -> JobRecord:
        """Create a job of ``kind`` (its id is ``<prefix>_<hex>``, see
        :data:`JOB_ID_PREFIXES`); ``enqueued`` for the workers at once, or ``paused``."""

    @abstractmethod
    def claim_job(
        self,
        worker_id: str,
        lease_seconds: float = 60.0,
        *,
        kinds: Sequence[JobKind] | None = None,
    ) -> JobRecord | None:
        """Atomically take the oldest claimable job (of one of ``kinds``, when given) for
        ``worker_id``, or ``None``.

        Claimable: ``enqueued``, ``pending``, or ``running`` with an expired lease (its worker
        died). The job becomes ``running``, leased for ``lease_seconds`` seconds, with
        ``attempts`` + 1; one already claimed ``max_attempts`` times fails with
        ``too_many_attempts`` instead (as :meth:`claim_task`).
        """

    @abstractmethod
    def heartbeat_job(
        self, job_id: str, worker_id: str, progress: float, *, lease_seconds: float = 60.0
    ) -> JobRecord:
        """Report ``progress`` (percent) and extend the lease by ``lease_seconds`` seconds;
        ``Conflict`` (``lease_lost``) when the job is no longer this worker's."""

    @abstractmethod
    def release_job(self, job_id: str, worker_id: str) -> JobRecord:
        """Hand a held job back (the worker is stopping): it turns ``pending``, its progress
        kept, and the next claim takes it. ``Conflict`` (``lease_lost``)."""

    @abstractmethod
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
        """End a job this worker holds with its ``result`` (``completed``) or error
        (``failed``, which needs an ``error_code``). ``Conflict`` (``lease_lost``)."""

    @abstractmethod
    def fail_job(self, job_id: str, code: str, message: str) -> JobRecord:
        """Fail a job no worker holds (``enqueued``, ``pending`` or ``paused``) with error
        ``code`` and ``message``; ``Conflict`` (``job_state``) otherwise."""

    @abstractmethod
    def cancel_job(self, job_id: str, message: str) -> JobRecord:
        """Stop a job that has not ended, whoever holds it: it turns ``failed`` with code
        ``cancelled`` and ``message``, and a worker holding it loses its lease (its next
        heartbeat or finish is a ``Conflict`` ``lease_lost``, which stops it). ``Conflict``
        (``job_state``) when it already completed or failed."""

    @abstractmethod
    def delete_job(self, job_id: str) -> JobRecord:
        """Remove a job (in any status) and answer it as it was; a worker holding it loses
        its lease as with :meth:`cancel_job`. Its files are the caller's to delete."""

    @abstractmethod
    def pause_job(self, job_id: str) -> JobRecord:
        """Hold an ``enqueued`` or ``pending`` job from the workers (``paused``);
        ``Conflict`` (``job_state``) otherwise."""

    @abstractmethod
    def resume_job(self, job_id: str) -> JobRecord:
        """Queue a ``paused`` job again (``enqueued``); ``Conflict`` (``job_state``)
        otherwise."""

    @abstractmethod
    def get_job(self, job_id: str, kind: JobKind | None = None) -> JobRecord:
        """The job; ``NotFound`` (``<kind>_not_found``, or ``job_not_found``) also when
        ``kind`` is given and the job is of another kind."""

    @abstractmethod
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
        created_before)`` (ISO-8601 times), newest first unless ``descending`` is False;
        ``skip`` rows skipped, at most ``limit`` returned."""
