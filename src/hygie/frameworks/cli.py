"""``hygie frameworks``: the referentials, their requirements, the common controls; imports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hygie.cli.common import JsonOption, LangOption, console, handle_errors, print_json
from hygie.frameworks import service
from hygie.frameworks.schema import Dimension

app = typer.Typer(
    help="Referentials (ANSSI, NIS2, CaRE, HPH, HICP) and the common controls.", no_args_is_help=True
)

_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "id": "Id",
        "name": "Nom",
        "version": "Version",
        "provider": "Éditeur",
        "requirements": "Exigences",
        "tiers": "Niveaux",
        "sections": "Sections",
        "controls": "Contrôles",
        "origin": "Origine",
        "shipped": "fourni",
        "requirement": "Exigence",
        "title": "Intitulé",
        "mapped": "Contrôles Hygie (relation)",
        "dimension": "Dimension",
        "weight": "Poids",
        "target": "Cible",
        "rank": "Rang essentiel",
        "referentials": "Référentiels",
        "unverified": "à vérifier",
        "source": "Source",
        "imported": "Référentiel importé",
        "aligned": "exigences alignées sur",
        "own": "contrôles propres créés",
    },
    "en": {
        "id": "Id",
        "name": "Name",
        "version": "Version",
        "provider": "Provider",
        "requirements": "Requirements",
        "tiers": "Tiers",
        "sections": "Sections",
        "controls": "Controls",
        "origin": "Origin",
        "shipped": "shipped",
        "requirement": "Requirement",
        "title": "Title",
        "mapped": "Hygie controls (relationship)",
        "dimension": "Dimension",
        "weight": "Weight",
        "target": "Target",
        "rank": "Essential rank",
        "referentials": "Referentials",
        "unverified": "to verify",
        "source": "Source",
        "imported": "Referential imported",
        "aligned": "requirements aligned on",
        "own": "own controls created",
    },
}

_DIMENSIONS = {
    "fr": {
        Dimension.GOVERNANCE: "Gouvernance",
        Dimension.TECHNICAL: "Technique",
        Dimension.AWARENESS: "Sensibilisation",
        Dimension.CONTINUITY: "Continuité",
        Dimension.INCIDENT_RESPONSE: "Réponse aux incidents",
    },
    "en": {
        Dimension.GOVERNANCE: "Governance",
        Dimension.TECHNICAL: "Technical",
        Dimension.AWARENESS: "Awareness",
        Dimension.CONTINUITY: "Continuity",
        Dimension.INCIDENT_RESPONSE: "Incident response",
    },
}

_RELATIONSHIPS = {
    "fr": {"equal": "égal", "subset": "inclus", "superset": "partiel", "intersect": "recoupe"},
    "en": {"equal": "equal", "subset": "subset", "superset": "superset", "intersect": "intersect"},
}


def _lang(lang: str) -> str:
    return "en" if lang.lower().startswith("en") else "fr"


@app.command("list")
@handle_errors
def list_(as_json: bool = JsonOption, lang: str = LangOption) -> None:
    """List the referentials: shipped ones and those imported into HYGIE_HOME/library."""
    summaries = service.list_referentials()
    if as_json:
        print_json(summaries)
        return
    lang = _lang(lang)
    t = _LABELS[lang]
    table = Table(t["id"], t["name"], t["version"], t["requirements"], t["tiers"], t["origin"])
    for s in summaries:
        table.add_row(
            s.id,
            s.short_name,
            s.version,
            str(s.requirement_count),
            ", ".join(tier.id for tier in s.tiers) or "—",
            t["shipped"] if s.origin == "shipped" else Path(s.origin).name,
        )
    console.print(table)


@app.command("show")
@handle_errors
def show(
    referential_id: Annotated[str, typer.Argument(help="Referential id, e.g. anssi-hygiene")],
    as_json: bool = JsonOption,
    lang: str = LangOption,
) -> None:
    """Show a referential: its requirements, their tiers and the Hygie controls they map onto."""
    detail = service.get_referential(referential_id)
    if as_json:
        print_json(detail)
        return
    lang = _lang(lang)
    t = _LABELS[lang]
    console.print(f"[bold]{detail.name.get(lang)}[/] — {detail.version} — {detail.provider}")
    console.print(f"{t['source']} : {detail.source}", highlight=False)
    if detail.description:
        console.print(detail.description.get(lang), highlight=False)
    if detail.tiers:
        console.print(f"{t['tiers']} : " + ", ".join(f"{x.id} = {x.name.get(lang)}" for x in detail.tiers))
    sections = {s.id: s.title.get(lang) for s in detail.sections}
    relationship = _RELATIONSHIPS[lang]
    table = Table(t["requirement"], t["title"], t["tiers"], t["mapped"], title=detail.short_name)
    current: str | None = None
    for r in detail.requirements:
        if r.section != current and r.section is not None:
            table.add_section()
            table.add_row("", f"[bold]{r.section} — {sections.get(r.section, '')}[/]", "", "")
        current = r.section
        title = r.title.get(lang) + (f" [dim]({t['unverified']})[/]" if r.unverified else "")
        mapped = "\n".join(f"{m.control} ({relationship[m.relationship.value]})" for m in r.mappings)
        table.add_row(r.id, title, ", ".join(r.tiers), mapped)
    console.print(table)


@app.command("controls")
@handle_errors
def controls(
    dimension: Annotated[Dimension | None, typer.Option(help="Only the controls of this dimension")] = None,
    as_json: bool = JsonOption,
    lang: str = LangOption,
) -> None:
    """List the common Hygie controls, essential ones first."""
    summaries = service.list_controls(dimension)
    if as_json:
        print_json(summaries)
        return
    lang = _lang(lang)
    t = _LABELS[lang]
    table = Table(t["id"], t["dimension"], t["title"], t["weight"], t["target"], t["rank"], t["referentials"])
    for c in summaries:
        table.add_row(
            c.id,
            _DIMENSIONS[lang][c.dimension],
            c.title.get(lang),
            str(c.weight),
            str(c.target),
            str(c.essential_rank) if c.essential_rank else "",
            ", ".join(c.referentials),
        )
    console.print(table)


@app.command("import")
@handle_errors
def import_(
    file: Annotated[Path, typer.Argument(help="CISO Assistant library file (YAML)")],
    align: Annotated[
        str | None, typer.Option(help="Hygie referential whose requirement ids the file shares")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an earlier import of the same referential")] = False,
    as_json: bool = JsonOption,
    lang: str = LangOption,
) -> None:
    """Import a CISO Assistant framework library into HYGIE_HOME/library."""
    result = service.import_ciso_assistant(file, align=align, force=force)
    if as_json:
        print_json(result)
        return
    t = _LABELS[_lang(lang)]
    console.print(f"[green]{t['imported']}[/] {result.referential_id} → {result.path}", highlight=False)
    console.print(
        f"{t['requirements']} : {result.requirement_count}, {t['sections']} : {result.section_count}, "
        f"{t['tiers']} : {result.tier_count}"
    )
    if result.aligned_on:
        console.print(f"{result.aligned_count} {t['aligned']} {result.aligned_on}")
    console.print(f"{result.own_control_count} {t['own']}")
