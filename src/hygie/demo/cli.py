"""``hygie demo``: builds the synthetic hospital, audits it and writes its reports."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Column, Table

from hygie.cli.common import console, database, error_console, forget_migrations, handle_errors
from hygie.core.db import get_engine
from hygie.core.formatting import fmt_euros, fmt_number
from hygie.core.settings import get_settings
from hygie.demo import accounts as demo_logins
from hygie.demo import ght, hospital
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
    with database() as session:
        standings = [
            demo_service.standing(session, library, r.establishment_id) for r in group.establishments
        ]
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
    _print_group(standings)
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


def _print_group(standings: list[demo_service.Standing]) -> None:
    """The group's three establishments side by side (80 columns: no border)."""
    table = Table(
        Column("Établissement", no_wrap=True),
        "FINESS",
        Column("Maturité", justify="right"),
        Column("Critiques", justify="right"),
        Column("Plan", justify="right"),
        title=f"{ght.GROUP} : trois établissements",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    for row in standings:
        index = "–" if row.maturity_index is None else fmt_number(row.maturity_index, "fr", 1)
        cost = fmt_euros(row.plan_cost, "fr")
        table.add_row(row.name, row.finess, index, fmt_number(row.critical_findings, "fr"), cost)
    console.print()
    console.print(table)
    console.print("Maturité : indice global sur 100 ; critiques : constats critiques ouverts ;")
    console.print("plan : coût des actions adoptées. Le RSSI du GHT voit les trois établissements.")


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
