"""``hygie awareness``: training sessions and phishing simulations (GoPhish), rates per department."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from hygie.assess import evidence
from hygie.awareness import service, trainings_csv
from hygie.awareness.gophish import GophishResults, campaign_name, parse_csv, parse_time, read_mapping
from hygie.awareness.gophish_api import API_KEY_ENV, GophishClient, GophishError
from hygie.awareness.models import UNKNOWN_DEPARTMENT, RecordSource, StaffCategory, TrainingFormat
from hygie.awareness.schemas import PhishingCampaignOut, TrainingIn, TrainingOut
from hygie.cli.common import (
    EstablishmentArg,
    JsonOption,
    LangOption,
    console,
    database,
    error_console,
    handle_errors,
    print_json,
)
from hygie.core.errors import ImportRejectedError
from hygie.core.formatting import fmt_number, fmt_percent
from hygie.core.i18n import gettext, normalise_language
from hygie.frameworks.service import get_library
from hygie.org import audit
from hygie.org import service as org_service

app = typer.Typer(
    help="Sensibilisation / awareness: trainings, phishing simulations (GoPhish), rates per department.",
    no_args_is_help=True,
)
trainings_app = typer.Typer(help="Sessions de formation / training sessions.", no_args_is_help=True)
phishing_app = typer.Typer(help="Simulations d'hameçonnage / phishing simulations.", no_args_is_help=True)
app.add_typer(trainings_app, name="trainings")
app.add_typer(phishing_app, name="phishing")

DateOption = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Date (YYYY-MM-DD)")]


def _cells(table: Table, *cells: str) -> None:
    """A row of plain text: a department's name read from a file is never markup."""
    table.add_row(*(Text(cell) for cell in cells))


def _department(name: str, lang: str) -> str:
    return name if name != UNKNOWN_DEPARTMENT else gettext("Unknown department", lang)


def _change(value: float | None, lang: str) -> str:
    if value is None:
        return "–"
    sign = "+" if value > 0 else ""
    return f"{sign}{fmt_number(value, lang)} pt"


def _rejected(name: str, exc: ImportRejectedError, lang: str) -> typer.Exit:
    rejected = gettext("%(count)s problem(s), nothing imported", lang) % {"count": len(exc.problems)}
    error_console.print(f"[bold red]{escape(name)}[/] : {rejected}", highlight=False)
    for problem in exc.problems:
        error_console.print(f"  - {problem}", markup=False, highlight=False)
    return typer.Exit(1)


# --- Trainings ------------------------------------------------------------------------------------


@trainings_app.command("add")
@handle_errors
def trainings_add(
    establishment: EstablishmentArg,
    held_on: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Day of the session")],
    topic: Annotated[str, typer.Option(help="Topic (phishing, passwords…)")],
    training_format: Annotated[TrainingFormat, typer.Option("--format", help="How it was given")],
    department: Annotated[str, typer.Option(help="Department (care department or service)")],
    category: Annotated[StaffCategory, typer.Option(help="Staff category")],
    invited: Annotated[int, typer.Option(min=0, help="Staff invited")],
    completed: Annotated[int, typer.Option(min=0, help="Staff who completed it")],
    as_json: bool = JsonOption,
) -> None:
    """Record one training session with its invited and completed counts."""
    data = TrainingIn(
        held_on=held_on.date(),
        topic=topic,
        format=training_format,
        department=department,
        staff_category=category,
        invited=invited,
        completed=completed,
    )
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        row = service.add_training(session, target.id, data)
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="awareness.training.add",
            object_type="awareness_training",
            object_id=row.id,
            establishment_id=target.id,
        )
        evidence.refresh_latest(session, target.id, get_library())  # as the API and pages do
        out = TrainingOut.model_validate(row)
    if as_json:
        print_json(out)
        return
    console.print(f"#{out.id} {escape(out.topic)} — {escape(out.department)} ({out.completed}/{out.invited})")


