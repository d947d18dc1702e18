"""Awareness controls measured from phishing results and trainings (the ``awareness`` provider).

Rules, as of the day ``on`` (rates over the e-mails delivered, whole establishment):

* AWA-PHISHING (once a campaign is imported), from the latest campaign: click rate ≤ 5 % and report
  rate ≥ 30 % → 5; click ≤ 10 % and report ≥ 20 % → 4; click ≤ 15 % → 3; click ≤ 25 % → 2; more → 1.
  A latest campaign more than 12 months old → 1, whatever its rates.
* AWA-TRAINING (once a training is recorded): share of the staff invited over the last 12 months who
  completed it, turned into a level by ``share_level``; nothing in 12 months → 1.
* AWA-IT-STAFF (once a session for the technical staff — IT and biomedical teams — is recorded):
  share of the technical staff invited over the last 12 months who completed it, by ``share_level``;
  their last session more than 12 months ago → 1.
No campaign or no training recorded: the control is not measured.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from hygie.assess.evidence import MeasuredLevel, register, share_level
from hygie.awareness import rates as rates_mod
from hygie.awareness import service
from hygie.awareness.findings import MAX_AGE
from hygie.awareness.models import StaffCategory
from hygie.frameworks.schema import Text

SOURCE = "awareness"
PHISHING_STEPS = ((5, 5.0, 30.0), (4, 10.0, 20.0), (3, 15.0, 0.0), (2, 25.0, 0.0))


def phishing_level(click: float, report: float) -> int:
    """The level of a campaign's click and report rates (percent)."""
    for level, max_click, min_report in PHISHING_STEPS:
        if click <= max_click and report >= min_report:
            return level
    return 1


def _pct(value: float) -> str:
    return f"{value:.0f} %"


def measure(session: Session, establishment_id: int, on: date) -> list[MeasuredLevel]:
    facts = service.facts(session, establishment_id, on)
    result: list[MeasuredLevel] = []
    if facts.last_campaign is not None:
        rates = rates_mod.rates(rates_mod.total(facts.latest.values()))
        name, day = facts.last_campaign_name or "", facts.last_campaign.isoformat()
        if on - facts.last_campaign > MAX_AGE:
            basis = Text(
                fr=f"dernière campagne d'hameçonnage « {name} » le {day}, il y a plus de 12 mois",
                en=f"last phishing campaign '{name}' on {day}, over 12 months ago",
            )
            result.append(MeasuredLevel("AWA-PHISHING", 1, basis, SOURCE, facts.last_campaign))
        elif rates.clicked is not None:
            report = rates.reported or 0.0
            basis = Text(
                fr=f"campagne « {name} » du {day} : {_pct(rates.clicked)} de clics, "
                f"{_pct(report)} de signalements",
                en=f"campaign '{name}' of {day}: {_pct(rates.clicked)} clicked, {_pct(report)} reported",
            )
            level = phishing_level(rates.clicked, report)
            result.append(MeasuredLevel("AWA-PHISHING", level, basis, SOURCE, facts.last_campaign))
    if facts.last_training is not None:
        invited = sum(c.invited for c in facts.completion.values())
        completed = sum(c.completed for c in facts.completion.values())
        if invited == 0:
            basis = Text(
                fr=f"aucune formation depuis 12 mois (dernière le {facts.last_training.isoformat()})",
                en=f"no training within 12 months (last on {facts.last_training.isoformat()})",
            )
            result.append(MeasuredLevel("AWA-TRAINING", 1, basis, SOURCE, on))
        else:
            share = 100.0 * completed / invited
            basis = Text(
                fr=f"{completed}/{invited} personnes invitées formées sur 12 mois ({_pct(share)})",
                en=f"{completed}/{invited} invited staff trained over 12 months ({_pct(share)})",
            )
            result.append(MeasuredLevel("AWA-TRAINING", share_level(completed, invited), basis, SOURCE, on))
    it_staff = _it_staff(session, establishment_id, on, facts.categories.get(StaffCategory.TECHNICAL.value))
    if it_staff is not None:
        result.append(it_staff)
    return result


def _it_staff(
    session: Session, establishment_id: int, on: date, recent: rates_mod.Completion | None
) -> MeasuredLevel | None:
    """The technical staff's completion over 12 months; not measured when no session for them exists."""
    held = [
        t.held_on
        for t in service.list_trainings(session, establishment_id)
        if t.staff_category == StaffCategory.TECHNICAL and t.held_on <= on
    ]
    if not held:
        return None
    if recent is None or recent.invited == 0:
        last = max(held).isoformat()
        basis = Text(
            fr=f"aucune formation des personnels techniques depuis 12 mois (dernière le {last})",
            en=f"no training of the technical staff within 12 months (last on {last})",
        )
        return MeasuredLevel("AWA-IT-STAFF", 1, basis, SOURCE, on)
    share = 100.0 * recent.completed / recent.invited
    basis = Text(
        fr=f"{recent.completed}/{recent.invited} personnels techniques (informatique, biomédical) "
        f"formés sur 12 mois ({_pct(share)})",
        en=f"{recent.completed}/{recent.invited} technical staff (IT, biomedical) trained over 12 months "
        f"({_pct(share)})",
    )
    return MeasuredLevel("AWA-IT-STAFF", share_level(recent.completed, recent.invited), basis, SOURCE, on)


register(SOURCE, measure)
