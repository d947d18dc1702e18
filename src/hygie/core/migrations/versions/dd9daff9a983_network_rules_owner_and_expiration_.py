"""network rules owner and expiration, firewall catalogue

Revision ID: dd9daff9a983
Revises: b734a8c2a900
Create Date: 2026-11-29 11:51:34.131569
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dd9daff9a983"
down_revision: str | None = "b734a8c2a900"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the firewalls already imported get an empty catalogue; new rows get theirs from the model
    with op.batch_alter_table("network_firewall", schema=None) as batch_op:
        batch_op.add_column(sa.Column("catalogue", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table("network_firewall", schema=None) as batch_op:
        batch_op.alter_column("catalogue", server_default=None)

    with op.batch_alter_table("network_rule", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("expires", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("network_rule", schema=None) as batch_op:
        batch_op.drop_column("expires")
        batch_op.drop_column("owner")

    with op.batch_alter_table("network_firewall", schema=None) as batch_op:
        batch_op.drop_column("catalogue")
