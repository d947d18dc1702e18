"""Version comparison with ``univers``, per scheme, never in string order.

The default scheme, ``numeric``, takes only dotted integers (``10.0.19041``, ``4.4.1``) and orders them
as univers' PEP 440 versions do, zeros padded (``4.0`` = ``4.0.0``); it compares their integer tuples
directly, which gives the same order (a property test checks it against univers) for a hundredth of
the time. univers' own ``IntdotVersion`` and ``GenericVersion`` (32.0.1) put ``1.10`` below ``1.9``,
so they are not used.
A product may name another scheme in ``data/aliases.yaml`` (``openssl``). Any version that does not
fit its scheme (``20d29``, ``4.X``, a date) cannot be compared: the caller gets None and reports
"needs review", never a guess.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from univers import versions as uv

_NUMERIC = re.compile(r"^\d+(\.\d+)*$")
# Schemes a product or a purl type may use; each class validates its own strings.
_SCHEMES: dict[str, Any] = {
    "openssl": uv.OpensslVersion,
    "semver": uv.SemverVersion,
    "pypi": uv.PypiVersion,
    "maven": uv.MavenVersion,
    "deb": uv.DebianVersion,
    "rpm": uv.RpmVersion,
    "nuget": uv.NugetVersion,
    "gem": uv.RubygemsVersion,
    "golang": uv.GolangVersion,
    "composer": uv.ComposerVersion,
}
PURL_SCHEMES = {
    "pypi": "pypi",
    "maven": "maven",
    "npm": "semver",
    "cargo": "semver",
    "nuget": "nuget",
    "gem": "gem",
    "golang": "golang",
    "composer": "composer",
}


def numeric_key(text: str) -> tuple[int, ...] | None:
    """Dotted integers as a tuple without trailing zeros (``4.0.0`` → ``(4,)``); None for anything else."""
    if not _NUMERIC.match(text):
        return None
    parts = [int(p) for p in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


@lru_cache(maxsize=262144)
def _parse(version: str, scheme: str) -> Any | None:
    text = version.strip()
    if scheme == "numeric" or scheme not in _SCHEMES:
        return numeric_key(text)
    cls = _SCHEMES[scheme]
    try:
        if not cls.is_valid(text):
            return numeric_key(text) if scheme != "openssl" else None
        return cls(text)
    except Exception:  # univers raises many types for a string it cannot read
        return None


def compare(left: str, right: str, scheme: str = "numeric") -> int | None:
    """-1, 0 or 1 as ``left`` is below, equal to or above ``right``; None when they cannot be compared."""
    a, b = _parse(left, scheme), _parse(right, scheme)
    if a is None or b is None or type(a) is not type(b):
        return None
    try:
        return -1 if a < b else (1 if a > b else 0)
    except Exception:  # a comparison univers cannot make is "cannot compare"
        return None


def upstream_of_distro(version: str) -> str:
    """The upstream part of a Debian/RPM package version: ``1:2.4.52-1ubuntu4.7`` → ``2.4.52``."""
    text = version.split(":", 1)[1] if re.match(r"^\d+:", version) else version
    return text.rsplit("-", 1)[0] if "-" in text else text
