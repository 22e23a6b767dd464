"""The official ``twelvelabs`` SDK (1.3.x) against a real ``vidsense serve`` on ``/v1.3``.

Every call here is the code of the SDK's README / the Twelve Labs notebook, with only
``base_url`` changed: an index with the models and options asked for; uploads as assets that
are then indexed (the SDK's recommended path) and as indexing tasks (the legacy path); search
with its options and pagination; ``analyze`` on a URL or an asset, with a JSON schema and a time
window; ``analyze_stream`` (NDJSON events); asynchronous analyze tasks; a video with its
transcription; and the errors the SDK raises for bad ids and bad input, in Twelve Labs'
``{"code", "message"}`` envelope.

The 1.3 SDK has no ``summarize``/``gist``/``generate`` methods any more (Pegasus 1.5 replaced
them with ``analyze``); the notebook's summary, chapters and gist are asked of ``analyze`` with a
JSON schema here.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from twelvelabs import TwelveLabs
from twelvelabs.core.api_error import ApiError
from twelvelabs.errors import BadRequestError, NotFoundError
from twelvelabs.types import (
    AnalyzePromptV2,
    AsyncVideoInputRequest,
    ImageInputRequest,
    MediaSource,
    TextInputRequest,
    VideoContext_AssetId,
    VideoContext_Base64String,
    VideoContext_Url,
    VideoInputRequest,
    VideoSegmentation_Dynamic,
    VideoSegmentation_Fixed,
    VideoSegmentationDynamicDynamic,
    VideoSegmentationFixedFixed,
)

from tests.conftest import MediaCache
from tests.library_support import CAPTION, SPOKEN, spoken_clip
from tests.sdk_support import (
    KEY,
    Clip,
    Served,
    frame_base64,
    notes_file,
    poll,
    says_hours,
    says_price,
    serve,
    talk_video,
)

pytestmark = pytest.mark.models

CHUNK = 8192
"""The server's multipart chunk size (bytes): the talk is 18 chunks."""
MODELS = [
    {"model_name": "marengo3.0", "model_options": ["visual", "audio"]},
    {"model_name": "pegasus1.2", "model_options": ["visual", "audio"]},
]


@dataclass
class Notebook:
    served: Served
    client: TwelveLabs
    talk: Clip
    index_id: str
    video_id: str
    """The talk, indexed through ``tasks.create`` + ``tasks.wait_for_done``."""
    task: Any
    """The finished indexing task."""

    @property
    def talk_url(self) -> str:
        return self.served.files.url(self.talk.path)


@pytest.fixture(scope="module")
def nb(media: MediaCache, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Notebook]:
    talk = talk_video(media)
    chunks = {"VIDSENSE_LIMITS__CHUNK_BYTES": str(CHUNK)}  # a multipart upload of many chunks
    with (
        pytest.MonkeyPatch.context() as mp,
        serve(tmp_path_factory, media, "sdk-tl", **chunks) as served,
    ):
        mp.delenv("TWELVELABS_BASE_URL", raising=False)  # it would override base_url
        client = TwelveLabs(api_key=KEY, base_url=served.url + "/v1.3")
        index = client.indexes.create(
            index_name="sdk-notebook", models=MODELS, addons=["thumbnail"]
        )
        assert index.id
        with talk.path.open("rb") as f:
            created = client.tasks.create(
                index_id=index.id, video_file=f, user_metadata='{"series": "plans"}'
            )
        task = client.tasks.wait_for_done(task_id=created.id, sleep_interval=0.5)
        assert task.status == "ready", task
        yield Notebook(served, client, talk, index.id, task.video_id, task)


@pytest.fixture(scope="module")
def talk_asset(nb: Notebook) -> Any:
    """The talk uploaded as an asset by URL (``assets.create(method="url")``), once ready."""
    asset = nb.client.assets.create(method="url", url=nb.talk_url)
    assert asset.id
    done = poll(
        lambda: (a := nb.client.assets.retrieve(asset.id)).status in ("ready", "failed") and a,
        60,
        "the talk asset",
    )
    assert done.status == "ready", done
    return done


def _search(nb: Notebook, text: str, options: list[str], **kwargs: Any) -> list[Any]:
    return list(
        nb.client.search.query(
            index_id=nb.index_id, query_text=text, search_options=options, **kwargs
        )
    )


def _overlaps(item: Any, start: float, end: float) -> bool:
    return bool(item.start < end and item.end > start)


# -- indexes ---------------------------------------------------------------------------------


def test_index_reports_the_models_and_options_it_was_created_with(nb: Notebook) -> None:
    index = nb.client.indexes.retrieve(nb.index_id)
    assert index.index_name == "sdk-notebook"
    assert [(m.model_name, m.model_options) for m in index.models or []] == [
        ("marengo3.0", ["visual", "audio"]),
        ("pegasus1.2", ["visual", "audio"]),
    ]
    assert index.addons == ["thumbnail"]
    assert index.video_count == 1
    assert index.total_duration == pytest.approx(nb.talk.duration, abs=0.2)
    listed = [i for i in nb.client.indexes.list(index_name="sdk-notebook")]
    assert [i.id for i in listed] == [nb.index_id]  # the pager stops after the last page


