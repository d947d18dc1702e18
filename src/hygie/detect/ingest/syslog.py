"""Syslog files: RFC 3164 (``Jan 15 10:00:01 host sshd[42]: ...``), RFC 5424 (``<34>1 2024-01-15T...``) and
the RFC 3339 lines of rsyslog's high-precision format. Linux ``auth.log``, firewall and appliance logs.

Fields: ``facility``, ``severity`` (when the line has a ``<PRI>``), ``hostname``, ``program``, ``pid``,
``msgid`` and the structured data of RFC 5424 (``<sd-id>.<name>``), plus every ``key=value`` pair of the
message (iptables ``SRC=``/``DPT=``, FortiGate ``srcip=``...). ``channel`` and ``provider`` are the program.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import IO

from hygie.detect.events import Event
from hygie.detect.ingest.common import ReadContext, decode, lines, open_binary, parse_iso

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
    "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}

_PRI = re.compile(r"<(\d{1,3})>")
_RFC5424 = re.compile(r"(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) ?(.*)", re.DOTALL)
_RFC3164 = re.compile(r"([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (.*)", re.DOTALL)
_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\S*) (.*)", re.DOTALL)
_TAG = re.compile(r"([^\s:\[\]]{1,64})(?:\[(\d+)\])?: ?(.*)", re.DOTALL)
_PAIR = re.compile(r"([A-Za-z_][\w.-]{0,63})=(\"[^\"]*\"|[^\s,;\"]*)")
_SD_PARAM = re.compile(r'([^\s=\]"]+)="((?:[^"\\]|\\.)*)"')
_USER = (
    re.compile(r"(?:for|user)(?: invalid user| illegal user)? (\S+) from "),
    re.compile(r"\buser[= ]([\w.@$-]+)"),
    re.compile(r"^\s*([\w.@$-]+) : .*COMMAND="),  # sudo
)
MAX_PAIRS = 128

Enricher = Callable[[str, dict[str, str]], str | None]
"""Adds the fields of one kind of program (Postfix) from the message; returns the user, if any."""


def _structured_data(rest: str, fields: dict[str, str]) -> str:
    """Reads RFC 5424 structured data into ``sd-id.name`` fields; returns the message after it."""
    if rest.startswith("-"):
        return rest[2:] if rest.startswith("- ") else rest[1:]
    position = 0
    while position < len(rest) and rest[position] == "[":
        end = position + 1
        while end < len(rest) and rest[end] != "]":
            end += 2 if rest[end] == "\\" else 1
        element = rest[position + 1 : end]
        sd_id, _, params = element.partition(" ")
        for name, value in _SD_PARAM.findall(params):
            fields[f"{sd_id}.{name}"] = re.sub(r"\\([\"\\\]])", r"\1", value)
        position = end + 1
    return rest[position:].removeprefix(" ")


def _year_of(month: int, day: int, reference: datetime) -> int:
    """RFC 3164 has no year: the one that puts the line at most a day after the file was written."""
    year = reference.year
    try:
        if datetime(year, month, day, tzinfo=UTC) > reference + timedelta(days=1):
            return year - 1
    except ValueError:
        return year
    return year


def parse_line(line: str, context: ReadContext) -> tuple[datetime, dict[str, str], str] | None:
    """``(time, header fields, message)`` of one line, or ``None`` when it is not syslog."""
    fields: dict[str, str] = {}
    rest = line
    pri = _PRI.match(rest)
    if pri:
        value = int(pri.group(1))
        if value > 191:
            return None
        fields["facility"] = FACILITIES[value >> 3]
        fields["severity"] = SEVERITIES[value & 7]
        rest = rest[pri.end() :]
    ts: datetime | None = None
    if pri and (m := _RFC5424.match(rest)) and m.group(2)[:1].isdigit():
        ts = parse_iso(m.group(2), context.timezone)
        for name, header in zip(("hostname", "program", "pid", "msgid"), m.group(3, 4, 5, 6), strict=True):
            if header != "-":
                fields[name] = header
        message = _structured_data(m.group(7), fields)
        return (ts, fields, message) if ts else None
    if m := _RFC3164.match(rest):
        month = MONTHS.get(m.group(1))
        if month is None:
            return None
        reference = context.reference or datetime.now(UTC)
        day, hour, minute, second = (int(g) for g in m.group(2, 3, 4, 5))
        try:
            local = datetime(_year_of(month, day, reference), month, day, hour, minute, second)  # noqa: DTZ001
        except ValueError:
            return None
        ts = local.replace(tzinfo=context.timezone).astimezone(UTC)
        rest = m.group(6)
    elif m := _RFC3339.match(rest):
        ts = parse_iso(m.group(1), context.timezone)
        rest = m.group(2)
    if ts is None:
        return None
    host, _, after = rest.partition(" ")
    if host.endswith(":") or host.endswith("]:"):  # no host: the tag comes right after the time
        after = rest
    else:
        fields["hostname"] = host
    tag = _TAG.match(after)
    if tag:
        fields["program"] = tag.group(1)
        if tag.group(2):
            fields["pid"] = tag.group(2)
        message = tag.group(3)
    else:
        message = after
    return ts, fields, message


def _pairs(message: str, fields: dict[str, str]) -> None:
    for count, (key, value) in enumerate(_PAIR.findall(message)):
        if count >= MAX_PAIRS:
            break
        fields.setdefault(key, value.strip('"'))


def _user(message: str) -> str | None:
    for pattern in _USER:
        found = pattern.search(message)
        if found:
            return found.group(1)
    return None


def read_stream(context: ReadContext, stream: IO[bytes], enrich: Enricher | None = None) -> Iterator[Event]:
    ordinal = 0
    for offset, raw in lines(stream, context):
        ordinal += 1
        line = decode(raw)
        parsed = parse_line(line, context)
        if parsed is None:
            context.problem(offset, f"not a syslog line: {line[:80]!r}")
            continue
        ts, fields, message = parsed
        fields["message"] = message
        user = enrich(message, fields) if enrich else None
        _pairs(message, fields)
        program = fields.get("program")
        yield Event(
            ts=ts,
            host=fields.get("hostname"),
            channel=program or fields.get("facility"),
            provider=program,
            event_code=None,
            record_id=ordinal,
            user=user or _user(message),
            message=line,
            fields=fields,
            offset=offset,
            key=offset,
        )


def read(context: ReadContext) -> Iterator[Event]:
    with open_binary(context.path) as stream:
        yield from read_stream(context, stream)
