"""``hygie incidents``: open a case, keep its timeline, indicators and tasks, watch the regulatory
clocks, draft the reports, close it with its lessons learned.

Times are typed as ISO 8601 (``2026-03-28T14:05``); without an offset they are Paris time, what the
crisis cell reads on the wall. They are stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

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
from hygie.core.i18n import gettext, normalise_language
from hygie.core.settings import get_settings
from hygie.core.time import utcnow
from hygie.incidents import drafts, service, sharing_bridge
from hygie.incidents import hunt as incident_hunt
from hygie.incidents.clocks import PARIS, ClockStatus
from hygie.incidents.models import (
    Answer,
    CareService,
    Case,
    CaseStatus,
    Category,
    ClockKind,
    EntryKind,
    IndicatorKind,
    Severity,
)
from hygie.incidents.schemas import (
    CaseIn,
    CaseOut,
    CaseUpdate,
    ClockOut,
    ConclusionIn,
    EntryIn,
    EntryOut,
    IndicatorIn,
    IndicatorOut,
    RequestIn,
    ReviewIn,
    SentIn,
    TaskIn,
)
from hygie.incidents.sharing_bridge import ExportFormat, ImportFormat
from hygie.incidents.views import label, local_text, remaining_text
from hygie.org import audit
from hygie.org import service as org_service
from hygie.plan.models import Severity as FindingSeverity

app = typer.Typer(
    help="Incidents : dossiers, chronologie, délais réglementaires, déclarations, retour d'expérience.",
    no_args_is_help=True,
)
IncidentArg = Annotated[int, typer.Argument(help="Incident number")]
AtOption = Annotated[
    str | None, typer.Option("--at", help="When (ISO 8601; Paris time without an offset; default: now)")
]


def parse_moment(text: str, option: str = "--at") -> datetime:
    """An ISO 8601 moment; without an offset, Paris time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"{option}: {text!r} is not an ISO 8601 date and time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment.astimezone(UTC)


def _optional(text: str | None, option: str) -> datetime | None:
    return None if text is None else parse_moment(text, option)


def _case(session: Session, key: str, incident: int) -> Case:
    establishment = org_service.find_establishment(session, key)
    return service.get_case(session, establishment.id, incident)


def _audit(session: Session, case: Case, action: str, **details: object) -> None:
    audit.record(
        session,
        actor=audit.cli_actor(),
        action=action,
        object_type="incident",
        object_id=case.id,
        establishment_id=case.establishment_id,
        details=dict(details) or None,
    )


@app.command("open")
@handle_errors
def open_(
    key: EstablishmentArg,
    title: Annotated[str, typer.Option(help="Short title")],
    category: Annotated[Category, typer.Option(help="Kind of incident")],
    severity: Annotated[Severity, typer.Option(help="Severity")],
    detected: Annotated[str | None, typer.Option(help="Detected at (default: now)")] = None,
    aware: Annotated[str | None, typer.Option(help="Establishment aware at (default: detected)")] = None,
    started: Annotated[str | None, typer.Option(help="Started at, if known")] = None,
    description: Annotated[str, typer.Option(help="What is known")] = "",
    service_code: Annotated[
        list[CareService] | None, typer.Option("--service", help="Care service hit")
    ] = None,
    asset: Annotated[list[int] | None, typer.Option(help="Asset id from the inventory")] = None,
    alert: Annotated[list[str] | None, typer.Option(help="Alert reference")] = None,
    patient_data: Annotated[Answer, typer.Option(help="Patient data concerned")] = Answer.UNKNOWN,
    author: Annotated[str | None, typer.Option(help="Who records it (default: the system user)")] = None,
    as_json: bool = JsonOption,
) -> None:
    """Open an incident: the regulatory clocks start from the moment the establishment became aware."""
    data = CaseIn(
        title=title,
        category=category,
        severity=severity,
        detected_at=_optional(detected, "--detected") or utcnow(),
        aware_at=_optional(aware, "--aware"),
        started_at=_optional(started, "--started"),
        description=description,
        care_services=service_code or [],
        asset_ids=asset or [],
        alert_refs=alert or [],
        patient_data=patient_data,
    )
    with database() as session:
        establishment = org_service.find_establishment(session, key)
        case = service.open_case(session, establishment.id, data, author or audit.cli_actor())
        _audit(session, case, "incident.open")
        out = CaseOut.model_validate(case)
    if as_json:
        print_json(out)
        return
    console.print(f"Incident n° {out.id} ouvert : {out.title}")


