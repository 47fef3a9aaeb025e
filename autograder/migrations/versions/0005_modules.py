"""Submissions of several files are graded file by file.

Revision ID: 0005
Revises: 0004
`test_results.module` names the submitted file a test grades ("" when it is not one file's);
`submissions.modules` holds the per-file subtotals (JSON: name, score, max_score, status,
message) and `submissions.not_counted` the points of tests skipped on that grader, by reason
(JSON). Earlier rows get "", "[]" and "{}": they were graded as one unit.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
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
        batch.add_column(sa.Column("modules", sa.Text, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("not_counted", sa.Text, nullable=False,
                                   server_default="{}"))
    with op.batch_alter_table("test_results") as batch:
        batch.add_column(sa.Column("module", sa.String(200), nullable=False, server_default=""))
    op.execute(CURRENT_VIEW)  # `s.*` now includes the new columns


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS current_submissions")
    with op.batch_alter_table("test_results") as batch:
        batch.drop_column("module")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("not_counted")
        batch.drop_column("modules")
    op.execute(CURRENT_VIEW)
