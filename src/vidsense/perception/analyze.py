"""One analysis of a video: every analyzer, one decode pass, one audio extraction.

:func:`analyze` runs two branches side by side:

* the picture branch decodes the video once; from that pass come the shots, a keyframe per shot
  (written as JPEG), the frames read for on-screen text, and (``visual``) what each keyframe
  shows: ImageNet labels, WordNet tags, an image embedding, and with ``faces`` the faces on it
  and on frames sampled inside long shots (:class:`~vidsense.perception.visual.VisualPass`, on
  a worker thread beside the decoder);
* the sound branch extracts the audio once (16 kHz mono) and runs speech recognition on it,
  with audio event tagging on a thread of its own beside it.

The models release the GIL while they compute (CTranslate2, ONNX Runtime, the decoder,
Tesseract), so the threads keep both cores busy. Each branch embeds its own text as soon as it
has it (the transcript's segments; the sightings and what keyframes show), so that the branch
that ends first fills the core the other one leaves; what is left when both are done (keyframes,
when a visual model is installed) is embedded last.

The result is one :class:`Analysis` document; the embeddings are written beside it
(``embeddings.npz``) rather than printed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from vidsense.config import Settings
from vidsense.errors import CorruptMedia, InvalidArgument, ModelNotInstalled
from vidsense.media.decode import DecodeReport
from vidsense.media.frames import frame_name, write_jpeg
from vidsense.media.probe import MediaInfo, probe
from vidsense.options import Option, analysis_options
from vidsense.perception.audio_events import AudioEvent
from vidsense.perception.ocr import TextSighting
from vidsense.perception.shots import Shot
from vidsense.perception.speech import Transcript
from vidsense.perception.visual import FrameFaces, KeyframeVision

log = logging.getLogger(__name__)

Stage = Literal["decode", "speech", "audio_events", "embeddings"]

StageProgress = Callable[[str, float], None]
"""Called with (stage name, fraction done 0..1)."""


@dataclass(frozen=True)
class Keyframe:
    """A shot's representative frame, written as a JPEG."""

    shot: int
    time: float
    path: Path

    def to_dict(self) -> dict[str, Any]:
        return {"shot": self.shot, "time": round(self.time, 3), "path": str(self.path)}


@dataclass
class Analysis:
    """Everything vidsense learned from one video. Times are seconds from its start."""

    source: str
    metadata: MediaInfo
    options: list[str]
    shots: list[Shot] = field(default_factory=list)
    keyframes: list[Keyframe] = field(default_factory=list)
    transcript: Transcript | None = None
    text_sightings: list[TextSighting] = field(default_factory=list)
    audio_events: list[AudioEvent] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    decode_error: str | None = None
    decode_error_at: float | None = None
    timings: dict[str, float] = field(default_factory=dict)
    embeddings_path: Path | None = None
    visual_model: str | None = None
    visual: list[KeyframeVision] = field(default_factory=list)
    """What each keyframe shows (``visual``), in shot order; empty without the image model."""
    face_samples: list[FrameFaces] = field(default_factory=list)
    """Faces on frames sampled inside long shots (``faces``)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "metadata": self.metadata.to_dict(),
            "options": self.options,
            "shots": [s.to_dict() for s in self.shots],
            "keyframes": [k.to_dict() for k in self.keyframes],
            "transcript": self.transcript.to_dict() if self.transcript else None,
            "text_sightings": [s.to_dict() for s in self.text_sightings],
            "audio_events": [e.to_dict() for e in self.audio_events],
            "notes": self.notes,
            "decode_error": self.decode_error,
            "decode_error_at": self.decode_error_at,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "embeddings_path": str(self.embeddings_path) if self.embeddings_path else None,
            "visual_model": self.visual_model,
            "visual": [v.to_dict() for v in self.visual],
            "face_samples": [f.to_dict() for f in self.face_samples],
        }


@dataclass
class _Sound:
    transcript: Transcript | None = None
    events: list[AudioEvent] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    """The transcript's segments embedded (text -> passage vector)."""