def test_an_index_searches_only_the_options_it_has(nb: Notebook) -> None:
    visual = nb.client.indexes.create(
        index_name="visual-only", models=[{"model_name": "marengo3.0", "model_options": ["visual"]}]
    )
    index = nb.client.indexes.retrieve(visual.id)
    assert [(m.model_name, m.model_options) for m in index.models or []] == [
        ("marengo3.0", ["visual"])
    ]
    assert [i.id for i in nb.client.indexes.list(index_name="visual-only")] == [visual.id]
    with pytest.raises(BadRequestError) as err:
        list(nb.client.search.query(index_id=visual.id, query_text="x", search_options=["audio"]))
    assert "audio" in err.value.body["message"]
    nb.client.indexes.update(visual.id, index_name="visual-renamed")
    assert nb.client.indexes.retrieve(visual.id).index_name == "visual-renamed"
    nb.client.indexes.delete(visual.id)
    with pytest.raises(ApiError) as gone:
        nb.client.indexes.retrieve(visual.id)
    assert gone.value.status_code == 404


def test_an_unknown_model_option_is_a_bad_request(nb: Notebook) -> None:
    with pytest.raises(BadRequestError) as err:
        nb.client.indexes.create(
            index_name="smelly", models=[{"model_name": "marengo3.0", "model_options": ["smell"]}]
        )
    body = err.value.body
    assert set(body) >= {"code", "message"} and "smell" in body["message"]
    assert "smelly" not in [i.index_name for i in nb.client.indexes.list()]


def test_lists_filter_or_refuse_the_filter(nb: Notebook) -> None:
    """The filters vidsense applies narrow the list; one it does not is a 400 naming it (a
    filtered list answered with everything would mislead a script that deletes by name)."""
    ready = [t.id for t in nb.client.tasks.list(status=["ready", "failed"])]
    assert nb.task.id in ready
    assert nb.task.id not in [t.id for t in nb.client.tasks.list(status=["failed"])]
    named = nb.client.indexes.videos.list(nb.index_id, filename=nb.talk.path.name)
    assert [v.id for v in named] == [nb.video_id]
    assert list(nb.client.indexes.videos.list(nb.index_id, filename="other.mp4")) == []
    with pytest.raises(BadRequestError) as err:
        list(nb.client.indexes.list(model_family="marengo"))
    assert err.value.body["code"] == "invalid_argument"
    assert (
        "model_family" in err.value.body["message"] and "not supported" in err.value.body["message"]
    )


# -- uploads ---------------------------------------------------------------------------------


def test_indexing_task_reports_the_video(nb: Notebook) -> None:
    task = nb.client.tasks.retrieve(nb.task.id)
    assert task.status == "ready" and task.index_id == nb.index_id
    assert task.video_id == nb.video_id
    assert task.system_metadata is not None
    assert task.system_metadata.filename == nb.talk.path.name
    assert task.system_metadata.duration == pytest.approx(nb.talk.duration, abs=0.2)
    assert (task.system_metadata.width, task.system_metadata.height) == (320, 240)
    assert nb.task.id in [t.id for t in nb.client.tasks.list(index_id=nb.index_id)]


def test_asset_then_indexed_asset(nb: Notebook, media: MediaCache) -> None:
    """The SDK's recommended upload: ``assets.create`` (direct), then index the asset."""
    clip = spoken_clip(media)
    with clip.open("rb") as f:
        asset = nb.client.assets.create(method="direct", file=f)
    assert asset.id and asset.status in ("processing", "ready")
    ready = poll(
        lambda: (a := nb.client.assets.retrieve(asset.id)).status in ("ready", "failed") and a,
        60,
        "the asset",
    )
    assert ready.status == "ready" and ready.filename == clip.name
    assert ready.duration == pytest.approx(4.0, abs=0.2)
    assert asset.id in [a.id for a in nb.client.assets.list()]

    created = nb.client.indexes.indexed_assets.create(nb.index_id, asset_id=asset.id)
    assert created.id and created.asset_id == asset.id
    indexed = poll(
        lambda: (
            (i := nb.client.indexes.indexed_assets.retrieve(nb.index_id, created.id)).status
            in ("ready", "failed")
            and i
        ),
        180,
        "the indexed asset",
    )
    assert indexed.status == "ready", indexed
    assert indexed.system_metadata is not None
    assert indexed.system_metadata.filename == clip.name
    assert indexed.system_metadata.duration == pytest.approx(4.0, abs=0.2)
    listed = {i.id: i.asset_id for i in nb.client.indexes.indexed_assets.list(nb.index_id)}
    assert listed[created.id] == asset.id
    videos = {v.id: v.asset_id for v in nb.client.indexes.videos.list(nb.index_id)}
    assert videos[created.id] == asset.id  # as indexes.videos.retrieve says
    # User metadata set after indexing, field by field (null removes one), both ways.
    nb.client.indexes.indexed_assets.update(
        nb.index_id, created.id, user_metadata={"topic": "library", "draft": True}
    )
    nb.client.indexes.videos.update(
        nb.index_id, created.id, user_metadata={"draft": None, "rating": 4.5}
    )
    meta = nb.client.indexes.videos.retrieve(nb.index_id, created.id).user_metadata
    assert meta == {"topic": "library", "rating": 4.5}, meta
    with pytest.raises(ApiError) as missing:  # the SDK declares no 404 for this method
        nb.client.indexes.videos.update(nb.index_id, "0" * 24, user_metadata={"a": 1})
    assert missing.value.status_code == 404
    assert missing.value.body["code"] == "video_not_found"
    # The indexed asset is a video of the index: retrievable, searchable.
    video = nb.client.indexes.videos.retrieve(nb.index_id, created.id, transcription=True)
    assert "library" in " ".join(t.value or "" for t in video.transcription or []).lower()
    hits = _search(nb, SPOKEN, ["transcription"])
    assert hits and hits[0].video_id == created.id
    hits = _search(nb, CAPTION, ["visual"])
    assert created.id in [h.video_id for h in hits]
    # The asset's own metadata: replaced whole, merged (null removes a key, "" and [] are
    # ignored), cleared; the indexed video keeps its own.
    assets = nb.client.assets
    assets.replace_user_metadata(asset.id, user_metadata={"team": "docs", "tags": ["a", "b"]})
    assets.update_user_metadata(
        asset.id, user_metadata={"tags": None, "year": 2026, "team": "", "draft": []}
    )
    assert assets.retrieve(asset.id).user_metadata == {"team": "docs", "year": 2026}
    assets.replace_user_metadata(asset.id, user_metadata={"year": 2027})
    assert assets.retrieve(asset.id).user_metadata == {"year": 2027}
    assets.delete_user_metadata(asset.id)
    assert not assets.retrieve(asset.id).user_metadata
    assert nb.client.indexes.videos.retrieve(nb.index_id, created.id).user_metadata == meta
    with pytest.raises(NotFoundError):
        assets.update_user_metadata("file-0123456789abcdef01234567", user_metadata={"a": "b"})
    # Deleting the indexed asset deletes its video; the asset stays.
    nb.client.indexes.indexed_assets.delete(nb.index_id, created.id)
    with pytest.raises(NotFoundError):
        nb.client.indexes.videos.retrieve(nb.index_id, created.id)
    assert assets.retrieve(asset.id).status == "ready"


