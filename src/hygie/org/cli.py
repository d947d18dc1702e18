"""``hygie establishments``: register, update and show establishments."""

from __future__ import annotations

from typing import Annotated, Any

import pydantic
import typer
from rich.table import Table
from sqlalchemy.orm import Session

from hygie.cli.common import JsonOption, LangOption, console, database, handle_errors, print_json
from hygie.core.errors import ValidationError
from hygie.core.formatting import fmt_euros, fmt_number
from hygie.core.i18n import gettext, normalise_language
from hygie.org import service
from hygie.org.models import Establishment, EstablishmentKind
from hygie.org.schemas import EstablishmentIn, EstablishmentOut, EstablishmentUpdate, Nis2Category
from hygie.reports.vocabulary import kind_label, label

app = typer.Typer(help="Establishments and hospital groups (GHT).", no_args_is_help=True)

Beds = Annotated[int | None, typer.Option(help="Number of beds")]
Staff = Annotated[int | None, typer.Option(help="Staff headcount (NIS2 size test)")]
Budget = Annotated[int | None, typer.Option(help="Annual budget, euros (NIS2 size test)")]
ItBudget = Annotated[int | None, typer.Option(help="IT budget, euros per year")]
SecurityBudget = Annotated[int | None, typer.Option(help="Security spending, euros per year")]
Group = Annotated[str | None, typer.Option(help="GHT the establishment belongs to")]


OPTION_OF_FIELD = {"annual_budget": "budget", "nis2_designated": "designated"}


def _validated(model: type[pydantic.BaseModel], values: dict[str, Any]) -> Any:
    """The model, or one clear line per wrong option instead of Pydantic's dump."""
    try:
        return model.model_validate(values)
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            option = OPTION_OF_FIELD.get(field, field).replace("_", "-")
            problems.append(f"--{option}: {error['msg'].removeprefix('Value error, ')}")
        raise ValidationError("; ".join(problems)) from exc


def _describe(session: Session, establishment: Establishment, lang: str) -> dict[str, Any]:
    """The establishment as every command shows it in JSON: its fields, its group, its NIS2 status."""
    status = service.nis2_status(establishment, lang)
    return {
        **EstablishmentOut.model_validate(establishment).model_dump(mode="json"),
        "group": establishment.group.name if establishment.group else None,
        "nis2": status.model_dump(mode="json"),
    }


def _print(session: Session, establishment: Establishment, lang: str) -> None:
    def _(message: str) -> str:
        return gettext(message, lang)

    e = establishment
    status = service.nis2_status(e, lang)
    console.print(f"[bold]{e.name}[/] — FINESS {e.finess} — {kind_label(e.kind, lang)}")
    console.print(
        f"{_('Beds')} : {fmt_number(e.beds, lang)} · {_('Staff')} : {fmt_number(e.staff, lang)} · "
        f"{_('Budget')} : {fmt_euros(e.annual_budget, lang)}"
    )
    security = fmt_euros(e.security_budget, lang) if e.security_budget is not None else _("Not known")
    console.print(
        f"{_('IT budget')} : {fmt_euros(e.it_budget, lang)} · {_('Security budget')} : {security} · "
        f"GHT : {e.group.name if e.group else '–'}"
    )
    console.print(f"NIS2 : [bold]{label(status.category, lang)}[/]")
    for reason in status.reasons:
        console.print(f"  - {reason}")
    if not e.staff or not e.annual_budget:
        warning = _("Staff or budget not filled in: the NIS2 status counts them as 0.")
        console.print(f"[yellow]{warning}[/] hygie establishments update {e.finess} --staff … --budget …")


@app.command("add")
@handle_errors
def add(
    name: Annotated[str, typer.Option(help="Name of the establishment")],
    finess: Annotated[str, typer.Option(help="FINESS number (9 characters, Luhn key)")],
    kind: Annotated[EstablishmentKind, typer.Option(help="Kind of establishment")],
    beds: Beds = None,
    staff: Staff = None,
    budget: Budget = None,
    it_budget: ItBudget = None,
    security_budget: SecurityBudget = None,
    group: Group = None,
    designated: Annotated[bool, typer.Option(help="Designated by the authorities under NIS2")] = False,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Register an establishment; its NIS2 status is derived and explained."""
    lang = normalise_language(lang)
    given = {
        "name": name,
        "finess": finess,
        "kind": kind,
        "beds": beds,
        "staff": staff,
        "annual_budget": budget,
        "it_budget": it_budget,
        "security_budget": security_budget,
        "group": group,
        "nis2_designated": designated,
    }
    data = _validated(EstablishmentIn, {k: v for k, v in given.items() if v is not None})
    with database() as session:
        establishment = service.create_establishment(session, data)
        if as_json:
            print_json(_describe(session, establishment, lang))
            return
        registered = gettext("Establishment registered", lang)
        console.print(f"[green]{registered}[/] #{establishment.id}")
        _print(session, establishment, lang)


@app.command("update")
@handle_errors
def update(
    key: Annotated[str, typer.Argument(help="Id, FINESS or name")],
    name: Annotated[str | None, typer.Option(help="New name")] = None,
    kind: Annotated[EstablishmentKind | None, typer.Option(help="Kind of establishment")] = None,
    beds: Beds = None,
    staff: Staff = None,
    budget: Budget = None,
    it_budget: ItBudget = None,
    security_budget: SecurityBudget = None,
    group: Group = None,
    designated: Annotated[
        bool | None, typer.Option("--designated/--not-designated", help="Designated under NIS2")
    ] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Change some fields of an establishment (the FINESS number stays); its NIS2 status follows."""
    lang = normalise_language(lang)
    given = {
        "name": name,
        "kind": kind,
        "beds": beds,
        "staff": staff,
        "annual_budget": budget,
        "it_budget": it_budget,
        "security_budget": security_budget,
        "group": group,
        "nis2_designated": designated,
    }
    changes = _validated(EstablishmentUpdate, {k: v for k, v in given.items() if v is not None})
    with database() as session:
        establishment = service.find_establishment(session, key)
        service.update_establishment(session, establishment, changes)
        if as_json:
            print_json(_describe(session, establishment, lang))
            return
        _print(session, establishment, lang)


@app.command("list")
@handle_errors
def list_(lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """List the establishments."""
    lang = normalise_language(lang)

    def _(message: str) -> str:
        return gettext(message, lang)

    with database() as session:
        rows = [_describe(session, e, lang) for e in service.list_establishments(session)]
    if as_json:
        print_json(rows)
        return
    table = Table("#", _("Name"), "FINESS", _("Kind"), _("Beds"), _("Staff"), "NIS2")
    for e in rows:
        table.add_row(
            str(e["id"]),
            e["name"],
            e["finess"],
            kind_label(e["kind"], lang),
            fmt_number(e["beds"], lang),
            fmt_number(e["staff"], lang),
            label(Nis2Category(e["nis2"]["category"]), lang),
        )
    console.print(table)


@app.command("show")
@handle_errors
def show(
    key: Annotated[str, typer.Argument(help="Id, FINESS or name")],
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Show an establishment and why it has its NIS2 status."""
    lang = normalise_language(lang)
    with database() as session:
        establishment = service.find_establishment(session, key)
        if as_json:
            print_json(_describe(session, establishment, lang))
            return
        _print(session, establishment, lang)
