"""Database access: SQLAlchemy models, engine set-up and migrations."""