# -- videos ----------------------------------------------------------------------------------


def test_video_with_its_transcription(nb: Notebook) -> None:
    video = nb.client.indexes.videos.retrieve(nb.index_id, nb.video_id, transcription=True)
    assert video.id == nb.video_id
    assert video.system_metadata is not None
    assert video.system_metadata.duration == pytest.approx(nb.talk.duration, abs=0.2)
    assert video.system_metadata.filename == nb.talk.path.name
    parts = video.transcription or []
    text = " ".join(p.value or "" for p in parts).lower()
    assert says_price(text) and "password" in text and "storage" in text
    pricing = next(p for p in parts if "pricing" in (p.value or "").lower())
    truth = nb.talk.line("pricing")
    assert pricing.start == pytest.approx(truth.start, abs=0.6)
    assert pricing.end == pytest.approx(truth.end, abs=0.8)
    assert [p.start for p in parts] == sorted(p.start for p in parts)
    without = nb.client.indexes.videos.retrieve(nb.index_id, nb.video_id)
    assert not without.transcription  # only when asked for
    assert nb.video_id in [v.id for v in nb.client.indexes.videos.list(nb.index_id)]


# -- search ----------------------------------------------------------------------------------


def test_notebook_search_visual_and_audio(nb: Notebook) -> None:
    """The README's query: ``search_options=["visual", "audio"]`` finds what is said."""
    hits = _search(nb, "call the helpdesk about a password", ["visual", "audio"])
    assert hits, "no results"
    truth = nb.talk.line("password")
    assert hits[0].video_id == nb.video_id and hits[0].rank == 1
    assert _overlaps(hits[0], truth.start, truth.end)
    assert 0 <= hits[0].start < hits[0].end <= nb.talk.duration + 0.1


def test_search_transcription_lexical_and_semantic(nb: Notebook) -> None:
    truth = nb.talk.line("weekday")
    for option in (["lexical"], ["semantic"], ["lexical", "semantic"]):
        hits = _search(nb, "support is open", ["transcription"], transcription_options=option)
        assert hits and _overlaps(hits[0], truth.start, truth.end), (option, hits[:2])
        assert "support" in (hits[0].transcription or "").lower()


def test_search_visual_finds_an_on_screen_title(nb: Notebook) -> None:
    hits = _search(nb, "SUPPORT HOURS", ["visual"])
    title = nb.talk.titles[1]
    assert hits and _overlaps(hits[0], title.start, title.end)
    assert hits[0].thumbnail_url and hits[0].thumbnail_url.startswith("http")


def test_search_results_carry_user_metadata_when_asked(nb: Notebook) -> None:
    asked = _search(nb, "pricing", ["visual", "audio"], include_user_metadata=True)
    assert asked and all(hit.user_metadata == {"series": "plans"} for hit in asked)
    plain = _search(nb, "pricing", ["visual", "audio"])
    assert plain and all(hit.user_metadata is None for hit in plain)


def test_search_grouped_by_video(nb: Notebook) -> None:
    groups = _search(nb, "pricing plan storage", ["transcription"], group_by="video")
    assert groups and groups[0].id == nb.video_id
    clips = groups[0].clips or []
    assert clips and all(c.video_id in (None, nb.video_id) for c in clips)
    assert any(
        _overlaps(c, nb.talk.line("pricing").start, nb.talk.line("pricing").end) for c in clips
    )


def test_search_pages_through_every_result_once(nb: Notebook) -> None:
    # Each line says one or two of these words: weak matches, kept with threshold "none".
    words = "pricing storage support helpdesk password plan weekday"
    one_page = _search(nb, words, ["transcription"], page_limit=10, threshold="none")
    paged = _search(nb, words, ["transcription"], page_limit=1, threshold="none")
    assert len(one_page) >= 2  # so that paging one at a time takes several pages
    assert [(h.video_id, h.start) for h in paged] == [(h.video_id, h.start) for h in one_page]
    assert [h.rank for h in paged] == list(range(1, len(paged) + 1))


