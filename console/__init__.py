"""Meterline's terminal console: the Textual app, its screens, and the `meterline` CLI."""
