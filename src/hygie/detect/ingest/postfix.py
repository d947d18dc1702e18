"""Postfix mail logs: syslog lines of the ``postfix/*`` programs, with the mail fields pulled out.

Fields beyond syslog's: ``queue_id`` (or ``NOQUEUE``), ``from``, ``to``, ``orig_to``, ``relay``, ``delay``,
``dsn``, ``status`` (sent, deferred, bounced, reject...), ``status_detail`` (the reply in parentheses),
``client_host``/``client_ip``, ``sasl_username``, ``reject_stage`` and ``reject_reason`` for refusals,
``message-id``. The user is the SASL login when there is one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from hygie.detect.events import Event
from hygie.detect.ingest import syslog
from hygie.detect.ingest.common import ReadContext, open_binary

_QUEUE = re.compile(r"([0-9A-Za-z]{5,20}|NOQUEUE): (.*)", re.DOTALL)
_PAIR = re.compile(r"([a-z_]+(?:-[a-z]+)?)=(<[^>]*>|[^,\s]+)")
_STATUS_DETAIL = re.compile(r"status=\w+ \((.*)\)\s*$")
_CLIENT = re.compile(r"(?:client=|connect from |RCPT from |MAIL from |CONNECT from )([^\s\[]+)\[([^\]]+)\]")
_REJECT = re.compile(r"(reject|discard|hold|warning): (\S+) from [^:]+: (.*?)(?:; from=|$)")


def enrich(message: str, fields: dict[str, str]) -> str | None:
    """Adds the Postfix fields of one message to ``fields``; returns the SASL user, if any."""
    body = message
    queue = _QUEUE.match(message)
    if queue:
        fields["queue_id"] = queue.group(1)
        body = queue.group(2)
    for key, value in _PAIR.findall(body):
        fields.setdefault(key, value[1:-1] if value.startswith("<") else value)
    detail = _STATUS_DETAIL.search(body)
    if detail:
        fields["status_detail"] = detail.group(1)
    client = _CLIENT.search(body)
    if client:
        fields["client_host"], fields["client_ip"] = client.group(1), client.group(2)
    reject = _REJECT.match(body)
    if reject:
        fields["status"] = reject.group(1)
        fields["reject_stage"] = reject.group(2)
        fields["reject_reason"] = reject.group(3)
    return fields.get("sasl_username")


def is_postfix(program: str | None) -> bool:
    return bool(program) and (program == "postfix" or str(program).startswith("postfix/"))


def read_stream(context: ReadContext, stream: IO[bytes]) -> Iterator[Event]:
    for event in syslog.read_stream(context, stream, enrich):
        yield event._replace(provider="postfix")


def read(context: ReadContext) -> Iterator[Event]:
    with open_binary(context.path) as stream:
        yield from read_stream(context, stream)
