"""Reconciliation's SQL: statements, matches, breaks, checks and reports (both dialects)."""
