"""Persistence: sqlmodel tables, Alembic migrations, repositories. The only package importing SQLAlchemy."""
