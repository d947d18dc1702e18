"""CVSS vectors checked and scored with the ``cvss`` package: a score is computed from its vector,
never copied from the source. A v4.0 score is labelled with the metrics it includes (CVSS-B, -BT,
-BE, -BTE), since ``cvss`` scores every metric present in the vector."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

_ENVIRONMENTAL_V4 = {"CR", "IR", "AR"} | {
    "M" + m for m in ("AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA")
}


@dataclass(frozen=True)
class Score:
    version: str  # "3.0", "3.1" or "4.0"
    vector: str
    score: float
    severity: str  # None, Low, Medium, High, Critical
    nomenclature: str  # "CVSS-B" ... for 4.0; "base" for 3.x


class BadVectorError(ValueError):
    """The vector is not a valid CVSS 3.x or 4.0 vector."""


@lru_cache(maxsize=65536)  # a few thousand distinct vectors cover hundreds of thousands of CVEs
def score_vector(vector: str) -> Score:
    """Checks and scores a CVSS 3.0, 3.1 or 4.0 vector; BadVectorError when it is not one."""
    text = vector.strip()
    try:
        if text.startswith("CVSS:4.0/"):
            v4 = CVSS4(text)
            given = {k for k, v in v4.original_metrics.items() if v != "X"}
            threat = "E" in given
            environmental = bool(given & _ENVIRONMENTAL_V4)
            label = "CVSS-B" + ("T" if threat else "") + ("E" if environmental else "")
            return Score("4.0", text, float(v4.base_score), str(v4.severity), label)
        if text.startswith(("CVSS:3.0/", "CVSS:3.1/")):
            v3 = CVSS3(text)
            return Score(text[5:8], text, float(v3.scores()[0]), str(v3.severities()[0]), "base")
    except (CVSSError, KeyError, ValueError, IndexError) as exc:
        raise BadVectorError(f"invalid CVSS vector {text!r}: {exc}") from exc
    raise BadVectorError(f"not a CVSS 3.x or 4.0 vector: {text!r}")
