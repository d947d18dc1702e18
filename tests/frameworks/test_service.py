"""The service: summaries, details, controls, errors of a user file through the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygie.core.errors import ContentError, NotFoundError
from hygie.frameworks import service
from hygie.frameworks.loader import clear_cache
from hygie.frameworks.schema import Dimension


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_cache()


def test_list_referentials(hygie_home: Path) -> None:
    summaries = {s.id: s for s in service.list_referentials()}
    assert list(summaries) == ["anssi-hygiene", "care", "hicp", "hph-cpg", "nis2-art21"]
    anssi = summaries["anssi-hygiene"]
    assert (anssi.requirement_count, len(anssi.sections), [t.id for t in anssi.tiers]) == (42, 10, ["S", "R"])
    assert anssi.origin == "shipped" and anssi.unverified_count == 0
    assert "TEC-PATCH" in anssi.mapped_controls and anssi.mapped_controls == sorted(anssi.mapped_controls)
    assert summaries["care"].unverified_count == 2


def test_get_referential_details_the_mappings(hygie_home: Path) -> None:
    detail = service.get_referential("nis2-art21")
    assert len(detail.requirements) == 10
    h = next(r for r in detail.requirements if r.id == "21.2.h")
    assert [(m.control, m.relationship.value, m.full) for m in h.mappings] == [("TEC-ENCRYPT", "equal", True)]
    c = next(r for r in detail.requirements if r.id == "21.2.c")
    assert all(not m.full for m in c.mappings)
    with pytest.raises(NotFoundError, match="nope"):
        service.get_referential("nope")


def test_list_controls_by_dimension(hygie_home: Path) -> None:
    continuity = service.list_controls(Dimension.CONTINUITY)
    assert continuity[0].id == "CON-BACKUP-OFFLINE"
    assert {c.dimension for c in continuity} == {Dimension.CONTINUITY}
    offline = continuity[0]
    assert offline.referentials == ["care", "nis2-art21"]
    assert len(service.list_controls()) == len(service.get_library().controls)


def test_user_file_error_names_file_and_line(hygie_home: Path) -> None:
    user = hygie_home / "library"
    user.mkdir(parents=True)
    bad = user / "local.yaml"
    bad.write_text(
        "kind: referential\nid: local\nname: {fr: L, en: L}\nshort_name: L\nversion: '1'\nprovider: P\n"
        "source: s\nrequirements:\n  - id: A\n    title: {fr: A}\n    mappings: [{control: TEC-PATCH}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as caught:
        service.list_referentials()
    assert caught.value.location is not None
    assert caught.value.location.file == bad
    assert caught.value.location.line == 10  # the title without its English text
