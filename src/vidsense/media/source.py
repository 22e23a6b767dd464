"""Turning a SOURCE (a path, an http(s) URL, a YouTube-like page) into a local file.

Downloads go into the cache folder under a name derived from the URL, through a temporary file
that is renamed only when complete, so a failed download never leaves a half-written video.
Hosts that resolve to private, loopback, link-local or reserved addresses are refused (SSRF)
unless ``fetch.allow_private`` is set or their network is in ``fetch.allow_networks``.

The check sits where connections are made, not only in front of a fetch: one
:class:`AddressPolicy` resolves each host once per fetch, checks every address it answers,
and the connection goes to that checked address (:class:`Pins`), so a redirect hop, a request
yt-dlp makes on its own while reading a page, or a second DNS answer (rebinding) all meet the
same check (:mod:`vidsense.media.network`); :mod:`vidsense.media.sites` gives it to yt-dlp.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpx

from vidsense.config import FetchSettings, Settings
from vidsense.errors import (
    FetchFailed,
    SourceBlocked,
    SourceNotFound,
    SourceTooLarge,
    UnsupportedMedia,
)
from vidsense.media.network import (
    MAX_REDIRECTS,
    AddressPolicy,
    Pins,
    open_client,
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
_CHUNK = 1 << 20

Progress = Callable[[int, int | None], None]
"""Called with (bytes received, total bytes or None)."""


def is_url(source: str) -> bool:
    return urlparse(source).scheme.lower() in ("http", "https")


def _is_site_page(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in SITE_HOSTS)


def _cache_path(url: str, cache_dir: Path) -> Path:
    digest = hashlib.sha256(url.encode()).hexdigest()[:32]
    name = Path(urlparse(url).path).name or "video"
    suffix = Path(name).suffix[:8] if Path(name).suffix else ".bin"
    return cache_dir / f"{digest}{suffix}"


def _download(
    url: str, dest: Path, fetch: FetchSettings, pins: Pins, progress: Progress | None
) -> str:
    """Stream ``url`` into ``dest``; returns the response's content type."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    current = url
    with open_client(fetch, pins=pins) as client:
        for _ in range(MAX_REDIRECTS + 1):
            pins.check_url(current)
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
    raise FetchFailed(f"{url} redirected more than {MAX_REDIRECTS} times")


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


def _download_with_ytdlp(url: str, dest: Path, fetch: FetchSettings, pins: Pins) -> None:
    """Fetch a video page through yt-dlp (an optional extra); every request it makes goes
    through ``pins`` (see :mod:`vidsense.media.sites`)."""
    try:
        from vidsense.media.sites import download_page
    except ImportError as e:
        raise UnsupportedMedia(
            f"{url} is a web page, not a video file; install the 'sites' extra "
            "(pip install 'vidsense[sites]') to fetch videos from pages"
        ) from e
    download_page(url, dest, fetch, pins)


def fetch_url(
    url: str,
    settings: Settings,
    progress: Progress | None = None,
    *,
    policy: AddressPolicy | None = None,
) -> Path:
    """Download ``url`` (a file or a video page) into the cache, once; returns the local path.

    Every connection goes through ``policy`` (default: the one ``settings.fetch`` describes),
    each host resolved once for the whole fetch (see :class:`Pins`)."""
    pins = Pins(policy or AddressPolicy.from_settings(settings.fetch))
    # The address policy applies to every request, cached or not.
    pins.check_url(url)
    dest = _cache_path(url, settings.cache_dir)
    if dest.exists():
        return dest
    if _is_site_page(url):
        _download_with_ytdlp(url, dest.with_suffix(".mp4"), settings.fetch, pins)
        return dest.with_suffix(".mp4")
    content_type = _download(url, dest, settings.fetch, pins, progress)
    if content_type.startswith("text/html"):
        page_dest = dest.with_suffix(".mp4")
        if page_dest.exists():
            return page_dest
        log.info("%s is a web page; asking yt-dlp for its video", url)
        _download_with_ytdlp(url, page_dest, settings.fetch, pins)
        return page_dest
    return dest


def resolve_source(
    source: str | Path, settings: Settings, progress: Progress | None = None
) -> Path:
    """A local path for ``source``: the path itself, or the cached download of a URL."""
    text = str(source)
    if is_url(text):
        return fetch_url(text, settings, progress)
    path = local_path(text)
    if not path.exists():
        raise SourceNotFound(f"no such file: {path}")
    return path


def local_file(source: str | Path) -> Path:
    """The existing file a path or ``file://`` URI names (:func:`local_path`); raises
    :class:`SourceNotFound` (``file_not_found``) when there is none."""
    path = local_path(source)
    if not path.is_file():
        raise SourceNotFound(f"no such file: {path}")
    return path


def local_path(source: str | Path) -> Path:
    """The file a source that is not an http(s) URL names: a path, or a ``file://`` URI of
    one (``~`` expanded). Raises :class:`SourceBlocked` for any other scheme (``ftp://``)."""
    text = str(source)
    if "://" in text and not text.startswith("file://"):
        raise SourceBlocked(f"only http and https URLs (or paths) are accepted, not {text!r}")
    return Path(text.removeprefix("file://")).expanduser()
