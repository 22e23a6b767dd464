"""Where fetches may connect: one address policy, checked where connections are made.

An :class:`AddressPolicy` resolves each host once per fetch, checks every address it answers
(private, loopback, link-local and reserved addresses are refused unless ``fetch.allow_private``
is set or their network is in ``fetch.allow_networks``), and the connection goes to that
checked address (:class:`Pins`), so a redirect hop, a request yt-dlp makes on its own while
reading a page, or a second DNS answer (rebinding) all meet the same check.
:func:`open_client` is that check as an httpx client (downloads; :func:`post_callback` for
the ``callback_url`` of predictions and executions);
:mod:`vidsense.media.sites` gives it to yt-dlp.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urlparse

import httpcore
import httpx

from vidsense.config import FetchSettings
from vidsense.errors import FetchFailed, InvalidArgument, SourceBlocked

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
"""Redirect hops a fetch follows, each one checked."""

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
        if not parts.scheme:
            raise InvalidArgument(f"{url!r} is not a URL: give an http:// or https:// address")
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
        max_redirects=MAX_REDIRECTS,
        trust_env=False,
        cookies=cookies,
    )


def post_callback(url: str, body: Mapping[str, Any], fetch: FetchSettings) -> bool:
    """POST ``body`` (JSON) to a ``callback_url`` a request gave (checked again as it connects,
    under the same address rules as media URLs; no redirects; 10 s). A failure is logged, not
    raised: the work it reports is done either way. True when the receiver answered 2xx."""
    try:
        with open_client(fetch, timeout=10.0) as client:
            answer = client.post(url, json=dict(body))
    except Exception as e:
        log.warning("callback to %s failed: %s", url, e)
        return False
    if answer.status_code >= 300:
        log.warning("callback to %s answered HTTP %d", url, answer.status_code)
        return False
    return True
