"""``hygie demo``: builds the synthetic hospital, audits it and writes its reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hygie.cli.common import console, database, error_console, forget_migrations, handle_errors
from hygie.core.db import get_engine
from hygie.core.formatting import fmt_euros, fmt_number
from hygie.core.settings import get_settings
from hygie.demo import accounts as demo_logins
from hygie.demo import ght, hospital
from hygie.demo import service as demo_service
from hygie.frameworks.loader import Library
from hygie.frameworks.service import get_library
from hygie.group import cli as group_cli
from hygie.group import report as group_report
from hygie.group import service as group_service
from hygie.group.schemas import GroupView
from hygie.org import service as org_service
from hygie.org.access import Principal
from hygie.org.models import Role
from hygie.reports import management as management_report
from hygie.reports import service as report_service
from hygie.reports.render import render_management_html
from hygie.reports.schemas import ManagementSummary
from hygie.reports.vocabulary import label


@handle_errors
def demo(
    reset: Annotated[
        bool, typer.Option("--reset/--no-reset", help="Wipe a home built by an earlier demo and rebuild it")
    ] = True,
) -> None:
    """Build the demo group: its hospital (two campaigns, findings, optimised plan, a week of logs) and two
    other establishments of lower and higher maturity; write the hospital's reports."""
    settings = get_settings()
    home = settings.home
    with database() as session:
        if demo_service.home_holds_other_data(session, home):
            error_console.print(
                f"[bold red]{home}[/] contient des données réelles : la démonstration n'y touche pas. "
                "Donnez à HYGIE_HOME un autre dossier pour la démonstration.",
                markup=True,
            )
            raise typer.Exit(1)
        populated = bool(org_service.list_establishments(session))
    if populated:
        if not reset:
            error_console.print(f"La démonstration est déjà construite dans {home} (--reset la reconstruit).")
            raise typer.Exit(1)
        demo_service.reset(get_engine(), home)
        forget_migrations()
    demo_service.mark(home)

    library = get_library()
    with (
        console.status("Construction du GHT de démonstration (trois établissements)…"),
        database() as session,
    ):
        group = demo_service.build_group(session, library, feeds=settings, logs=settings)
        result = group.hospital
        members = [
            (r.establishment_id, r.profile.key, r.profile.establishment.name) for r in group.establishments
        ]
        demo_accounts = demo_logins.create_group_accounts(session, group.group_id, ght.GROUP, members)
    written = []
    with console.status("Rapports…"):
        for lang in ("fr", "en"):
            with database() as session:
                report = report_service.maturity_report(
                    session,
                    result.establishment_id,
                    library,
                    lang=lang,
                    budget=hospital.PLAN_BUDGET,
                    days=hospital.PLAN_DAYS,
                )
            html, pdf = report_service.default_paths(settings.reports_dir, hospital.HOSPITAL.finess, lang)
            written += report_service.write_report(report, lang, html, pdf)
            if lang == "fr":
                summary = report

    console.print(f"\n[bold]{hospital.HOSPITAL.name}[/] — FINESS {hospital.HOSPITAL.finess}")
    table = Table("Dimension", "2025", "2026", title="Maturité (0–100)")
    for dimension in summary.dimensions:
        previous = "–" if dimension.previous_score is None else fmt_number(dimension.previous_score, "fr")
        table.add_row(label(dimension.dimension, "fr"), previous, fmt_number(dimension.score, "fr"))
    console.print(table)
    console.print(
        f"Indice global : [bold]{fmt_number(summary.global_index, 'fr', 1)}[/] "
        f"(campagne précédente : {fmt_number(summary.previous_global_index, 'fr', 1)})"
    )
    if result.inventory is not None:
        stock = result.inventory
        console.print(
            f"Inventaire : {fmt_number(stock.assets, 'fr')} équipements dont "
            f"{fmt_number(stock.medical_devices, 'fr')} dispositifs médicaux connectés "
            f"(un inventaire CSV puis un scan Nmap de {fmt_number(stock.scanned, 'fr')} hôtes)"
        )
    if result.vulnerabilities is not None:
        scan = result.vulnerabilities
        counts = scan.by_priority
        console.print(
            f"Vulnérabilités et obsolescence : {fmt_number(scan.results, 'fr')} constats "
            f"(Act {fmt_number(counts['act'], 'fr')}, Attend {fmt_number(counts['attend'], 'fr')}, "
            f"Track* {fmt_number(counts['track*'], 'fr')}, Track {fmt_number(counts['track'], 'fr')}) "
            "contre le catalogue de démonstration hors ligne ([cyan]hygie feeds update[/] le remplace "
            "par les catalogues publics)",
            markup=True,
        )
    if result.network is not None:
        check = result.network
        console.print(
            f"Réseau : {fmt_number(len(check.zones), 'fr')} zones, "
            f"{fmt_number(len(check.violations), 'fr')} flux contraires à la politique de segmentation, "
            f"{fmt_number(len(check.exposures), 'fr')} services exposés vus de l'extérieur"
        )
    console.print(
        "Continuité, sensibilisation et incidents : services de soins et leurs dépendances, sauvegardes "
        "(une application jamais restaurée en test), deux exercices, deux campagnes d'hameçonnage "
        f"simulé, {len(result.incident_ids)} incidents (un clos, un en cours avec ses échéances)"
    )
    if result.logs is not None:
        found = result.logs
        events, alerts = fmt_number(found.events, "fr"), fmt_number(found.alerts, "fr")
        critical = fmt_number(found.by_level.get("critical", 0), "fr")
        high = fmt_number(found.by_level.get("high", 0), "fr")
        console.print(
            f"Signaux précurseurs : une semaine de journaux ({events} événements Windows, Linux, "
            "messagerie et métriques) avec une attaque scénarisée (hameçonnage, compte volé, PsExec, "
            f"clichés instantanés supprimés, sauvegardes en échec) : {alerts} alertes dont {critical} "
            f"critiques et {high} élevées, {fmt_number(found.detector_alerts, 'fr')} des détecteurs "
            f"statistiques, calculés en {fmt_number(found.detector_seconds, 'fr', 1)} s "
            f"([cyan]hygie alerts list {hospital.HOSPITAL.finess}[/])",
            markup=True,
        )
        suppressed = found.suppressed
        console.print(
            f"Réglage de la détection : {fmt_number(suppressed, 'fr')} "
            f"{'détection écartée' if suppressed < 2 else 'détections écartées'} (le compte d'astreinte "
            "exclu des connexions hors heures ouvrées ; celles du compte d'administrateur volé restent "
            "signalées), échecs de sauvegarde relevés au niveau élevé, heures ouvrées du CHU de 7 h à 19 h "
            "du lundi au samedi "
            f"([cyan]hygie rules tuning {hospital.HOSPITAL.finess}[/])",
            markup=True,
        )
    plan = summary.plan
    if plan is not None:
        console.print(
            f"Plan optimisé pour {fmt_euros(plan.budget, 'fr')} : {len(plan.actions)} actions, "
            f"{fmt_euros(plan.total_cost, 'fr')}, indice {fmt_number(plan.index_before, 'fr', 1)}"
            f" → {fmt_number(plan.index_after, 'fr', 1)}"
        )
    console.print("\nRapports :")
    for path in written:
        console.print(f"  {path}")
    _print_accounts(demo_accounts)
    console.print(
        f"\nDonnées dans {home}. Essayez : [cyan]hygie establishments list[/], "
        f"[cyan]hygie assess score {hospital.HOSPITAL.finess}[/], "
        f"[cyan]hygie plan roadmap {hospital.HOSPITAL.finess}[/], "
        f"[cyan]hygie assets list {hospital.HOSPITAL.finess} --kind medical_device[/], "
        f"[cyan]hygie vulns list {hospital.HOSPITAL.finess} --priority act[/], "
        f"[cyan]hygie network check {hospital.HOSPITAL.finess}[/], "
        f"[cyan]hygie continuity services {hospital.HOSPITAL.finess}[/], "
        f"[cyan]hygie incidents list {hospital.HOSPITAL.finess}[/], "
        f"[cyan]hygie awareness phishing rates {hospital.HOSPITAL.finess}[/]",
        markup=True,
    )
    with console.status("Tableau de bord du groupe et rapport de direction…"):
        board = _group_and_management(group.group_id, result.establishment_id, library)
    console.print()
    group_cli.print_view(board.group, "fr")
    console.print("Rapport du groupe :")
    for path in board.group_files:
        console.print(f"  {path}")
    _print_management(board.summary, board.files)


