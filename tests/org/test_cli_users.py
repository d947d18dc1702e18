"""``hygie users``, ``hygie tokens`` and ``hygie audit`` on an embedded database."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from hygie.cli.main import app
from hygie.core.db import get_engine
from hygie.org.audit import drop_append_only_ddl

runner = CliRunner()


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.output


def test_users_tokens_and_audit(hygie_home: Path) -> None:
    code, out = run("establishments", "add", "--name", "CH Test", "--finess", "750000010", "--kind", "ch")
    assert code == 0, out
    # A weak password is refused with its reasons, then a good one is accepted.
    prompts = "azerty\nazerty\nVx7#qLm2pR9w\nVx7#qLm2pR9w\n"
    code, out = run(
        "users",
        "add",
        "Rssi@CH-Test.fr",
        "--name",
        "Alex Roy",
        "--role",
        "rssi",
        "--establishment",
        "750000010",
        input=prompts,
    )
    assert code == 0, out
    assert "il faut au moins 12 caractères" in out and "at least 12 characters" in out
    code, out = run("users", "list", "--json")
    users = json.loads(out)
    assert [(u["email"], u["roles"]) for u in users] == [("rssi@ch-test.fr", "rssi@1")]

    code, out = run("tokens", "create", "rssi@ch-test.fr", "nightly import")
    assert code == 0, out
    token = out.strip().splitlines()[-1]
    assert token.startswith("hyg_")
    code, out = run("tokens", "list", "rssi@ch-test.fr", "--json")
    listed = json.loads(out)
    assert listed[0]["prefix"] == token[:12] and token not in out
    assert run("tokens", "revoke", str(listed[0]["id"]))[0] == 0
    assert run("users", "unlock", "rssi@ch-test.fr")[0] == 0
    assert run("users", "grant", "nobody@ch-test.fr", "auditor", "--establishment", "1")[0] == 1

    code, out = run("audit", "list", "--json")
    actions = [e["action"] for e in json.loads(out)]
    assert actions == ["user.unlock", "token.revoke", "token.create", "user.grant", "user.create"]
    assert all(e["actor"].startswith("cli:") for e in json.loads(out))
    code, out = run("audit", "verify")
    assert code == 0 and "5" in out

    with get_engine().begin() as conn:  # an intruder able to drop the triggers first
        for statement in drop_append_only_ddl("sqlite"):
            conn.execute(text(statement))
        conn.execute(text("UPDATE org_audit_entry SET action = 'user.delete' WHERE id = 3"))
    code, out = run("audit", "verify", "--json")
    assert code == 1
    assert json.loads(out) == {"ok": False, "checked": 2, "first_bad_id": 3, "problem": "modified"}
