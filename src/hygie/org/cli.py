"""``hygie establishments``: register and show establishments."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hygie.cli.common import JsonOption, console, database, handle_errors, print_json
from hygie.org import service
from hygie.org.models import EstablishmentKind
from hygie.org.schemas import EstablishmentIn, EstablishmentOut

app = typer.Typer(help="Establishments and hospital groups (GHT).", no_args_is_help=True)


@app.command("add")
@handle_errors
def add(
    name: Annotated[str, typer.Option(help="Name of the establishment")],
    finess: Annotated[str, typer.Option(help="FINESS number (9 characters, Luhn key)")],
    kind: Annotated[EstablishmentKind, typer.Option(help="Kind of establishment")],
    beds: Annotated[int, typer.Option(help="Number of beds")] = 0,
    staff: Annotated[int, typer.Option(help="Staff headcount")] = 0,
    budget: Annotated[int, typer.Option(help="Annual budget, euros")] = 0,
    it_budget: Annotated[int, typer.Option(help="IT budget, euros per year")] = 0,
    security_budget: Annotated[int | None, typer.Option(help="Security spending, euros per year")] = None,
    group: Annotated[str | None, typer.Option(help="GHT the establishment belongs to")] = None,
    designated: Annotated[bool, typer.Option(help="Designated by the authorities under NIS2")] = False,
    as_json: bool = JsonOption,
) -> None:
    """Register an establishment; its NIS2 status is derived and explained."""
    try:
        data = EstablishmentIn(
            name=name,
            finess=finess,
            kind=kind,
            beds=beds,
            staff=staff,
            annual_budget=budget,
            it_budget=it_budget,
            security_budget=security_budget,
            group=group,
            nis2_designated=designated,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    with database() as session:
        establishment = service.create_establishment(session, data)
        status = service.nis2_status(establishment)
        out = EstablishmentOut.model_validate(establishment)
    if as_json:
        print_json({"establishment": out.model_dump(mode="json"), "nis2": status.model_dump(mode="json")})
        return
    console.print(f"[green]Établissement enregistré[/] #{out.id} {out.name} (FINESS {out.finess})")
    console.print(f"NIS2 : [bold]{status.category.value}[/]")
    for reason in status.reasons:
        console.print(f"  - {reason}")


@app.command("list")
@handle_errors
def list_(as_json: bool = JsonOption) -> None:
    """List the establishments."""
    with database() as session:
        rows = [
            (EstablishmentOut.model_validate(e), service.nis2_status(e).category.value)
            for e in service.list_establishments(session)
        ]
    if as_json:
        print_json([{**e.model_dump(mode="json"), "nis2": n} for e, n in rows])
        return
    table = Table("#", "Nom", "FINESS", "Type", "Lits", "Effectif", "NIS2")
    for e, nis2 in rows:
        table.add_row(str(e.id), e.name, e.finess, e.kind.value, str(e.beds), str(e.staff), nis2)
    console.print(table)


@app.command("show")
@handle_errors
def show(key: Annotated[str, typer.Argument(help="Id, FINESS or name")], as_json: bool = JsonOption) -> None:
    """Show an establishment and why it has its NIS2 status."""
    with database() as session:
        establishment = service.find_establishment(session, key)
        out = EstablishmentOut.model_validate(establishment)
        status = service.nis2_status(establishment)
        group = establishment.group.name if establishment.group else None
    if as_json:
        print_json({**out.model_dump(mode="json"), "group": group, "nis2": status.model_dump(mode="json")})
        return
    console.print(f"[bold]{out.name}[/] — FINESS {out.finess} — {out.kind.value}")
    console.print(f"Lits : {out.beds}  Effectif : {out.staff}  Budget : {out.annual_budget:,} €")
    console.print(f"Budget SI : {out.it_budget:,} €  GHT : {group or '—'}")
    console.print(f"NIS2 : [bold]{status.category.value}[/]")
    for reason in status.reasons:
        console.print(f"  - {reason}")
