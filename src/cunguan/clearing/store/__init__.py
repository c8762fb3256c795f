"""Clearing's SQL: participants, packages, items, positions, sessions (both dialects)."""
