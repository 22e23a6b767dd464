"""Reading request bodies into what the api layer takes.

``POST /tasks`` bodies (multipart, streamed to disk; url-encoded form; JSON) become a
:class:`~vidsense.api.indexes.TaskForm`: the multipart reader parses the body as it arrives,
the ``video_file`` part going straight into a :class:`~vidsense.library.UploadSink` (hashed,
size-limited, in the data folder), other parts being small text fields. A body that ends
before its closing boundary (a transfer cut short) is refused, and nothing of an upload that is
refused stays on disk. Other bodies (search, classify, logos) become a
:class:`~vidsense.api.wire.Form` with :func:`read_form`. Body sizes are held to their limits
before these readers run (:mod:`vidsense.server.limits`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request

from vidsense.api.indexes import FILE_FIELD, TaskForm
from vidsense.api.limits import FORM_SLACK_BYTES, MAX_FIELD_BYTES
from vidsense.api.wire import Form, Upload, json_object
from vidsense.errors import InvalidArgument, SourceTooLarge
from vidsense.library import Library, StagedFile, UploadSink

_FLUSH_BYTES = 1 << 20  # file bytes gathered before one write on a worker thread
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


async def read_form(request: Request, max_file_bytes: int) -> Form:
    """A JSON object, url-encoded or multipart body as a :class:`Form`; each uploaded file is
    read up to ``max_file_bytes`` + 1 bytes (so the api layer can refuse a larger one)."""
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        items: list[tuple[str, Any]] = []
        async with request.form() as form:  # closes the spooled files of its uploads
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    data = await value.read(max_file_bytes + 1)
                    items.append((key, Upload(value.filename or "", data)))
                else:
                    items.append((key, value))
        return Form.of_items(items)
    return Form.of(json_object(await request.body()))


class _MultipartReader:
    """Callbacks for python-multipart's streaming parser."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.fields: dict[str, str] = {}
        self.sink: UploadSink | None = None
        self.staged: StagedFile | None = None
        self.pending = bytearray()  # file bytes not yet written
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._is_file = False
        self._value = bytearray()
        self.ended = False  # the closing boundary was read

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field_data,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._value = bytearray()

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        self._is_file = filename is not None
        if filename is not None and self._name == FILE_FIELD:
            if self.sink is not None or self.staged is not None:
                raise InvalidArgument(f"send one {FILE_FIELD} per task")
            index_id = self.fields.get("index_id")
            if index_id:  # sent before the file: refuse an unknown index before any bytes
                self.library.get_index(index_id)
            self.sink = self.library.upload_sink(filename.decode("utf-8", "replace"))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            if self._name == FILE_FIELD:
                self.pending += data[start:end]
            return  # other files (transcription_file, ...) are not used
        self._value += data[start:end]
        if len(self._value) > MAX_FIELD_BYTES:
            raise InvalidArgument(f"form field {self._name!r} is larger than 1 MiB")

    def _part_end(self) -> None:
        if not self._is_file:
            self.fields[self._name] = self._value.decode("utf-8", "replace")

    def _end(self) -> None:
        self.ended = True

    async def flush(self, final: bool = False) -> None:
        """Write gathered file bytes (on a worker thread: disk writes block)."""
        sink = self.sink
        if sink is None or not (final or len(self.pending) >= _FLUSH_BYTES):
            return
        chunk, self.pending = bytes(self.pending), bytearray()
        if chunk:
            await run_in_threadpool(sink.write, chunk)

    def abort(self) -> None:
        if self.sink is not None:
            self.sink.abort()
        if self.staged is not None:
            self.staged.discard()


async def read_multipart(
    library: Library, content_type: str, body: AsyncIterator[bytes], content_length: int | None
) -> TaskForm:
    """Parse a multipart body, streaming ``video_file`` into the data folder."""
    limit = library.settings.max_upload_bytes
    if content_length is not None and content_length > limit + FORM_SLACK_BYTES:
        raise SourceTooLarge(
            f"the upload is larger than the limit of {limit} bytes (VIDSENSE_MAX_UPLOAD_BYTES)",
            code="upload_too_large",
        )
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise InvalidArgument("a multipart/form-data body needs a boundary in its Content-Type")
    reader = _MultipartReader(library)
    parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in body:
            parser.write(chunk)
            await reader.flush()
        parser.finalize()
        if not reader.ended:
            raise InvalidArgument(
                "the multipart body ends before its closing boundary: the upload was cut "
                "short, and nothing of it was kept"
            )
        await reader.flush(final=True)
        if reader.sink is not None:
            reader.staged = await run_in_threadpool(reader.sink.finish)
            reader.sink = None
    except (InvalidArgument, SourceTooLarge):
        reader.abort()
        raise
    except ValueError as e:  # the multipart parser's errors
        reader.abort()
        raise InvalidArgument(f"the multipart body cannot be parsed: {e}") from e
    except BaseException:  # the client went away, the server stops, ...
        reader.abort()
        raise
    return TaskForm(reader.fields, reader.staged)


def parse_json_form(data: bytes) -> TaskForm:
    """A JSON object body as task fields (values turned to strings, objects to JSON)."""
    obj = json_object(data)
    fields = {
        str(k): v if isinstance(v, str) else json.dumps(v) for k, v in obj.items() if v is not None
    }
    return TaskForm(fields)


def parse_urlencoded_form(data: bytes) -> TaskForm:
    """An application/x-www-form-urlencoded body as task fields."""
    try:
        parsed = parse_qs(data.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as e:
        raise InvalidArgument(f"the form body is not UTF-8: {e}") from e
    return TaskForm({k: v[-1] for k, v in parsed.items()})


async def read_task_form(request: Request, library: Library) -> TaskForm:
    """A ``POST /tasks`` body, whichever way it is encoded."""
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        length = request.headers.get("content-length")
        return await read_multipart(
            library,
            content_type,
            request.stream(),
            int(length) if length and length.isdigit() else None,
        )
    data = await request.body()  # held to VIDSENSE_LIMITS__JSON_BYTES
    if kind == "application/x-www-form-urlencoded":
        return parse_urlencoded_form(data)
    return parse_json_form(data)