def _passages(settings: Settings, texts: list[str]) -> dict[str, np.ndarray]:
    """Each distinct text of ``texts`` embedded as a passage (the text embedder reads every text
    on its own, so a vector does not depend on the batch it came in)."""
    from vidsense.models.text_embedding import TextEmbeddingEntry

    distinct = list(dict.fromkeys(texts))
    if not distinct:
        return {}
    vectors = TextEmbeddingEntry(settings).load().embed(distinct, kind="passage")
    return dict(zip(distinct, vectors, strict=True))


def _sound_branch(
    path: Path,
    info: MediaInfo,
    settings: Settings,
    options: frozenset[Option],
    language: str | None,
    progress: StageProgress,
    cancel: threading.Event | None,
) -> _Sound:
    from vidsense.media.edit import extract_audio
    from vidsense.perception.audio_events import tag_audio
    from vidsense.perception.speech import transcribe

    sound = _Sound()
    if not info.has_audio:
        sound.notes.append("no audio track: no transcript or audio events")
        if "conversation" in options:
            sound.transcript = Transcript(
                language=None, language_probability=None, segments=(), note="no audio track"
            )
        return sound
    started = time.perf_counter()
    samples = extract_audio(path)
    sound.timings["audio_extract"] = time.perf_counter() - started

    def events() -> tuple[list[AudioEvent], float]:
        started = time.perf_counter()
        found = tag_audio(samples, settings)
        progress("audio_events", 1.0)
        return found, time.perf_counter() - started

    # Audio events beside speech: off the branch's path, on whichever core is free.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vidsense-audio-events") as pool:
        tagged = pool.submit(events) if "audio" in options or "visual" in options else None
        if "conversation" in options:
            started = time.perf_counter()
            sound.transcript = transcribe(
                samples,
                settings,
                language=language,
                cancel=cancel,
                progress=lambda done, total: progress("speech", done / total if total else 1.0),
            )
            sound.timings["speech"] = time.perf_counter() - started
            progress("speech", 1.0)
            started = time.perf_counter()
            sound.vectors = _passages(settings, [s.text for s in sound.transcript.segments])
            sound.timings["embeddings_transcript"] = time.perf_counter() - started
        if tagged is not None:
            sound.events, sound.timings["audio_events"] = tagged.result()
    return sound


