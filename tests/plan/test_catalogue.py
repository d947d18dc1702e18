from __future__ import annotations

from pathlib import Path

import pytest

from hygie.core.errors import ContentError
from hygie.frameworks.loader import SHIPPED_LIBRARY, load_library
from hygie.frameworks.schema import Dimension
from hygie.plan.catalogue import check_against_library, default_actions, load_actions
from tests.plan.builders import control, library


def test_shipped_actions_name_only_controls_of_the_shipped_library() -> None:
    actions = default_actions()
    lib = load_library()
    assert 30 <= len(actions.actions) <= 50
    for action in actions.actions:
        for control_id in action.raises:
            assert control_id in lib.controls, f"{action.id} raises unknown control {control_id}"
    check_against_library(actions, lib)


def test_every_catalogue_control_can_be_raised_by_some_action() -> None:
    lib = load_library()
    catalogue_controls = {
        cid for cid, path in lib.origins.items() if path == SHIPPED_LIBRARY / "controls.yaml"
    }
    raised = {cid for a in default_actions().actions for cid in a.raises}
    assert catalogue_controls, "controls.yaml holds no control"
    assert sorted(catalogue_controls - raised) == []


def test_shipped_actions_are_bilingual_and_costed() -> None:
    for action in default_actions().actions:
        assert action.title.fr != action.title.en
        assert action.cost_min <= action.cost_max
        assert action.effort_days > 0


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "actions.yaml"
    path.write_text(body, encoding="utf-8")
    return path


ACTION = """\
  - id: ACT-{n}
    title: {{fr: Titre, en: Title}}
    description: {{fr: Desc, en: Desc}}
    category: backup
    owner_role: dsi
    effort_days: 3
    cost_min: {cost_min}
    cost_max: 1000
    raises: {{CON-BACKUP: 1}}
    prerequisites: {prerequisites}
"""


def test_bad_cost_is_reported_with_its_line(tmp_path: Path) -> None:
    body = "kind: actions\nversion: '1'\nactions:\n"
    body += ACTION.format(n="ONE", cost_min=0, prerequisites="[]")
    body += ACTION.format(n="TWO", cost_min=5000, prerequisites="[]")
    with pytest.raises(ContentError) as info:
        load_actions(write(tmp_path, body))
    assert "cost_min 5000 is above cost_max 1000" in str(info.value)
    assert info.value.location is not None and info.value.location.line == 14
    assert info.value.location.field == "actions.1"


def test_prerequisite_cycle_and_unknown_prerequisite_are_refused(tmp_path: Path) -> None:
    body = "kind: actions\nversion: '1'\nactions:\n"
    body += ACTION.format(n="ONE", cost_min=0, prerequisites="[ACT-TWO]")
    body += ACTION.format(n="TWO", cost_min=0, prerequisites="[ACT-ONE]")
    with pytest.raises(ContentError, match="cycle: ACT-ONE -> ACT-TWO -> ACT-ONE"):
        load_actions(write(tmp_path, body))
    unknown = "kind: actions\nversion: '1'\nactions:\n" + ACTION.format(
        n="ONE", cost_min=0, prerequisites="[ACT-NOPE]"
    )
    with pytest.raises(ContentError, match="unknown prerequisite 'ACT-NOPE'"):
        load_actions(write(tmp_path, unknown))


def test_unknown_control_is_reported_with_the_action_line(tmp_path: Path) -> None:
    body = "kind: actions\nversion: '1'\nactions:\n" + ACTION.format(n="ONE", cost_min=0, prerequisites="[]")
    path = write(tmp_path, body)
    actions = load_actions(path)
    with pytest.raises(ContentError, match="unknown control 'CON-BACKUP'") as info:
        check_against_library(actions, library(control("TEC-OTHER", Dimension.TECHNICAL)), path)
    assert info.value.location is not None and info.value.location.line == 12


def test_wrong_kind_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="kind: actions"):
        load_actions(write(tmp_path, "kind: controls\n"))
    with pytest.raises(ContentError, match="invalid YAML") as info:
        load_actions(write(tmp_path, "kind: actions\nactions: [\n  - {\n"))
    assert info.value.location is not None and info.value.location.line is not None
