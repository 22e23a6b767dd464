"""Media named in chat messages turned into indexed library videos.

Every video is indexed once into a hidden index (``chat``) through the
:class:`~vidsense.library.Library`: the same bytes give the same video (the library dedupes by
content hash), so a second question about a video answers at once. http(s) URLs are fetched
under the server's address rules (no private addresses unless ``fetch.allow_private``);
``data:`` URIs are decoded; ``file://`` URLs are read only when ``chat_allow_file_urls`` is set.
Images sent together become one short slideshow video (one second per image), so frames sent
as images are analysed like any video.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from vidsense.agent.files import FileStore
from vidsense.agent.messages import MediaRef
from vidsense.errors import (
    FetchFailed,
    InvalidArgument,
    MediaError,
    MediaUnavailable,
    NotFound,
    SourceBlocked,
    SourceTooLarge,
    TaskInterrupted,
    ToolFailed,
    UnsupportedMedia,
    VidsenseError,
)
from vidsense.library import Library
from vidsense.store import TaskRecord, VideoRecord
from vidsense.waiting import TASK_ENDED, wait_for

RESERVED_PREFIX = "vidsense:"
"""Index names in vidsense's own namespace, which the API does not let users give."""
CHAT_INDEX = RESERVED_PREFIX + "chat"
"""The index that holds videos sent in chat messages and executions (a name users cannot
take, so a user's own index named "chat" is never filled by chat). Versions before used
"chat": that index stays, as an ordinary one."""
INDEX_TIMEOUT = 3600.0
"""Longest wait (seconds) for a new video to be indexed."""

Progress = Callable[[str, float], None]
"""Called with (stage, percent 0-100) while a new video is fetched and analysed."""

_STREAM = re.compile(r"/v1(?:\.\d+)?/indexes/([^/]+)/videos/([^/]+)/stream/?$")
"""The path of a library video's stream (what the web UI sends as ``video_url``)."""
_DATA = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?((?:;[^,;]+)*?)(;base64)?,(.*)$", re.S)


@dataclass(frozen=True)
class ChatVideo:
    """An indexed video a chat is about."""

    index_id: str
    video: VideoRecord
    path: Path
    new: bool = False
    """True when this request had to analyse it."""


@dataclass(frozen=True)
class SentVideo:
    """A checked local copy of a video sent (not indexed yet) and the file name its sender
    knows it by (an upload's name, a URL's last part), which the indexed video keeps."""

    path: Path
    filename: str


def decode_data_uri(uri: str, max_bytes: int | None = None) -> tuple[str, bytes]:
    """``(media type, bytes)`` of a ``data:`` URI; one that would decode to more than
    ``max_bytes`` is refused (``413 data_uri_too_large``) before it is decoded."""
    found = _DATA.match(uri)
    if not found:
        raise InvalidArgument("the data URI is malformed; use data:<type>;base64,<data>")
    kind = found.group(1) or "application/octet-stream"
    payload = found.group(4)
    size = len(payload) * 3 // 4 if found.group(3) else len(payload)  # at most, decoded
    if max_bytes is not None and size > max_bytes:
        raise SourceTooLarge(
            f"the data URI holds about {size} bytes, more than the limit of {max_bytes} "
            "(VIDSENSE_LIMITS__DATA_URI_BYTES); upload the file with POST /v1/files and send "
            "its file_id instead",
            code="data_uri_too_large",
        )
    if found.group(3):
        try:
            return kind, base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError) as e:
            raise InvalidArgument(f"the data URI's base64 is invalid: {e}") from e
    return kind, unquote(payload).encode()


