"""Storage: the declarative base, engines for SQLite and PostgreSQL, sessions and migrations."""
