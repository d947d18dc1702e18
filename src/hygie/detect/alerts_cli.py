"""``hygie detect run|coverage`` and ``hygie alerts``: run the installed Sigma rules, measure their ATT&CK
coverage, list, show, triage, escalate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
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
from hygie.core.formatting import fmt_percent
from hygie.core.i18n import gettext, ngettext
from hygie.core.settings import get_settings
from hygie.detect import coverage, detectors, service
from hygie.detect.attack_catalogue import IMPORTANCE_LABELS
from hygie.detect.detectors import config as detector_config
from hygie.detect.detectors import signals
from hygie.detect.detectors.base import WorkingHours
from hygie.detect.detectors.explain import render, weekday_names
from hygie.detect.models import LEVEL_LABELS, STATUS_LABELS, Alert, AlertLevel, AlertStatus
from hygie.detect.schemas import WorkingHoursOut
from hygie.detect.sigma.cli import installed_for
from hygie.org import service as org_service

detect_app = typer.Typer(help="Detection: run the Sigma rules over the event store.", no_args_is_help=True)
alerts_app = typer.Typer(
    help="Alerts raised by the detection: list, show, triage, escalate.", no_args_is_help=True
)


def _alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "rule_id": alert.rule_id,
        "title": alert.title,
        "level": alert.level.value,
        "status": alert.status.value,
        "techniques": alert.techniques,
        "tactics": alert.tactics,
        "host": alert.host,
        "user": alert.user,
        "first_seen": alert.first_seen.isoformat(),
        "last_seen": alert.last_seen.isoformat(),
        "event_count": alert.event_count,
        "event_ids": alert.event_ids,
        "explanation": alert.explanation,
        "note": alert.note,
        "case_id": alert.case_id,
    }


@detect_app.command("run")
@handle_errors
def run_command(
    establishment: EstablishmentArg,
    engine: Annotated[str, typer.Option(help="duckdb or spark")] = "duckdb",
    master: Annotated[str, typer.Option(help="Spark master URL (with --engine spark)")] = "local[2]",
    only: Annotated[
        str, typer.Option(help="all, sigma (the rules only) or stats (the detectors only)")
    ] = "all",
    at: Annotated[
        str | None, typer.Option(help="Judge as of this time, ISO 8601 (logs of the past); default now")
    ] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Run the installed rules, with the establishment's tuning, then the statistical detectors, over the
    establishment's events, both on the chosen engine; a known burst refreshes its alert."""
    if engine not in ("duckdb", "spark"):
        raise ValidationError(f"--engine: {engine!r} ∉ duckdb, spark")
    if only not in ("all", "sigma", "stats"):
        raise ValidationError(f"--only: {only!r} ∉ all, sigma, stats")
    now = _moment(at)
    settings = get_settings()
    outcomes: list[detectors.Outcome] = []
    report = service.RunReport(0, 0, 0, [])
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        rules = installed_for(session, establishment_id) if only != "stats" else None
        # One SparkSession for the rules and the detectors: starting one costs seconds.
        spark = _spark_session(master) if engine == "spark" else None
        try:
            if rules is not None and spark is not None:
                report = service.run_detection_spark(session, settings, establishment_id, rules, spark)
            elif rules is not None:
                report = service.run_detection(session, settings, establishment_id, rules)
            if only != "sigma":
                outcomes = detectors.run_all(session, establishment_id, settings, now=now, spark=spark)
        finally:
            if spark is not None:
                spark.stop()
        covered = coverage.refresh(session, establishment_id, now.date() if now else None, settings=settings)
    if as_json:
        extra = {"coverage": {"share": round(covered.share, 4), "gaps": [g.id for g in covered.gaps]}}
        print_json(report.__dict__ | {"detectors": [_outcome_json(o, lang) for o in outcomes]} | extra)
        return
    if rules is not None:
        hits = ngettext("{n} hit", "{n} hits", report.hits, lang).format(n=report.hits)
        console.print(f"{hits}, {_alert_counts(report.created, report.updated, lang)}")
    if outcomes:
        created, updated = sum(o.created for o in outcomes), sum(o.updated for o in outcomes)
        suppressed = sum(o.suppressed for o in outcomes)
        dropped = ngettext(
            "{n} detection suppressed by the establishment's tuning",
            "{n} detections suppressed by the establishment's tuning",
            suppressed,
            lang,
        ).format(n=suppressed)
        counts = f"{_alert_counts(created, updated, lang)}, {dropped}"
        console.print(gettext("Statistical detectors: {counts}", lang).format(counts=counts))
    for outcome in outcomes:
        for note in outcome.notes:
            console.print(f"[yellow]⚠[/] {render(note.as_json(), lang)}", highlight=False)
    _coverage_line(covered, lang)


def _alert_counts(created: int, updated: int, lang: str) -> str:
    """ "1 new alert, 0 alerts updated", in the reader's language and its plural forms."""
    new = ngettext("{n} new alert", "{n} new alerts", created, lang).format(n=created)
    refreshed = ngettext("{n} alert updated", "{n} alerts updated", updated, lang).format(n=updated)
    return f"{new}, {refreshed}"


