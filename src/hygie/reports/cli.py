"""``hygie report``: the maturity report and the management report, as HTML and PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hygie.cli.common import JsonOption, LangOption, console, database, handle_errors, print_json
from hygie.core.errors import ValidationError
from hygie.core.i18n import normalise_language
from hygie.core.settings import get_settings
from hygie.frameworks.service import get_library
from hygie.org import service as org_service
from hygie.plan.schemas import CostBasis
from hygie.reports import management as management_report
from hygie.reports import service
from hygie.reports.management import ReportFormat

app = typer.Typer(help="Reports (HTML and PDF).", no_args_is_help=True)


@app.command("maturity")
@handle_errors
def maturity(
    key: Annotated[str, typer.Argument(help="Establishment: id, FINESS or name")],
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the PDF report to this file")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML report to this file")] = None,
    budget: Annotated[
        int | None, typer.Option(help="Budget of the optimised plan, euros (default: the security budget)")
    ] = None,
    days: Annotated[
        float, typer.Option(help="Staff time of the optimised plan, person-days")
    ] = service.DEFAULT_DAYS,
    campaign: Annotated[int | None, typer.Option(help="Campaign id (default: the latest)")] = None,
    basis: Annotated[CostBasis, typer.Option(help="Cost of an action used by the optimiser")] = CostBasis.MID,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """The maturity report: a two-page management summary, then the detail.

    Without --pdf or --html, both are written to the reports folder of HYGIE_HOME.
    """
    lang = normalise_language(lang)
    library = get_library()
    with database() as session:
        establishment = org_service.find_establishment(session, key)
        report = service.maturity_report(
            session,
            establishment.id,
            library,
            lang=lang,
            budget=budget,
            days=days,
            campaign_id=campaign,
            basis=basis,
        )
        if pdf is None and html is None:
            html, pdf = service.default_paths(get_settings().reports_dir, establishment.finess, lang)
    written = service.write_report(report, lang, html, pdf)
    if as_json:
        print_json({"files": [str(p) for p in written], "report": report.model_dump(mode="json")})
        return
    for path in written:
        console.print(f"[green]✓[/] {path}")


@app.command("management")
@handle_errors
def management(
    establishment: Annotated[
        str | None,
        typer.Option(
            "--establishment", "-e", help="Establishment: id, FINESS or name (default: the only one)"
        ),
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="pdf or html")] = "pdf",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: in the reports folder)")
    ] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """The management report: two pages for the board, then one short section per domain.

    Its headline figures are stored: the next report shows how they moved since this one.
    """
    lang = normalise_language(lang)
    library = get_library()
    with database() as session:
        if establishment is None:
            found = org_service.list_establishments(session)
            if len(found) != 1:
                raise ValidationError(
                    f"--establishment is needed: the database holds {len(found)} establishments"
                )
            chosen = found[0]
        else:
            chosen = org_service.find_establishment(session, establishment)
        summary, content = management_report.generate(session, chosen.id, library, lang, fmt)
        path = output or get_settings().reports_dir / management_report.file_name(chosen.finess, lang, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if as_json:
        print_json({"file": str(path), "summary": summary.model_dump(mode="json")})
        return
    console.print(f"[green]✓[/] {path}")