class MediaResolver:
    """Turns :class:`MediaRef` s into indexed videos of the ``chat`` index (thread-safe)."""

    def __init__(self, library: Library, files: FileStore) -> None:
        self.library = library
        self.settings = library.settings
        self.files = files
        self.work = self.settings.data_dir / "chat-media"
        self._lock = threading.Lock()
        self._index_id: str | None = None

    def index_id(self) -> str:
        with self._lock:
            if self._index_id is None:
                try:
                    self._index_id = self.library.find_index(CHAT_INDEX).id
                except NotFound:
                    self._index_id = self.library.create_index(CHAT_INDEX).id
            return self._index_id

    # -- bytes -----------------------------------------------------------------------------

    def _keep(self, data: bytes, suffix: str, created: list[Path]) -> Path:
        """``data`` in the chat media folder (once per content); a file written here is added
        to ``created``."""
        self.work.mkdir(parents=True, exist_ok=True)
        path = self.work / f"{hashlib.sha256(data).hexdigest()[:32]}{suffix}"
        if not path.exists():
            tmp = path.with_name(f".{path.name}.{threading.get_ident()}.part")
            try:
                tmp.write_bytes(data)
                tmp.replace(path)
            finally:
                tmp.unlink(missing_ok=True)
            created.append(path)
        return path

    def local_file(self, ref: MediaRef) -> tuple[Path, str]:
        """A local copy of ``ref`` and its kind (``video`` or ``image``)."""
        return self._local_file(ref, [])

    def _sent_as(self, ref: MediaRef) -> str:
        """How the sender knows ``ref``: an upload's file name (and id), a URL's last part, or
        "the data URI"."""
        if ref.file_id is not None:
            filename = self.filename(ref, "")
            return f"{filename} ({ref.file_id})" if filename else ref.file_id
        url = ref.url or ""
        return "the data URI" if url.startswith("data:") else self.filename(ref, url)

    def filename(self, ref: MediaRef, default: str) -> str:
        """The file name the sender knows ``ref`` by (an upload's own name, a URL's last
        part), which its video is indexed under; ``default`` where it has none (a data URI)."""
        if ref.file_id is not None:
            name = str(self.files.get(ref.file_id).get("filename") or "")
        elif urlparse(ref.url or "").scheme.lower() in ("http", "https", "file"):
            name = unquote(urlparse(ref.url or "").path.rsplit("/", 1)[-1])
        else:
            name = ""
        return Path(name).name or default

    def _local_file(self, ref: MediaRef, created: list[Path]) -> tuple[Path, str]:
        if ref.file_id is not None:
            record = self.files.get(ref.file_id)
            path = self.files.path(ref.file_id)
            return path, _kind_of_name(str(record.get("filename", "")), ref.kind)
        url = ref.url or ""
        scheme = urlparse(url).scheme.lower()
        if scheme == "data":
            media_type, data = decode_data_uri(url, self.settings.limits.data_uri_bytes)
            kind = "image" if media_type.startswith("image/") else "video"
            if ref.kind == "image":
                kind = "image"
            return self._keep(data, ".jpg" if kind == "image" else ".mp4", created), kind
        if scheme in ("http", "https"):
            from vidsense.media.source import fetch_url

            try:
                path = fetch_url(url, self.settings)
            except FetchFailed as e:
                raise MediaUnavailable(f"could not read {url}: {e.message}") from e
            return path, "image" if ref.kind == "image" else "video"
        if scheme == "file":
            if not self.settings.chat_allow_file_urls:
                raise SourceBlocked(
                    "file:// URLs are off on this server; send http(s), a data URI or a "
                    "file_id (or set VIDSENSE_CHAT_ALLOW_FILE_URLS=true)"
                )
            path = Path(unquote(urlparse(url).path))
            if not path.is_file():
                raise MediaUnavailable(f"no such file: {path}")
            return path, "image" if ref.kind == "image" else "video"
        raise InvalidArgument(
            f"media URL scheme {scheme or '(none)'!r} is not supported; use http(s), data: "
            "or a file_id"
        )

    def slideshow(self, images: Sequence[Path], created: list[Path] | None = None) -> Path:
        """One MP4 showing each image for a second (made once per set of images; a new one is
        added to ``created``)."""
        import cv2
        import numpy as np

        digest = hashlib.sha256()
        for image in images:
            digest.update(image.read_bytes())
        out = self.work / f"slides-{digest.hexdigest()[:32]}.mp4"
        if out.exists():
            return out
        frames_dir = self.work / f"slides-{digest.hexdigest()[:32]}-{threading.get_ident()}"
        frames_dir.mkdir(parents=True, exist_ok=True)
        try:
            size: tuple[int, int] | None = None
            for n, image in enumerate(images):
                pixels = cv2.imdecode(np.frombuffer(image.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
                if pixels is None:
                    raise UnsupportedMedia(f"image {n + 1} is not an image this server can read")
                if size is None:
                    h, w = pixels.shape[:2]
                    size = (max(2, w - w % 2), max(2, h - h % 2))
                cv2.imwrite(str(frames_dir / f"{n:04d}.png"), cv2.resize(pixels, size))
            from vidsense.media.tools import last_error_line, run_tool

            tmp = frames_dir / "slides.mp4"
            done = run_tool(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-y",
                    "-framerate",
                    "1",
                    "-i",
                    str(frames_dir / "%04d.png"),
                    "-vf",
                    "fps=5,format=yuv420p",
                    "-c:v",
                    "libx264",
                    "-threads",
                    "1",
                    "-fflags",
                    "+bitexact",
                    "-flags",
                    "+bitexact",
                    str(tmp),
                ],
                timeout=300,
            )
            if done.returncode != 0:
                raise ToolFailed(f"could not join the images: {last_error_line(done.stderr)}")
            tmp.replace(out)
            if created is not None:
                created.append(out)
        finally:
            import shutil

            shutil.rmtree(frames_dir, ignore_errors=True)
        return out

    # -- indexing --------------------------------------------------------------------------

    def in_library(self, ref: MediaRef) -> ChatVideo | None:
        """The library's own ready video when ``ref`` is its stream URL (on any host: the ids
        are looked up, nothing is fetched), else ``None``."""
        found = _STREAM.search(urlparse(ref.url or "").path)
        if found is None:
            return None
        index_id, video_id = found.groups()
        try:
            video = self.library.get_video(index_id, video_id)
            file, _ = self.library.video_file(index_id, video_id)
        except NotFound:
            return None
        return ChatVideo(index_id, video, file) if video.status == "ready" else None

    def locate(self, refs: Sequence[MediaRef]) -> list[SentVideo | ChatVideo]:
        """Local, checked video files for ``refs`` (or the library's video, when a ref is one
        of its stream URLs): each video, then one slideshow of all the images. Fails (before
        anything is indexed) on a URL that cannot be read or on bytes that are not a video;
        what this call wrote to the chat media folder is then deleted."""
        from vidsense.media.probe import probe

        paths: list[Path] = []
        images: list[Path] = []
        known: list[ChatVideo] = []
        created: list[Path] = []
        names: dict[Path, str] = {}
        filenames: dict[Path, str] = {}
        try:
            for ref in refs:
                if ref.kind != "image" and (video := self.in_library(ref)) is not None:
                    known.append(video)
                    continue
                path, kind = self._local_file(ref, created)
                names[path] = self._sent_as(ref)
                filenames[path] = self.filename(ref, path.name)
                (images if kind == "image" else paths).append(path)
            if images:
                paths.append(self.slideshow(images, created))
            for path in paths:
                try:
                    probe(path)
                except MediaError as e:
                    # The user's name for it, not the server's copy's.
                    said = e.message.replace(path.name, names.get(path, "the images sent"))
                    what = "not a video" if isinstance(e, UnsupportedMedia) else "not usable"
                    raise type(e)(f"the media sent is {what}: {said}", code=e.code) from e
        except BaseException:
            for path in created:
                path.unlink(missing_ok=True)
            raise
        return [*known, *(SentVideo(p, filenames.get(p, p.name)) for p in paths)]

    def index(
        self,
        sent: SentVideo | ChatVideo,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> ChatVideo:
        """Index ``sent`` in the chat index (once per content: a video sent before keeps the
        name it was first sent under) and wait until it is ready (a library video is ready
        already); :class:`TaskInterrupted` when ``cancel`` is set while waiting (the indexing
        goes on, and a later call finds it)."""
        if isinstance(sent, ChatVideo):
            return sent
        index_id = self.index_id()
        submitted = self.library.submit_file(index_id, sent.path, filename=sent.filename).task
        new = submitted.status != "ready"
        shown = [-1.0]

        def report(task: TaskRecord) -> None:
            if progress is not None and task.status not in TASK_ENDED and task.progress != shown[0]:
                shown[0] = task.progress
                progress("analysing", float(task.progress))

        stopping = cancel or threading.Event()
        task = wait_for(
            lambda: self.library.get_task(submitted.id),
            lambda task: task.status in TASK_ENDED or stopping.is_set(),
            progress=report,
            timeout=INDEX_TIMEOUT,
            interval=0.25,
            timed_out=lambda _: VidsenseError(
                "the video took too long to analyse", code="index_timeout"
            ),
        )
        if task.status not in TASK_ENDED:
            raise TaskInterrupted("stopped while waiting for the video to be indexed")
        if task.status == "failed" or task.video_id is None:
            raise UnsupportedMedia(
                f"the video could not be analysed: {task.error_message or 'unknown error'}",
                code=task.error_code or "media_error",
            )
        if progress is not None and new:
            progress("ready", 100.0)
        video = self.library.get_video(index_id, task.video_id)
        file, _ = self.library.video_file(index_id, video.id)
        return ChatVideo(index_id, video, file, new)


def _kind_of_name(filename: str, given: str) -> str:
    if given == "image":
        return "image"
    lower = filename.lower()
    if lower.endswith((".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp")):
        return "image"
    return "video"


__all__ = [
    "CHAT_INDEX",
    "RESERVED_PREFIX",
    "ChatVideo",
    "MediaResolver",
    "SentVideo",
    "decode_data_uri",
]
