"""``hygie group``: a group's (GHT's) consolidated view at the command line.

Groups are created and filled with ``hygie establishments add/update --group NAME``; a role on a
group is granted with ``hygie users grant --group NAME``. The operator at the command line holds
the database and sees every group.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.cells import cell_len
from rich.table import Column, Table
from rich.text import Text

from hygie.cli.common import JsonOption, LangOption, console, database, handle_errors, print_json
from hygie.core.formatting import fmt_days, fmt_euros, fmt_number, fmt_percent
from hygie.core.i18n import gettext, normalise_language
from hygie.frameworks.service import get_library
from hygie.group import report, service
from hygie.group.schemas import GroupView, SharedWeakness
from hygie.group.table import Cell, Kind, Row, side_by_side
from hygie.org.access import Principal
from hygie.reports.vocabulary import label

app = typer.Typer(
    help="Groups (GHT): the establishments side by side, benchmark, shared plan.", no_args_is_help=True
)

GroupKey = Annotated[str, typer.Argument(help="Group: id or name")]
TOP_SHARED = 10


class ReportFormat(StrEnum):
    PDF = "pdf"
    HTML = "html"


def _view(key: str, lang: str) -> GroupView:
    principal = Principal.cli()
    with database() as session:
        group = service.find_group(session, principal, key)
        return service.group_view(session, principal, group.id, get_library(), lang)


@app.command("list")
@handle_errors
def list_(lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """List the groups and how many establishments each has."""
    lang = normalise_language(lang)
    with database() as session:
        groups = service.list_groups(session, Principal.cli())
    if as_json:
        print_json([g.model_dump(mode="json") for g in groups])
        return
    if not groups:
        console.print(gettext("No group yet: hygie establishments update ESTABLISHMENT --group NAME", lang))
        return
    table = Table("#", gettext("Name", lang), gettext("Establishments", lang))
    for group in groups:
        table.add_row(str(group.id), group.name, fmt_number(group.establishments, lang))
    console.print(table)


def _cell(row: Row, cell: Cell, lang: str) -> str:
    if cell.value is None:
        return "–"
    if row.kind == Kind.SCORE:
        text = fmt_days(cell.value, lang)
        if cell.difference is not None:
            sign = "+" if cell.difference > 0.05 else "−" if cell.difference < -0.05 else "±"
            colour = "blue" if sign == "+" else "red" if sign == "−" else "dim"
            text += f" [{colour}]{sign}{fmt_days(abs(cell.difference), lang)}[/]"
        return text
    if row.kind == Kind.RATIO:
        return f"{fmt_number(cell.value, lang)} / {fmt_number(cell.total, lang)}"
    if row.kind == Kind.PERCENT:
        return fmt_percent(cell.value, lang)
    if row.kind == Kind.EUROS:
        return fmt_euros(cell.value, lang)
    return fmt_number(cell.value, lang)


# The usual French abbreviations, longest first: headers of three or four columns fit in 80.
ABBREVIATIONS = (("Centre hospitalier universitaire", "CHU"), ("Centre hospitalier", "CH"))


def short_name(name: str) -> str:
    for long, short in ABBREVIATIONS:
        if name.startswith(long):
            return short + name[len(long) :]
    return name


def _longest_word(text: str) -> int:
    return max(cell_len(word) for word in text.split())


def _who(weakness: SharedWeakness, view: GroupView, lang: str) -> str:
    """The establishments a weakness is shared by: all of them, or their short names."""
    if len(weakness.establishment_ids) == len(view.establishments):
        return gettext("All of them", lang)
    return ", ".join(short_name(name) for name in weakness.establishments)


def print_view(view: GroupView, lang: str) -> None:
    """The side-by-side table, the shared weaknesses and the consolidated budget (also what the demo ends
    with)."""

    def _(message: str) -> str:
        return gettext(message, lang)

    console.print(f"[bold]{view.name}[/] — {_('group view')}")
    rows = side_by_side(view, lang)
    lines = [
        (
            row,
            [_cell(row, c, lang) for c in row.cells],
            "" if row.median is None else fmt_days(row.median, lang),
        )
        for row in rows
    ]
    headers = [short_name(c.name) for c in view.establishments]
    # No outer border; each figure column as wide as its widest value or the longest word of its header
    # (headers wrap between words, "Saint-Aurèle" is not cut), the labels take the rest: up to five
    # establishments fit in 80 columns, more squeeze every column.
    widths = [
        max(_longest_word(header), *(Text.from_markup(cells[i]).cell_len for _r, cells, _m in lines))
        for i, header in enumerate(headers)
    ]
    median_title = _("Group median")
    median_width = max(_longest_word(median_title), *(cell_len(m) for *_c, m in lines))
    table = Table(
        Column(_("Figure"), ratio=1),
        *(Column(h, justify="right", min_width=w, max_width=w) for h, w in zip(headers, widths, strict=True)),
        Column(median_title, justify="right", min_width=median_width, max_width=median_width),
        box=box.SIMPLE_HEAD,
        show_edge=False,
        expand=True,
    )
    for row, cells, median in lines:
        table.add_row(row.label, *cells, median, end_section=row.key.startswith("dimension:incident"))
    console.print(table)
    if view.shared_weaknesses:
        shared = Table(
            Column(_("Shared weaknesses"), ratio=3),
            _("Severity"),
            Column(_("Establishments"), ratio=2),
            box=box.SIMPLE_HEAD,
            show_edge=False,
            expand=True,
        )
        for weakness in view.shared_weaknesses[:TOP_SHARED]:
            shared.add_row(weakness.title, label(weakness.severity, lang), _who(weakness, view, lang))
        console.print(shared)
    else:
        console.print(_("No open weakness is shared by two establishments or more."))
    budget = view.budget
    console.print(
        f"{_('Consolidated plan')} : {fmt_euros(budget.plan_cost, lang)} "
        f"({_('Still to spend')} : {fmt_euros(budget.remaining_cost, lang)}) · "
        f"{_('Security budgets')} : {fmt_euros(budget.security_budgets, lang)}"
    )
    if budget.unknown_budgets:
        console.print(
            gettext("Security budget not known for: %(names)s.", lang)
            % {"names": ", ".join(budget.unknown_budgets)}
        )


@app.command("show")
@handle_errors
def show(key: GroupKey, lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """The establishments side by side on each dimension, against the group's median; the shared
    weaknesses; the consolidated plan and budget."""
    lang = normalise_language(lang)
    view = _view(key, lang)
    if as_json:
        print_json(view.model_dump(mode="json"))
        return
    print_view(view, lang)


@app.command("report")
@handle_errors
def report_(
    key: GroupKey,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write")],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="pdf or html")] = ReportFormat.PDF,
    lang: str = LangOption,
) -> None:
    """Write the group report (PDF or standalone HTML)."""
    lang = normalise_language(lang)
    view = _view(key, lang)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(report.render(view, lang, fmt.value))
    console.print(f"[green]✓[/] {output}")
