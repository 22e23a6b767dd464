"""Videos from web pages through yt-dlp (the ``sites`` extra), with every request it makes
going through the address policy.

yt-dlp reads pages, follows redirects, fetches manifests and embedded pages on its own, so
checking only the media URL it finally returns would let a page steer it anywhere. Here yt-dlp
gets one request handler, :class:`VidsenseRH` (its networking framework's extension point),
that sends through :func:`~vidsense.media.network.open_client`: each host resolved once and
checked, the connection made to that checked address, every redirect hop checked again. The
handlers yt-dlp ships (urllib, requests, curl_cffi, websockets) are not loaded, so nothing
else can send. Only formats yt-dlp downloads itself over http(s) are chosen: HLS, DASH and
live streams would hand the network to ffmpeg, outside the check.
"""

from __future__ import annotations

import functools
import io
import logging
import os
from pathlib import Path
from typing import Any

import httpx
import yt_dlp
from yt_dlp.networking.common import RequestHandler, Response
from yt_dlp.networking.exceptions import HTTPError, RequestError, TransportError
from yt_dlp.utils import match_filter_func

from vidsense.config import FetchSettings
from vidsense.errors import (
    FetchFailed,
    SourceBlocked,
    SourceTooLarge,
    UnsupportedMedia,
    VidsenseError,
)
from vidsense.media.network import Pins, open_client

log = logging.getLogger(__name__)

_FORMAT = "best[ext=mp4][protocol~='^https?$']/best[protocol~='^https?$']"
"""A single file yt-dlp fetches itself (its HTTP downloader), mp4 preferred."""
_STREAMED = "Requested format is not available"
"""yt-dlp's words when no format matches :data:`_FORMAT`."""
_DECODED = ("gzip", "deflate", "br", "zstd")


class _Blocked(RequestError):  # type: ignore[misc]
    """The address policy refused a connection (yt-dlp's error type, so that yt-dlp stops)."""


class _Body(io.RawIOBase):
    """A streamed httpx response as the file object yt-dlp reads; more than ``max_bytes``
    (declared, or received without a declared length) raises :class:`SourceTooLarge`."""

    def __init__(self, response: httpx.Response, max_bytes: int) -> None:
        super().__init__()
        self._response = response
        self._chunks = response.iter_bytes()
        self._left = b""
        self._max_bytes = max_bytes
        # What the server says it sends counts from the first read: refused before any byte.
        self._received = int(response.headers.get("content-length") or 0)

    def readable(self) -> bool:
        return True

    def _more(self) -> bool:
        if self._received > self._max_bytes:
            raise SourceTooLarge(
                f"{self._response.url} is over the download limit of {self._max_bytes} bytes"
            )
        chunk = next(self._chunks, None)
        if chunk is None:
            return False
        if "content-length" not in self._response.headers:
            self._received += len(chunk)
        self._left += chunk
        return True

    def read(self, size: int | None = -1) -> bytes:
        while (size is None or size < 0 or len(self._left) < size) and self._more():
            pass
        cut = len(self._left) if size is None or size < 0 else size
        data, self._left = self._left[:cut], self._left[cut:]
        return data

    def close(self) -> None:
        self._response.close()
        super().close()


class _Response(Response):  # type: ignore[misc]
    """yt-dlp's response, except that our own refusals (a size limit) are not turned into
    network errors that yt-dlp would retry."""

    def read(self, amt: int | None = None) -> bytes:
        try:
            data: bytes = super().read(amt)
        except TransportError as e:
            if isinstance(e.cause, VidsenseError):
                raise e.cause from e
            raise
        return data