@app.command("update")
@handle_errors
def update(
    key: EstablishmentArg,
    incident: IncidentArg,
    status: Annotated[CaseStatus | None, typer.Option(help="open or contained (close with `close`)")] = None,
    severity: Annotated[Severity | None, typer.Option()] = None,
    significant: Annotated[
        Answer | None, typer.Option(help="Significant incident (NIS2, L.1111-8-2)")
    ] = None,
    malicious: Annotated[Answer | None, typer.Option(help="Suspected malicious")] = None,
    cross_border: Annotated[Answer | None, typer.Option(help="Cross-border impact")] = None,
    patient_data: Annotated[Answer | None, typer.Option(help="Patient data concerned")] = None,
    persons: Annotated[int | None, typer.Option(help="Approximate number of persons concerned")] = None,
    high_risk: Annotated[Answer | None, typer.Option(help="High risk to the persons")] = None,
    care_impact: Annotated[str | None, typer.Option(help="Impact on care")] = None,
    measures: Annotated[str | None, typer.Option(help="Measures taken")] = None,
    root_cause: Annotated[str | None, typer.Option(help="Root cause")] = None,
    description: Annotated[str | None, typer.Option()] = None,
    tlp: Annotated[
        str | None, typer.Option(help="TLP for sharing: clear, green, amber, amber+strict, red")
    ] = None,
) -> None:
    """Change the facts of an incident (the clocks follow them)."""
    given = {
        "status": status,
        "severity": severity,
        "significant": significant,
        "malicious": malicious,
        "cross_border": cross_border,
        "patient_data": patient_data,
        "persons_affected": persons,
        "high_risk_to_persons": high_risk,
        "care_impact": care_impact,
        "measures": measures,
        "root_cause": root_cause,
        "description": description,
        "tlp": tlp,
    }
    changes = CaseUpdate.model_validate({k: v for k, v in given.items() if v is not None})
    with database() as session:
        case = _case(session, key, incident)
        changed = service.update_case(session, case, changes, audit.cli_actor())
        if changed:
            _audit(session, case, "incident.update", fields=changed)
    console.print(f"Modifié : {', '.join(changed) or 'rien'}")


