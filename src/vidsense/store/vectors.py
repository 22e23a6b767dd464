"""Exact nearest-neighbour search over a persisted numpy matrix, one per (index, space).

The database row is the truth; this is a cache of it that survives restarts. Vector row ids are
never reused, so a cached copy of row ``id`` stays valid for as long as a row with that id
exists. The database keeps, per (index, space), ``max_id`` (its newest row) and ``epoch`` (bumped
by every deletion). Before a search, :meth:`SpaceMatrix.refresh` compares them with what it holds:

- new rows only (``max_id`` grew): fetch the rows after the cached ``max_id`` and append them as
  a new chunk, saved as ``.npy`` files;
- rows deleted (``epoch`` changed): fetch the live ids (ints only) and mask out the dead rows;
- cold start: memory-map the chunk files, then check them against the live ids (rows that the
  files lack are fetched; files from a half-finished write are ignored).

Chunks are merged when there are too many or too many rows are dead. A search is one
matrix-vector product per chunk (``einsum`` on one thread, memory-bandwidth bound) and a
partial sort: exact, with no training and no recall loss. ``benchmarks/store.py`` measures it
against sqlite-vec.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Ids = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]

MAX_CHUNKS = 8
"""More chunks than this get merged (the newest ones first)."""
MAX_DEAD_FRACTION = 0.25
"""When more than this fraction of cached rows are deleted, the cache is rewritten."""


@dataclass(frozen=True)
class VectorSource:
    """Database reads for one (index, space), in the caller's snapshot."""

    rows_after: Callable[[int], tuple[Ids, Matrix]]
    """Rows with id > the argument, ordered by id."""
    live_ids: Callable[[], Ids]
    """Every row id, ascending."""
    rows_by_id: Callable[[Ids], tuple[Ids, Matrix]]
    """The rows with these ids, ordered by id."""


@dataclass(frozen=True)
class _Chunk:
    ids: Ids  # ascending
    vectors: Matrix  # (len(ids), dim), unit rows; may be a read-only memory map
    alive: npt.NDArray[np.bool_] | None  # None: every row alive
    lo: int  # the chunk holds every row with lo <= id <= hi that existed when it was written
    hi: int
    files: tuple[Path, ...]

    def with_alive(self, live: Ids) -> _Chunk:
        alive = np.isin(self.ids, live, assume_unique=True)
        return _Chunk(
            self.ids, self.vectors, None if alive.all() else alive, self.lo, self.hi, self.files
        )

    @property
    def dead(self) -> int:
        return 0 if self.alive is None else int(len(self.ids) - self.alive.sum())


