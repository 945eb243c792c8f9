"""SQLAlchemy storage: tables, repositories implementing the core's ports, Alembic migrations."""