# -- analyze ---------------------------------------------------------------------------------


def test_analyze_a_video_by_url(nb: Notebook) -> None:
    result = nb.client.analyze(
        model_name="pegasus1.5",
        video=VideoContext_Url(url=nb.talk_url),
        prompt_v_2=AnalyzePromptV2(input_text="How much does the plan cost per month?"),
    )
    assert result.data and says_price(result.data)
    assert result.finish_reason == "stop"
    assert result.usage is not None and result.usage.output_tokens > 0


def test_analyze_a_video_sent_as_base64_larger_than_a_json_body(
    nb: Notebook, media: MediaCache
) -> None:
    """``VideoContext_Base64String``: the video travels inside the JSON body, so /analyze takes
    bodies as large as chat does (a 1 MiB JSON limit refused any real clip)."""

    def build(out: Path) -> None:  # the talk, re-encoded at a high bitrate: ~2.5 MB
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(nb.talk.path), "-c:v", "libx264",
             "-b:v", "1M", "-minrate", "1M", "-maxrate", "1M", "-bufsize", "1M",
             "-x264-params", "nal-hrd=cbr", "-c:a", "aac", str(out)],
            check=True,
        )  # fmt: skip

    heavy = media.get("sdk-talk-1mbps.mp4", build)
    encoded = base64.b64encode(heavy.read_bytes()).decode()
    assert len(encoded) > 2 << 20  # twice the JSON limit
    result = nb.client.analyze(
        video=VideoContext_Base64String(base_64_string=encoded),
        prompt="How much does the plan cost per month?",
    )
    assert result.data and says_price(result.data)


def test_analyze_a_video_indexed_through_tasks_by_its_id(nb: Notebook) -> None:
    # The SDK's analyze names a video only as an asset, a URL or base64: a video indexed
    # through tasks.create is reached by its video_id given as the asset id.
    result = nb.client.analyze(
        video=VideoContext_AssetId(asset_id=nb.video_id),
        prompt="How much does the plan cost per month?",
    )
    assert result.data and says_price(result.data)
    title = nb.client.analyze(
        video=VideoContext_AssetId(asset_id=nb.video_id), prompt="Give this video a title."
    )
    assert title.data and "\n" not in title.data and 1 <= len(title.data.split()) <= 15
    assert "not in the video" not in title.data


def test_analyze_an_asset_with_a_json_schema(nb: Notebook, talk_asset: Any) -> None:
    schema = {
        "type": "object",
        "properties": {
            "monthly_price": {"type": "string", "description": "what the plan costs per month"},
            "support_hours": {"type": "string", "description": "when support is open"},
        },
        "required": ["monthly_price", "support_hours"],
    }
    result = nb.client.analyze(
        model_name="pegasus1.5",
        video=VideoContext_AssetId(asset_id=talk_asset.id),
        prompt="What does the plan cost per month, and when is support open?",
        response_format={"type": "json_schema", "json_schema": schema},
    )
    assert result.data
    answer = json.loads(result.data)
    assert set(answer) >= {"monthly_price", "support_hours"}
    assert says_price(answer["monthly_price"]) and not says_hours(answer["monthly_price"])
    assert says_hours(answer["support_hours"]) and "$20" not in answer["support_hours"]


def test_analyze_summary_chapters_and_gist_as_json(nb: Notebook) -> None:
    """What the notebook's ``summarize``/``gist`` gave, asked of ``analyze`` with a schema."""
    chapter = {
        "type": "object",
        "properties": {
            "start_time": {"type": "number"},
            "end_time": {"type": "number"},
            "title": {"type": "string"},
        },
        "required": ["start_time", "end_time", "title"],
    }
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "topics": {"type": "array", "items": {"type": "string"}},
            "hashtags": {"type": "array", "items": {"type": "string"}},
            "chapters": {"type": "array", "items": chapter},
        },
        "required": ["title", "summary", "topics", "hashtags", "chapters"],
    }
    result = nb.client.analyze(
        video=VideoContext_Url(url=nb.talk_url),
        prompt="Give a title, a summary, the topics, hashtags and the chapters of this video.",
        response_format={"type": "json_schema", "json_schema": schema},
    )
    out = json.loads(result.data or "{}")
    summary = out["summary"].lower()
    assert says_price(summary) and "support" in summary
    topics = " ".join(out["topics"]).lower()
    assert "pricing" in topics or "price" in topics
    assert "support" in topics
    assert out["hashtags"] and all(h.startswith("#") for h in out["hashtags"])
    chapters = out["chapters"]
    assert len(chapters) == 2, chapters
    assert chapters[0]["start_time"] == pytest.approx(0.0, abs=0.5)
    assert chapters[1]["start_time"] == pytest.approx(10.0, abs=1.5)  # the subject changes
    assert chapters[-1]["end_time"] == pytest.approx(nb.talk.duration, abs=1.0)


def test_analyze_a_time_window(nb: Notebook) -> None:
    result = nb.client.analyze(
        video=VideoContext_Url(url=nb.talk_url),
        prompt="What is said in this part of the video?",
        start_time=10.0,
        end_time=nb.talk.duration,
    )
    text = (result.data or "").lower()
    assert "support" in text or "password" in text
    assert not says_price(text) and "pricing" not in text