def _save(path: Path, array: npt.NDArray[np.generic]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npy", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            np.save(out, array)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class SpaceMatrix:
    """The cached vectors of one (index, space), of dimension ``dim``, kept in ``folder``."""

    def __init__(self, folder: Path, dim: int) -> None:
        self.folder = folder
        self.dim = dim
        self._lock = threading.Lock()
        self._chunks: tuple[_Chunk, ...] = ()
        self._loaded = False
        self._epoch: int | None = None
        self._max_id = 0

    # -- keeping in step with the database ---------------------------------------------------

    def refresh(self, epoch: int, max_id: int, source: VectorSource) -> None:
        """Bring the cache up to the database snapshot described by ``epoch`` and ``max_id``."""
        with self._lock:
            if self._loaded and self._epoch == epoch and self._max_id == max_id:
                return
            if not self._loaded:
                self._chunks = self._load_files(max_id)
                self._max_id = max((c.hi for c in self._chunks), default=0)
                self._loaded = True
            chunks = list(self._chunks)
            if self._max_id < max_id:
                ids, vectors = source.rows_after(self._max_id)
                if not chunks:
                    self._epoch = epoch  # everything came from this snapshot
                if len(ids):
                    chunks.append(self._write_chunk(ids, vectors, self._max_id + 1, max_id))
                self._max_id = max_id
            repair = False
            if self._epoch != epoch:
                live = source.live_ids()
                chunks = [c.with_alive(live) for c in chunks]
                cached = np.concatenate([c.ids for c in chunks]) if chunks else live[:0]
                missing = np.setdiff1d(live, cached, assume_unique=True)
                if len(missing):
                    ids, vectors = source.rows_by_id(missing)
                    chunks.append(_Chunk(ids, vectors, None, 0, 0, ()))
                    repair = True
                self._epoch = epoch
            self._chunks = tuple(self._compact(chunks, force=repair))

    def _load_files(self, max_id: int) -> tuple[_Chunk, ...]:
        """Memory-map the saved chunks that fit together (non-overlapping, within max_id)."""
        found: list[_Chunk] = []
        for vec_path in sorted(self.folder.glob("*.f32.npy")):
            try:
                lo, hi = (int(x) for x in vec_path.name.split(".")[0].split("-"))
                ids_path = vec_path.with_name(vec_path.name.replace(".f32.", ".ids."))
                ids = np.load(ids_path)
                vectors = np.load(vec_path, mmap_mode="r")
            except (OSError, ValueError) as e:
                log.debug("skipping vector cache file %s: %s", vec_path, e)
                continue
            if hi > max_id or vectors.shape != (len(ids), self.dim) or ids.dtype != np.int64:
                continue
            found.append(_Chunk(ids, vectors, None, lo, hi, (ids_path, vec_path)))
        # Two processes may have written overlapping chunks; keep a non-overlapping set (the
        # widest first). Rows the chosen set lacks are fetched by the live-id check.
        found.sort(key=lambda c: (c.lo, -c.hi))
        chosen: list[_Chunk] = []
        for chunk in found:
            if not chosen or chunk.lo > chosen[-1].hi:
                chosen.append(chunk)
        return tuple(chosen)

    def _write_chunk(self, ids: Ids, vectors: Matrix, lo: int, hi: int) -> _Chunk:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = f"{lo:016d}-{hi:016d}"
        ids_path = self.folder / f"{stem}.ids.npy"
        vec_path = self.folder / f"{stem}.f32.npy"
        try:
            _save(ids_path, ids)
            _save(vec_path, vectors)  # written last: its presence marks a complete chunk
        except OSError as e:  # a cache: a failed write only costs a refetch after restart
            log.warning("could not save vector cache %s: %s", vec_path, e)
            return _Chunk(ids, vectors, None, lo, hi, ())
        # Map the file just written rather than keeping the array: its pages then live in the
        # page cache, shared by every process that searches this index, and can be evicted.
        try:
            mapped = np.load(vec_path, mmap_mode="r")
        except (OSError, ValueError):
            mapped = vectors
        return _Chunk(ids, mapped, None, lo, hi, (ids_path, vec_path))

    def _compact(self, chunks: list[_Chunk], force: bool) -> list[_Chunk]:
        total = sum(len(c.ids) for c in chunks)
        dead = sum(c.dead for c in chunks)
        if force or (total and dead / total > MAX_DEAD_FRACTION):
            merge_from = 0
        elif len(chunks) > MAX_CHUNKS:
            # Merge the newer chunks; include the oldest too once they outgrow it, so each row
            # is rewritten O(log n) times.
            tail = sum(len(c.ids) for c in chunks[1:])
            merge_from = 0 if tail >= len(chunks[0].ids) else 1
        else:
            return chunks
        keep, merge = chunks[:merge_from], chunks[merge_from:]
        if not any(c.alive is None or c.alive.any() for c in merge):
            self._delete_files(merge, keep=())
            return keep
        ids = np.concatenate([c.ids if c.alive is None else c.ids[c.alive] for c in merge])
        vectors = np.concatenate(
            [np.asarray(c.vectors if c.alive is None else c.vectors[c.alive]) for c in merge]
        ).astype(np.float32, copy=False)
        order = np.argsort(ids, kind="stable")
        lo = merge[0].lo if keep else 1
        merged = self._write_chunk(ids[order], vectors[order], lo, self._max_id)
        self._delete_files(merge, keep=merged.files)
        if not keep and merged.files:
            self._delete_covered(merged)
        return [*keep, merged]

    def _delete_covered(self, merged: _Chunk) -> None:
        """Delete files (e.g. other processes' overlapping chunks) that ``merged`` makes
        redundant: it holds every row up to its ``hi``."""
        for path in self.folder.glob("*.npy"):
            try:
                hi = int(path.name.split(".")[0].split("-")[1])
            except (IndexError, ValueError):
                continue
            if hi <= merged.hi and path not in merged.files:
                with contextlib.suppress(OSError):
                    path.unlink()

    @staticmethod
    def _delete_files(chunks: list[_Chunk], keep: tuple[Path, ...]) -> None:
        # Another process may still map these files: on POSIX its mapping stays valid.
        for chunk in chunks:
            for path in chunk.files:
                if path not in keep:
                    with contextlib.suppress(OSError):
                        path.unlink()

    def drop_files(self) -> None:
        """Forget the cache and delete its folder (the index or space is gone)."""
        with self._lock:
            self._chunks = ()
            self._loaded = False
            self._epoch = None
            self._max_id = 0
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- searching ---------------------------------------------------------------------------

    def search(
        self,
        query: Matrix,
        limit: int,
        ranges: Ids | None = None,
        max_row: int | None = None,
    ) -> list[tuple[int, float]]:
        """The ``limit`` rows with the highest dot product with the unit vector ``query``, as
        ``(row_id, cosine)``, best first.

        ``ranges``: only rows whose id lies in one of these inclusive ``(first, last)`` id
        ranges (shape ``(r, 2)``); rows of one video are mostly one range, so filtering by video
        scores contiguous slices without copying them. ``max_row``: only rows with ids up to it
        (the caller's database snapshot).
        """
        found_ids: list[Ids] = []
        found_scores: list[npt.NDArray[np.float32]] = []
        for chunk in self._chunks:
            if ranges is None:
                slices = [(0, len(chunk.ids))]
            else:
                starts = np.searchsorted(chunk.ids, ranges[:, 0], side="left")
                ends = np.searchsorted(chunk.ids, ranges[:, 1], side="right")
                slices = [(int(a), int(b)) for a, b in zip(starts, ends, strict=True) if b > a]
            for a, b in slices:
                ids = chunk.ids[a:b]
                # einsum, not BLAS: as fast on this memory-bound product, on one thread, where
                # OpenBLAS's other threads spin for ~0.1 s after each product, taking a core
                # from the rest of the search.
                scores = np.einsum("ij,j->i", chunk.vectors[a:b], query).astype(np.float32)
                if chunk.alive is not None:
                    scores[~chunk.alive[a:b]] = -np.inf
                if max_row is not None and ids[-1] > max_row:
                    scores[ids > max_row] = -np.inf  # rows newer than the caller's snapshot
                if len(scores) > limit:
                    top = np.argpartition(-scores, limit - 1)[:limit]
                    ids, scores = ids[top], scores[top]
                found_ids.append(ids)
                found_scores.append(scores)
        if not found_ids:
            return []
        all_ids = np.concatenate(found_ids)
        all_scores = np.concatenate(found_scores)
        order = np.lexsort((all_ids, -all_scores))[:limit]
        return [
            (int(all_ids[i]), float(all_scores[i])) for i in order if np.isfinite(all_scores[i])
        ]


def id_ranges(ids: Ids) -> Ids:
    """Ascending ids as inclusive ``(first, last)`` runs of consecutive ids, shape ``(r, 2)``."""
    if not len(ids):
        return np.empty((0, 2), dtype=np.int64)
    breaks = np.flatnonzero(np.diff(ids) != 1)
    firsts = np.concatenate([ids[:1], ids[breaks + 1]])
    lasts = np.concatenate([ids[breaks], ids[-1:]])
    return np.stack([firsts, lasts], axis=1)
