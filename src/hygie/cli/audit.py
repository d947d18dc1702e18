"""``hygie audit``: check and read the audit trail."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hygie.cli.common import JsonOption, console, database, error_console, handle_errors, print_json
from hygie.org import audit

app = typer.Typer(help="Journal d'audit / Audit trail.", no_args_is_help=True)


@app.command("verify")
@handle_errors
def verify(as_json: bool = JsonOption) -> None:
    """Check the hash chain; exit 1 and name the first bad entry if it was tampered with."""
    with database() as session:
        result = audit.verify(session)
    if as_json:
        print_json(
            {
                "ok": result.ok,
                "checked": result.checked,
                "first_bad_id": result.first_bad_id,
                "problem": result.problem.value if result.problem else None,
            }
        )
    elif result.ok:
        console.print(f"[green]Journal intact / Audit trail intact:[/] {result.checked} entrées / entries")
    else:
        error_console.print(
            f"[bold red]Journal altéré / Audit trail tampered with:[/] entrée / entry {result.first_bad_id} "
            f"({result.problem}), après {result.checked} entrées valides / "
            f"after {result.checked} valid entries"
        )
    if not result.ok:
        raise typer.Exit(1)


@app.command("list")
@handle_errors
def list_(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many entries, latest first")] = 50,
    as_json: bool = JsonOption,
) -> None:
    """Show the latest entries."""
    with database() as session:
        entries = [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "ip": e.ip,
                "action": e.action,
                "object": f"{e.object_type}:{e.object_id}" if e.object_id else e.object_type,
                "establishment_id": e.establishment_id,
                "details": e.details,
            }
            for e in audit.list_entries(session, limit=limit)
        ]
    if as_json:
        print_json(entries)
        return
    table = Table("#", "Quand / When", "Qui / Who", "IP", "Action", "Objet / Object", "Étab.")
    for e in entries:
        table.add_row(
            str(e["id"]),
            str(e["at"]),
            str(e["actor"]),
            str(e["ip"] or "—"),
            str(e["action"]),
            str(e["object"]),
            str(e["establishment_id"] or "—"),
        )
    console.print(table)
