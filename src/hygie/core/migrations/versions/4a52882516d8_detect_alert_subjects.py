"""detect alert subjects: what a statistical detector's alert is about (the hosts or users to exclude)

Revision ID: 4a52882516d8
Revises: f0af9bb46d11
Create Date: 2026-11-29 21:16:40.407546
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4a52882516d8"
down_revision: str | None = "f0af9bb46d11"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("detect_alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subjects", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("detect_alert", schema=None) as batch_op:
        batch_op.drop_column("subjects")
