"""The demo hospital's group (GHT Loire-Aurèle): two more establishments, at both ends of maturity.

- :mod:`hygie.demo.val_aurele`, a small local hospital (low maturity);
- :mod:`hygie.demo.chu_aurele`, the group's university hospital and support establishment (high maturity).

Both are smaller than the demo hospital in the demo (a few hundred assets each, no logs), so that
``hygie demo`` stays quick; they go through the same builder (:func:`hygie.demo.service.build`).
"""

from __future__ import annotations

from hygie.demo.chu_aurele import CHU_AURELE
from hygie.demo.profiles import GROUP
from hygie.demo.val_aurele import VAL_AURELE

OTHERS = (VAL_AURELE, CHU_AURELE)
"""The group's establishments beside the demo hospital, least mature first."""

__all__ = ["GROUP", "OTHERS"]