@app.command("list")
@handle_errors
def list_(
    key: EstablishmentArg,
    status: Annotated[CaseStatus | None, typer.Option(help="Only this status")] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """The establishment's incidents, latest first, with their most urgent clock."""
    from hygie.incidents.clocks import most_urgent

    with database() as session:
        establishment = org_service.find_establishment(session, key)
        cases = service.list_cases(session, establishment.id, status)
        rows = [(CaseOut.model_validate(c), most_urgent(service.case_clocks(session, c))) for c in cases]
    if as_json:
        print_json([out for out, _clock in rows])
        return
    table = Table(
        "N°", "Titre", "Catégorie", "Gravité", "Statut", "Prise de connaissance", "Prochaine échéance"
    )
    now = utcnow()
    for out, clock in rows:
        urgent = (
            f"{gettext(clock.title, lang)} : {remaining_text(clock.remaining(now), lang)}"
            if clock is not None
            else ""
        )
        table.add_row(
            str(out.id),
            out.title,
            label(out.category, lang),
            label(out.severity, lang),
            label(out.status, lang),
            local_text(out.aware_at, lang),
            urgent,
        )
    console.print(table)


@app.command("show")
@handle_errors
def show(
    key: EstablishmentArg, incident: IncidentArg, lang: str = LangOption, as_json: bool = JsonOption
) -> None:
    """Everything about one incident, its clocks included."""
    with database() as session:
        case = _case(session, key, incident)
        detail = service.detail(session, case, lang)
    if as_json:
        print_json(detail)
        return
    console.print(f"[bold]Incident n° {detail.id} — {detail.title}[/]", highlight=False)
    console.print(
        f"{label(detail.category, lang)} · {label(detail.severity, lang)} · {label(detail.status, lang)} · "
        f"connu le {local_text(detail.aware_at, lang)}",
        highlight=False,
    )
    if detail.care_services:
        console.print(
            "Services : " + ", ".join(label(s, lang) for s in detail.care_services), highlight=False
        )
    _print_clocks(detail.clocks, lang)
    console.print(
        f"{len(detail.entries)} entrées de chronologie, {len(detail.indicators)} indicateurs, "
        f"{len(detail.tasks)} tâches, {len(detail.evidence)} preuves"
    )


def _print_clocks(clocks: list[ClockOut], lang: str) -> None:
    table = Table("Déclaration", "Autorité", "Échéance", "État", "Manque")
    for clock in clocks:
        if clock.status == ClockStatus.NOT_APPLICABLE:
            continue
        state = clock.status.value
        if clock.remaining_seconds is not None:
            state = remaining_text(timedelta(seconds=clock.remaining_seconds), lang)
        if clock.status == ClockStatus.OVERDUE:
            state = f"[bold red]{state}[/]"
        elif clock.sent_at is not None:
            state = f"envoyée {local_text(clock.sent_at, lang)}"
        table.add_row(
            clock.title, clock.authority, local_text(clock.deadline, lang), state, "\n".join(clock.missing)
        )
    console.print(table)


@app.command("clock")
@handle_errors
def clock(
    key: EstablishmentArg,
    incident: IncidentArg,
    sent: Annotated[ClockKind | None, typer.Option("--sent", help="Record this report as sent")] = None,
    at: AtOption = None,
    reference: Annotated[str, typer.Option(help="The authority's receipt number")] = "",
    intermediate_due: Annotated[
        str | None,
        typer.Option("--intermediate-due", help="The authority asks for an intermediate report by then"),
    ] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """The regulatory clocks of an incident; record a report as sent or an intermediate report asked for."""
    with database() as session:
        case = _case(session, key, incident)
        if sent is not None:
            service.mark_sent(
                session,
                case,
                sent,
                SentIn(sent_at=_optional(at, "--at"), reference=reference),
                audit.cli_actor(),
            )
            _audit(session, case, "incident.report_sent", clock=sent.value, reference=reference)
        if intermediate_due is not None:
            request = RequestIn(
                due_at=parse_moment(intermediate_due, "--intermediate-due"),
                requested_at=_optional(at, "--at"),
            )
            service.request_report(session, case, request, audit.cli_actor())
            _audit(session, case, "incident.report_requested")
        clocks = service.detail(session, case, lang).clocks
    if as_json:
        print_json(clocks)
        return
    _print_clocks(clocks, lang)


@app.command("timeline")
@handle_errors
def timeline(
    key: EstablishmentArg,
    incident: IncidentArg,
    add: Annotated[str | None, typer.Option("--add", help="Add this entry")] = None,
    kind: Annotated[EntryKind, typer.Option(help="Kind of the entry added")] = EntryKind.NOTE,
    at: AtOption = None,
    author: Annotated[str | None, typer.Option(help="Author (default: the system user)")] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """The timeline of an incident; ``--add`` writes a new dated entry first."""
    with database() as session:
        case = _case(session, key, incident)
        if add is not None:
            service.add_entry(
                session,
                case,
                EntryIn(text=add, kind=kind, at=_optional(at, "--at")),
                author or audit.cli_actor(),
            )
            _audit(session, case, "incident.timeline")
        entries = [EntryOut.model_validate(e) for e in case.entries]
    if as_json:
        print_json(entries)
        return
    table = Table("Quand (Paris)", "Type", "Auteur", "Texte")
    for e in entries:
        table.add_row(local_text(e.at, lang), label(e.kind, lang), e.author, e.text)
    console.print(table)


@app.command("indicator")
@handle_errors
def indicator(
    key: EstablishmentArg,
    incident: IncidentArg,
    value: Annotated[
        str | None, typer.Argument(help="Value to add (IP, domain, URL, hash, account, e-mail)")
    ] = None,
    kind: Annotated[
        IndicatorKind | None, typer.Option(help="Kind (guessed from the value when not given)")
    ] = None,
    comment: Annotated[str, typer.Option()] = "",
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """The indicators of compromise of an incident; with a value, adds it first (checked, refanged)."""
    with database() as session:
        case = _case(session, key, incident)
        if value is not None:
            service.add_indicator(
                session, case, IndicatorIn(value=value, kind=kind, comment=comment), audit.cli_actor()
            )
            _audit(session, case, "incident.indicator")
        rows = [IndicatorOut.model_validate(i) for i in case.indicators]
    if as_json:
        print_json(rows)
        return
    table = Table("N°", "Type", "Valeur", "Commentaire")
    for i in rows:
        table.add_row(str(i.id), label(i.kind, lang), i.value, i.comment)
    console.print(table)


@app.command("task")
@handle_errors
def task(
    key: EstablishmentArg,
    incident: IncidentArg,
    title: Annotated[str | None, typer.Option(help="Add a task with this title")] = None,
    owner: Annotated[str | None, typer.Option(help="Its owner")] = None,
    due: Annotated[str | None, typer.Option(help="Its due date and time")] = None,
    done: Annotated[int | None, typer.Option(help="Mark this task number done")] = None,
) -> None:
    """The tasks of an incident: add one (``--title --owner``), or mark one done (``--done N``)."""
    with database() as session:
        case = _case(session, key, incident)
        if title is not None:
            if not owner:
                raise ValidationError("a task needs an owner (--owner)")
            service.add_task(session, case, TaskIn(title=title, owner=owner, due_at=_optional(due, "--due")))
            _audit(session, case, "incident.task")
        if done is not None:
            service.set_task_done(session, case, done, True, audit.cli_actor())
            _audit(session, case, "incident.task_done", task=done)
        table = Table("N°", "Tâche", "Responsable", "Échéance", "Faite")
        for t in case.tasks:
            table.add_row(str(t.id), t.title, t.owner, local_text(t.due_at, "fr"), "oui" if t.done else "")
    console.print(table)


@app.command("evidence")
@handle_errors
def evidence(
    key: EstablishmentArg,
    incident: IncidentArg,
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="File to attach")],
) -> None:
    """Attach a file (log extract, ransom note, screenshot): stored once, its SHA-256 recorded."""
    with database() as session:
        case = _case(session, key, incident)
        with path.open("rb") as handle:
            stored = service.attach_evidence(session, case, handle, path.name, audit.cli_actor())
        _audit(session, case, "incident.evidence", sha256=stored.sha256)
        console.print(f"{stored.name} : {stored.size} octets, SHA-256 {stored.sha256}", highlight=False)


@app.command("draft")
@handle_errors
def draft(
    key: EstablishmentArg,
    incident: IncidentArg,
    kind: Annotated[ClockKind, typer.Argument(help="Which report")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (.pdf: a PDF)")] = None,
    lang: str = LangOption,
) -> None:
    """Draft the report a clock asks for, from the case's data (text, or PDF with ``-o x.pdf``)."""
    with database() as session:
        case = _case(session, key, incident)
        prepared = service.draft_for(session, case, kind, lang)
        _audit(session, case, "incident.draft", clock=kind.value)
    if output is None:
        typer.echo(drafts.render_text(prepared, lang))
    elif output.suffix.lower() == ".pdf":
        output.write_bytes(drafts.render_pdf(prepared, lang))
        console.print(f"Écrit : {output}")
    else:
        output.write_text(drafts.render_text(prepared, lang), encoding="utf-8")
        console.print(f"Écrit : {output}")


@app.command("export")
@handle_errors
def export(
    key: EstablishmentArg,
    incident: IncidentArg,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="stix (STIX 2.1), misp, iris (DFIR-IRIS) or json")
    ] = ExportFormat.JSON,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (default: standard output)")
    ] = None,
    tlp: Annotated[
        str | None,
        typer.Option(help="TLP marking (clear, green, amber, amber+strict, red); default: the case's"),
    ] = None,
    lang: str = LangOption,
) -> None:
    """Share the case: a STIX 2.1 bundle, a MISP event, a DFIR-IRIS case, or Hygie's JSON."""
    with database() as session:
        case = _case(session, key, incident)
        text = sharing_bridge.export_text(service.export_data(session, case, lang), fmt, tlp, lang)
        _audit(session, case, "incident.export", format=fmt.value)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        console.print(f"Écrit : {out}", highlight=False)