def analyze(
    source: str | Path,
    settings: Settings,
    *,
    out_dir: Path,
    options: Iterable[str] | None = None,
    language: str | None = None,
    progress: StageProgress | None = None,
    cancel: threading.Event | None = None,
) -> Analysis:
    """Analyse a local video into ``out_dir`` (keyframes, ``analysis.json``,
    ``embeddings.npz``) and return the :class:`Analysis`.

    ``options`` selects analyzers as Twelve Labs does: ``visual`` (shots, keyframes, what each
    keyframe shows, visual embeddings, audio events), ``conversation`` (speech),
    ``text_in_video`` and ``logo`` (on-screen text), ``audio`` (audio events), and the opt-in
    ``faces`` (faces on keyframes and on frames sampled in long shots). Shots and keyframes
    always run: every other answer hangs off them. ``progress`` is called with (stage,
    fraction).

    Without the image-labels model or WordNet, ``visual`` notes their absence (with the install
    command) and goes on; ``faces`` without dlib raises
    :class:`~vidsense.errors.ModelNotInstalled`, since faces run only when asked for.
    """
    from vidsense.perception.ocr import VideoTextReader
    from vidsense.perception.shots import scan_shots

    path = Path(source)
    chosen = analysis_options(options)
    report_progress: StageProgress = progress or (lambda stage, fraction: None)
    started = time.perf_counter()
    info = probe(path, allow_partial=settings.allow_partial_media)
    out_dir.mkdir(parents=True, exist_ok=True)
    keyframe_dir = out_dir / "keyframes"
    analysis = Analysis(source=str(source), metadata=info, options=sorted(chosen))

    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="vidsense-sound") as pool,
        ExitStack() as workers,
    ):
        sound_future = pool.submit(
            _sound_branch, path, info, settings, chosen, language, report_progress, cancel
        )
        decode_started = time.perf_counter()
        text_reader = (
            VideoTextReader(settings, info) if {"text_in_video", "logo"} & chosen else None
        )
        if text_reader is not None:
            workers.enter_context(text_reader)  # stops its reading thread whatever happens
        report = DecodeReport()
        seeing = _visual_pass(settings, chosen, analysis.notes, cancel)
        if seeing is not None:
            workers.enter_context(seeing)  # stops its worker whatever happens below
        for closed in scan_shots(
            path,
            info=info,
            detector=settings.shot_detector,  # type: ignore[arg-type]  # unknown: InvalidArgument
            keyframes_per_shot=1,
            threads=settings.decode_threads,
            cancel=cancel,
            report=report,
            on_frame=_frame_consumers(text_reader, seeing),
            progress=lambda done, total: report_progress("decode", done / total if total else 1),
        ):
            analysis.shots.append(closed.shot)
            for frame in closed.keyframes:
                target = keyframe_dir / frame_name(
                    frame.time, prefix=f"shot{closed.shot.index:05d}"
                )
                write_jpeg(frame.full(), target)
                analysis.keyframes.append(Keyframe(closed.shot.index, frame.time, target))
                if seeing is not None:
                    seeing.on_keyframe(closed.shot, frame, target)
            if text_reader is not None:
                text_reader.on_shot(closed)
        analysis.timings["decode_shots"] = time.perf_counter() - decode_started
        if text_reader is not None:
            waited = time.perf_counter()
            analysis.text_sightings = text_reader.finish(
                report, cancelled=bool(cancel and cancel.is_set())
            )
            analysis.timings["ocr"] = text_reader.stats.ocr_seconds
            analysis.timings["ocr_wall"] = text_reader.stats.ocr_wall_seconds
            analysis.timings["ocr_wait"] = time.perf_counter() - waited
        if seeing is not None:
            waited = time.perf_counter()
            seen = seeing.finish()
            analysis.visual, analysis.face_samples = seen.keyframes, seen.samples
            analysis.timings["visual"] = sum(v.seconds for v in seen.keyframes)
            analysis.timings["visual_wait"] = time.perf_counter() - waited
        embed_started = time.perf_counter()
        _, picture_texts = evidence_texts(replace(analysis, transcript=None))
        vectors = _passages(settings, picture_texts)
        analysis.timings["embeddings_picture"] = time.perf_counter() - embed_started
        sound = sound_future.result()  # re-raises the sound branch's error, if any
    vectors.update(sound.vectors)
    analysis.transcript = sound.transcript
    analysis.audio_events = sound.events
    analysis.notes.extend(sound.notes)
    analysis.timings.update(sound.timings)
    if report.error is not None:
        analysis.decode_error, analysis.decode_error_at = report.error, report.error_at
        if report.damaged:
            _keep_readable_part(analysis, report, path.name, settings.allow_partial_media)
        analysis.notes.append(
            f"decoding stopped at {report.error_at:.2f} s: {report.error}; "
            "what decoded before that was analysed"
        )

    embed_started = time.perf_counter()
    analysis.embeddings_path, analysis.visual_model = _embed(
        analysis, settings, out_dir, chosen, vectors
    )
    analysis.timings["embeddings"] = time.perf_counter() - embed_started
    report_progress("embeddings", 1.0)
    analysis.timings["total"] = time.perf_counter() - started
    (out_dir / "analysis.json").write_text(
        json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False)
    )
    return analysis


def _visual_pass(
    settings: Settings,
    chosen: frozenset[Option],
    notes: list[str],
    cancel: threading.Event | None,
) -> Any:
    """The :class:`~vidsense.perception.visual.VisualPass` for this analysis, or None (no
    ``visual``, or its models missing: noted)."""
    from vidsense.perception.visual import KeyframeAnalyzer, VisualPass

    if "visual" not in chosen:
        return None
    faces = "faces" in chosen
    if faces:
        from vidsense.models.faces import FacesEntry

        FacesEntry(settings).require()  # asked for: a missing model is an error
    try:
        analyzer = KeyframeAnalyzer(settings, faces=faces)
    except ModelNotInstalled as e:
        if faces:
            raise
        log.warning("no image labels: %s", e)
        notes.append(f"no image labels or tags: {e}")
        return None
    return VisualPass(analyzer, cancel=cancel)


