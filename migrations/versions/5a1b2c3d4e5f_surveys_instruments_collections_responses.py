"""Surveys (issue 15): instruments and questions per edition, survey settings per network,
collections per assessment, hashed single-use codes, kiosk sessions, anonymous responses with
their answers (no user, address or time of day), and record-audit entries.

Revision ID: 5a1b2c3d4e5f
Revises: 6b1c2d3e4f5a (written after d9a3c4e5f6b7; moved after the learning-requests revision that landed first)
Create Date: 2026-12-07 16:38:53.563715

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5a1b2c3d4e5f"
down_revision = "6b1c2d3e4f5a"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "instruments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("title_nb", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("intro_nb", sa.Text(), nullable=False),
        sa.Column("intro_en", sa.Text(), nullable=False),
        sa.Column("audience_nb", sa.String(length=200), nullable=False),
        sa.Column("audience_en", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["editions.id"],
            name=op.f("fk_instruments_edition_id_editions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruments")),
        sa.UniqueConstraint("edition_id", "code", name=op.f("uq_instruments_edition_id_code")),
    )
    with op.batch_alter_table("instruments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instruments_edition_id"), ["edition_id"], unique=False)

    op.create_table(
        "survey_settings",
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("min_respondents", sa.Integer(), nullable=False),
        sa.Column("record_audit_sample", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("min_respondents >= 5", name=op.f("ck_survey_settings_min_respondents")),
        sa.CheckConstraint(
            "record_audit_sample BETWEEN 1 AND 100",
            name=op.f("ck_survey_settings_record_audit_sample"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["networks.id"],
            name=op.f("fk_survey_settings_network_id_networks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("network_id", name=op.f("pk_survey_settings")),
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text_nb", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("scale", sa.String(length=20), nullable=False),
        sa.Column("positive", sa.String(length=10), nullable=False),
        sa.Column("standards", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_questions_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
        sa.UniqueConstraint("instrument_id", "code", name=op.f("uq_questions_instrument_id_code")),
    )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questions_instrument_id"), ["instrument_id"], unique=False
        )

    op.create_table(
        "collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Date(), nullable=False),
        sa.Column("closes", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_collections_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_collections_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_collections_instrument_id_instruments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
        sa.UniqueConstraint(
            "assessment_id",
            "instrument_id",
            name=op.f("uq_collections_assessment_id_instrument_id"),
        ),
    )
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collections_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_collections_instrument_id"), ["instrument_id"], unique=False
        )

    op.create_table(
        "kiosk_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("instruments", sa.JSON(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_kiosk_sessions_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["users.id"],
            name=op.f("fk_kiosk_sessions_started_by_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_kiosk_sessions_token_hash")),
    )
    with op.batch_alter_table("kiosk_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kiosk_sessions_assessment_id"), ["assessment_id"], unique=False
        )

    op.create_table(
        "record_audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("record_number", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "record_number BETWEEN 1 AND 100", name=op.f("ck_record_audit_entries_record_number")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_record_audit_entries_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_record_audit_entries_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_record_audit_entries_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_record_audit_entries_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_audit_entries")),
        sa.UniqueConstraint(
            "assessment_id",
            "source",
            "question_id",
            "record_number",
            name=op.f("uq_record_audit_entries_assessment_id_source_question_id_record_number"),
        ),
    )
    with op.batch_alter_table("record_audit_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_record_audit_entries_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_record_audit_entries_visit_id"), ["visit_id"], unique=False
        )

    op.create_table(
        "response_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_response_codes_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_response_codes_code_hash")),
    )
    with op.batch_alter_table("response_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_response_codes_collection_id"), ["collection_id"], unique=False
        )

    op.create_table(
        "responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("submission_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_responses_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
        sa.UniqueConstraint("submission_hash", name=op.f("uq_responses_submission_hash")),
    )
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_responses_collection_id"), ["collection_id"], unique=False
        )

    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_answers_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_answers_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
        sa.UniqueConstraint(
            "response_id", "question_id", name=op.f("uq_answers_response_id_question_id")
        ),
    )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answers_question_id"), ["question_id"], unique=False)


def downgrade():
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answers_question_id"))

    op.drop_table("answers")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responses_collection_id"))

    op.drop_table("responses")
    with op.batch_alter_table("response_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_codes_collection_id"))

    op.drop_table("response_codes")
    with op.batch_alter_table("record_audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_audit_entries_visit_id"))
        batch_op.drop_index(batch_op.f("ix_record_audit_entries_assessment_id"))

    op.drop_table("record_audit_entries")
    with op.batch_alter_table("kiosk_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kiosk_sessions_assessment_id"))

    op.drop_table("kiosk_sessions")
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collections_instrument_id"))
        batch_op.drop_index(batch_op.f("ix_collections_assessment_id"))

    op.drop_table("collections")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questions_instrument_id"))

    op.drop_table("questions")
    op.drop_table("survey_settings")
    with op.batch_alter_table("instruments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instruments_edition_id"))

    op.drop_table("instruments")
