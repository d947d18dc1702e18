"""Searching an establishment's event store for given values (an incident's indicators): which events
mention each one, on which hosts, first and last seen.

A value is looked for in the raw ``message`` and in every field value, without regard to case, with
boundaries that suit its kind, so that an address does not match a longer one (10.0.0.1 is not in
10.0.0.15), a domain matches its subdomains (evil.example is in mail.evil.example, not in
notevil.example), and a hash or a URL matches inside a longer text (Sysmon's ``Hashes`` field).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import duckdb

from hygie.core.settings import Settings
from hygie.detect.events import dataset_glob, has_events


class Match(StrEnum):
    ADDRESS = "address"  # IPv4/IPv6: no digit, hex letter, dot or colon around it
    DOMAIN = "domain"  # the name or a subdomain of it
    WORD = "word"  # an account or an e-mail address: not inside a longer name
    TEXT = "text"  # a hash, a URL: anywhere


# What may not touch the value before and after it, per kind (the insides of RE2 classes).
_AROUND = {
    Match.ADDRESS: ("0-9a-f.:", "0-9a-f.:"),
    Match.DOMAIN: ("a-z0-9-", "a-z0-9.-"),
    Match.WORD: ("a-z0-9._@-", "a-z0-9._@-"),
}
SAMPLE = 20  # event ids given per value, to open the events themselves


@dataclass(frozen=True)
class Needle:
    value: str
    match: Match


@dataclass
class Sighting:
    needle: Needle
    events: int = 0
    hosts: list[str] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None
    event_ids: list[int] = field(default_factory=list)


def pattern(needle: Needle) -> str:
    """The RE2 pattern of a value, to run on lower-cased text."""
    escaped = re.escape(needle.value.strip().lower())
    if needle.match is Match.TEXT:
        return escaped
    before, after = _AROUND[needle.match]
    return f"(^|[^{before}]){escaped}($|[^{after}])"


def find(settings: Settings, establishment_id: int, needles: Sequence[Needle]) -> list[Sighting]:
    """One sighting per value, in the order given (no events stored: every count is zero)."""
    sightings = [Sighting(n) for n in needles]
    if not needles or not has_events(settings, establishment_id):
        return sightings
    with duckdb.connect(":memory:") as db:
        glob = dataset_glob(settings, establishment_id)
        db.read_parquet(glob, hive_partitioning=True, union_by_name=True).create_view("events")
        for sighting in sightings:
            # One text per event: the message and every field value, lower-cased once.
            row = db.execute(
                f"""
                WITH texts AS (
                    SELECT event_id, host, ts, lower(array_to_string(
                        list_prepend(coalesce(message, ''), map_values(fields)), chr(10))) AS text
                    FROM events
                ), hits AS (SELECT event_id, host, ts FROM texts WHERE regexp_matches(text, ?))
                SELECT count(*), list(DISTINCT host ORDER BY host) FILTER (WHERE host IS NOT NULL),
                       min(ts), max(ts), (SELECT list(event_id ORDER BY ts, event_id)[1:{SAMPLE}] FROM hits)
                FROM hits
                """,  # noqa: S608  (SAMPLE is a constant; the pattern is a bound parameter)
                [pattern(sighting.needle)],
            ).fetchone()
            if row is None:  # pragma: no cover - an aggregate always gives one row
                continue
            count, hosts, first, last, ids = row
            sighting.events, sighting.hosts = int(count), list(hosts or [])
            sighting.first, sighting.last, sighting.event_ids = first, last, list(ids or [])
    return sightings
