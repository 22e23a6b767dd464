"""The analysis options, their aliases, and the one place each request shape's names are parsed.

An option names an analyzer and what search can look through:

- ``visual``: keyframes (CLIP-family embeddings when a visual model is configured);
- ``conversation``: speech (the transcript);
- ``text_in_video``: on-screen text;
- ``logo``: brand names in on-screen text, registered logo images;
- ``audio``: audio events (music, applause, laughter, ...).

Request shapes name them in three ways:

- v1.2 ``engines``: ``[{"engine_name": "marengo2.6", "engine_options": ["visual",
  "conversation", "text_in_video", "logo"]}]``: the option names above;
- 2026 ``models``: ``[{"model_name": "marengo3.0", "model_options": ["visual", "audio"]}]``,
  where ``visual`` also covers on-screen text and logos, and ``audio`` covers speech and sounds
  (:data:`MODEL_OPTIONS`);
- search and classify ``search_options``/``options``: the option names above, or their 2026
  names (:data:`SEARCH_ALIASES`): ``transcription`` for ``conversation``, and ``audio``, which
  in 2026 searches speech and sounds alike (``conversation`` and ``audio``).

Engine and model names are accepted and not used, since one local pipeline serves them all.
:func:`index_options` parses what an index runs, :func:`analysis_options` what one analysis
runs (the CLI's ``--option``), :func:`search_options` what a search or classification looks
through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, cast

from vidsense.errors import InvalidArgument

Option = Literal["visual", "conversation", "text_in_video", "logo", "audio", "faces"]
OPTIONS: tuple[Option, ...] = ("visual", "conversation", "text_in_video", "logo", "audio")
"""Analyzer options in the order they are listed (what runs when none is named)."""
OPT_IN: tuple[Option, ...] = ("faces",)
"""Options that run only when a request names them: ``faces`` (find, embed and group the faces
on keyframes into people; biometric data). They are analysis options, not search options."""
ADDONS: tuple[str, ...] = ("thumbnail",)

ModelOption = Literal[
    "visual", "audio", "transcription", "conversation", "text_in_video", "logo", "faces"
]
MODEL_OPTIONS: dict[ModelOption, tuple[Option, ...]] = {
    "visual": ("visual", "text_in_video", "logo"),
    "audio": ("conversation", "audio"),
    "transcription": ("conversation",),
    "conversation": ("conversation",),
    "text_in_video": ("text_in_video",),
    "logo": ("logo",),
    "faces": ("faces",),
}
"""2026 ``model_options`` and the analyzer options each covers (more than their v1.2 names)."""
SearchOption = Literal["visual", "conversation", "text_in_video", "logo", "audio", "transcription"]
"""What a search or classification may name: the options search looks through, and aliases."""
SEARCH_ALIASES: dict[str, tuple[Option, ...]] = {
    "transcription": ("conversation",),
    "audio": ("audio", "conversation"),
}
"""Search option names that look through more (or other) than the option of that name."""
SEARCH_DEFAULT: tuple[Option, ...] = ("visual", "conversation")
"""What a search looks through when the request names no option."""
CLASSIFY_DEFAULT: tuple[Option, ...] = ("visual", "conversation", "text_in_video")
"""What a classification searches each prompt with when the request names no option."""


def _names(value: Any, field: str) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"{field} must be a list of strings", param=field)
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
            if name not in MODEL_OPTIONS:
                raise InvalidArgument(
                    f"models[{i}].model_options: unknown option {name!r}; choose from visual, "
                    "audio, faces"
                )
            chosen.extend(MODEL_OPTIONS[name])
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


def index_models(
    engines: Sequence[Mapping[str, Any]] | None = None,
    models: Sequence[Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]] | None:
    """The engines (``{"engine_name", "engine_options"}``) or models (``{"model_name",
    "model_options"}``) an index request named, as named (names trimmed and lower-cased), for
    the index to report what it was created with; None when it named none. Call after
    :func:`index_options` has checked them."""
    named: list[dict[str, Any]] = []
    for engine in engines or ():
        options = _names(engine.get("engine_options", []), "engine_options")
        name = str(engine.get("engine_name") or "vidsense")
        named.append({"engine_name": name, "engine_options": options})
    for model in models or ():
        options = _names(model.get("model_options", []), "model_options")
        name = str(model.get("model_name") or "vidsense")
        named.append({"model_name": name, "model_options": options})
    return named or None


def model_analyzers(model_options: Iterable[str]) -> list[str]:
    """The analyzer options 2026 ``model_options`` cover, in :data:`OPTIONS` order."""
    covers = cast(Mapping[str, tuple[Option, ...]], MODEL_OPTIONS)
    return _ordered(o for name in model_options for o in covers.get(name, ()))


def index_addons(addons: Sequence[str] | None) -> list[str]:
    """Validated addons (only ``thumbnail`` exists); duplicates dropped."""
    found: list[str] = []
    for name in _names(list(addons or ()), "addons"):
        if name not in ADDONS:
            raise InvalidArgument(f"addons: unknown addon {name!r}; choose from thumbnail")
        if name not in found:
            found.append(name)
    return found


def analysis_options(names: Iterable[str] | None) -> frozenset[Option]:
    """The options one analysis runs: option names, each possibly a comma-separated list
    (``["visual,conversation", "logo"]``); None means all of :data:`OPTIONS`. ``faces``
    implies ``visual`` (faces are looked for on the keyframes)."""
    if names is None:
        return frozenset(OPTIONS)
    chosen: set[Option] = set()
    for name in names:
        for part in str(name).split(","):
            key = part.strip().lower()
            if not key:
                continue
            if key not in (*OPTIONS, *OPT_IN):
                raise InvalidArgument(
                    f"unknown analysis option {key!r}; choose from {', '.join((*OPTIONS, *OPT_IN))}"
                )
            chosen.add(key)
    if not chosen:
        raise InvalidArgument(f"choose at least one option of {', '.join(OPTIONS)}")
    if "faces" in chosen:
        chosen.add("visual")
    return frozenset(chosen)


def search_options(
    names: Iterable[str], available: Sequence[str] | None = None
) -> tuple[Option, ...]:
    """The options a search looks through, in the order given, each once (``transcription``
    -> ``conversation``; ``audio`` -> ``audio`` and ``conversation``, see
    :data:`SEARCH_ALIASES`). With ``available`` (the index's options), what a name covers is
    kept to those, and a name covering none of them is refused (400 ``option_not_in_index``,
    naming it); ``InvalidArgument`` for an unknown name or none."""
    found: list[Option] = []
    for raw in names:
        key = raw.strip().lower()
        if key not in OPTIONS and key not in SEARCH_ALIASES:
            raise InvalidArgument(
                f"search_options: unknown option {raw!r}; choose from "
                f"{', '.join(OPTIONS)} (or transcription)",
                param="search_options",
            )
        covered = SEARCH_ALIASES.get(key) or tuple(o for o in OPTIONS if o == key)
        if available is not None:
            covered = tuple(o for o in covered if o in available)
            if not covered:
                raise InvalidArgument(
                    f"search_options: {key} is not enabled on this index; it has "
                    f"{', '.join(available)}",
                    code="option_not_in_index",
                    param="search_options",
                )
        found.extend(o for o in covered if o not in found)
    if not found:
        raise InvalidArgument(
            "search_options must name at least one option", param="search_options"
        )
    return tuple(found)
