"""Imports every domain's tables so that they are registered on ``Base.metadata``.

Alembic's environment and the test suite import this module; a new domain adds its line here.
"""

from hygie.assess import models as assess_models
from hygie.assets import models as assets_models
from hygie.awareness import models as awareness_models
from hygie.continuity import models as continuity_models
from hygie.detect import models as detect_models
from hygie.detect.detectors import models as detectors_models
from hygie.incidents import models as incidents_models
from hygie.network import models as network_models
from hygie.org import models as org_models
from hygie.plan import models as plan_models
from hygie.reports import models as reports_models
from hygie.vulns import models as vulns_models

__all__ = [
    "assess_models",
    "assets_models",
    "awareness_models",
    "continuity_models",
    "detect_models",
    "detectors_models",
    "incidents_models",
    "network_models",
    "org_models",
    "plan_models",
    "reports_models",
    "vulns_models",
]
