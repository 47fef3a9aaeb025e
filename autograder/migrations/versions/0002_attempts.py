"""Regrades keep history: each row of `submissions` is one graded attempt.

Revision ID: 0002
Revises: 0001
Existing rows become attempt 1. The current grade of a student is their highest attempt; the
view `current_submissions` shows exactly those rows (the old one-row-per-student table).
`submission_sha` and `suite_sha` let an interrupted batch resume without regrading.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CURRENT_VIEW = """
CREATE VIEW current_submissions AS
SELECT s.* FROM submissions s
WHERE s.attempt = (SELECT MAX(t.attempt) FROM submissions t
                   WHERE t.assignment = s.assignment AND t.student = s.student)
"""


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_constraint("uq_assignment_student", type_="unique")
        batch.add_column(sa.Column("attempt", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("device", sa.String(16), nullable=False,
                                   server_default="cpu"))
        batch.add_column(sa.Column("submission_sha", sa.String(64), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("suite_sha", sa.String(64), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("grader", sa.String(200), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("incomplete", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.create_unique_constraint("uq_submission_attempt",
                                       ["assignment", "student", "attempt"])
    op.execute(CURRENT_VIEW)


def downgrade() -> None:
    """Back to one row per student: only each student's current attempt survives."""
    op.execute("DROP VIEW current_submissions")
    stale = ("SELECT s.id FROM submissions s WHERE s.attempt < (SELECT MAX(t.attempt) FROM "
             "submissions t WHERE t.assignment = s.assignment AND t.student = s.student)")
    op.execute(f"DELETE FROM test_results WHERE submission_id IN ({stale})")
    op.execute(f"DELETE FROM submissions WHERE id IN ({stale})")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_constraint("uq_submission_attempt", type_="unique")
        for column in ("incomplete", "grader", "suite_sha", "submission_sha", "device",
                       "attempt"):
            batch.drop_column(column)
        batch.create_unique_constraint("uq_assignment_student", ["assignment", "student"])
