"""What every command shares: the database session, the console, JSON output and error display."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from sqlalchemy.orm import Session

from hygie.core.db import get_engine, session_scope
from hygie.core.errors import HygieError
from hygie.core.migrate import upgrade

console = Console()
error_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")

# The establishment a domain command works on: its first argument everywhere.
EstablishmentArg = Annotated[str, typer.Argument(help="Establishment: id, FINESS or name")]
JsonOption = typer.Option(False, "--json", help="Print JSON for scripts instead of tables.")
LangOption = typer.Option("fr", "--lang", envvar="HYGIE_LANG", help="Language: fr (default) or en.")

_migrated: set[str] = set()


@contextmanager
def database() -> Iterator[Session]:
    """A session on the configured database, brought up to date first; committed on success."""
    engine = get_engine()
    key = engine.url.render_as_string(hide_password=True)
    if key not in _migrated:
        upgrade(engine)
        _migrated.add(key)
    with session_scope(engine) as session:
        yield session


def forget_migrations() -> None:
    """After the schema was dropped (demo reset), the next session migrates again."""
    _migrated.clear()


def print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def handle_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Shows a HygieError as one clear message and exits 1, instead of a traceback."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except HygieError as exc:
            error_console.print(f"[bold red]Erreur / Error:[/] {exc}", markup=True, highlight=False)
            raise typer.Exit(1) from exc

    return wrapper
