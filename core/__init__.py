"""Meterline's domain: plain Python, no Textual, no SQLite, no clock."""
