"""The cycle's date rules (issue 18): a network sets how many days a visit may start either
side of its date and how long the unit may comment on a shared report; a coordinator's exception
to a rule is kept with its reason; a report records the unit lead's "no comments".

Revision ID: f2a3b4c5d6e7
Revises: c8f2b3d4e5a6
Create Date: 2026-12-07 14:35:19.255968

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f2a3b4c5d6e7"
down_revision = "c8f2b3d4e5a6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rule_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_rule_overrides_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["networks.id"],
            name=op.f("fk_rule_overrides_network_id_networks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_overrides")),
        sa.UniqueConstraint("rule", "entity_id", name=op.f("uq_rule_overrides_rule_entity_id")),
    )
    with op.batch_alter_table("rule_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rule_overrides_network_id"), ["network_id"], unique=False
        )

    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("visit_date_tolerance_days", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("comment_period_days", sa.Integer(), server_default="14", nullable=False)
        )

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("no_comments_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("no_comments_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reports_no_comments_by_id_users"),
            "users",
            ["no_comments_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_reports_no_comments_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("no_comments_by_id")
        batch_op.drop_column("no_comments_at")

    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.drop_column("comment_period_days")
        batch_op.drop_column("visit_date_tolerance_days")

    with op.batch_alter_table("rule_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_overrides_network_id"))

    op.drop_table("rule_overrides")
