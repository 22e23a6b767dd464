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
  of the same clip, measured in the same run;
- through the real indexing and search path (:class:`Library`, :class:`SearchService`) on a
  video made of the 13 photos (one 2 s shot each): category-query R@1 and top-5, image-query
  R@1 (a frame of each shot finds that shot; each photo's nearest other shot is of its kind);
- people: faces of a video of the face photos (and a dog, which must be nobody) grouped into
  people per index, with clustering purity;
- the slowdown of a whole analysis (every option) of a 1080p video of real footage (the clips
  and photos above scaled to 1920x1080, LibriVox narration as its sound) with the visual
  analyzer against without it, as a ratio of medians measured in the same run (target <= 1.10).

    python benchmarks/visual.py            # everything
    python benchmarks/visual.py search slowdown
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
    photo_video,
    read_rgb,
)

from vidsense.config import Settings
from vidsense.jobs import EmbeddedExecutor
from vidsense.library import Library
from vidsense.media.decode import FrameSource
from vidsense.media.samples import sample_video
from vidsense.models.faces import FacesEntry
from vidsense.models.imagenet import ImageLabelsEntry
from vidsense.options import OPTIONS
from vidsense.perception.analyze import analyze
from vidsense.perception.faces import FaceFilter, cluster_faces, face_distances, find_faces
from vidsense.perception.shots import Shot
from vidsense.perception.visual import Keyframe, KeyframeAnalyzer, KeyframeVision, similarity
from vidsense.search import SearchRequest, SearchService
from vidsense.search.base import Clip, ImageQuery

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


SHOT = 2.0
"""Seconds each photo is shown in the videos made of photos."""


def index_videos(library: Library, index_id: str, paths: list[Path]) -> dict[str, str]:
    """Index ``paths`` through the real task path; file name -> video id."""
    with EmbeddedExecutor(library, 1):
        tasks = {p.name: library.submit_file(index_id, p).task.id for p in paths}
        videos = {}
        for name, task_id in tasks.items():
            while (task := library.get_task(task_id)).status not in ("ready", "failed"):
                time.sleep(0.3)
            if task.status != "ready" or task.video_id is None:
                raise SystemExit(f"{name} failed to index: {task.error_message}")
            videos[name] = task.video_id
    return videos


