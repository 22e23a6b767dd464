"""Turning a SOURCE (a path, an http(s) URL, a YouTube-like page) into a local file.

Downloads go into the cache folder under a name derived from the URL, through a temporary file
that is renamed only when complete, so a failed download never leaves a half-written video.
Hosts that resolve to private, loopback, link-local or reserved addresses are refused (SSRF)
unless ``fetch.allow_private`` is set or their network is in ``fetch.allow_networks``.

The check sits where connections are made, not only in front of a fetch: one
:class:`AddressPolicy` resolves each host once per fetch, checks every address it answers,
and the connection goes to that checked address (:class:`Pins`), so a redirect hop, a request
yt-dlp makes on its own while reading a page, or a second DNS answer (rebinding) all meet the
same check. :func:`open_client` is that check as an httpx client (downloads, prediction
callbacks); :mod:`vidsense.media.sites` gives it to yt-dlp.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpcore
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


Resolver = Callable[[str, int], Sequence[str]]
"""Answers the addresses of ``(host, port)``, in the order a client tries them."""

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def system_resolver(host: str, port: int) -> list[str]:
    """The system's answers (``getaddrinfo``) for ``host``, first preferred."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as e:
        raise FetchFailed(f"cannot resolve host {host!r}: {e.strerror}") from e
    return [str(info[4][0]) for info in infos]


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    address = ipaddress.ip_address(text.split("%")[0])  # no IPv6 zone in the check
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses a fetch may connect to, and how host names resolve.

    Public (global unicast) addresses are allowed; private, loopback, link-local, reserved and
    multicast ones are refused unless ``allow_private``, except those inside
    ``allow_networks``. Every connection a fetch makes (each redirect hop, every request
    yt-dlp sends, a prediction callback) asks :meth:`pin` for the address to connect to.
    """

    allow_private: bool = False
    allow_networks: tuple[IPNetwork, ...] = ()
    resolver: Resolver = system_resolver

    @classmethod
    def from_settings(cls, fetch: FetchSettings) -> AddressPolicy:
        """The policy ``fetch`` describes (``allow_private``, ``allow_networks``)."""
        try:
            networks = tuple(ipaddress.ip_network(n, strict=False) for n in fetch.allow_networks)
        except ValueError as e:
            raise InvalidArgument(f"VIDSENSE_FETCH__ALLOW_NETWORKS: {e}") from e
        return cls(allow_private=fetch.allow_private, allow_networks=networks)

    def allows(self, address: str) -> bool:
        ip = _ip(address)
        if self.allow_private or any(ip in network for network in self.allow_networks):
            return True
        return ip.is_global and not ip.is_multicast

    def addresses(self, host: str, port: int) -> list[str]:
        """Every address ``host`` resolves to, once, each checked: raises
        :class:`SourceBlocked` when any of them is not allowed."""
        try:
            answers = [str(_ip(host))]  # an address literal is its own answer
        except ValueError:
            answers = list(self.resolver(host, port))
        if not answers:
            raise FetchFailed(f"cannot resolve host {host!r}: no address")
        for answer in answers:
            if not self.allows(answer):
                raise SourceBlocked(
                    f"{host} resolves to {_ip(answer)}, a private, loopback or link-local "
                    "address; set VIDSENSE_FETCH__ALLOW_PRIVATE=true (or list its network in "
                    "VIDSENSE_FETCH__ALLOW_NETWORKS) to allow it"
                )
        return answers


class Pins:
    """The addresses one fetch connects to: each host is resolved and checked once, and every
    later connection to it goes to that first checked address, so a second DNS answer cannot
    move a connection somewhere private (DNS rebinding). A refusal is remembered in
    :attr:`refused`, for callers (yt-dlp) that would otherwise report it as a network error.
    """

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self.refused: SourceBlocked | None = None
        self._hosts: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()

    def pin(self, host: str, port: int) -> str:
        """The checked address to connect to for ``(host, port)``."""
        with self._lock:
            if (host, port) in self._hosts:
                return self._hosts[host, port]
        try:
            address = self.policy.addresses(host, port)[0]
        except SourceBlocked as e:
            self.refused = self.refused or e
            raise
        with self._lock:
            return self._hosts.setdefault((host, port), address)

    def check_url(self, url: str) -> None:
        """Refuse ``url`` unless it is http(s) and its host resolves to allowed addresses
        (pinning the first)."""
        parts = urlparse(url)
        if parts.scheme.lower() not in ("http", "https"):
            raise SourceBlocked(f"only http and https URLs are accepted, not {parts.scheme!r}")
        if not parts.hostname:
            raise InvalidArgument(f"URL has no host: {url}")
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError as e:
            raise InvalidArgument(f"URL has an invalid port: {url}") from e
        self.pin(parts.hostname, port)


def check_url_allowed(url: str, fetch: FetchSettings, policy: AddressPolicy | None = None) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a refused address (see
    :class:`AddressPolicy`; ``policy`` defaults to the one ``fetch`` describes). A check
    before the fact: the connections themselves are checked again (see :func:`open_client`)."""
    Pins(policy or AddressPolicy.from_settings(fetch)).check_url(url)


class _PinnedBackend(httpcore.NetworkBackend):
    """Opens every TCP connection to the address :class:`Pins` checked for its host; TLS still
    verifies (and sends SNI for) the host name, as httpcore passes it to ``start_tls``."""

    def __init__(self, pins: Pins) -> None:
        self._pins = pins
        self._system = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        address = self._pins.pin(host, port)
        return self._system.connect_tcp(address, port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise SourceBlocked("fetches do not connect to local sockets")

    def sleep(self, seconds: float) -> None:
        self._system.sleep(seconds)


class _PinnedTransport(httpx.HTTPTransport):
    """httpx's own transport, over a connection pool whose connections :class:`Pins` places."""

    def __init__(self, pins: Pins, verify: ssl.SSLContext | bool = True) -> None:
        # Not super().__init__(): it would build a pool on the system resolver, only to drop it.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            network_backend=_PinnedBackend(pins),
        )


def open_client(
    fetch: FetchSettings,
    *,
    pins: Pins | None = None,
    timeout: float | httpx.Timeout | None = None,
    follow_redirects: bool = False,
    verify: ssl.SSLContext | bool = True,
    cookies: CookieJar | None = None,
) -> httpx.Client:
    """An httpx client whose every connection (redirect hops included) goes through the address
    policy and to the address it checked (see :class:`Pins`; one set of pins per client unless
    ``pins`` is shared). ``timeout`` is seconds, default ``fetch``'s. Proxy variables are not
    read: a proxy would resolve the host itself."""
    if timeout is None:
        timeout = httpx.Timeout(fetch.read_timeout, connect=fetch.connect_timeout)
    return httpx.Client(
        transport=_PinnedTransport(pins or Pins(AddressPolicy.from_settings(fetch)), verify),
        timeout=timeout,
        follow_redirects=follow_redirects,
        max_redirects=_MAX_REDIRECTS,
        trust_env=False,
        cookies=cookies,
    )


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
        for _ in range(_MAX_REDIRECTS + 1):
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
    if "://" in text and not text.startswith("file://"):
        raise SourceBlocked(f"only http and https URLs (or paths) are accepted, not {text!r}")
    path = Path(text.removeprefix("file://")).expanduser()
    if not path.exists():
        raise SourceNotFound(f"no such file: {path}")
    return path
