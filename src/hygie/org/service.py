"""Operations on establishments and groups; the only writer of the org tables."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.formatting import fmt_euros
from hygie.core.i18n import DEFAULT_LANGUAGE, gettext
from hygie.org.models import Establishment, Group
from hygie.org.schemas import EstablishmentIn, EstablishmentUpdate, Nis2Category, Nis2Status

# NIS2 size thresholds (Commission Recommendation 2003/361/EC, referred to by art. 2 and 3 of
# Directive (EU) 2022/2555). Healthcare providers are in Annex I (sectors of high criticality).
LARGE_STAFF = 250
LARGE_TURNOVER = 50_000_000
LARGE_BALANCE = 43_000_000
MEDIUM_STAFF = 50
MEDIUM_TURNOVER = 10_000_000
MEDIUM_BALANCE = 10_000_000


def get_or_create_group(session: Session, name: str) -> Group:
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        group = Group(name=name)
        session.add(group)
        session.flush()
    return group


def create_establishment(session: Session, data: EstablishmentIn) -> Establishment:
    if session.scalar(select(Establishment).where(Establishment.finess == data.finess)):
        raise ValidationError(f"an establishment with FINESS {data.finess} already exists")
    values = data.model_dump(exclude={"group"})
    establishment = Establishment(**values)
    if data.group:
        establishment.group = get_or_create_group(session, data.group)
    session.add(establishment)
    session.flush()
    return establishment


def update_establishment(
    session: Session, establishment: Establishment, changes: EstablishmentUpdate
) -> None:
    """Changes the given fields only; the FINESS number identifies the establishment and stays."""
    values = changes.model_dump(exclude_unset=True, exclude={"group"})
    for field, value in values.items():
        setattr(establishment, field, value)
    if "group" in changes.model_fields_set:
        set_group(session, establishment, changes.group)
    session.flush()


def get_establishment(session: Session, establishment_id: int) -> Establishment:
    establishment = session.get(Establishment, establishment_id)
    if establishment is None:
        raise NotFoundError(f"no establishment {establishment_id}")
    return establishment


def find_establishment(session: Session, key: str) -> Establishment:
    """By id, FINESS number or exact name: what a user types on the command line."""
    query = select(Establishment)
    if key.isdigit() and len(key) < 9:
        found = session.get(Establishment, int(key))
    else:
        found = session.scalar(
            query.where((Establishment.finess == key.upper()) | (Establishment.name == key))
        )
    if found is None:
        raise NotFoundError(f"no establishment matches {key!r} (id, FINESS or name)")
    return found


def list_establishments(session: Session) -> list[Establishment]:
    return list(session.scalars(select(Establishment).order_by(Establishment.name)))


def nis2_status(establishment: Establishment, lang: str = DEFAULT_LANGUAGE) -> Nis2Status:
    """The NIS2 category of a healthcare provider, and why, in ``lang``.

    Large enterprises (at least 250 staff, or turnover above 50 M€ and balance sheet above 43 M€)
    are essential entities; medium ones (at least 50 staff, or turnover and balance sheet above
    10 M€) are important entities; smaller providers are out of scope unless designated.
    """

    def _(message: str, **values: object) -> str:  # the name Babel's extraction looks for
        return gettext(message, lang) % values

    reasons = [_("healthcare provider: sector 'health', Annex I of Directive (EU) 2022/2555")]
    if establishment.nis2_designated:
        reasons.append(_("designated by the authorities (critical entity): essential whatever its size"))
        return Nis2Status(category=Nis2Category.ESSENTIAL, reasons=reasons)

    staff = establishment.staff
    turnover = establishment.annual_budget
    balance = establishment.balance_sheet_total
    if balance is None:
        reasons.append(_("balance sheet total unknown: the financial test uses the annual budget alone"))
    balance_for_test = turnover if balance is None else balance
    budget = fmt_euros(turnover, lang)

    if staff >= LARGE_STAFF:
        reasons.append(
            _("%(staff)d staff, at least %(limit)d: large enterprise", staff=staff, limit=LARGE_STAFF)
        )
        return Nis2Status(category=Nis2Category.ESSENTIAL, reasons=reasons)
    if turnover > LARGE_TURNOVER and balance_for_test > LARGE_BALANCE:
        reasons.append(
            _("budget %(budget)s above 50 M€ and balance sheet above 43 M€: large enterprise", budget=budget)
        )
        return Nis2Status(category=Nis2Category.ESSENTIAL, reasons=reasons)
    if staff >= MEDIUM_STAFF:
        reasons.append(
            _(
                "%(staff)d staff, at least %(limit)d and fewer than %(large)d: medium enterprise",
                staff=staff,
                limit=MEDIUM_STAFF,
                large=LARGE_STAFF,
            )
        )
        return Nis2Status(category=Nis2Category.IMPORTANT, reasons=reasons)
    if turnover > MEDIUM_TURNOVER and balance_for_test > MEDIUM_BALANCE:
        reasons.append(
            _(
                "budget %(budget)s above 10 M€ and balance sheet above 10 M€: medium enterprise",
                budget=budget,
            )
        )
        return Nis2Status(category=Nis2Category.IMPORTANT, reasons=reasons)
    reasons.append(
        _(
            "%(staff)d staff, fewer than %(limit)d, and budget %(budget)s up to 10 M€: small enterprise, "
            "out of scope unless designated",
            staff=staff,
            limit=MEDIUM_STAFF,
            budget=budget,
        )
    )
    return Nis2Status(category=Nis2Category.OUT_OF_SCOPE, reasons=reasons)


def list_groups(session: Session) -> list[Group]:
    return list(session.scalars(select(Group).order_by(Group.name)))


def get_group(session: Session, group_id: int) -> Group:
    group = session.get(Group, group_id)
    if group is None:
        raise NotFoundError(f"no group {group_id}")
    return group


def find_group(session: Session, key: str) -> Group:
    """By id or exact name: what a user types on the command line."""
    found = (
        session.get(Group, int(key))
        if key.isdigit()
        else session.scalar(select(Group).where(Group.name == key))
    )
    if found is None:
        raise NotFoundError(f"no group matches {key!r} (id or name)")
    return found


def group_members(session: Session, group_id: int) -> list[Establishment]:
    """The establishments of the group, by name."""
    query = select(Establishment).where(Establishment.group_id == group_id).order_by(Establishment.name)
    return list(session.scalars(query))


def set_group(session: Session, establishment: Establishment, group_name: str | None) -> None:
    if group_name is None:
        establishment.group = None
    else:
        establishment.group = get_or_create_group(session, group_name)
    session.flush()


__all__ = [
    "create_establishment",
    "find_establishment",
    "find_group",
    "get_establishment",
    "get_group",
    "get_or_create_group",
    "group_members",
    "list_establishments",
    "list_groups",
    "nis2_status",
    "set_group",
]