@dataclass
class _Board:
    group: GroupView
    group_files: list[Path]
    summary: ManagementSummary
    files: list[Path]


def _group_and_management(group_id: int, establishment_id: int, library: Library) -> _Board:
    """The group's dashboard and report (as its RSSI sees them), then the hospital's management report
    in both languages (PDF and HTML), its figures stored for the next report's trend."""
    reports_dir = get_settings().reports_dir
    reports_dir.mkdir(parents=True, exist_ok=True)
    with database() as session:
        view = group_service.group_view(session, Principal.cli(), group_id, library, "fr")
    group_files = []
    for fmt in ("pdf", "html"):
        path = reports_dir / group_report.file_name(view, "fr", fmt)
        path.write_bytes(group_report.render(view, "fr", fmt))
        group_files.append(path)
    files: list[Path] = []
    summary: ManagementSummary | None = None
    for lang in ("en", "fr"):
        with database() as session:
            figures, content = management_report.generate(session, establishment_id, library, lang, "pdf")
        finess = figures.establishment.finess
        pdf = reports_dir / management_report.file_name(finess, lang, "pdf")
        pdf.write_bytes(content)
        html = reports_dir / management_report.file_name(finess, lang, "html")
        html.write_text(render_management_html(figures), encoding="utf-8")
        files += [pdf, html]
        summary = figures
    assert summary is not None  # the loop ran
    return _Board(view, group_files, summary, files)


