"""The `janitor` command line: the only place that prints and turns errors into exit codes.

Each command is a thin wrapper: it locates and checks the cache, calls the workers (scan, plan,
remove), and renders what they return. Progress and summaries go to stderr, data (`--json`) to
stdout. May import everything in janitor.
"""

from __future__ import annotations

import datetime
import functools
import json
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread
import typer

from janitor import __version__, locate, lock, plan, render, scan
from janitor import graph as graphs
from janitor import schedule as schedules
from janitor.config import load_config
from janitor.errors import EXIT_INTERRUPTED, EXIT_PARTIAL, CacheBusy, JanitorError, UsageError
from janitor.inventory import Inventory
from janitor.layout import uv
from janitor.remove import DEFAULT_WORKERS, Outcome, Removal, execute
from janitor.units import parse_duration, parse_size

_T = TypeVar("_T")
_P = ParamSpec("_P")

app = typer.Typer(
    name="janitor",
    help="Keep uv's cache clean: remove packages in one step, prune what nothing uses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

CacheDirOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="The uv cache to clean (default: as uv finds it, honouring UV_CACHE_DIR).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def _err(line: str) -> None:
    typer.echo(line, err=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"janitor {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Keep uv's cache clean."""


def _handles_errors(command: Callable[_P, None]) -> Callable[_P, None]:
    """Turn janitor's typed errors into a one-line message and their exit code."""

    @functools.wraps(command)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except JanitorError as err:
            _err(f"error: {err}")
            raise typer.Exit(err.exit_code) from None
        except KeyboardInterrupt:
            _err("Interrupted: trees already moved aside are finished by the next run")
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper


def _open_cache(cache_dir: Path | None) -> Path | None:
    """The validated cache root, or None when the default location holds no cache."""
    location = locate.locate(cache_dir)
    if not location.explicit and not location.path.exists():
        _err(f"No cache found at: {location.path}")
        return None
    return locate.validate(location)


def _run(fn: Callable[[], Awaitable[_T]]) -> _T:
    return anyio.run(fn)


class _Progress:
    """A rich progress bar on a terminal: trees, files, bytes and rate."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("Removing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("trees, {task.fields[files]:,} files, {task.fields[size]}"),
            TextColumn("({task.fields[rate]:,.0f} files/s)"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("remove", total=0, files=0, size="0B", rate=0.0)
        self.files = 0
        self.bytes = 0
        self.started = time.monotonic()
        self.progress.start()

    def on_start(self, trees: int) -> None:
        total = self.progress.tasks[0].total or 0
        self.progress.update(self.task, total=total + trees)

    def on_progress(self, files: int, size: int) -> None:
        from janitor.units import format_size

        self.files += files
        self.bytes += size
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.progress.update(
            self.task, files=self.files, size=format_size(self.bytes), rate=self.files / elapsed
        )

    def on_done(self, outcome: Outcome) -> None:
        self.progress.advance(self.task)

    def stop(self) -> None:
        self.progress.stop()


def _print_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2))


def _duration(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_duration(text).total_seconds()
    except ValueError as err:
        raise UsageError(str(err)) from None


def _size(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return parse_size(text)
    except ValueError as err:
        raise UsageError(str(err)) from None


@app.command()
@_handles_errors
def sweep(
    package: Annotated[
        list[str] | None,
        typer.Option(
            "--package",
            "-p",
            help="Remove this package from the cache in one step (repeatable).",
            show_default=False,
        ),
    ] = None,
    cache_dir: CacheDirOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Show what would be removed; remove nothing.")
    ] = False,
    ci: Annotated[
        bool, typer.Option("--ci", help="Also drop unzipped wheels, as `uv cache prune --ci`.")
    ] = False,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            help="Remove package versions not used for this long (30d, 12h, 2w).",
            show_default=False,
        ),
    ] = None,
    keep_versions: Annotated[
        int | None,
        typer.Option(
            "--keep-versions",
            min=0,
            help="Keep the N newest versions of each package per index.",
            show_default=False,
        ),
    ] = None,
    max_size: Annotated[
        str | None,
        typer.Option(
            "--max-size",
            help="Evict least recently used versions until the cache is at most this (10GiB).",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="Policy defaults (default: janitor's config.toml).", show_default=False
        ),
    ] = None,
    json_output: JsonOption = False,
    wait: Annotated[
        float | None,
        typer.Option(
            "--wait",
            help="Seconds to wait for running uv processes [default: 300].",
            min=0,
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Run without the cache lock (uv may be running).")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Parallel deletion workers [default: tuned while running, up to 64].",
            min=1,
            max=512,
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="One line per removed item.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Remove what nothing uses (as `uv cache prune`), or whole packages with --package.

    Policies (--older-than, --keep-versions, --max-size) add to either; their defaults come from
    the config file, and flags override it.
    """
    if verbose and quiet:
        raise UsageError("--verbose and --quiet cannot be used together")
    defaults = load_config(config)
    cache_dir = cache_dir if cache_dir is not None else defaults.cache_dir
    ci = ci or bool(defaults.ci)
    names = [uv.normalize(name) for name in (package or defaults.packages or [])]
    policy = plan.Policy(
        older_than=_duration(older_than)
        if older_than is not None
        else (defaults.older_than.total_seconds() if defaults.older_than else None),
        keep_versions=keep_versions if keep_versions is not None else defaults.keep_versions,
        max_size=_size(max_size) if max_size is not None else defaults.max_size,
        now=time.time(),
    )
    if wait is None:
        wait = defaults.wait.total_seconds() if defaults.wait is not None else 300.0
    workers = workers or defaults.workers or DEFAULT_WORKERS  # None: tuned while running
    root = _open_cache(cache_dir)
    if root is None:
        return
    started = time.monotonic()
    show_progress = not (quiet or json_output or dry_run) and sys.stderr.isatty()

    def on_busy() -> None:
        if not quiet and wait:
            _err(
                "Cache is currently in-use, waiting for other uv processes to finish "
                "(use `--force` to override)"
            )

    async def work() -> tuple[plan.Plan, Removal | None]:
        if dry_run:
            return await _plan(root, names, ci, policy, sizes=True), None
        if force:
            return await _sweep(root, names, ci, policy, workers, show_progress)
        async with lock.exclusive(root, wait=wait, on_busy=on_busy):
            return await _sweep(root, names, ci, policy, workers, show_progress)

    try:
        the_plan, removal = _run(work)
    except CacheBusy as busy:
        _log_run(root, names, policy, None, None, time.monotonic() - started, busy.exit_code)
        if quiet:
            raise typer.Exit(busy.exit_code) from None
        raise
    duration = time.monotonic() - started
    if json_output:
        _print_json(render.sweep_json(str(root), the_plan, removal, duration))
    elif removal is None:
        if not quiet:
            for line in render.plan_lines(the_plan, verbose):
                _err(line)
    else:
        lines = render.removal_lines(removal, the_plan.notes, verbose)
        for line in lines:
            if not quiet or line.startswith("Failed"):
                _err(line)
    if removal is not None:
        code = EXIT_PARTIAL if removal.failures else 0
        _log_run(root, names, policy, the_plan, removal, duration, code)
        if code:
            raise typer.Exit(code)


def _log_run(
    root: Path,
    names: Sequence[str],
    policy: plan.Policy,
    the_plan: plan.Plan | None,
    removal: Removal | None,
    duration: float,
    exit_code: int,
) -> None:
    """Append the run to janitor's run log; a log that cannot be written never fails a sweep."""
    document = render.sweep_json(str(root), the_plan, removal, duration) if the_plan else {}
    record = {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cache_dir": str(root),
        "policy": {
            "packages": list(names),
            "older_than_seconds": policy.older_than,
            "keep_versions": policy.keep_versions,
            "max_size": policy.max_size,
        },
        "totals": document.get("totals"),
        "errors": document.get("errors", []),
        "duration_seconds": round(duration, 3),
        "exit_code": exit_code,
    }
    from janitor import runlog  # aiofiles is only needed here: kept off start-up

    try:
        anyio.run(runlog.append_run, record)
    except OSError as err:
        _err(f"warning: cannot write the run log: {err}")


async def _plan(
    root: Path, names: Sequence[str], ci: bool, policy: plan.Policy, sizes: bool
) -> plan.Plan:
    options = scan.ScanOptions(
        sizes=policy.max_size is not None,
        times=policy.older_than is not None or policy.max_size is not None,
        stale=bool(names),
    )
    inventory = await scan.scan(root, options)
    the_plan = plan.packages(inventory, names) if names else plan.prune(inventory, ci=ci)
    if policy.active:
        disk_usage = None
        if policy.max_size is not None:
            # Size decisions need what the base plan frees, and the cache's size as du counts it.
            measured = await scan.measure_paths(root, [item.path for item in the_plan.items])
            the_plan = the_plan.with_usage(measured)
            disk_usage = (await anyio.to_thread.run_sync(scan.measure, str(root), True)).disk
        the_plan = plan.apply_policy(inventory, the_plan, policy, disk_usage)
    if sizes:
        missing = [item.path for item in the_plan.items if item.usage is None]
        the_plan = the_plan.with_usage(await scan.measure_paths(root, missing))
    return the_plan


async def _sweep(
    root: Path,
    names: Sequence[str],
    ci: bool,
    policy: plan.Policy,
    workers: int | None,
    show_progress: bool,
) -> tuple[plan.Plan, Removal]:
    the_plan = await _plan(root, names, ci, policy, sizes=False)
    progress = _Progress() if show_progress else None
    try:
        removal = await execute(root, the_plan, workers=workers, reporter=progress)
    finally:
        if progress is not None:
            progress.stop()
    return the_plan, removal


@app.command()
@_handles_errors
def report(cache_dir: CacheDirOption = None, json_output: JsonOption = False) -> None:
    """The cache at a glance: buckets, packages, environments, what a sweep would reclaim."""
    root = _open_cache(cache_dir)
    if root is None:
        return

    async def work() -> render.Report:
        inventory = await scan.scan(root, scan.ScanOptions(sizes=True, stale=False))
        buckets = [top.name for top in inventory.top if top.is_dir]
        measured = await scan.measure_paths(root, buckets)
        reclaim = plan.prune(inventory)
        reclaim = reclaim.with_usage(
            await scan.measure_paths(root, [item.path for item in reclaim.items])
        )
        return render.build_report(inventory, measured, reclaim)

    result = _run(work)
    if json_output:
        _print_json(render.report_json(result))
        return
    from janitor.chart import bar_chart

    biggest = sorted(result.packages, key=lambda row: -row.bytes)[:10]
    chart = bar_chart([(f"{row.name} {row.version}", row.bytes) for row in biggest])
    from janitor import runlog

    runs = [r for r in runlog.read_runs(limit=20) if r.get("cache_dir") == str(root)][-5:]
    for line in render.report_lines(result, chart, runs):
        typer.echo(line)


@app.command()
@_handles_errors
def why(
    archive: Annotated[str, typer.Argument(help="An archive id, or a path to an archive.")],
    cache_dir: CacheDirOption = None,
    json_output: JsonOption = False,
) -> None:
    """What references an archive: package entries and cached environments."""
    root = _open_cache(cache_dir)
    if root is None:
        raise typer.Exit(EXIT_PARTIAL)
    archive_id = Path(archive.rstrip("/\\")).name

    inventory: Inventory = _run(lambda: scan.scan(root))
    found = inventory.archives.get(archive_id)
    if found is None:
        raise UsageError(f"No archive {archive_id} in {root / inventory.bucket(uv.Kind.ARCHIVE)}")
    graph = graphs.build(inventory)
    links = graph.referrers.get(archive_id, ())
    envs = [env.path for env in inventory.environments if archive_id in env.archives]
    packages = graphs.packages_by_archive(inventory)[archive_id]
    if json_output:
        _print_json(
            {
                "archive": found.path,
                "packages": [{"name": n, "version": v} for n, v in packages],
                "environment": found.venv,
                "referenced_by": [
                    {
                        "path": link.path,
                        "package": link.package,
                        "version": link.version,
                        "windows_link_file": link.windows,
                        "environment": next((e for e in envs if link.path.startswith(e)), None),
                    }
                    for link in links
                ],
            }
        )
        return
    for line in render.why_lines(found.path, packages, links):
        typer.echo(line)


@app.command("dir")
@_handles_errors
def dir_command(cache_dir: CacheDirOption = None) -> None:
    """The cache directory janitor would use, found exactly as uv finds it."""
    typer.echo(str(locate.locate(cache_dir).path))


schedule_app = typer.Typer(
    help="Run `janitor sweep` on a timer (systemd, cron, launchd or Task Scheduler).",
    no_args_is_help=True,
)
app.add_typer(schedule_app, name="schedule")


@schedule_app.command("install")
@_handles_errors
def schedule_install(
    every: Annotated[
        schedules.Every, typer.Option("--every", help="How often the sweep runs.")
    ] = schedules.Every.DAILY,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Print what would be written and run.")
    ] = False,
    sweep_args: Annotated[
        list[str] | None,
        typer.Argument(help="Sweep options after --, e.g. -- --older-than 30d --max-size 10GiB"),
    ] = None,
) -> None:
    """Install (or replace) the scheduled sweep; idempotent."""
    args = list(sweep_args or [])
    if "--cache-dir" not in args:
        # A timer does not see the shell's UV_CACHE_DIR: fix the cache found now.
        args += ["--cache-dir", str(locate.locate(None).path)]
    job = schedules.Job(every, schedules.sweep_command(schedules.janitor_command(), args))
    steps = schedules.plan_install(job, schedules.detect_host())
    _apply_schedule(steps, dry_run)


@schedule_app.command("remove")
@_handles_errors
def schedule_remove(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Print what would be removed and run.")
    ] = False,
) -> None:
    """Remove the scheduled sweep; nothing installed is fine."""
    _apply_schedule(schedules.plan_remove(schedules.detect_host()), dry_run)


@schedule_app.command("show")
@_handles_errors
def schedule_show() -> None:
    """Show the installed schedule, if any."""
    installed = schedules.read_installed(schedules.detect_host())
    if installed is None:
        typer.echo("No janitor schedule is installed")
        return
    typer.echo(f"backend: {installed.backend.value}")
    typer.echo(f"every: {installed.every.value if installed.every else 'unknown'}")
    typer.echo(f"command: {' '.join(installed.argv)}")
    for path in installed.files:
        typer.echo(f"file: {path}")
    if installed.active is not None:
        typer.echo(f"active: {'yes' if installed.active else 'no'}")


def _apply_schedule(steps: schedules.Plan, dry_run: bool) -> None:
    if dry_run:
        for line in steps.describe():
            typer.echo(line)
    else:
        schedules.apply(steps)
        _err(f"Done ({steps.backend.value})")
    for note in steps.notes:
        _err(f"note: {note}")


def main() -> None:
    """Entry point of the `janitor` console script."""
    app()
