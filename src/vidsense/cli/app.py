"""Shared pieces of the ``vidsense`` command line: the app, consoles, option types, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from vidsense.config import Settings
from vidsense.errors import InvalidArgument, SourceNotFound

app = typer.Typer(
    name="vidsense",
    help="Self-hosted video understanding: probe, shots, frames, clips and more, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

T = TypeVar("T")


def _version(value: bool) -> None:
    if value:
        from vidsense import __version__

        sys.stdout.write(f"vidsense {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Self-hosted video understanding: probe, shots, frames, clips and more, offline."""


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
SourceArg = Annotated[str, typer.Argument(help="A video file path or an http(s) URL.")]


def settings() -> Settings:
    return Settings()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_json_file(path: Path, code: str = "invalid_argument") -> Any:
    """The JSON a file given on the command line holds: ``file_not_found`` without the file,
    ``code`` (an ``InvalidArgument``) when it is not JSON."""
    try:
        return json.loads(path.expanduser().read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError) as e:
        raise SourceNotFound(f"no such file: {path}") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InvalidArgument(f"{path} is not JSON: {e}", code=code) from e


def local_source(source: str, settings: Settings) -> Path:
    from vidsense.media.source import resolve_source

    return resolve_source(source, settings)


@contextmanager
def progress_bar(label: str, enabled: bool) -> Iterator[Callable[[float, float], None]]:
    """A rich progress bar on stderr (hidden when output is not a terminal or --json)."""
    if not enabled or not err.is_terminal:
        yield lambda done, total: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=100.0)

        def update(done: float, total: float) -> None:
            bar.update(task, completed=100.0 * done / total if total else 0.0)

        yield update
