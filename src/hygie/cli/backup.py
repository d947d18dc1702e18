"""``hygie backup create|verify`` and ``hygie restore``: Hygie's own backups."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from hygie.cli.common import JsonOption, console, database, handle_errors, print_json
from hygie.core.backup import create_backup, restore_backup, verify_backup
from hygie.core.backup.crypto import is_encrypted
from hygie.core.db import get_engine
from hygie.core.errors import ValidationError
from hygie.core.settings import get_settings
from hygie.core.time import utcnow

PASSPHRASE_ENV = "HYGIE_BACKUP_PASSPHRASE"  # noqa: S105 - the name of a variable, not a secret

app = typer.Typer(help="Sauvegardes de Hygie lui-même / Hygie's own backups.", no_args_is_help=True)


def _passphrase(confirm: bool) -> str:
    """From HYGIE_BACKUP_PASSPHRASE for scripts, else asked (twice when choosing one)."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value is None:
        value = str(
            typer.prompt("Phrase de passe / Passphrase", hide_input=True, confirmation_prompt=confirm)
        )
    if not value:
        raise ValidationError("the passphrase is empty")
    return value


def _passphrase_if_encrypted(path: Path) -> str | None:
    try:
        with path.open("rb") as raw:
            encrypted = is_encrypted(raw.read(8))
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc}") from exc
    return _passphrase(confirm=False) if encrypted else None


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} Mio" if n >= 1024 * 1024 else f"{n / 1024:.1f} Kio"


@app.command("create")
@handle_errors
def create(
    out: Annotated[
        Path | None, typer.Option("--out", help="Archive to write (default: dated name here)")
    ] = None,
    encrypt: Annotated[
        bool, typer.Option("--encrypt", help=f"Encrypt with a passphrase ({PASSPHRASE_ENV})")
    ] = False,
    reports: Annotated[bool, typer.Option(help="Include the generated reports")] = True,
    as_json: bool = JsonOption,
) -> None:
    """Write the whole state (database, evidence, event store, settings) to one archive."""
    settings = get_settings()
    if out is None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        out = Path(f"hygie-{stamp}.tar.gz" + (".enc" if encrypt else ""))
    passphrase = _passphrase(confirm=True) if encrypt else None
    with database():  # brings the database up to date, so that the archive carries the current revision
        pass
    report = create_backup(settings, get_engine(), out, passphrase, include_reports=reports)
    if as_json:
        print_json(report)
        return
    console.print(f"[green]Sauvegarde écrite[/] {report.path} ({_size(report.size)})")
    console.print(
        f"  {sum(report.tables.values())} lignes dans {len(report.tables)} tables, "
        f"{report.files} fichiers ({_size(report.files_size)})" + (", chiffrée" if report.encrypted else "")
    )
    for skipped in report.skipped:
        console.print(f"  [yellow]ignoré (lien ou fichier spécial)[/] {skipped}")


@app.command("verify")
@handle_errors
def verify(
    archive: Annotated[Path, typer.Argument(help="Archive to check", exists=True, dir_okay=False)],
    as_json: bool = JsonOption,
) -> None:
    """Check every checksum and row count of an archive, without restoring it."""
    report = verify_backup(archive, _passphrase_if_encrypted(archive))
    if as_json:
        print_json(report)
        return
    console.print(f"[green]Sauvegarde intègre[/] {report.path}")
    console.print(
        f"  Hygie {report.hygie_version}, {report.created_at:%Y-%m-%d %H:%M} UTC, "
        f"base {report.source_dialect} (révision {report.alembic_revision})"
    )
    console.print(
        f"  {sum(report.tables.values())} lignes dans {len(report.tables)} tables, "
        f"{report.files} fichiers ({_size(report.files_size)})"
    )


@handle_errors
def restore(
    archive: Annotated[Path, typer.Argument(help="Archive to restore", exists=True, dir_okay=False)],
    home: Annotated[
        Path | None, typer.Option("--home", help="Empty folder to restore into (HYGIE_HOME)")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Empty database to restore into (HYGIE_DATABASE_URL)")
    ] = None,
    as_json: bool = JsonOption,
) -> None:
    """Restore an archive into an empty home (and an empty database), after checking all of it."""
    settings = get_settings()
    report = restore_backup(
        archive,
        home or settings.home,
        database_url or settings.database_url,
        _passphrase_if_encrypted(archive),
    )
    if as_json:
        print_json(report)
        return
    console.print(f"[green]Sauvegarde restaurée[/] dans {report.home}")
    console.print(
        f"  {sum(report.tables.values())} lignes dans {len(report.tables)} tables, {report.files} fichiers, "
        f"base {report.database}"
    )
