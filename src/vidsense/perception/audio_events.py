"""Audio events (speech, music, applause, laughter, silence, ...) with YAMNet, in time ranges.

The soundtrack is cut into 0.96 s log-mel patches every 0.48 s (YAMNet's own framing), each
patch is scored against the 521 AudioSet classes, and the scores become events:

1. Every 0.48 s *slot* lies inside exactly two patches (one at the edges); its score per class is
   the geometric mean of theirs, so a slot counts only when both windows that hear it agree.
   This halves the time error of taking either patch alone.
2. Classes are grouped into families that follow the AudioSet ontology (speech, laughter,
   crowd, music, vehicle, ...); a family scores what its best class scores. In each slot the
   ``max_labels`` best families compete, so speech over music gives two events, while
   "Speech" and "Narration, monologue" (one family) never do.
3. A family's event starts in a slot scoring at least ``min_score`` and lasts while it scores
   at least ``HOLD * min_score``, bridging one-slot dropouts; it is named after the family's
   class with the best mean score over the event. Events shorter than ``min_duration`` are
   dropped unless they peak at ``BRIEF_SCORE`` or more and are not of a sustained kind (a
   gunshot or a bark stays, half a second of speech or silence goes).

Times are seconds from the start of the samples; event boundaries are good to about one slot
(0.48 s). Room acoustics classes ("Inside, small room", "Reverberation", ...) are never reported.

The front end is a numpy re-implementation of YAMNet's ``features.py`` (TensorFlow): periodic
Hann window of 25 ms every 10 ms, 512-point FFT magnitude, 64 HTK-mel bands from 125 to 7500 Hz
with triangles in mel space and the DC bin excluded, ``log(mel + 0.001)``, 96-frame patches
every 48 frames, the waveform zero-padded so the last patch is whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np

from vidsense.config import Settings
from vidsense.errors import InvalidArgument
from vidsense.models.yamnet import MEL_BANDS, PATCH_FRAMES, YamnetEntry

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
"""Hz; audio at other rates is resampled first."""
WINDOW = 400  # samples: 25 ms STFT window
HOP = 160  # samples: 10 ms STFT hop
FFT = 512
MEL_LOW_HZ = 125.0
MEL_HIGH_HZ = 7500.0
LOG_OFFSET = 0.001
PATCH_HOP_FRAMES = 48  # 0.48 s
PATCH_SECONDS = PATCH_FRAMES * HOP / SAMPLE_RATE
"""Length of one model input, seconds (0.96)."""
SLOT_SECONDS = PATCH_HOP_FRAMES * HOP / SAMPLE_RATE
"""Hop between patches and the time resolution of events, seconds (0.48)."""
_PATCH_HOP_SAMPLES = PATCH_HOP_FRAMES * HOP
_PATCH_SAMPLES = WINDOW + (PATCH_FRAMES - 1) * HOP  # 0.975 s: samples behind one patch
_BLOCK_PATCHES = 256  # patches scored per block (about two minutes of audio): bounds memory

MIN_SCORE = 0.3
"""Default lowest slot score (0-1, per-class sigmoid) for a class to count."""
MIN_DURATION = 0.96
"""Default shortest event, seconds (two slots)."""
BRIEF_SCORE = 0.7
"""A shorter event is kept when its best slot scores at least this."""
MAX_LABELS = 3
"""Default most families reported for one slot."""
HOLD = 0.5
"""Once an event has started, it goes on while its score stays above ``HOLD * min_score``."""

# AudioSet ontology families as runs of YAMNet class indices (the class map follows the
# ontology's order): (first index, family). Classes in one family are near-duplicates.
_FAMILIES: tuple[tuple[int, str], ...] = (
    (0, "speech"),
    (6, "shout"),
    (13, "laughter"),
    (19, "crying"),
    (24, "singing"),
    (33, "body"),
    (46, "footsteps"),
    (49, "eating"),
    (56, "hands"),
    (59, "heart"),
    (61, "crowd"),
    (67, "domestic_animal"),
    (81, "livestock"),
    (103, "wild_animal"),
    (132, "music"),
    (277, "wind"),
    (280, "thunderstorm"),
    (282, "water"),
    (292, "fire"),
    (294, "vehicle"),
    (348, "household"),
    (382, "alarm"),
    (398, "mechanism"),
    (412, "tools"),
    (420, "explosion"),
    (431, "wood_glass"),
    (438, "liquid"),
    (451, "impact"),
    (494, "silence"),
    (495, "synthetic"),
    (500, "acoustics"),
    (507, "noise"),
    (518, "broadcast"),
)
_IGNORED_FAMILIES = frozenset({"acoustics"})
# Sounds that only matter when they last: a half-second of speech or silence is not an event,
# a half-second gunshot is.
_SUSTAINED_FAMILIES = frozenset({"speech", "singing", "music", "silence", "noise", "broadcast"})
# Music effects (tuner, effects unit, chorus) sit among "impact" sounds in the class order.
_FAMILY_OVERRIDES = {456: "music", 457: "music", 458: "music", 520: "acoustics"}


@cache
def class_families(num_classes: int = 521) -> tuple[str, ...]:
    """The family of each class index (see ``_FAMILIES``)."""
    families: list[str] = []
    starts = [start for start, _ in _FAMILIES] + [num_classes]
    for (start, name), end in zip(_FAMILIES, starts[1:], strict=True):
        families += [name] * (end - start)
    for index, name in _FAMILY_OVERRIDES.items():
        families[index] = name
    return tuple(families)


@dataclass(frozen=True)
class AudioEvent:
    """A sound heard from ``start`` to ``end`` (seconds), with its AudioSet ``label`` and mean
    ``score`` (0-1) over the event."""

    label: str
    start: float
    end: float
    score: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "score": round(self.score, 3),
        }


# --- front end -------------------------------------------------------------------------------


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    return 1127.0 * np.log1p(hz / 700.0)


@cache
def mel_matrix() -> np.ndarray:
    """``[257, 64]`` weights from FFT-magnitude bins to mel bands, as
    ``tf.signal.linear_to_mel_weight_matrix`` builds them (HTK mel, triangles in mel space,
    DC bin excluded, no area normalisation)."""
    bins = FFT // 2 + 1
    bin_mel = _hz_to_mel(np.linspace(0.0, SAMPLE_RATE / 2, bins))
    edges = np.linspace(
        _hz_to_mel(np.array(MEL_LOW_HZ)), _hz_to_mel(np.array(MEL_HIGH_HZ)), MEL_BANDS + 2
    )
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bin_mel[:, None] - lower) / (center - lower)
    falling = (upper - bin_mel[:, None]) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights[0, :] = 0.0
    result: np.ndarray = weights.astype(np.float32)
    return result


@cache
def _window() -> np.ndarray:
    # Periodic Hann, as tf.signal.stft uses.
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WINDOW) / WINDOW)).astype(np.float32)


def log_mel(samples: np.ndarray) -> np.ndarray:
    """``[frames, 64]`` log-mel spectrogram of 16 kHz mono ``samples``: one frame per 10 ms
    hop, frames start at sample 0 (no centring), as YAMNet computes them."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.size < WINDOW:
        samples = np.pad(samples, (0, WINDOW - samples.size))
    frames = np.lib.stride_tricks.sliding_window_view(samples, WINDOW)[::HOP]
    magnitude = np.abs(np.fft.rfft(frames * _window(), n=FFT, axis=1)).astype(np.float32)
    result: np.ndarray = np.log(magnitude @ mel_matrix() + LOG_OFFSET)
    return result


