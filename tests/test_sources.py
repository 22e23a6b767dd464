"""http(s) sources against a real local HTTP server: downloads, limits, SSRF refusals, pages,
and an attacker's site that tries to steer every hop (yt-dlp's own requests, redirects, a
second DNS answer) to a private canary."""

from __future__ import annotations

import http.server
import importlib.util
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import MediaCache
from tests.factory import Scene, make_video
from tests.ssrf_support import PRIVATE, PUBLIC, Site, attack_site
from vidsense.config import FetchSettings, Settings
from vidsense.errors import FetchFailed, SourceBlocked, SourceTooLarge
from vidsense.media.network import AddressPolicy, Pins, check_url_allowed, open_client
from vidsense.media.probe import probe
from vidsense.media.source import fetch_url, resolve_source


@pytest.fixture(scope="module")
def clip(media: MediaCache) -> Path:
    return media.get(
        "served.mp4", lambda out: make_video(out, [Scene(2.0, "testsrc2")], size="160x120")
    )


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        if self.path == "/redirect-to-private":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.end_headers()
            return
        if self.path == "/page.html":
            body = b'<html><body><video src="/clip.mp4" controls></video></body></html>'
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


@pytest.fixture(scope="module")
def server(clip: Path) -> Iterator[str]:
    root = clip.parent / "www"
    root.mkdir(exist_ok=True)
    (root / "clip.mp4").write_bytes(clip.read_bytes())

    def handler(*args: object) -> _Handler:
        return _Handler(*args, directory=str(root))  # type: ignore[arg-type]

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _settings(tmp_path: Path, **fetch: object) -> Settings:
    return Settings(data_dir=tmp_path, fetch=FetchSettings(allow_private=True, **fetch))  # type: ignore[arg-type]