@app.command("import-indicators")
@handle_errors
def import_indicators(
    key: EstablishmentArg,
    incident: IncidentArg,
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="STIX bundle or MISP event (JSON)")
    ],
    fmt: Annotated[
        ImportFormat, typer.Option("--format", "-f", help="stix, misp or auto (from the file)")
    ] = ImportFormat.AUTO,
    as_json: bool = JsonOption,
) -> None:
    """Add the indicators of a STIX bundle or MISP event; those already there are counted, those
    not read are listed with why. All or nothing: a refused file adds nothing."""
    with database() as session:
        case = _case(session, key, incident)
        result = sharing_bridge.import_indicators(session, case, path, audit.cli_actor(), fmt)
        _audit(
            session, case, "incident.indicators_import", added=len(result.added), duplicates=result.duplicates
        )
    if as_json:
        print_json(result.out())
        return
    console.print(
        f"{result.source} : {len(result.added)} ajouté(s), {result.duplicates} déjà présent(s), "
        f"{len(result.unread)} non lu(s)",
        highlight=False,
    )
    for unread in result.unread:
        console.print(f"  - {unread.ref} {unread.text} : {unread.reason}", highlight=False, markup=False)


@app.command("review")
@handle_errors
def review(
    key: EstablishmentArg,
    incident: IncidentArg,
    what_happened: Annotated[str | None, typer.Option(help="What happened")] = None,
    what_worked: Annotated[str | None, typer.Option(help="What worked")] = None,
    what_failed: Annotated[str | None, typer.Option(help="What did not work")] = None,
    conclusion: Annotated[str | None, typer.Option(help="Add a conclusion")] = None,
    control: Annotated[
        list[str] | None, typer.Option(help="Control the conclusion bears on (a finding)")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Owner of the plan action the conclusion becomes")] = None,
    due: Annotated[str | None, typer.Option(help="Due date of that action, YYYY-MM-DD")] = None,
    severity: Annotated[FindingSeverity | None, typer.Option(help="Severity of the finding")] = None,
) -> None:
    """The closing review (lessons learned); each conclusion may become a plan action and a finding."""
    from hygie.core.settings import get_settings
    from hygie.frameworks.loader import default_library

    with database() as session:
        case = _case(session, key, incident)
        if any(v is not None for v in (what_happened, what_worked, what_failed)):
            current = ReviewIn(
                what_happened=case.review_what_happened if what_happened is None else what_happened,
                what_worked=case.review_what_worked if what_worked is None else what_worked,
                what_failed=case.review_what_failed if what_failed is None else what_failed,
            )
            service.set_review(session, case, current)
            _audit(session, case, "incident.review")
        if conclusion is not None:
            try:
                due_date = date.fromisoformat(due) if due else None
            except ValueError as exc:
                raise typer.BadParameter(f"--due: {exc}") from exc
            controls = list(default_library(get_settings().library_dir).controls) if control else None
            made = service.add_conclusion(
                session,
                case,
                ConclusionIn(
                    text=conclusion,
                    control_ids=control or [],
                    owner=owner,
                    due_date=due_date,
                    severity=severity,
                ),
                known_controls=controls,
            )
            _audit(
                session, case, "incident.conclusion", action_id=made.plan_action_id, finding=made.finding_key
            )
            action, finding = made.plan_action_id or "—", made.finding_key or "—"
            console.print(f"Conclusion n° {made.id} : action {action}, constat {finding}")


@app.command("close")
@handle_errors
def close(key: EstablishmentArg, incident: IncidentArg, at: AtOption = None) -> None:
    """Close an incident (the closing review may still be written afterwards)."""
    with database() as session:
        case = _case(session, key, incident)
        service.close_case(session, case, audit.cli_actor(), _optional(at, "--at"))
        _audit(session, case, "incident.close")
    console.print(f"Incident n° {incident} clos.")


@app.command("deadline")
@handle_errors
def deadline(
    key: EstablishmentArg,
    clock_kind: Annotated[ClockKind, typer.Argument(help="Which clock")],
    hours: Annotated[
        int | None, typer.Argument(help="The establishment's delay in hours (none: back to default)")
    ] = None,
    note: Annotated[str, typer.Option(help="Why (e.g. what the ARS asked)")] = "",
) -> None:
    """Set the establishment's own delay for a clock whose delay the texts leave open."""
    with database() as session:
        establishment = org_service.find_establishment(session, key)
        service.set_deadline(session, establishment.id, clock_kind, hours, note)
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="incident.deadline",
            object_type="establishment",
            object_id=establishment.id,
            establishment_id=establishment.id,
            details={"clock": clock_kind.value, "hours": hours},
        )
    console.print(f"{clock_kind.value} : {hours if hours else 'délai par défaut'} h")


