"""Every error vidsense raises on purpose.

::

    VidsenseError                      500 internal_error
    ├── InvalidArgument                400 invalid_argument
    │   └── MediaUnavailable           400 invalid_media_url   (a chat media URL unreadable)
    ├── NotFound                       404 not_found           (also index_not_found,
    │   │                                                       video_not_found, task_not_found)
    │   └── SourceNotFound             404 file_not_found      (a local file, a sample)
    ├── Unauthorized                   401 api_key_invalid     (also api_key_missing)
    ├── Conflict                       409 conflict            (index name taken; lease_lost)
    │   └── Cancelled                  409 cancelled           (a render stopped on request)
    ├── Gone                           410 gone                (page_token_expired)
    ├── MediaError                     422 media_error
    │   ├── UnsupportedMedia           400 unsupported_media   (not a video, audio only, ...)
    │   ├── CorruptMedia               422 corrupt_media       (truncated, undecodable)
    │   └── EmptyMedia                 422 empty_media         (no frames)
    ├── SourceBlocked                  403 url_not_allowed     (private/loopback address, scheme)
    ├── SignatureInvalid               403 signature_invalid   (a signed URL forged or expired)
    ├── SourceTooLarge                 413 source_too_large    (also upload_too_large,
    │                                                           request_too_large,
    │                                                           data_uri_too_large)
    ├── FetchFailed                    502 fetch_failed        (unreachable URL, HTTP error)
    ├── ServerUnavailable              503 server_unreachable  (the client cannot reach a server)
    ├── ModelNotInstalled              503 model_not_installed
    ├── TaskInterrupted                503 interrupted         (shutdown or lease lost; retried)
    ├── StorageUnavailable             503 storage_unavailable (data folder read-only or not
    │                                                           writable)
    ├── InsufficientStorage            507 insufficient_storage (disk or quota full)
    └── ToolFailed                     500 tool_failed         (ffmpeg/ffprobe failed unexpectedly)

Each class carries its HTTP status and machine-readable ``code``; :func:`describe` is the one
place that turns any exception into ``(status, code, message)`` for the HTTP and CLI faces
(storage failures of the system, :func:`storage_error`, included), and :func:`from_answer`
turns such an answer back into the same class (what the HTTP client raises).
"""

from __future__ import annotations

import errno


class VidsenseError(Exception):
    """Base class: a message meant for the user, an HTTP status and a stable ``code``."""

    status: int = 500
    code: str = "internal_error"

    param: str | None = None
    """The request field at fault, when one is (OpenAI's error envelope names it)."""

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if param is not None:
            self.param = param

    def __str__(self) -> str:
        return self.message


class InvalidArgument(VidsenseError):
    status = 400
    code = "invalid_argument"


class MediaUnavailable(InvalidArgument):
    """A media URL sent in a chat message could not be read (an HTTP error, an unreachable
    host, a missing file)."""

    code = "invalid_media_url"


class NotFound(VidsenseError):
    status = 404
    code = "not_found"


class SourceNotFound(NotFound):
    """A local file (or bundled sample) that is not there: one code on every path (the CLI,
    the client, uploads, render specs)."""

    code = "file_not_found"


class Unauthorized(VidsenseError):
    """No API key, or a wrong one, where the server requires one."""

    status = 401
    code = "api_key_invalid"


class Conflict(VidsenseError):
    """The request clashes with the current state (a name already taken, a lease lost)."""

    status = 409
    code = "conflict"


class Cancelled(Conflict):
    """Work stopped because its cancel event was set; nothing was written."""

    code = "cancelled"


class Gone(VidsenseError):
    """Something that existed has expired (a search's page token)."""

    status = 410
    code = "gone"


class MediaError(VidsenseError):
    status = 422
    code = "media_error"


class UnsupportedMedia(MediaError):
    """A file that is not a video at all (text, an image, audio only). 400, as the hosted
    APIs answer an unusable file (no official SDK has an exception class for 415)."""

    status = 400
    code = "unsupported_media"


class CorruptMedia(MediaError):
    code = "corrupt_media"


class EmptyMedia(MediaError):
    code = "empty_media"


class SourceBlocked(VidsenseError):
    status = 403
    code = "url_not_allowed"


class SignatureInvalid(VidsenseError):
    """A signed URL's signature is wrong or has expired."""

    status = 403
    code = "signature_invalid"


class SourceTooLarge(VidsenseError):
    status = 413
    code = "source_too_large"


