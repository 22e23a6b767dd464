"""Index options as Twelve Labs spells them, turned into the analyzers vidsense runs.

Two request shapes name them:

- v1.2 ``engines``: ``[{"engine_name": "marengo2.6", "engine_options": ["visual",
  "conversation", "text_in_video", "logo"]}]``: the option names are vidsense's own;
- 2026 ``models``: ``[{"model_name": "marengo3.0", "model_options": ["visual", "audio"]}]``,
  where ``visual`` also covers on-screen text and logos, and ``audio`` covers speech and sounds.

Either way the index keeps the union of the analyzer options (``visual``, ``conversation``,
``text_in_video``, ``logo``, ``audio``); engine and model names are accepted and not used, since
one local pipeline serves them all. ``faces`` (:data:`OPT_IN`) is never on unless named: faces
are biometric data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vidsense.errors import InvalidArgument

OPTIONS: tuple[str, ...] = ("visual", "conversation", "text_in_video", "logo", "audio")
"""Analyzer options in the order they are listed."""
OPT_IN: tuple[str, ...] = ("faces",)
"""Options an index runs only when a request names them: ``faces`` (find, embed and group the
faces on keyframes; biometric data)."""
ADDONS: tuple[str, ...] = ("thumbnail",)

# 2026 model options cover more than their v1.2 names did.
_MODEL_OPTIONS: dict[str, tuple[str, ...]] = {
    "visual": ("visual", "text_in_video", "logo"),
    "audio": ("conversation", "audio"),
    "transcription": ("conversation",),
    "conversation": ("conversation",),
    "text_in_video": ("text_in_video",),
    "logo": ("logo",),
    "faces": ("faces",),
}


def _names(value: Any, field: str) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"{field} must be a list of strings")
    return [v.strip().lower() for v in value if v.strip()]


def _ordered(chosen: Iterable[str]) -> list[str]:
    wanted = set(chosen)
    return [o for o in (*OPTIONS, *OPT_IN) if o in wanted]


def index_options(
    engines: Sequence[Mapping[str, Any]] | None = None,
    models: Sequence[Mapping[str, Any]] | None = None,
    options: Sequence[str] | None = None,
) -> list[str]:
    """The analyzer options an index asks for; all of :data:`OPTIONS` when nothing is given
    (``faces`` only when named).

    ``engines`` and ``models`` are the Twelve Labs request fields (see the module docstring);
    ``options`` is a plain list of analyzer option names. ``InvalidArgument`` names the field
    and the accepted values when one is wrong.
    """
    chosen: list[str] = []
    given = False
    for i, engine in enumerate(engines or ()):
        given = True
        for name in _names(engine.get("engine_options", []), f"engines[{i}].engine_options"):
            if name not in (*OPTIONS, *OPT_IN):
                raise InvalidArgument(
                    f"engines[{i}].engine_options: unknown option {name!r}; "
                    f"choose from {', '.join((*OPTIONS, *OPT_IN))}"
                )
            chosen.append(name)
    for i, model in enumerate(models or ()):
        given = True
        for name in _names(model.get("model_options", []), f"models[{i}].model_options"):
            if name not in _MODEL_OPTIONS:
                raise InvalidArgument(
                    f"models[{i}].model_options: unknown option {name!r}; choose from visual, "
                    "audio, faces"
                )
            chosen.extend(_MODEL_OPTIONS[name])
    if options is not None:
        given = True
        for name in _names(list(options), "options"):
            if name not in (*OPTIONS, *OPT_IN):
                raise InvalidArgument(
                    f"options: unknown option {name!r}; "
                    f"choose from {', '.join((*OPTIONS, *OPT_IN))}"
                )
            chosen.append(name)
    if not given:
        return list(OPTIONS)
    if not chosen:
        raise InvalidArgument(
            "an index needs at least one option (engines[].engine_options or "
            "models[].model_options), e.g. visual or conversation"
        )
    return _ordered(chosen)


def index_addons(addons: Sequence[str] | None) -> list[str]:
    """Validated addons (only ``thumbnail`` exists); duplicates dropped."""
    found: list[str] = []
    for name in _names(list(addons or ()), "addons"):
        if name not in ADDONS:
            raise InvalidArgument(f"addons: unknown addon {name!r}; choose from thumbnail")
        if name not in found:
            found.append(name)
    return found
