"""``hygie users`` and ``hygie tokens``: accounts, roles and API tokens from the command line.

The operator at the command line already holds the database, so these commands are not
restricted by establishment; every change they make is recorded in the audit trail as
``cli:<os user>``. Passwords are typed twice at a hidden prompt, never given as arguments
(they would stay in the shell history and in ``ps``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.cli.common import JsonOption, console, database, handle_errors, print_json
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.time import utcnow
from hygie.org import accounts, audit, tokens
from hygie.org.auth import is_locked
from hygie.org.models import Group, Role, User
from hygie.org.passwords import check_password
from hygie.org.service import find_establishment
from hygie.org.totp import reset_totp

app = typer.Typer(help="Comptes utilisateurs et rôles / User accounts and roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="Jetons d'API pour les scripts / API tokens for scripts.", no_args_is_help=True)

EstablishmentOpt = Annotated[
    str | None, typer.Option("--establishment", help="Establishment: id, FINESS or name")
]
GroupOpt = Annotated[
    str | None, typer.Option("--group", help="Group (GHT) name: the role covers all its members")
]


def _ask_password(email: str, name: str) -> str:
    """Prompts until the password meets the policy; the reasons are shown in French and English."""
    while True:
        password: str = typer.prompt("Mot de passe / Password", hide_input=True, confirmation_prompt=True)
        problems = check_password(password, email=email, name=name)
        if not problems:
            return password
        for problem in problems:
            console.print(f"[red]- {problem.message('fr')} / {problem.message('en')}[/]")


def _target(session: Session, establishment: str | None, group: str | None) -> tuple[int | None, int | None]:
    if (establishment is None) == (group is None):
        raise ValidationError("give --establishment or --group (one of the two)")
    if establishment is not None:
        return find_establishment(session, establishment).id, None
    found = session.scalar(select(Group.id).where(Group.name == group))
    if found is None:
        raise NotFoundError(f"no group named {group!r}")
    return None, found


def _record(
    session: Session, action: str, user: User, establishment_id: int | None = None, **details: object
) -> None:
    audit.record(
        session,
        actor=audit.cli_actor(),
        action=action,
        object_type="user",
        object_id=user.id,
        establishment_id=establishment_id,
        details={"email": user.email, **details},
    )


def _roles_text(session: Session, user: User) -> str:
    parts = []
    for m in accounts.memberships(session, user):
        if m.establishment_id is not None:
            parts.append(f"{m.role}@{m.establishment_id}")
        else:
            group = session.get(Group, m.group_id)
            parts.append(f"{m.role}@group:{group.name if group else m.group_id}")
    return ", ".join(parts)


@app.command("add")
@handle_errors
def add(
    email: Annotated[str, typer.Argument(help="E-mail address (the login)")],
    name: Annotated[str, typer.Option("--name", help="Display name")],
    role: Annotated[Role | None, typer.Option("--role", help="Role to grant at once")] = None,
    establishment: EstablishmentOpt = None,
    group: GroupOpt = None,
    no_password: Annotated[bool, typer.Option("--sso-only", help="No password: OIDC sign-in only")] = False,
) -> None:
    """Create an account (asks the password twice, hidden)."""
    address = accounts.normalise_email(email)
    password = None if no_password else _ask_password(address, name)
    with database() as session:
        user = accounts.create_user(session, address, name, password)
        _record(session, "user.create", user, sso_only=no_password)
        if role is not None:
            establishment_id, group_id = _target(session, establishment, group)
            accounts.grant_role(session, user, role, establishment_id=establishment_id, group_id=group_id)
            _record(
                session,
                "user.grant",
                user,
                role=role.value,
                establishment_id=establishment_id,
                group_id=group_id,
            )
    console.print(f"[green]Compte créé / Account created:[/] #{user.id} {user.email}")


@app.command("list")
@handle_errors
def list_(as_json: bool = JsonOption) -> None:
    """List the accounts, their roles and state."""
    with database() as session:
        rows = [
            {
                "id": u.id,
                "email": u.email,
                "name": u.display_name,
                "active": u.is_active,
                "locked": is_locked(u),
                "totp": u.totp_enabled,
                "sso": u.oidc_identity is not None,
                "roles": _roles_text(session, u),
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in accounts.list_users(session)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table(
        "#", "E-mail", "Nom / Name", "Actif", "Verrouillé", "TOTP", "Rôles / Roles", "Dernière connexion"
    )
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["email"]),
            str(r["name"]),
            "oui" if r["active"] else "non",
            "oui" if r["locked"] else "",
            "oui" if r["totp"] else "non",
            str(r["roles"]),
            str(r["last_login_at"] or "—"),
        )
    console.print(table)


@app.command("grant")
@handle_errors
def grant(
    email: Annotated[str, typer.Argument()],
    role: Annotated[Role, typer.Argument()],
    establishment: EstablishmentOpt = None,
    group: GroupOpt = None,
) -> None:
    """Grant a role in an establishment, or in every establishment of a group (GHT)."""
    with database() as session:
        user = accounts.find_user(session, email)
        establishment_id, group_id = _target(session, establishment, group)
        accounts.grant_role(session, user, role, establishment_id=establishment_id, group_id=group_id)
        _record(
            session, "user.grant", user, role=role.value, establishment_id=establishment_id, group_id=group_id
        )
    console.print(f"[green]Rôle accordé / Role granted:[/] {role.value} → {user.email}")


@app.command("revoke")
@handle_errors
def revoke(
    email: Annotated[str, typer.Argument()],
    role: Annotated[Role, typer.Argument()],
    establishment: EstablishmentOpt = None,
    group: GroupOpt = None,
) -> None:
    """Take a role back."""
    with database() as session:
        user = accounts.find_user(session, email)
        establishment_id, group_id = _target(session, establishment, group)
        accounts.revoke_role(session, user, role, establishment_id=establishment_id, group_id=group_id)
        _record(
            session,
            "user.revoke",
            user,
            role=role.value,
            establishment_id=establishment_id,
            group_id=group_id,
        )
    console.print(f"[green]Rôle retiré / Role revoked:[/] {role.value} ← {user.email}")


@app.command("reset-password")
@handle_errors
def reset_password(email: Annotated[str, typer.Argument()]) -> None:
    """Set a new password (hidden prompt); unlocks the account and ends its sessions."""
    with database() as session:
        user = accounts.find_user(session, email)
        email_, name = user.email, user.display_name
    password = _ask_password(email_, name)
    with database() as session:
        user = accounts.find_user(session, email)
        accounts.set_password(session, user, password)
        _record(session, "user.reset_password", user)
    console.print(f"[green]Mot de passe changé / Password changed:[/] {email_}")


@app.command("unlock")
@handle_errors
def unlock(email: Annotated[str, typer.Argument()]) -> None:
    """Lift the lock left by repeated failed sign-ins."""
    with database() as session:
        user = accounts.find_user(session, email)
        accounts.unlock_user(session, user)
        _record(session, "user.unlock", user)
    console.print(f"[green]Compte déverrouillé / Account unlocked:[/] {user.email}")


@app.command("totp-reset")
@handle_errors
def totp_reset(email: Annotated[str, typer.Argument()]) -> None:
    """Remove the second factor (lost phone); the user enrols again at next sign-in."""
    with database() as session:
        user = accounts.find_user(session, email)
        reset_totp(session, user)
        accounts.logout_everywhere(session, user)
        _record(session, "user.totp_reset", user)
    console.print(f"[green]Second facteur retiré / Second factor removed:[/] {user.email}")


@app.command("logout-everywhere")
@handle_errors
def logout_everywhere(email: Annotated[str, typer.Argument()]) -> None:
    """End every open session of the account."""
    with database() as session:
        user = accounts.find_user(session, email)
        accounts.logout_everywhere(session, user)
        _record(session, "user.logout_everywhere", user)
    console.print(f"[green]Sessions fermées / Sessions ended:[/] {user.email}")


@app.command("deactivate")
@handle_errors
def deactivate(email: Annotated[str, typer.Argument()]) -> None:
    """Deactivate an account (kept, since the audit trail names it)."""
    with database() as session:
        user = accounts.find_user(session, email)
        accounts.set_active(session, user, False)
        _record(session, "user.deactivate", user)
    console.print(f"[green]Compte désactivé / Account deactivated:[/] {user.email}")


@tokens_app.command("create")
@handle_errors
def token_create(
    email: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. 'import GLPI nightly'")],
    expires: Annotated[
        datetime | None, typer.Option("--expires", help="Expiry date (UTC), e.g. 2027-01-31")
    ] = None,
) -> None:
    """Create a token; it is printed once and cannot be shown again."""
    with database() as session:
        user = accounts.find_user(session, email)
        expires_at = expires.replace(tzinfo=utcnow().tzinfo) if expires else None
        token, row = tokens.create_api_token(session, user, name, expires_at=expires_at)
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="token.create",
            object_type="api_token",
            object_id=row.id,
            details={"email": user.email, "name": row.name, "prefix": row.prefix},
        )
    console.print("Jeton (affiché une seule fois) / Token (shown once):", style="bold")
    typer.echo(token)


@tokens_app.command("list")
@handle_errors
def token_list(email: Annotated[str, typer.Argument()], as_json: bool = JsonOption) -> None:
    """List a user's tokens (their first characters only)."""
    with database() as session:
        user = accounts.find_user(session, email)
        rows = [
            {
                "id": t.id,
                "name": t.name,
                "prefix": t.prefix,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in tokens.list_api_tokens(session, user, include_revoked=True)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("#", "Nom / Name", "Début / Prefix", "Créé", "Utilisé", "Expire", "Révoqué")
    for r in rows:
        table.add_row(
            *(
                str(r[k] or "—")
                for k in ("id", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
            )
        )
    console.print(table)


@tokens_app.command("revoke")
@handle_errors
def token_revoke(token_id: Annotated[int, typer.Argument(help="Token id (from tokens list)")]) -> None:
    """Revoke a token at once."""
    with database() as session:
        row = tokens.revoke_api_token(session, token_id)
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="token.revoke",
            object_type="api_token",
            object_id=row.id,
            details={"user_id": row.user_id, "prefix": row.prefix},
        )
    console.print(f"[green]Jeton révoqué / Token revoked:[/] #{token_id}")


__all__ = ["app", "tokens_app"]
