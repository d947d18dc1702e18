"""A wrong user file gives an error naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygie.core.errors import ContentError
from hygie.frameworks.loader import SHIPPED_LIBRARY, load_library

GOOD = """\
kind: referential
id: local-policy
name: {fr: "Politique locale", en: "Local policy"}
short_name: Local
version: "1"
provider: CH Exemple
source: "https://intranet.example/pssi"
requirements:
  - id: L1
    title: {fr: "Sauvegardes", en: "Backups"}
    mappings: [{control: CON-BACKUP}]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "local-policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_user_file_loads_beside_the_shipped_library(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    library = load_library((SHIPPED_LIBRARY, tmp_path))
    assert library.referential("local-policy").requirements[0].mappings[0].control == "CON-BACKUP"
    assert library.origins["local-policy"] == tmp_path / "local-policy.yaml"


def test_bad_field_names_file_and_line(tmp_path: Path) -> None:
    # Line 11 gets an unknown relationship.
    path = _write(
        tmp_path, GOOD.replace("{control: CON-BACKUP}", "{control: CON-BACKUP, relationship: nearly}")
    )
    with pytest.raises(ContentError) as caught:
        load_library((SHIPPED_LIBRARY, tmp_path))
    assert caught.value.location is not None
    assert caught.value.location.file == path
    assert caught.value.location.line == 11
    assert "requirements.0.mappings.0.relationship" in str(caught.value)
    assert str(path) in str(caught.value) and "line 11" in str(caught.value)


def test_unknown_extra_field_is_located(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("short_name: Local", "short_name: Local\ncolour: blue"))
    with pytest.raises(ContentError) as caught:
        load_library((SHIPPED_LIBRARY, tmp_path))
    assert caught.value.location is not None
    assert (caught.value.location.file, caught.value.location.line) == (path, 5)


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace('version: "1"', 'version: "1\n  oops: ['))
    with pytest.raises(ContentError) as caught:
        load_library((SHIPPED_LIBRARY, tmp_path))
    assert caught.value.location is not None
    assert caught.value.location.file == path
    assert caught.value.location.line is not None and caught.value.location.line >= 5
    assert "invalid YAML" in str(caught.value)


def test_unknown_control_names_file_and_requirement_line(tmp_path: Path) -> None:
    text = (
        GOOD
        + """\
  - id: L2
    title: {fr: "Inconnu", en: "Unknown"}
    mappings: [{control: TEC-NOPE}]
"""
    )
    path = _write(tmp_path, text)
    with pytest.raises(ContentError) as caught:
        load_library((SHIPPED_LIBRARY, tmp_path))
    assert caught.value.location is not None
    assert (caught.value.location.file, caught.value.location.line) == (path, 12)
    assert "TEC-NOPE" in str(caught.value)


def test_user_file_cannot_redefine_a_shipped_referential(tmp_path: Path) -> None:
    _write(tmp_path, GOOD.replace("id: local-policy", "id: care"))
    with pytest.raises(ContentError, match=r"already defined in care\.yaml"):
        load_library((SHIPPED_LIBRARY, tmp_path))


def test_every_problem_of_a_file_is_listed_with_its_line(tmp_path: Path) -> None:
    broken = GOOD.replace('version: "1"\n', "").replace("mappings: [{control: CON-BACKUP}]", "mappings: []")
    _write(tmp_path, broken)
    with pytest.raises(ContentError) as caught:
        load_library((SHIPPED_LIBRARY, tmp_path))
    message = str(caught.value)
    assert "version" in message and "Field required" in message
    assert "and 1 more: line 10, requirements.0.mappings" in message
