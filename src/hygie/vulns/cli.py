"""``hygie feeds``: update the public vulnerability feeds, carry them to an isolated network, check them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from hygie.cli.common import JsonOption, LangOption, console, error_console, handle_errors, print_json
from hygie.core.formatting import fmt_number
from hygie.core.i18n import N_, gettext, normalise_language
from hygie.vulns.feeds import bundle as bundles
from hygie.vulns.feeds import service
from hygie.vulns.feeds.catalogue import FEEDS
from hygie.vulns.feeds.errors import FeedError

app = typer.Typer(
    help="Flux de vulnérabilités / vulnerability feeds: update, offline bundle and import, status.",
    no_args_is_help=True,
)

P = ParamSpec("P")
R = TypeVar("R")

STAGES = {
    "download": N_("downloading"),
    "parse": N_("reading and normalising"),
    "merge": N_("merging the changes into the previous data"),
    "done": N_("done"),
    "failed": N_("failed"),
}
STATES = {"ok": N_("up to date"), "stale": N_("stale"), "missing": N_("missing")}


def localised_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Shows a feed error in the command's language (French by default) and exits 1."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except FeedError as exc:
            lang = normalise_language(str(kwargs.get("lang") or ""))
            label = gettext("Error:", lang)
            error_console.print(f"[bold red]{label}[/] {escape(exc.localized(lang))}", highlight=False)
            raise typer.Exit(1) from exc

    return wrapper


def _day(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else "–"


@app.command("update")
@handle_errors
@localised_errors
def update(
    only: Annotated[
        str | None,
        typer.Option("--only", help="Comma-separated feeds (default: all): " + ",".join(FEEDS)),
    ] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Download the NVD's yearly files again instead of its last changes"),
    ] = False,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Download the feeds, check them and make them current (the previous snapshot is kept)."""
    lang = normalise_language(lang)
    names = [n.strip() for n in only.split(",") if n.strip()] if only else None
    with error_console.status("") as spinner:

        def progress(feed: str, stage: str) -> None:
            spinner.update(f"{feed}: {gettext(STAGES[stage], lang)}")

        result = service.update(names, progress=progress, full=full)
    entries = result.snapshot.manifest.feeds
    if as_json:
        print_json(
            {
                "snapshot": result.snapshot.id,
                "updated": {
                    name: entries[name].model_dump(mode="json", exclude={"problems"})
                    for name in result.updated
                },
                "failures": {f.feed: f.error.localized(lang) for f in result.failures},
            }
        )
    else:
        table = Table(
            gettext("Feed", lang),
            gettext("Version", lang),
            gettext("Rows", lang),
            gettext("Records skipped", lang),
        )
        for name in result.updated:
            entry = entries[name]
            table.add_row(
                name, entry.version or _day(entry.published), fmt_number(entry.rows, lang), str(entry.skipped)
            )
        console.print(table)
        message = gettext("Snapshot %(id)s is now current.", lang) % {"id": result.snapshot.id}
        console.print(f"[green]{message}[/]")
        for name in result.updated:
            for problem in entries[name].problems[:5]:
                console.print(f"  [yellow]{escape(name)}[/] {escape(str(problem))}", highlight=False)
        for failure in result.failures:
            label = gettext("Not updated (previous data kept):", lang)
            error_console.print(
                f"[bold red]{label}[/] {failure.feed}: {escape(failure.error.localized(lang))}",
                highlight=False,
            )
    if result.failures:
        raise typer.Exit(1)


@app.command("bundle")
@handle_errors
@localised_errors
def bundle(
    out: Annotated[Path, typer.Argument(help="Archive to write, e.g. feeds.tar.gz", dir_okay=False)],
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Write the current snapshot as one archive, to carry to a machine without internet access."""
    lang = normalise_language(lang)
    result = bundles.bundle(out)
    if as_json:
        print_json(
            {
                "path": str(result.path),
                "snapshot": result.snapshot_id,
                "files": result.files,
                "size": result.size,
            }
        )
        return
    message = gettext("Bundle %(path)s written: snapshot %(id)s, %(files)s files, %(size)s MB.", lang) % {
        "path": result.path,
        "id": result.snapshot_id,
        "files": result.files,
        "size": f"{result.size / 1_000_000:.1f}",
    }
    console.print(f"[green]{escape(message)}[/]")


@app.command("import")
@handle_errors
@localised_errors
def import_(
    path: Annotated[Path, typer.Argument(help="Archive made by `hygie feeds bundle`", dir_okay=False)],
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Check an offline bundle (checksums, safe file names, sizes, rows) and make it current."""
    lang = normalise_language(lang)
    snapshot = bundles.import_bundle(path)
    if as_json:
        print_json(
            {"snapshot": snapshot.id, "feeds": {n: e.rows for n, e in snapshot.manifest.feeds.items()}}
        )
        return
    message = gettext("Bundle checked; snapshot %(id)s is now current.", lang) % {"id": snapshot.id}
    console.print(f"[green]{escape(message)}[/]")
    _print_status(service.status(), lang)


@app.command("status")
@handle_errors
@localised_errors
def status(lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """Version, date, age and rows of each feed; warns about feeds that are stale or missing."""
    lang = normalise_language(lang)
    report = service.status()
    if as_json:
        print_json(report.model_dump(mode="json") | {"warnings": [f.feed for f in report.warnings]})
        return
    _print_status(report, lang)


def _print_status(report: service.StatusReport, lang: str) -> None:
    if report.snapshot_id is None:
        console.print(
            gettext("No feed snapshot yet: run `hygie feeds update`, or `hygie feeds import` offline.", lang)
        )
        return
    heading = gettext("Snapshot %(id)s", lang) % {"id": report.snapshot_id}
    console.print(f"[bold]{heading}[/]")
    table = Table(
        gettext("Feed", lang),
        gettext("Version", lang),
        gettext("Feed date", lang),
        gettext("Age (days)", lang),
        gettext("Rows", lang),
        gettext("State", lang),
    )
    colours: dict[str, Any] = {"ok": "green", "stale": "yellow", "missing": "red"}
    for feed in report.feeds:
        state = gettext(STATES[feed.state], lang)
        table.add_row(
            feed.feed,
            feed.version or "–",
            _day(feed.published),
            "–" if feed.age_days is None else str(feed.age_days),
            "–" if feed.rows is None else fmt_number(feed.rows, lang),
            f"[{colours[feed.state]}]{state}[/]",
        )
    console.print(table)
    for feed in report.warnings:
        if feed.state == "stale":
            warning = gettext(
                "%(feed)s is %(days)s days old (limit %(limit)s): run `hygie feeds update`.", lang
            )
            text = warning % {"feed": feed.feed, "days": feed.age_days, "limit": report.max_age_days}
        else:
            text = gettext("%(feed)s has never been downloaded.", lang) % {"feed": feed.feed}
        console.print(f"[yellow]{escape(text)}[/]")