def test_analyze_stream_sends_ndjson_events(nb: Notebook) -> None:
    events = list(
        nb.client.analyze_stream(
            model_name="pegasus1.5",
            video=VideoContext_Url(url=nb.talk_url),
            prompt_v_2=AnalyzePromptV2(input_text="How much does the plan cost per month?"),
        )
    )
    kinds = [e.event_type for e in events]
    assert kinds and kinds[0] == "stream_start" and kinds[-1] == "stream_end", kinds
    assert set(kinds[1:-1]) == {"text_generation"}
    text = "".join(e.text or "" for e in events if e.event_type == "text_generation")
    assert says_price(text)
    assert events[-1].finish_reason == "stop"


def test_analyze_async_task(nb: Notebook) -> None:
    created = nb.client.analyze_async.tasks.create(
        model_name="pegasus1.5",
        video=VideoContext_Url(url=nb.talk_url),
        prompt="List the subjects this video talks about.",
        custom_id="sdk-job-1",
    )
    assert created.task_id and created.status in ("queued", "pending", "processing", "ready")
    done = poll(
        lambda: (
            (t := nb.client.analyze_async.tasks.retrieve(created.task_id)).status
            in ("ready", "failed", "canceled")
            and t
        ),
        180,
        "the analyze task",
    )
    assert done.status == "ready", done.error
    assert done.custom_id == "sdk-job-1"
    assert done.result is not None and done.result.finish_reason == "stop"
    text = done.result.data.lower()
    assert ("pricing" in text or "price" in text) and "support" in text
    assert done.result.usage.output_tokens > 0
    assert done.completed_at is not None and done.completed_at >= done.created_at
    listed = [t.task_id for t in nb.client.analyze_async.tasks.list().data]
    assert created.task_id in listed
    with pytest.raises(BadRequestError) as ended:
        nb.client.analyze_async.tasks.cancel(created.task_id)
    _envelope(ended.value, "ended")
    nb.client.analyze_async.tasks.delete(created.task_id)  # an ended task may be deleted
    with pytest.raises(ApiError) as gone:
        nb.client.analyze_async.tasks.retrieve(created.task_id)
    assert gone.value.status_code == 404
    assert created.task_id not in [t.task_id for t in nb.client.analyze_async.tasks.list().data]


def test_an_analyze_task_is_cancelled_before_it_ends(nb: Notebook, media: MediaCache) -> None:
    """``analyze_async.tasks.cancel`` on a task still fetching and analysing its new video:
    ``canceled``, and so it stays (a second cancel answers the same)."""
    fresh = spoken_clip(media, "sdk-cancel.mp4", spoken="a video nobody asked about before")
    tasks = nb.client.analyze_async.tasks
    created = tasks.create(
        model_name="pegasus1.5",
        video=VideoContext_Url(url=nb.served.files.url(fresh)),
        prompt="What is said?",
    )
    assert tasks.cancel(created.task_id).status == "canceled"
    assert tasks.retrieve(created.task_id).status == "canceled"
    assert tasks.cancel(created.task_id).status == "canceled"
    with pytest.raises(NotFoundError):
        tasks.cancel("0123456789abcdef01234567")


# -- embeddings ------------------------------------------------------------------------------


