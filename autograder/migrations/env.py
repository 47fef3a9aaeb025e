"""Alembic's environment: always run on the connection `autograder.migrations.upgrade` hands in.

There is no alembic.ini: the configuration is built in code (see upgrade.py), so the package
carries its migrations and an instructor never runs `alembic` by hand.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True,
                  transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
