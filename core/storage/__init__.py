"""Persistence: the tables (SQLAlchemy 2), engines, sessions and units of work, the packaged
Alembic migrations, and the scoping rules every store shares."""
