"""CPE names: Nmap writes CPE 2.2 URIs (``cpe:/a:openbsd:openssh:7.4``), NVD matches CPE 2.3
formatted strings (``cpe:2.3:a:openbsd:openssh:7.4:*:*:*:*:*:*:*``). The conversion follows the
CPE naming specification (NISTIR 7695): URI percent-encoding decoded, special characters escaped
with a backslash, an empty component becomes ANY (``*``), a packed edition unpacked."""

from __future__ import annotations

import re
from urllib.parse import unquote

_PARTS = ("a", "o", "h")
# Characters a CPE 2.3 formatted string escapes: all but letters, digits, underscore, period and hyphen.
_SPECIAL = re.compile(r"([^A-Za-z0-9_.\-])")


def _component(value: str) -> str:
    if value == "":
        return "*"
    if value == "-":
        return "-"
    decoded = unquote(value)
    # In a 2.2 URI, %01 and %02 are the wildcards ? and *; they are kept unescaped.
    out = _SPECIAL.sub(r"\\\1", decoded.lower())
    return out.replace("\\\x01", "?").replace("\\\x02", "*")


def to_cpe23(name: str) -> str | None:
    """A CPE 2.3 formatted string for a 2.2 URI or a 2.3 string; None when it is neither."""
    name = name.strip()
    if name.startswith("cpe:2.3:"):
        fields = name.split(":")
        return name if len(fields) == 13 and fields[2] in _PARTS else None
    if not name.startswith("cpe:/"):
        return None
    fields = name[len("cpe:/") :].split(":")
    if not fields or fields[0] not in _PARTS or len(fields) > 7:
        return None
    fields += [""] * (7 - len(fields))
    part, vendor, product, version, update, edition, language = fields
    sw_edition = target_sw = target_hw = other = ""
    if edition.startswith("~"):  # packed: ~edition~sw_edition~target_sw~target_hw~other
        packed = edition[1:].split("~")
        if len(packed) != 5:
            return None
        edition, sw_edition, target_sw, target_hw, other = packed
    components = [vendor, product, version, update, edition, language, sw_edition, target_sw, target_hw]
    return ":".join(["cpe", "2.3", part, *(_component(c) for c in components), _component(other)])


def cpe_part(name: str) -> str | None:
    """``a`` (application), ``o`` (operating system) or ``h`` (hardware)."""
    converted = to_cpe23(name)
    return converted.split(":")[2] if converted else None
