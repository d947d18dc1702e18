"""The shipped library: every file loads, counts match the official texts, every control is used."""

from __future__ import annotations

from collections import Counter

import pytest

from hygie.frameworks.loader import SHIPPED_LIBRARY, Library, load_file, load_library
from hygie.frameworks.schema import ControlCatalogue, Dimension, Referential


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library()


def test_every_shipped_file_loads() -> None:
    files = sorted(p.name for p in SHIPPED_LIBRARY.glob("*.yaml"))
    assert files == [
        "anssi-hygiene.yaml",
        "care.yaml",
        "controls.yaml",
        "hicp.yaml",
        "hph-cpg.yaml",
        "nis2-art21.yaml",
    ]
    for path in SHIPPED_LIBRARY.glob("*.yaml"):
        assert isinstance(load_file(path), ControlCatalogue | Referential)


def test_referential_ids(library: Library) -> None:
    assert sorted(library.referentials) == ["anssi-hygiene", "care", "hicp", "hph-cpg", "nis2-art21"]


def test_catalogue_covers_the_five_dimensions(library: Library) -> None:
    dimensions = Counter(c.dimension for c in library.controls.values())
    assert set(dimensions) == set(Dimension)
    assert 45 <= len(library.controls) <= 65
    assert all(count >= 4 for count in dimensions.values())
    for required in ("GOV-PSSI", "TEC-PATCH", "TEC-MFA", "TEC-BIOMED", "CON-BACKUP-OFFLINE", "INC-REPORTING"):
        assert required in library.controls


def test_short_path_is_ranked_without_gaps(library: Library) -> None:
    ranks = [c.essential_rank for c in library.short_path()]
    assert ranks == list(range(1, len(ranks) + 1))
    assert 25 <= len(ranks) <= 35
    # The three most urgent measures for a small clinic.
    assert [c.id for c in library.short_path()[:3]] == ["CON-BACKUP-OFFLINE", "TEC-PATCH", "TEC-MFA"]
    assert len(library.full_path()) == len(library.controls)


def test_every_control_is_mapped_from_a_referential(library: Library) -> None:
    mapped = {m.control for r in library.referentials.values() for q in r.requirements for m in q.mappings}
    assert set(library.controls) - mapped == set()


def test_anssi_hygiene_counts(library: Library) -> None:
    anssi = library.referential("anssi-hygiene")
    assert [r.id for r in anssi.requirements] == [str(n) for n in range(1, 43)]
    assert [s.id for s in anssi.sections] == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
    per_section = Counter(r.section for r in anssi.requirements)
    assert [per_section[s.id] for s in anssi.sections] == [3, 4, 6, 5, 8, 3, 4, 2, 5, 2]
    r_only = sorted((r.id for r in anssi.requirements if r.tiers == ["R"]), key=int)
    assert r_only == ["38", "41", "42"]
    both = sorted(int(r.id) for r in anssi.requirements if set(r.tiers) == {"S", "R"})
    assert both == [2, 6, 7, 8, 12, 13, 14, 15, 17, 22, 24, 25, 27, 28, 30, 32, 33, 36, 37]
    assert sum(1 for r in anssi.requirements if "S" in r.tiers) == 39


def test_nis2_article_21_2(library: Library) -> None:
    nis2 = library.referential("nis2-art21")
    assert [r.id for r in nis2.requirements] == [f"21.2.{letter}" for letter in "abcdefghij"]


def test_care_domain_2_ids(library: Library) -> None:
    care = library.referential("care")
    ids = {r.id for r in care.requirements}
    domain2 = {
        "P1",
        "P2",
        "O1.a",
        "O1.b",
        "O1.c",
        "O1.d",
        "O2.a",
        "O2.b",
        "O3.a",
        "O3.b",
        "O3.c",
        "O3.d",
        "O4",
    }
    assert domain2 <= ids
    assert all(r.section == "D2" for r in care.requirements if r.id in domain2)
    domain1 = [r for r in care.requirements if r.section == "D1"]
    assert domain1 and all(r.unverified for r in domain1)
    assert {m.control for r in domain1 for m in r.mappings} >= {"TEC-EXPOSURE", "TEC-AD"}
    assert next(r for r in care.requirements if r.id == "O3.c").mappings[0].control == "CON-BACKUP-OFFLINE"


def test_hph_cpg_tiers(library: Library) -> None:
    hph = library.referential("hph-cpg")
    assert len(hph.requirements) == 20
    assert Counter(t for r in hph.requirements for t in r.tiers) == {"essential": 10, "enhanced": 10}
    # Names not confirmed at the source are flagged; the [V*] ones are not.
    unverified = {r.id for r in hph.requirements if r.unverified}
    assert {"ESS-2", "ESS-3", "ESS-4", "ESS-9"} <= unverified
    assert not {"ESS-1", "ESS-5", "ESS-6", "ESS-7", "ESS-8", "ESS-10", "ENH-2", "ENH-4"} & unverified


def test_hicp_ten_practices(library: Library) -> None:
    hicp = library.referential("hicp")
    assert [r.id for r in hicp.requirements] == [str(n) for n in range(1, 11)]
    assert [r.id for r in hicp.requirements if not r.unverified] == ["9"]
    assert hicp.requirements[8].mappings[0].control == "TEC-BIOMED"


def test_every_text_is_in_both_languages(library: Library) -> None:
    for referential in library.referentials.values():
        for requirement in referential.requirements:
            assert requirement.title.fr != "" and requirement.title.en != ""
            assert referential.source.startswith("https://")
    for control in library.controls.values():
        assert control.question.fr.endswith("?") and control.question.en.endswith("?"), control.id
