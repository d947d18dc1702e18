"""``hygie rules``: import, download, list and show Sigma rules."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hygie.cli.common import JsonOption, LangOption, console, handle_errors, print_json
from hygie.core.errors import NotFoundError
from hygie.core.i18n import gettext
from hygie.core.settings import get_settings
from hygie.detect.sigma.compiler import CompiledRules, compile_paths
from hygie.detect.sigma.rules import import_rules, installed_rule_dirs, update_rules

app = typer.Typer(help="Sigma detection rules (SigmaHQ and Hygie's own).", no_args_is_help=True)


def cache_dir() -> Path:
    return get_settings().home / "cache" / "sigma"


def installed() -> CompiledRules:
    """The installed rules, compiled (from the cache when unchanged)."""
    return compile_paths(installed_rule_dirs(), cache_dir())


def _summary(compiled: CompiledRules, lang: str) -> None:
    console.print(
        gettext(
            "{rules} rules, {correlations} correlations, {unconvertible} not convertible, {problems} files refused",  # noqa: E501
            lang,
        ).format(
            rules=len(compiled.rules),
            correlations=len(compiled.correlations),
            unconvertible=len(compiled.unconvertible),
            problems=len(compiled.problems),
        )
    )
    for problem in compiled.problems[:20]:
        console.print(f"  - {problem}", markup=False)


@app.command("import")
@handle_errors
def import_command(
    folder: Path, name: str | None = None, lang: str = LangOption, as_json: bool = JsonOption
) -> None:
    """Copy a folder of Sigma rules into Hygie (offline) and check every file."""
    target, _ = import_rules(folder, name)
    compiled = installed()
    if as_json:
        print_json({"folder": str(target), "rules": len(compiled.rules), "problems": compiled.problems})
        return
    console.print(gettext("Rules imported into {folder}", lang).format(folder=target), markup=False)
    _summary(compiled, lang)


@app.command("update")
@handle_errors
def update_command(package: str = "sigma_core", lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """Download SigmaHQ's latest release (sigma_core, sigma_core+ or sigma_all_rules)."""
    target, _ = update_rules(package)
    compiled = installed()
    if as_json:
        print_json({"folder": str(target), "rules": len(compiled.rules), "problems": compiled.problems})
        return
    _summary(compiled, lang)


@app.command("list")
@handle_errors
def list_command(lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """The installed rules, and the rules that could not be converted with the reason."""
    compiled = installed()
    if as_json:
        print_json(
            {
                "rules": [{"id": r.id, "title": r.title, "level": r.level} for r in compiled.rules],
                "correlations": [
                    {"id": c.id, "title": c.title, "kind": c.kind} for c in compiled.correlations
                ],
                "unconvertible": [
                    {"id": u.id, "title": u.title, "reason": u.reason} for u in compiled.unconvertible
                ],
                "problems": compiled.problems,
            }
        )
        return
    table = Table(gettext("Rule", lang), gettext("Level", lang), gettext("Title", lang))
    for rule in compiled.rules:
        table.add_row(rule.id, rule.level, rule.title)
    console.print(table)
    for item in compiled.unconvertible:
        console.print(f"{item.id} {item.title}: {item.reason}", markup=False)
    _summary(compiled, lang)


@app.command("show")
@handle_errors
def show_command(rule_id: str, lang: str = LangOption, as_json: bool = JsonOption) -> None:
    """A rule: its log source and its SQL for DuckDB and Spark."""
    compiled = installed()
    for rule in compiled.rules:
        if rule.id == rule_id:
            if as_json:
                print_json(rule.__dict__)
                return
            console.print(f"{rule.id} — {rule.title} ({rule.level})", markup=False)
            console.print(rule.file, markup=False)
            for dialect, sql in rule.sql.items():
                console.print(f"[bold]{dialect}[/bold]")
                console.print(sql, markup=False)
            return
    raise NotFoundError(gettext("No rule {rule_id}", lang).format(rule_id=rule_id))