class VidsenseRH(RequestHandler):  # type: ignore[misc]
    """yt-dlp's HTTP(S) requests sent by httpx under the address policy of one fetch
    (``pins``): redirects followed (at most 5), each hop's connection checked. No proxies,
    no impersonation, no other schemes: such requests fail rather than go elsewhere."""

    _SUPPORTED_URL_SCHEMES = ("http", "https")
    _SUPPORTED_PROXY_SCHEMES = ()
    _SUPPORTED_FEATURES = ()

    def __init__(self, *, pins: Pins, fetch: FetchSettings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pins = pins
        self._fetch = fetch
        self._clients: list[httpx.Client] = []

    def _check_extensions(self, extensions: dict[str, Any]) -> None:
        super()._check_extensions(extensions)
        for supported in ("cookiejar", "timeout", "legacy_ssl", "keep_header_casing"):
            extensions.pop(supported, None)

    def _send(self, request: Any) -> Response:
        headers = self._get_headers(request)
        headers["Accept-Encoding"] = "identity"
        client = open_client(
            self._fetch,
            pins=self._pins,
            timeout=httpx.Timeout(self._calculate_timeout(request)),
            follow_redirects=True,
            verify=self._make_sslcontext(request.extensions.get("legacy_ssl")),
            cookies=self._get_cookiejar(request),
        )
        self._clients.append(client)
        data = request.data
        if isinstance(data, io.IOBase):
            data = data.read()
        try:
            sent = client.send(
                client.build_request(request.method, request.url, headers=headers, content=data),
                stream=True,
            )
        except SourceBlocked as e:
            raise _Blocked(e.message, cause=e) from e
        except VidsenseError as e:  # a host that does not resolve
            raise TransportError(e.message, cause=e) from e
        except httpx.TooManyRedirects as e:
            raise RequestError(f"more than 5 redirects from {request.url}", cause=e) from e
        except httpx.HTTPError as e:
            raise TransportError(cause=e) from e
        received = dict(sent.headers.items())  # lower-case names
        if received.get("content-encoding", "").lower() in _DECODED:
            # httpx hands over decoded bytes: the encoded length no longer applies.
            received.pop("content-encoding")
            received.pop("content-length", None)
        response = _Response(
            _Body(sent, self._fetch.max_bytes),
            str(sent.url),
            received,
            sent.status_code,
            sent.reason_phrase,
        )
        if not 200 <= sent.status_code < 300:
            raise HTTPError(response)
        return response

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()


class _Log:
    """yt-dlp's messages into vidsense's log rather than onto stderr (its errors come back
    raised, as vidsense errors)."""

    def debug(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    def info(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    def warning(self, message: str) -> None:
        log.info("yt-dlp: %s", message)

    def error(self, message: str) -> None:
        log.info("yt-dlp: %s", message)


class _YoutubeDL(yt_dlp.YoutubeDL):  # type: ignore[misc]
    """yt-dlp with :class:`VidsenseRH` as its only request handler."""

    def __init__(self, params: dict[str, Any], pins: Pins, fetch: FetchSettings) -> None:
        self._vidsense_handler = functools.partial(VidsenseRH, pins=pins, fetch=fetch)
        super().__init__(params)

    @functools.cached_property
    def _request_director(self) -> Any:
        return self.build_request_director([self._vidsense_handler])


def download_page(url: str, dest: Path, fetch: FetchSettings, pins: Pins) -> None:
    """Download the video a page shows into ``dest`` (through a temporary file beside it).

    Raises :class:`SourceBlocked` when any request the page led to was refused (even when
    yt-dlp carried on without it), :class:`UnsupportedMedia` when the page offers the video
    only as a stream, :class:`SourceTooLarge` or :class:`FetchFailed`."""
    options: dict[str, Any] = {
        "quiet": True,
        "no_warnings": True,
        "logger": _Log(),
        "noplaylist": True,
        "noprogress": True,
        "format": _FORMAT,
        "match_filter": match_filter_func("!is_live"),
        "socket_timeout": fetch.read_timeout,
        "cachedir": False,
        "nopart": True,  # one temporary file, ours
        "proxy": "",
    }
    tmp = dest.with_name(f".part-{dest.name}")
    try:
        with _YoutubeDL(options, pins, fetch) as ydl:
            info = ydl.extract_info(url, download=False)
            if pins.refused is not None:
                raise pins.refused
            if info is None:
                raise FetchFailed(f"no video found at {url}")
            if info.get("_type") in ("playlist", "multi_video") and info.get("entries"):
                info = next(iter(info["entries"]))
            size = info.get("filesize") or info.get("filesize_approx")
            if size and size > fetch.max_bytes:
                raise SourceTooLarge(f"{url} is {size} bytes, over the limit of {fetch.max_bytes}")
        with _YoutubeDL({**options, "outtmpl": str(tmp)}, pins, fetch) as ydl:
            ydl.process_ie_result(info, download=True)
        if pins.refused is not None:
            raise pins.refused
        if not tmp.exists():
            raise FetchFailed(f"yt-dlp produced no file for {url}")
        os.replace(tmp, dest)
    except (yt_dlp.utils.DownloadError, RequestError) as e:
        if pins.refused is not None:
            raise pins.refused from e
        message = str(e).removeprefix("ERROR: ")
        if _STREAMED in message:
            raise UnsupportedMedia(
                f"{url} offers its video only as a stream (HLS, DASH or live); only pages "
                "with a downloadable video file are supported"
            ) from e
        raise FetchFailed(f"cannot fetch {url}: {message}") from e
    finally:
        tmp.unlink(missing_ok=True)
