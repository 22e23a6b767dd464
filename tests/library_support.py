"""Shared pieces of the library and server tests: short generated clips, the prepared speech
model, settings on a fresh data folder, and a real ``vidsense serve`` process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import MediaCache, held, shared_folder
from tests.factory import Caption, Scene, make_speech, make_video
from vidsense.config import ModelSettings, Settings
from vidsense.library import Library
from vidsense.models.registry import entry
from vidsense.store import TaskRecord

SPOKEN = "the library keeps every video"
CAPTION = "HELLO LIBRARY"


def prepared_models(root: Path) -> Path:
    """A models folder holding the joined bundled Whisper model, the MobileNetV2 graph (when
    its weights are installed) and the word lists (when FreeDict is), made once per session."""
    folder = root / "models"
    settings = Settings(data_dir=root, models=ModelSettings(dir=folder))
    for capability in ("speech", "image_labels", "lexicon"):
        model = entry(capability, settings)
        if not model.installed():
            model.install()
    return folder


def shared_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's prepared models folder (:func:`prepared_models`), made by the first test
    process that asks and shared by all of them."""
    root = shared_folder(tmp_path_factory, "shared-models")
    with held(root):
        return prepared_models(root)


def make_settings(data_dir: Path, models_dir: Path, **overrides: Any) -> Settings:
    """Settings on their own data folder, sharing the prepared models; one worker, analysing
    in the worker's thread (tests watch the analysis in this process; the analysis processes
    have tests of their own, in test_jobs_ray.py)."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "models": ModelSettings(dir=models_dir),
        "workers": 1,
        "worker_processes": False,
    }
    values.update(overrides)
    return Settings(**values)


def spoken_clip(
    media: MediaCache,
    name: str = "lib-clip.mp4",
    *,
    duration: float = 4.0,
    caption: str = CAPTION,
    spoken: str = SPOKEN,
    colour: str = "navy",
) -> Path:
    """A 320x240 clip: two shots (cut at half time), ``caption`` on screen in the first,
    ``spoken`` said from 0.3 s."""

    def build(out: Path) -> None:
        wav = out.with_suffix(".wav")
        make_speech(wav, [(0.3, spoken)], duration)
        half = duration / 2
        make_video(
            out,
            [
                Scene(half, f"color=c={colour}", [Caption(caption, 0.2, half - 0.2, size=32)]),
                Scene(duration - half, "color=c=0x1b4d2b"),
            ],
            size="320x240",
            fps=15,
            audio=wav,
        )

    return media.get(name, build)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: Any) -> Iterator[str]:
    """A real uvicorn server for ``app`` on a free port, in a thread; yields its URL."""
    import uvicorn

    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(10)


class ServerProcess:
    """A real ``vidsense serve`` on a free local port, in its own process group. It analyses
    in its indexing worker's thread, as :func:`make_settings` does, unless ``env`` says
    ``VIDSENSE_WORKER_PROCESSES=true`` (the default of a real deployment, kept by the tests
    that kill and restart servers): an analysis child loads every model a second time, some
    5 s of CPU per server, and the child processes have tests of their own."""

    def __init__(self, data_dir: Path, models_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "VIDSENSE_MODELS__DIR": str(models_dir),
            "VIDSENSE_LOG_LEVEL": "INFO",
            "VIDSENSE_WORKER_PROCESSES": "false",
            **env,
        }
        self.log = data_dir / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(
        self, *args: str, timeout: float = 60.0, limit_file_size: int | None = None
    ) -> ServerProcess:
        """Start it with ``args``; ``limit_file_size``: no file it writes may pass this many
        bytes (``RLIMIT_FSIZE``: a write past it fails, as on a full disk)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "vidsense.cli.main",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--log-level",
            "warning",
            *args,
        ]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                command,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=None if limit_file_size is None else _file_size_limit(limit_file_size),
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vidsense serve exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"vidsense serve did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL, like a crash or the OOM killer: no shutdown code runs."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), then SIGKILL if it lingers."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def _file_size_limit(size: int) -> Callable[[], None]:
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def wait_for(check: Callable[[], Any], timeout: float, what: str, poll: float = 0.2) -> Any:
    """Call ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)


def finished(lib: Library, task_id: str, timeout: float = 120.0) -> TaskRecord:
    """The task once it is ready or failed (waits up to ``timeout`` seconds)."""

    def check() -> TaskRecord | None:
        task = lib.get_task(task_id)
        return task if task.status in ("ready", "failed") else None

    result: TaskRecord = wait_for(check, timeout, f"task {task_id}")
    return result
