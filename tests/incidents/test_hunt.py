"""A case's indicators looked for in the event store: the boundaries of each kind, and the command."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from hygie.cli.main import app
from hygie.core.settings import Settings, get_settings
from hygie.detect.events import Event, EventWriter
from hygie.detect.search import Match, Needle, find

runner = CliRunner()


def store(settings: Settings, establishment_id: int, *events: tuple[str, str, str, dict[str, str]]) -> None:
    """Events as (time, host, message, fields), written through the store's own writer."""
    with EventWriter(settings, establishment_id, "syslog", "ab" * 32, "test.log") as writer:
        for number, (moment, host, message, fields) in enumerate(events):
            writer.add(
                Event(
                    ts=datetime.fromisoformat(moment).replace(tzinfo=UTC),
                    host=host,
                    channel="auth",
                    provider=None,
                    event_code=None,
                    record_id=number,
                    user=None,
                    message=message,
                    fields=fields,
                    offset=number * 100,
                    key=number,
                )
            )
        writer.commit()


EVENTS = (
    ("2026-03-28T08:01:00", "fw01", "DROP SRC=10.0.0.15 DST=203.0.113.7 DPT=445", {}),
    ("2026-03-28T08:02:00", "fw01", "ACCEPT SRC=10.0.0.1 DST=203.0.113.7 DPT=443", {}),
    ("2026-03-28T09:30:00", "dc01", "logon", {"TargetUserName": "JDOE", "IpAddress": "10.0.0.1"}),
    ("2026-03-28T10:00:00", "mail01", "from=<x@mail.evil.example> to=<a@ch.fr>", {}),
    ("2026-03-28T10:05:00", "mail01", "from=<y@notevil.example>", {}),
    ("2026-03-28T11:00:00", "pc12", "process", {"Hashes": "MD5=AA,SHA256=0123ABCD"}),
)


def test_each_kind_matches_within_its_boundaries(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert [s.events for s in find(settings, 1, [Needle("10.0.0.1", Match.ADDRESS)])] == [0]  # nothing stored
    store(settings, 1, *EVENTS)
    address, domain, account, digest, absent = find(
        settings,
        1,
        [
            Needle("10.0.0.1", Match.ADDRESS),  # not 10.0.0.15
            Needle("evil.example", Match.DOMAIN),  # mail.evil.example, not notevil.example
            Needle("jdoe", Match.WORD),  # a field value, whatever its case
            Needle("0123abcd", Match.TEXT),  # inside Sysmon's Hashes
            Needle("198.51.100.9", Match.ADDRESS),
        ],
    )
    assert (address.events, address.hosts) == (2, ["dc01", "fw01"])
    assert address.first == datetime(2026, 3, 28, 8, 2, tzinfo=UTC)
    assert address.last == datetime(2026, 3, 28, 9, 30, tzinfo=UTC)
    assert (domain.events, domain.hosts) == (1, ["mail01"])
    assert (account.events, account.hosts) == (1, ["dc01"])
    assert (digest.events, digest.hosts) == (1, ["pc12"])
    assert (absent.events, absent.hosts, absent.event_ids) == (0, [], [])
    # Another establishment's store is another folder: nothing of this one is seen there.
    assert find(settings, 2, [Needle("10.0.0.1", Match.ADDRESS)])[0].events == 0


def test_incidents_hunt_command(hygie_home: Path) -> None:
    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    run("establishments", "add", "--name", "CH Test", "--finess", "750803447", "--kind", "ch")
    opened = json.loads(
        run(
            "incidents",
            "open",
            "750803447",
            "--title",
            "Compte compromis",
            "--category",
            "phishing",
            "--severity",
            "high",
            "--detected",
            "2026-03-28T09:00",
            "--json",
        )
    )
    number = str(opened["id"])
    assert "no indicator" in run("incidents", "hunt", "750803447", number, "--lang", "en")
    run("incidents", "indicator", "750803447", number, "10.0.0.1")
    run("incidents", "indicator", "750803447", number, "CORP\\jdoe", "--kind", "account")
    store(get_settings(), opened["establishment_id"], *EVENTS)
    found = {f["value"]: f for f in json.loads(run("incidents", "hunt", "750803447", number, "--json"))}
    assert found["10.0.0.1"]["events"] == 2 and found["10.0.0.1"]["hosts"] == ["dc01", "fw01"]
    assert found["CORP\\jdoe"]["events"] == 1  # looked for as jdoe, as Windows logs name it
    assert "dc01, fw01" in run("incidents", "hunt", "750803447", number)
