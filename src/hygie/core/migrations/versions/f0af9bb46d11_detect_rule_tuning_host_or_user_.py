"""detect rule tuning: host or user exclusions of the statistical detectors

Revision ID: f0af9bb46d11
Revises: c2c400d9bb30
Create Date: 2026-11-29 20:30:04.996060
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f0af9bb46d11"
down_revision: str | None = "c2c400d9bb30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("detect_rule_tuning", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entity_field", sa.String(length=10), nullable=True))
        # Existing rows (filters, disabled rules, levels) name no entity: empty, then no default.
        batch_op.add_column(
            sa.Column("entity_value", sa.String(length=255), nullable=False, server_default="")
        )
    with op.batch_alter_table("detect_rule_tuning", schema=None) as batch_op:
        batch_op.alter_column("entity_value", server_default=None)


def downgrade() -> None:
    # The earlier code knows no "entity" kind: it could not read these rows.
    op.execute("DELETE FROM detect_rule_tuning WHERE kind = 'entity'")
    with op.batch_alter_table("detect_rule_tuning", schema=None) as batch_op:
        batch_op.drop_column("entity_value")
        batch_op.drop_column("entity_field")
