"""Turning a SOURCE (a path, an http(s) URL, a YouTube-like page) into a local file.

Downloads go into the cache folder under a name derived from the URL, through a temporary file
that is renamed only when complete, so a failed download never leaves a half-written video.
Hosts that resolve to private, loopback, link-local or reserved addresses are refused (SSRF)
unless ``fetch.allow_private`` is set; every redirect hop is checked the same way.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import httpx

from vidsense.config import FetchSettings, Settings
from vidsense.errors import (
    FetchFailed,
    InvalidArgument,
    SourceBlocked,
    SourceNotFound,
    SourceTooLarge,
    UnsupportedMedia,
)

log = logging.getLogger(__name__)

# Pages rather than files: these go straight to yt-dlp.
SITE_HOSTS = (
    "youtube.com",
    "youtu.be",
    "vimeo.com",
    "dailymotion.com",
    "twitch.tv",
    "tiktok.com",
    "instagram.com",
    "facebook.com",
    "x.com",
    "twitter.com",
    "bilibili.com",
)
_MAX_REDIRECTS = 5
_CHUNK = 1 << 20

Progress = Callable[[int, int | None], None]
"""Called with (bytes received, total bytes or None)."""


def is_url(source: str) -> bool:
    return urlparse(source).scheme.lower() in ("http", "https")


def check_url_allowed(url: str, fetch: FetchSettings) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a non-public address."""
    parts = urlparse(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise SourceBlocked(f"only http and https URLs are accepted, not {parts.scheme!r}")
    host = parts.hostname
    if not host:
        raise InvalidArgument(f"URL has no host: {url}")
    if fetch.allow_private:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as e:
        raise FetchFailed(f"cannot resolve host {host!r}: {e.strerror}") from e
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            raise SourceBlocked(
                f"{host} resolves to {address}, a private, loopback or link-local address; "
                "set VIDSENSE_FETCH__ALLOW_PRIVATE=true to allow it"
            )


def _is_site_page(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in SITE_HOSTS)


def _cache_path(url: str, cache_dir: Path) -> Path:
    digest = hashlib.sha256(url.encode()).hexdigest()[:32]
    name = Path(urlparse(url).path).name or "video"
    suffix = Path(name).suffix[:8] if Path(name).suffix else ".bin"
    return cache_dir / f"{digest}{suffix}"


def _download(url: str, dest: Path, fetch: FetchSettings, progress: Progress | None) -> str:
    """Stream ``url`` into ``dest``; returns the response's content type."""
    timeout = httpx.Timeout(fetch.read_timeout, connect=fetch.connect_timeout)
    dest.parent.mkdir(parents=True, exist_ok=True)
    current = url
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for _ in range(_MAX_REDIRECTS + 1):
            check_url_allowed(current, fetch)
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        current = urljoin(current, response.headers.get("location", ""))
                        continue
                    if response.status_code >= 400:
                        raise FetchFailed(f"{url} answered HTTP {response.status_code}")
                    content_type = str(response.headers.get("content-type", "")).split(";")[0]
                    if content_type.startswith("text/html"):
                        return content_type
                    total = int(response.headers.get("content-length") or 0) or None
                    if total is not None and total > fetch.max_bytes:
                        raise SourceTooLarge(
                            f"{url} is {total} bytes, over the limit of {fetch.max_bytes}"
                        )
                    _write_stream(response, dest, fetch.max_bytes, total, progress)
                    return content_type
            except httpx.TimeoutException as e:
                raise FetchFailed(f"{url} timed out: {e}") from e
            except httpx.HTTPError as e:
                raise FetchFailed(f"cannot fetch {url}: {e}") from e
    raise FetchFailed(f"{url} redirected more than {_MAX_REDIRECTS} times")


def _write_stream(
    response: httpx.Response,
    dest: Path,
    max_bytes: int,
    total: int | None,
    progress: Progress | None,
) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".part-")
    received = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in response.iter_bytes(_CHUNK):
                received += len(chunk)
                if received > max_bytes:
                    raise SourceTooLarge(f"download exceeded the limit of {max_bytes} bytes")
                out.write(chunk)
                if progress is not None:
                    progress(received, total)
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _download_with_ytdlp(url: str, dest: Path, fetch: FetchSettings) -> None:
    """Fetch a video page through yt-dlp (an optional extra), checking the media URL it found."""
    try:
        import yt_dlp
    except ImportError as e:
        raise UnsupportedMedia(
            f"{url} is a web page, not a video file; install the 'sites' extra "
            "(pip install 'vidsense[sites]') to fetch videos from pages"
        ) from e

    options: dict[str, Any] = {
        "quiet": True,
        "no_warnings": True,
        "noplaylist": True,
        "noprogress": True,
        "format": "best[ext=mp4]/best",
        "socket_timeout": fetch.read_timeout,
        "max_filesize": fetch.max_bytes,
        "cachedir": False,
    }
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            info = ydl.extract_info(url, download=False)
            if info is None:
                raise FetchFailed(f"no video found at {url}")
            if info.get("_type") in ("playlist", "multi_video") and info.get("entries"):
                info = next(iter(info["entries"]))
            media_url = info.get("url")
            if not media_url:
                raise FetchFailed(f"no downloadable video found at {url}")
            check_url_allowed(media_url, fetch)
            size = info.get("filesize") or info.get("filesize_approx")
            if size and size > fetch.max_bytes:
                raise SourceTooLarge(f"{url} is {size} bytes, over the limit of {fetch.max_bytes}")
            tmp = dest.with_name(f".part-{dest.name}")
            with yt_dlp.YoutubeDL({**options, "outtmpl": str(tmp)}) as ydl:
                ydl.process_ie_result(info, download=True)
            if not tmp.exists():
                raise FetchFailed(f"yt-dlp produced no file for {url}")
            os.replace(tmp, dest)
    except yt_dlp.utils.DownloadError as e:
        raise FetchFailed(f"cannot fetch {url}: {str(e).removeprefix('ERROR: ')}") from e


def fetch_url(url: str, settings: Settings, progress: Progress | None = None) -> Path:
    """Download ``url`` (a file or a video page) into the cache, once; returns the local path."""
    # The address policy applies to every request, cached or not.
    check_url_allowed(url, settings.fetch)
    dest = _cache_path(url, settings.cache_dir)
    if dest.exists():
        return dest
    if _is_site_page(url):
        _download_with_ytdlp(url, dest.with_suffix(".mp4"), settings.fetch)
        return dest.with_suffix(".mp4")
    content_type = _download(url, dest, settings.fetch, progress)
    if content_type.startswith("text/html"):
        page_dest = dest.with_suffix(".mp4")
        if page_dest.exists():
            return page_dest
        log.info("%s is a web page; asking yt-dlp for its video", url)
        _download_with_ytdlp(url, page_dest, settings.fetch)
        return page_dest
    return dest


def resolve_source(
    source: str | Path, settings: Settings, progress: Progress | None = None
) -> Path:
    """A local path for ``source``: the path itself, or the cached download of a URL."""
    text = str(source)
    if is_url(text):
        return fetch_url(text, settings, progress)
    if "://" in text and not text.startswith("file://"):
        raise SourceBlocked(f"only http and https URLs (or paths) are accepted, not {text!r}")
    path = Path(text.removeprefix("file://")).expanduser()
    if not path.exists():
        raise SourceNotFound(f"no such file: {path}")
    return path
