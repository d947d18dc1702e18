"""The referential library as the rest of Hygie sees it: list, show, controls, import.

The shipped library (``frameworks/library``) is read together with the user's own files
(``HYGIE_HOME/library``); imports write into the latter only and never shadow a shipped file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hygie.core.errors import HygieError, NotFoundError, ValidationError
from hygie.core.settings import get_settings
from hygie.frameworks.importers import ciso_assistant
from hygie.frameworks.loader import SHIPPED_LIBRARY, Library, clear_cache, default_library, load_library
from hygie.frameworks.schema import FULL_RELATIONSHIPS, Control, Dimension, Referential
from hygie.frameworks.schemas import (
    ControlSummary,
    ImportResult,
    MappedControl,
    ReferentialDetail,
    ReferentialSummary,
    RequirementDetail,
)


def user_library_dir() -> Path:
    return get_settings().library_dir


def get_library() -> Library:
    """Shipped plus user files, cached; raises ContentError (file, line) when a file is wrong."""
    return default_library(user_library_dir())


def _origin(library: Library, key: str) -> str:
    path = library.origins.get(key)
    if path is None or path.parent == SHIPPED_LIBRARY:
        return "shipped"
    return str(path)


def _users(library: Library) -> dict[str, list[str]]:
    """Control id -> ids of the referentials mapping onto it."""
    users: dict[str, list[str]] = {c: [] for c in library.controls}
    for referential in library.referentials.values():
        mapped = {m.control for r in referential.requirements for m in r.mappings}
        for control_id in sorted(mapped):
            users[control_id].append(referential.id)
    return users


def _control_summary(library: Library, control: Control, users: dict[str, list[str]]) -> ControlSummary:
    return ControlSummary(
        id=control.id,
        dimension=control.dimension,
        title=control.title,
        question=control.question,
        description=control.description,
        weight=control.weight,
        target=control.target,
        essential_rank=control.essential_rank,
        origin=_origin(library, control.id),
        referentials=users.get(control.id, []),
    )


def _summary_fields(library: Library, referential: Referential) -> dict[str, object]:
    return {
        "id": referential.id,
        "name": referential.name,
        "short_name": referential.short_name,
        "version": referential.version,
        "provider": referential.provider,
        "source": referential.source,
        "origin": _origin(library, referential.id),
        "requirement_count": len(referential.requirements),
        "unverified_count": sum(1 for r in referential.requirements if r.unverified),
        "tiers": referential.tiers,
        "sections": referential.sections,
        "mapped_controls": sorted({m.control for r in referential.requirements for m in r.mappings}),
    }


def list_referentials(library: Library | None = None) -> list[ReferentialSummary]:
    """Every referential, shipped ones first, each sorted by id."""
    library = library or get_library()
    ordered = sorted(library.referentials.values(), key=lambda r: (_origin(library, r.id) != "shipped", r.id))
    return [ReferentialSummary.model_validate(_summary_fields(library, r)) for r in ordered]


def get_referential(referential_id: str, library: Library | None = None) -> ReferentialDetail:
    """A referential with its requirements and the controls each one maps onto."""
    library = library or get_library()
    referential = library.referentials.get(referential_id)
    if referential is None:
        known = ", ".join(sorted(library.referentials))
        raise NotFoundError(f"unknown referential {referential_id!r} (known: {known})")
    users = _users(library)
    requirements = [
        RequirementDetail(
            id=r.id,
            section=r.section,
            title=r.title,
            description=r.description,
            tiers=r.tiers,
            unverified=r.unverified,
            mappings=[
                MappedControl(
                    control=m.control,
                    relationship=m.relationship,
                    full=m.relationship in FULL_RELATIONSHIPS,
                    dimension=library.controls[m.control].dimension,
                    title=library.controls[m.control].title,
                )
                for m in r.mappings
            ],
        )
        for r in referential.requirements
    ]
    return ReferentialDetail.model_validate(
        {
            **_summary_fields(library, referential),
            "description": referential.description,
            "own_controls": [_control_summary(library, c, users) for c in referential.controls],
            "requirements": requirements,
        }
    )


def list_controls(dimension: Dimension | None = None, library: Library | None = None) -> list[ControlSummary]:
    """Controls in questionnaire order (essential first, then by dimension), optionally of one dimension."""
    library = library or get_library()
    users = _users(library)
    return [
        _control_summary(library, c, users)
        for c in library.full_path()
        if dimension is None or c.dimension == dimension
    ]


def _write_atomically(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def import_ciso_assistant(
    path: Path, align: str | None = None, force: bool = False, user_dir: Path | None = None
) -> ImportResult:
    """Converts a CISO Assistant library into ``<user library>/<id>.yaml``.

    ``align`` names a Hygie referential whose requirement ids the file shares: those requirements
    reuse its mappings. Refuses to shadow a shipped referential; replaces an earlier import only
    with ``force``. The new file must load with the rest of the library, or nothing is written.
    """
    user_dir = user_dir or user_library_dir()
    library = load_library((SHIPPED_LIBRARY, user_dir))
    aligned_on = None
    if align is not None:
        if align not in library.referentials:
            known = ", ".join(sorted(library.referentials))
            raise NotFoundError(f"unknown referential {align!r} to align on (known: {known})")
        aligned_on = library.referentials[align]
    conversion = ciso_assistant.convert(path, aligned_on)
    referential = conversion.referential
    target = user_dir / f"{referential.id}.yaml"
    origin = library.origins.get(referential.id)
    if origin is not None and origin.parent == SHIPPED_LIBRARY:
        raise ValidationError(
            f"{path}: referential {referential.id!r} is shipped with Hygie; an import cannot replace it"
        )
    if origin is not None and origin.resolve() != target.resolve():
        raise ValidationError(f"{path}: referential {referential.id!r} is already defined in {origin}")
    replaced = target.exists()
    if replaced and not force:
        raise ValidationError(
            f"{path}: {target} already exists (imported earlier); use --force to replace it"
        )
    previous = target.read_bytes() if replaced else None
    _write_atomically(target, ciso_assistant.to_yaml(conversion, path.name))
    try:
        load_library((SHIPPED_LIBRARY, user_dir))
    except HygieError:
        # The library must stay loadable: put back what was there.
        if previous is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(previous)
        raise
    finally:
        clear_cache()
    return ImportResult(
        referential_id=referential.id,
        path=str(target),
        requirement_count=len(referential.requirements),
        section_count=len(referential.sections),
        tier_count=len(referential.tiers),
        aligned_on=align,
        aligned_count=conversion.aligned,
        own_control_count=conversion.own_controls,
        replaced=replaced,
    )