def _cos(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_embed_a_video_then_find_its_moments_by_text_and_by_image(nb: Notebook) -> None:
    """Embed API v2 through the SDK: a video's moments as a task; a text finds the moment
    that says it, a frame the shot it was taken from (each in its own space)."""
    v2 = nb.client.embed.v_2
    fixed = VideoSegmentation_Fixed(fixed=VideoSegmentationFixedFixed(duration_sec=5))
    created = v2.tasks.create(
        input_type="video",
        model_name="marengo3.0",
        video=AsyncVideoInputRequest(
            media_source=MediaSource(url=nb.talk_url),
            segmentation=fixed,
            embedding_option=["visual", "transcription"],
            embedding_scope=["clip", "asset"],
        ),
    )
    assert created.id and created.status in ("processing", "ready")
    done = poll(
        lambda: (t := v2.tasks.retrieve(created.id)).status in ("ready", "failed") and t,
        180,
        "the embed task",
    )
    assert done.status == "ready", done.error
    assert done.data is not None
    clips = [d for d in done.data if d.embedding_scope == "clip"]
    visual = [d for d in clips if d.embedding_option == "visual"]
    said = [d for d in clips if d.embedding_option == "transcription"]
    # 20.5 s in 5 s moments (the last one shorter); a line is said in each but the last.
    assert [(d.start_sec, d.end_sec) for d in visual] == [
        (0, 5), (5, 10), (10, 15), (15, 20), (20, pytest.approx(nb.talk.duration, abs=0.05))
    ]  # fmt: skip
    assert [d.start_sec for d in said] == [0, 5, 10, 15]
    whole = [d for d in done.data if d.embedding_scope == "asset"]
    assert sorted(d.embedding_option for d in whole) == ["transcription", "visual"]
    assert all(d.start_sec == 0 for d in whole)

    question = "what to do when a password does not work"
    text = v2.create(
        input_type="text", model_name="marengo3.0", text=TextInputRequest(input_text=question)
    ).data[0]
    assert len(text.embedding) == len(said[0].embedding) == 384
    assert text.embedding_scope is None and text.embedding_option is None
    best = max(said, key=lambda d: _cos(d.embedding, text.embedding))
    assert best.start_sec == 15, [round(_cos(d.embedding, text.embedding), 3) for d in said]

    # The navy shot runs 0-10 s, the green one 10-20.5 s.
    green = frame_base64(nb.talk.path, 12.0)
    image = v2.create(
        input_type="image",
        model_name="marengo3.0",
        image=ImageInputRequest(media_source=MediaSource(base_64_string=green)),
    ).data[0]
    assert len(image.embedding) == len(visual[0].embedding) == 1280
    near = sorted(visual, key=lambda d: -_cos(d.embedding, image.embedding))
    assert {d.start_sec for d in near[:3]} == {10, 15, 20}
    assert _cos(visual[0].embedding, visual[1].embedding) > _cos(
        visual[0].embedding, visual[2].embedding
    )

    # The same video embedded now (indexed once already), cut at its shots.
    dynamic = VideoSegmentation_Dynamic(dynamic=VideoSegmentationDynamicDynamic(min_duration_sec=4))
    now = v2.create(
        input_type="video",
        model_name="marengo3.0",
        video=VideoInputRequest(
            media_source=MediaSource(url=nb.talk_url),
            segmentation=dynamic,
            embedding_option=["visual"],
            embedding_scope=["clip"],
        ),
    )
    assert [d.start_sec for d in now.data] == [0, 10]
    assert created.id in [t.id for t in v2.tasks.list()]

    with pytest.raises(BadRequestError) as bad:
        v2.tasks.create(
            input_type="video",
            model_name="marengo3.0",
            video=AsyncVideoInputRequest(
                media_source=MediaSource(url=nb.talk_url), embedding_option=["audio"]
            ),
        )
    _envelope(bad.value, "audio")
    with pytest.raises(ApiError) as missing:
        v2.tasks.retrieve("embed_0123456789abcdef01234567")
    assert missing.value.status_code == 404


def test_embed_api_v1_a_video_file_in_clips_a_text_and_an_image(nb: Notebook) -> None:
    """The v1 Embed API the SDK still offers (``embed.create``, ``embed.tasks``): the talk sent
    as a file in 5 s clips, then found by a text and by a frame sent as a file."""
    tasks = nb.client.embed.tasks
    with nb.talk.path.open("rb") as f:
        created = tasks.create(
            model_name="Marengo-retrieval-2.7",
            video_file=f,
            video_clip_length=5,
            video_embedding_scope=["clip", "video"],
        )
    assert created.id
    status = poll(
        lambda: (t := tasks.status(created.id)).status in ("ready", "failed") and t,
        180,
        "the v1 embed task",
    )
    assert status.status == "ready", status
    assert status.video_embedding is not None and status.video_embedding.metadata is not None
    meta = status.video_embedding.metadata
    assert meta.video_clip_length == 5 and sorted(meta.video_embedding_scope or []) == [
        "clip",
        "video",
    ]
    assert meta.duration == pytest.approx(nb.talk.duration, abs=0.05)
    said = tasks.retrieve(created.id, embedding_option=["transcription"]).video_embedding
    assert said is not None and said.segments is not None
    clips = [s for s in said.segments if s.embedding_scope == "clip"]
    assert [s.start_offset_sec for s in clips] == [0, 5, 10, 15]  # nothing said after 20 s
    assert [s.embedding_scope for s in said.segments].count("video") == 1
    assert all(s.embedding_option == "transcription" for s in said.segments)

    text = nb.client.embed.create(
        model_name="Marengo-retrieval-2.7", text="what to do when a password does not work"
    ).text_embedding
    assert text is not None and text.segments is not None
    asked = text.segments[0].float_ or []
    assert len(asked) == 384
    best = max(clips, key=lambda s: _cos(s.float_ or [], asked))
    assert best.start_offset_sec == 15

    frame = base64.b64decode(frame_base64(nb.talk.path, 12.0))  # the green shot: 10-20.5 s
    image = nb.client.embed.create(
        model_name="Marengo-retrieval-2.7", image_file=("green.jpg", frame, "image/jpeg")
    ).image_embedding
    assert image is not None and image.segments is not None and image.metadata is not None
    assert image.metadata.input_filename == "green.jpg"
    seen = tasks.retrieve(created.id, embedding_option=["visual-text"]).video_embedding
    assert seen is not None and seen.segments is not None
    near = sorted(
        (s for s in seen.segments if s.embedding_scope == "clip"),
        key=lambda s: -_cos(s.float_ or [], image.segments[0].float_ or []),  # type: ignore[index]
    )
    assert {s.start_offset_sec for s in near[:3]} == {10, 15, 20}
    assert created.id in [t.id for t in tasks.list()]
    # Listings filter by creation time (RFC 3339): from started_at, before ended_at; v1 and v2.
    for listing in (tasks.list, nb.client.embed.v_2.tasks.list):
        assert created.id in [t.id for t in listing(started_at="2020-01-01T00:00:00Z")]
        assert created.id not in [t.id for t in listing(ended_at="2020-01-01T00:00:00Z")]
        assert list(listing(started_at="2999-01-01T00:00:00Z")) == []
    with pytest.raises(BadRequestError) as bad:
        list(tasks.list(started_at="yesterday"))
    _envelope(bad.value, "started_at")

    with pytest.raises(BadRequestError) as bad:
        nb.client.embed.create(model_name="Marengo-retrieval-2.7", audio_url=nb.talk_url)
    _envelope(bad.value, "audio")
    with pytest.raises(ApiError) as wrong:
        tasks.retrieve(created.id, embedding_option=["audio"])
    assert wrong.value.status_code == 400  # no audio vectors are kept
    with pytest.raises(ApiError) as missing:
        tasks.status("embed_0123456789abcdef01234567")
    assert missing.value.status_code == 404


def test_an_assets_transcription_has_word_sentence_and_phrase_times(
    nb: Notebook, talk_asset: Any
) -> None:
    """``assets.retrieve_transcription``: the first call has the asset analysed; polled until
    ready, its words, sentences and phrases carry the times they were said at."""
    parts = ["words", "sentences", "utterances"]
    done = poll(
        lambda: (
            (t := nb.client.assets.retrieve_transcription(talk_asset.id, include=parts)).status
            in ("ready", "failed")
            and t
        ),
        120,
        "the asset's transcription",
    )
    assert done.status == "ready", done.error
    assert done.words and done.sentences and done.utterances
    keys = ("pricing", "storage", "support", "password")  # one sentence per line said
    for sentence, key in zip(done.sentences, keys, strict=True):
        truth = nb.talk.line(key)
        assert key in sentence.value.lower()
        assert sentence.start == pytest.approx(truth.start, abs=0.6), sentence
        assert sentence.end == pytest.approx(truth.end, abs=0.8), sentence
    spoken = nb.talk.line("password")
    word = next(w for w in done.words if w.value.strip(".,").lower() == "password")
    assert spoken.start <= word.start < word.end <= spoken.end + 0.5
    assert [w.start for w in done.words] == sorted(w.start for w in done.words)
    assert " ".join(u.value for u in done.utterances).count("password") == 1
    assert {u.speaker for u in done.utterances} == {None}
    words_only = nb.client.assets.retrieve_transcription(talk_asset.id)  # default: words
    assert words_only.words == done.words and words_only.sentences is None
    with pytest.raises(BadRequestError) as bad:
        nb.client.assets.retrieve_transcription(talk_asset.id, include="paragraphs")
    _envelope(bad.value, "include")
    with pytest.raises(NotFoundError):
        nb.client.assets.retrieve_transcription("file-0123456789abcdef01234567")


def test_a_multipart_upload_of_many_chunks_becomes_the_same_file_as_an_asset(
    nb: Notebook, tmp_path: Path
) -> None:
    """The SDK's ``multipart_upload.upload_file`` (for files too large to send at once): the
    session, the first chunk URLs, more URLs asked for, chunk PUTs answered with ETags, the
    reports; the asset is the file, byte for byte."""
    import hashlib

    import httpx
    from twelvelabs.core.api_error import ApiError as Refused

    sent = tmp_path / "Long Talk.mp4"  # the SDK writes its chunks beside the file
    sent.write_bytes(nb.talk.path.read_bytes())
    seen: list[float] = []
    done = nb.client.multipart_upload.upload_file(
        sent, batch_size=8, progress_callback=lambda p: seen.append(p.percentage or 0)
    )
    assert done.asset_id and done.asset_url.endswith(f"/assets/{done.asset_id}")
    assert sent.stat().st_size > 10 * CHUNK  # more chunks than the first set of URLs
    assert seen[-1] == 100 and len(seen) >= 3  # reported in batches of 8
    asset = nb.client.assets.retrieve(done.asset_id)
    assert (asset.status, asset.filename, asset.size) == ("ready", sent.name, sent.stat().st_size)
    assert asset.duration == pytest.approx(nb.talk.duration, abs=0.05)
    got = httpx.get(f"{nb.served.url}/v1/files/{done.asset_id}/content", headers={"x-api-key": KEY})
    assert hashlib.sha256(got.content).digest() == hashlib.sha256(sent.read_bytes()).digest()
    assert not (tmp_path / "Long Talk_chunks").exists()

    uploads = nb.client.multipart_upload
    # A session: its chunks' state, listed while it takes chunks, a chunk URL opens only its
    # own PUT, a wrong proof or size is refused, and a text file never becomes an asset.
    notes = b"not a video at all\n" * 2000
    session = uploads.create(filename="notes.mp4", type="video", total_size=len(notes))
    assert session.upload_id and session.total_chunks == 5 and session.chunk_size == CHUNK
    assert session.upload_id in [u.upload_id for u in uploads.list_incomplete_uploads()]
    assert [c.status for c in uploads.get_status(session.upload_id)] == ["pending"] * 5
    urls = {u.chunk_index: u.url for u in session.upload_urls or []}
    assert sorted(urls) == [1, 2, 3, 4, 5]
    parts = [notes[i : i + CHUNK] for i in range(0, len(notes), CHUNK)]
    forged = urls[1].replace("signature=", "signature=0")
    assert httpx.put(forged, content=parts[0]).status_code == 403
    assert httpx.put(urls[2], content=parts[0] + b"x").status_code == 413  # over a chunk
    short = httpx.put(urls[2], content=parts[0][:-1])
    assert (short.status_code, short.json()["code"]) == (400, "chunk_size_mismatch")
    etags = []
    for n, part in enumerate(parts, 1):
        put = httpx.put(urls[n], content=part)
        assert put.status_code == 200, put.text
        etags.append(put.headers["etag"].strip('"'))
    assert etags[0] == hashlib.md5(parts[0]).hexdigest()
    report = [
        {"chunk_index": n, "proof": tag, "proof_type": "etag", "chunk_size": len(parts[n - 1])}
        for n, tag in enumerate(etags, 1)
    ]
    with pytest.raises(BadRequestError) as wrong:
        uploads.report_chunk_batch(
            session.upload_id, completed_chunks=[{**report[0], "proof": "x"}]
        )
    _envelope(wrong.value, "ETag")
    first = uploads.report_chunk_batch(session.upload_id, completed_chunks=report[:2])
    assert (first.processed_chunks, first.total_completed, first.url) == (2, 2, None)
    with pytest.raises(BadRequestError) as refused:
        uploads.report_chunk_batch(session.upload_id, completed_chunks=report[1:])
    _envelope(refused.value, "not a video")
    status = httpx.get(
        f"{nb.served.url}/v1.3/assets/multipart-uploads/{session.upload_id}",
        headers={"x-api-key": KEY},
    ).json()
    assert status["status"] == "failed" and "not a video" in status["error"]
    with pytest.raises(Refused) as missing:
        nb.client.assets.retrieve(session.asset_id)
    assert missing.value.status_code == 404  # nothing half-made
    assert session.upload_id not in [u.upload_id for u in uploads.list_incomplete_uploads()]
    with pytest.raises(Refused) as big:
        uploads.create(filename="huge.mp4", type="video", total_size=10 * 2**40)
    assert big.value.status_code == 413
    with pytest.raises(BadRequestError):
        uploads.create(filename="song.mp3", type="audio", total_size=1000)


# -- errors ----------------------------------------------------------------------------------


def _envelope(error: ApiError, mentions: str) -> None:
    """Twelve Labs' error body: ``{"code", "message"}``, the message naming what was wrong."""
    body = error.body
    assert isinstance(body, dict) and set(body) >= {"code", "message"}, body
    assert "error" not in body  # not OpenAI's envelope on a Twelve Labs route
    assert mentions in body["message"], body


def test_unknown_ids_are_404_in_the_twelve_labs_envelope(nb: Notebook) -> None:
    bad = "0123456789abcdef01234567"
    calls = [
        lambda: nb.client.indexes.retrieve(bad),
        lambda: nb.client.indexes.videos.retrieve(nb.index_id, bad),
        lambda: nb.client.indexes.indexed_assets.retrieve(nb.index_id, bad),
        lambda: nb.client.tasks.retrieve(bad),
        lambda: nb.client.assets.retrieve(bad),
        lambda: nb.client.analyze_async.tasks.retrieve(bad),
        lambda: nb.client.analyze(video=VideoContext_AssetId(asset_id=bad), prompt="Hi"),
    ]
    for call in calls:
        with pytest.raises(ApiError) as err:
            call()
        assert err.value.status_code == 404
        _envelope(err.value, bad)
    with pytest.raises(NotFoundError):  # the SDK's own class where it declares one
        nb.client.indexes.videos.retrieve(nb.index_id, bad)
    with pytest.raises(ApiError) as err:
        _ = list(nb.client.search.query(index_id=bad, query_text="x", search_options=["visual"]))
    assert err.value.status_code == 404
    _envelope(err.value, bad)


def test_a_file_that_is_not_a_video_is_refused(nb: Notebook, media: MediaCache) -> None:
    notes = notes_file(media)
    before = [t.id for t in nb.client.tasks.list()]
    with notes.open("rb") as f, pytest.raises(BadRequestError) as err:
        nb.client.tasks.create(index_id=nb.index_id, video_file=f)
    _envelope(err.value, "not a video")
    photo = Path("/usr/share/forensics-samples/original-files/pic1/IMG_1054.JPG")
    with photo.open("rb") as f, pytest.raises(BadRequestError) as err:
        nb.client.tasks.create(index_id=nb.index_id, video_file=f)
    _envelope(err.value, "still image")
    assert [t.id for t in nb.client.tasks.list()] == before  # nothing half-made


def test_embed_v1_refuses_what_it_cannot_embed_and_keeps_nothing(
    nb: Notebook, media: MediaCache
) -> None:
    """A text file sent as the video, a clip length out of range, a form with nothing to
    embed and an image that is not one: 400s naming the field; no task and no asset is left."""
    v1 = nb.client.embed
    before = ([t.id for t in v1.tasks.list()], [a.id for a in nb.client.assets.list()])
    with notes_file(media).open("rb") as f, pytest.raises(BadRequestError) as err:
        v1.tasks.create(model_name="marengo3.0", video_file=f)
    _envelope(err.value, "not a video")
    with pytest.raises(BadRequestError) as err:
        v1.tasks.create(model_name="marengo3.0", video_url=nb.talk_url, video_clip_length=30)
    _envelope(err.value, "video_clip_length")
    with pytest.raises(BadRequestError) as err:
        v1.create(model_name="marengo3.0")
    _envelope(err.value, "image_file")
    with pytest.raises(BadRequestError) as err:
        v1.create(model_name="marengo3.0", image_file=("x.jpg", b"not a picture", "image/jpeg"))
    with pytest.raises(BadRequestError) as err:
        v1.tasks.create(model_name="  ", video_url=nb.talk_url)
    _envelope(err.value, "model_name")
    after = ([t.id for t in v1.tasks.list()], [a.id for a in nb.client.assets.list()])
    assert after == before


def test_an_invalid_json_schema_is_a_bad_request(nb: Notebook) -> None:
    with pytest.raises(BadRequestError) as err:
        nb.client.analyze(
            video=VideoContext_Url(url=nb.talk_url),
            prompt="Price?",
            response_format={
                "type": "json_schema",
                "json_schema": {"type": "object", "properties": {"price": {"type": "money"}}},
            },
        )
    _envelope(err.value, "money")


def test_analyze_without_a_video_is_a_bad_request(nb: Notebook) -> None:
    with pytest.raises(BadRequestError) as err:
        nb.client.analyze(prompt_v_2=AnalyzePromptV2(input_text="What is this?"))
    _envelope(err.value, "video")
