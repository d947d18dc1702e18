"""``hygie plan``: findings, candidate actions, the best plan for a budget, its roadmap and follow-up."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import pydantic
import typer
import yaml
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

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
from hygie.core.errors import ContentError, Location, NotFoundError
from hygie.core.formatting import fmt_number
from hygie.core.settings import get_settings
from hygie.core.time import today
from hygie.frameworks.loader import Library, default_library
from hygie.org import audit
from hygie.org import service as org_service
from hygie.plan import service
from hygie.plan.catalogue import check_against_library, default_actions
from hygie.plan.models import ActionStatus
from hygie.plan.optimise import greedy, optimise
from hygie.plan.roadmap import DEFAULT_QUARTERS, next_quarter_start, roadmap_for
from hygie.plan.schemas import CostBasis, FindingOut, PlanActionOut

app = typer.Typer(
    help="Plan d'action / action plan: findings, priorities, budget, roadmap.", no_args_is_help=True
)

LevelsOption = Annotated[
    Path | None,
    typer.Option(
        "--levels",
        help="YAML/JSON file {control_id: level 0..5 or null} to use instead of the latest assessment",
        exists=True,
        dir_okay=False,
    ),
]
BasisOption = Annotated[CostBasis, typer.Option("--cost-basis", help="Cost estimate: low, mid or high")]

_LEVELS = pydantic.TypeAdapter(dict[str, int | None])


def _eur(amount: int) -> str:
    """Whole euros in the French way, without the sign (the tables say € in their headings)."""
    return fmt_number(amount, "fr")


def _library() -> Library:
    library = default_library(get_settings().library_dir)
    check_against_library(default_actions(), library)
    return library


def read_levels(path: Path) -> dict[str, int | None]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContentError(f"invalid YAML/JSON: {exc}", Location(path)) from exc
    try:
        return _LEVELS.validate_python(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise ContentError(first["msg"], Location(path, None, field)) from exc


def _levels(
    session: Session, establishment_id: int, library: Library, path: Path | None
) -> tuple[datetime | None, dict[str, int | None]]:
    """The levels given in a file, or those of the latest assessment with its date."""
    if path is not None:
        return None, read_levels(path)
    return service.levels_from_assessment(session, establishment_id, library)


@app.command("findings")
@handle_errors
def findings(key: EstablishmentArg, levels: LevelsOption = None, as_json: bool = JsonOption) -> None:
    """Refresh the assessment's findings from the control levels, then list the open findings."""
    library = _library()
    with database() as session:
        establishment = org_service.find_establishment(session, key)
        try:
            since, answered = _levels(session, establishment.id, library, levels)
            service.refresh_assessment_findings(session, establishment.id, library, answered, since=since)
        except NotFoundError as exc:  # no assessment yet: the stored findings are still worth showing
            error_console.print(f"[yellow]{exc}[/]", markup=True, highlight=False)
        rows = [FindingOut.model_validate(f) for f in service.list_findings(session, establishment.id)]
    if as_json:
        print_json(rows)
        return
    table = Table("#", "Gravité", "Source", "Constat", "Contrôles")
    for f in rows:
        table.add_row(str(f.id), f.severity.value, f.source.value, f.title, ", ".join(f.control_ids))
    console.print(table)


