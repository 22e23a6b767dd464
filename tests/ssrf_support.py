"""An attacker's site and a canary, both on loopback, for the address-policy (SSRF) tests.

The site listens on 127.0.0.1 and the test's policy marks that one address public
(``fetch.allow_networks=["127.0.0.1/32"]``); the canary listens on 127.0.0.2, on the same port,
and stays private. The site's pages try every way of steering a fetch to the canary; the
canary counts what reaches it, which must stay 0.
"""

from __future__ import annotations

import http.server
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from vidsense.config import FetchSettings
from vidsense.media.network import AddressPolicy

PUBLIC = "127.0.0.1"
PRIVATE = "127.0.0.2"


def _page(body: str) -> bytes:
    return f"<!doctype html><html><head>{body}</head><body>{body}</body></html>".encode()


@dataclass
class Site:
    """The attacker's site (``url``), the canary (``canary_url``) and what each received."""

    url: str
    canary_url: str
    hits: Counter[str] = field(default_factory=Counter)
    canary_hits: list[str] = field(default_factory=list)

    def fetch_settings(self, **values: object) -> FetchSettings:
        """Fetch settings under which the site is public and the canary is not."""
        return FetchSettings(allow_networks=[f"{PUBLIC}/32"], **values)  # type: ignore[arg-type]

    def policy(self) -> AddressPolicy:
        return AddressPolicy.from_settings(self.fetch_settings())


def _site_handler(site: Site, clip: bytes) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            site.hits[path] += 1
            canary = site.canary_url
            pages = {
                "/page.mp4.html": '<video src="/clip.mp4"></video>',
                "/src": f'<video src="{canary}/secret.mp4"></video>',
                "/manifest": f'<video src="{canary}/live.m3u8"></video>',
                "/og": f'<meta property="og:video" content="{canary}/secret.mp4">',
                "/via-redirect": '<video src="/go.mp4"></video>',
                "/elsewhere": '<video src="http://nowhere.test/clip.mp4"></video>',
            }
            if path.startswith("/flip/"):
                # What the issue saw: the first request (the server's own) gets a page, the
                # next one (yt-dlp reading the page) a redirect to a private address.
                if site.hits[path] == 1:
                    pages[path] = '<video src="/clip.mp4"></video>'
                else:
                    path = "/go"
            if path in pages:
                self._send(200, _page(pages[path]), Content_Type="text/html; charset=utf-8")
            elif path.startswith("/go"):
                self._send(302, Location=f"{canary}/latest/meta-data")
            elif path.endswith(".mp4"):
                self._send(200, clip, Content_Type="video/mp4")
            else:
                self._send(404)

        def do_POST(self) -> None:
            site.hits[self.path] += 1
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status = 302 if self.path.startswith("/go") else 200
            self._send(status, Location=f"{site.canary_url}/hook")

    return Handler


def _canary_handler(site: Site) -> type[http.server.BaseHTTPRequestHandler]:
    class Canary(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _any(self) -> None:
            site.canary_hits.append(f"{self.command} {self.path}")
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"secret")

        do_GET = do_POST = do_HEAD = _any

    return Canary


@contextmanager
def attack_site(clip: Path) -> Iterator[Site]:
    """Serve the site on 127.0.0.1 and the canary on 127.0.0.2 at the same port (so that a
    second DNS answer only swaps the address)."""
    data = clip.read_bytes()
    for _ in range(20):
        site = Site("", "")
        public = http.server.ThreadingHTTPServer((PUBLIC, 0), _site_handler(site, data))
        port = public.server_address[1]
        try:
            private = http.server.ThreadingHTTPServer((PRIVATE, port), _canary_handler(site))
        except OSError:  # that port is taken on 127.0.0.2: try another
            public.server_close()
            continue
        break
    else:
        raise RuntimeError("no port free on both 127.0.0.1 and 127.0.0.2")
    site.url, site.canary_url = f"http://{PUBLIC}:{port}", f"http://{PRIVATE}:{port}"
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (public, private)]
    for thread in threads:
        thread.start()
    try:
        yield site
    finally:
        for server in (public, private):
            server.shutdown()
            server.server_close()