def _spark_session(master: str) -> Any:
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("hygie-detect")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")  # progress bars would bury the summary
        .getOrCreate()
    )


STATUS_STYLES = {
    coverage.Status.COVERED: "green",
    coverage.Status.NO_LOGS: "yellow",
    coverage.Status.NO_RULE: "red",
}


def _coverage_line(summary: coverage.CoverageSummary, lang: str) -> None:
    text = gettext(
        "ATT&CK coverage of the ransomware chains: {share} (weighted by importance), {gaps} gaps in the plan",
        lang,
    )
    share = fmt_percent(summary.share * 100, lang)
    console.print(text.format(share=share, gaps=len(summary.gaps)), highlight=False)


@detect_app.command("coverage")
@handle_errors
def coverage_command(
    establishment: EstablishmentArg,
    days: Annotated[
        int, typer.Option(min=1, max=366, help="A log source counts as sent with events in these last days")
    ] = coverage.DEFAULT_DAYS,
    at: Annotated[str | None, typer.Option(help="Day of the coverage, YYYY-MM-DD (default today)")] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Which ATT&CK techniques of the ransomware chains against hospitals the active rules cover with the
    logs actually sent; the gaps are stored as findings of the plan (closed ones resolved)."""
    try:
        on = date.fromisoformat(at) if at else None
    except ValueError as exc:
        raise ValidationError(f"--at: {at!r} is not a day YYYY-MM-DD") from exc
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        summary = coverage.refresh(session, establishment_id, on, days=days)
    if as_json:
        print_json(coverage.as_json(summary, lang))
        return
    _ = lambda message: gettext(message, lang)  # noqa: E731
    # One row per tactic (its share) above its techniques; the rules are counted, their titles are in
    # --json and on the page.
    table = Table(title=_("ATT&CK coverage"))
    table.add_column(_("Technique"), ratio=3)
    table.add_column(_("Status"), ratio=1)
    table.add_column(_("Rules"), justify="right")
    table.add_column(_("What to do"), ratio=3, overflow="fold")
    for tactic in summary.tactics:
        share = fmt_percent(tactic.share * 100, lang)
        table.add_row(f"[bold]{_(tactic.label)}[/] · {share}", end_section=True, style="cyan")
        for item in tactic.techniques:
            table.add_row(
                f"{item.id} {item.technique.name.get(lang)} "
                f"[dim]({_(IMPORTANCE_LABELS[item.technique.importance])})[/]",
                f"[{STATUS_STYLES[item.status]}]{_(coverage.STATUS_LABELS[item.status])}[/]",
                str(len(item.rules)),
                coverage.advice(item, lang),
            )
        table.add_section()
    console.print(table)
    _coverage_line(summary, lang)


@detect_app.command("hours")
@handle_errors
def hours_command(
    establishment: EstablishmentArg,
    start: Annotated[int | None, typer.Option(help="First working hour, local time (default 7)")] = None,
    end: Annotated[int | None, typer.Option(help="End of the working day, local time (default 20)")] = None,
    days: Annotated[
        str | None, typer.Option(help="Working days, 1 = Monday … 7 = Sunday, e.g. 1-5 or 1,2,3,4,5,6")
    ] = None,
    timezone: Annotated[str | None, typer.Option(help="Time zone (default Europe/Paris)")] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Show or set the working hours that tell off-hours privileged logons (without option: show)."""
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        hours = detector_config.working_hours(session, establishment_id)
        if any(v is not None for v in (start, end, days, timezone)):
            hours = detector_config.set_working_hours(
                session,
                establishment_id,
                WorkingHours(
                    timezone=timezone or hours.timezone,
                    start=hours.start if start is None else start,
                    end=hours.end if end is None else end,
                    days=hours.days if days is None else _days(days),
                ),
            )
    if as_json:
        print_json(WorkingHoursOut.of(hours))
        return
    names = weekday_names(hours.days, lang)
    console.print(f"{names} · {hours.start}–{hours.end} h · {hours.timezone}", highlight=False)


@detect_app.command("detectors")
@handle_errors
def detectors_command(lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """The statistical detectors' rules: id (to tune with hygie rules disable|level|exclude-entity),
    level, signal and title."""
    rules = list(detectors.RULES.values())
    if as_json:
        print_json(
            [
                {
                    "id": r.id,
                    "title": gettext(r.title, lang),
                    "level": r.level.value,
                    "signal": r.signal.value,
                }
                for r in rules
            ]
        )
        return
    table = Table()
    table.add_column(gettext("Rule", lang), no_wrap=True)  # the id is typed back: never cut
    for column in (gettext("Level", lang), gettext("Signal", lang), gettext("Title", lang)):
        table.add_column(column)
    for rule in rules:
        signal = gettext(signals.LABELS[rule.signal], lang)
        table.add_row(rule.id, gettext(LEVEL_LABELS[rule.level], lang), signal, gettext(rule.title, lang))
    console.print(table)


def _days(value: str) -> tuple[int, ...]:
    """``1-5`` or ``1,2,3`` (1 = Monday) as weekday numbers from 0."""
    chosen: set[int] = set()
    try:
        for part in value.split(","):
            low, _, high = part.strip().partition("-")
            chosen.update(range(int(low), int(high or low) + 1))
    except ValueError as exc:
        raise ValidationError(f"--days: {value!r}, e.g. 1-5 or 1,2,3") from exc
    if not chosen or min(chosen) < 1 or max(chosen) > 7:
        raise ValidationError(f"--days: {value!r}, days go from 1 (Monday) to 7 (Sunday)")
    return tuple(sorted(d - 1 for d in chosen))


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(f"--at: {value!r} is not an ISO 8601 time") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _outcome_json(outcome: detectors.Outcome, lang: str) -> dict[str, Any]:
    return {
        "detector": outcome.detector,
        "signal": outcome.signal.value,
        "status": outcome.status.value,
        "created": outcome.created,
        "updated": outcome.updated,
        "suppressed": outcome.suppressed,
        "alerts": outcome.alert_ids,
        "notes": [render(n.as_json(), lang) for n in outcome.notes],
    }


@alerts_app.command("list")
@handle_errors
def list_command(
    establishment: EstablishmentArg,
    status: Annotated[AlertStatus | None, typer.Option(help="Triage status")] = None,
    level: Annotated[AlertLevel | None, typer.Option(help="Rule level")] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """The alerts, latest first."""
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        alerts = service.list_alerts(session, establishment_id, status=status, level=level)
        if as_json:
            print_json([_alert_json(a) for a in alerts])
            return
        table = Table("#", gettext("Level", lang), gettext("Status", lang), gettext("Title", lang))
        table.add_column(gettext("Host", lang), overflow="fold")  # a host name is read whole, not cut
        for alert in alerts:
            table.add_row(
                str(alert.id),
                gettext(LEVEL_LABELS[alert.level], lang),
                gettext(STATUS_LABELS[alert.status], lang),
                gettext(alert.title, lang),
                alert.host,
            )
        console.print(table)


@alerts_app.command("show")
@handle_errors
def show_command(
    establishment: EstablishmentArg, alert_id: int, lang: str = LangOption, as_json: bool = JsonOption
) -> None:
    """An alert: its rule, ATT&CK techniques, assets touched and the events behind it."""
    settings = get_settings()
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        alert = service.get_alert(session, establishment_id, alert_id)
        assets = service.assets_of(session, alert)
        rows = service.evidence_rows(settings, alert)
        if as_json:
            data = _alert_json(alert)
            data["assets"] = [{"id": a.id, "name": a.name, "department": a.department} for a in assets]
            data["departments"] = service.departments_of(assets)
            data["events"] = [
                {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items() if k != "message"}
                for r in rows
            ]
            print_json(data)
            return
        level, status = gettext(LEVEL_LABELS[alert.level], lang), gettext(STATUS_LABELS[alert.status], lang)
        console.print(
            f"[bold]#{alert.id} {gettext(alert.title, lang)}[/] ({level}, {status})",
            highlight=False,
        )
        console.print(f"{alert.rule_id} · ATT&CK {', '.join(alert.techniques) or '-'}", markup=False)
        if alert.explanation:
            console.print(render(alert.explanation, lang), markup=False, highlight=False)
        console.print(
            f"{alert.host} / {alert.user} · {alert.first_seen} → {alert.last_seen} · {alert.event_count}"
        )
        for asset in assets:
            console.print(f"  ▸ {asset.name} ({asset.department or '-'})", markup=False)
        table = Table("ts", "event_code", "channel", "user", "file")
        for row in rows:
            table.add_row(
                str(row["ts"]), str(row["event_code"]), row["channel"] or "", row["user"] or "", row["file"]
            )
        console.print(table)
        if alert.note:
            console.print(alert.note, markup=False)


@alerts_app.command("triage")
@handle_errors
def triage_command(
    establishment: EstablishmentArg,
    alert_id: int,
    status: Annotated[AlertStatus, typer.Option(help="new, in_progress, false_positive, true_positive")],
    note: Annotated[str | None, typer.Option(help="Triage note")] = None,
    as_json: bool = JsonOption,
) -> None:
    """Set an alert's triage status; confirmed high and critical alerts become findings of the plan."""
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        alert = service.triage(session, service.get_alert(session, establishment_id, alert_id), status, note)
        if as_json:
            print_json(_alert_json(alert))
            return
        console.print(f"#{alert.id} → {alert.status.value}")


@alerts_app.command("escalate")
@handle_errors
def escalate_command(
    establishment: EstablishmentArg,
    alert_id: int,
    author: Annotated[str, typer.Option(help="Who opens the case")] = "hygie",
    as_json: bool = JsonOption,
) -> None:
    """Open an incident case from a true positive alert."""
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        case = service.escalate(session, service.get_alert(session, establishment_id, alert_id), author)
        if as_json:
            print_json({"case_id": case.id, "alert_refs": case.alert_refs})
            return
        console.print(f"#{alert_id} → incident {case.id}")
