"""What the importers share: a JSON file read within limits, and what an import gives back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from hygie.core.errors import ContentError, Location
from hygie.incidents.sharing.case import Indicator, IndicatorKind

# A STIX bundle or MISP event of shared indicators is a few MB; 200 MB is refused from its size.
MAX_IMPORT_BYTES = 200 * 1024 * 1024
MAX_COMMENT_LENGTH = 2000


@dataclass(frozen=True)
class UnreadIndicator:
    """An entry of the file that is not taken, and why (the user sees the list)."""

    ref: str
    text: str
    reason: str


@dataclass
class IndicatorImport:
    """The indicators read from one file, and the entries that could not be read."""

    source: str
    indicators: list[Indicator] = field(default_factory=list)
    unread: list[UnreadIndicator] = field(default_factory=list)
    _seen: set[tuple[IndicatorKind, str]] = field(default_factory=set, repr=False)

    def add(self, kind: IndicatorKind, value: str, ref: str, *, comment: str = "") -> None:
        """Takes the indicator once (kind and canonical value), or lists it as unread with why."""
        try:
            indicator = Indicator(kind=kind, value=value, comment=comment[:MAX_COMMENT_LENGTH])
        except PydanticValidationError as exc:
            reason = "; ".join(str(error["msg"]) for error in exc.errors())
            self.unread.append(UnreadIndicator(ref, value[:200], reason))
            return
        if indicator.key not in self._seen:
            self._seen.add(indicator.key)
            self.indicators.append(indicator)


def load_json(path: Path, max_bytes: int = MAX_IMPORT_BYTES) -> Any:
    """The JSON document of ``path``; a ContentError naming the file when it is missing, too big,
    not UTF-8, not JSON or nested beyond what Python's parser takes."""
    where = Location(path.name)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ContentError(f"the file is {size:,} bytes, over the limit of {max_bytes:,} bytes", where)
        if size == 0:
            raise ContentError("the file is empty", where)
        data = path.read_bytes()
    except OSError as exc:
        raise ContentError(f"cannot read the file: {exc.strerror}", where) from exc
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ContentError("the file is not UTF-8 text", where) from exc
    except json.JSONDecodeError as exc:
        raise ContentError(f"not valid JSON: {exc.msg}", Location(path.name, exc.lineno)) from exc
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ContentError(f"not valid JSON: {exc}", where) from exc
    except RecursionError as exc:
        raise ContentError("the JSON is nested too deeply", where) from exc


def expect(value: Any, kind: type, what: str, path: Path) -> Any:
    """``value`` when it is of type ``kind``, else a ContentError saying what was expected."""
    if not isinstance(value, kind):
        raise ContentError(f"{what} must be a JSON {_JSON_NAMES[kind]}", Location(path.name, field=what))
    return value


_JSON_NAMES: dict[type, str] = {dict: "object", list: "array", str: "string"}
