"""Audit log index by network and time: the network's log pages newest first through it.

Revision ID: ec7db146ca7e
Revises: f96d5502c6a4
Create Date: 2026-11-23 08:52:33.174115

"""

from alembic import op

revision = "ec7db146ca7e"
down_revision = "f96d5502c6a4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_network_at", ["network_id", "at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_network_at")
