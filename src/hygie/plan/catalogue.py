"""The catalogue of action templates (``actions.yaml``), validated on load, errors located by line."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pydantic

from hygie.core.errors import ContentError, Location

# Private helpers of the library loader, reused so that both kinds of content report errors alike.
from hygie.frameworks.loader import Library, located_error, node_at, parse_yaml
from hygie.plan.schemas import ActionCatalogue

SHIPPED_ACTIONS = Path(__file__).parent / "actions.yaml"


def load_actions(path: Path = SHIPPED_ACTIONS) -> ActionCatalogue:
    data, node = parse_yaml(path)
    if not isinstance(data, dict) or data.get("kind") != "actions":
        raise ContentError("an action catalogue is a mapping with 'kind: actions'", Location(path, 1, "kind"))
    try:
        return ActionCatalogue.model_validate(data)
    except pydantic.ValidationError as exc:
        raise located_error(path, node, exc) from exc


def check_against_library(catalogue: ActionCatalogue, library: Library, path: Path = SHIPPED_ACTIONS) -> None:
    """Every control an action raises must exist in the library; the error names the action's line."""
    node = None
    for index, action in enumerate(catalogue.actions):
        for control_id in action.raises:
            if control_id not in library.controls:
                if node is None:
                    _, node = parse_yaml(path)
                line = node_at(node, ["actions", index, "raises"]).start_mark.line + 1 if node else None
                raise ContentError(
                    f"action {action.id} raises unknown control {control_id!r}",
                    Location(path, line, f"actions.{index}.raises"),
                )


@lru_cache(maxsize=1)
def default_actions() -> ActionCatalogue:
    return load_actions(SHIPPED_ACTIONS)
