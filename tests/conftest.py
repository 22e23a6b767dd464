"""Shared fixtures: a session-wide folder of generated media, offline model settings."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.search_support import SearchLibrary
    from vidsense.library import Library

# No test may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class MediaCache:
    """Builds each named test file once per session (``media.get("cuts.mp4", builder)``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get(self, name: str, build: Callable[[Path], object]) -> Path:
        path = self.root / name
        if not path.exists():
            tmp = self.root / f"tmp-{name}"
            tmp.mkdir(parents=True, exist_ok=True)
            build(tmp / name)
            (tmp / name).replace(path)
        return path


# Modules that take minutes (servers, worker processes, the schema fuzzer). Two test processes
# each take a whole module at a time, in collection order: these start first, so that the
# processes end close together instead of one running the fuzzer alone at the end.
SLOW_MODULES = (
    "test_openapi.py",
    "test_jobs_ray.py",
    "test_chat.py",
    "test_skills_cli.py",
    "test_sdk_vlmrun.py",
    "test_writing.py",
    "test_ui.py",
    "test_api.py",  # builds the search library that test_search*.py (later) copy
    "test_writers_llm.py",
    "test_sdk_twelvelabs.py",
    "test_speech.py",
    "test_ocr.py",
    "test_chat_tools.py",
    "test_edits.py",
    "test_analyze.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    first = {name: rank for rank, name in enumerate(SLOW_MODULES)}
    items.sort(key=lambda item: first.get(item.path.name, len(first)))


@pytest.fixture(scope="session")
def bundled_models() -> None:
    """Prepare the bundled models where default settings look for them (what the set-up's
    ``vidsense models install`` does; idempotent and quick once done)."""
    from vidsense.config import Settings
    from vidsense.models.registry import install_models

    install_models(Settings())


class _NoLoading(dict[tuple[str, ...], object]):
    """The process's model cache as a test not marked ``models`` sees it: asking for a model
    the process does not hold yet fails the test (it belongs to the slow tier)."""

    def __contains__(self, key: object) -> bool:
        if not dict.__contains__(self, key):
            name = ":".join(key) if isinstance(key, tuple) else str(key)
            raise AssertionError(
                f"this test loads the {name} model: mark it (or its module) pytest.mark.models"
            )
        return True


@pytest.fixture(autouse=True)
def model_tier(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests marked ``models`` get the bundled models prepared; the others may load none (so
    that ``pytest -m "not models"`` is the fast tier and stays fast)."""
    if request.node.get_closest_marker("models") is not None:
        request.getfixturevalue("bundled_models")
        return
    from vidsense.models import base

    monkeypatch.setattr(base, "_loaded", _NoLoading(base._loaded))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """A test not marked ``models`` whose module or session fixtures load a model (before
    :func:`model_tier` is in place) fails too."""
    from vidsense.models import base

    before = set(base._loaded)
    yield
    loaded = set(base._loaded) - before
    if loaded and item.get_closest_marker("models") is None:
        names = ", ".join(":".join(key) for key in sorted(loaded))
        raise AssertionError(f"this test's fixtures load {names}: mark it pytest.mark.models")


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory, bundled_models: None) -> Path:
    """A models folder with the bundled Whisper model joined, shared by the session."""
    from tests.library_support import shared_models

    return shared_models(tmp_path_factory)


@pytest.fixture
def lib(tmp_path: Path, models_dir: Path) -> Iterator[Library]:
    """A library on a fresh data folder (one worker's settings, the shared models)."""
    from tests.library_support import make_settings
    from vidsense.library import Library

    library = Library.open(make_settings(tmp_path / "data", models_dir))
    yield library
    library.close()


@pytest.fixture(scope="module")
def clip(media: MediaCache) -> Path:
    """A 4 s 320x240 clip with a caption and a spoken sentence (``spoken_clip``); modules
    that need another clip define their own."""
    from tests.library_support import spoken_clip

    return spoken_clip(media)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> MediaCache:
    return MediaCache(tmp_path_factory.mktemp("media"))


def shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder every test process of this run sees (the run's base folder under
    pytest-xdist, this process' otherwise), for what is built once for all of them."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def held(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` across the run's test processes."""
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def sl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchLibrary]:
    """The generated ten-video search library (``tests/search_support.py``), built once per
    run by the first test process that asks; each process searches a copy of its data folder
    (tests may add to it)."""
    from tests.library_support import make_settings, shared_models
    from tests.search_support import SearchLibrary, Truth, build_search_library
    from vidsense.library import Library

    models = shared_models(tmp_path_factory)
    shared = shared_folder(tmp_path_factory, "search-library")
    with held(shared):
        if not (shared / "built.json").exists():
            built = build_search_library(
                MediaCache(shared / "media"), make_settings(shared / "data", models)
            )
            built.library.close()
            record = {
                "index_id": built.index_id,
                "video_ids": built.video_ids,
                "clips": [str(c) for c in built.clips],
                "build_seconds": built.build_seconds,
                "speech": [asdict(t) for t in built.speech],
                "captions": [asdict(t) for t in built.captions],
            }
            (shared / "built.json").write_text(json.dumps(record))
    record = json.loads((shared / "built.json").read_text())
    root = tmp_path_factory.mktemp("search")
    shutil.copytree(shared / "data", root / "data")
    library = Library.open(make_settings(root / "data", models))
    yield SearchLibrary(
        library,
        record["index_id"],
        record["video_ids"],
        [Truth(**t) for t in record["speech"]],
        [Truth(**t) for t in record["captions"]],
        [Path(c) for c in record["clips"]],
        record["build_seconds"],
    )
    library.close()
