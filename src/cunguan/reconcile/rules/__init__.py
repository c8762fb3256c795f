"""Reconciliation's pure rules: statement records, matching, breaks, checks, identities."""