def pad_for_patches(samples: np.ndarray) -> np.ndarray:
    """Zero-pad so there is at least one patch and the last patch is whole (YAMNet's
    ``pad_waveform``)."""
    n = samples.size
    extra = max(0, n - _PATCH_SAMPLES)
    hops = -(-extra // _PATCH_HOP_SAMPLES)
    target = _PATCH_SAMPLES + hops * _PATCH_HOP_SAMPLES
    return np.pad(samples, (0, target - n)) if target > n else samples


def patch_count(num_samples: int) -> int:
    """How many 0.96 s patches (every 0.48 s) cover ``num_samples`` once padded."""
    extra = max(0, num_samples - _PATCH_SAMPLES)
    return 1 + -(-extra // _PATCH_HOP_SAMPLES)


def iter_patches(samples: np.ndarray, block: int = _BLOCK_PATCHES) -> Iterator[np.ndarray]:
    """``[n, 96, 64]`` log-mel patches, ``block`` at a time, in order; patch ``i`` starts at
    ``i * 0.48`` seconds. Each block is computed from its own slice of samples, so memory stays
    bounded for hours of audio."""
    padded = pad_for_patches(np.asarray(samples, dtype=np.float32))
    total = patch_count(samples.size)
    for first in range(0, total, block):
        count = min(block, total - first)
        start = first * _PATCH_HOP_SAMPLES
        stop = start + _PATCH_SAMPLES + (count - 1) * _PATCH_HOP_SAMPLES
        mel = log_mel(padded[start:stop])
        windows = np.lib.stride_tricks.sliding_window_view(mel, PATCH_FRAMES, axis=0)
        # sliding_window_view puts the window last: [n, 64, 96] -> [n, 96, 64]
        yield np.ascontiguousarray(windows[::PATCH_HOP_FRAMES].transpose(0, 2, 1))


# --- events ----------------------------------------------------------------------------------


def slot_scores(patch_scores: np.ndarray) -> np.ndarray:
    """``[n + 1, C]`` scores of the 0.48 s slots from ``[n, C]`` patch scores: slot ``k``
    (``k * 0.48`` to ``(k + 1) * 0.48`` s) is the geometric mean of the patches that contain
    it (``k - 1`` and ``k``)."""
    logs = np.log(np.clip(patch_scores, 1e-6, 1.0))
    padded = np.concatenate([logs[:1], logs, logs[-1:]])
    result: np.ndarray = np.exp((padded[:-1] + padded[1:]) / 2).astype(np.float32)
    return result


def events_from_slots(
    slots: np.ndarray,
    class_names: list[str],
    *,
    duration: float,
    min_score: float = MIN_SCORE,
    min_duration: float = MIN_DURATION,
    max_labels: int = MAX_LABELS,
) -> list[AudioEvent]:
    """Turn ``[n, C]`` slot scores into events (see the module docstring), clipped to
    ``duration`` seconds and sorted by start time."""
    families = class_families(len(class_names))
    members = _family_members(families)
    n = min(len(slots), int(np.ceil(duration / SLOT_SECONDS - 1e-9)))
    slots = slots[:n]
    if n == 0:
        return []
    # A family's score in a slot is its best class's; only the max_labels best families of a
    # slot compete there.
    family_scores = np.stack([slots[:, m].max(axis=1) for m in members.values()], axis=1)
    ranked = np.zeros(family_scores.shape, dtype=bool)
    top = np.argsort(-family_scores, axis=1)[:, :max_labels]
    np.put_along_axis(ranked, top, True, axis=1)
    strong = ranked & (family_scores >= min_score)
    held = ranked & (family_scores >= min_score * HOLD)

    events: list[AudioEvent] = []
    for j, (family, m) in enumerate(members.items()):
        for first, last in _runs(held[:, j], bridge=1):
            if not strong[first : last + 1, j].any():
                continue
            on = held[first : last + 1, j]
            run = slots[first : last + 1][on][:, m]
            best = int(np.argmax(run.mean(axis=0)))
            values = run[:, best]
            start = first * SLOT_SECONDS
            end = min(duration, (last + 1) * SLOT_SECONDS)
            brief = end - start < min_duration - 1e-6
            if brief and (family in _SUSTAINED_FAMILIES or values.max() < BRIEF_SCORE):
                continue
            events.append(AudioEvent(class_names[m[best]], start, end, float(values.mean())))
    return sorted(events, key=lambda e: (e.start, -e.score))


def _family_members(families: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Class indices of each reported family, in class order."""
    grouped: dict[str, list[int]] = {}
    for index, family in enumerate(families):
        if family not in _IGNORED_FAMILIES:
            grouped.setdefault(family, []).append(index)
    return {family: np.array(indices) for family, indices in grouped.items()}


def _runs(active: np.ndarray, *, bridge: int) -> list[tuple[int, int]]:
    """Inclusive ``(first, last)`` index runs of True, joining runs split by at most
    ``bridge`` False entries."""
    runs: list[tuple[int, int]] = []
    for i in np.flatnonzero(active):
        if runs and i - runs[-1][1] <= bridge + 1:
            runs[-1] = (runs[-1][0], int(i))
        else:
            runs.append((int(i), int(i)))
    return runs


def _to_mono_16k(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1)
    elif x.ndim != 1:
        raise InvalidArgument(f"samples must be 1-D (mono) or [n, channels], got shape {x.shape}")
    if sample_rate <= 0:
        raise InvalidArgument(f"sample_rate must be positive, got {sample_rate}")
    if sample_rate != SAMPLE_RATE:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(sample_rate, SAMPLE_RATE)
        x = resample_poly(x, SAMPLE_RATE // g, sample_rate // g).astype(np.float32)
    return x


def tag_audio(
    samples: np.ndarray,
    settings: Settings,
    *,
    sample_rate: int = SAMPLE_RATE,
    min_score: float = MIN_SCORE,
    min_duration: float = MIN_DURATION,
    max_labels: int = MAX_LABELS,
    progress: Callable[[float, float], None] | None = None,
) -> list[AudioEvent]:
    """Audio events in ``samples`` (float in [-1, 1], mono or ``[n, channels]``, at
    ``sample_rate`` Hz), sorted by start time.

    ``min_score`` (0-1) is the lowest slot score that counts, ``min_duration`` (seconds) the
    shortest event kept unless it is confident, ``max_labels`` the most events that may overlap
    at one time. ``progress(done, total)`` is called in seconds of audio. Empty audio gives no
    events. Cost: about 2 ms of one CPU core per second of audio.
    """
    if not 0.0 <= min_score <= 1.0:
        raise InvalidArgument(f"min_score must be between 0 and 1, got {min_score}")
    x = _to_mono_16k(samples, sample_rate)
    if x.size == 0:
        return []
    model = YamnetEntry(settings).load()
    duration = x.size / SAMPLE_RATE
    total = patch_count(x.size)
    parts: list[np.ndarray] = []
    done = 0
    for patches in iter_patches(x):
        parts.append(model.scores(patches))
        done += len(patches)
        if progress is not None:
            progress(duration if done >= total else min(duration, done * SLOT_SECONDS), duration)
    scores = np.concatenate(parts)
    assert len(scores) == total
    return events_from_slots(
        slot_scores(scores),
        model.class_names,
        duration=duration,
        min_score=min_score,
        min_duration=min_duration,
        max_labels=max_labels,
    )
