from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from hygie.incidents.sharing import Indicator, IndicatorKind, TimelineEntry
from hygie.incidents.sharing.case import HYGIE_NAMESPACE, canonical_value
from tests.incidents.sharing.cases import DETECTED, INDICATORS, make_case


@pytest.mark.parametrize(
    ("kind", "raw", "canonical"),
    [
        ("ip-v4", " 203.0.113.5 ", "203.0.113.5"),
        ("ip-v4", "203.0.113.77/24", "203.0.113.0/24"),
        ("ip-v6", "2001:DB8:0:0::1", "2001:db8::1"),
        ("domain", "Evil.Example.ORG.", "evil.example.org"),
        ("domain", "hôpital-test.fr", "xn--hpital-test-2eb.fr"),
        ("md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
        ("email", "Phish@Evil.Example.ORG", "Phish@evil.example.org"),
        ("account", "CHU\\admin", "CHU\\admin"),
        ("url", "https://x.example/a b", None),
    ],
)
def test_values_take_one_canonical_form(kind: str, raw: str, canonical: str | None) -> None:
    if canonical is None:
        with pytest.raises(ValueError, match="not an absolute URL"):
            canonical_value(IndicatorKind(kind), raw)
    else:
        assert canonical_value(IndicatorKind(kind), raw) == canonical


@pytest.mark.parametrize(
    ("kind", "raw", "reason"),
    [
        ("ip-v4", "2001:db8::1", "not an IPv4 address"),
        ("ip-v6", "10.0.0.1", "not an IPv6 address"),
        ("ip-v4", "999.1.1.1", "not an IP address"),
        ("sha256", "abc", "64 hexadecimal digits"),
        ("domain", "localhost", "not a domain name"),
        ("email", "no-at-sign", "not an e-mail address"),
        ("account", "bad\x00name", "control characters"),
        ("url", "", "empty value"),
    ],
)
def test_wrong_values_are_refused_with_the_reason(kind: str, raw: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        Indicator(kind=kind, value=raw)


def test_times_must_be_aware_and_finess_well_formed() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        make_case(detected_at=datetime(2026, 3, 29, 0, 30))  # noqa: DTZ001 -- the naive time refused
    with pytest.raises(ValidationError, match="FINESS"):
        make_case(establishment_finess="75000001")
    assert make_case(establishment_finess="2A0000012").establishment_finess == "2A0000012"
    with pytest.raises(ValidationError, match="at least 1 character"):
        TimelineEntry(time=DETECTED, text="")


def test_ids_are_uuid5_of_establishment_and_case() -> None:
    case = make_case()
    expected = uuid.uuid5(HYGIE_NAMESPACE, "case/750000001/42/incident")
    assert case.uuid_for("incident") == str(expected)
    # Two hospitals' case 42 never share an id; without a FINESS, the name keys the establishment.
    assert make_case(establishment_finess="130000001").uuid_for("incident") != str(expected)
    unnamed = make_case(establishment_finess=None)
    assert unnamed.uuid_for("incident") == str(
        uuid.uuid5(HYGIE_NAMESPACE, "case/Centre hospitalier de Test/42/incident")
    )


def test_last_change_and_investigation_status() -> None:
    case = make_case()
    assert case.last_change == datetime(2026, 3, 29, 1, 15, tzinfo=UTC)  # the latest timeline entry
    assert case.investigation_status == "open"
    closed = make_case(closed_at=datetime(2026, 4, 2, 10, 0, tzinfo=UTC))
    assert closed.last_change == datetime(2026, 4, 2, 10, 0, tzinfo=UTC)
    assert closed.investigation_status == "closed"
    assert make_case(status="NEW", timeline=()).investigation_status == "new"
    assert make_case(updated_at=DETECTED).last_change == DETECTED


def test_duplicate_indicators_are_exported_once() -> None:
    twice = (*INDICATORS, Indicator(kind="domain", value="evil.example.org"))
    case = make_case(indicators=twice)
    assert len(case.unique_indicators()) == len(INDICATORS)
