"""Applied operations remember what they changed: a hash of (target, body), so a reused op_id
that comes with a different change is refused instead of answered with the first answer.

Revision ID: d9a3c4e5f6b7
Revises: a3b4c5d6e7f8
Create Date: 2026-12-07 14:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "d9a3c4e5f6b7"
down_revision = "a3b4c5d6e7f8"
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: ops applied before this revision have no fingerprint and replay as before.
    with op.batch_alter_table("applied_operations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("applied_operations", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")
