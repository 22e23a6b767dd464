"""Visual perception on real photos and clips (``tests/visual_support.py`` lists them): what a
search over keyframe labels, tags and embeddings finds, how faces are filtered and grouped, and
what a keyframe costs.

Prints
- category queries ("a dog", "a puppy", "fruit", "electronics", ...) over the 13 labelled
  photos, scored from the labels and tags a keyframe keeps: R@1 and top-5, for both crops;
- image queries: another frame of a shot finds that shot's keyframe among every shot of the
  clips (R@1), and a photo's nearest other photo is of the same kind (R@1);
- faces: detections kept and rejected on the photos the filters were chosen on and on clip
  frames never used to choose them (dog faces before/after), same- and different-person
  distances, clustering purity;
- cost per keyframe (labels + tags + embedding; faces apart) as a ratio to decoding one frame
  of the same clip, measured in the same run.

    python benchmarks/visual.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.visual_support import (
    FACE_PHOTOS,
    FACES,
    FORENSICS,
    KIVY,
    PHOTOS,
    QUERIES,
    clip_shots,
    read_rgb,
)

from vidsense.config import Settings
from vidsense.media.decode import FrameSource
from vidsense.media.samples import sample_video
from vidsense.models.faces import FacesEntry
from vidsense.models.imagenet import ImageLabelsEntry
from vidsense.perception.faces import FaceFilter, cluster_faces, face_distances, find_faces
from vidsense.perception.shots import Shot
from vidsense.perception.visual import Keyframe, KeyframeAnalyzer, KeyframeVision, similarity

CLIPS = (
    ("bikes", None),
    ("bigbuckbunny", None),
    ("carphone", None),
    ("city", KIVY / "widgets/cityCC0.mpg"),
    ("phone clip", FORENSICS / "movie1/VID_20191220_170832.mp4"),
)
NO_CHECKS = FaceFilter(min_size=0, min_score=0.0, min_chip_score=-9.0, min_eye_ratio=0.0)
"""dlib's defaults alone: every detection scoring >= 0."""


def clip_path(name: str, path: Path | None) -> Path:
    return path if path is not None else sample_video(name)


def category_queries(analyzer: KeyframeAnalyzer, visions: list[KeyframeVision]) -> None:
    hits1 = hits5 = 0
    for query in QUERIES:
        concepts = analyzer.taxonomy.expand(query)
        scores = [v.match(concepts) for v in visions]
        order = np.argsort(-np.array(scores), kind="stable")
        relevant = [query in PHOTOS[i].queries for i in order]
        hits1 += relevant[0]
        hits5 += any(relevant[:5])
        top = ", ".join(f"{PHOTOS[i].kind}:{scores[i]:.2f}" for i in order[:3])
        print(f"    {query!r:15} -> {top}{'' if relevant[0] else '   (miss at 1)'}")
    print(f"  category R@1 {hits1}/{len(QUERIES)} = {hits1 / len(QUERIES):.0%}, ", end="")
    print(f"top-5 {hits5}/{len(QUERIES)} = {hits5 / len(QUERIES):.0%}")


def photos(settings: Settings) -> None:
    print("photos (13, labelled by eye):")
    for crop in ("full", "center"):
        analyzer = KeyframeAnalyzer(settings, crop=crop)
        visions = [
            analyzer.analyze(Keyframe(Shot(i, 0.0, 1.0), 0.0, read_rgb(p.path)))
            for i, p in enumerate(PHOTOS)
        ]
        print(f"  crop={crop}")
        for p, v in zip(PHOTOS, visions, strict=True):
            print(f"    {p.name:26} {p.kind:12} shows: {v.shows()}")
        category_queries(analyzer, visions)
        kinds = [p.kind for p in PHOTOS]
        embeddings = np.stack([v.embedding for v in visions])
        sims = similarity(embeddings, embeddings)
        np.fill_diagonal(sims, -1.0)
        askers = [i for i, k in enumerate(kinds) if kinds.count(k) > 1]
        right = sum(kinds[int(np.argmax(sims[i]))] == kinds[i] for i in askers)
        same = [sims[i, j] for i in askers for j in askers if i < j and kinds[i] == kinds[j]]
        other = [sims[i, j] for i in askers for j in askers if i < j and kinds[i] != kinds[j]]
        print(
            f"  image query, nearest other photo of the same kind: R@1 {right}/{len(askers)} "
            f"(cosine same kind {min(same):.2f}-{max(same):.2f}, "
            f"different {min(other):.2f}-{max(other):.2f})"
        )


def clips(settings: Settings) -> None:
    analyzer = KeyframeAnalyzer(settings)
    keys, queries, owners = [], [], []
    for name, path in CLIPS:
        for shot in clip_shots(clip_path(name, path)):
            keys.append(analyzer.model.score([shot.keyframe], crop=analyzer.crop).embeddings[0])
            queries.append(analyzer.model.score([shot.other], crop=analyzer.crop).embeddings[0])
            owners.append(f"{name}#{shot.index}")
    sims = similarity(np.stack(queries), np.stack(keys))
    right = sum(int(np.argmax(sims[i])) == i for i in range(len(owners)))
    print(
        f"clips: image query (a frame a third into a shot) finds its own shot's keyframe: "
        f"R@1 {right}/{len(owners)} = {right / len(owners):.0%} over {len(CLIPS)} clips"
    )