def _print_management(summary: ManagementSummary, files: list[Path]) -> None:
    """The first lines of the board's two pages, and where the report is."""
    standing = summary.standing
    console.print(f"\n[bold]Rapport de direction[/] — {summary.establishment.name}")
    declared = "–" if standing.declared_index is None else fmt_number(standing.declared_index, "fr", 1)
    measured = "–" if standing.measured_index is None else fmt_number(standing.measured_index, "fr", 1)
    console.print(
        f"Indice déclaré {declared}, mesuré par les faits {measured} "
        f"({fmt_number(standing.measured_controls, 'fr')} contrôles mesurés, "
        f"{fmt_number(standing.evidence_gaps, 'fr')} "
        f"{'écart' if standing.evidence_gaps < 2 else 'écarts'} d'au moins deux niveaux)"
    )
    if summary.plan is not None:
        before, after = summary.plan.index_before, summary.plan.index_after
        console.print(
            f"Plan : {fmt_euros(summary.plan.cost, 'fr')}, indice "
            f"{fmt_number(before, 'fr', 1)} → {fmt_number(after, 'fr', 1)}"
        )
    for path in files:
        console.print(f"  {path}")


def _print_accounts(demo_accounts: list[demo_logins.DemoAccount]) -> None:
    """The accounts to sign in with, and how to open the web application."""
    roles = {Role.RSSI: "RSSI", Role.MANAGEMENT: "Direction (lecture seule)"}
    console.print(
        "\n[bold]Comptes de démonstration[/] (second facteur TOTP désactivé pour la démonstration) :"
    )
    for account in demo_accounts:
        role = roles.get(account.role, account.role.value)
        where = (
            f"du groupe {account.scope} (tous ses établissements)" if account.group else f"— {account.scope}"
        )
        console.print(f"  {role} {where}", highlight=False)
        console.print(f"    e-mail       : {account.email}", highlight=False)
        console.print(f"    mot de passe : {account.password}", highlight=False)
    console.print(
        "Navigateur : [cyan]make serve[/] (ou [cyan]hygie serve[/]), puis http://127.0.0.1:8000",
        markup=True,
        highlight=False,
    )
