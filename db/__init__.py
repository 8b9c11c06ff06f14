"""Meterline's storage: SQLite with numbered migrations, WAL and append-only money tables."""
from db.connection import DatabaseError, open_database

__all__ = ["DatabaseError", "open_database"]