def clip_frames(name: str, path: Path | None, every: float) -> list[tuple[str, np.ndarray]]:
    with FrameSource(clip_path(name, path)) as source:
        return [(f"{name}@{f.time:.1f}", f.full()) for f in source.frames(every=every)]


def faces(settings: Settings) -> None:
    entry = FacesEntry(settings)
    if not entry.installed():
        print(f"faces: skipped ({entry.detail()})")
        return
    model = entry.load()
    checks = FaceFilter()
    chosen_on = [(p.name, read_rgb(p.path)) for p in PHOTOS if p.kind in ("dog", "electronics")]
    people: dict[str, str] = {}
    if all((FACE_PHOTOS / n).is_file() for n in FACES):
        chosen_on += [(n, read_rgb(FACE_PHOTOS / n)) for n in FACES]
        people.update(FACES)
    else:
        print(f"  (face photos missing at {FACE_PHOTOS}: scripts/install.sh --dev)")
    held_out = (
        clip_frames("carphone", None, 0.5)
        + clip_frames("phone clip", FORENSICS / "movie1/VID_20191220_170832.mp4", 0.25)
        + clip_frames("bigbuckbunny", None, 1.0)
        + clip_frames("bikes", None, 1.0)
    )
    print("faces (dlib HOG; 'before' = dlib's default score >= 0 only):")
    kept: list[tuple[str, np.ndarray]] = []
    for title, items in (
        ("photos the filters were chosen on", chosen_on),
        ("clip frames", held_out),
    ):
        before: Counter[str] = Counter()
        after: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        for name, rgb in items:
            group = _group(name)
            before[group] += len(find_faces(model, rgb, checks=NO_CHECKS).faces)
            scan = find_faces(model, rgb, checks=checks)
            after[group] += len(scan.faces)
            reasons.update(r.reason for r in scan.rejected if r.score >= 0)
            kept += [(name, f.embedding) for f in scan.faces]
        print(f"  {title}: {len(items)} pictures")
        for group in sorted(before):
            print(f"    {group:28} faces before {before[group]:3d}, after {after[group]:3d}")
        print(f"    rejections of score>=0 detections by check: {dict(reasons)}")
    for name, _ in kept:
        if name.startswith("carphone"):
            people[name] = "carphone man"
    named = [(people[n], e) for n, e in kept if n in people]
    if len(named) < 2:
        return
    who = [w for w, _ in named]
    vectors = np.stack([e for _, e in named])
    d = face_distances(vectors, vectors)
    same = [d[i, j] for i in range(len(who)) for j in range(i + 1, len(who)) if who[i] == who[j]]
    diff = [d[i, j] for i in range(len(who)) for j in range(i + 1, len(who)) if who[i] != who[j]]
    print(
        f"  distances: same person {min(same):.2f}-{max(same):.2f} (median "
        f"{statistics.median(same):.2f}), different people {min(diff):.2f}-{max(diff):.2f}"
    )
    labels = cluster_faces(vectors)
    clusters: dict[int, Counter[str]] = {}
    for label, person in zip(labels, who, strict=True):
        clusters.setdefault(int(label), Counter())[person] += 1
    purity = sum(c.most_common(1)[0][1] for c in clusters.values()) / len(who)
    print(
        f"  clustering {len(who)} faces of {len(set(who))} people: {len(clusters)} clusters, "
        f"purity {purity:.0%}: " + "; ".join(dict(c).__repr__() for c in clusters.values())
    )
    started = time.perf_counter()
    for _, rgb in chosen_on:
        find_faces(model, rgb)
    print(f"  faces cost {1000 * (time.perf_counter() - started) / len(chosen_on):.0f} ms a photo")


def _group(name: str) -> str:
    if "@" in name:
        return name.split("@")[0]
    if name in FACES:
        return "face photos"
    return "dog photos" if any(p.name == name and p.kind == "dog" for p in PHOTOS) else "other"


def cost(settings: Settings) -> None:
    analyzer = KeyframeAnalyzer(settings)
    print("cost per keyframe (labels + tags + embedding, one thread) vs decoding one frame:")
    for name, path in (("bikes", None), ("1080p phone clip", CLIPS[4][1])):
        source_path = clip_path(name, path)
        started = time.perf_counter()
        with FrameSource(source_path, threads=1) as source:
            frames = [f.full() for f in source.frames()]
        decode = (time.perf_counter() - started) / len(frames)
        picks = frames[:: max(1, len(frames) // 10)][:10]
        started = time.perf_counter()
        for rgb in picks:
            analyzer.analyze(Keyframe(Shot(0, 0.0, 1.0), 0.0, rgb))
        each = (time.perf_counter() - started) / len(picks)
        size = f"{frames[0].shape[1]}x{frames[0].shape[0]}"
        print(
            f"  {name} ({size}): {1000 * each:.1f} ms a keyframe, decoding {1000 * decode:.1f} ms "
            f"a frame (to RGB, one thread): ratio {each / decode:.1f}"
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        ImageLabelsEntry(settings).install()
        photos(settings)
        clips(settings)
        faces(settings)
        cost(settings)


if __name__ == "__main__":
    main()
