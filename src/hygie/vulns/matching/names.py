"""CPE names as the matcher compares them, and the alias table that says which names are the same.

A CPE 2.3 formatted string is split on its unescaped colons; each value is compared in its canonical
form (escapes removed, lower case). Vendors and products then go through the alias table of
``data/aliases.yaml`` on both sides, catalogue and inventory, so that "GE Healthcare", ``gehealthcare``
and Nmap's old ``mysql:mysql`` meet their NVD names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

ANY = "*"
NA = "-"
ATTRIBUTES = ("update", "edition", "language", "sw_edition", "target_sw", "target_hw", "other")
_SPLIT = re.compile(r"(?<!\\):")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def unescape(value: str) -> str:
    """A CPE value without its backslash escapes, in lower case (``windows_8\\.1`` → ``windows_8.1``)."""
    return re.sub(r"\\(.)", r"\1", value).lower() if "\\" in value else value.lower()


def slug(text: str) -> str:
    """A free-text name as the alias table writes it: ``Dräger Medical`` → ``drager_medical``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _NOT_WORD.sub("_", plain).strip("_")


@dataclass(frozen=True, slots=True)
class Cpe:
    """A CPE 2.3 name, values canonical (unescaped, lower case); ``*`` is ANY and ``-`` is NA."""

    part: str
    vendor: str
    product: str
    version: str
    update: str = ANY
    edition: str = ANY
    language: str = ANY
    sw_edition: str = ANY
    target_sw: str = ANY
    target_hw: str = ANY
    other: str = ANY

    @classmethod
    @lru_cache(maxsize=262144)  # the catalogue repeats the same criteria many times
    def parse(cls, text: str) -> Cpe | None:
        """A CPE 2.3 formatted string or a prefix of one (``cpe:2.3:o:microsoft:windows``), else None."""
        fields = _SPLIT.split(text.strip())
        if len(fields) < 5 or fields[0] != "cpe" or fields[1] != "2.3" or fields[2] not in ("a", "o", "h"):
            return None
        values = [unescape(v) for v in fields[2:]] + [ANY] * (13 - len(fields))
        return cls(*values[:11])

    def formatted(self) -> str:
        return _formatted(self)

    def _format(self) -> str:
        values = (self.part, self.vendor, self.product, self.version, *(getattr(self, a) for a in ATTRIBUTES))
        return "cpe:2.3:" + ":".join(re.sub(r"([^a-z0-9_.\-*])", r"\\\1", v) for v in values)


@lru_cache(maxsize=262144)
def _formatted(cpe: Cpe) -> str:
    return cpe._format()


class Aliases:
    """The alias table: canonical vendors and products, purl → CPE, version schemes, EOL mappings."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.vendor: dict[str, str] = {}
        for canonical, names in (data.get("vendors") or {}).items():
            for name in [canonical, *names]:
                self.vendor[slug(str(name))] = str(canonical)
        self.product: dict[tuple[str, str], tuple[str, str]] = {}
        self.product_variants: dict[str, set[str]] = {}
        for canonical, names in (data.get("products") or {}).items():
            target = _pair(str(canonical))
            for name in [canonical, *names]:
                pair = _pair(str(name))
                self.product[pair] = target
                self.product_variants.setdefault(target[1], set()).add(pair[1])
        self.purls: dict[str, str] = {str(k): str(v) for k, v in (data.get("purls") or {}).items()}
        self.schemes: dict[tuple[str, str], str] = {
            _pair(str(k)): str(v) for k, v in (data.get("schemes") or {}).items()
        }
        self.eol: dict[tuple[str, str], tuple[str, str]] = {
            _pair(str(k)): (str(v[0]), str(v[1])) for k, v in (data.get("eol") or {}).items()
        }
        self.essential_departments = tuple(slug(str(d)) for d in data.get("essential_departments") or ())
        self._keys: dict[tuple[str, str], tuple[str, str]] = {}

    def canonical_vendor(self, vendor: str) -> str:
        """A vendor's canonical name; a free-text maker ("GE Healthcare") is slugged first."""
        name = slug(vendor)
        return self.vendor.get(name, name)

    def key(self, vendor: str, product: str) -> tuple[str, str]:
        """The canonical (vendor, product) of a CPE's vendor and product (remembered: the catalogue
        asks for the same few thousand pairs hundreds of thousands of times)."""
        found = self._keys.get((vendor, product))
        if found is None:
            pair = self.product.get((vendor, product))
            if pair is None:
                canonical = self.canonical_vendor(vendor)
                pair = self.product.get((canonical, product), (canonical, product))
            found = self._keys[(vendor, product)] = pair
        return found

    def products_for(self, product: str) -> set[str]:
        """Every product name (as catalogues write it) that may be this canonical product."""
        return {product} | self.product_variants.get(product, set())

    def scheme(self, key: tuple[str, str]) -> str:
        return self.schemes.get(key, "numeric")


def _pair(text: str) -> tuple[str, str]:
    vendor, _, product = text.partition(":")
    return (vendor.strip().lower(), product.strip().lower())


@lru_cache(maxsize=1)
def default_aliases() -> Aliases:
    """The table shipped with Hygie (``hygie/vulns/data/aliases.yaml``)."""
    text = resources.files("hygie.vulns").joinpath("data/aliases.yaml").read_text(encoding="utf-8")
    return Aliases(yaml.safe_load(text) or {})
