"""The schema before migrations existed: one row per (assignment, student), its tests.

Revision ID: 0001
Revises:
A gradebook.db made by nlpgrade before Alembic is stamped at this revision, then upgraded.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("assignment", sa.String(200), nullable=False),
        sa.Column("student", sa.String(200), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("max_score", sa.Float, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("stdout", sa.Text, nullable=False),
        sa.Column("isolation", sa.String(200), nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("graded_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("assignment", "student", name="uq_assignment_student"),
    )
    op.create_index("ix_submissions_assignment", "submissions", ["assignment"])
    op.create_table(
        "test_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer,
                  sa.ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("max_score", sa.Float, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("output", sa.Text, nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
    )
    op.create_index("ix_test_results_submission_id", "test_results", ["submission_id"])


def downgrade() -> None:
    op.drop_table("test_results")
    op.drop_table("submissions")
