"""``hygie rules``: import, download, list and show Sigma rules; tune them per establishment (the Sigma
rules and the statistical detectors' rules ``hygie-stat-…``, listed by ``hygie detect detectors``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from hygie.cli.common import (
    EstablishmentArg,
    JsonOption,
    LangOption,
    console,
    database,
    handle_errors,
    print_json,
)
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.i18n import N_, gettext
from hygie.core.settings import get_settings
from hygie.detect import tuning
from hygie.detect.models import LEVEL_LABELS, AlertLevel, EntityField, RuleTuning, TuningKind
from hygie.detect.schemas import RuleTuningOut
from hygie.detect.sigma.compiler import CompiledRules, compile_paths
from hygie.detect.sigma.filters import PRODUCTS
from hygie.detect.sigma.rules import import_rules, installed_rule_dirs, update_rules
from hygie.org import audit
from hygie.org import service as org_service

app = typer.Typer(
    help="Sigma detection rules (SigmaHQ and Hygie's own); the tuning of the rules and of the statistical "
    "detectors per establishment.",
    no_args_is_help=True,
)


def cache_dir() -> Path:
    return get_settings().home / "cache" / "sigma"


def installed() -> CompiledRules:
    """The installed rules, compiled (from the cache when unchanged)."""
    return compile_paths(installed_rule_dirs(), cache_dir())


def installed_for(session: Session, establishment_id: int) -> CompiledRules:
    """The installed rules as one establishment runs them: its filters compiled in, its overrides applied."""
    return tuning.tuned_rules(session, establishment_id, installed_rule_dirs(), cache_dir())


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


# --- Tuning per establishment: exclusions (Sigma filters), disabled rules, levels ----------------------


def _tuning_row(item: RuleTuning) -> dict[str, object]:
    return RuleTuningOut.model_validate(item).model_dump(mode="json")


def _audit(session: Session, action: str, item: RuleTuning, details: dict[str, object]) -> None:
    audit.record(
        session,
        actor=audit.cli_actor(),
        action=action,
        object_type="detect_rule_tuning",
        object_id=item.id,
        establishment_id=item.establishment_id,
        details=details,
    )


def _done(item: RuleTuning, as_json: bool, message: str) -> None:
    if as_json:
        print_json(_tuning_row(item))
        return
    console.print(message, markup=False)


@app.command("tuning")
@handle_errors
def tuning_command(
    establishment: EstablishmentArg, lang: str = LangOption, as_json: bool = JsonOption
) -> None:
    """The establishment's tuning: exclusions (Sigma filters), disabled rules, changed levels, hosts or
    users excluded from the statistical detectors."""
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        items = tuning.list_tunings(session, establishment_id)
        if as_json:
            print_json([_tuning_row(t) for t in items])
            return
        if not items:
            console.print(gettext("No tuning: every rule applies as written.", lang))
            return
        titles = _titles(items, lang)
        table = Table("#", gettext("Kind", lang))
        table.add_column(gettext("Rule", lang), no_wrap=True)  # the id is typed back: never cut
        table.add_column(gettext("Detail", lang), overflow="fold")  # host names are long words
        for item in items:
            detail = Text(_detail(item, lang))
            title = titles.get(item.rule_id)
            if title and item.kind != TuningKind.FILTER:  # a filter's detail is its own title
                detail = Text.assemble((title, "dim"), "\n", detail)
            table.add_row(
                str(item.id), gettext(tuning.KIND_LABELS[item.kind], lang), _rule(item, lang), detail
            )
        console.print(table)
        # Why, in the words of whoever decided: under the table, where a long reason stays readable.
        for item in items:
            if item.reason:
                who = f" {item.created_by} ·" if item.created_by else ""
                console.print(Text(f"#{item.id} ·{who} {item.reason}"))


def _titles(items: list[RuleTuning], lang: str) -> dict[str, str]:
    """The titles of the rules the tuning names: the detectors' in the reader's language, the installed
    Sigma rules' as written (compiled only when a tuning names one: cached, but the first time costs)."""
    titles = {rule_id: gettext(title, lang) for rule_id, title in tuning.detector_rules().items()}
    if any(not tuning.is_detector_rule(t.rule_id) and t.kind != TuningKind.FILTER for t in items):
        compiled = installed()
        titles |= {r.id: r.title for r in compiled.rules if r.id}
        titles |= {c.id: c.title for c in compiled.correlations if c.id}
    return titles


ENTITY_LABELS = {EntityField.HOST: N_("host"), EntityField.USER: N_("user")}


def _rule(item: RuleTuning, lang: str) -> str:
    if item.kind == TuningKind.ENTITY and item.rule_id == tuning.ANY_DETECTOR:
        return gettext("every detector rule", lang)
    return item.rule_id


def _detail(item: RuleTuning, lang: str) -> str:
    if item.kind == TuningKind.FILTER:
        return item.title
    if item.kind == TuningKind.ENTITY and item.entity_field is not None:
        return f"{gettext(ENTITY_LABELS[item.entity_field], lang)} = {item.entity_value}"
    return gettext(LEVEL_LABELS[item.level], lang) if item.level is not None else ""


