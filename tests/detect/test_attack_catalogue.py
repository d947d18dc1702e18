"""The ATT&CK coverage catalogue: the shipped file is valid and complete; a bad file is refused with its line
and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hygie.core.errors import ContentError
from hygie.detect.attack_catalogue import TACTICS, Importance, load_catalogue, shipped_catalogue
from hygie.detect.coverage import feed_of

GOOD = """\
kind: attack-coverage
id: test
title: {fr: Essai, en: Test}
techniques:
  - id: T1003.001
    tactic: credential-access
    name: {fr: LSASS, en: LSASS}
    importance: critical
    why: {fr: Les mots de passe., en: The passwords.}
    log_sources:
      - {product: windows, category: process_access}
"""


SOURCE = "      - {product: windows, category: process_access}"
WHY = "    why: {fr: Les mots de passe., en: The passwords.}\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalogue.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_catalogue_covers_the_ransomware_chain() -> None:
    catalogue = shipped_catalogue()
    ids = [t.id for t in catalogue.techniques]
    assert len(ids) == len(set(ids)) == 31
    assert all(re.fullmatch(r"T\d{4}(\.\d{3})?", i) for i in ids)
    # The steps the brief names are all there, with the tactic they play in the chain.
    expected = {
        "T1566": "initial-access",
        "T1078": "initial-access",
        "T1133": "initial-access",
        "T1190": "initial-access",
        "T1059.001": "execution",
        "T1047": "execution",
        "T1053.005": "execution",
        "T1003.001": "credential-access",
        "T1003.003": "credential-access",
        "T1021.001": "lateral-movement",
        "T1021.002": "lateral-movement",
        "T1562.001": "defense-evasion",
        "T1070.001": "defense-evasion",
        "T1490": "impact",
        "T1486": "impact",
        "T1219": "command-and-control",
        "T1567.002": "exfiltration",
    }
    tactics = {t.id: t.tactic for t in catalogue.techniques}
    assert {k: tactics[k] for k in expected} == expected
    by_id = catalogue.by_id()
    assert by_id["T1486"].importance == Importance.CRITICAL and by_id["T1486"].weight == 4
    assert by_id["T1486"].why.fr and by_id["T1486"].why.en
    assert set(tactics.values()) == set(TACTICS)  # every tactic column of the matrix has a technique


def test_every_shipped_log_source_is_read_by_hygie_or_known_as_unread() -> None:
    unread = set()
    for technique in shipped_catalogue().techniques:
        for source in technique.log_sources:
            if feed_of(source) is None:
                unread.add(source.label)
    # Only the network appliances' logs, which Hygie has no reader for yet.
    assert unread == {"proxy", "firewall", "vpn", "webserver"}


def test_a_good_file_loads(tmp_path: Path) -> None:
    catalogue = load_catalogue(_write(tmp_path, GOOD))
    technique = catalogue.techniques[0]
    assert technique.log_sources[0].label == "windows/process_access"
    assert technique.covered_by("t1003.001") and not technique.covered_by("T1003")


@pytest.mark.parametrize(
    ("change", "line", "field", "message"),
    [
        (("tactic: credential-access", "tactic: theft"), 6, "techniques.0.tactic", "unknown tactic 'theft'"),
        (("id: T1003.001", "id: T103"), 5, "techniques.0.id", "should match pattern"),
        (("importance: critical", "importance: vital"), 8, "techniques.0.importance", "critical"),
        ((SOURCE, "      - {}"), 11, "techniques.0.log_sources.0", "names a product, a category"),
        ((WHY, ""), 5, "techniques.0.why", "Field required"),
        (("kind: attack-coverage", "kind: controls"), 1, "kind", "attack-coverage"),
    ],
)  # fmt: skip
def test_a_bad_file_names_its_line_and_field(
    tmp_path: Path, change: tuple[str, str], line: int, field: str, message: str
) -> None:
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ContentError) as caught:
        load_catalogue(path)
    error = caught.value
    assert error.location is not None
    assert (error.location.file, error.location.line, error.location.field) == (path, line, field)
    assert message in error.message


def test_a_technique_listed_twice_names_the_second(tmp_path: Path) -> None:
    twice = GOOD + GOOD[GOOD.index("  - id:") :]
    path = _write(tmp_path, twice)
    with pytest.raises(ContentError, match=r"T1003\.001 is listed twice") as caught:
        load_catalogue(path)
    assert caught.value.location is not None and caught.value.location.line == 12


def test_invalid_yaml_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("    importance: critical", "    importance: [critical"))
    with pytest.raises(ContentError, match="invalid YAML") as caught:
        load_catalogue(path)
    assert caught.value.location is not None and caught.value.location.line in (9, 10)
