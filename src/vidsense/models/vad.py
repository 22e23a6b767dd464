"""Voice activity: where speech is heard, with Silero VAD (the ONNX model that ships inside
faster-whisper), whichever recogniser then transcribes it.

faster-whisper loads the Silero model once per process itself; nothing is downloaded.
"""

from __future__ import annotations

import numpy as np

from vidsense.errors import ModelNotInstalled
from vidsense.media.edit import SPEECH_RATE


def speech_regions(
    samples: np.ndarray, *, min_silence_ms: int = 300, pad_ms: int = 0
) -> list[tuple[float, float]]:
    """``(start, end)`` seconds of each stretch of speech in 16 kHz mono float32 ``samples``.

    ``pad_ms`` (default 0: the edges are where speech is heard) widens each region;
    ``min_silence_ms`` is the shortest pause that splits two regions. Raises
    :class:`~vidsense.errors.ModelNotInstalled` when faster-whisper is not installed.
    """
    try:
        from faster_whisper.vad import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            VadOptions,
            get_speech_timestamps,
        )
    except ImportError as e:
        raise ModelNotInstalled("speech needs faster-whisper: pip install faster-whisper") from e
    options = VadOptions(speech_pad_ms=pad_ms, min_silence_duration_ms=min_silence_ms)
    chunks = get_speech_timestamps(samples, options, sampling_rate=SPEECH_RATE)
    return [(c["start"] / SPEECH_RATE, c["end"] / SPEECH_RATE) for c in chunks]
