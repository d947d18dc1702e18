"""Reads library files: YAML validated against the schema, errors located by file and line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pydantic
import yaml

from hygie.core.errors import ContentError, Location
from hygie.frameworks.schema import Control, ControlCatalogue, Dimension, Metric, Referential

SHIPPED_LIBRARY = Path(__file__).parent / "library"


@dataclass(frozen=True)
class Library:
    """Every control and every referential available, with the file each came from."""

    controls: dict[str, Control]
    referentials: dict[str, Referential]
    origins: dict[str, Path] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)  # what the evidence rules may read

    def control(self, control_id: str) -> Control:
        try:
            return self.controls[control_id]
        except KeyError:
            raise ContentError(f"unknown control {control_id!r}") from None

    def referential(self, referential_id: str) -> Referential:
        try:
            return self.referentials[referential_id]
        except KeyError:
            known = ", ".join(sorted(self.referentials))
            raise ContentError(f"unknown referential {referential_id!r} (known: {known})") from None

    def controls_of(self, dimension: Dimension) -> list[Control]:
        return [c for c in self.controls.values() if c.dimension == dimension]

    def short_path(self) -> list[Control]:
        """The essential controls, most urgent first: the questionnaire of a small clinic."""
        ranked = [c for c in self.controls.values() if c.essential_rank is not None]
        return sorted(ranked, key=lambda c: (c.essential_rank or 0, c.id))

    def full_path(self) -> list[Control]:
        """Every control, essential ones first, then by dimension."""
        order = list(Dimension)
        rest = sorted(
            (c for c in self.controls.values() if c.essential_rank is None),
            key=lambda c: (order.index(c.dimension), c.id),
        )
        return self.short_path() + rest


def node_at(node: yaml.Node, path: Sequence[int | str]) -> yaml.Node:
    """The deepest YAML node reachable along a Pydantic error location."""
    current = node
    for key in path:
        if isinstance(current, yaml.MappingNode):
            match = next((v for k, v in current.value if getattr(k, "value", None) == key), None)
            if match is None:
                return current
            current = match
        elif isinstance(current, yaml.SequenceNode) and isinstance(key, int) and key < len(current.value):
            current = current.value[key]
        else:
            return current
    return current


def parse_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(f"not UTF-8 text ({exc.reason})", Location(path)) from exc
    # One parse gives both the node tree (for line numbers) and the data; libyaml when present.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ContentError(f"invalid YAML: {exc.problem}", Location(path, line)) from exc
    finally:
        loader.dispose()
    return data, node


def located_error(path: Path, node: yaml.Node | None, error: pydantic.ValidationError) -> ContentError:
    """The first problem, located; the message lists every other one with its line, so that a
    file is fixed in one pass."""
    located: list[tuple[Location, str]] = []
    for problem in error.errors():
        loc = [p for p in problem["loc"] if isinstance(p, int | str)]
        line = node_at(node, loc).start_mark.line + 1 if node is not None else None
        located.append((Location(path, line, ".".join(str(p) for p in loc) or None), problem["msg"]))
    (first, message), others = located[0], located[1:]
    if others:
        listed = "; ".join(f"line {where.line}, {where.field}: {msg}" for where, msg in others)
        message = f"{message} (and {len(others)} more: {listed})"
    return ContentError(message, first)


def load_file(path: Path) -> ControlCatalogue | Referential:
    data, node = parse_yaml(path)
    if not isinstance(data, dict):
        raise ContentError("a library file is a mapping with a 'kind' key", Location(path, 1))
    kind = data.get("kind")
    model: type[ControlCatalogue] | type[Referential]
    if kind == "controls":
        model = ControlCatalogue
    elif kind == "referential":
        model = Referential
    else:
        line = node_at(node, ["kind"]).start_mark.line + 1 if node is not None else 1
        raise ContentError(
            f"unknown kind {kind!r}: expected 'controls' or 'referential'", Location(path, line, "kind")
        )
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise located_error(path, node, exc) from exc


def _library_files(directories: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for directory in directories:
        if directory.is_dir():
            files.extend(sorted(directory.glob("*.yaml")))
    return files


def _requirement_line(path: Path, referential_index: int) -> int | None:
    _, node = parse_yaml(path)
    if node is None:
        return None
    return node_at(node, ["requirements", referential_index]).start_mark.line + 1


def _line_of(path: Path, where: Sequence[int | str]) -> int | None:
    _, node = parse_yaml(path)
    return node_at(node, where).start_mark.line + 1 if node is not None else None


def _check_metrics(
    loaded: Sequence[tuple[Path, ControlCatalogue | Referential]], metrics: dict[str, Metric]
) -> None:
    """Every evidence rule reads declared metrics only (a typo would leave the control unmeasured)."""
    for path, content in loaded:
        for index, control in enumerate(content.controls):
            if control.evidence is None:
                continue
            for name in control.evidence.metrics():
                if name in metrics:
                    continue
                if name == control.evidence.metric:
                    where: list[int | str] = ["controls", index, "evidence", "metric"]
                else:
                    where = ["controls", index, "evidence", "thresholds"]
                known = ", ".join(sorted(metrics)) or "none declared"
                raise ContentError(
                    f"control {control.id}: unknown metric {name!r} (known: {known})",
                    Location(path, _line_of(path, where), ".".join(str(w) for w in where)),
                )


def load_library(directories: Sequence[Path] = (SHIPPED_LIBRARY,)) -> Library:
    """Loads and cross-checks every file: ids unique, every mapping names a known control."""
    controls: dict[str, Control] = {}
    referentials: dict[str, Referential] = {}
    origins: dict[str, Path] = {}

    def add_control(control: Control, path: Path) -> None:
        if control.id in controls:
            raise ContentError(
                f"control {control.id} is already defined in {origins[control.id].name}", Location(path)
            )
        controls[control.id] = control
        origins[control.id] = path

    metrics: dict[str, Metric] = {}
    loaded = [(path, load_file(path)) for path in _library_files(directories)]
    for path, content in loaded:
        if isinstance(content, ControlCatalogue):
            for index, metric in enumerate(content.metrics):
                if metric.id in metrics:
                    raise ContentError(
                        f"metric {metric.id} is declared twice",
                        Location(path, _line_of(path, ["metrics", index]), f"metrics.{index}.id"),
                    )
                metrics[metric.id] = metric
            for control in content.controls:
                add_control(control, path)
    for path, content in loaded:
        if isinstance(content, Referential):
            if content.id in referentials:
                raise ContentError(
                    f"referential {content.id} is already defined in {origins[content.id].name}",
                    Location(path),
                )
            for control in content.controls:
                add_control(control, path)
            referentials[content.id] = content
            origins[content.id] = path
    for referential_id, referential in referentials.items():
        path = origins[referential_id]
        for index, requirement in enumerate(referential.requirements):
            for mapping in requirement.mappings:
                if mapping.control not in controls:
                    raise ContentError(
                        f"requirement {requirement.id} maps to unknown control {mapping.control!r}",
                        Location(path, _requirement_line(path, index), f"requirements.{index}.mappings"),
                    )
    _check_metrics(loaded, metrics)
    return Library(controls=controls, referentials=referentials, origins=origins, metrics=metrics)


@lru_cache(maxsize=8)
def _cached(directories: tuple[Path, ...]) -> Library:
    return load_library(directories)


def default_library(user_dir: Path | None = None) -> Library:
    """The shipped library plus the user's own files (``HYGIE_HOME/library``), cached."""
    directories = (SHIPPED_LIBRARY,) if user_dir is None else (SHIPPED_LIBRARY, user_dir)
    return _cached(directories)


def clear_cache() -> None:
    _cached.cache_clear()
