"""Import of CISO Assistant framework libraries: the five sample files and the error cases."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hygie.core.errors import ContentError, NotFoundError, ValidationError
from hygie.frameworks import service
from hygie.frameworks.importers import ciso_assistant
from hygie.frameworks.loader import SHIPPED_LIBRARY, load_library
from hygie.frameworks.schema import Dimension

# file, aligned on, referential id, requirements, sections, tiers, aligned, own controls
CASES = [
    ("anssi-guide-hygiene.yaml", "anssi-hygiene", "anssi-guide-hygiene", 61, 10, 2, 61, 0),
    ("nis2-directive.yaml", "nis2-art21", "nis2-directive", 13, 4, 0, 10, 3),
    ("ans-care-domaine2.yaml", "care", "care-d2", 13, 4, 0, 13, 0),
    ("anssi-mon-aide-cyber.yaml", None, "anssi-monaidecyber", 53, 7, 11, 0, 53),
    (
        "anssi-points-de-controle-active-directory.yaml",
        None,
        "anssi-points-de-controle-active-directory",
        95,
        5,
        4,
        0,
        95,
    ),
]


@pytest.mark.parametrize(("name", "align", "rid", "n_req", "n_sec", "n_tiers", "n_aligned", "n_own"), CASES)
def test_sample_library_imports_and_loads(
    shared_data: Path,
    tmp_path: Path,
    name: str,
    align: str | None,
    rid: str,
    n_req: int,
    n_sec: int,
    n_tiers: int,
    n_aligned: int,
    n_own: int,
) -> None:
    source = shared_data / "ciso-assistant-library" / name
    result = service.import_ciso_assistant(source, align=align, user_dir=tmp_path)
    assert result.referential_id == rid
    assert Path(result.path) == tmp_path / f"{rid}.yaml"
    assert (result.requirement_count, result.section_count, result.tier_count) == (n_req, n_sec, n_tiers)
    assert (result.aligned_count, result.own_control_count) == (n_aligned, n_own)
    library = load_library((SHIPPED_LIBRARY, tmp_path))
    referential = library.referential(rid)
    assert len(referential.requirements) == n_req
    copyright_text = yaml.safe_load(source.read_text(encoding="utf-8"))["copyright"]
    assert referential.description is not None and copyright_text in referential.description.fr
    for requirement in referential.requirements:
        for mapping in requirement.mappings:
            assert mapping.control in library.controls


def test_hygiene_alignment_reuses_the_mappings(shared_data: Path, tmp_path: Path) -> None:
    service.import_ciso_assistant(
        shared_data / "ciso-assistant-library/anssi-guide-hygiene.yaml",
        align="anssi-hygiene",
        user_dir=tmp_path,
    )
    imported = load_library((SHIPPED_LIBRARY, tmp_path)).referential("anssi-guide-hygiene")
    by_id = {r.id: r for r in imported.requirements}
    assert [m.control for m in by_id["34"].mappings] == ["TEC-PATCH"]
    # A reinforced variant reuses the mappings of its measure; a R-only measure keeps its tier.
    assert [m.control for m in by_id["2.R"].mappings] == ["AWA-TRAINING", "AWA-CHARTER"]
    assert by_id["38.R"].tiers == ["R"] and by_id["38.R"].mappings[0].control == "GOV-AUDIT"
    assert by_id["1"].section == "I" and by_id["42.R"].section == "X"
    assert imported.controls == []


def test_care_alignment_strips_the_domain_prefix(shared_data: Path, tmp_path: Path) -> None:
    service.import_ciso_assistant(
        shared_data / "ciso-assistant-library/ans-care-domaine2.yaml", align="care", user_dir=tmp_path
    )
    imported = load_library((SHIPPED_LIBRARY, tmp_path)).referential("care-d2")
    by_id = {r.id: r for r in imported.requirements}
    assert by_id["d2.o3.c"].mappings[0].control == "CON-BACKUP-OFFLINE"
    assert by_id["d2.o4"].mappings[0].control == "CON-RESTORE-TEST"


def test_unaligned_requirements_get_controls_of_their_own(shared_data: Path, tmp_path: Path) -> None:
    service.import_ciso_assistant(
        shared_data / "ciso-assistant-library/nis2-directive.yaml", user_dir=tmp_path
    )
    imported = load_library((SHIPPED_LIBRARY, tmp_path)).referential("nis2-directive")
    assert [c.id for c in imported.controls][:3] == [
        "X-NIS2-DIRECTIVE-1",
        "X-NIS2-DIRECTIVE-2",
        "X-NIS2-DIRECTIVE-3",
    ]
    assert len(imported.controls) == 13
    first = imported.requirements[0]
    assert first.id == "21.1"
    assert first.mappings[0].control == "X-NIS2-DIRECTIVE-1"
    assert first.mappings[0].relationship == "equal"
    # The question of its control is the requirement's text, in both languages.
    control = imported.controls[0]
    assert control.question.en.startswith("Member States shall ensure")
    assert control.question.fr.startswith("Les États membres veillent")


def test_ad_control_points_are_technical_with_levels(shared_data: Path, tmp_path: Path) -> None:
    service.import_ciso_assistant(
        shared_data / "ciso-assistant-library/anssi-points-de-controle-active-directory.yaml",
        user_dir=tmp_path,
    )
    imported = load_library((SHIPPED_LIBRARY, tmp_path)).referential(
        "anssi-points-de-controle-active-directory"
    )
    assert [t.id for t in imported.tiers] == ["level_1", "level_2", "level_3", "level_4"]
    technical = sum(1 for c in imported.controls if c.dimension == Dimension.TECHNICAL)
    assert technical >= 90


def test_reimport_needs_force(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "ciso-assistant-library/nis2-directive.yaml"
    service.import_ciso_assistant(source, user_dir=tmp_path)
    with pytest.raises(ValidationError, match="--force"):
        service.import_ciso_assistant(source, user_dir=tmp_path)
    again = service.import_ciso_assistant(source, align="nis2-art21", force=True, user_dir=tmp_path)
    assert again.replaced and again.aligned_count == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nis2-directive.yaml"]


def test_shipped_referential_is_never_overwritten(tmp_path: Path) -> None:
    source = tmp_path / "src" / "care.yaml"
    source.parent.mkdir()
    source.write_text(
        "urn: urn:x:library:care\nref_id: CARE\nlocale: fr\nname: CaRE\nversion: 1\ncopyright: x\n"
        "objects:\n  framework:\n    urn: urn:x:framework:care\n    requirement_nodes:\n"
        "    - {urn: 'urn:x:1', assessable: true, ref_id: '1', name: Sauvegarder}\n",
        encoding="utf-8",
    )
    user = tmp_path / "user"
    with pytest.raises(ValidationError, match="shipped"):
        service.import_ciso_assistant(source, user_dir=user, force=True)
    assert not (user / "care.yaml").exists()


def test_unknown_alignment(shared_data: Path, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no-such"):
        service.import_ciso_assistant(
            shared_data / "ciso-assistant-library/nis2-directive.yaml", align="no-such", user_dir=tmp_path
        )


def _library(tmp_path: Path, nodes: str, extra: str = "") -> Path:
    path = tmp_path / "in.yaml"
    path.write_text(
        "urn: urn:x:library:local\nref_id: LOCAL\nlocale: fr\nname: Local\nversion: 1\n"
        f"objects:\n  framework:\n    urn: urn:x:framework:local\n{extra}    requirement_nodes:\n{nodes}",
        encoding="utf-8",
    )
    return path


def test_bad_parent_names_file_line_and_node(tmp_path: Path) -> None:
    path = _library(
        tmp_path,
        "    - urn: urn:x:a\n      assessable: false\n      name: Section\n"
        "    - urn: urn:x:b\n      assessable: true\n      parent_urn: urn:x:zzz\n      name: Exigence\n",
    )
    with pytest.raises(ContentError) as caught:
        ciso_assistant.convert(path)
    location = caught.value.location
    assert location is not None
    assert (location.file, location.line) == (path, 15)
    assert location.field == "objects.framework.requirement_nodes.1.parent_urn"


def test_undefined_implementation_group_is_refused(tmp_path: Path) -> None:
    path = _library(
        tmp_path,
        "    - {urn: 'urn:x:a', assessable: true, name: Exigence, implementation_groups: [GOLD]}\n",
        extra="    implementation_groups_definition:\n    - {ref_id: S, name: standard}\n",
    )
    with pytest.raises(ContentError, match="GOLD") as caught:
        ciso_assistant.convert(path)
    assert caught.value.location is not None and caught.value.location.line == 12


def test_not_a_framework_library(tmp_path: Path) -> None:
    path = tmp_path / "matrix.yaml"
    path.write_text("urn: urn:x\nobjects:\n  risk_matrix: {}\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"objects\.framework") as caught:
        ciso_assistant.convert(path)
    assert caught.value.location is not None and caught.value.location.file == path


def test_invalid_yaml_and_aliases_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("urn: x\nobjects: [\n", encoding="utf-8")
    with pytest.raises(ContentError, match="invalid YAML"):
        ciso_assistant.convert(broken)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x, x]\nb: [*a, *a]\n", encoding="utf-8")
    with pytest.raises(ContentError, match="aliases") as caught:
        ciso_assistant.convert(bomb)
    assert caught.value.location is not None and caught.value.location.line == 1  # the anchor


def test_oversize_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _library(tmp_path, "    - {urn: 'urn:x:a', assessable: true, name: Exigence}\n")
    monkeypatch.setattr(ciso_assistant, "MAX_BYTES", 100)
    with pytest.raises(ContentError, match="too large"):
        ciso_assistant.convert(path)


def test_dimension_guess() -> None:
    assert ciso_assistant.guess_dimension("Tester la restauration des sauvegardes") == Dimension.CONTINUITY
    assert ciso_assistant.guess_dimension("Appliquer les correctifs de sécurité") == Dimension.TECHNICAL
    assert ciso_assistant.guess_dimension("Sensibiliser les agents au hameçonnage") == Dimension.AWARENESS
    assert ciso_assistant.guess_dimension("Déclarer l'incident au CERT Santé") == Dimension.INCIDENT_RESPONSE
    assert ciso_assistant.guess_dimension("Quelque chose de vague") == Dimension.GOVERNANCE


def test_slugify() -> None:
    assert ciso_assistant.slugify("ANSSI-GUIDE-HYGIENE") == "anssi-guide-hygiene"
    assert ciso_assistant.slugify("Référentiel Santé v2") == "referentiel-sante-v2"
