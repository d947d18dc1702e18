"""``hygie demo``: builds the synthetic hospital, audits it and writes its reports."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hygie.cli.common import console, database, error_console, forget_migrations, handle_errors
from hygie.core.db import get_engine
from hygie.core.formatting import fmt_euros, fmt_number
from hygie.core.settings import get_settings
from hygie.demo import accounts as demo_logins
from hygie.demo import hospital
from hygie.demo import service as demo_service
from hygie.frameworks.service import get_library
from hygie.org import service as org_service
from hygie.org.models import Role
from hygie.reports import service as report_service
from hygie.reports.vocabulary import label


@handle_errors
def demo(
    reset: Annotated[
        bool, typer.Option("--reset/--no-reset", help="Wipe a home built by an earlier demo and rebuild it")
    ] = True,
) -> None:
    """Build the demo hospital (two campaigns, findings, optimised plan) and write its reports."""
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
    with console.status("Construction de l'hôpital de démonstration…"), database() as session:
        result = demo_service.build(session, library, feeds=settings, logs=settings)
        demo_accounts = demo_logins.create_accounts(session, result.establishment_id)
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
        f"\nDonnées dans {home}. Essayez : [cyan]hygie assess score {hospital.HOSPITAL.finess}[/], "
        f"[cyan]hygie plan roadmap {hospital.HOSPITAL.finess}[/], "
        f"[cyan]hygie assets list {hospital.HOSPITAL.finess} --kind medical_device[/], "
        f"[cyan]hygie vulns list {hospital.HOSPITAL.finess} --priority act[/], "
        f"[cyan]hygie network check {hospital.HOSPITAL.finess}[/], "
        f"[cyan]hygie continuity services {hospital.HOSPITAL.finess}[/], "
        f"[cyan]hygie incidents list {hospital.HOSPITAL.finess}[/], "
        f"[cyan]hygie awareness phishing rates {hospital.HOSPITAL.finess}[/]",
        markup=True,
    )


def _print_accounts(demo_accounts: list[demo_logins.DemoAccount]) -> None:
    """The accounts to sign in with, and how to open the web application."""
    roles = {Role.RSSI: "RSSI", Role.MANAGEMENT: "Direction (lecture seule)"}
    console.print(
        "\n[bold]Comptes de démonstration[/] (second facteur TOTP désactivé pour la démonstration) :"
    )
    for account in demo_accounts:
        console.print(f"  {roles.get(account.role, account.role.value)}")
        console.print(f"    e-mail       : {account.email}", highlight=False)
        console.print(f"    mot de passe : {account.password}", highlight=False)
    console.print(
        "Navigateur : [cyan]make serve[/] (ou [cyan]hygie serve[/]), puis http://127.0.0.1:8000",
        markup=True,
        highlight=False,
    )
