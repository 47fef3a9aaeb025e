"""The course website's tables: users, the upload queue and its files, grade overrides.

Revision ID: 0004
Revises: 0003
`nlpgrade serve` keeps its accounts and its queue in the gradebook database, so a restarted
server (or another one on the same PostgreSQL gradebook) grades what was pending. Nothing in
the existing tables changes; the CLI ignores these tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("login", sa.String(200), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("email", sa.String(320), nullable=False, server_default=""),
        sa.Column("role", sa.String(16), nullable=False, server_default="student"),
        sa.Column("password_hash", sa.String(200), nullable=False, server_default=""),
        sa.Column("link_hash", sa.String(64), nullable=False, server_default=""),
        sa.Column("link_expires", sa.String(40), nullable=False, server_default=""),
        sa.Column("session_version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_users_link_hash", "users", ["link_hash"])
    op.create_table(
        "uploads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("assignment", sa.String(200), nullable=False),
        sa.Column("student", sa.String(200), nullable=False),
        sa.Column("submitted_at", sa.String(40), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, server_default="submit"),
        sa.Column("source_id", sa.Integer, nullable=True),
        sa.Column("requested_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("claimed_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("claimed_at", sa.String(40), nullable=False, server_default=""),
        sa.Column("tries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("attempt", sa.Integer, nullable=True),
    )
    for column in ("assignment", "student", "state"):
        op.create_index(f"ix_uploads_{column}", "uploads", [column])
    op.create_table(
        "upload_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("original_name", sa.String(300), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_upload_files_upload_id", "upload_files", ["upload_id"])
    op.create_table(
        "overrides",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("assignment", sa.String(200), nullable=False),
        sa.Column("student", sa.String(200), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("assignment", "student", "attempt", name="uq_override_attempt"),
    )


def downgrade() -> None:
    for table in ("overrides", "upload_files", "uploads", "users"):
        op.drop_table(table)