def test_download_is_cached_and_probed(server: str, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    path = resolve_source(f"{server}/clip.mp4", settings)
    assert path.is_relative_to(settings.cache_dir)
    assert probe(path).duration == pytest.approx(2.0, abs=0.05)
    mtime = path.stat().st_mtime_ns
    assert resolve_source(f"{server}/clip.mp4", settings) == path
    assert path.stat().st_mtime_ns == mtime  # served from the cache, not fetched again


def test_private_addresses_are_refused_by_default(server: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(SourceBlocked, match="ALLOW_PRIVATE"):
        resolve_source(f"{server}/clip.mp4", settings)
    for url in (
        "http://10.0.0.8/v.mp4",
        "http://192.168.1.1/v.mp4",
        "http://[::1]/v.mp4",
        "http://169.254.169.254/latest",
        "http://0.0.0.0/v.mp4",
    ):
        with pytest.raises(SourceBlocked):
            check_url_allowed(url, settings.fetch)
    with pytest.raises(SourceBlocked, match="http and https"):
        resolve_source("ftp://example.com/v.mp4", settings)
    assert not settings.cache_dir.exists() or not any(settings.cache_dir.iterdir())


def test_redirects_are_checked_hop_by_hop(server: str, tmp_path: Path) -> None:
    # The first hop is allowed (loopback allowed for the test server), the second is not.
    settings = _settings(tmp_path)
    settings.fetch.allow_private = False
    with pytest.raises(SourceBlocked):
        resolve_source(f"{server}/redirect-to-private", settings)


def test_size_limit_leaves_nothing_behind(server: str, tmp_path: Path) -> None:
    settings = _settings(tmp_path, max_bytes=10_000)
    with pytest.raises(SourceTooLarge):
        resolve_source(f"{server}/clip.mp4", settings)
    assert list(settings.cache_dir.iterdir()) == []
    if importlib.util.find_spec("yt_dlp"):  # the same limit on what a page leads to
        with pytest.raises(SourceTooLarge, match=r"clip\.mp4 is over the download limit of 10000"):
            resolve_source(f"{server}/page.html", settings)
        assert list(settings.cache_dir.iterdir()) == []


def test_http_errors_and_unreachable_hosts(server: str, tmp_path: Path) -> None:
    settings = _settings(tmp_path, connect_timeout=2.0)
    with pytest.raises(FetchFailed, match="404"):
        resolve_source(f"{server}/nope.mp4", settings)
    with pytest.raises(FetchFailed):
        resolve_source("http://127.0.0.1:9/clip.mp4", settings)  # nothing listens on port 9


def test_video_page_goes_through_yt_dlp(server: str, tmp_path: Path) -> None:
    pytest.importorskip("yt_dlp")
    path = resolve_source(f"{server}/page.html", _settings(tmp_path))
    assert probe(path).duration == pytest.approx(2.0, abs=0.05)


def test_cli_probe_url(server: str, tmp_path: Path) -> None:
    exe = str(Path(sys.executable).parent / "vidsense")
    env = {"VIDSENSE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    ok = subprocess.run(
        [exe, "probe", f"{server}/clip.mp4", "--json"],
        capture_output=True,
        text=True,
        env={**env, "VIDSENSE_FETCH__ALLOW_PRIVATE": "true"},
    )
    assert ok.returncode == 0, ok.stderr
    refused = subprocess.run(
        [exe, "probe", f"{server}/clip.mp4"], capture_output=True, text=True, env=env
    )
    assert refused.returncode != 0
    assert refused.stderr.startswith("error: ") and "[url_not_allowed]" in refused.stderr


# --- an attacker's site: every hop goes through the address policy ---------------------------


@pytest.fixture(scope="module")
def site(clip: Path) -> Iterator[Site]:
    with attack_site(clip) as served:
        yield served


def _leftovers(settings: Settings) -> list[Path]:
    return list(settings.cache_dir.iterdir()) if settings.cache_dir.exists() else []


def test_the_public_mark_covers_only_its_network(site: Site, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, fetch=site.fetch_settings())
    path = resolve_source(f"{site.url}/clip.mp4", settings)
    assert probe(path).duration == pytest.approx(2.0, abs=0.05)
    with pytest.raises(SourceBlocked, match=PRIVATE):
        resolve_source(f"{site.canary_url}/clip.mp4", settings)
    assert site.canary_hits == []


@pytest.mark.parametrize(
    "page",
    [
        "/flip/sources",  # a page first, then a redirect once yt-dlp reads the page itself
        "/src",  # <video src> on the private address
        "/manifest",  # an HLS manifest there, which yt-dlp would read while extracting
        "/og",  # og:video meta on the private address
        "/via-redirect",  # a public media URL that redirects there when downloaded
        "/go-direct.mp4",  # a plain download redirected there
    ],
)
def test_no_hop_reaches_a_private_address(site: Site, tmp_path: Path, page: str) -> None:
    if page != "/go-direct.mp4":
        pytest.importorskip("yt_dlp")
    settings = Settings(data_dir=tmp_path, fetch=site.fetch_settings())
    with pytest.raises(SourceBlocked, match=PRIVATE):
        resolve_source(site.url + page, settings)
    assert site.hits[page] >= 1  # the page itself was read
    if page.startswith("/flip/"):
        assert site.hits[page] == 2  # ... and read again by yt-dlp, which got the redirect
    assert site.canary_hits == []
    assert _leftovers(settings) == []


class Rebinding:
    """A resolver answering the public address first and the private one afterwards, as a DNS
    server with a zero TTL does in a rebinding attack."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls += 1
        return [PUBLIC] if self.calls == 1 else [PRIVATE]


def _port(site: Site) -> int:
    return int(site.url.rsplit(":", 1)[1])


def test_dns_rebinding_cannot_move_a_download(site: Site, tmp_path: Path) -> None:
    resolver = Rebinding()
    settings = Settings(data_dir=tmp_path, fetch=site.fetch_settings())
    policy = replace(site.policy(), resolver=resolver)
    path = fetch_url(f"http://media.test:{_port(site)}/clip.mp4", settings, policy=policy)
    assert probe(path).duration == pytest.approx(2.0, abs=0.05)  # from the first answer
    assert resolver.calls == 1 and site.canary_hits == []


def test_dns_rebinding_cannot_move_yt_dlp(site: Site, tmp_path: Path) -> None:
    pytest.importorskip("yt_dlp")
    resolver = Rebinding()
    settings = Settings(data_dir=tmp_path, fetch=site.fetch_settings())
    policy = replace(site.policy(), resolver=resolver)
    before = site.hits["/clip.mp4"]
    # The server reads the page, yt-dlp reads it again and downloads the clip: one answer.
    path = fetch_url(f"http://media.test:{_port(site)}/page.mp4.html", settings, policy=policy)
    assert probe(path).duration == pytest.approx(2.0, abs=0.05)
    assert site.hits["/page.mp4.html"] == 2 and site.hits["/clip.mp4"] == before + 1
    assert resolver.calls == 1 and site.canary_hits == []


def test_dns_rebinding_cannot_move_a_callback(site: Site) -> None:
    url = f"http://hooks.test:{_port(site)}/hook"
    fetch = site.fetch_settings()
    resolver = Rebinding()
    policy = replace(site.policy(), resolver=resolver)
    check_url_allowed(url, fetch, policy)  # accepted when the request came in (first answer)
    with open_client(fetch, pins=Pins(policy)) as client, pytest.raises(SourceBlocked):
        client.post(url, json={"status": "completed"})  # sent later: the second answer
    # One client pins its first answer for every request it sends.
    with open_client(fetch, pins=Pins(replace(policy, resolver=Rebinding()))) as client:
        assert [client.post(url, json={}).status_code for _ in range(2)] == [200, 200]
        assert client.post(f"http://hooks.test:{_port(site)}/go").status_code == 302  # not followed
    assert site.hits["/hook"] == 2 and site.canary_hits == []


def test_mixed_answers_are_refused_before_connecting(site: Site, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, fetch=site.fetch_settings())
    policy = replace(site.policy(), resolver=lambda host, port: [PUBLIC, PRIVATE])
    before = sum(site.hits.values())
    with pytest.raises(SourceBlocked, match=f"resolves to {PRIVATE}"):
        fetch_url(f"http://media.test:{_port(site)}/clip.mp4", settings, policy=policy)
    assert sum(site.hits.values()) == before and site.canary_hits == []


def test_address_policy_from_settings() -> None:
    policy = AddressPolicy.from_settings(FetchSettings(allow_networks=["10.8.0.0/16"]))
    assert policy.allows("10.8.3.4") and not policy.allows("10.9.0.1")
    assert not policy.allows("::ffff:127.0.0.1") and policy.allows("93.184.215.14")
    assert AddressPolicy(allow_private=True).allows("192.168.1.1")


def test_a_host_that_does_not_resolve_fails_the_fetch(site: Site, tmp_path: Path) -> None:
    pytest.importorskip("yt_dlp")

    def resolver(host: str, port: int) -> list[str]:
        if host == "media.test":
            return [PUBLIC]
        raise FetchFailed(f"cannot resolve host {host!r}: Name or service not known")

    settings = Settings(data_dir=tmp_path, fetch=site.fetch_settings())
    policy = replace(site.policy(), resolver=resolver)
    with pytest.raises(FetchFailed, match=r"nowhere\.test"):
        fetch_url(f"http://media.test:{_port(site)}/elsewhere", settings, policy=policy)
    assert _leftovers(settings) == [] and site.canary_hits == []