@app.command("hunt")
@handle_errors
def hunt(
    key: EstablishmentArg, incident: IncidentArg, lang: str = LangOption, as_json: bool = JsonOption
) -> None:
    """Look for the case's indicators in the logs ingested by `hygie logs ingest`: how many events
    mention each one, on which hosts, first and last seen."""
    lang = normalise_language(lang)
    with database() as session:
        case = _case(session, key, incident)
        found = incident_hunt.hunt(case, get_settings())
        _audit(session, case, "incident.hunt", indicators=len(found))
    if as_json:
        print_json(
            [
                {
                    "kind": kind.value,
                    "value": value,
                    "events": s.events,
                    "hosts": s.hosts,
                    "first": s.first.isoformat() if s.first else None,
                    "last": s.last.isoformat() if s.last else None,
                    "event_ids": s.event_ids,
                }
                for kind, value, s in found
            ]
        )
        return
    if not found:
        console.print(gettext("The case has no indicator yet.", lang))
        return
    table = Table(
        gettext("Indicator", lang),
        gettext("Events", lang),
        gettext("Hosts", lang),
        gettext("First seen", lang),
        gettext("Last seen", lang),
    )
    for kind, value, s in found:
        table.add_row(
            f"{kind.value} {value}",
            str(s.events),
            ", ".join(s.hosts[:5]) + (" …" if len(s.hosts) > 5 else ""),
            local_text(s.first, lang),
            local_text(s.last, lang),
        )
    console.print(table)
