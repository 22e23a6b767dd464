"""The web UI in a real browser: Debian's headless Chromium driven by Playwright against a real
``vidsense serve`` on a local port, with a generated video whose spoken words and on-screen text
are known. Each page is saved as a screenshot (the folder is printed; set VIDSENSE_UI_SHOTS to
choose it) so reviewers can look at them.

The tests share one server, one browser page and one indexed video, and run in file order
(upload first); the ``video`` fixture indexes the clip through the API when run alone.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import MediaCache
from tests.factory import Caption, Scene, join_shots, lavfi, make_speech, make_video
from tests.library_support import ServerProcess, shared_models, wait_for

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.models,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)"
    ),
]

PHRASE = "the orange balloon floats over the harbor"
PHRASE_AT = 4.2  # seconds: when the phrase starts in the clip's audio
GREETING = "welcome to the vidsense demo"
TITLE = "HARBOR REPORT"


@dataclass
class Site:
    server: ServerProcess
    browser: Any  # playwright Browser
    page: Any  # playwright Page
    shots: Path
    ranges: list[int]  # statuses of /stream responses seen by the browser

    @property
    def url(self) -> str:
        return self.server.url

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=str(path))
        return path

    def player_time(self) -> float:
        return float(self.page.eval_on_selector("video.player", "v => v.currentTime"))


@pytest.fixture(scope="module")
def clip(media: MediaCache) -> Path:
    """8 s, 640x360: a title card then two more shots; the greeting at 0.4 s, the phrase at
    4.2 s."""

    def build(out: Path) -> None:
        wav = out.with_suffix(".wav")
        make_speech(wav, [(0.4, GREETING), (PHRASE_AT, PHRASE)], 8.0)
        make_video(
            out,
            [
                Scene(3.0, "color=c=0x1e3a8a", [Caption(TITLE, 0.3, 2.8, size=40)]),
                Scene(2.5, "color=c=0xc2410c"),
                Scene(2.5, "color=c=0x065f46"),
            ],
            size="640x360",
            fps=15,
            audio=wav,
        )

    return media.get("ui-harbor.mp4", build)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    models = shared_models(tmp_path_factory)
    server = ServerProcess(tmp_path_factory.mktemp("ui") / "data", models)
    server.start("--workers", "1")
    shots = Path(os.environ.get("VIDSENSE_UI_SHOTS") or tmp_path_factory.mktemp("ui-screens"))
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\nUI screenshots: {shots}")
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--headless", "--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(20_000)
            ranges: list[int] = []
            page.on(
                "response",
                lambda r: ranges.append(r.status) if r.url.endswith("/stream") else None,
            )
            yield Site(server, browser, page, shots, ranges)
            browser.close()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def video(site: Site, clip: Path) -> dict[str, str]:
    """The indexed clip: ``{"index_id", "video_id"}`` (uploaded through the API unless the
    upload test already did it through the page)."""
    api = site.url + "/v1"
    indexes = requests.get(f"{api}/indexes", timeout=30).json()["data"]
    demo = next((i for i in indexes if i["index_name"] == "demo"), None)
    if demo is None:
        demo = requests.post(f"{api}/indexes", json={"index_name": "demo"}, timeout=30).json()
    index_id = demo["_id"]
    videos = requests.get(f"{api}/indexes/{index_id}/videos", timeout=30).json()["data"]
    if not videos:
        with clip.open("rb") as f:
            requests.post(
                f"{api}/tasks",
                data={"index_id": index_id},
                files={"video_file": (clip.name, f, "video/mp4")},
                timeout=60,
            ).raise_for_status()

    def ready() -> dict[str, Any] | None:
        found = requests.get(f"{api}/indexes/{index_id}/videos", timeout=30).json()["data"]
        return next((v for v in found if v["status"] == "ready"), None)

    found = wait_for(ready, 120, "the clip to be indexed", poll=0.5)
    return {"index_id": index_id, "video_id": found["_id"]}


def no_overflow(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_upload_shows_progress_then_the_ready_video(site: Site, clip: Path, tmp_path: Path) -> None:
    page = site.page
    page.goto(site.url + "/")
    page.get_by_role("heading", name="Welcome to vidsense").wait_for()
    site.shot("welcome")

    page.fill("#new-index-name", "demo")
    page.press("#new-index-name", "Enter")
    page.get_by_role("heading", name="demo", exact=True).wait_for()
    assert "#/indexes/" in page.url
    page.locator(".tree-index", has_text="demo").wait_for()

    page.set_input_files("#file-input", str(clip))
    row = page.locator(".upload", has_text=clip.name)
    row.wait_for()
    # upload, then indexing progress, polled live
    page.wait_for_selector(".upload[data-stage='indexing'], .upload[data-stage='ready']")
    site.shot("library-indexing")
    page.wait_for_selector(".upload[data-stage='ready']", timeout=120_000)
    card = page.locator(".video-card", has_text=clip.name)
    card.locator(".badge", has_text="Ready").wait_for()
    assert card.locator(".duration").inner_text() == "0:08"
    page.wait_for_function(
        "() => [...document.querySelectorAll('.video-card img')].every(i => i.naturalWidth > 0)"
    )

    # a file that is not a video fails with the server's message
    notes = tmp_path / "notes.mp4"
    notes.write_text("these are meeting notes, not a video\n" * 200)
    page.set_input_files("#file-input", str(notes))
    failed = page.locator(".upload[data-stage='failed']", has_text="notes.mp4")
    failed.wait_for(timeout=60_000)
    message = failed.locator(".upload-message").inner_text()
    assert "not a video" in message or "video" in message.lower(), message
    site.shot("library")


def test_search_a_spoken_phrase_and_play_the_moment(site: Site, video: dict[str, str]) -> None:
    page = site.page
    page.goto(f"{site.url}/#/search?index={video['index_id']}")
    page.fill("#search-query", "orange balloon over the harbor")
    # conversation only: the phrase is spoken, not shown
    for label in ("Visual", "Text in video"):
        box = page.get_by_role("checkbox", name=label)
        if box.is_checked():
            box.uncheck()
    page.press("#search-query", "Enter")
    hit = page.locator(".hit").first
    hit.wait_for()
    assert "orange balloon" in hit.inner_text().lower()
    start = float(hit.get_attribute("data-start") or "nan")
    assert abs(start - PHRASE_AT) < 1.0, start
    page.wait_for_function(
        "() => [...document.querySelectorAll('.hit img')].every(i => i.naturalWidth > 0)"
    )
    site.shot("search")

    hit.click()
    page.wait_for_function(
        "t => { const v = document.querySelector('video.player');"
        " return v && v.readyState >= 1 && Math.abs(v.currentTime - t) < 1; }",
        arg=start,
    )
    assert abs(site.player_time() - start) < 1.0
    assert 206 in site.ranges, site.ranges  # the player seeks with range requests
    page.eval_on_selector("video.player", "v => v.pause()")
    site.shot("video-from-search")


def test_video_page_transcript_text_and_shots(site: Site, video: dict[str, str]) -> None:
    page = site.page
    page.goto(f"{site.url}/#/videos/{video['index_id']}/{video['video_id']}")
    page.reload()  # a fresh page: no time in the route, the player starts at 0
    lines = page.locator("#panel-transcript .timed")
    lines.first.wait_for()
    texts = [t.lower() for t in lines.all_inner_texts()]
    assert any("orange balloon" in t for t in texts), texts
    target = lines.filter(has_text="balloon").first
    start = float(target.get_attribute("data-start") or "nan")
    target.click()
    page.wait_for_function(
        "t => Math.abs(document.querySelector('video.player').currentTime - t) < 1", arg=start
    )
    page.eval_on_selector("video.player", "v => v.pause()")

    shots = page.locator(".shot-strip .shot")
    shots.nth(2).wait_for()
    assert shots.count() == 3
    shots.nth(1).click()
    page.wait_for_function(
        "() => Math.abs(document.querySelector('video.player').currentTime - 3.0) < 0.5"
    )
    page.eval_on_selector("video.player", "v => v.pause()")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.shot img')].every(i => i.naturalWidth > 0)"
    )
    site.shot("video")

    page.get_by_role("tab", name="On-screen text").click()
    sighting = page.locator("#panel-text .timed").first
    sighting.wait_for()
    assert TITLE.lower() in sighting.inner_text().lower()
    site.shot("video-text")

    for width, height in ((1280, 800), (1024, 700)):
        page.set_viewport_size({"width": width, "height": height})
        page.get_by_role("tab", name="Transcript").click()
        assert no_overflow(page), f"horizontal overflow at {width}x{height}"
        site.shot(f"video-{width}")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_keyboard_reaches_tabs_and_seeks(site: Site, video: dict[str, str]) -> None:
    page = site.page
    page.goto(f"{site.url}/#/videos/{video['index_id']}/{video['video_id']}")
    page.reload()
    page.locator("#panel-transcript .timed").first.wait_for()
    page.get_by_role("tab", name="Transcript").focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.id") == "tab-text"
    assert page.get_by_role("tab", name="On-screen text").get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowLeft")
    page.locator("#panel-transcript .timed").last.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('video.player').currentTime > 2")
    page.eval_on_selector("video.player", "v => v.pause()")


def test_chapters_and_highlights_seek(site: Site, video: dict[str, str]) -> None:
    page = site.page
    page.goto(f"{site.url}/#/videos/{video['index_id']}/{video['video_id']}?tab=chapters")
    page.reload()
    chapters = page.locator("#panel-chapters .timed")
    chapters.first.wait_for(timeout=60_000)
    assert chapters.count() >= 1
    last = chapters.last
    start = float(last.get_attribute("data-start") or "nan")
    last.click()
    page.wait_for_function(
        "t => Math.abs(document.querySelector('video.player').currentTime - t) < 1", arg=start
    )
    page.eval_on_selector("video.player", "v => v.pause()")
    site.shot("chapters")

    page.get_by_role("tab", name="Highlights").click()
    page.locator("#panel-highlights .timed, #panel-highlights .note").first.wait_for(timeout=60_000)
    site.shot("highlights")


def test_make_a_vertical_version_and_subtitles_then_play_them(
    site: Site, video: dict[str, str]
) -> None:
    page = site.page
    page.goto(f"{site.url}/#/videos/{video['index_id']}/{video['video_id']}?tab=make")
    page.reload()
    vertical = page.get_by_role("form", name="Vertical version")
    vertical.get_by_label("Shape").select_option("9:16")
    vertical.get_by_role("button", name="Make").click()
    card = page.locator(".render-card[data-edit='reframe']")
    card.locator("progress").wait_for(state="attached")
    page.wait_for_selector(".render-card[data-edit='reframe'][data-status]", timeout=180_000)
    assert card.get_attribute("data-status") == "completed", card.inner_text()
    page.wait_for_function(
        "() => { const v = document.querySelector(\".render-card[data-edit='reframe'] video\");"
        " return v && v.readyState >= 1; }"
    )
    size = page.eval_on_selector(
        ".render-card[data-edit='reframe'] video", "v => [v.videoWidth, v.videoHeight, v.duration]"
    )
    assert size[1] > size[0] and abs(size[1] / size[0] - 16 / 9) < 0.02, size
    assert abs(size[2] - 8.0) < 0.15, size
    link = card.get_by_role("link", name="Download")
    assert "/v1/renders/render_" in (link.get_attribute("href") or "")
    assert (link.get_attribute("download") or "").endswith(".mp4")

    subtitles = page.get_by_role("form", name="Subtitles")
    subtitles.get_by_label("Subtitles").select_option("burn")
    subtitles.get_by_role("button", name="Make").click()
    page.wait_for_selector(".render-card[data-edit='subtitles'][data-status]", timeout=180_000)
    made = page.locator(".render-card[data-edit='subtitles']")
    assert made.get_attribute("data-status") == "completed", made.inner_text()
    assert "640\u00d7360" in made.inner_text()
    site.shot("make")
    reel = page.get_by_role("form", name="Highlight reel")
    length = reel.get_by_label("Length (s)")
    length.fill("1")  # under the 2 s a reel needs: the browser holds the form back
    reel.get_by_role("button", name="Make").click()
    assert length.evaluate("i => i.validity.valid") is False
    assert page.locator(".render-card").count() == 2


def sse(*events: dict[str, Any]) -> str:
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"


def chunk(delta: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-ui",
        "object": "chat.completion.chunk",
        "model": "vidsense",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        **extra,
    }


def test_chat_panel_renders_the_documented_stream(site: Site, video: dict[str, str]) -> None:
    """How the panel draws a chat stream: streamed text, a frame and a clip as media, JSON
    pretty-printed, the request carrying the video. The answer is a recorded stream in the
    documented shape (page.route), standing in at the HTTP boundary until the server's chat
    endpoint exists; test_chat_streams_an_answer runs against the real one."""
    page = site.page
    base = f"/v1/indexes/{video['index_id']}/videos/{video['video_id']}"
    frame = f"{base}/thumbnail.jpg?time=4.5"
    sent: list[dict[str, Any]] = []

    def answer(route: Any) -> None:
        sent.append(json.loads(route.request.post_data or "{}"))
        question = sent[-1]["messages"][-1]["content"][0]["text"]
        if "json" in question.lower():
            events = [
                chunk({"content": '{"object": "balloon", '}),
                chunk({"content": '"at": 4.2}'}),
            ]
        else:
            events = [
                chunk({"role": "assistant", "content": "An orange balloon "}),
                chunk({"content": "floats over the harbor at 0:04.\n\n"}),
                chunk({"content": f"![frame]({frame})"}),
                chunk(
                    {},
                    artifacts=[{"id": "vid_1", "type": "video", "url": f"{base}/stream"}],
                ),
            ]
        route.fulfill(status=200, content_type="text/event-stream", body=sse(*events))

    page.route("**/v1/chat/completions", answer)
    try:
        page.goto(f"{site.url}/#/videos/{video['index_id']}/{video['video_id']}?tab=chat")
        page.reload()
        box = page.get_by_role("textbox", name="Your question")
        box.fill("What floats over the harbor?")
        box.press("Enter")
        reply = page.locator(".msg-assistant[data-done='true']").last
        reply.wait_for()
        assert "An orange balloon floats over the harbor" in reply.inner_text()
        reply.locator("img.artifact").wait_for()
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.artifact')].every(i => i.naturalWidth > 0)"
        )
        assert reply.locator("video.artifact").count() == 1
        first = sent[0]
        assert first["stream"] is True
        assert first["metadata"]["video_id"] == video["video_id"]
        parts = first["messages"][0]["content"]
        assert parts[1]["type"] == "video_url"
        assert parts[1]["video_url"]["url"] == site.url + base + "/stream"

        box.fill("Answer as json please")
        box.press("Enter")
        page.locator(".msg-assistant[data-done='true'] pre.json").wait_for()
        pretty = page.locator("pre.json").last.inner_text()
        assert json.loads(pretty) == {"object": "balloon", "at": 4.2} and "\n" in pretty
        assert len(sent[1]["messages"]) == 3  # question, answer, question
        site.shot("chat-panel")

        page.goto(f"{site.url}/#/chat/{video['index_id']}")
        box = page.get_by_role("textbox", name="Your question")
        box.fill("Which video shows a balloon?")
        box.press("Enter")
        page.locator(".msg-assistant[data-done='true'] img.artifact").wait_for()
        assert sent[-1]["metadata"] == {"index_id": video["index_id"]}
        assert all(p["type"] == "text" for p in sent[-1]["messages"][0]["content"])
        site.shot("chat-index")
    finally:
        page.unroute("**/v1/chat/completions")


def test_chat_streams_an_answer(site: Site, video: dict[str, str]) -> None:
    page = site.page
    page.goto(f"{site.url}/#/videos/{video['index_id']}/{video['video_id']}?tab=chat")
    page.reload()
    kinds: list[str] = []
    page.on(
        "response",
        lambda r: (
            kinds.append(r.headers.get("content-type", ""))
            if r.url.endswith("/chat/completions")
            else None
        ),
    )
    box = page.get_by_role("textbox", name="Your question")
    box.fill("What floats over the harbor?")
    box.press("Enter")
    answer = page.locator(".msg-assistant[data-done='true']").last
    answer.wait_for(timeout=120_000)
    text = answer.inner_text().strip()
    assert "balloon" in text.lower(), text
    assert any("text/event-stream" in k for k in kinds), kinds
    site.shot("chat")


def test_executions_page_lists_runs_and_shows_answers_and_artifacts(
    site: Site, clip: Path, tmp_path: Path
) -> None:
    """Executions run over an uploaded video (one asks for frames at 0:01 and 0:05) and over a
    text file: the list follows them live to completed and failed; a run's page shows its
    inputs, its JSON answer and its frames, each loaded and captioned with its time."""
    api = site.url + "/v1"
    notes = tmp_path / "minutes.mp4"
    notes.write_text("meeting minutes, not a video\n" * 100)
    ids = []
    for path, prompt in [(clip, "Show frames at 0:01 and 0:05. What is said?"),
                         (notes, "What is said?")]:  # fmt: skip
        with path.open("rb") as f:
            upload = requests.post(
                f"{api}/files",
                data={"purpose": "assistants"},
                files={"file": (path.name, f, "video/mp4")},
                timeout=60,
            ).json()
        schema = {"type": "object", "properties": {"spoken_text": {"type": "string"}},
                  "required": ["spoken_text"]}  # fmt: skip
        body = {
            "name": path.stem,
            "inputs": {"clip": {"type": "input_file", "file_id": upload["id"]}},
            "config": {"prompt": prompt, "json_schema": schema},
        }
        started = requests.post(f"{api}/agent/execute", json=body, timeout=60)
        assert started.status_code == 201, started.text
        ids.append(started.json()["id"])
    good, bad = ids

    page = site.page
    page.goto(site.url + "/#/executions")
    page.get_by_role("heading", name="Executions").wait_for()
    assert page.locator(".topnav a[aria-current='page']").inner_text() == "Executions"
    page.wait_for_selector(f"tr[data-id='{good}'][data-status='completed']", timeout=180_000)
    page.wait_for_selector(f"tr[data-id='{bad}'][data-status='failed']", timeout=60_000)
    row = page.locator(f"tr[data-id='{good}']")
    assert clip.name in row.locator(".exec-inputs").inner_text()
    assert row.locator(".badge").inner_text() == "Completed"
    assert page.locator(f"tr[data-id='{bad}'] .badge").inner_text() == "Failed"
    assert no_overflow(page)
    site.shot("executions")

    page.locator(f"tr[data-id='{bad}']").get_by_role("link").click()
    error = page.locator(".exec-detail .note.error")
    error.wait_for()
    assert "not a video" in error.inner_text() and "[unsupported_media]" in error.inner_text()

    page.goto(f"{site.url}/#/executions/{good}")
    page.get_by_role("heading", name=clip.stem).wait_for()
    answer = json.loads(page.locator(".json-output").inner_text())
    assert "balloon" in answer["spoken_text"].lower(), answer
    frames = page.locator(".artifact")
    wait_for(lambda: frames.count() == 2, 20, "the two frames")
    captions = [frames.nth(i).locator("figcaption").inner_text() for i in range(2)]
    assert any("0:01.0" in c for c in captions) and any("0:05.0" in c for c in captions), captions
    page.wait_for_function(
        "() => [...document.querySelectorAll('.artifact img')].every(i => i.naturalWidth > 0)"
    )
    assert no_overflow(page)
    site.shot("execution")


def test_api_key_is_asked_once_per_browser_session(
    site: Site, clip: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """With a key, the page asks for it once, and media plays from signed URLs (no blobs):
    the player streams with range requests and thumbnails load without the key header."""
    models = shared_models(tmp_path_factory)
    guarded = ServerProcess(
        tmp_path_factory.mktemp("ui-key") / "data", models, VIDSENSE_API_KEY="ui-secret"
    ).start("--workers", "1")
    auth = {"x-api-key": "ui-secret"}
    try:
        api = f"{guarded.url}/v1"
        created = requests.post(
            f"{api}/indexes", json={"index_name": "private"}, headers=auth, timeout=30
        )
        created.raise_for_status()
        index_id = created.json()["_id"]
        with clip.open("rb") as f:
            task = requests.post(
                f"{api}/tasks",
                data={"index_id": index_id},
                files={"video_file": (clip.name, f, "video/mp4")},
                headers=auth,
                timeout=60,
            ).json()
        assert requests.get(guarded.url + "/", timeout=30).status_code == 200
        context = site.browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.set_default_timeout(20_000)
        streamed: list[tuple[str, int]] = []
        page.on(
            "response",
            lambda r: streamed.append((r.url, r.status)) if "/stream" in r.url else None,
        )
        page.goto(guarded.url + "/")
        dialog = page.locator("#key-dialog")
        dialog.wait_for(state="visible")
        page.screenshot(path=str(site.shots / "api-key.png"))
        page.fill("#key-input", "ui-secret")
        page.press("#key-input", "Enter")
        page.get_by_role("heading", name="private").wait_for()
        assert page.evaluate("sessionStorage.getItem('vidsense.apiKey')") == "ui-secret"
        page.reload()
        page.get_by_role("heading", name="private").wait_for()
        assert not dialog.is_visible()

        def ready() -> dict[str, Any] | None:
            found: dict[str, Any] = requests.get(
                f"{api}/tasks/{task['_id']}", headers=auth, timeout=30
            ).json()
            return found if found["status"] in ("ready", "failed") else None

        done = wait_for(ready, 120, "the clip to be indexed on the guarded server", poll=0.5)
        assert done["status"] == "ready", done
        page.goto(f"{guarded.url}/#/videos/{index_id}/{done['video_id']}")
        page.wait_for_function(
            "() => { const v = document.querySelector('video.player');"
            " return v && v.readyState >= 1; }"
        )
        src = page.eval_on_selector("video.player", "v => v.src")
        assert src.startswith(f"{api}/indexes/{index_id}/videos/") and "/stream?" in src, src
        assert "signature=" in src and "expires=" in src, src  # signed, not a blob
        page.eval_on_selector("video.player", "v => { v.currentTime = 6; }")
        wait_for(lambda: any(s == 206 for _, s in streamed), 20, "a 206 on the signed stream")
        assert all("signature=" in u for u, _ in streamed), streamed
        page.wait_for_function(
            "() => { const i = document.querySelector('.shot-strip img');"
            " return i && i.naturalWidth > 0; }"
        )
        thumb = page.eval_on_selector(".shot-strip img", "i => i.src")
        assert "/thumbnail.jpg?time=" in thumb and "signature=" in thumb, thumb
        page.screenshot(path=str(site.shots / "api-key-video.png"))
        context.close()
    finally:
        guarded.stop()


def test_a_shot_after_a_dissolve_shows_its_own_picture(site: Site, media: MediaCache) -> None:
    # Two 3 s shots joined by a 1 s dissolve from 2.0 to 3.0 s: the second shot starts at 2.5 s,
    # the dissolve's middle, and its thumbnail is taken once the dissolve is over.
    parts = [(lavfi(source, 3.0), 3.0, "null") for source in ("testsrc2", "smptebars")]
    clip = media.get("ui-dissolve.mp4", lambda out: join_shots(out, parts, [("dissolve", 1.0)]))
    api = site.url + "/v1"
    index = requests.post(f"{api}/indexes", json={"index_name": "dissolve"}, timeout=30).json()
    with clip.open("rb") as f:
        task = requests.post(
            f"{api}/tasks",
            data={"index_id": index["_id"]},
            files={"video_file": (clip.name, f, "video/mp4")},
            timeout=60,
        ).json()

    def ready() -> dict[str, Any] | None:
        found: dict[str, Any] = requests.get(f"{api}/tasks/{task['_id']}", timeout=30).json()
        return found if found["status"] in ("ready", "failed") else None

    done = wait_for(ready, 120, "the dissolve clip to be indexed", poll=0.5)
    assert done["status"] == "ready", done
    page = site.page
    page.goto(f"{site.url}/#/videos/{index['_id']}/{done['video_id']}")
    shots = page.locator(".shot-strip .shot")
    shots.nth(1).wait_for()
    assert shots.count() == 2
    label = shots.nth(1).get_attribute("aria-label") or ""
    assert re.fullmatch(r"Shot 2, 0:0[23] to 0:05, after a dissolve", label), label
    assert "after a" not in (shots.nth(0).get_attribute("aria-label") or "")
    thumb = shots.nth(1).locator("img").get_attribute("src") or ""
    time = float(thumb.split("time=")[1].split("&")[0])
    assert time == pytest.approx(3.05, abs=0.1), thumb  # past the dissolve, not its middle