@app.command("exclude")
@handle_errors
def exclude_command(
    establishment: EstablishmentArg,
    field: Annotated[
        str, typer.Option(help="Sigma field, modifiers allowed: Computer, User, Image|endswith")
    ],
    value: Annotated[str, typer.Option(help="Value whose events are excluded (case ignored)")],
    rule: Annotated[str, typer.Option(help="Rule id (every rule of the product when omitted)")] = "",
    product: Annotated[str, typer.Option(help="Log source product: " + ", ".join(PRODUCTS))] = "windows",
    reason: Annotated[str, typer.Option(help="Why (kept with the exclusion)")] = "",
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Exclude events from a rule (or from all): written as a standard Sigma filter."""
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        item = tuning.add_exclusion(
            session, establishment_id, field, value, rule_id=rule, product=product,
            author=audit.cli_actor(), reason=reason,
        )  # fmt: skip
        _audit(session, "rule.exclude", item, {"field": field, "value": value, "rule": rule or "any"})
        _done(item, as_json, gettext("Exclusion #{id} added", lang).format(id=item.id))


@app.command("exclude-entity")
@handle_errors
def exclude_entity_command(
    establishment: EstablishmentArg,
    host: Annotated[str, typer.Option(help="Host whose detections are dropped (case ignored)")] = "",
    user: Annotated[str, typer.Option(help="User whose detections are dropped (case ignored)")] = "",
    rule: Annotated[
        str, typer.Option(help="Detector rule id, hygie-stat-… (every detector rule when omitted)")
    ] = "",
    reason: Annotated[str, typer.Option(help="Why (kept with the exclusion)")] = "",
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Exclude a host or a user from a statistical detector rule (or from all): its detections raise no
    alert; the baselines still count its events."""
    if bool(host) == bool(user):
        raise ValidationError("--host or --user: give one of them")
    field, value = (EntityField.HOST, host) if host else (EntityField.USER, user)
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        item = tuning.add_entity_exclusion(
            session, establishment_id, field, value, rule_id=rule, author=audit.cli_actor(), reason=reason
        )
        details: dict[str, object] = {"field": field.value, "value": item.entity_value, "rule": item.rule_id}
        _audit(session, "rule.exclude_entity", item, details)
        _done(item, as_json, gettext("Exclusion #{id} added", lang).format(id=item.id))


@app.command("filter")
@handle_errors
def filter_command(
    establishment: EstablishmentArg,
    file: Annotated[
        Path, typer.Argument(help="A Sigma filter (YAML with filter: rules, selections, condition)")
    ],
    reason: Annotated[str, typer.Option(help="Why (kept with the filter)")] = "",
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Add a Sigma filter file; a bad one is refused with its file and line."""
    text = file.read_text(encoding="utf-8")
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        item = tuning.add_filter(
            session, establishment_id, text, file=str(file), author=audit.cli_actor(), reason=reason
        )
        _audit(session, "rule.filter", item, {"file": file.name, "rules": item.rule_id})
        _done(item, as_json, gettext("Filter #{id} added", lang).format(id=item.id))


@app.command("disable")
@handle_errors
def disable_command(
    establishment: EstablishmentArg,
    rule_id: str,
    reason: Annotated[str, typer.Option(help="Why (kept with the tuning)")] = "",
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """The rule raises no alert for this establishment."""
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        item = tuning.disable_rule(
            session, establishment_id, rule_id, author=audit.cli_actor(), reason=reason
        )
        _audit(session, "rule.disable", item, {"rule": item.rule_id})
        _done(item, as_json, gettext("Rule {rule} disabled", lang).format(rule=item.rule_id))


@app.command("enable")
@handle_errors
def enable_command(
    establishment: EstablishmentArg, rule_id: str, lang: str = LangOption, as_json: bool = JsonOption
) -> None:
    """Enable a rule disabled for this establishment."""
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        item = tuning.enable_rule(session, establishment_id, rule_id)
        if item is None:
            raise NotFoundError(gettext("Rule {rule} is not disabled", lang).format(rule=rule_id))
        _audit(session, "rule.enable", item, {"rule": item.rule_id})
        _done(item, as_json, gettext("Rule {rule} enabled", lang).format(rule=item.rule_id))


@app.command("level")
@handle_errors
def level_command(
    establishment: EstablishmentArg,
    rule_id: str,
    level: AlertLevel,
    reason: Annotated[str, typer.Option(help="Why (kept with the tuning)")] = "",
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Give the rule's alerts another level for this establishment."""
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        item = tuning.set_level(
            session, establishment_id, rule_id, level, author=audit.cli_actor(), reason=reason
        )
        _audit(session, "rule.level", item, {"rule": item.rule_id, "level": level.value})
        _done(
            item, as_json, gettext("Rule {rule}: level {level}", lang).format(rule=item.rule_id, level=level)
        )


@app.command("untune")
@handle_errors
def untune_command(
    establishment: EstablishmentArg, tuning_id: int, lang: str = LangOption, as_json: bool = JsonOption
) -> None:
    """Remove one tuning (exclusion, disabled rule or level) by its number."""
    with database() as session:
        establishment_id = org_service.find_establishment(session, establishment).id
        item = tuning.remove_tuning(session, establishment_id, tuning_id)
        _audit(session, "rule.untune", item, {"kind": item.kind.value, "rule": item.rule_id})
        _done(item, as_json, gettext("Tuning #{id} removed", lang).format(id=tuning_id))
