"""Where a CLIP-family image/text model comes from: a local folder, never a hub.

None ships offline, so this capability is optional: with ``settings.models.visual`` unset
(``VIDSENSE_MODELS__VISUAL``), :meth:`VisualEntry.installed` is False and callers go on without
visual embeddings. A model folder holds exactly these files::

    visual.onnx      image tower: input  float32 [N, 3, H, W] (RGB, normalised, H = W = image_size)
                                  output float32 [N, embed_dim]
    textual.onnx     text tower:  input  int64   [N, context_length] token ids
                                  (and int64 attention_mask [N, context_length] when it asks)
                                  output float32 [N, embed_dim]
    config.json      {"image_size": 224, "mean": [r, g, b], "std": [r, g, b],
                      "context_length": 77, "embed_dim": 512, "pad_id": 0}
                      (mean/std on the 0-1 scale; pad_id optional, default 0)
    tokenizer.json   a HuggingFace ``tokenizers`` file that adds the model's own start/end tokens

Each tower's first input and first output are used, whatever their names. Outputs need not be
normalised: vidsense L2-normalises them. Exports of OpenAI CLIP, OpenCLIP or SigLIP towers fit
once split into the two graphs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vidsense.errors import ModelNotInstalled
from vidsense.models.base import ModelEntry

VISUAL_FILES = ("visual.onnx", "textual.onnx", "config.json", "tokenizer.json")
"""The files a visual model folder must hold."""
NOT_CONFIGURED = "no visual model configured (set VIDSENSE_MODELS__VISUAL=/path)"


class VisualEntry(ModelEntry[Any]):
    """A CLIP-family ONNX model from the folder in ``settings.models.visual``, if any."""

    capability = "visual_embedding"
    NAME = "onnx-clip"

    @property
    def folder(self) -> Path | None:
        value = self.settings.models.visual
        return value.expanduser() if value is not None else None

    @property
    def model(self) -> str:
        return str(self.folder) if self.folder is not None else "none"

    def source(self) -> str:
        return str(self.folder) if self.folder is not None else "not configured"

    def missing_files(self) -> list[str]:
        """Files of :data:`VISUAL_FILES` absent from the folder (all when unset)."""
        folder = self.folder
        if folder is None:
            return list(VISUAL_FILES)
        return [name for name in VISUAL_FILES if not (folder / name).is_file()]

    def installed(self) -> bool:
        return self.folder is not None and not self.missing_files()

    def detail(self) -> str:
        if self.folder is None:
            return NOT_CONFIGURED
        missing = self.missing_files()
        if missing:
            return f"{self.folder} lacks {', '.join(missing)} (needs {', '.join(VISUAL_FILES)})"
        return "CLIP-family ONNX image and text towers"

    def require(self) -> None:
        if not self.installed():
            raise ModelNotInstalled(f"visual_embedding: {self.detail()}")
