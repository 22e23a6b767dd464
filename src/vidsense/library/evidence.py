"""Turning one :class:`~vidsense.perception.analyze.Analysis` into the rows the store keeps.

Every piece of evidence becomes a :class:`~vidsense.store.Segment` (times in seconds):

====================  ==============  =====================================================
analysis              segment kind    ``text`` / ``data``
====================  ==============  =====================================================
transcript segment    ``transcript``  the phrase / ``{"words": [{word, start, end,
                                      probability}], "language"}``
text sighting         ``text``        the string / ``{"box": [x, y, w, h], "confidence"}``
audio event           ``audio_event`` the AudioSet label / ``{"label", "score"}``
shot                  ``shot``        ``""`` / ``{"index"}``, and how it began:
                                      ``"transition"`` (cut, dissolve, fade), with
                                      ``"transition_start"``/``"transition_end"`` for a
                                      dissolve or fade
what a keyframe       ``visual``      every kept tag and label (``animal, dog (Samoyed)``) /
shows (its shot's                     ``{"shot", "time", "keyframe", "labels", "tags",
time range)                           "shows", "score", "faces"}``
====================  ==============  =====================================================

Keyframes become :class:`~vidsense.store.Keyframe` rows whose images are blobs under the
video's folder. Vectors come from ``embeddings.npz``: row ``i`` of ``text`` belongs to the
``i``-th entry of :func:`~vidsense.perception.analyze.evidence_texts` (its kind is
``text_kinds[i]``), so the ids are matched kind by kind; row ``i`` of ``visual`` belongs to
keyframe ``i``. The image-labels network's embedding of each keyframe is an ``image`` vector of
that keyframe. Faces (on keyframes, and on frames sampled inside long shots) become
:class:`~vidsense.store.FaceRecord` rows without a person yet (see
:mod:`vidsense.library.people`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vidsense.perception.analyze import Analysis, evidence_texts
from vidsense.perception.faces import Face
from vidsense.perception.shots import Shot
from vidsense.perception.visual import SAMPLE_EVERY
from vidsense.store import FaceRecord, Keyframe, Segment, VectorBatch

log = logging.getLogger(__name__)

# The kind names evidence_texts() uses, and the segment kind each maps to.
_TEXT_KINDS = {
    "transcript": "transcript",
    "text": "text",
    "audio_event": "audio_event",
    "audio": "audio_event",
    "visual": "visual",
}


@dataclass
class Evidence:
    """What one analysis adds to the store for a video; ``files`` maps each keyframe id to the
    local JPEG that must be stored under its ``blob_key`` before the rows are written."""

    segments: list[Segment] = field(default_factory=list)
    keyframes: list[Keyframe] = field(default_factory=list)
    vectors: list[VectorBatch] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    faces: list[FaceRecord] = field(default_factory=list)


def _clip(value: float, duration: float) -> float:
    return min(max(float(value), 0.0), duration) if duration > 0 else max(float(value), 0.0)


def build_evidence(analysis: Analysis, video_id: str, blob_prefix: str) -> Evidence:
    """The segments, keyframes (blob keys under ``blob_prefix``) and vectors of a video."""
    duration = analysis.metadata.duration
    ev = Evidence()
    by_kind: dict[str, list[str]] = {
        "transcript": [],
        "text": [],
        "audio_event": [],
        "visual": [],
    }

    def add(kind: str, start: float, end: float, text: str, data: dict[str, object]) -> str:
        s0 = _clip(start, duration)
        segment = Segment(video_id, kind, s0, max(s0, _clip(end, duration)), text, data)  # type: ignore[arg-type]
        ev.segments.append(segment)
        return segment.id

    transcript = analysis.transcript
    if transcript is not None:
        for seg in transcript.segments:
            words = [w.to_dict() for w in seg.words]
            sid = add(
                "transcript",
                seg.start,
                seg.end,
                seg.text.strip(),
                {"words": words, "language": transcript.language},
            )
            by_kind["transcript"].append(sid)
    for sighting in analysis.text_sightings:
        sid = add(
            "text",
            sighting.start,
            sighting.end,
            sighting.text,
            {"box": list(sighting.box), "confidence": round(sighting.confidence, 4)},
        )
        by_kind["text"].append(sid)
    for event in analysis.audio_events:
        sid = add(
            "audio_event",
            event.start,
            event.end,
            event.label,
            {"label": event.label, "score": round(event.score, 4)},
        )
        by_kind["audio_event"].append(sid)
    for shot in analysis.shots:
        began = {k: v for k, v in shot.to_dict().items() if k.startswith("transition")}
        add("shot", shot.start, shot.end, "", {"index": shot.index, **began})

    by_time: dict[tuple[int, float], Keyframe] = {}
    for frame in analysis.keyframes:
        key = f"{blob_prefix}keyframes/{frame.path.name}"
        keyframe = Keyframe(video_id, frame.shot, _clip(frame.time, duration), key)
        ev.keyframes.append(keyframe)
        ev.files[keyframe.id] = frame.path
        by_time[(frame.shot, frame.time)] = keyframe

    owners: list[str] = []
    for vision in analysis.visual:
        shown = by_time.get((vision.shot, vision.time))
        data: dict[str, object] = {
            "shot": vision.shot,
            "time": round(vision.time, 3),
            "keyframe": shown.id if shown is not None else None,
            "labels": [label.to_dict() for label in vision.labels],
            "tags": [tag.to_dict() for tag in vision.tags],
            "shows": vision.shows(),
            "score": round(vision.score, 4),
        }
        if analysis.face_samples or any(v.faces for v in analysis.visual):
            data["faces"] = len(vision.faces)
        by_kind["visual"].append(
            add("visual", vision.start, vision.end, vision.description(), data)
        )
        if shown is not None:
            owners.append(shown.id)
        ev.faces += [
            _face(video_id, vision.shot, vision.time, vision.start, vision.end, f, duration)
            for f in vision.faces
        ]
    images = [v.embedding for v in analysis.visual if (v.shot, v.time) in by_time]
    if owners:
        ev.vectors.append(VectorBatch("image", owners, np.stack(images)))
    for sample in analysis.face_samples:
        shot = _shot_at(analysis.shots, sample.time)
        start = max(shot.start, sample.time - SAMPLE_EVERY / 2)
        end = min(shot.end, sample.time + SAMPLE_EVERY / 2)
        ev.faces += [
            _face(video_id, shot.index, sample.time, start, end, f, duration) for f in sample.faces
        ]

    if analysis.embeddings_path is not None and analysis.embeddings_path.exists():
        ev.vectors += _vectors(analysis, analysis.embeddings_path, by_kind, ev.keyframes)
    return ev


def _shot_at(shots: list[Shot], time: float) -> Shot:
    """The last shot holding ``time`` (a frame on a cut belongs to the shot it starts)."""
    holding = [s for s in shots if s.start <= time <= s.end]
    if holding:
        return holding[-1]
    return Shot(len(shots), time, time)


def _face(
    video_id: str, shot: int, at: float, start: float, end: float, face: Face, duration: float
) -> FaceRecord:
    from vidsense.media.frames import encode_jpeg

    s0 = _clip(start, duration)
    return FaceRecord(
        video_id,
        shot,
        _clip(at, duration),
        s0,
        max(s0, _clip(end, duration)),
        face.box,
        face.score,
        face.embedding,
        encode_jpeg(face.chip, quality=85),
    )


def _vectors(
    analysis: Analysis, path: Path, by_kind: dict[str, list[str]], keyframes: list[Keyframe]
) -> list[VectorBatch]:
    batches: list[VectorBatch] = []
    with np.load(path, allow_pickle=False) as arrays:
        if "text" in arrays.files:
            matrix = arrays["text"]
            kinds = (
                [str(k) for k in arrays["text_kinds"]]
                if "text_kinds" in arrays.files
                else evidence_texts(analysis)[0]
            )
            owners, rows = _match_rows(kinds, by_kind)
            if len(kinds) != len(matrix):
                log.warning("embeddings: %d text rows for %d kinds", len(matrix), len(kinds))
            rows = [r for r in rows if r < len(matrix)]
            if rows:
                batches.append(VectorBatch("text", owners[: len(rows)], matrix[rows]))
        if "visual" in arrays.files and keyframes:
            visual = arrays["visual"]
            n = min(len(visual), len(keyframes))
            if n != len(keyframes):
                log.warning("embeddings: %d visual rows for %d keyframes", len(visual), n)
            if n:
                batches.append(VectorBatch("visual", [k.id for k in keyframes[:n]], visual[:n]))
    return batches


def _match_rows(kinds: list[str], by_kind: dict[str, list[str]]) -> tuple[list[str], list[int]]:
    """(owner ids, row numbers) for rows whose kind maps to a segment still unclaimed."""
    queues: dict[str, Iterator[str]] = {k: iter(v) for k, v in by_kind.items()}
    owners: list[str] = []
    rows: list[int] = []
    for row, kind in enumerate(kinds):
        segment_kind = _TEXT_KINDS.get(kind)
        owner = next(queues[segment_kind], None) if segment_kind else None
        if owner is None:
            log.warning("embeddings: text row %d (%s) has no segment; skipped", row, kind)
            continue
        owners.append(owner)
        rows.append(row)
    return owners, rows
