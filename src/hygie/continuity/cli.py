"""``hygie continuity``: care services, applications and dependencies, impact of a loss, backups and
restore tests, backup job reports, crisis exercises and the scenario library."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from hygie.assess import evidence
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
from hygie.continuity import jobreports, service, views
from hygie.continuity.labels import hours, label
from hygie.continuity.models import (
    ApplicationKind,
    Criticality,
    ExerciseKind,
    JobReportFormat,
    MediaKind,
    ServiceKind,
)
from hygie.continuity.scenarios import scenarios as scenario_library
from hygie.continuity.schemas import (
    ApplicationIn,
    DependencyIn,
    ExerciseIn,
    LessonIn,
    PolicyIn,
    RestoreTestIn,
    ServiceIn,
    ServiceOut,
)
from hygie.core.errors import ImportRejectedError
from hygie.core.i18n import gettext, normalise_language
from hygie.core.time import today
from hygie.frameworks.service import get_library
from hygie.org import audit
from hygie.org import service as org_service

app = typer.Typer(
    help="Continuité des soins / continuity of care: services, dependencies, impact, backups, exercises.",
    no_args_is_help=True,
)
VERDICT_STYLE = {"within": "green", "unknown": "yellow", "over": "red"}


def _row(table: Table, *cells: str) -> None:
    """Cells as plain text: a name read from a file is never Rich markup."""
    table.add_row(*(Text(c) for c in cells))


def _translator(lang: str) -> Callable[[str], str]:
    def translate(message: str) -> str:
        return gettext(message, lang)

    return translate


def _audit(
    session: Session, establishment_id: int, action: str, object_type: str, object_id: int | None
) -> None:
    """Every write of the CLI: its audit entry, then the assessment's evidence gaps brought up to date (as
    the API and the pages do)."""
    audit.record(
        session,
        actor=audit.cli_actor(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        establishment_id=establishment_id,
    )
    evidence.refresh_latest(session, establishment_id, get_library())


# --- Services, applications, dependencies ----------------------------------------------------------


@app.command("services")
@handle_errors
def services_(establishment: EstablishmentArg, lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """The care services with their RTO/RPO, degraded-mode procedure and business impact."""
    lang = normalise_language(lang)
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        rows = service.readiness(session, target.id)
        if as_json:
            print_json(
                [
                    {
                        **ServiceOut.model_validate(row).model_dump(mode="json"),
                        "tested_restore_hours": ready.restore_hours,
                        "verdict": ready.verdict.value,
                        "procedure_overdue": service.procedure_overdue(row, today()),
                    }
                    for row, ready in rows
                ]
            )
            return
        _ = _translator(lang)
        table = Table(_("Care service"), _("Kind"), "RTO", "RPO", _("Tested restore"), _("Business impact"))
        for row, ready in rows:
            table.add_row(
                Text(row.name),
                label(row.kind, lang),
                hours(row.rto_hours, lang),
                hours(row.rpo_hours, lang),
                hours(ready.restore_hours, lang),
                Text(label(ready.verdict, lang), style=VERDICT_STYLE[ready.verdict.value]),
            )
        console.print(table)


@app.command("add-service")
@handle_errors
def add_service(
    establishment: EstablishmentArg,
    name: Annotated[str, typer.Argument(help="The establishment's name for the service")],
    rto: Annotated[float, typer.Option("--rto", help="Longest bearable interruption (DMIA), hours")],
    rpo: Annotated[float, typer.Option("--rpo", help="Largest bearable data loss (PDMA), hours")],
    kind: Annotated[ServiceKind, typer.Option(help="Kind of care service")] = ServiceKind.OTHER,
    procedure: Annotated[str | None, typer.Option(help="Degraded-mode procedure: document reference")] = None,
    reviewed_on: Annotated[str | None, typer.Option(help="Last review of the procedure (YYYY-MM-DD)")] = None,
) -> None:
    """Declare a care service."""
    data = ServiceIn(
        name=name,
        kind=kind,
        rto_hours=rto,
        rpo_hours=rpo,
        procedure_ref=procedure,
        procedure_reviewed_on=date.fromisoformat(reviewed_on) if reviewed_on else None,
    )
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        row = service.create_service(session, target.id, data)
        _audit(session, target.id, "continuity_service.create", "continuity_service", row.id)
        console.print(f"#{row.id} {escape(row.name)}", highlight=False)


@app.command("apps")
@handle_errors
def apps(establishment: EstablishmentArg, lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """The applications, the assets they run on and what depends on them."""
    lang = normalise_language(lang)
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        out = views.applications_out(session, target.id)
        if as_json:
            print_json(out)
            return
        table = Table("#", gettext("Application", lang), gettext("Kind", lang), gettext("Assets", lang))
        for a in out:
            _row(table, str(a.id), a.name, label(a.kind, lang), ", ".join(str(i) for i in a.asset_ids))
        console.print(table)


@app.command("add-app")
@handle_errors
def add_app(
    establishment: EstablishmentArg,
    name: Annotated[str, typer.Argument(help="The application's name")],
    kind: Annotated[ApplicationKind, typer.Option(help="Kind of application")] = ApplicationKind.OTHER,
    asset: Annotated[
        list[int] | None, typer.Option(help="Id of an asset of the inventory it runs on")
    ] = None,
) -> None:
    """Declare an application and the assets it runs on."""
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        row = service.create_application(session, target.id, ApplicationIn(name=name, kind=kind))
        for asset_id in asset or []:
            service.link_asset(session, target.id, row.id, asset_id)
        _audit(session, target.id, "continuity_application.create", "continuity_application", row.id)
        console.print(f"#{row.id} {escape(row.name)}", highlight=False)


@app.command("depend")
@handle_errors
def depend(
    establishment: EstablishmentArg,
    on: Annotated[str, typer.Argument(help="The application depended on: id or name")],
    of_service: Annotated[str | None, typer.Option("--service", help="The dependent care service")] = None,
    of_app: Annotated[str | None, typer.Option("--app", help="The dependent application")] = None,
    criticality: Annotated[
        Criticality, typer.Option(help="blocking: it stops; degraded")
    ] = Criticality.BLOCKING,
) -> None:
    """Record that a care service or an application depends on an application."""
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        data = DependencyIn(
            service_id=service.find_service(session, target.id, of_service).id if of_service else None,
            application_id=service.find_application(session, target.id, of_app).id if of_app else None,
            on_application_id=service.find_application(session, target.id, on).id,
            criticality=criticality,
        )
        row = service.add_dependency(session, target.id, data)
        _audit(session, target.id, "continuity_dependency.create", "continuity_dependency", row.id)
        console.print(f"#{row.id}", highlight=False)


@app.command("impact")
@handle_errors
def impact_(
    establishment: EstablishmentArg,
    asset: Annotated[int | None, typer.Option(help="Id of the lost asset")] = None,
    application: Annotated[str | None, typer.Option("--app", help="The lost application: id or name")] = None,
    zone: Annotated[str | None, typer.Option(help="The lost network zone")] = None,
    attacker_zone: Annotated[
        str | None,
        typer.Option(help="An attacker's network zone: what its open flows reach (network analysis) is lost"),
    ] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Which care services stop if this asset, application or network zone is lost, and for how long;
    or if an attacker holds a zone and everything the firewalls let them reach from it."""
    lang = normalise_language(lang)
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        app_id = service.find_application(session, target.id, application).id if application else None
        result, reached = service.impact_and_reach(
            session, target.id, asset_id=asset, application_id=app_id, zone=zone, attacker_zone=attacker_zone
        )
        out = views.impact_out(result, service.graph(session, target.id), lang, reached)
    if as_json:
        print_json(out)
        return
    _ = _translator(lang)
    if reached is not None:
        zones = ", ".join(f"{z} ({h})" for z, h in reached.items())
        reached_text = _("Zones the attacker reaches (open flows crossed)")
        console.print(f"{reached_text} : {escape(zones)}", highlight=False)
    console.print(
        f"{_('Applications lost')} : {escape(', '.join(out.lost_applications) or '—')}", highlight=False
    )
    table = Table(
        _("Care service"), _("Effect"), _("Through"), "RTO", _("Estimated outage"), _("Business impact")
    )
    for s, raw in zip(out.services, result.services, strict=True):
        table.add_row(
            Text(s.name),
            label(raw.effect, lang),
            Text(" → ".join(s.path)),
            hours(s.rto_hours, lang),
            hours(s.restore_hours, lang),
            Text(label(raw.verdict, lang), style=VERDICT_STYLE[s.verdict]),
        )
    console.print(table)


