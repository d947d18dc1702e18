"""``hygie vulns``: audit the inventory against the feed snapshot, list, explain, obsolete systems."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from hygie.assets import service as assets_service
from hygie.cli.common import (
    EstablishmentArg,
    JsonOption,
    LangOption,
    console,
    database,
    handle_errors,
    print_json,
)
from hygie.core.i18n import gettext, normalise_language
from hygie.org import audit
from hygie.org import service as org_service
from hygie.vulns import service
from hygie.vulns.cli import localised_errors
from hygie.vulns.feeds import service as feeds_service
from hygie.vulns.feeds.read import connect
from hygie.vulns.labels import ACTIONS, BASES, PRIORITIES, STATUSES, explain, subject, word
from hygie.vulns.models import ResultKind, VulnResult
from hygie.vulns.ssvc import Priority

app = typer.Typer(
    help="Vulnérabilités et obsolescence / vulnerabilities and obsolescence: scan, list, explain.",
    no_args_is_help=True,
)

MAX_ROWS = 200
COLOURS = {"act": "bold red", "attend": "red", "track*": "yellow", "track": "green"}


def _row_json(row: VulnResult, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "asset_id": row.asset_id,
        "asset": names.get(row.asset_id),
        "kind": row.kind.value,
        "cve": row.cve_id,
        "advisory": row.advisory_id,
        "nvt_oid": row.nvt_oid,
        "eol_product": row.eol_product,
        "eol_cycle": row.eol_cycle,
        "eol_date": row.eol_date.isoformat() if row.eol_date else None,
        "basis": row.basis.value,
        "status": row.status.value,
        "component": row.component,
        "version": row.version,
        "priority": row.priority.value,
        "kev": row.kev,
        "epss": row.epss,
        "cvss3": row.cvss3,
        "cvss4": row.cvss4,
        "first_seen": row.first_seen.isoformat(),
        "last_seen": row.last_seen.isoformat(),
        "explanation": row.explanation,
    }


def _priorities(text: str | None) -> list[Priority] | None:
    if not text:
        return None
    chosen = []
    for part in text.split(","):
        value = part.strip().lower()
        try:
            chosen.append(Priority(value))
        except ValueError:
            allowed = ", ".join(p.value for p in Priority)
            raise typer.BadParameter(f"{value!r}: one of {allowed}", param_hint="--priority") from None
    return chosen


@app.command("scan")
@handle_errors
@localised_errors
def scan(establishment: EstablishmentArg, lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """Match the inventory against the current feed snapshot; replace the results and findings."""
    lang = normalise_language(lang)
    snapshot = feeds_service.current_snapshot()
    db = connect(snapshot)
    try:
        with database() as session:
            target = org_service.find_establishment(session, establishment)
            report = service.scan(session, target.id, db=db, snapshot_id=snapshot.id if snapshot else None)
            audit.record(
                session,
                actor=audit.cli_actor(),
                action="vulns.scan",
                object_type="establishment",
                object_id=target.id,
                establishment_id=target.id,
                details={"snapshot": report.snapshot_id, "results": report.results},
            )
    finally:
        db.close()
    if as_json:
        print_json(report.__dict__)
        return
    message = gettext(
        "%(assets)s asset(s) checked against snapshot %(snapshot)s: %(results)s result(s), "
        "%(new)s new, %(gone)s gone, %(review)s to review.",
        lang,
    ) % {
        "assets": report.assets,
        "snapshot": report.snapshot_id or "–",
        "results": report.results,
        "new": report.new,
        "gone": report.gone,
        "review": report.needs_review,
    }
    console.print(message, highlight=False)
    table = Table(gettext("Priority", lang), gettext("Results", lang))
    for priority in ("act", "attend", "track*", "track"):
        table.add_row(
            Text(word(PRIORITIES, priority, lang), style=COLOURS[priority]), str(report.by_priority[priority])
        )
    console.print(table)


def _print_results(rows: list[VulnResult], names: dict[int, str], lang: str, eol: bool = False) -> None:
    def _(message: str) -> str:
        return gettext(message, lang)

    if eol:
        table = Table(
            "#", _("Asset"), _("Product"), _("Release"), _("End of life"), _("Priority"), _("Action")
        )
    else:
        table = Table(
            "#", _("Asset"), _("Vulnerability"), _("Priority"), "KEV", "EPSS", "CVSS", _("Match"), _("Action")
        )
    for row in rows[:MAX_ROWS]:
        priority = Text(word(PRIORITIES, row.priority.value, lang), style=COLOURS[row.priority.value])
        actions = row.explanation.get("actions", [])
        first = next((a for a in actions if a != "verify"), "")
        action = Text(word(ACTIONS, first, lang) if first else "")
        if eol:
            product = _("maker's end of support") if row.eol_product == "maker" else row.eol_product or ""
            table.add_row(
                str(row.id),
                Text(names.get(row.asset_id, "")),
                Text(product),
                Text(row.eol_cycle or ""),
                row.eol_date.isoformat() if row.eol_date else "–",
                priority,
                action,
            )
            continue
        cvss = row.cvss4 if row.cvss4 is not None else row.cvss3
        match = word(BASES, row.basis.value, lang)
        if row.status.value == "needs_review":
            match += f" ({word(STATUSES, row.status.value, lang)})"
        table.add_row(
            str(row.id),
            Text(names.get(row.asset_id, "")),
            Text(subject(row)),
            priority,
            _("yes") if row.kev else "",
            f"{row.epss:.3f}" if row.epss is not None else "–",
            f"{cvss:.1f}" if cvss is not None else "–",
            Text(match),
            action,
        )
    console.print(table)
    console.print(_("%(count)s result(s)") % {"count": len(rows)}, highlight=False)
    if len(rows) > MAX_ROWS:
        console.print(_("… and %(count)s more (--json lists them all)") % {"count": len(rows) - MAX_ROWS})


def _names(session: Any, establishment_id: int) -> dict[int, str]:
    return {a.id: a.name for a in assets_service.list_assets(session, establishment_id)}


@app.command("list")
@handle_errors
def list_(
    establishment: EstablishmentArg,
    priority: Annotated[
        str | None, typer.Option("--priority", help="Comma-separated priorities: act,attend,track*,track")
    ] = None,
    kev: Annotated[
        bool, typer.Option("--kev", help="Only vulnerabilities exploited in the wild (KEV)")
    ] = False,
    asset: Annotated[int | None, typer.Option("--asset", help="Only this asset (id)")] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """The vulnerabilities found by the last scan, most urgent first."""
    lang = normalise_language(lang)
    chosen = _priorities(priority)
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        rows = service.list_results(
            session,
            target.id,
            priorities=chosen,
            kev=True if kev else None,
            asset_id=asset,
            exclude_kind=ResultKind.EOL,
        )
        names = _names(session, target.id)
    if as_json:
        print_json([_row_json(r, names) for r in rows])
        return
    _print_results(rows, names, lang)


@app.command("obsolete")
@handle_errors
def obsolete(establishment: EstablishmentArg, lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """Systems past their end of life (or within six months of it): OS, firmware, maker support."""
    lang = normalise_language(lang)
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        rows = service.obsolete(session, target.id)
        names = _names(session, target.id)
    if as_json:
        print_json([_row_json(r, names) for r in rows])
        return
    _print_results(rows, names, lang, eol=True)


@app.command("explain")
@handle_errors
def explain_(
    establishment: EstablishmentArg,
    result_id: Annotated[int, typer.Argument(help="Id of the result (see `hygie vulns list`)")],
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Why a result is there and why it has its priority: each decision point, its value, its source."""
    lang = normalise_language(lang)
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        row = service.get_result(session, target.id, result_id)
        name = assets_service.get_asset(session, target.id, row.asset_id).name
        lines = explain(row, name, lang)
        data = _row_json(row, {row.asset_id: name})
    if as_json:
        print_json(data | {"sentences": lines})
        return
    for line in lines:
        console.print(Text(line))