class FetchFailed(VidsenseError):
    status = 502
    code = "fetch_failed"


class ServerUnavailable(VidsenseError):
    """The server could not be reached (the client's error; also what an HTTP 503 without a
    known code becomes)."""

    status = 503
    code = "server_unreachable"


class ModelNotInstalled(VidsenseError):
    status = 503
    code = "model_not_installed"


class TaskInterrupted(VidsenseError):
    """A task stopped before it finished (shutdown, or another worker took it over); it is
    not failed: it will be claimed again."""

    status = 503
    code = "interrupted"


class ToolFailed(VidsenseError):
    status = 500
    code = "tool_failed"


class StorageUnavailable(VidsenseError):
    """The data folder (or the database) cannot be written: mounted read-only, or not this
    process's to write."""

    status = 503
    code = "storage_unavailable"


class InsufficientStorage(VidsenseError):
    """A write failed because the disk (or the user's quota, or the file size limit) is full;
    nothing half-written is kept."""

    status = 507
    code = "insufficient_storage"


_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_READ_ONLY = frozenset({errno.EROFS})
_SQLITE_FULL, _SQLITE_READONLY = 13, 8  # sqlite3 result codes (their low byte)
_PG_DISK_FULL = "53100"  # PostgreSQL's SQLSTATE disk_full


def storage_error(error: BaseException) -> VidsenseError | None:
    """The storage failure ``error`` is, or was caused by (a disk or quota that is full, a
    read-only file system, SQLite's "database or disk is full", PostgreSQL's ``disk_full``),
    as :class:`InsufficientStorage` or :class:`StorageUnavailable`; None for anything else."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if isinstance(found, InsufficientStorage | StorageUnavailable):
            return found
        number = getattr(found, "errno", None) if isinstance(found, OSError) else None
        sqlite_code = getattr(found, "sqlite_errorcode", None)
        sqlite_code = sqlite_code & 0xFF if isinstance(sqlite_code, int) else None
        where = f" ({found.filename})" if isinstance(found, OSError) and found.filename else ""
        if number in _FULL or sqlite_code == _SQLITE_FULL:
            reason = found.strerror if isinstance(found, OSError) else str(found)
            return InsufficientStorage(f"the server's storage is full: {reason}{where}")
        if getattr(found, "sqlstate", None) == _PG_DISK_FULL:
            return InsufficientStorage(f"the database's storage is full: {found}")
        if number in _READ_ONLY or sqlite_code == _SQLITE_READONLY:
            reason = found.strerror if isinstance(found, OSError) else str(found)
            return StorageUnavailable(f"the server's storage cannot be written: {reason}{where}")
        found = found.__cause__ or found.__context__
    return None


def describe(error: BaseException) -> tuple[int, str, str]:
    """Map any exception to ``(http_status, code, message)``; unknown errors become 500."""
    if isinstance(error, VidsenseError) and error.status < 500:
        return error.status, error.code, error.message
    storage = storage_error(error)  # also under a server-side error that a full disk caused
    if isinstance(error, VidsenseError) and (storage is None or storage is error):
        return error.status, error.code, error.message
    if storage is not None:
        return storage.status, storage.code, storage.message
    return 500, "internal_error", f"internal error: {type(error).__name__}: {error}"


def _classes() -> list[type[VidsenseError]]:
    """Every error class, the most general first (breadth-first from the root, each level in
    the order the classes are defined above)."""
    found: list[type[VidsenseError]] = [VidsenseError]
    for cls in found:
        found.extend(sub for sub in cls.__subclasses__() if sub not in found)
    return found


def from_answer(status: int, code: str, message: str, *, param: str | None = None) -> VidsenseError:
    """The exception an error answer stands for: the class whose own ``code`` it is, else the
    most general class with that HTTP ``status`` (``VidsenseError`` for any other status), so
    a client raises what the server raised. The answer's ``status`` and ``code`` are kept."""
    classes = _classes()
    cls = next((c for c in classes if c.code == code and c.status == status), None)
    if cls is None:
        cls = next((c for c in classes if c.status == status), VidsenseError)
    error = cls(message, code=code, param=param)
    error.status = status
    return error


def from_code(code: str, message: str) -> VidsenseError:
    """The exception a stored error code stands for (a failed task's ``corrupt_media``): the
    class whose own ``code`` it is, else ``InvalidArgument`` keeping the code."""
    cls = next((c for c in _classes() if c.code == code), None)
    return cls(message) if cls is not None else InvalidArgument(message, code=code)