@trainings_app.command("import")
@handle_errors
def trainings_import(
    establishment: EstablishmentArg,
    file: Annotated[Path, typer.Argument(help="Training CSV (one line per session or per person)")],
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Import a training CSV: all of it, or nothing when any cell is wrong."""
    lang = normalise_language(lang)
    try:
        sessions = trainings_csv.parse(file)
    except ImportRejectedError as exc:
        raise _rejected(file.name, exc, lang) from exc
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        report = service.import_trainings(session, target.id, sessions, file.name)
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="awareness.training.import",
            object_type="awareness_training",
            establishment_id=target.id,
            details=report.model_dump(),
        )
        evidence.refresh_latest(session, target.id, get_library())  # as the API and pages do
    if as_json:
        print_json(report)
        return
    summary = gettext("%(sessions)s session(s), %(completed)s completed out of %(invited)s invited", lang)
    console.print(f"[bold]{escape(report.file_name)}[/] — {summary % report.model_dump()}", highlight=False)


@trainings_app.command("list")
@handle_errors
def trainings_list(
    establishment: EstablishmentArg, lang: str = LangOption, as_json: bool = JsonOption
) -> None:
    """The training sessions, latest first."""
    lang = normalise_language(lang)
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        rows = [TrainingOut.model_validate(t) for t in service.list_trainings(session, target.id)]
    if as_json:
        print_json(rows)
        return

    def _(message: str) -> str:
        return gettext(message, lang)

    table = Table(_("Date"), _("Topic"), _("Format"), _("Department"), _("Staff category"), _("Completion"))
    for row in rows:
        rate = fmt_percent(100 * row.completed / row.invited if row.invited else None, lang)
        _cells(
            table,
            row.held_on.isoformat(),
            row.topic,
            row.format.value,
            row.department,
            row.staff_category.value,
            f"{row.completed}/{row.invited} ({rate})",
        )
    console.print(table)


# --- Phishing -------------------------------------------------------------------------------------


def _store(
    establishment: str,
    name: str,
    results: GophishResults,
    source: RecordSource,
    mapping: dict[str, str],
    launched_on: date | None,
    file_name: str | None,
) -> PhishingCampaignOut:
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        campaign = service.import_phishing(
            session,
            target.id,
            name,
            results,
            source=source,
            mapping=mapping,
            launched_on=launched_on,
            file_name=file_name,
        )
        out = service.campaign_out(campaign)
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="awareness.phishing.import",
            object_type="phishing_campaign",
            object_id=campaign.id,
            establishment_id=target.id,
            details={"name": out.name, "source": source.value, "recipients": out.totals.recipients},
        )
        evidence.refresh_latest(session, target.id, get_library())  # as the API and pages do
    return out


def _print_campaign(out: PhishingCampaignOut, lang: str) -> None:
    def _(message: str) -> str:
        return gettext(message, lang)

    table = Table(
        _("Department"), _("Recipients"), _("Opened"), _("Clicked"), _("Submitted data"), _("Reported"),
        title=f"{out.name} ({out.launched_on.isoformat()})",
    )  # fmt: skip
    for row in [*out.departments, out.totals]:
        label = _department(row.department, lang) if row is not out.totals else _("All departments")
        _cells(
            table,
            label,
            f"{row.sent}/{row.recipients}",
            fmt_percent(row.open_rate, lang),
            fmt_percent(row.click_rate, lang),
            fmt_percent(row.submit_rate, lang),
            fmt_percent(row.report_rate, lang),
        )
    console.print(table)


@phishing_app.command("import")
@handle_errors
def phishing_import(
    establishment: EstablishmentArg,
    file: Annotated[Path, typer.Argument(help="GoPhish export: « Results » or « Raw Events » CSV")],
    name: Annotated[str | None, typer.Option(help="Campaign name (the file's name otherwise)")] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="CSV: e-mail address or GoPhish position → department")
    ] = None,
    launched: DateOption = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Import a phishing campaign from GoPhish's CSV export; only counts per department are kept."""
    lang = normalise_language(lang)
    try:
        results = parse_csv(file)
        departments = read_mapping(mapping) if mapping else {}
    except ImportRejectedError as exc:
        raise _rejected(exc.source, exc, lang) from exc
    out = _store(
        establishment,
        name or campaign_name(file.name),
        results,
        RecordSource.GOPHISH_CSV,
        departments,
        launched.date() if launched else None,
        file.name,
    )
    if as_json:
        print_json(out)
        return
    _print_campaign(out, lang)


@phishing_app.command("import-gophish")
@handle_errors
def phishing_import_gophish(
    establishment: EstablishmentArg,
    url: Annotated[str, typer.Option(help="GoPhish's admin address (https://host:3333)")],
    api_key: Annotated[
        str,
        typer.Option(envvar=API_KEY_ENV, help="GoPhish API key (never stored)", show_default=False),
    ] = "",
    campaign: Annotated[
        list[int] | None, typer.Option(help="GoPhish campaign id (repeat it; every campaign otherwise)")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="CSV: e-mail address or GoPhish position → department")
    ] = None,
    insecure: Annotated[
        bool, typer.Option(help="Accept GoPhish's self-signed certificate (its default install)")
    ] = False,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Import campaigns from GoPhish's API; a campaign imported before is replaced."""
    lang = normalise_language(lang)
    departments = read_mapping(mapping) if mapping else {}
    wanted = set(campaign or [])
    imported: list[PhishingCampaignOut] = []
    with GophishClient(url, api_key, verify=not insecure) as client:
        summaries = [c for c in client.campaigns() if not wanted or c.id in wanted]
        missing = wanted - {c.id for c in summaries}
        if missing:
            raise GophishError(f"GoPhish has no campaign {', '.join(map(str, sorted(missing)))}")
        if not wanted:  # every campaign: the drafts not launched yet are left out
            summaries = [c for c in summaries if c.status != "Created" and parse_time(c.launch_date or "")]
        for summary in summaries:
            results = client.results(summary)
            if not results.recipients:
                continue
            imported.append(
                _store(
                    establishment,
                    results.name or summary.name,
                    results,
                    RecordSource.GOPHISH_API,
                    departments,
                    None,
                    None,
                )
            )
    if as_json:
        print_json(imported)
        return
    for out in imported:
        _print_campaign(out, lang)


@phishing_app.command("list")
@handle_errors
def phishing_list(
    establishment: EstablishmentArg, lang: str = LangOption, as_json: bool = JsonOption
) -> None:
    """The phishing campaigns, latest first, with their overall rates."""
    lang = normalise_language(lang)
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        rows = [service.campaign_out(c) for c in service.list_campaigns(session, target.id)]
    if as_json:
        print_json(rows)
        return

    def _(message: str) -> str:
        return gettext(message, lang)

    table = Table(
        "#", _("Campaign"), _("Date"), _("Recipients"), _("Clicked"), _("Submitted data"), _("Reported")
    )
    for row in rows:
        _cells(
            table,
            str(row.id),
            row.name,
            row.launched_on.isoformat(),
            str(row.totals.recipients),
            fmt_percent(row.totals.click_rate, lang),
            fmt_percent(row.totals.submit_rate, lang),
            fmt_percent(row.totals.report_rate, lang),
        )
    console.print(table)


@phishing_app.command("rates")
@handle_errors
def phishing_rates(
    establishment: EstablishmentArg, lang: str = LangOption, as_json: bool = JsonOption
) -> None:
    """Per department: training completion (twelve months), latest click and report rates, and their
    change since the campaign before."""
    lang = normalise_language(lang)
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        view = service.overview(session, target.id)
    if as_json:
        print_json(view)
        return

    def _(message: str) -> str:
        return gettext(message, lang)

    table = Table(
        _("Department"), _("Training completion"), _("Clicked"), _("Change"), _("Submitted data"),
        _("Reported"), _("Change"),
    )  # fmt: skip
    for row in view.departments:
        _cells(
            table,
            _department(row.department, lang),
            fmt_percent(row.completion_rate, lang),
            fmt_percent(row.click_rate, lang),
            _change(row.click_change, lang),
            fmt_percent(row.submit_rate, lang),
            fmt_percent(row.report_rate, lang),
            _change(row.report_change, lang),
        )
    console.print(table)
