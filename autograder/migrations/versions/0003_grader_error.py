"""A grader failure is not a grade: `grader_error` attempts have no score.

Revision ID: 0003
Revises: 0002
`submissions.score` and `test_results.score` become nullable (NULL: the grader failed, the
student was not graded, nothing counts as 0), and `submissions.diagnostics` keeps the cause
for the instructor. Earlier `incomplete` rows (scored 0 by older versions) become
`grader_error` with no score, which is what they were.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CURRENT_VIEW = """
CREATE VIEW current_submissions AS
SELECT s.* FROM submissions s
WHERE s.attempt = (SELECT MAX(t.attempt) FROM submissions t
                   WHERE t.assignment = s.assignment AND t.student = s.student)
"""


def upgrade() -> None:
    op.execute("DROP VIEW IF EXISTS current_submissions")  # SQLite rebuilds the table below
    with op.batch_alter_table("submissions") as batch:
        batch.alter_column("score", existing_type=sa.Float, nullable=True)
        batch.add_column(sa.Column("diagnostics", sa.Text, nullable=False, server_default=""))
    with op.batch_alter_table("test_results") as batch:
        batch.alter_column("score", existing_type=sa.Float, nullable=True)
    op.execute("UPDATE test_results SET score = NULL, status = 'not_run' WHERE submission_id "
               "IN (SELECT id FROM submissions WHERE incomplete)")
    op.execute("UPDATE submissions SET score = NULL, status = 'grader_error' WHERE incomplete")
    op.execute(CURRENT_VIEW)  # `s.*` now includes diagnostics


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS current_submissions")
    op.execute("UPDATE test_results SET score = 0 WHERE score IS NULL")
    op.execute("UPDATE submissions SET score = 0, status = 'graded' WHERE score IS NULL")
    with op.batch_alter_table("test_results") as batch:
        batch.alter_column("score", existing_type=sa.Float, nullable=False)
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("diagnostics")
        batch.alter_column("score", existing_type=sa.Float, nullable=False)
    op.execute(CURRENT_VIEW)
