"""What a process killed mid-way leaves in the data folder, removed when the library opens.

Every writer in vidsense writes under a temporary name, renames when done and deletes the
temporary file when it fails; a process killed outright (SIGKILL, a power cut) can do neither.
These temporary names, folder by folder under ``DATA_DIR``, are :data:`LEFTOVERS`. Only what is
older than a task lease (``task_lease_seconds``; for a folder, its newest file) goes, since
another process sharing the data folder may be writing the newer ones, and a task's scratch
folder stays while its task is being indexed.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from vidsense.errors import VidsenseError
from vidsense.store import Store

log = logging.getLogger(__name__)

LEFTOVERS: tuple[tuple[str, str], ...] = (
    ("uploads", ".upload-*.part"),  # an upload cut off mid-way (UploadSink)
    ("cache", ".part-*"),  # a download cut off mid-way (media.source, media.sites)
    ("chat-media", "*"),  # media sent in chat messages: the library keeps its own copy
    ("files", "*.part"),  # a file upload cut off mid-way (agent.files)
    ("predictions", ".*.json.part"),  # a prediction being saved (agent.predictions)
    ("work", "*"),  # a task's or job's scratch folder (library.service)
)
"""``(folder under the data folder, glob of its temporary names)``."""


def _newest(path: Path) -> float:
    """The latest modification time (seconds since the epoch) in ``path``, folders included."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for root, dirs, files in os.walk(path):
            for name in (*dirs, *files):
                try:
                    newest = max(newest, (Path(root) / name).lstat().st_mtime)
                except OSError:
                    continue
    return newest


def sweep_leftovers(
    data_dir: Path,
    older_than: float,
    *,
    busy: Callable[[str], bool] = lambda name: False,
    now: float | None = None,
) -> list[Path]:
    """Delete the :data:`LEFTOVERS` under ``data_dir`` untouched for ``older_than`` seconds,
    except a ``work`` folder whose name ``busy`` says is a task being indexed. Returns what was
    deleted; what cannot be deleted is logged and left."""
    cutoff = (time.time() if now is None else now) - older_than
    removed: list[Path] = []
    for folder, pattern in LEFTOVERS:
        for path in sorted((data_dir / folder).glob(pattern)):
            try:
                if _newest(path) > cutoff or (folder == "work" and busy(path.name)):
                    continue
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            except FileNotFoundError:  # another process swept it first
                continue
            except OSError as e:
                log.warning("could not remove %s, left by interrupted work: %s", path, e)
                continue
            removed.append(path)
    if removed:
        log.info("removed %d file(s) left by interrupted work in %s", len(removed), data_dir)
    return removed


def indexing(store: Store) -> Callable[[str], bool]:
    """Whether a name is the id of a task ``store`` holds as being indexed, or of a job (a
    render, a generated video) a worker is running."""

    def held(name: str) -> bool:
        try:
            if "_" in name:  # job ids carry their kind: render_..., video_...
                return store.get_job(name).status == "running"
            return store.get_task(name).status == "indexing"
        except VidsenseError:  # not a task or job id (a thumbnail's scratch folder), or gone
            return False

    return held
