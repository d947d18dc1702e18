"""The CSV flow matrix (docs/fr/matrice-de-flux-csv.md, docs/en/flow-matrix-csv.md).

UTF-8, ``;`` or ``,`` between columns, one rule per line in the order the firewall applies them.
Column names in French or English, any case, with or without accents. Sources and destinations are
zone names or networks, several separated by ``|`` (networks also by spaces); services are catalogue
names (RDP, DICOM) or ``tcp/3389``-style, several separated by ``|`` or spaces; empty means any. Values stay
text: a cell starting with ``=`` is a name, never a formula. Every wrong cell is reported with its
line and column, and then nothing is imported.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pydantic

from hygie.assets.importers.csvfile import key
from hygie.core.csvtext import decode_utf8, delimiter_of
from hygie.core.errors import ContentError, ImportRejectedError, Location
from hygie.core.files import MAX_IMPORT_BYTES, check_size
from hygie.network.reachability import Action
from hygie.network.schemas import RuleIn
from hygie.network.services import resolve_service

COLUMNS: dict[str, tuple[str, ...]] = {
    "direction": ("direction", "sens", "chain", "chaine", "interface"),
    "sources": ("source", "sources", "from", "de", "origine"),
    "destinations": ("destination", "destinations", "to", "vers", "cible"),
    "services": ("service", "services", "port", "ports", "protocole", "protocol"),
    "action": ("action", "decision"),
    "comment": ("comment", "commentaire", "justification", "description"),
    "hit_count": ("hits", "hit_count", "occurrences", "compteur"),
    "disabled": ("disabled", "desactivee", "inactive", "desactive"),
    "label": ("id", "rule", "regle", "numero", "label"),
}
_FIELD_OF_COLUMN = {name: field for field, names in COLUMNS.items() for name in names}
_ACTIONS = {
    "allow": Action.ALLOW, "accept": Action.ALLOW, "permit": Action.ALLOW, "pass": Action.ALLOW,
    "autoriser": Action.ALLOW, "autorise": Action.ALLOW, "ouvert": Action.ALLOW,
    "deny": Action.DENY, "drop": Action.DENY, "reject": Action.DENY, "block": Action.DENY,
    "refuser": Action.DENY, "refuse": Action.DENY, "interdit": Action.DENY, "bloquer": Action.DENY,
}  # fmt: skip
_YES = {"yes", "oui", "o", "y", "true", "vrai", "1", "x"}
_NO = {"no", "non", "n", "false", "faux", "0", ""}


def _several(text: str) -> list[str]:
    return [part for part in re.split(r"[\s|]+", text) if part]


def _ends(text: str) -> list[str]:
    """Zone names (spaces allowed) or networks, separated by ``|`` or new lines; networks may also
    be separated by spaces."""
    found: list[str] = []
    for part in re.split(r"[|\n]+", text):
        words = part.split()
        if words and all(w[:1].isdigit() for w in words):
            found.extend(words)
        elif words:
            found.append(" ".join(words))
    return found


def _cell(field: str, text: str) -> Any:
    if field == "action":
        word = key(text)
        if word not in _ACTIONS:
            raise ValueError(f"{text!r} is not allow/autoriser or deny/refuser")
        return _ACTIONS[word]
    if field in ("sources", "destinations"):
        return [] if key(text) in ("any", "tout", "toutes", "tous") else _ends(text)
    if field == "services":
        if key(text) in ("any", "tout", "tous"):
            return []
        return [str(s) for part in _several(text) for s in resolve_service(part)]
    if field == "hit_count":
        if not text.isdigit():
            raise ValueError(f"{text!r} is not a whole number")
        return int(text)
    if field == "disabled":
        word = key(text)
        if word not in _YES | _NO:
            raise ValueError(f"{text!r} is not yes/oui or no/non")
        return word in _YES
    return text


def parse(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> list[RuleIn]:
    """The rules of a CSV flow matrix, in the file's order; ImportRejectedError naming every bad cell."""
    name = path.name
    check_size(path, max_bytes)
    text = decode_utf8(path.read_bytes(), name)
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter_of(text.split("\n", 1)[0]), strict=True
    )
    try:
        header = next(reader)
    except StopIteration:
        raise ContentError("the file is empty", Location(name)) from None
    except csv.Error as exc:
        raise ContentError(f"unreadable CSV: {exc}", Location(name, 1)) from exc
    columns: dict[int, str] = {}
    for index, title in enumerate(header):
        field = _FIELD_OF_COLUMN.get(key(title))
        if field is not None and field not in columns.values():
            columns[index] = field
    missing = {"sources", "destinations", "action"} - set(columns.values())
    if missing:
        wanted = ", ".join(COLUMNS[f][0] for f in sorted(missing))
        raise ContentError(f"missing column(s): {wanted}", Location(name, 1))
    rules: list[RuleIn] = []
    problems: list[ContentError] = []
    counters: dict[str, int] = {}
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(ContentError(f"unreadable CSV: {exc}", Location(name, line)))
            break
        if not any(cell.strip() for cell in row):
            continue
        values: dict[str, Any] = {"origin": f"{name}:{line}"}
        bad = False
        for index, field in columns.items():
            cell = row[index].strip() if index < len(row) else ""
            try:
                values[field] = _cell(field, cell)
            except ValueError as exc:
                problems.append(ContentError(str(exc), Location(name, line, header[index].strip())))
                bad = True
        if bad:
            continue
        direction = values.get("direction") or "matrix"
        counters[direction] = counters.get(direction, 0) + 1
        values["direction"] = direction
        values["label"] = values.get("label") or f"{name}:{line}"
        try:
            rules.append(RuleIn.model_validate(values))
        except pydantic.ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else ""
                column = next((header[i].strip() for i, f in columns.items() if f == field), field)
                problems.append(
                    ContentError(error["msg"].removeprefix("Value error, "), Location(name, line, column))
                )
    if problems:
        raise ImportRejectedError(name, problems)
    return rules
