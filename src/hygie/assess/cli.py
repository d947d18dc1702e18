"""``hygie assess``: maturity campaigns, answered one question at a time, by script or by workbook."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.prompt import Prompt
from rich.table import Table
from sqlalchemy.orm import Session

from hygie.assess import evidence, scoring, service, xlsx
from hygie.assess.models import Campaign
from hygie.assess.schemas import (
    AnswerOut,
    AnswerStatus,
    CampaignOut,
    CampaignPath,
    MaturityScore,
    MeasuredScore,
    ScoreComparison,
)
from hygie.assess.scoring import RULES
from hygie.cli.common import (
    EstablishmentArg,
    JsonOption,
    LangOption,
    console,
    database,
    error_console,
    handle_errors,
    print_json,
)
from hygie.core.errors import ImportRejectedError, NotFoundError
from hygie.core.formatting import fmt_number, fmt_percent
from hygie.core.i18n import normalise_language
from hygie.core.settings import get_settings
from hygie.core.time import today
from hygie.frameworks.loader import Library, default_library
from hygie.frameworks.schema import Control, Dimension
from hygie.org import service as org_service
from hygie.org.models import Establishment
from hygie.org.schemas import Nis2Category
from hygie.plan import service as plan_service

app = typer.Typer(help="Évaluation de maturité / maturity assessment.", no_args_is_help=True)

CampaignOption = Annotated[
    int | None, typer.Option("--campaign", help="Campaign id (default: the latest campaign)")
]


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in some containers
        return "unknown"


ByOption = Annotated[str, typer.Option("--by", help="Who answers (default: the OS user name)")]

SCALE = {
    "fr": "0 absent · 1 initial · 2 reproductible · 3 défini · 4 piloté · 5 optimisé",
    "en": "0 absent · 1 initial · 2 repeatable · 3 defined · 4 managed · 5 optimised",
}
KEYS = {
    "fr": "0-5 niveau · a alternative · n non applicable · ? je ne sais pas · s passer · q quitter",
    "en": "0-5 level · a alternative · n not applicable · ? don't know · s skip · q quit",
}


def _t(lang: str, fr: str, en: str) -> str:
    return en if normalise_language(lang) == "en" else fr


def _library() -> Library:
    return default_library(get_settings().library_dir)


def _campaign(session: Session, establishment: Establishment, campaign_id: int | None) -> Campaign:
    if campaign_id is not None:
        return service.get_campaign(session, establishment.id, campaign_id)
    return service.latest_campaign(session, establishment.id)


def _dimension(dimension: Dimension, lang: str) -> str:
    return xlsx.DIMENSION_LABELS[normalise_language(lang)][dimension]


def _fmt(value: float | None, lang: str, percent: bool = False) -> str:
    return fmt_percent(value, lang, 1) if percent else fmt_number(value, lang, 1)


@app.command("start")
@handle_errors
def start(
    establishment_key: EstablishmentArg,
    name: Annotated[str | None, typer.Option(help="Campaign name")] = None,
    on: Annotated[
        str | None, typer.Option("--date", help="Assessment date, YYYY-MM-DD (default: today)")
    ] = None,
    path: Annotated[
        CampaignPath | None,
        typer.Option(help="short (essential controls, small clinics) or full; default from the NIS2 size"),
    ] = None,
    from_previous: Annotated[bool, typer.Option(help="Start from the previous campaign's answers")] = False,
    as_json: bool = JsonOption,
) -> None:
    """Open a new assessment campaign."""
    try:
        assessed_on = date.fromisoformat(on) if on else today()
    except ValueError as exc:
        raise typer.BadParameter(f"--date {on!r}: expected YYYY-MM-DD") from exc
    library = _library()
    with database() as session:
        establishment = org_service.find_establishment(session, establishment_key)
        if path is None:  # an entity out of NIS2 scope is a small structure: the short path first
            small = org_service.nis2_status(establishment).category == Nis2Category.OUT_OF_SCOPE
            path = CampaignPath.SHORT if small else CampaignPath.FULL
        campaign = service.create_campaign(
            session,
            establishment.id,
            name or f"Évaluation {assessed_on.isoformat()}",
            assessed_on,
            path,
            from_previous=from_previous,
            library=library,
        )
        out = CampaignOut.model_validate(campaign)
        copied = len(campaign.answers)
        total = len(service.path_controls(campaign, library))
    if as_json:
        print_json({**out.model_dump(mode="json"), "copied_answers": copied, "controls": total})
        return
    console.print(
        f"[green]Campagne ouverte / campaign opened[/] #{out.id} {out.name} — {out.path.value}, "
        f"{total} mesures/controls, {copied} réponses reprises/answers copied"
    )


def _ask_justification(lang: str) -> str:
    while True:
        text = Prompt.ask(
            _t(lang, "Justification (obligatoire)", "Justification (required)"), console=console
        )
        if text.strip():
            return text.strip()


def _show(control: Control, lang: str, position: int, total: int) -> None:
    dimension = _dimension(control.dimension, lang)
    body = (
        f"[bold]{control.title.get(lang)}[/]\n\n{control.question.get(lang)}\n\n"
        f"{_t(lang, 'Cible', 'Target')} : {control.target}    {SCALE[normalise_language(lang)]}\n"
        f"[dim]{KEYS[normalise_language(lang)]}[/]"
    )
    console.print(Panel(body, title=f"{position}/{total} · {control.id} · {dimension}", title_align="left"))


@app.command("run")
@handle_errors
def run(
    establishment_key: EstablishmentArg,
    campaign_id: CampaignOption = None,
    lang: str = LangOption,
    by: ByOption = "",
) -> None:
    """Answer the questionnaire one question at a time; resumes at the first unanswered control."""
    library = _library()
    by = by or _default_user()
    with database() as session:
        establishment = org_service.find_establishment(session, establishment_key)
        campaign = _campaign(session, establishment, campaign_id)
        controls = service.path_controls(campaign, library)
        answered = {a.control_id for a in campaign.answers}
        pending = [c for c in controls if c.id not in answered]
        if not pending:
            console.print(_t(lang, "Toutes les questions ont une réponse.", "Every question is answered."))
            return
        skipped = 0
        for control in pending:
            _show(control, lang, controls.index(control) + 1, len(controls))
            while True:
                choice = Prompt.ask(_t(lang, "Réponse", "Answer"), console=console).strip().lower()
                if choice in {"0", "1", "2", "3", "4", "5"}:
                    data = service.answer_in(AnswerStatus.LEVEL, int(choice))
                elif choice == "a":
                    data = service.answer_in(AnswerStatus.ALTERNATIVE, None, _ask_justification(lang))
                elif choice == "n":
                    data = service.answer_in(AnswerStatus.NOT_APPLICABLE, None, _ask_justification(lang))
                elif choice == "?":
                    data = service.answer_in(AnswerStatus.UNKNOWN)
                elif choice == "s":
                    skipped += 1
                    break
                elif choice == "q":
                    console.print(
                        _t(
                            lang,
                            "Interrompu : reprise possible avec la même commande.",
                            "Stopped: run the same command to resume.",
                        )
                    )
                    return
                else:
                    console.print(f"[red]?[/] {KEYS[normalise_language(lang)]}")
                    continue
                service.record_answer(session, campaign, control.id, data, by, library=library)
                session.commit()  # every answer kept at once: an interrupted run resumes where it stopped
                break
        left = sum(1 for c in controls if c.id not in {a.control_id for a in campaign.answers})
        console.print(
            _t(
                lang,
                f"Terminé : {left} question(s) sans réponse ({skipped} passée(s)).",
                f"Done: {left} question(s) unanswered ({skipped} skipped).",
            )
        )


@app.command("answer")
@handle_errors
def answer(
    establishment_key: EstablishmentArg,
    control_id: Annotated[str, typer.Argument(help="Control id, e.g. TEC-PATCH")],
    level: Annotated[int | None, typer.Option(min=0, max=5, help="Maturity level 0..5")] = None,
    alternative: Annotated[bool, typer.Option("--alternative", help="A compensating measure")] = False,
    na: Annotated[bool, typer.Option("--na", help="Not applicable")] = False,
    unknown: Annotated[bool, typer.Option("--unknown", help="Don't know: a knowledge gap")] = False,
    justification: Annotated[str | None, typer.Option(help="Required with --alternative and --na")] = None,
    comment: Annotated[str | None, typer.Option(help="Free comment")] = None,
    evidence: Annotated[
        list[str] | None, typer.Option(help="Evidence file or http(s) link; repeatable")
    ] = None,
    campaign_id: CampaignOption = None,
    by: ByOption = "",
    as_json: bool = JsonOption,
) -> None:
    """Record one answer (for scripts)."""
    chosen = [
        s
        for s, on in [
            (AnswerStatus.LEVEL, level is not None),
            (AnswerStatus.ALTERNATIVE, alternative),
            (AnswerStatus.NOT_APPLICABLE, na),
            (AnswerStatus.UNKNOWN, unknown),
        ]
        if on
    ]
    if len(chosen) != 1:
        raise typer.BadParameter("give exactly one of --level N, --alternative, --na, --unknown")
    data = service.answer_in(chosen[0], level, justification, comment)
    by = by or _default_user()
    library = _library()
    with database() as session:
        establishment = org_service.find_establishment(session, establishment_key)
        campaign = _campaign(session, establishment, campaign_id)
        saved = service.record_answer(
            session, campaign, control_id.strip().upper(), data, by, library=library
        )
        for item in evidence or []:
            if item.lower().startswith(("http://", "https://")):
                service.attach_evidence_link(session, saved, item, by)
            else:
                service.attach_evidence_file(session, saved, Path(item), by)
        out = AnswerOut.model_validate(saved)
    if as_json:
        print_json(out)
        return
    shown = out.level if out.status == AnswerStatus.LEVEL else out.status.value
    console.print(f"[green]{out.control_id}[/] = {shown} ({len(out.evidence)} preuve(s)/evidence)")


def _print_score(result: MaturityScore, lang: str) -> None:
    table = Table(_t(lang, "Dimension", "Dimension"), "Score", _t(lang, "Évaluées", "Scored"))
    for d in result.dimensions:
        table.add_row(_dimension(d.dimension, lang), _fmt(d.score, lang), f"{d.scored}/{d.total}")
    console.print(table)
    console.print(
        f"[bold]{_t(lang, 'Indice global', 'Global index')}[/] : {_fmt(result.global_index, lang)} / 100"
    )
    refs = Table(
        "Référentiel" if lang == "fr" else "Referential",
        "%",
        "C",
        "P",
        "NC",
        "N/A",
        _t(lang, "Non évaluées", "Not assessed"),
    )
    for r in result.referentials:
        refs.add_row(
            r.short_name,
            _fmt(r.percent, lang, percent=True),
            str(r.compliant),
            str(r.partial),
            str(r.non_compliant),
            str(r.not_applicable),
            str(r.not_assessed),
        )
        for tier in r.per_tier:
            refs.add_row(
                f"  · {tier.name.get(lang)}",
                _fmt(tier.percent, lang, percent=True),
                str(tier.compliant),
                str(tier.partial),
                str(tier.non_compliant),
                str(tier.not_applicable),
                str(tier.not_assessed),
            )
    console.print(refs)
    for key in ("level", "dimension", "compliance"):
        console.print(f"[dim]{RULES[key].get(lang)}[/]")
    gaps = ", ".join(result.knowledge_gaps) or "—"
    console.print(f"{_t(lang, 'Lacunes de connaissance', 'Knowledge gaps')} : {gaps}")
    console.print(
        f"{_t(lang, 'Complétude', 'Completion')} : {result.completion:.0f} % "
        f"({result.answered}/{result.in_scope})"
    )


@app.command("score")
@handle_errors
def score(
    establishment_key: EstablishmentArg,
    campaign_id: CampaignOption = None,
    declared: Annotated[
        bool, typer.Option("--declared", help="The answers alone, without the plan's actions done since")
    ] = False,
    with_evidence: Annotated[
        bool,
        typer.Option(
            "--evidence",
            help="Also the levels measured from the data, and gaps of 2 levels or more as findings",
        ),
    ] = False,
    as_json: bool = JsonOption,
    lang: str = LangOption,
) -> None:
    """Scores per dimension, global index, compliance with each referential, knowledge gaps.

    The scores count the actions of the plan done since the campaign was opened, as every other
    screen and report does; --declared shows the answers alone. --evidence adds, for every control
    the data can speak to, the measured level and why, and records the gaps as findings.
    """
    library = _library()
    rows: list[evidence.EvidenceRow] = []
    measured: MeasuredScore | None = None
    with database() as session:
        establishment = org_service.find_establishment(session, establishment_key)
        campaign = _campaign(session, establishment, campaign_id)
        current = plan_service.current_maturity(session, establishment.id, library, campaign)
        answers = current.declared if declared else current.answers
        result = scoring.score(library, answers, service.scope_of(campaign, library))
        moved = (
            0 if declared else len(plan_service.done_template_ids(session, establishment.id, current.since))
        )
        title = f"#{campaign.id} {campaign.name} ({campaign.assessed_on.isoformat()}, {campaign.path})"
        if with_evidence:
            scope = service.scope_of(campaign, library)
            levels = scoring.scored_levels(library, answers, scope)
            rows = evidence.refresh(session, establishment.id, library, dict(levels))
            measured = scoring.measured_score(
                library, levels, {r.control_id: r.measured.level for r in rows}, scope
            )
    if as_json:
        if measured is not None:
            print_json(
                {
                    "score": result.model_dump(mode="json"),
                    "measured_score": measured.model_dump(mode="json"),
                    "evidence": [_evidence_json(r) for r in rows],
                }
            )
        else:
            print_json(result)
        return
    console.print(f"[bold]{establishment.name}[/] — {title}")
    if moved:
        console.print(
            _t(
                lang,
                f"Dont {moved} action(s) du plan terminée(s) depuis la campagne "
                "(--declared : réponses seules).",
                f"Including {moved} action(s) of the plan done since the campaign "
                "(--declared: answers alone).",
            )
        )
    _print_score(result, lang)
    if measured is not None:
        _print_evidence(rows, lang)
        _print_measured(result, measured, lang)


def _evidence_json(row: evidence.EvidenceRow) -> dict[str, object]:
    return evidence.row_out(row).model_dump(mode="json")


def _print_evidence(rows: list[evidence.EvidenceRow], lang: str) -> None:
    if not rows:
        console.print(_t(lang, "Aucune mesure tirée des données.", "Nothing measured from the data."))
        return
    table = Table(title=_t(lang, "Déclaré et mesuré", "Declared and measured"))
    for header in (
        _t(lang, "Mesure", "Control"),
        _t(lang, "Déclaré", "Declared"),
        _t(lang, "Mesuré", "Measured"),
        _t(lang, "Preuve du", "Evidence of"),
        _t(lang, "Pourquoi", "Why"),
    ):
        table.add_column(header)
    for row in rows:
        declared = "—" if row.declared is None else str(row.declared)
        measured = f"[red]{row.measured.level}[/]" if row.gap else str(row.measured.level)
        day = row.measured.measured_at.isoformat()
        if row.measured.stale:
            day += _t(lang, " [yellow](périmée)[/]", " [yellow](stale)[/]")
        why = row.measured.basis.get(lang)
        if row.gap:
            why = _t(lang, "Écart : ", "Gap: ") + why
        table.add_row(row.control_id, declared, measured, day, why)
    console.print(table)
    console.print(
        _t(
            lang,
            "Le plan d'action retient le niveau mesuré partout où il existe ; "
            "règles : controls.yaml (evidence).",
            "The action plan uses the measured level wherever there is one; rules: controls.yaml (evidence).",
        )
    )


def _print_measured(result: MaturityScore, measured: MeasuredScore, lang: str) -> None:
    declared = "–" if result.global_index is None else f"{result.global_index:.1f}"
    shown = "–" if measured.global_index is None else f"{measured.global_index:.1f}"
    console.print(
        _t(
            lang,
            f"Indice déclaré : {declared} / 100 — indice mesuré : {shown} / 100 "
            f"({len(measured.measured)} mesure(s) tirée(s) des données)",
            f"Declared index: {declared} / 100 — measured index: {shown} / 100 "
            f"({len(measured.measured)} control(s) measured from the data)",
        )
    )


@app.command("compare")
@handle_errors
def compare(
    establishment_key: EstablishmentArg,
    from_id: Annotated[
        int | None, typer.Option("--from", help="Earlier campaign (default: the one before)")
    ] = None,
    to_id: Annotated[int | None, typer.Option("--to", help="Later campaign (default: the latest)")] = None,
    as_json: bool = JsonOption,
    lang: str = LangOption,
) -> None:
    """How maturity evolved between two campaigns."""
    library = _library()
    with database() as session:
        establishment = org_service.find_establishment(session, establishment_key)
        after = _campaign(session, establishment, to_id)
        before = (
            service.get_campaign(session, establishment.id, from_id)
            if from_id is not None
            else service.previous_campaign(session, after)
        )
        if before is None:
            raise NotFoundError(f"campaign {after.id} has no earlier campaign to compare with")
        diff: ScoreComparison = service.compare_campaigns(session, before, after, library)
    if as_json:
        print_json({"from": before.id, "to": after.id, **diff.model_dump(mode="json")})
        return
    table = Table("", _t(lang, "Avant", "Before"), _t(lang, "Après", "After"), "Δ")
    g = diff.global_index
    table.add_row(
        _t(lang, "Indice global", "Global index"),
        _fmt(g.before, lang),
        _fmt(g.after, lang),
        _fmt(g.delta, lang),
    )
    for d in diff.dimensions:
        table.add_row(
            _dimension(d.dimension, lang), _fmt(d.before, lang), _fmt(d.after, lang), _fmt(d.delta, lang)
        )
    for r in diff.referentials:
        table.add_row(
            r.short_name, _fmt(r.before, lang, True), _fmt(r.after, lang, True), _fmt(r.delta, lang)
        )
    console.print(table)
    for label, changes in (
        (_t(lang, "En hausse", "Raised"), diff.raised),
        (_t(lang, "En baisse", "Lowered"), diff.lowered),
    ):
        console.print(
            f"{label} : " + (", ".join(f"{c.control_id} {c.before}→{c.after}" for c in changes) or "—")
        )


@app.command("export")
@handle_errors
def export(
    establishment_key: EstablishmentArg,
    target: Annotated[Path, typer.Option("--xlsx", help="Workbook to write (.xlsx)", dir_okay=False)],
    campaign_id: CampaignOption = None,
    lang: str = LangOption,
) -> None:
    """Write the questionnaire as a workbook for department heads."""
    library = _library()
    with database() as session:
        establishment = org_service.find_establishment(session, establishment_key)
        campaign = _campaign(session, establishment, campaign_id)
        xlsx.export_campaign(campaign, library, lang, target)
    console.print(f"[green]{target}[/] — #{campaign.id} {campaign.name}")


@app.command("import")
@handle_errors
def import_(
    establishment_key: EstablishmentArg,
    source: Annotated[Path, typer.Option("--xlsx", help="Filled-in workbook (.xlsx)", dir_okay=False)],
    campaign_id: CampaignOption = None,
    by: ByOption = "",
    as_json: bool = JsonOption,
) -> None:
    """Read a filled-in workbook back: every answer, or none when any cell is wrong."""
    library = _library()
    with database() as session:
        establishment = org_service.find_establishment(session, establishment_key)
        campaign = _campaign(session, establishment, campaign_id)
        try:
            result = xlsx.import_campaign(session, campaign, library, source, by or _default_user())
        except ImportRejectedError as exc:
            error_console.print(
                f"[bold red]{source.name}[/] : {len(exc.problems)} problème(s), rien importé / "
                "nothing imported",
                highlight=False,
            )
            for problem in exc.problems:
                error_console.print(f"  - {problem}", markup=False, highlight=False)
            raise typer.Exit(1) from exc
    if as_json:
        print_json(result)
        return
    console.print(
        f"[green]{result.recorded}[/] réponse(s) enregistrée(s)/recorded, {result.unchanged} inchangée(s)/"
        f"unchanged, {result.blank} sans réponse/blank"
    )


@app.command("list")
@handle_errors
def list_(establishment_key: EstablishmentArg, as_json: bool = JsonOption) -> None:
    """The establishment's campaigns, most recent first."""
    library = _library()
    with database() as session:
        establishment = org_service.find_establishment(session, establishment_key)
        rows = [
            (CampaignOut.model_validate(c), len(c.answers), len(service.path_controls(c, library)))
            for c in reversed(service.list_campaigns(session, establishment.id))
        ]
    if as_json:
        print_json([{**c.model_dump(mode="json"), "answered": a, "controls": t} for c, a, t in rows])
        return
    table = Table("#", "Nom / name", "Date", "Parcours / path", "Statut / status", "Réponses / answers")
    for c, answered, total in rows:
        table.add_row(
            str(c.id), c.name, c.assessed_on.isoformat(), c.path.value, c.status.value, f"{answered}/{total}"
        )
    console.print(table)


@app.command("close")
@handle_errors
def close(establishment_key: EstablishmentArg, campaign_id: CampaignOption = None) -> None:
    """Close a campaign: its answers become read-only."""
    with database() as session:
        establishment = org_service.find_establishment(session, establishment_key)
        campaign = service.close_campaign(session, _campaign(session, establishment, campaign_id))
    console.print(f"[green]#{campaign.id}[/] {campaign.name} : {campaign.status}")