def search(settings: Settings, work: Path) -> None:
    """Category and image queries through indexing and the search service."""
    video = photo_video(work / "photos.mp4", [p.path for p in PHOTOS], seconds=SHOT)
    library = Library.open(settings)
    index = library.create_index("photos")
    started = time.perf_counter()
    video_id = index_videos(library, index.id, [video])["photos.mp4"]
    print(
        f"search path: {len(PHOTOS)} photos as {len(PHOTOS) * SHOT:.0f} s of video, indexed in "
        f"{time.perf_counter() - started:.1f} s"
    )
    service = SearchService(library)

    def shot_of(clip: Clip) -> int:
        return int((clip.start + clip.end) / 2 // SHOT)

    hits1 = hits5 = 0
    for query in QUERIES:
        result = service.run(SearchRequest(index.id, query, ("visual",), threshold="none"))
        clips = [c for c in result.items if isinstance(c, Clip)][:5]
        relevant = [query in PHOTOS[shot_of(c)].queries for c in clips]
        hits1 += bool(relevant and relevant[0])
        hits5 += any(relevant)
        top = ", ".join(f"{PHOTOS[shot_of(c)].kind}:{c.score:.0f}" for c in clips[:3])
        print(f"    {query!r:15} -> {top}{'' if relevant and relevant[0] else '   (miss at 1)'}")
    n = len(QUERIES)
    print(
        f"  category R@1 {hits1}/{n} = {hits1 / n:.0%}, top-5 {hits5}/{n} = {hits5 / n:.0%} "
        f"(visual_evidence {result.evidence.get('visual')})"
    )
    # a frame a third into each shot (not its keyframe) finds that shot
    with FrameSource(video) as source:
        frames = [f.full() for _, f in source.frames_at([(i + 1 / 3) * SHOT for i in range(13)])]
    right = 0
    for i, frame in enumerate(frames):
        result = service.run(
            SearchRequest(index.id, "", ("visual",), threshold="none",
                          images=(ImageQuery(frame),))
        )  # fmt: skip
        clips = [c for c in result.items if isinstance(c, Clip)]
        right += bool(clips) and shot_of(clips[0]) == i
    print(f"  image query, a frame of a shot finds that shot: R@1 {right}/{len(frames)}")
    kinds = [p.kind for p in PHOTOS]
    askers = [i for i, k in enumerate(kinds) if kinds.count(k) > 1]
    right = 0
    for i in askers:
        result = service.run(
            SearchRequest(index.id, "", ("visual",), threshold="none",
                          images=(ImageQuery(read_rgb(PHOTOS[i].path)),))
        )  # fmt: skip
        others = [c for c in result.items if isinstance(c, Clip) and shot_of(c) != i]
        right += bool(others) and kinds[shot_of(others[0])] == kinds[i]
    print(
        f"  image query, a photo's best other shot is of its kind: R@1 {right}/{len(askers)} "
        f"(evidence {result.evidence.get('visual')}; video {video_id})"
    )
    library.close()


PEOPLE_VIDEO = [
    "obama.jpg",
    "kiwi.jpg",
    "biden.jpg",
    "IMG_1054.JPG",
    "obama2.jpg",
    "IMG_20200608_111614.jpg",
    "obama3.jpg",
    "Wall.jpg",
    "obama_partial_face.jpg",
]
"""Shots of the people benchmark video: the face photos, each after a photo without people
(the shot detector does not cut between two similar portraits), one of them a Samoyed whose
face must be nobody's."""


def people(settings: Settings, work: Path) -> None:
    """Faces of real photos grouped into people through indexing (the ``faces`` option)."""
    if not FacesEntry(settings).installed() or not all((FACE_PHOTOS / n).is_file() for n in FACES):
        print("people: skipped (dlib, face-recognition-models or the face photos missing)")
        return
    others = {p.name: p.path for p in PHOTOS}
    files = [others.get(n, FACE_PHOTOS / n) for n in PEOPLE_VIDEO]
    video = photo_video(work / "people.mp4", files, seconds=SHOT, size="1280x720")
    library = Library.open(settings)
    index = library.create_index("people", options=["visual", "faces"])
    index_videos(library, index.id, [video])
    truth = [FACES.get(n, "nobody") for n in PEOPLE_VIDEO]
    found = library.list_people(index.id)
    clusters = []
    for person in found:
        who: Counter[str] = Counter()
        for appearance in person.appearances:
            for start, end in appearance.ranges:  # one shot each: no two faces are adjacent
                who[truth[int((start + end) / 2 // SHOT)]] += 1
        clusters.append(who)
    total = sum(sum(c.values()) for c in clusters)
    purity = sum(c.most_common(1)[0][1] for c in clusters) / max(1, total)
    faces = sum(n in FACES for n in PEOPLE_VIDEO)
    print(
        f"people: {len(found)} people from {total} of {faces} faces of "
        f"{len(set(truth) - {'nobody'})} people (+ a dog and 3 photos without people): "
        f"purity {purity:.0%}; " + "; ".join(str(dict(c)) for c in clusters)
    )
    library.close()


def hd_video(out: Path) -> Path:
    """About 100 s of 1080p30 H.264 made of real footage (the clips of :data:`CLIPS` and the
    phone clips scaled to 1920x1080, then each photo for 3 s) with LibriVox narration."""
    from tests.factory import X264, run

    if out.exists():
        return out
    clips = [clip_path(n, p) for n, p in CLIPS] + sorted(FORENSICS.glob("movie*/*.mp4"))
    inputs: list[str] = []
    for path in clips:
        inputs += ["-i", str(path)]
    for photo in PHOTOS:
        inputs += ["-loop", "1", "-framerate", "30", "-t", "3", "-i", str(photo.path)]
    fit = "scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:(ow-iw)/2:(oh-ih)/2"
    count = len(clips) + len(PHOTOS)
    chain = "".join(f"[{i}:v]{fit},setsar=1,fps=30,format=yuv420p[v{i}];" for i in range(count))
    chain += "".join(f"[v{i}]" for i in range(count)) + f"concat=n={count}:v=1:a=0[v]"
    speech = sorted(Path("/usr/share/pocketsphinx/test/data/librivox").glob("*.wav"))
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{w}'\n" for w in speech * 4))
    inputs += ["-f", "concat", "-safe", "0", "-i", str(listing)]
    streams = ["-map", "[v]", "-map", f"{count}:a", "-c:a", "aac", "-shortest"]
    run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", chain, *streams, *X264,
         "-crf", "20", str(out)])  # fmt: skip
    return out


def slowdown(settings: Settings, work: Path, rounds: int = 3) -> None:
    """Whole analysis (every option) of a 1080p video with and without the visual analyzer."""
    video = hd_video(work / "hd.mp4")
    with FrameSource(video) as source:
        info = source.info
    print(
        f"slowdown: {info.duration:.0f} s of {info.width}x{info.height} real footage, every "
        f"option, with vs without the visual analyzer ({rounds} rounds each, alternating)"
    )
    with_visual = list(OPTIONS)
    without = [o for o in OPTIONS if o != "visual"]
    analyze(sample_video("bikes"), settings, out_dir=work / "warm", options=with_visual)
    times: dict[str, list[float]] = {"with": [], "without": []}
    cpu: dict[str, list[float]] = {"with": [], "without": []}
    last = None
    for n in range(rounds):
        for name, options in (("with", with_visual), ("without", without)):
            started, used = time.perf_counter(), time.process_time()
            result = analyze(video, settings, out_dir=work / f"{name}{n}", options=options)
            times[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - used)
            stages = ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items())
            print(f"    {name:7} {times[name][-1]:6.1f} s, cpu {cpu[name][-1]:6.1f} s ({stages})")
            if name == "with":
                last = result
    a, b = statistics.median(times["with"]), statistics.median(times["without"])
    print(f"  with visual {a:.1f} s, without {b:.1f} s: ratio {a / b:.3f} (target <= 1.10)")
    a, b = statistics.median(cpu["with"]), statistics.median(cpu["without"])
    print(
        f"  CPU time of this process (all its threads; less sensitive to a busy machine): "
        f"{a:.1f} s vs {b:.1f} s: ratio {a / b:.3f}"
    )
    if last is not None:
        print(
            f"  {len(last.visual)} keyframes, visual worker {last.timings.get('visual', 0):.2f} s "
            f"in all, waited for after the decode {last.timings.get('visual_wait', 0):.2f} s"
        )


PARTS = {
    "photos": lambda s, w: photos(s),
    "clips": lambda s, w: clips(s),
    "faces": lambda s, w: faces(s),
    "cost": lambda s, w: cost(s),
    "search": search,
    "people": people,
    "slowdown": slowdown,
}


def main() -> None:
    wanted = sys.argv[1:] or list(PARTS)
    unknown = [w for w in wanted if w not in PARTS]
    if unknown:
        raise SystemExit(f"unknown part {unknown[0]!r}; choose from {', '.join(PARTS)}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data", workers=1, models={"dir": Settings().models_dir}
        )
        ImageLabelsEntry(settings).install()
        for part in wanted:
            PARTS[part](settings, Path(tmp))


if __name__ == "__main__":
    main()
