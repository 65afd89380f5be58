"""Standards carry the methods a reviewer checks them by; code mappings between editions carry
the kind of change (merged, split, dropped, …), whether the meaning changed, and a note.

A mapping may now hold several rows per newer standard (older standards merged into it) and a
row without a newer standard (a dropped one), so the unique key and the nullability change.

Revision ID: c8f2b3d4e5a6
Revises: b7e1a2c3d4f5
Create Date: 2026-11-24 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "c8f2b3d4e5a6"
down_revision = "b7e1a2c3d4f5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("standards", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("methods", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
    with op.batch_alter_table("standard_mappings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("meaning_changed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("note", sa.Text(), server_default="", nullable=False))
        batch_op.alter_column("to_standard_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(
            op.f("uq_standard_mappings_from_edition_id_to_standard_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            op.f("uq_standard_mappings_link"),
            ["from_edition_id", "to_standard_id", "from_standard_id"],
        )
        batch_op.create_check_constraint(
            op.f("ck_standard_mappings_linked"),
            "from_standard_id IS NOT NULL OR to_standard_id IS NOT NULL",
        )


def downgrade():
    # Rows the old shape cannot hold: dropped standards and all but one link per newer standard.
    op.execute("DELETE FROM standard_mappings WHERE to_standard_id IS NULL")
    op.execute(
        "DELETE FROM standard_mappings WHERE id NOT IN ("
        "SELECT MIN(id) FROM standard_mappings GROUP BY from_edition_id, to_standard_id)"
    )
    with op.batch_alter_table("standard_mappings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_standard_mappings_linked"), type_="check")
        batch_op.drop_constraint(op.f("uq_standard_mappings_link"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_standard_mappings_from_edition_id_to_standard_id"),
            ["from_edition_id", "to_standard_id"],
        )
        batch_op.alter_column("to_standard_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("note")
        batch_op.drop_column("meaning_changed")
        batch_op.drop_column("change")
    with op.batch_alter_table("standards", schema=None) as batch_op:
        batch_op.drop_column("methods")
