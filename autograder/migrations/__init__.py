"""The gradebook's schema migrations (Alembic), applied automatically when a gradebook opens."""
