"""Imports every domain's tables so that they are registered on ``Base.metadata``.

Alembic's environment and the test suite import this module; a new domain adds its line here.
"""

from hygie.org import models as org_models

__all__ = ["org_models"]
