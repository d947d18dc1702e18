"""One error hierarchy. Content and import errors say where they come from (file, line, field)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where a problem lies in an input: a file, and optionally a line, a cell or a field."""

    file: Path | str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            parts.append(str(self.file))
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(self.field)
        return ", ".join(parts)


class HygieError(Exception):
    """Root of every error Hygie raises on purpose."""


class NotFoundError(HygieError):
    """The object does not exist, or the caller may not see it (the two are not told apart)."""


class ValidationError(HygieError):
    """A value given by a user breaks a rule of the domain."""


class ContentError(HygieError):
    """A file or record is wrong; carries where."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class ImportRejectedError(HygieError):
    """An import found problems; nothing was stored. ``problems`` lists every one of them."""

    def __init__(self, source: str, problems: list[ContentError]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s), nothing imported:\n{lines}")


class PermissionDenied(HygieError):  # noqa: N818 -- the name the domain speaks
    """The caller may see the object but its role does not allow the action."""
