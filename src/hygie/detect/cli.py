"""``hygie logs``: ingest log files into an establishment's event store, and show what it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hygie.cli.common import (
    EstablishmentArg,
    JsonOption,
    LangOption,
    console,
    database,
    handle_errors,
    print_json,
)
from hygie.core.errors import ValidationError
from hygie.core.formatting import fmt_number
from hygie.core.i18n import gettext
from hygie.core.settings import get_settings
from hygie.core.time import is_known_zone
from hygie.detect.events import count_events
from hygie.detect.ingest import READERS, IngestReport, ingest_paths
from hygie.detect.ingest.pipeline import expand
from hygie.org import service as org_service

app = typer.Typer(help="Logs: ingestion into the event store (EVTX, NDJSON, syslog, mail, metrics).")

SOURCE_CHOICES = ("auto", *READERS)
MAX_PROBLEMS_SHOWN = 20


def _establishment_id(key: str) -> int:
    with database() as session:
        return org_service.find_establishment(session, key).id


def _report_json(report: IngestReport) -> dict[str, object]:
    return {
        "events": report.events,
        "corrupt": report.corrupt,
        "truncated": report.truncated,
        "files": [
            {
                "file": f.file,
                "sha256": f.sha256,
                "source": f.source,
                "events": f.events,
                "corrupt": f.corrupt,
                "truncated": f.truncated,
                "already_ingested": f.already_ingested,
                "skipped": f.skipped,
                "days": f.days,
                "problems": [{"offset": p.offset, "reason": p.reason} for p in f.problems],
            }
            for f in report.files
        ],
    }


@app.command("ingest")
@handle_errors
def ingest(
    establishment: EstablishmentArg,
    paths: Annotated[list[Path], typer.Argument(help="Log files or folders (read recursively)")],
    source: Annotated[
        str, typer.Option(help="Format: auto (from the content), " + ", ".join(READERS))
    ] = "auto",
    timezone: Annotated[
        str, typer.Option(help="Zone of times written without one (RFC 3164 syslog), e.g. Europe/Paris")
    ] = "UTC",
    workers: Annotated[int, typer.Option(min=1, help="Files read at once, one process each")] = 1,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Ingest log files; a file already ingested (same content) is not stored twice."""

    def _(message: str) -> str:
        return gettext(message, lang)

    if source not in SOURCE_CHOICES:
        raise ValidationError(f"--source: {source!r} ∉ {', '.join(SOURCE_CHOICES)}")
    if not is_known_zone(timezone):
        raise ValidationError(f"--timezone: {timezone!r}, an IANA time zone such as Europe/Paris or UTC")
    zone = ZoneInfo(timezone)
    establishment_id = _establishment_id(establishment)
    files = expand(paths)
    settings = get_settings()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[events]}"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
        transient=True,
    ) as progress:
        task = progress.add_task(_("Ingesting"), total=len(files), events="")
        done = {"files": 0}

        def on_file(path: Path) -> None:
            if done["files"]:
                progress.advance(task)
            done["files"] += 1
            progress.update(task, description=path.name[:40], events="")

        events_word = _("events")

        def on_events(count: int) -> None:
            progress.update(task, events=f"{fmt_number(count, lang)} {events_word}")

        report = ingest_paths(
            settings, establishment_id, files, source, timezone=zone, workers=workers, on_file=on_file,
            progress=on_events,
        )  # fmt: skip
        progress.update(task, completed=len(files))
    if as_json:
        print_json(_report_json(report))
        return
    table = Table(title=_("Ingested files"))
    for column in (_("File"), _("Format"), _("Events"), _("Corrupt records"), _("Truncated lines")):
        table.add_column(column)
    for f in report.files:
        if f.skipped:
            continue
        events = _("already ingested") if f.already_ingested else fmt_number(f.events, lang)
        table.add_row(f.file, f.source, events, fmt_number(f.corrupt, lang), fmt_number(f.truncated, lang))
    console.print(table)
    stored, corrupt, truncated = _("Events stored"), _("Corrupt records"), _("Truncated lines")
    console.print(
        f"{stored} : [bold]{fmt_number(report.events, lang)}[/] · "
        f"{corrupt} : {fmt_number(report.corrupt, lang)} · {truncated} : {fmt_number(report.truncated, lang)}"
    )
    problems = [p for f in report.files for p in f.problems]
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        console.print(f"[yellow]⚠[/] {problem}", highlight=False, markup=True)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        console.print("… " + _("see --json for every problem"))
    skipped = _("Skipped")
    for f in report.skipped:
        console.print(f"[yellow]{skipped}[/] {f.skipped}", highlight=False)


@app.command("status")
@handle_errors
def status(establishment: EstablishmentArg, lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """Events stored per format and day."""

    def _(message: str) -> str:
        return gettext(message, lang)

    establishment_id = _establishment_id(establishment)
    counts = count_events(get_settings(), establishment_id)
    if as_json:
        print_json([{"source": c.source, "day": c.day.isoformat(), "events": c.events} for c in counts])
        return
    if not counts:
        console.print(_("No event stored yet: hygie logs ingest KEY PATH…"))
        return
    table = Table(title=_("Stored events"))
    for column in (_("Format"), _("Day"), _("Events")):
        table.add_column(column)
    for c in counts:
        table.add_row(c.source, c.day.isoformat(), fmt_number(c.events, lang))
    console.print(table)
    total = _("Total")
    console.print(f"{total} : [bold]{fmt_number(sum(c.events for c in counts), lang)}[/]")
