"""Scheduling visits: the dates a unit (or the coordinator) proposes for a visit, the SEQUENCE of
the visit's calendar invitation, and files attached to outbox e-mails (the .ics invitation).

Revision ID: b4c5d6e7f8a9
Revises: f2a3b4c5d6e7
Create Date: 2026-12-07 14:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "b4c5d6e7f8a9"
down_revision = "f2a3b4c5d6e7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ics_sequence", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "visit_date_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("date_1", sa.Date(), nullable=False),
        sa.Column("date_2", sa.Date(), nullable=True),
        sa.Column("date_3", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("chosen_date", sa.Date(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_visit_date_proposals_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["users.id"],
            name=op.f("fk_visit_date_proposals_proposed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_visit_date_proposals_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_date_proposals")),
    )
    with op.batch_alter_table("visit_date_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_date_proposals_visit_id"), ["visit_id"], unique=False
        )
    op.create_table(
        "outbox_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["outbox_emails.id"],
            name=op.f("fk_outbox_attachments_email_id_outbox_emails"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attachments")),
    )
    with op.batch_alter_table("outbox_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_attachments_email_id"), ["email_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outbox_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_attachments_email_id"))
    op.drop_table("outbox_attachments")
    with op.batch_alter_table("visit_date_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_date_proposals_visit_id"))
    op.drop_table("visit_date_proposals")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_column("ics_sequence")