def _frame_consumers(*consumers: Any) -> Callable[[Any], None] | None:
    """One ``on_frame`` callback calling each consumer's ``on_frame`` (None when none)."""
    calls = [c.on_frame for c in consumers if c is not None]
    if not calls:
        return None
    if len(calls) == 1:
        only: Callable[[Any], None] = calls[0]
        return only

    def each(frame: Any) -> None:
        for call in calls:
            call(frame)

    return each


def _keep_readable_part(
    analysis: Analysis, report: DecodeReport, name: str, allow_partial: bool
) -> None:
    """A pass stopped by damaged data: fail (:class:`CorruptMedia`, saying how much decoded),
    or with ``allow_partial`` make the decoded part the video: its duration, and only the sound
    evidence within it."""
    info = analysis.metadata
    end = min(report.decoded_until(info.fps), info.duration)
    what = f"decoding stopped at {end:.1f} s of {info.duration:.1f} s ({report.error})"
    if not allow_partial or end <= 0.0:
        raise CorruptMedia(f"{name} is damaged: {what}")
    analysis.metadata = replace(
        info,
        duration=end,
        video_duration=min(info.video_duration, end),
        frame_count=report.frames,
        partial=f"only part of the file could be read: {what}",
    )
    if analysis.transcript is not None:
        kept = tuple(s for s in analysis.transcript.segments if s.start < end)
        analysis.transcript = replace(analysis.transcript, segments=kept)
    analysis.audio_events = [e for e in analysis.audio_events if e.start < end]


def evidence_texts(analysis: Analysis) -> tuple[list[str], list[str]]:
    """(kinds, texts) of every piece of text evidence, in the order they are embedded:
    transcript segments, then text sightings, then what each keyframe shows."""
    kinds: list[str] = []
    texts: list[str] = []
    if analysis.transcript is not None:
        for segment in analysis.transcript.segments:
            kinds.append("transcript")
            texts.append(segment.text)
    for sighting in analysis.text_sightings:
        kinds.append("text")
        texts.append(sighting.text)
    for vision in analysis.visual:
        kinds.append("visual")
        texts.append(vision.description())
    return kinds, texts


def _embed(
    analysis: Analysis,
    settings: Settings,
    out_dir: Path,
    chosen: frozenset[Option],
    known: dict[str, np.ndarray],
) -> tuple[Path | None, str | None]:
    """Write ``embeddings.npz``: every piece of text evidence (``known`` holds the vectors of
    texts the branches embedded already), and the keyframes when a visual model is installed."""
    from vidsense.models.visual import VisualEntry

    arrays: dict[str, np.ndarray] = {}
    kinds, texts = evidence_texts(analysis)
    if texts:
        vectors = {**known, **_passages(settings, [t for t in texts if t not in known])}
        arrays["text"] = np.stack([vectors[t] for t in texts])
        arrays["text_kinds"] = np.array(kinds)
    if analysis.visual:
        # row i: the keyframe analysis.visual[i] describes (MobileNetV2's 1280-d embedding)
        arrays["image"] = np.stack([v.embedding for v in analysis.visual])
    visual_name: str | None = None
    if "visual" in chosen and analysis.keyframes:
        visual = VisualEntry(settings)
        if visual.installed():
            model = visual.load()
            images = [_read_rgb(k.path) for k in analysis.keyframes]
            arrays["visual"] = model.embed_images(images)
            visual_name = visual.source()
        else:
            analysis.notes.append(f"no visual embeddings: {visual.detail() or 'no model'}")
    if not arrays:
        return None, visual_name
    path = out_dir / "embeddings.npz"
    tmp = out_dir / ".embeddings.part.npz"
    np.savez(tmp, **arrays)  # type: ignore[arg-type]
    tmp.replace(path)
    return path, visual_name


def _read_rgb(path: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path))
    if image is None:
        raise InvalidArgument(f"cannot read keyframe {path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