# --- Backups ---------------------------------------------------------------------------------------


@app.command("backups")
@handle_errors
def backups_(establishment: EstablishmentArg, lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """The backup policies with their 3-2-1-1-0 score rule by rule, and the alarms."""
    lang = normalise_language(lang)
    _ = _translator(lang)
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        out = [views.policy_out(s, lang) for s in service.backup_statuses(session, target.id)]
        alarms = service.alarms(session, target.id)
    if as_json:
        print_json(
            {"policies": [p.model_dump(mode="json") for p in out], "alarms": [a.__dict__ for a in alarms]}
        )
        return
    table = Table(
        _("Application"), "3-2-1-1-0", _("Missed rules"), _("Last restore test"), _("Next test due")
    )
    for p in out:
        missed = "\n".join(r.reason or "" for r in p.rules if not r.met)
        _row(
            table,
            p.application,
            f"{p.score}/{p.out_of}",
            missed,
            f"{p.last_restore_on} ({hours(p.last_restore_hours, lang)})" if p.last_restore_on else "—",
            str(p.restore_due_on or _("now")),
        )
    console.print(table)
    for alarm in alarms:
        error_console.print(
            f"[bold red]{_('Alarm')}[/] {escape(alarm.application)} : {alarm.kind} {alarm.since or ''}"
        )


@app.command("set-backup")
@handle_errors
def set_backup(
    establishment: EstablishmentArg,
    application: Annotated[str, typer.Argument(help="The application: id or name")],
    copies: Annotated[int, typer.Option(help="Copies of the data, the production data included")],
    media: Annotated[list[MediaKind] | None, typer.Option(help="A kind of media holding a copy")] = None,
    offsite: Annotated[int, typer.Option(help="Copies off site")] = 0,
    offline: Annotated[bool, typer.Option(help="One copy is offline")] = False,
    immutable: Annotated[bool, typer.Option(help="One copy is immutable")] = False,
    every: Annotated[int, typer.Option(help="Restore test every N days")] = 180,
    job: Annotated[str | None, typer.Option(help="The job's name in the backup tool")] = None,
) -> None:
    """Set the application's backup policy."""
    data = PolicyIn(
        copies=copies,
        media=media or [],
        offsite_copies=offsite,
        offline_copy=offline,
        immutable_copy=immutable,
        test_every_days=every,
        job_name=job,
    )
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        app_id = service.find_application(session, target.id, application).id
        row = service.set_policy(session, target.id, app_id, data)
        _audit(session, target.id, "backup_policy.set", "continuity_backup_policy", row.id)


@app.command("restore-test")
@handle_errors
def restore_test(
    establishment: EstablishmentArg,
    application: Annotated[str, typer.Argument(help="The application restored: id or name")],
    duration: Annotated[float, typer.Option("--hours", help="How long the restore took, hours")],
    tested_on: Annotated[str, typer.Option("--on", help="Date of the test (YYYY-MM-DD)")],
    failed: Annotated[bool, typer.Option("--failed", help="The restore did not succeed")] = False,
    data_loss: Annotated[float | None, typer.Option(help="Data lost, hours")] = None,
    notes: Annotated[str | None, typer.Option(help="Notes")] = None,
) -> None:
    """Log a restore test of an application's backup."""
    data = RestoreTestIn(
        tested_on=date.fromisoformat(tested_on),
        duration_hours=duration,
        success=not failed,
        data_loss_hours=data_loss,
        notes=notes,
    )
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        app_id = service.find_application(session, target.id, application).id
        row = service.log_restore_test(session, target.id, app_id, data)
        _audit(session, target.id, "restore_test.create", "continuity_restore_test", row.id)


@app.command("import-backups")
@handle_errors
def import_backups(
    establishment: EstablishmentArg,
    file: Annotated[Path, typer.Argument(help="Hygie's backup CSV or Veeam's session export (CSV)")],
    report_format: Annotated[
        JobReportFormat | None, typer.Option("--format", help="Guessed from the header otherwise")
    ] = None,
    timezone: Annotated[
        str, typer.Option(help="Zone of times without an offset")
    ] = jobreports.DEFAULT_TIMEZONE,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Import a backup job report: all of it, or nothing when any cell is wrong."""
    lang = normalise_language(lang)
    try:
        fmt, records, notes = jobreports.read_job_report(file, report_format, timezone=timezone)
    except ImportRejectedError as exc:
        rejected = gettext("%(count)s problem(s), nothing imported", lang) % {"count": len(exc.problems)}
        error_console.print(f"[bold red]{escape(file.name)}[/] : {rejected}", highlight=False)
        for problem in exc.problems:
            error_console.print(f"  - {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from exc
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        result = service.import_jobs(session, target.id, records, fmt, file.name)
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="backup_jobs.import",
            object_type="continuity_backup_job",
            establishment_id=target.id,
            details={"file": file.name, "format": fmt.value, "created": result.created},
        )
    if as_json:
        print_json({**result.model_dump(mode="json"), "notes": notes})
        return
    console.print(
        gettext("%(created)s job run(s) imported, %(known)s already known", lang)
        % {"created": result.created, "known": result.already_known},
        highlight=False,
    )
    for name in result.unmatched_jobs:
        console.print(gettext("No backup policy names the job %(job)s", lang) % {"job": escape(name)})


# --- Exercises -------------------------------------------------------------------------------------


@app.command("exercises")
@handle_errors
def exercises(establishment: EstablishmentArg, lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """The crisis exercises with their lessons, and what is overdue."""
    lang = normalise_language(lang)
    _ = _translator(lang)
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        out = [views.exercise_out(session, target.id, e) for e in service.list_exercises(session, target.id)]
        status = service.exercise_status(session, target.id)
    if as_json:
        print_json({"exercises": [e.model_dump(mode="json") for e in out], "status": status.__dict__})
        return
    table = Table("#", _("Date"), _("Exercise"), _("Kind"), _("Crisis cell"), _("Lessons"))
    for e in out:
        _row(
            table,
            str(e.id),
            e.held_on.isoformat(),
            e.title,
            label(e.kind, lang),
            "✓" if e.crisis_cell else "",
            str(len(e.lessons)),
        )
    console.print(table)
    if status.exercise_overdue:
        error_console.print(_("No crisis exercise for 12 months"))
    if status.crisis_cell_overdue:
        error_console.print(_("Crisis cell not trained for 12 months"))


@app.command("add-exercise")
@handle_errors
def add_exercise(
    establishment: EstablishmentArg,
    title: Annotated[str, typer.Argument(help="Title of the exercise")],
    kind: Annotated[ExerciseKind, typer.Option(help="table_top, technical or full_scale")],
    held_on: Annotated[str, typer.Option("--on", help="Date (YYYY-MM-DD)")],
    scenario: Annotated[str | None, typer.Option(help="Scenario id of the library")] = None,
    participant: Annotated[list[str] | None, typer.Option(help="A participant's role")] = None,
    objective: Annotated[list[str] | None, typer.Option(help="An objective")] = None,
    crisis_cell: Annotated[bool, typer.Option("--crisis-cell", help="The crisis cell took part")] = False,
    observations: Annotated[str | None, typer.Option(help="Observations")] = None,
) -> None:
    """Record a crisis exercise."""
    data = ExerciseIn(
        title=title,
        kind=kind,
        held_on=date.fromisoformat(held_on),
        scenario_id=scenario,
        participants=participant or [],
        objectives=objective or [],
        crisis_cell=crisis_cell,
        observations=observations,
    )
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        row = service.create_exercise(session, target.id, data)
        _audit(session, target.id, "exercise.create", "continuity_exercise", row.id)
        console.print(f"#{row.id} {escape(row.title)}", highlight=False)


@app.command("add-lesson")
@handle_errors
def add_lesson(
    establishment: EstablishmentArg,
    exercise_id: Annotated[int, typer.Argument(help="The exercise's id")],
    text: Annotated[str, typer.Argument(help="The lesson learned")],
    control: Annotated[str | None, typer.Option(help="The control of the library it bears on")] = None,
    owner: Annotated[str | None, typer.Option(help="Make it an action of the plan with this owner")] = None,
    due: Annotated[str | None, typer.Option(help="Due date of that action (YYYY-MM-DD)")] = None,
) -> None:
    """Record a lesson learned, and make it an action of the plan (with --owner and --due)."""
    if (owner is None) != (due is None):
        raise typer.BadParameter(
            "give both --owner and --due to make the lesson an action", param_hint="--owner"
        )
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        lesson = service.add_lesson(
            session, target.id, exercise_id, LessonIn(text=text, control_id=control), get_library()
        )
        _audit(session, target.id, "lesson.create", "continuity_lesson", lesson.id)
        if owner is not None and due is not None:
            action = service.lesson_to_action(
                session, target.id, lesson.id, owner=owner, due_date=date.fromisoformat(due)
            )
            _audit(session, target.id, "action.create", "plan_action", action.id)
        console.print(f"#{lesson.id}", highlight=False)


@app.command("scenarios")
@handle_errors
def scenarios(lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """The library of hospital crisis-exercise scenarios."""
    lang = normalise_language(lang)
    if as_json:
        print_json([s.model_dump(mode="json") for s in scenario_library()])
        return
    table = Table("id", gettext("Scenario", lang), gettext("Kind", lang), show_lines=True)
    for s in scenario_library():
        table.add_row(s.id, Text(f"{s.title.get(lang)}\n{s.summary.get(lang)}"), label(s.kind, lang))
    console.print(table)


@app.command("refresh")
@handle_errors
def refresh(establishment: EstablishmentArg, as_json: bool = JsonOption) -> None:
    """Turn today's continuity gaps into findings of the plan (those gone are resolved)."""
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        found = service.refresh_findings(session, target.id)
        keys = [f.key for f in found]
    if as_json:
        print_json(keys)
        return
    for key in keys:
        console.print(escape(key), highlight=False)
