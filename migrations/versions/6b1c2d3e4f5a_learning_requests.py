"""Ask to learn: consent-based contact between units (learning_requests).

Revision ID: 6b1c2d3e4f5a
Revises: d9a3c4e5f6b7
Create Date: 2026-12-07 17:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "6b1c2d3e4f5a"
down_revision = "d9a3c4e5f6b7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "learning_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("from_unit_id", sa.Integer(), nullable=False),
        sa.Column("to_unit_id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=True),
        sa.Column("practice", sa.Text(), nullable=False),
        sa.Column("to_label", sa.String(length=80), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("forwarded_by_id", sa.Integer(), nullable=True),
        sa.Column("coordinator_note", sa.Text(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("forwarded_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_learning_requests_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["users.id"],
            name=op.f("fk_learning_requests_contact_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["forwarded_by_id"],
            ["users.id"],
            name=op.f("fk_learning_requests_forwarded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["from_unit_id"],
            ["units.id"],
            name=op.f("fk_learning_requests_from_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["networks.id"],
            name=op.f("fk_learning_requests_network_id_networks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observations.id"],
            name=op.f("fk_learning_requests_observation_id_observations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_learning_requests_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_unit_id"],
            ["units.id"],
            name=op.f("fk_learning_requests_to_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_requests")),
    )
    with op.batch_alter_table("learning_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learning_requests_from_unit_id"), ["from_unit_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_learning_requests_network_id"), ["network_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_learning_requests_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_learning_requests_to_unit_id"), ["to_unit_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("learning_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learning_requests_to_unit_id"))
        batch_op.drop_index(batch_op.f("ix_learning_requests_state"))
        batch_op.drop_index(batch_op.f("ix_learning_requests_network_id"))
        batch_op.drop_index(batch_op.f("ix_learning_requests_from_unit_id"))
    op.drop_table("learning_requests")