@app.command("candidates")
@handle_errors
def candidates(
    key: EstablishmentArg,
    levels: LevelsOption = None,
    basis: BasisOption = CostBasis.MID,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """List the candidate actions, best priority first, with the quick wins."""
    library = _library()
    with database() as session:
        establishment = org_service.find_establishment(session, key)
        since, answered = _levels(session, establishment.id, library, levels)
        _, found = service.plan_inputs(session, establishment.id, library, answered, basis=basis, since=since)
    if as_json:
        print_json(found)
        return
    table = Table("Rang", "Action", "Coût (€)", "J-h", "Réduction", "Gain rapide", "Pourquoi")
    for c in found:
        t, p = c.template, c.priority
        table.add_row(
            str(p.rank),
            f"{t.id}\n{t.title.get(lang)}",
            f"{_eur(t.cost_min)}–{_eur(t.cost_max)}",
            f"{t.effort_days:g}",
            f"{p.reduction:.2f}",
            "oui" if p.quick_win else "",
            p.explanation.get(lang),
        )
    console.print(table)


@app.command("optimise")
@handle_errors
def optimise_(
    key: EstablishmentArg,
    budget: Annotated[int, typer.Option(help="Budget, euros")],
    days: Annotated[float | None, typer.Option(help="Staff capacity, person-days")] = None,
    basis: BasisOption = CostBasis.MID,
    compare_greedy: Annotated[bool, typer.Option("--compare-greedy", help="Also run the greedy")] = False,
    adopt: Annotated[bool, typer.Option("--adopt", help="Make this the establishment's plan")] = False,
    start: Annotated[
        str | None, typer.Option(help="First day of the roadmap, YYYY-MM-DD (default: next quarter)")
    ] = None,
    quarters: Annotated[int, typer.Option(help="Quarters the staff days are spread over")] = DEFAULT_QUARTERS,
    levels: LevelsOption = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """The set of actions that raises the maturity index most within the budget and staff days."""
    try:
        first_day = date.fromisoformat(start) if start else next_quarter_start(today())
    except ValueError as exc:
        raise typer.BadParameter(f"--start: {exc}") from exc
    library = _library()
    with database() as session:
        establishment = org_service.find_establishment(session, key)
        since, answered = _levels(session, establishment.id, library, levels)
        states, found = service.plan_inputs(
            session, establishment.id, library, answered, basis=basis, since=since
        )
        result = optimise(states, found, budget, days, basis)
        baseline = greedy(states, found, budget, days, basis) if compare_greedy else None
        plan = roadmap_for(result, first_day, quarters)
        adopted = (
            [
                PlanActionOut.model_validate(a)
                for a in service.adopt_plan(session, establishment.id, result, plan)
            ]
            if adopt
            else None
        )
    if as_json:
        out: dict[str, Any] = {
            "result": result.model_dump(mode="json"),
            "roadmap": plan.model_dump(mode="json"),
        }
        if baseline is not None:
            out["greedy"] = baseline.model_dump(mode="json")
        if adopted is not None:
            out["adopted"] = [a.model_dump(mode="json") for a in adopted]
        print_json(out)
        return
    table = Table("Trimestre", "Échéance", "Action", "Responsable", "Coût (€)", "J-h")
    for item in plan.items:
        table.add_row(
            item.quarter,
            item.due_date.isoformat(),
            f"{item.template_id}\n{item.title.get(lang)}",
            item.owner,
            _eur(item.cost),
            f"{item.effort_days:g}",
        )
    console.print(table)
    console.print(
        f"Coût total {_eur(result.total_cost)} € / {_eur(budget)} € — {result.total_days:g} j-h — "
        f"indice {result.index_before:.1f} → [bold]{result.index_after:.1f}[/]"
        + ("" if result.optimal else " (limite de temps atteinte : solution non prouvée optimale)")
    )
    for d in result.dimensions:
        console.print(f"  {d.dimension.value}: {d.before:.1f} → {d.after:.1f}")
    if baseline is not None:
        console.print(
            f"Glouton / greedy : indice {baseline.index_after:.1f}, {_eur(baseline.total_cost)} €, "
            f"objectif {baseline.objective:.2f} contre {result.objective:.2f}"
        )
    if adopted is not None:
        console.print(f"[green]Plan adopté[/] : {len(adopted)} actions.")


@app.command("roadmap")
@handle_errors
def roadmap(key: EstablishmentArg, as_json: bool = JsonOption) -> None:
    """Show the adopted plan, quarter by quarter."""
    with database() as session:
        establishment = org_service.find_establishment(session, key)
        rows = [PlanActionOut.model_validate(a) for a in service.list_actions(session, establishment.id)]
    if as_json:
        print_json(rows)
        return
    table = Table("#", "Trimestre", "Échéance", "Action", "Responsable", "Statut", "Coût (€)")
    for a in rows:
        table.add_row(
            str(a.id), a.quarter, a.due_date.isoformat(), a.title, a.owner, a.status.value, _eur(a.cost)
        )
    console.print(table)


ActionIdArg = Annotated[int, typer.Argument(help="Id of the plan action (see `hygie plan roadmap`)")]


def _edit_action(key: str, action_id: int, as_json: bool, **fields: Any) -> None:
    """Changes an action as its page and the API do, recorded in the audit trail the same way."""
    with database() as session:
        establishment = org_service.find_establishment(session, key)
        action, changes = service.update_action(session, establishment.id, action_id, **fields)
        if changes:
            verb, details = service.audit_of_changes(changes)
            audit.record(
                session,
                actor=audit.cli_actor(),
                action=verb,
                object_type="plan_action",
                object_id=action.id,
                establishment_id=establishment.id,
                details=details,
            )
        out = PlanActionOut.model_validate(action)
    if as_json:
        print_json(out)
        return
    title = escape(out.title)  # owner, notes and titles are typed text: "[urgent]" is not markup
    if not changes:
        console.print(f"Action #{out.id} {title} : rien à changer / nothing to change.")
        return
    console.print(f"Action #{out.id} {title}")
    for name, (before, after) in changes.items():
        console.print(f"  {name} : {escape(before or '—')} → [bold]{escape(after or '—')}[/]")


@app.command("status")
@handle_errors
def status(
    key: EstablishmentArg,
    action_id: ActionIdArg,
    new_status: Annotated[ActionStatus, typer.Argument(help="todo, in_progress, done or cancelled")],
    as_json: bool = JsonOption,
) -> None:
    """Move an action of the plan; a done action raises the levels of its controls."""
    _edit_action(key, action_id, as_json, status=new_status)


@app.command("edit")
@handle_errors
def edit(
    key: EstablishmentArg,
    action_id: ActionIdArg,
    new_status: Annotated[
        ActionStatus | None, typer.Option("--status", help="todo, in_progress, done or cancelled")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Who carries the action: a person or a role")] = None,
    due: Annotated[str | None, typer.Option(help="New due date, YYYY-MM-DD (not in the past)")] = None,
    notes: Annotated[
        str | None, typer.Option(help="Notes on the action (an empty text removes them)")
    ] = None,
    as_json: bool = JsonOption,
) -> None:
    """Change an action of the plan: status, owner, due date or notes (recorded in the audit trail)."""
    try:
        due_date = date.fromisoformat(due) if due else None
    except ValueError as exc:
        raise typer.BadParameter(f"--due: {exc}") from exc
    _edit_action(key, action_id, as_json, status=new_status, owner=owner, due_date=due_date, notes=notes)


@app.command("budget")
@handle_errors
def budget_(key: EstablishmentArg, lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """Where the establishment's security spending stands against the national range and its peers."""
    with database() as session:
        establishment = org_service.find_establishment(session, key)
        position = service.budget_position(session, establishment.id)
    if as_json:
        print_json(position)
        return
    console.print(position.verdict.get(lang))
    if position.peer_note is not None:
        console.print(position.peer_note.get(lang))
    if not position.reference_verified:
        console.print(f"[dim]Référence à vérifier / reference to check: {position.reference_source}[/]")
