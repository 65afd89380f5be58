"""Version columns for optimistic locking: every editable entity carries ``version``.

Networks, institutions, units, cycles, GAP overrides, maturity ratings, reports, report
comments and users get an integer ``version`` (existing rows start at 1). Actions, findings and
observations already have one; the models now map all of them as SQLAlchemy's
``version_id_col`` (see kvip.core.versioning).

Revision ID: b7e1a2c3d4f5
Revises: ec7db146ca7e
Create Date: 2026-11-24 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "b7e1a2c3d4f5"
down_revision = "ec7db146ca7e"
branch_labels = None
depends_on = None

TABLES = (
    "networks",
    "institutions",
    "units",
    "cycles",
    "gap_overrides",
    "maturity_ratings",
    "reports",
    "report_comments",
    "users",
)


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("version", sa.Integer(), server_default="1", nullable=False)
            )


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
